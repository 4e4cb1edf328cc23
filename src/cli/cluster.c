/* cluster.c - `facecluster cluster PATH`: the main job on the command line. Runs
 * fc_cluster_job_run with a progress bar, prints a summary table and writes the HTML
 * contact sheet. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "cli/progress.h"
#include "jobs/cluster_job.h"
#include "report/report.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: facecluster cluster [PATH] [--bucket B --sub S] [--threads N] [--batch N]\n"
    "                          [--max-images N] [--report FILE.html] [--resume]\n"
    "                          [--incremental] [--method graph|original] [--min-faces N]\n"
    "                          [--threshold T] [--merge-threshold T] [--attach-threshold T]\n"
    "                          [--no-cannot-link] [--skip-quality-filter] [--json] [--quiet]\n"
    "\n"
    "Finds every face of the images, groups them into persons and saves the run in the\n"
    "store ($FC_DATA_DIR/facecluster.db). Progress goes to stderr, a summary to stdout.\n"
    "\n"
    "  PATH            without --bucket/--sub: the folder of photos itself (recursive). It\n"
    "                  becomes bucket \"local\", sub \"<folder name>-<8 hex of its real\n"
    "                  path>\", linked from $FC_DATA_DIR/folders/local/.\n"
    "  --bucket B --sub S  PATH is the storage root; the images are under PATH/B/S/.\n"
    "                  Without PATH: the configured source, the S3 bucket when WASABI_*\n"
    "                  is set (docs/s3.md), else LOCAL_STORAGE_PATH\n"
    "  --threads N     images in flight (default FC_THREADS, else cores)\n"
    "  --batch N       images per stored batch, 1..50 (30)\n"
    "  --report FILE   write the HTML contact sheet (thumbnails in FILE_files/); its\n"
    "                  folder must exist (checked before the run)\n"
    "  --resume        continue the latest interrupted run of the bucket\n"
    "  --incremental   add the images the latest run lacks to a copy of it (none made\n"
    "                  when nothing is new, changed or removed: the latest run stands)\n"
    "  --method M      graph (default) or original (the Python service's baseline)\n"
    "  --threshold T   edge threshold (default: the embedder's, or PERSON_SIMILARITY_THRESHOLD)\n"
    "  --merge-threshold T  floor of the merge bar (default: the embedder's, or\n"
    "                  PERSON_MERGE_THRESHOLD)\n"
    "  --attach-threshold T  let a leftover person of 1-2 faces join the person its faces\n"
    "                  match best on average at T or more (default: off, or\n"
    "                  PERSON_ATTACH_THRESHOLD). For photos with no strangers in them:\n"
    "                  with strangers, it puts some of them into persons (docs/clustering.md)\n"
    "  --json          print the API stats object instead of the tables\n"
    "Exit status: 0 done, 1 failure, 2 usage, 3 cancelled (SIGINT/SIGTERM; resumable),\n"
    "4 the image source stopped answering (resumable: try --resume later).\n";

typedef struct {
    const char *path, *bucket, *sub, *report, *method;
    int threads, batch, min_faces, resume, incremental, json, quiet, no_cl, skip_q;
    long max_images;
    double threshold, merge, attach;
} cluster_args;

static volatile int cancel_flag;
static void on_signal(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, cluster_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(s, "--bucket") && v) a->bucket = argv[++i];
        else if (!strcmp(s, "--sub") && v) a->sub = argv[++i];
        else if (!strcmp(s, "--report") && v) a->report = argv[++i];
        else if (!strcmp(s, "--method") && v) a->method = argv[++i];
        else if (!strcmp(s, "--threads") && v) bad = (a->threads = fc_cli_parse_int(argv[++i], 1, 256)) < 0;
        else if (!strcmp(s, "--batch") && v) bad = (a->batch = fc_cli_parse_int(argv[++i], 1, 50)) < 0;
        else if (!strcmp(s, "--min-faces") && v) bad = (a->min_faces = fc_cli_parse_int(argv[++i], 1, 1000000)) < 0;
        else if (!strcmp(s, "--max-images") && v) bad = (a->max_images = fc_cli_parse_int(argv[++i], 1, INT_MAX)) < 0;
        else if (!strcmp(s, "--threshold") && v) bad = parse_double(argv[++i], &a->threshold);
        else if (!strcmp(s, "--merge-threshold") && v) bad = parse_double(argv[++i], &a->merge);
        else if (!strcmp(s, "--attach-threshold") && v) bad = parse_double(argv[++i], &a->attach);
        else if (!strcmp(s, "--resume")) a->resume = 1;
        else if (!strcmp(s, "--incremental")) a->incremental = 1;
        else if (!strcmp(s, "--json")) a->json = 1;
        else if (!strcmp(s, "--quiet")) a->quiet = 1;
        else if (!strcmp(s, "--no-cannot-link")) a->no_cl = 1;
        else if (!strcmp(s, "--skip-quality-filter")) a->skip_q = 1;
        else if (s[0] == '-' || a->path) bad = 1;
        else a->path = s;
        if (bad) {
            fprintf(stderr, "facecluster cluster: bad argument '%s'\n", s);
            return -1;
        }
    }
    if ((!a->path && !a->bucket) || !a->bucket != !a->sub)
        return -1;
    if (a->method && fc_cluster_method_parse(a->method) < 0) {
        fprintf(stderr, "facecluster cluster: --method takes graph or original\n");
        return -1;
    }
    if (a->resume && a->incremental) {
        fprintf(stderr, "facecluster cluster: --resume and --incremental exclude each other "
                        "(a resumed incremental run stays incremental)\n");
        return -1;
    }
    return 0;
}

/* 0 if the report can be written where --report says: its folder exists and is
 * writable, and the path itself is not a folder. Checked before the run, so a long run
 * does not end without its report; else prints why and returns -1. */
