/* clustering.c - POST /cluster-bucket-persons/{b}/{s} (and its deprecated alias):
 * the cluster job on the job thread, waited for (wait=true, the original's
 * behaviour: a deferred answer, the HTTP thread stays free) or not (wait=false:
 * 202 and /jobs/{id}). */
#include "api/app.h"
#include "api/clustering.h"
#include "api/handlers.h"
#include "api/metrics.h"
#include "core/json.h"
#include "core/strmap.h"
#include "jobs/cluster_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_WAIT_MS 10000 /* wait=false: how long to wait for the run's id */

typedef struct {
    fc_app *app;
    char bucket[FC_NAME_MAX + 1], sub[FC_NAME_MAX + 1], norm[FC_NORM_MAX];
    int64_t max_images;
    int batch_size, max_concurrent, skip_quality_filter;
    int resume, incremental;              /* extensions: continue or extend a run */
    char resume_id[FC_OBJECTID_LEN + 1];  /* with resume: this run; "": the latest failed */
    char resume_hint[2 * FC_NAME_MAX + 64]; /* how a client continues a run stopped here */
    fc_api_job *job;
} cluster_arg;

json_t *fc_api_json_text(const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    return o ? o : json_object();
}

int fc_api_coll_norm(const fc_api_request *req, char norm[FC_NORM_MAX], char *coll,
                     size_t coll_size)
{
    const char *name = fc_api_req_str(req, "collection_name");
    if (name && fc_collection_norm(name, norm, FC_NORM_MAX))
        return -1;
    if (!name)
        fc_norm_collection(fc_api_req_str(req, "bucket_name"), fc_api_req_str(req, "sub_bucket"),
                           norm, FC_NORM_MAX);
    snprintf(coll, coll_size, "person_clustering_%s", norm);
    return 0;
}

/* The progress of the cluster job into the API job, with the run's id once the run
 * exists (the job's own: a CLI run of the same bucket may be running beside it). */
static void on_progress(const fc_job_progress *p, void *user)
{
    cluster_arg *a = user;
    fc_api_job_progress(a->job, p->done, p->total, p->faces, p->eta_s);
    if (p->clustering_id && a->job)
        fc_api_job_set_clustering_id(a->job, p->clustering_id);
}

static int cmp_appearances(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    json_int_t na = json_integer_value(json_object_get(a, "total_appearances"));
    json_int_t nb = json_integer_value(json_object_get(b, "total_appearances"));
    return na < nb ? 1 : na > nb ? -1 : 0;
}

/* Distinct image paths of a person's members, in member order (a map of the paths
 * seen: a person can have thousands of faces); NULL when out of memory. */
static json_t *person_images(const fc_person_rec *p)
{
    json_t *paths = json_array();
    fc_strmap seen = {0};
    for (size_t i = 0; paths && i < p->n_members; i++) {
        const char *path = p->members[i].image_path;
        if (fc_strmap_get(&seen, path) >= 0)
            continue;
        if (fc_strmap_put(&seen, path, 1) || json_array_append_new(paths, fc_json_text(path)))
            json_decref(paths), paths = NULL;
    }
    fc_strmap_free(&seen);
    return paths;
}

/* The original's wait=true body for a finished run. */
static int result_body(fc_app *app, const fc_cluster_job_result *r, json_t **body)
{
    fc_error err = {0};
    fc_person_list persons = {0};
    fc_face_list loose = {0};
    if (fc_store_person_list(app->store, r->clustering_id, NULL, &persons, &err) ||
        fc_store_face_list(app->store, r->clustering_id, "", 0, &loose, &err)) {
        fc_person_list_free(&persons);
        *body = json_pack("{s:o}", "detail", fc_json_text(err.msg));
        return 500;
    }
    size_t n = persons.n;
    json_t **items = calloc(n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n && items; i++) {
        const fc_person_rec *p = &persons.items[i];
        json_t *imgs = person_images(p);
        items[i] = json_pack("{s:s,s:s,s:o,s:I,s:I,s:s,s:f,s:f}", "person_id", p->person_id,
                             "cluster_id", p->cluster_id, "image_paths", imgs,
                             "total_appearances", (json_int_t)p->n_members, "unique_images",
                             (json_int_t)json_array_size(imgs), "owner_face_id",
                             p->owner_face_id, "avg_confidence", (double)p->avg_confidence,
                             "best_quality", (double)p->best_quality_score);
    }
    int complete = items != NULL;
    for (size_t i = 0; i < n && complete; i++)
        complete = items[i] != NULL;
    if (!complete) {
        for (size_t i = 0; i < n && items; i++)
            json_decref(items[i]);
        free(items);
        fc_person_list_free(&persons);
        fc_face_list_free(&loose);
        *body = json_pack("{s:s}", "detail", "out of memory");
        return 500;
    }
    qsort(items, n, sizeof *items, cmp_appearances);
    json_t *clusters = json_array(), *unassigned = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(clusters, items[i]);
    for (size_t i = 0; i < loose.n; i++)
        json_array_append_new(unassigned, fc_json_text(loose.items[i].image_path));
    free(items);
    fc_person_list_free(&persons);
    fc_face_list_free(&loose);
    json_t *stats = fc_api_json_text(r->stats_json);
    json_object_set_new(stats, "clustering_id", json_string(r->clustering_id));
    char path[2 * FC_NAME_MAX + 2], now[FC_TIMESTAMP_LEN + 1];
    fc_bucket_path(r->bucket, r->sub, path, sizeof path);
    fc_timestamp_now(now);
    *body = json_pack("{s:s,s:o,s:o,s:s,s:o}", "bucket", path, "person_clusters", clusters,
                      "unassigned", unassigned, "timestamp", now, "stats", stats);
    return 200;
}

