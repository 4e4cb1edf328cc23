/* cluster_job.c - fc_cluster_job_run: opens the stores, lists the bucket, creates,
 * resumes or extends the run, hands the images to cluster_ingest.c and the grouping
 * to cluster_finish.c, and marks the run failed on any error or cancel. */
#include "jobs/cluster_int.h"

#include "core/clock.h"
#include "core/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void fc_cluster_job_opts_default(fc_cluster_job_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 2;
    o->batch_size = 30;
    o->method = FC_CLUSTER_METHOD_GRAPH;
    o->cannot_link = 1;
    o->min_faces = 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run's options, kept with it so that a resume clusters the same way. */
char *fc_cj_params_json(const fc_cj_ctx *c)
{
    json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:i, s:i, s:s}", "method",
                          fc_cluster_method_name(c->method), "edge_threshold", (double)c->edge,
                          "merge_threshold", (double)c->merge, "attach_threshold",
                          (double)c->attach, "min_faces", c->min_faces,
                          "cannot_link", c->cannot_link, "extends", c->base_id);
    char *s = o ? fc_json_dump(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

void fc_cj_params_load(fc_cj_ctx *c, const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!o)
        return;
    const char *m = json_string_value(json_object_get(o, "method"));
    const char *base = json_string_value(json_object_get(o, "extends"));
    json_t *v;
    if (m && fc_cluster_method_parse(m) >= 0)
        c->method = (fc_cluster_method)fc_cluster_method_parse(m);
    if ((v = json_object_get(o, "edge_threshold")) && json_is_number(v))
        c->edge = (float)json_number_value(v);
    if ((v = json_object_get(o, "merge_threshold")) && json_is_number(v))
        c->merge = (float)json_number_value(v);
    if ((v = json_object_get(o, "attach_threshold")) && json_is_number(v))
        c->attach = (float)json_number_value(v);
    if ((v = json_object_get(o, "min_faces")) && json_is_integer(v))
        c->min_faces = (int)json_integer_value(v);
    if ((v = json_object_get(o, "cannot_link")) && json_is_integer(v))
        c->cannot_link = (int)json_integer_value(v);
    if (base && fc_objectid_valid(base))
        snprintf(c->base_id, sizeof c->base_id, "%s", base);
    json_decref(o);
}

/* The newest run of the bucket with status st; *found = 0 when none. */
static fc_status newest_run(fc_cj_ctx *c, const char *norm, fc_run_status st, fc_run_rec *out,
                            int *found, fc_error *err)
{
    fc_run_list l = {0};
    *found = 0;
    fc_status rc = fc_store_run_list(c->store, norm, FC_RUNS_ALL, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++)
        if (l.items[i].status == st && !*found) {
            *out = l.items[i];
            memset(&l.items[i], 0, sizeof l.items[i]);
            *found = 1;
        }
    fc_run_list_free(&l);
    return rc;
}

/* *same = 1 when the listing (keys) holds exactly the images of the base run, each
 * read fine and unchanged: the same fingerprint, recorded (a base image without one
 * gets the listing's from a new run). An incremental run would then copy the base as
 * it is, and none is made. */
static fc_status base_unchanged(fc_cj_ctx *c, const fc_key_list *keys, int *same, fc_error *err)
{
    fc_image_list imgs = {0};
    fc_status rc = fc_store_run_images(c->store, c->base_id, &imgs, err);
    *same = !rc && imgs.n == keys->n;
    for (size_t i = 0; *same && i < imgs.n; i++) {
        const fc_image_rec *b = &imgs.items[i];
        ptrdiff_t at = fc_key_list_find(keys, b->image_path);
        const char *fp = at >= 0 ? keys->fprints[at] : NULL;
        *same = at >= 0 && b->ok && !fc_cj_base_changed(b, fp) && (b->fingerprint || !fp);
    }
    fc_image_list_free(&imgs);
    return rc;
}

