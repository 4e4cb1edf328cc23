/* assign_job.c - the assignment job (see assign_job.h). */
#include "jobs/assign_job.h"

#include "core/json.h"
#include "face/thresholds.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void fc_assign_job_result_free(fc_assign_job_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_items; i++)
        fc_assignment_rec_clear(&r->items[i]);
    free(r->items);
    for (int i = 0; i < r->unassigned_clusters; i++)
        free(r->unassigned_ids[i]);
    free(r->unassigned_ids);
    free(r->json);
    free(r);
}

static const fc_face_list *sort_list;
static int cmp_face_idx(const void *a, const void *b)
{
    return strcmp(sort_list->items[*(const size_t *)a].face_id,
                  sort_list->items[*(const size_t *)b].face_id);
}
static int cmp_key_face(const void *key, const void *b)
{
    return strcmp((const char *)key, sort_list->items[*(const size_t *)b].face_id);
}

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

static const char *reason_name(fc_assign_outcome o)
{
    switch (o) {
    case FC_ASSIGN_OK: return "assigned";
    case FC_ASSIGN_BELOW_THRESHOLD: return "below_threshold";
    case FC_ASSIGN_AMBIGUOUS: return "ambiguous";
    case FC_ASSIGN_TAKEN: return "taken";
    }
    return "";
}

static json_t *finite_or_null(float v)
{
    return isfinite(v) ? json_real((double)v) : json_null();
}

/* Why a cluster has no user (extension "unassigned_details"): the reason, the user it
 * came closest to and how close, the runner-up's similarity, and with one_to_one the
 * cluster that kept that user (often the same person, split in two). */
static json_t *unassigned_detail(const fc_person_list *pl, const fc_profile_list *users,
                                 const fc_assignment *a)
{
    json_t *d = json_pack("{s:s, s:o, s:o, s:o}", "reason", reason_name(a->outcome), "best_user_id",
                          a->best_user >= 0 ? json_string(users->items[a->best_user].user_id) : json_null(),
                          "similarity", a->best_user >= 0 ? finite_or_null(a->similarity) : json_null(),
                          "second_similarity", finite_or_null(a->second));
    if (d && a->taken_by >= 0)
        json_object_set_new(d, "taken_by", json_string(pl->items[a->taken_by].cluster_id));
    return d;
}

static json_t *result_json(const fc_assign_job_result *r, const fc_assign_job_opts *o,
                           const fc_person_list *pl, const fc_profile_list *users, const fc_assignment *as)
{
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    json_t *amap = json_object(), *un = json_array(), *why = o->explain ? json_object() : NULL;
    size_t k = 0;
    for (size_t q = 0; q < pl->n; q++) {
        if (as[q].outcome != FC_ASSIGN_OK) {
            json_array_append_new(un, json_string(pl->items[q].cluster_id));
            if (why)
                json_object_set_new(why, pl->items[q].cluster_id, unassigned_detail(pl, users, &as[q]));
            continue;
        }
        const fc_assignment_rec *a = &r->items[k++];
        json_t *paths = json_array(), *ids = json_array();
        for (size_t i = 0; i < a->n_image_paths; i++)
            json_array_append_new(paths, fc_json_text(a->image_paths[i]));
        for (size_t i = 0; i < a->n_face_ids; i++)
            json_array_append_new(ids, json_string(a->face_ids[i]));
        json_object_set_new(amap, a->cluster_id,
                            json_pack("{s:s, s:f, s:I, s:o, s:o, s:s, s:s, s:f}", "user_id",
                                      a->user_id, "similarity", (double)a->similarity,
                                      "face_count", (json_int_t)a->face_count, "image_paths",
                                      paths, "face_ids", ids, "person_id", pl->items[q].person_id,
                                      "owner_face_id", pl->items[q].owner_face_id,
                                      "avg_confidence", (double)pl->items[q].avg_confidence));
    }
    /* "s:o*": unassigned_details only with explain (why is NULL otherwise) */
    return json_pack("{s:s, s:s, s:s, s:f, s:s, s:b, s:i, s:i, s:i, s:o, s:o, s:b, s:s, s:o*}",
                     "clustering_id", r->clustering_id, "collection_name", r->collection_name, "bucket_path",
                     r->bucket_path, "threshold", (double)r->threshold, "strategy",
                     o->strategy == FC_ASSIGN_VOTE ? "vote" : "centroid", "dry_run", o->dry_run,
                     "total_clusters", r->total_clusters, "assigned_clusters",
                     r->assigned_clusters, "unassigned_clusters", r->unassigned_clusters,
                     "assignments", amap, "unassigned_cluster_ids", un, "saved_to_db",
                     r->saved_to_db, "timestamp", now, "unassigned_details", why);
}