static int cluster_job(fc_api_job *job, void *arg, json_t **body)
{
    cluster_arg *a = arg;
    fc_cluster_job_opts o;
    fc_cluster_job_opts_default(&o);
    o.cfg = a->app->cfg;
    o.source = a->app->source;
    o.pipeline = a->app->pipeline;
    o.bucket = a->bucket;
    o.sub = a->sub;
    o.threads = a->max_concurrent;
    o.batch_size = a->batch_size;
    o.max_images = a->max_images;
    o.skip_quality_filter = a->skip_quality_filter;
    o.resume = a->resume;
    o.resume_id = a->resume_id[0] ? a->resume_id : NULL;
    o.incremental = a->incremental;
    o.resume_hint = a->resume_hint;
    a->job = job;
    fc_error err = {0};
    fc_cluster_job_result *r = NULL;
    fc_status rc = fc_cluster_job_run(&o, on_progress, a, fc_api_job_cancel_flag(job), &r, &err);
    if (rc) {
        int nothing = rc == FC_ERR_ARG && !strncmp(err.msg, "No valid images found", 21);
        *body = json_pack("{s:o}", "detail", fc_json_text(err.msg));
        /* a store, vector index or source that cannot be read or written (a full
           disk, a server away, an image source that stopped answering) is a storage
           failure, 503 as on enrolment (API.md); a run to continue or extend that
           another process took or changed after the request was checked, 409; the
           rest is unexpected, 500 */
        if (nothing)
            return 404;
        if (rc == FC_ERR_IO || rc == FC_ERR_UNAVAILABLE)
            return 503;
        return rc == FC_ERR_ARG && (a->resume || a->incremental) ? 409 : 500;
    }
    fc_api_job_set_clustering_id(job, r->clustering_id);
    fc_metric_add(fc_metric_counter("fc_faces_processed_total", "Faces found in images",
                                    (const char *[]){"caller", "cluster", NULL}),
                  (double)r->total_faces);
    int status;
    if (r->cancelled) {
        *body = json_pack("{s:s}", "detail", "Clustering cancelled; the run is left failed "
                                             "and can be resumed (resume=true)");
        status = 503;
    } else {
        status = result_body(a->app, r, body);
    }
    fc_cluster_job_result_free(r);
    return status;
}

/* wait=true: the answer is the job's, made on a deferred thread (http.h). */
typedef struct {
    fc_api_jobs *jobs;
    char job_id[FC_OBJECTID_LEN + 1];
} waiter;

static void wait_job(void *arg, fc_api_response *res)
{
    waiter *w = arg;
    json_t *body = NULL;
    int status = fc_api_jobs_wait(w->jobs, w->job_id, &body);
    free(w);
    if (!body)
        return fc_api_res_detail(res, 500, "job lost");
    fc_api_res_json(res, status, body);
}

/* resume=true and incremental=true need a run to continue or extend: without one the
 * answer is at once (a 404, or 409 for a named run that is not interrupted) rather
 * than a job that fails. The job looks again; this is for a clear answer. Returns 1
 * when it answered. */
static int answer_without_run(fc_app *app, const cluster_arg *a, fc_api_response *res)
{
    fc_error err = {0};
    if (a->resume_id[0]) {
        fc_run_rec run = {0};
        int found = 0;
        if (fc_store_run_get(app->store, a->resume_id, &run, &found, &err)) {
            fc_api_res_detail(res, 503, "Database error: %s", err.msg);
            return 1;
        }
        int ours = found && !strcmp(run.norm, a->norm);
        fc_run_status st = run.status;
        fc_run_rec_clear(&run);
        if (!ours)
            fc_api_res_detail(res, 404, "Clustering %s not found in person_clustering_%s",
                              a->resume_id, a->norm);
        else if (st != FC_RUN_FAILED)
            fc_api_res_detail(res, 409, "Clustering %s is %s: only an interrupted (failed) run "
                              "can be resumed", a->resume_id, fc_run_status_name(st));
        return !ours || st != FC_RUN_FAILED;
    }
    fc_run_list runs = {0};
    fc_run_status want = a->resume ? FC_RUN_FAILED : FC_RUN_DONE;
    if (fc_store_run_list(app->store, a->norm, 1u << want, &runs, &err)) {
        fc_api_res_detail(res, 503, "Database error: %s", err.msg);
        return 1;
    }
    size_t n = runs.n;
    fc_run_list_free(&runs);
    if (n)
        return 0;
    if (a->resume)
        fc_api_res_detail(res, 404, "No interrupted run of %s/%s to resume", a->bucket, a->sub);
    else
        fc_api_res_detail(res, 404, "No finished run of %s/%s to extend: cluster it once first",
                          a->bucket, a->sub);
    return 1;
}