/* The numbers of an incremental run with nothing to do: the base run's (c->id). */
static fc_status unchanged_result(fc_cj_ctx *c, const fc_run_rec *base, fc_error *err)
{
    fc_cluster_job_result *res = c->res;
    json_t *ov = base->image_overlap_stats ? json_loads(base->image_overlap_stats, 0, NULL) : NULL;
    res->single_person_images = json_integer_value(json_object_get(ov, "single_person_images"));
    res->multi_person_images = json_integer_value(json_object_get(ov, "multi_person_images"));
    res->max_persons_per_image = json_integer_value(json_object_get(ov, "max_persons_per_image"));
    json_decref(ov);
    res->total_faces = base->total_faces;
    res->total_persons = base->total_persons;
    res->unassigned_faces = base->unassigned_faces;
    res->avg_faces_per_person =
        base->total_persons
            ? (double)(base->total_faces - base->unassigned_faces) / (double)base->total_persons
            : 0;
    fc_status rc = fc_cj_load_images(c, err);
    if (rc)
        return rc;
    res->images_skipped = res->total_images;
    res->database_saved = 1;
    return FC_OK;
}

/* Creates, resumes or extends the run: c->id set, and the run is ours. An incremental
 * run with nothing new in keys (the bucket's listing) makes none: c->res->unchanged,
 * c->id is the base run and its numbers are the result. */
static fc_status open_run(fc_cj_ctx *c, const char *norm, const fc_key_list *keys, fc_error *err)
{
    const fc_cluster_job_opts *o = c->o;
    fc_run_rec prev = {0}, run = {0};
    int found = 0;
    fc_status rc = FC_OK;
    if (o->resume) {
        if (o->resume_id) {
            rc = fc_store_run_get(c->store, o->resume_id, &prev, &found, err);
            /* only a failed run of this bucket: another's would take in these images */
            if (!rc && found && (prev.status != FC_RUN_FAILED || strcmp(prev.norm, norm)))
                found = 0;
        } else {
            rc = newest_run(c, norm, FC_RUN_FAILED, &prev, &found, err);
        }
        if (!rc && !found)
            rc = fc_error_set(err, FC_ERR_ARG, "no interrupted run of %s/%s to resume",
                              o->bucket, o->sub);
        if (rc)
            goto out;
        snprintf(c->id, sizeof c->id, "%s", prev.clustering_id);
        fc_cj_params_load(c, prev.params);
        rc = fc_store_run_resume(c->store, c->id, err);
        c->res->resumed = 1;
        goto out;
    }
    if (o->incremental) {
        rc = newest_run(c, norm, FC_RUN_DONE, &prev, &found, err);
        if (!rc && !found)
            rc = fc_error_set(err, FC_ERR_ARG,
                              "no finished run of %s/%s to extend: cluster it once first",
                              o->bucket, o->sub);
        if (rc)
            goto out;
        fc_cj_params_load(c, prev.params); /* the base's method and thresholds */
        /* after the load, which sets base_id to the base's own base ("extends") */
        snprintf(c->base_id, sizeof c->base_id, "%s", prev.clustering_id);
        int same = 0;
        if ((rc = base_unchanged(c, keys, &same, err)))
            goto out;
        if (same) {
            snprintf(c->id, sizeof c->id, "%s", prev.clustering_id);
            c->res->unchanged = 1;
            rc = unchanged_result(c, &prev, err);
            goto out;
        }
    }
    snprintf(run.bucket, sizeof run.bucket, "%s", o->bucket);
    snprintf(run.sub, sizeof run.sub, "%s", o->sub);
    run.params = fc_cj_params_json(c);
    if (!run.params) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "run params");
        goto out;
    }
    rc = fc_store_run_create(c->store, &run, err);
    if (!rc)
        snprintf(c->id, sizeof c->id, "%s", run.clustering_id);
out:
    fc_run_rec_clear(&prev);
    fc_run_rec_clear(&run);
    return rc;
}

/* Keys of the listing not stored in the run yet: *todo, with their fingerprints in
 * *todo_fp (pointers into keys). */