static int check_report_path(const char *html_path)
{
    char dir[4096];
    struct stat st;
    const char *slash = strrchr(html_path, '/');
    size_t n = slash ? (size_t)(slash - html_path) : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)n, html_path);
    const char *folder = !slash ? "." : n == 0 ? "/" : dir;
    const char *why = NULL;
    if (stat(folder, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a folder";
    else if (access(folder, W_OK | X_OK) != 0)
        why = strerror(errno);
    if (why) {
        fprintf(stderr, "facecluster cluster: --report '%s': folder '%s': %s\n", html_path, folder,
                why);
        return -1;
    }
    const char *name = slash ? slash + 1 : html_path;
    if (!*name || (stat(html_path, &st) == 0 && S_ISDIR(st.st_mode))) {
        fprintf(stderr, "facecluster cluster: --report '%s' is a folder; give a file such as "
                        "%s%sreport.html\n", html_path, html_path, *name ? "/" : "");
        return -1;
    }
    return 0;
}

static void print_summary(const fc_cluster_job_result *r, fc_store *s)
{
    printf("clustering_id   %s\n", r->clustering_id);
    printf("bucket          %s/%s\n", r->bucket, r->sub);
    printf("method          %s (edge %.3f, merge %.3f", fc_cluster_method_name(r->method),
           r->edge_threshold, r->merge_threshold);
    if (r->attach_threshold > 0 && r->method == FC_CLUSTER_METHOD_GRAPH)
        printf(", attach %.3f", r->attach_threshold);
    printf(")\n");
    printf("images          %lld (%lld run now, %lld stored before, %lld failed)\n",
           (long long)r->total_images, (long long)r->images_run, (long long)r->images_skipped,
           (long long)r->failed_count);
    printf("faces           %lld\n", (long long)r->total_faces);
    printf("persons         %lld (%lld unassigned face%s, %.2f faces per person)\n",
           (long long)r->total_persons, (long long)r->unassigned_faces, fc_cli_s(r->unassigned_faces),
           r->avg_faces_per_person);
    printf("multi-person    %lld image%s (at most %lld person%s in one)\n",
           (long long)r->multi_person_images, fc_cli_s(r->multi_person_images),
           (long long)r->max_persons_per_image, fc_cli_s(r->max_persons_per_image));
    printf("time            %.2f s (%.2f images/s)\n", r->processing_time_seconds,
           r->processing_time_seconds > 0 ? (double)r->images_run / r->processing_time_seconds : 0);
    if (r->unchanged) {
        printf("incremental     nothing new, changed or removed in the bucket since this run: no "
               "new run made\n");
    } else if (r->base_id[0]) {
        printf("incremental     extends %s: %lld new image%s, %lld new face%s, %lld joined "
               "existing persons, %d new person%s\n",
               r->base_id, (long long)r->new_images, fc_cli_s(r->new_images), (long long)r->new_faces,
               fc_cli_s(r->new_faces), (long long)r->joined_faces, r->n_new_persons,
               fc_cli_s(r->n_new_persons));
        if (r->changed_images)
            printf("changed         %lld image%s replaced under the same name since the base: "
                   "read again as new\n", (long long)r->changed_images, fc_cli_s(r->changed_images));
        if (r->removed_images || r->changed_images)
            printf("removed         %lld image%s no longer in the bucket%s: %lld face%s, %d person%s "
                   "left without faces (the persons after them move up one number each)\n",
                   (long long)r->removed_images, fc_cli_s(r->removed_images),
                   r->changed_images ? ", and the old faces of the changed ones" : "",
                   (long long)r->removed_faces, fc_cli_s(r->removed_faces), r->removed_persons,
                   fc_cli_s(r->removed_persons));
        for (size_t i = 0; i < r->n_changes; i++)
            printf("  %-12s +%lld face%s -> %lld%s\n", r->changes[i].person_id,
                   (long long)r->changes[i].faces_added, fc_cli_s(r->changes[i].faces_added),
                   (long long)r->changes[i].size, r->changes[i].is_new ? " (new person)" : "");
    }
    /* the names are the folder's: a newline in one must not break the line */
    for (size_t i = 0; i < r->n_failed; i++) {
        fputs("failed          ", stdout);
        fc_cli_put_escaped(stdout, r->failed[i].path);
        fputs(": ", stdout);
        fc_cli_put_escaped(stdout, r->failed[i].reason);
        putchar('\n');
    }
    fc_person_list pl = {0};
    fc_error err = {0};
    if (fc_store_person_list(s, r->clustering_id, NULL, &pl, &err) == FC_OK && pl.n) {
        printf("\n%-12s %6s %8s %8s  %s\n", "person", "faces", "avg_conf", "best_q", "owner image");
        for (size_t i = 0; i < pl.n && i < 30; i++) {
            const fc_person_rec *p = &pl.items[i];
            const char *owner = "";
            for (size_t m = 0; m < p->n_members; m++)
                if (!strcmp(p->members[m].face_id, p->owner_face_id))
                    owner = p->members[m].image_path;
            printf("%-12s %6zu %8.3f %8.3f  ", p->person_id, p->n_members, p->avg_confidence,
                   p->best_quality_score);
            fc_cli_put_escaped(stdout, owner);
            putchar('\n');
        }
        if (pl.n > 30)
            printf("... %zu more person%s (facecluster persons %s)\n", pl.n - 30,
                   fc_cli_s((long long)(pl.n - 30)), r->clustering_id);
    }
    fc_person_list_free(&pl);
}

int fc_cli_cluster(int argc, char **argv)
{
    cluster_args a = {0};
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (parse_args(argc, argv, &a)) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (a.report && check_report_path(a.report))
        return 2;
    fc_error err = {0};
    int status = 1;
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_pipeline *pipe = NULL;
    fc_source *src = NULL;
    fc_store *store = NULL;
    fc_cluster_job_result *res = NULL;
    char root[4096], sub[160];
    if (!cfg)
        goto fail;
    int threads = a.threads ? a.threads : cfg->threads > 0 ? (int)cfg->threads
                                                           : (int)sysconf(_SC_NPROCESSORS_ONLN);
    threads = threads < 1 ? 1 : threads;
    if (a.bucket) {
        snprintf(root, sizeof root, "%s", a.path ? a.path : "");
        snprintf(sub, sizeof sub, "%s", a.sub);
    } else if (fc_cli_link_folder("cluster", cfg, a.path, root, sizeof root, sub, sizeof sub)) {
        goto out;
    }
    src = root[0] ? fc_source_local_new(root, &err) : fc_source_open(cfg, &err);
    if (!src || !(pipe = fc_cli_pipeline(threads, &err)))
        goto fail;
    fc_cluster_job_opts o;
    fc_cluster_job_opts_default(&o);
    o.cfg = cfg, o.source = src, o.pipeline = pipe;
    o.bucket = a.bucket ? a.bucket : "local", o.sub = sub;
    o.threads = threads;
    o.batch_size = a.batch ? a.batch : 30;
    o.max_images = a.max_images;
    o.resume = a.resume, o.incremental = a.incremental;
    o.method = a.method ? (fc_cluster_method)fc_cluster_method_parse(a.method) : FC_CLUSTER_METHOD_GRAPH;
    o.edge_threshold = (float)a.threshold, o.merge_threshold = (float)a.merge;
    o.attach_threshold = (float)a.attach;
    o.min_faces = a.min_faces ? a.min_faces : 1;
    o.cannot_link = !a.no_cl;
    o.skip_quality_filter = a.skip_q;
    fc_cli_progress prog;
    fc_cli_progress_init(&prog, stderr, a.quiet);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fc_status rc = fc_cluster_job_run(&o, fc_cli_progress_cb, &prog, &cancel_flag, &res, &err);
    fc_cli_progress_end(&prog);
    if (rc)
        goto fail;
    if (res->cancelled) {
        fprintf(stderr, "facecluster cluster: cancelled; run %s is resumable with --resume\n",
                res->clustering_id);
        status = 3;
        goto out;
    }
    if (!(store = fc_store_open(cfg, &err)))
        goto fail;
    if (a.json)
        printf("%s\n", res->stats_json ? res->stats_json : "{}");
    else
        print_summary(res, store);
    if (a.report) {
        fc_report_opts ro = fc_report_opts_default();
        ro.max_bytes = (size_t)cfg->max_image_size_bytes;
        int n_thumbs = 0;
        if (fc_report_write(store, src, res->clustering_id, a.report, &ro, &n_thumbs, &err))
            goto fail;
        fprintf(a.json ? stderr : stdout, "\nreport: %s (%d face thumbnail%s)\n", a.report, n_thumbs,
                fc_cli_s(n_thumbs));
    }
    status = 0;
    goto out;
fail:
    fprintf(stderr, "facecluster cluster: %s\n", err.msg[0] ? err.msg : fc_strerror(err.code));
    status = fc_cli_fail_status(&err);
out:
    fc_cluster_job_result_free(res);
    fc_store_close(store);
    fc_pipeline_free(pipe);
    fc_source_free(src);
    fc_config_free(cfg);
    return status;
}