fc_status fc_assign_job_run(fc_store *s, const fc_assign_job_opts *o, fc_assign_job_result **out,
                            fc_error *err)
{
    *out = NULL;
    fc_run_rec run = {0};
    fc_person_list pl = {0};
    fc_face_list fl = {0};
    fc_profile_list users = {0};
    float *cen = NULL, *uemb = NULL;
    int64_t *mstart = NULL, *members = NULL;
    size_t *fidx = NULL;
    fc_assignment *as = NULL;
    int found = 0;
    if (!fc_objectid_valid(o->clustering_id))
        return fc_error_set(err, FC_ERR_ARG, "Invalid clustering_id format");
    fc_assign_job_result *r = calloc(1, sizeof *r);
    if (!r)
        return fc_error_set(err, FC_ERR_NOMEM, "assign result");
    fc_status rc = fc_store_run_get(s, o->clustering_id, &run, &found, err);
    if (!rc && (!found || run.status != FC_RUN_DONE))
        rc = fc_error_set(err, FC_ERR_ARG, "Clustering %s not found", o->clustering_id);
    if (!rc)
        rc = fc_store_profile_list(s, 0, &users, err);
    if (!rc && !users.n)
        rc = fc_error_set(err, FC_ERR_ARG, "No user profiles found");
    if (!rc)
        rc = fc_store_person_list(s, o->clustering_id, NULL, &pl, err);
    if (!rc)
        rc = fc_store_face_list(s, o->clustering_id, NULL, 1, &fl, err);
    if (rc)
        goto out;
    snprintf(r->clustering_id, sizeof r->clustering_id, "%s", run.clustering_id);
    fc_bucket_path(run.bucket, run.sub, r->bucket_path, sizeof r->bucket_path);
    snprintf(r->collection_name, sizeof r->collection_name, "person_clustering_%s", run.norm);
    int dim = users.items[0].dim;
    r->threshold = o->threshold > 0 ? o->threshold
                   : fc_thresholds_for(fc_embedder_kind_parse(users.items[0].embedding_model) < 0
                                           ? FC_EMBEDDER_AUTO
                                           : (fc_embedder_kind)fc_embedder_kind_parse(
                                                 users.items[0].embedding_model))->assign;
    size_t nc = pl.n, nf = fl.n, nu = users.n;
    cen = calloc((nc ? nc : 1) * (size_t)dim, sizeof *cen);
    uemb = malloc(nu * (size_t)dim * sizeof *uemb);
    mstart = calloc(nc + 1, sizeof *mstart);
    members = malloc((nf ? nf : 1) * sizeof *members);
    fidx = malloc((nf ? nf : 1) * sizeof *fidx);
    float *femb = malloc((nf ? nf : 1) * (size_t)dim * sizeof *femb);
    as = calloc(nc ? nc : 1, sizeof *as);
    r->items = calloc(nc ? nc : 1, sizeof *r->items);
    r->unassigned_ids = calloc(nc ? nc : 1, sizeof *r->unassigned_ids);
    if (!cen || !uemb || !mstart || !members || !fidx || !femb || !as || !r->items || !r->unassigned_ids) {
        free(femb);
        rc = fc_error_set(err, FC_ERR_NOMEM, "assignment of %zu clusters", nc);
        goto out;
    }
    for (size_t u = 0; u < nu; u++) {
        if (users.items[u].dim != dim) {
            free(femb);
            rc = fc_error_set(err, FC_ERR_ARG, "profile %s has %d-d embedding, expected %d",
                              users.items[u].user_id, users.items[u].dim, dim);
            goto out;
        }
        memcpy(uemb + u * (size_t)dim, users.items[u].embedding, (size_t)dim * sizeof(float));
    }
    for (size_t i = 0; i < nf; i++) {
        fidx[i] = i;
        if (fl.items[i].dim == dim)
            memcpy(femb + i * (size_t)dim, fl.items[i].embedding, (size_t)dim * sizeof(float));
    }
    sort_list = &fl;
    qsort(fidx, nf, sizeof *fidx, cmp_face_idx);
    int64_t k = 0;
    for (size_t q = 0; q < nc; q++) {
        const fc_person_rec *p = &pl.items[q];
        mstart[q] = k;
        if (p->centroid && p->dim == dim)
            memcpy(cen + q * (size_t)dim, p->centroid, (size_t)dim * sizeof(float));
        for (size_t m = 0; m < p->n_members; m++) {
            size_t *hit = bsearch(p->members[m].face_id, fidx, nf, sizeof *fidx, cmp_key_face);
            if (hit)
                members[k++] = (int64_t)*hit;
        }
    }
    mstart[nc] = k;
    fc_assign_clusters cl = {(int)nc, dim, cen, mstart, members, femb};
    fc_assign_params ap = fc_assign_params_default();
    ap.strategy = o->strategy, ap.threshold = r->threshold, ap.margin = o->margin;
    ap.one_to_one = o->one_to_one;
    rc = nc ? fc_assign_run(&cl, uemb, (int64_t)nu, &ap, as, err) : FC_OK;
    free(femb);
    if (rc)
        goto out;
    r->total_clusters = (int)nc;
    for (size_t q = 0; q < nc; q++) {
        const fc_person_rec *p = &pl.items[q];
        if (as[q].outcome != FC_ASSIGN_OK) {
            r->unassigned_ids[r->unassigned_clusters++] = dup_str(p->cluster_id);
            continue;
        }
        fc_assignment_rec *a = &r->items[r->n_items++];
        snprintf(a->clustering_id, sizeof a->clustering_id, "%s", run.clustering_id);
        snprintf(a->cluster_id, sizeof a->cluster_id, "%s", p->cluster_id);
        snprintf(a->bucket_name, sizeof a->bucket_name, "%s", run.bucket);
        snprintf(a->sub_bucket, sizeof a->sub_bucket, "%s", run.sub);
        snprintf(a->user_id, sizeof a->user_id, "%s", users.items[as[q].user].user_id);
        a->similarity = as[q].similarity;
        snprintf(a->strategy, sizeof a->strategy, "%s", o->strategy == FC_ASSIGN_VOTE ? "vote" : "centroid");
        a->face_count = (int64_t)p->n_members;
        a->image_paths = calloc(p->n_members ? p->n_members : 1, sizeof(char *));
        a->face_ids = calloc(p->n_members ? p->n_members : 1, sizeof(char *));
        for (size_t m = 0; a->image_paths && a->face_ids && m < p->n_members; m++) {
            a->image_paths[a->n_image_paths++] = dup_str(p->members[m].image_path);
            a->face_ids[a->n_face_ids++] = dup_str(p->members[m].face_id);
        }
        r->assigned_clusters++;
    }
    if (!o->dry_run) {
        int64_t deleted = 0;
        if (o->overwrite)
            rc = fc_store_assignment_delete_run(s, run.clustering_id, &deleted, err);
        if (!rc && r->n_items)
            rc = fc_store_assignment_upsert(s, r->items, r->n_items, err);
        if (rc)
            goto out;
        r->saved_to_db = 1;
    }
    json_t *j = result_json(r, o, &pl, &users, as);
    r->json = j ? fc_json_dump(j, JSON_COMPACT) : NULL;
    json_decref(j);
out:
    free(cen), free(uemb), free(mstart), free(members), free(fidx), free(as);
    fc_run_rec_clear(&run);
    fc_person_list_free(&pl);
    fc_face_list_free(&fl);
    fc_profile_list_free(&users);
    if (rc) {
        fc_assign_job_result_free(r);
        return rc;
    }
    *out = r;
    return FC_OK;
}
