/* worker.c - fc_worker_run: a worker on a shared run (worker.h, docs/workers.md).
 * The main thread claims leases, runs them through the cluster job's ingest
 * (cluster_ingest.c, whose batches commit through the lease) and, if the store
 * gives it the finish, the cluster job's finish (cluster_finish.c); a heartbeat
 * thread extends the leases every third of their life. */
#include "jobs/worker.h"

#include "core/clock.h"
#include "jobs/cluster_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void fc_worker_opts_default(fc_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    fc_cluster_job_opts_default(&o->job);
    o->lease_images = 8;
    o->lease_seconds = 10;
}

void fc_worker_result_clear(fc_worker_result *r)
{
    if (!r)
        return;
    fc_cluster_job_result_free(r->run);
    memset(r, 0, sizeof *r);
}

void fc_worker_id_new(char out[FC_WORKER_ID_MAX])
{
    char host[64] = "host";
    unsigned char rnd[4] = {0};
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    if (getentropy(rnd, sizeof rnd) != 0) {
        unsigned v = (unsigned)time(NULL) ^ (unsigned)getpid() * 2654435761u;
        memcpy(rnd, &v, sizeof rnd);
    }
    snprintf(out, FC_WORKER_ID_MAX, "%s:%ld:%lld:%02x%02x%02x%02x", host, (long)getpid(),
             (long long)time(NULL), rnd[0], rnd[1], rnd[2], rnd[3]);
}

typedef struct {
    fc_cj_ctx *c;
    int64_t lease_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} heartbeat;