static fc_status keys_to_do(fc_cj_ctx *c, const fc_key_list *keys, char ***todo,
                            char ***todo_fp, size_t *n_todo, fc_error *err)
{
    fc_image_list done = {0};
    fc_status rc = fc_store_run_images(c->store, c->id, &done, err);
    if (rc)
        return rc;
    char **have = malloc((done.n ? done.n : 1) * sizeof *have);
    *todo = malloc((keys->n ? keys->n : 1) * sizeof **todo);
    *todo_fp = malloc((keys->n ? keys->n : 1) * sizeof **todo_fp);
    *n_todo = 0;
    if (!have || !*todo || !*todo_fp) {
        free(have);
        fc_image_list_free(&done);
        return fc_error_set(err, FC_ERR_NOMEM, "key lists");
    }
    int64_t faces = 0;
    for (size_t i = 0; i < done.n; i++)
        have[i] = done.items[i].image_path, faces += done.items[i].n_faces;
    qsort(have, done.n, sizeof *have, cmp_str);
    for (size_t i = 0; i < keys->n; i++)
        if (!bsearch(&keys->keys[i], have, done.n, sizeof *have, cmp_str)) {
            (*todo)[*n_todo] = keys->keys[i];
            (*todo_fp)[(*n_todo)++] = keys->fprints[i];
        }
    c->prog.done = c->prog.skipped = (int64_t)done.n;
    c->prog.faces = faces;
    c->prog.total = (int64_t)(done.n + *n_todo);
    c->res->images_skipped = (int64_t)done.n;
    free(have);
    fc_image_list_free(&done);
    return FC_OK;
}

void fc_cj_init_ctx(fc_cj_ctx *c, const fc_cluster_job_opts *o)
{
    const fc_thresholds *th = fc_pipeline_thresholds(o->pipeline);
    const fc_config *cfg = o->cfg;
    c->o = o;
    c->method = o->method;
    c->edge = o->edge_threshold > 0                          ? o->edge_threshold
              : cfg && cfg->person_similarity_threshold > 0 ? (float)cfg->person_similarity_threshold
                                                             : th->cluster_edge;
    c->merge = o->merge_threshold > 0                     ? o->merge_threshold
               : cfg && cfg->person_merge_threshold > 0 ? (float)cfg->person_merge_threshold
                                                        : th->merge;
    c->attach = o->attach_threshold > 0                      ? o->attach_threshold
                : cfg && cfg->person_attach_threshold > 0 ? (float)cfg->person_attach_threshold
                                                          : th->attach;
    c->min_faces = o->min_faces > 0 ? o->min_faces : 1;
    c->cannot_link = o->cannot_link;
    c->min_confidence = o->skip_quality_filter || !cfg ? 0 : (float)cfg->min_confidence;
    c->t0 = c->images_t0 = fc_now_s();
}

static fc_status check_opts(const fc_cluster_job_opts *o, fc_error *err)
{
    if (!o || !o->cfg || !o->source || !o->pipeline)
        return fc_error_set(err, FC_ERR_ARG, "cluster job: cfg, source and pipeline are needed");
    if (!fc_name_valid(o->bucket) || !fc_name_valid(o->sub))
        return fc_error_set(err, FC_ERR_ARG, "invalid bucket or sub-bucket name");
    if (o->batch_size < 0 || o->batch_size > 50 || o->threads < 0 || o->threads > 256)
        return fc_error_set(err, FC_ERR_ARG, "batch_size must be 1..50 and threads 1..256");
    if (o->resume && o->incremental)
        return fc_error_set(err, FC_ERR_ARG, "resume and incremental exclude each other "
                                             "(a resumed incremental run stays incremental)");
    return FC_OK;
}