/* The extension parameters resume, clustering_id and incremental into a; 1 when the
 * request was answered (refused). */
static int read_resume(const fc_api_request *req, fc_app *app, cluster_arg *a,
                       fc_api_response *res)
{
    a->resume = fc_api_req_bool(req, "resume");
    a->incremental = fc_api_req_bool(req, "incremental");
    const char *cid = fc_api_req_str(req, "clustering_id");
    if (a->resume && a->incremental) {
        fc_api_res_detail(res, 400, "resume and incremental exclude each other (a resumed "
                                    "incremental run stays incremental)");
        return 1;
    }
    if (cid && !a->resume) {
        fc_api_res_detail(res, 400, "clustering_id is taken only with resume=true");
        return 1;
    }
    if (cid)
        fc_objectid_canon(cid, a->resume_id);
    snprintf(a->resume_hint, sizeof a->resume_hint,
             "POST /cluster-bucket-persons/%s/%s?resume=true", a->bucket, a->sub);
    return (a->resume || a->incremental) && answer_without_run(app, a, res);
}

void fc_api_cluster_bucket(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    char prefix[2 * FC_NAME_MAX + 4], lock[FC_NORM_MAX + 16], url[FC_OBJECTID_LEN + 16];
    fc_error err = {0};
    fc_key_list keys = {0};
    snprintf(prefix, sizeof prefix, "%s/%s/", b, s);
    fc_status rc = fc_source_list(app->source, prefix, &keys, &err);
    if (rc) {
        fc_key_list_free(&keys);
        if (rc == FC_ERR_ARG) /* no such folder */
            return fc_api_res_detail(res, 404, "No valid images found in %s", prefix);
        return fc_api_res_detail(res, 500, "Error listing %s: %s", prefix, err.msg);
    }
    size_t n_keys = keys.n;
    fc_key_list_free(&keys);
    if (!n_keys)
        return fc_api_res_detail(res, 404, "No valid images found in %s", prefix);

    cluster_arg *a = calloc(1, sizeof *a);
    if (!a)
        return fc_api_res_detail(res, 500, "out of memory");
    a->app = app;
    snprintf(a->bucket, sizeof a->bucket, "%s", b);
    snprintf(a->sub, sizeof a->sub, "%s", s);
    fc_norm_collection(b, s, a->norm, sizeof a->norm);
    a->max_images = fc_api_req_has(req, "max_images") ? fc_api_req_int(req, "max_images") : 0;
    a->batch_size = (int)fc_api_req_int(req, "batch_size");
    a->max_concurrent = (int)fc_api_req_int(req, "max_concurrent");
    a->skip_quality_filter = fc_api_req_bool(req, "skip_quality_filter");
    if (read_resume(req, app, a, res)) {
        free(a);
        return;
    }
    int wait = fc_api_req_bool(req, "wait");
    /* The lock is the collection: b/s and names normalising alike share a run list. */
    snprintf(lock, sizeof lock, "cluster:%s", a->norm);
    char job_id[FC_OBJECTID_LEN + 1], cid[FC_OBJECTID_LEN + 1];
    char result[2 * FC_NAME_MAX + 64];
    snprintf(result, sizeof result, "/person-cluster-status/%s/%s?clustering_id=", b, s);
    fc_api_job_spec spec = {.kind = "cluster", .lock_key = lock, .result_url = result,
                            .fn = cluster_job, .arg = a, .free_arg = free, .wait = wait};
    int refused = fc_api_jobs_submit(app->jobs, &spec, job_id);
    if (refused == 409)
        return fc_api_res_detail(res, 409, "A clustering run of %s/%s is already in progress",
                                 b, s);
    if (refused)
        return fc_api_res_detail(res, 503, "Too many clustering requests waiting (or the "
                                           "server is stopping); retry, or use wait=false");
    if (wait) {
        waiter *w = malloc(sizeof *w);
        if (!w) /* the job runs anyway; its id is in /jobs */
            return fc_api_res_detail(res, 500, "out of memory waiting for job %s", job_id);
        w->jobs = app->jobs;
        memcpy(w->job_id, job_id, sizeof job_id);
        return fc_api_res_defer(res, wait_job, w);
    }
    fc_api_jobs_wait_clustering_id(app->jobs, job_id, ID_WAIT_MS, cid);
    snprintf(url, sizeof url, "/jobs/%s", job_id);
    fc_api_res_json(res, 202, json_pack("{s:s,s:s?,s:s}", "job_id", job_id, "clustering_id",
                                        cid[0] ? cid : NULL, "status_url", url));
}
