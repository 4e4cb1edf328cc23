/* worker.c - `facecluster worker [PATH]`: one of several processes clustering one
 * bucket together (src/jobs/worker.h, docs/workers.md). Start as many as you like,
 * on one host with the embedded store; each prints what it leased and committed
 * (--verbose) and a summary; the one that commits the run prints its persons. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "jobs/worker.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: facecluster worker [PATH] [--bucket B --sub S] [--threads N] [--lease-images K]\n"
    "                           [--lease-seconds S] [--max-images N] [--verbose]\n"
    "\n"
    "Works on the bucket's shared run with any other workers: joins it (or opens it),\n"
    "leases K images at a time, runs them through the face pipeline and commits them;\n"
    "a dead worker's images are taken over when its lease expires (S seconds without\n"
    "a heartbeat). When every image is done, one worker groups the faces into persons\n"
    "and commits the run. The embedded store shares a run between processes of one\n"
    "host.\n"
    "\n"
    "  PATH              without --bucket/--sub: the folder of photos (as `cluster PATH`)\n"
    "  --bucket B --sub S  PATH is the storage root; the images are under PATH/B/S/.\n"
    "                    Without PATH: the configured source, the S3 bucket when WASABI_*\n"
    "                    is set (docs/s3.md), else LOCAL_STORAGE_PATH\n"
    "  --threads N       images in flight (default FC_THREADS, else cores)\n"
    "  --lease-images K  images per lease, 1..50 (8)\n"
    "  --lease-seconds S lease life without heartbeat, 0.2..3600 (10)\n"
    "  --verbose         each lease and commit on stderr\n"
    "Exit status: 0 the run is done, 1 failure, 2 usage, 3 cancelled (SIGINT/SIGTERM),\n"
    "4 the image source stopped answering (start a worker again later).\n";

typedef struct {
    const char *path, *bucket, *sub;
    int threads, lease_images, verbose;
    long max_images;
    double lease_seconds;
} worker_args;

static volatile int cancel_flag;
static void on_signal(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

static int parse_args(int argc, char **argv, worker_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(s, "--bucket") && v) a->bucket = argv[++i];
        else if (!strcmp(s, "--sub") && v) a->sub = argv[++i];
        else if (!strcmp(s, "--threads") && v) bad = (a->threads = fc_cli_parse_int(argv[++i], 1, 256)) < 0;
        else if (!strcmp(s, "--lease-images") && v) bad = (a->lease_images = fc_cli_parse_int(argv[++i], 1, 50)) < 0;
        else if (!strcmp(s, "--max-images") && v) bad = (a->max_images = fc_cli_parse_int(argv[++i], 1, INT_MAX)) < 0;
        else if (!strcmp(s, "--lease-seconds") && v) {
            char *end;
            errno = 0;
            a->lease_seconds = strtod(argv[++i], &end);
            bad = errno || end == argv[i] || *end || !(a->lease_seconds >= 0.2 && a->lease_seconds <= 3600);
        }
        else if (!strcmp(s, "--verbose")) a->verbose = 1;
        else if (s[0] == '-' || a->path) bad = 1;
        else a->path = s;
        if (bad) {
            fprintf(stderr, "facecluster worker: bad argument '%s'\n", s);
            return -1;
        }
    }
    return (!a->path && !a->bucket) || !a->bucket != !a->sub ? -1 : 0;
}

static void log_line(const char *line, void *user)
{
    if (*(const int *)user)
        fprintf(stderr, "worker[%ld]: %s\n", (long)getpid(), line);
}

static void print_summary(const fc_worker_result *r)
{
    printf("worker          %s\n", r->worker_id);
    printf("clustering_id   %s (%s)\n", r->clustering_id, r->joined ? "joined" : "opened");
    printf("this worker     %lld leases, %lld images, %lld faces committed; %lld taken over, "
           "%lld not committed (lease lost)\n",
           (long long)r->leases, (long long)r->images, (long long)r->faces,
           (long long)r->taken_over, (long long)r->refused);
    if (r->run) {
        printf("finished        by this worker: %lld images, %lld faces, %lld persons "
               "(%lld unassigned faces)\n",
               (long long)r->run->total_images, (long long)r->run->total_faces,
               (long long)r->run->total_persons, (long long)r->run->unassigned_faces);
    } else if (!r->cancelled) {
        printf("finished        by another worker (facecluster runs)\n");
    }
}

int fc_cli_worker(int argc, char **argv)
{
    worker_args a = {0};
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (parse_args(argc, argv, &a)) {
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    int status = 1;
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_pipeline *pipe = NULL;
    fc_source *src = NULL;
    fc_worker_result res = {0};
    char root[4096], sub[160];
    if (!cfg)
        goto fail;
    int threads = a.threads ? a.threads : cfg->threads > 0 ? (int)cfg->threads
                                                           : (int)sysconf(_SC_NPROCESSORS_ONLN);
    threads = threads < 1 ? 1 : threads;
    if (a.bucket) {
        snprintf(root, sizeof root, "%s", a.path ? a.path : "");
        snprintf(sub, sizeof sub, "%s", a.sub);
    } else if (fc_cli_link_folder("worker", cfg, a.path, root, sizeof root, sub, sizeof sub)) {
        goto out;
    }
    src = root[0] ? fc_source_local_new(root, &err) : fc_source_open(cfg, &err);
    if (!src || !(pipe = fc_cli_pipeline(threads, &err)))
        goto fail;
    fc_worker_opts o;
    fc_worker_opts_default(&o);
    o.job.cfg = cfg, o.job.source = src, o.job.pipeline = pipe;
    o.job.bucket = a.bucket ? a.bucket : "local", o.job.sub = sub;
    o.job.threads = threads;
    o.job.max_images = a.max_images;
    if (a.lease_images)
        o.lease_images = a.lease_images;
    if (a.lease_seconds > 0)
        o.lease_seconds = a.lease_seconds;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (fc_worker_run(&o, log_line, &a.verbose, &cancel_flag, &res, &err))
        goto fail;
    print_summary(&res);
    status = res.cancelled ? 3 : 0;
    goto out;
fail:
    fprintf(stderr, "facecluster worker: %s\n", err.msg[0] ? err.msg : fc_strerror(err.code));
    status = fc_cli_fail_status(&err);
out:
    fc_worker_result_clear(&res);
    fc_pipeline_free(pipe);
    fc_source_free(src);
    fc_config_free(cfg);
    return status;
}
