/* assign.c - one run's persons to enrolled users (assign.h). */
#include "api/assign.h"

#include "cluster/assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_face_id(const void *a, const void *b)
{
    return strcmp(((const fc_face_rec *)a)->face_id, ((const fc_face_rec *)b)->face_id);
}

/* Row of face_id in faces (sorted by face_id), or -1. */
static int64_t face_row(const fc_face_list *faces, const char *face_id)
{
    fc_face_rec key;
    snprintf(key.face_id, sizeof key.face_id, "%s", face_id);
    const fc_face_rec *f = bsearch(&key, faces->items, faces->n, sizeof *faces->items,
                                   cmp_face_id);
    return f ? f - faces->items : -1;
}

static json_t *str_array(const fc_person_rec *p, int ids)
{
    json_t *a = json_array();
    for (size_t k = 0; k < p->n_members; k++)
        json_array_append_new(a, json_string(ids ? p->members[k].face_id
                                                 : p->members[k].image_path));
    return a;
}

fc_status fc_api_assign_one(fc_app *app, const fc_run_rec *run, const fc_profile_list *profiles,
                            const fc_api_assign_opts *o, json_t **out, fc_error *err)
{
    fc_person_list persons = {0};
    fc_face_list faces = {0};
    float *emb = NULL, *cent = NULL, *users = NULL;
    int64_t *starts = NULL, *members = NULL;
    fc_assignment *res = NULL;
    fc_assignment_rec *recs = NULL;
    int64_t *user_row = NULL;
    size_t n_users = 0, n_recs = 0;
    fc_status rc = fc_store_person_list(app->store, run->clustering_id, NULL, &persons, err);
    if (!rc)
        rc = fc_store_face_list(app->store, run->clustering_id, NULL, 1, &faces, err);
    if (rc)
        goto out;
    int dim = 0;
    for (size_t i = 0; i < faces.n && !dim; i++)
        dim = faces.items[i].dim;
    qsort(faces.items, faces.n, sizeof *faces.items, cmp_face_id);
    size_t np = persons.n, total_members = 0;
    for (size_t i = 0; i < np; i++)
        total_members += persons.items[i].n_members;
    emb = calloc(faces.n * (size_t)dim + 1, sizeof *emb);
    cent = calloc(np * (size_t)dim + 1, sizeof *cent);
    users = calloc(profiles->n * (size_t)dim + 1, sizeof *users);
    user_row = calloc(profiles->n + 1, sizeof *user_row);
    starts = calloc(np + 1, sizeof *starts);
    members = calloc(total_members + 1, sizeof *members);
    res = calloc(np + 1, sizeof *res);
    recs = calloc(np + 1, sizeof *recs);
    if (!emb || !cent || !users || !user_row || !starts || !members || !res || !recs) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "assignment buffers");
        goto out;
    }
    for (size_t i = 0; i < faces.n; i++)
        if (faces.items[i].dim == dim && faces.items[i].embedding)
            memcpy(emb + i * (size_t)dim, faces.items[i].embedding, (size_t)dim * sizeof *emb);
    for (size_t i = 0; i < profiles->n; i++)
        if (profiles->items[i].dim == dim) {
            memcpy(users + n_users * (size_t)dim, profiles->items[i].embedding,
                   (size_t)dim * sizeof *users);
            user_row[n_users++] = (int64_t)i;
        }
    /* Centroids: the normalised mean of each person's face embeddings. */
    int64_t m = 0;
    for (size_t i = 0; i < np; i++) {
        const fc_person_rec *p = &persons.items[i];
        float *c = cent + i * (size_t)dim;
        starts[i] = m;
        for (size_t k = 0; k < p->n_members; k++) {
            int64_t r = face_row(&faces, p->members[k].face_id);
            if (r < 0)
                continue;
            members[m++] = r;
            for (int d = 0; d < dim; d++)
                c[d] += emb[r * dim + d];
        }
        double norm = 0;
        for (int d = 0; d < dim; d++)
            norm += (double)c[d] * c[d];
        for (int d = 0; d < dim && norm > 0; d++)
            c[d] = (float)(c[d] / sqrt(norm));
    }
    starts[np] = m;
    fc_assign_params ap = fc_assign_params_default();
    ap.strategy = !strcmp(o->strategy, "vote") ? FC_ASSIGN_VOTE : FC_ASSIGN_CENTROID;
    ap.threshold = (float)o->threshold;
    ap.margin = (float)o->margin;
    ap.one_to_one = o->one_to_one;
    fc_assign_clusters ac = {.n_clusters = (int)np, .dim = dim, .centroids = cent,
                             .member_start = starts, .members = members, .emb = emb};
    if (np && n_users && dim) {
        rc = fc_assign_run(&ac, users, (int64_t)n_users, &ap, res, err);
        if (rc)
            goto out;
    } else {
        for (size_t i = 0; i < np; i++)
            res[i].user = -1;
    }
    json_t *assigned = json_object(), *unassigned = json_array();
    for (size_t i = 0; i < np; i++) {
        const fc_person_rec *p = &persons.items[i];
        if (res[i].outcome != FC_ASSIGN_OK || res[i].user < 0) {
            json_array_append_new(unassigned, json_string(p->cluster_id));
            continue;
        }
        const fc_profile_rec *u = &profiles->items[user_row[res[i].user]];
        json_object_set_new(assigned, p->cluster_id,
                            json_pack("{s:s,s:f,s:I,s:o,s:o,s:s,s:s,s:f}", "user_id", u->user_id,
                                      "similarity", (double)res[i].similarity, "face_count",
                                      (json_int_t)p->n_members, "image_paths", str_array(p, 0),
                                      "face_ids", str_array(p, 1), "person_id", p->person_id,
                                      "owner_face_id", p->owner_face_id, "avg_confidence",
                                      (double)p->avg_confidence));
        fc_assignment_rec *a = &recs[n_recs++];
        memcpy(a->clustering_id, run->clustering_id, sizeof a->clustering_id);
        snprintf(a->cluster_id, sizeof a->cluster_id, "%s", p->cluster_id);
        snprintf(a->bucket_name, sizeof a->bucket_name, "%s", run->bucket);
        snprintf(a->sub_bucket, sizeof a->sub_bucket, "%s", run->sub);
        snprintf(a->user_id, sizeof a->user_id, "%s", u->user_id);
        a->similarity = res[i].similarity;
        snprintf(a->strategy, sizeof a->strategy, "%s", o->strategy);
        a->face_count = (int64_t)p->n_members;
        a->n_image_paths = a->n_face_ids = p->n_members;
        a->image_paths = calloc(p->n_members + 1, sizeof *a->image_paths);
        a->face_ids = calloc(p->n_members + 1, sizeof *a->face_ids);
        for (size_t k = 0; k < p->n_members && a->image_paths && a->face_ids; k++) {
            a->image_paths[k] = p->members[k].image_path; /* borrowed: freed below */
            a->face_ids[k] = p->members[k].face_id;
        }
    }
    int saved = 0;
    if (!o->dry_run) {
        int64_t gone = 0;
        rc = o->overwrite ? fc_store_assignment_delete_run(app->store, run->clustering_id,
                                                           &gone, err) : FC_OK;
        if (!rc && n_recs)
            rc = fc_store_assignment_upsert(app->store, recs, n_recs, err);
        saved = !rc;
    }
    if (rc) {
        json_decref(assigned);
        json_decref(unassigned);
        goto out;
    }
    char path[2 * FC_NAME_MAX + 2], coll[FC_NORM_MAX + 32], now[FC_TIMESTAMP_LEN + 1];
    fc_bucket_path(run->bucket, run->sub, path, sizeof path);
    snprintf(coll, sizeof coll, "person_clustering_%s", run->norm);
    fc_timestamp_now(now);
    *out = json_pack("{s:s,s:s,s:s,s:f,s:s,s:b,s:I,s:I,s:I,s:o,s:o,s:b,s:s}", "clustering_id",
                     run->clustering_id, "collection_name", coll, "bucket_path", path,
                     "threshold", o->threshold, "strategy", o->strategy, "dry_run", o->dry_run,
                     "total_clusters", (json_int_t)np, "assigned_clusters", (json_int_t)n_recs,
                     "unassigned_clusters", (json_int_t)(np - n_recs), "assignments", assigned,
                     "unassigned_cluster_ids", unassigned, "saved_to_db", saved, "timestamp",
                     now);
out:
    for (size_t i = 0; recs && i < n_recs; i++) {
        free(recs[i].image_paths);
        free(recs[i].face_ids);
    }
    free(recs);
    free(res);
    free(members);
    free(starts);
    free(user_row);
    free(users);
    free(cent);
    free(emb);
    fc_face_list_free(&faces);
    fc_person_list_free(&persons);
    return rc;
}