fc_status fc_cluster_job_run(const fc_cluster_job_opts *opts, fc_job_progress_fn progress,
                             void *user, volatile int *cancel, fc_cluster_job_result **out,
                             fc_error *err)
{
    *out = NULL;
    fc_status rc = check_opts(opts, err);
    if (rc)
        return rc;
    fc_cj_ctx c = {.progress_fn = progress, .user = user, .cancel = cancel};
    fc_key_list keys = {0};
    char **todo = NULL, **todo_fp = NULL;
    size_t n_todo = 0;
    char norm[FC_NORM_MAX], prefix[2 * FC_NAME_MAX + 4];
    fc_cj_init_ctx(&c, opts);
    c.res = calloc(1, sizeof *c.res);
    if (!c.res)
        return fc_error_set(err, FC_ERR_NOMEM, "job result");
    fc_cluster_job_result *res = c.res;
    snprintf(res->bucket, sizeof res->bucket, "%s", opts->bucket);
    snprintf(res->sub, sizeof res->sub, "%s", opts->sub);
    res->batch_size_used = opts->batch_size > 0 ? opts->batch_size : 30;
    res->max_concurrent_used = opts->threads > 0 ? opts->threads : 1;
    fc_norm_collection(opts->bucket, opts->sub, norm, sizeof norm);
    snprintf(prefix, sizeof prefix, "%s/%s/", opts->bucket, opts->sub);

    c.prog.phase = FC_JOB_PHASE_LIST;
    fc_cj_report(&c, 1);
    c.store = fc_store_open(opts->cfg, err);
    if (!c.store) {
        rc = err ? err->code : FC_ERR_IO;
        goto out;
    }
    c.vec = fc_vectors_open(opts->cfg, err);
    if (!c.vec) {
        rc = err ? err->code : FC_ERR_IO;
        goto out;
    }
    rc = fc_vectors_ensure(c.vec, fc_pipeline_dim(opts->pipeline), err);
    if (!rc)
        rc = fc_source_list(opts->source, prefix, &keys, err);
    if (rc)
        goto out;
    /* the images to run: the first max_images; an incremental run still keeps every
       base image that is listed, beyond them too */
    fc_key_list use = keys;
    if (opts->max_images > 0 && use.n > (size_t)opts->max_images)
        use.n = (size_t)opts->max_images;
    res->original_file_count = (int64_t)use.n;
    if (!use.n && !opts->resume) {
        rc = fc_error_set(err, FC_ERR_ARG, "No valid images found in %s", prefix);
        goto out;
    }
    rc = open_run(&c, norm, &keys, err);
    if (rc)
        goto out;
    snprintf(res->clustering_id, sizeof res->clustering_id, "%s", c.id);
    snprintf(res->base_id, sizeof res->base_id, "%s", c.base_id);
    res->method = c.method, res->edge_threshold = c.edge, res->merge_threshold = c.merge;
    res->attach_threshold = c.attach;
    if (res->unchanged) { /* the base run is the result: nothing written, nothing to fail */
        char *ov = NULL;
        res->processing_time_seconds = fc_now_s() - c.t0;
        if (fc_cj_stats_json(&c, &ov, &res->stats_json) == FC_OK)
            free(ov);
        c.prog.phase = FC_JOB_PHASE_DONE;
        fc_cj_report(&c, 1);
        goto out;
    }
    c.prog.phase = FC_JOB_PHASE_IMAGES;
    c.prog.clustering_id = c.id;
    if (c.base_id[0])
        rc = fc_cj_copy_base(&c, &keys, err);
    if (!rc)
        rc = keys_to_do(&c, &use, &todo, &todo_fp, &n_todo, err);
    if (rc)
        goto fail;
    c.images_t0 = fc_now_s();
    fc_cj_report(&c, 1);
    rc = fc_cj_ingest(&c, todo, todo_fp, n_todo, err);
    if (rc)
        goto fail;
    if (fc_cj_cancelled(&c)) {
        res->cancelled = 1;
        fc_store_run_fail(c.store, c.id, "cancelled", NULL);
        fc_cj_load_images(&c, NULL);
        goto out;
    }
    rc = fc_cj_finish(&c, err);
    if (rc)
        goto fail;
    char *ov = NULL;
    if (fc_cj_stats_json(&c, &ov, &res->stats_json) == FC_OK)
        free(ov);
    c.prog.phase = FC_JOB_PHASE_DONE;
    fc_cj_report(&c, 1);
    goto out;
fail:
    if (c.id[0])
        fc_store_run_fail(c.store, c.id, err && err->msg[0] ? err->msg : fc_strerror(rc), NULL);
out:
    free(todo);
    free(todo_fp);
    fc_key_list_free(&keys);
    fc_vectors_close(c.vec);
    fc_store_close(c.store);
    if (rc) {
        fc_cluster_job_result_free(res);
        return rc;
    }
    *out = res;
    return FC_OK;
}