static void *heartbeat_main(void *arg)
{
    heartbeat *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (h->lease_ms / 3) * 1000000LL;
        until.tv_sec += (time_t)(ns / 1000000000LL);
        until.tv_nsec = (long)(ns % 1000000000LL);
        pthread_cond_timedwait(&h->cv, &h->mu, &until);
        if (h->stop)
            break;
        pthread_mutex_unlock(&h->mu);
        int64_t held;
        fc_store_lease_heartbeat(h->c->store, h->c->id, h->c->worker_id, h->lease_ms, &held, NULL);
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void say(fc_worker_log_fn log, void *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(fc_worker_log_fn log, void *user, const char *fmt, ...)
{
    if (!log)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log(line, user);
}

static void sleep_ms(int64_t ms)
{
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Joins or opens the bucket's shared run with every key of the listing. */
static fc_status open_shared(fc_cj_ctx *c, const fc_key_list *keys, fc_worker_result *out,
                             fc_error *err)
{
    fc_run_rec run = {0}, got = {0};
    int found = 0;
    snprintf(run.bucket, sizeof run.bucket, "%s", c->o->bucket);
    snprintf(run.sub, sizeof run.sub, "%s", c->o->sub);
    run.params = fc_cj_params_json(c);
    if (!run.params)
        return fc_error_set(err, FC_ERR_NOMEM, "run params");
    fc_status rc = fc_store_run_open_shared(c->store, &run, keys->keys, keys->n, &out->joined, err);
    if (!rc && out->joined && !(rc = fc_store_run_get(c->store, run.clustering_id, &got, &found, err)))
        fc_cj_params_load(c, got.params); /* cluster as the run was started */
    if (!rc) {
        snprintf(c->id, sizeof c->id, "%s", run.clustering_id);
        snprintf(out->clustering_id, sizeof out->clustering_id, "%s", run.clustering_id);
    }
    fc_run_rec_clear(&run);
    fc_run_rec_clear(&got);
    return rc;
}

/* Processes one lease: its images through the pipeline, committed as one batch, each
 * with the fingerprint of this worker's listing (keys). */
static fc_status do_lease(fc_cj_ctx *c, const fc_lease *l, const fc_key_list *keys,
                          fc_worker_log_fn log, void *user, fc_worker_result *out, fc_error *err)
{
    char names[1024];
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < l->n && used < sizeof names - 1; i++) {
        int n = snprintf(names + used, sizeof names - used, " %s", l->image_paths[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    say(log, user, "lease %zu images (%zu taken over):%s", l->n, l->n_taken_over, names);
    out->leases++;
    out->taken_over += (int64_t)l->n_taken_over;
    int64_t done0 = c->prog.done - c->prog.skipped, faces0 = c->prog.faces;
    int64_t refused0 = c->lease_refused;
    char **fprints = calloc(l->n ? l->n : 1, sizeof *fprints);
    if (!fprints)
        return fc_error_set(err, FC_ERR_NOMEM, "lease of %zu images", l->n);
    for (size_t i = 0; i < l->n; i++)
        fprints[i] = fc_key_list_fprint(keys, l->image_paths[i]);
    fc_status rc = fc_cj_ingest(c, l->image_paths, fprints, l->n, err);
    free(fprints);
    if (rc)
        return rc;
    int64_t images = c->prog.done - c->prog.skipped - done0, faces = c->prog.faces - faces0;
    out->images += images;
    out->faces += faces;
    if (c->lease_refused > refused0) {
        out->refused += c->lease_refused - refused0;
        say(log, user, "lease lost (expired and taken over): %lld images not committed",
            (long long)(c->lease_refused - refused0));
    } else {
        say(log, user, "committed %lld images, %lld faces", (long long)images, (long long)faces);
    }
    return FC_OK;
}

/* The finish, once the store gave it to this worker. */
static fc_status finish(fc_cj_ctx *c, fc_worker_log_fn log, void *user, fc_worker_result *out,
                        fc_error *err)
{
    say(log, user, "every image is done: this worker clusters and commits run %s", c->id);
    fc_status rc = fc_cj_finish(c, err);
    if (rc) {
        fc_store_run_fail(c->store, c->id, err && err->msg[0] ? err->msg : fc_strerror(rc), NULL);
        return rc;
    }
    char *ov = NULL;
    if (fc_cj_stats_json(c, &ov, &c->res->stats_json) == FC_OK)
        free(ov);
    out->finished = 1;
    out->run = c->res;
    c->res = NULL;
    say(log, user, "run %s done", c->id);
    return FC_OK;
}

/* The lease loop: until the run is not running any more (or cancel). */
static fc_status work(fc_cj_ctx *c, const fc_worker_opts *o, const fc_key_list *keys,
                      fc_worker_log_fn log, void *user, fc_worker_result *out, fc_error *err)
{
    int64_t lease_ms = (int64_t)(o->lease_seconds * 1000);
    int64_t poll_ms = lease_ms / 4 < 500 ? lease_ms / 4 : 500;
    int waiting = 0;
    for (;;) {
        if (fc_cj_cancelled(c)) {
            out->cancelled = 1;
            return FC_OK;
        }
        fc_lease l;
        fc_status rc = fc_store_lease_claim(c->store, c->id, c->worker_id,
                                            (size_t)o->lease_images, lease_ms, &l, err);
        if (rc)
            return rc;
        if (!l.run_open) {
            fc_lease_clear(&l);
            return FC_OK;
        }
        if (l.n) {
            waiting = 0;
            rc = do_lease(c, &l, keys, log, user, out, err);
            fc_lease_clear(&l);
            if (rc)
                return rc;
            continue;
        }
        int64_t left = l.n_left;
        fc_lease_clear(&l);
        if (!left) {
            int claimed = 0;
            if ((rc = fc_store_run_claim_finish(c->store, c->id, c->worker_id, lease_ms, &claimed,
                                                err)))
                return rc;
            if (claimed)
                return finish(c, log, user, out, err);
        }
        if (!waiting)
            say(log, user, left ? "%lld images leased by other workers: waiting for them or "
                                  "their leases to expire"
                                : "every image is done: waiting for the finishing worker",
                (long long)left);
        waiting = 1;
        sleep_ms(poll_ms > 10 ? poll_ms : 10);
    }
}

static fc_status check_opts(const fc_worker_opts *o, fc_error *err)
{
    const fc_cluster_job_opts *j = &o->job;
    if (!j->cfg || !j->source || !j->pipeline)
        return fc_error_set(err, FC_ERR_ARG, "worker: cfg, source and pipeline are needed");
    if (!fc_name_valid(j->bucket) || !fc_name_valid(j->sub))
        return fc_error_set(err, FC_ERR_ARG, "invalid bucket or sub-bucket name");
    if (o->lease_images < 1 || o->lease_images > 50)
        return fc_error_set(err, FC_ERR_ARG, "lease_images must be 1..50");
    if (!(o->lease_seconds >= 0.2 && o->lease_seconds <= 3600))
        return fc_error_set(err, FC_ERR_ARG, "lease_seconds must be 0.2..3600");
    if (j->threads < 0 || j->threads > 256)
        return fc_error_set(err, FC_ERR_ARG, "threads must be 1..256");
    return FC_OK;
}

fc_status fc_worker_run(const fc_worker_opts *opts, fc_worker_log_fn log, void *user,
                        volatile int *cancel, fc_worker_result *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    fc_status rc = check_opts(opts, err);
    if (rc)
        return rc;
    fc_cluster_job_opts job = opts->job;
    job.batch_size = opts->lease_images; /* one lease = one committed batch */
    job.resume = job.incremental = 0;
    fc_cj_ctx c = {.cancel = cancel};
    fc_key_list keys = {0};
    heartbeat hb = {.c = &c, .lease_ms = (int64_t)(opts->lease_seconds * 1000)};
    pthread_t hb_tid;
    int hb_started = 0;
    char prefix[2 * FC_NAME_MAX + 4];
    fc_worker_id_new(out->worker_id);
    c.worker_id = out->worker_id;
    fc_cj_init_ctx(&c, &job);
    if (!(c.res = calloc(1, sizeof *c.res)))
        return fc_error_set(err, FC_ERR_NOMEM, "worker result");
    snprintf(c.res->bucket, sizeof c.res->bucket, "%s", job.bucket);
    snprintf(c.res->sub, sizeof c.res->sub, "%s", job.sub);
    c.res->batch_size_used = job.batch_size;
    c.res->max_concurrent_used = job.threads > 0 ? job.threads : 1;
    snprintf(prefix, sizeof prefix, "%s/%s/", job.bucket, job.sub);
    if (!(c.store = fc_store_open(job.cfg, err)) || !(c.vec = fc_vectors_open(job.cfg, err))) {
        rc = err ? err->code : FC_ERR_IO;
        goto out;
    }
    if ((rc = fc_vectors_ensure(c.vec, fc_pipeline_dim(job.pipeline), err)) ||
        (rc = fc_source_list(job.source, prefix, &keys, err)))
        goto out;
    if (job.max_images > 0 && keys.n > (size_t)job.max_images)
        fc_key_list_truncate(&keys, (size_t)job.max_images);
    if (!keys.n) {
        rc = fc_error_set(err, FC_ERR_ARG, "No valid images found in %s", prefix);
        goto out;
    }
    c.res->original_file_count = (int64_t)keys.n;
    if ((rc = open_shared(&c, &keys, out, err)))
        goto out;
    snprintf(c.res->clustering_id, sizeof c.res->clustering_id, "%s", c.id);
    c.res->method = c.method, c.res->edge_threshold = c.edge, c.res->merge_threshold = c.merge;
    c.res->attach_threshold = c.attach;
    say(log, user, "worker %s %s run %s of %s (%zu images)", out->worker_id,
        out->joined ? "joined" : "opened", c.id, prefix, keys.n);
    pthread_mutex_init(&hb.mu, NULL);
    pthread_cond_init(&hb.cv, NULL);
    hb_started = pthread_create(&hb_tid, NULL, heartbeat_main, &hb) == 0;
    if (!hb_started) {
        rc = fc_error_set(err, FC_ERR_INTERNAL, "cannot start the heartbeat thread");
        goto out;
    }
    c.prog.phase = FC_JOB_PHASE_IMAGES;
    c.prog.clustering_id = c.id;
    c.images_t0 = fc_now_s();
    rc = work(&c, opts, &keys, log, user, out, err);
out:
    if (hb_started) {
        pthread_mutex_lock(&hb.mu);
        hb.stop = 1;
        pthread_cond_signal(&hb.cv);
        pthread_mutex_unlock(&hb.mu);
        pthread_join(hb_tid, NULL);
    }
    if (hb_started || c.id[0]) {
        pthread_mutex_destroy(&hb.mu);
        pthread_cond_destroy(&hb.cv);
    }
    if (c.id[0] && c.store && !out->finished)
        fc_store_lease_release(c.store, c.id, c.worker_id, NULL); /* others take them now */
    fc_cluster_job_result_free(c.res);
    fc_key_list_free(&keys);
    fc_vectors_close(c.vec);
    fc_store_close(c.store);
    if (rc)
        fc_worker_result_clear(out);
    return rc;
}
