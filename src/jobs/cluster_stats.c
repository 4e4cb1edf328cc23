/* cluster_stats.c - the cluster job's numbers: the API.md `stats` object (also the
 * run's processing_stats), image_overlap_stats, the failed files, and the result's
 * lifetime. */
#include "jobs/cluster_int.h"

#include "core/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const method_names[] = {"graph", "original"};

const char *fc_cluster_method_name(fc_cluster_method m)
{
    return (unsigned)m < 2 ? method_names[m] : "graph";
}

int fc_cluster_method_parse(const char *s)
{
    for (int i = 0; s && i < 2; i++)
        if (!strcasecmp(s, method_names[i]))
            return i;
    return -1;
}

const char *fc_job_phase_name(fc_job_phase ph)
{
    static const char *const names[] = {"list", "images", "cluster", "save", "done"};
    return (unsigned)ph <= FC_JOB_PHASE_DONE ? names[ph] : "?";
}

void fc_cluster_job_result_free(fc_cluster_job_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_failed; i++)
        free(r->failed[i].path), free(r->failed[i].reason);
    free(r->failed);
    free(r->changes);
    free(r->stats_json);
    free(r);
}

fc_status fc_cj_load_images(fc_cj_ctx *c, fc_error *err)
{
    fc_cluster_job_result *res = c->res;
    fc_image_list imgs = {0};
    fc_status rc = fc_store_run_images(c->store, c->id, &imgs, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < res->n_failed; i++)
        free(res->failed[i].path), free(res->failed[i].reason);
    free(res->failed);
    res->failed = calloc(imgs.n ? imgs.n : 1, sizeof *res->failed);
    res->n_failed = 0;
    res->total_images = 0;
    if (!res->failed) {
        fc_image_list_free(&imgs);
        return fc_error_set(err, FC_ERR_NOMEM, "failed files");
    }
    for (size_t i = 0; i < imgs.n; i++) {
        if (imgs.items[i].ok) {
            res->total_images++;
            continue;
        }
        fc_failed_file *f = &res->failed[res->n_failed++];
        f->path = strdup(imgs.items[i].image_path);
        f->reason = strdup(imgs.items[i].reason ? imgs.items[i].reason : "failed");
        if (!f->path || !f->reason) {
            fc_image_list_free(&imgs);
            return fc_error_set(err, FC_ERR_NOMEM, "failed files");
        }
    }
    res->failed_count = (int64_t)res->n_failed;
    res->processed_file_count = res->total_images;
    fc_image_list_free(&imgs);
    return FC_OK;
}

static json_t *stats_object(const fc_cj_ctx *c)
{
    const fc_cluster_job_result *r = c->res;
    double t = r->processing_time_seconds;
    json_t *o = json_object(), *failed = json_array();
    if (!o || !failed) {
        json_decref(o), json_decref(failed);
        return NULL;
    }
    for (size_t i = 0; i < r->n_failed; i++)
        json_array_append_new(failed, json_pack("{s:o, s:o}", "path", fc_json_text(r->failed[i].path),
                                                "reason", fc_json_text(r->failed[i].reason)));
    int bad = 0;
    bad |= json_object_set_new(o, "total_persons", json_integer(r->total_persons));
    bad |= json_object_set_new(o, "total_images", json_integer(r->total_images));
    bad |= json_object_set_new(o, "total_faces", json_integer(r->total_faces));
    bad |= json_object_set_new(o, "unassigned_faces", json_integer(r->unassigned_faces));
    bad |= json_object_set_new(o, "single_person_images", json_integer(r->single_person_images));
    bad |= json_object_set_new(o, "multi_person_images", json_integer(r->multi_person_images));
    bad |= json_object_set_new(o, "max_persons_per_image", json_integer(r->max_persons_per_image));
    bad |= json_object_set_new(o, "avg_faces_per_person", json_real(r->avg_faces_per_person));
    bad |= json_object_set_new(o, "clustering_id", json_string(r->clustering_id));
    bad |= json_object_set_new(o, "database_saved", json_boolean(r->database_saved));
    bad |= json_object_set_new(o, "processing_time_seconds", json_real(t));
    bad |= json_object_set_new(o, "original_file_count", json_integer(r->original_file_count));
    bad |= json_object_set_new(o, "processed_file_count", json_integer(r->processed_file_count));
    bad |= json_object_set_new(o, "failed_files", json_integer(r->failed_count));
    bad |= json_object_set_new(o, "failed", failed);
    bad |= json_object_set_new(o, "batch_size_used", json_integer(r->batch_size_used));
    bad |= json_object_set_new(o, "max_concurrent_used", json_integer(r->max_concurrent_used));
    bad |= json_object_set_new(o, "avg_processing_time_per_image",
                               json_real(r->images_run ? t / (double)r->images_run : 0));
    bad |= json_object_set_new(o, "files_per_second",
                               json_real(t > 0 ? (double)r->images_run / t : 0));
    bad |= json_object_set_new(o, "clustering_method", json_string(fc_cluster_method_name(r->method)));
    bad |= json_object_set_new(o, "edge_threshold", json_real(r->edge_threshold));
    bad |= json_object_set_new(o, "merge_threshold", json_real(r->merge_threshold));
    bad |= json_object_set_new(o, "attach_threshold", json_real(r->attach_threshold));
    bad |= json_object_set_new(o, "images_run", json_integer(r->images_run));
    bad |= json_object_set_new(o, "images_skipped", json_integer(r->images_skipped));
    bad |= json_object_set_new(o, "resumed", json_boolean(r->resumed));
    if (r->base_id[0]) { /* no "extends" without a new run: the base is no run's base */
        if (!r->unchanged)
            bad |= json_object_set_new(o, "extends", json_string(r->base_id));
        bad |= json_object_set_new(o, "unchanged", json_boolean(r->unchanged));
        bad |= json_object_set_new(o, "new_faces", json_integer(r->new_faces));
        bad |= json_object_set_new(o, "joined_faces", json_integer(r->joined_faces));
        bad |= json_object_set_new(o, "new_persons", json_integer(r->n_new_persons));
        bad |= json_object_set_new(o, "new_images", json_integer(r->new_images));
        bad |= json_object_set_new(o, "removed_images", json_integer(r->removed_images));
        bad |= json_object_set_new(o, "removed_faces", json_integer(r->removed_faces));
        bad |= json_object_set_new(o, "removed_persons", json_integer(r->removed_persons));
        bad |= json_object_set_new(o, "changed_images", json_integer(r->changed_images));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

fc_status fc_cj_stats_json(fc_cj_ctx *c, char **overlap, char **processing)
{
    const fc_cluster_job_result *r = c->res;
    json_t *st = stats_object(c);
    json_t *ov = json_pack("{s:I, s:I, s:I}", "single_person_images",
                           (json_int_t)r->single_person_images, "multi_person_images",
                           (json_int_t)r->multi_person_images, "max_persons_per_image",
                           (json_int_t)r->max_persons_per_image);
    *overlap = ov ? fc_json_dump(ov, JSON_COMPACT) : NULL;
    *processing = st ? fc_json_dump(st, JSON_COMPACT) : NULL;
    json_decref(st);
    json_decref(ov);
    if (!*overlap || !*processing) {
        free(*overlap), free(*processing);
        *overlap = *processing = NULL;
        return FC_ERR_NOMEM;
    }
    return FC_OK;
}
