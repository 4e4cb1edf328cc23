/* sqlite.c - the embedded metadata backend on SQLite: opening and closing a handle,
 * user profiles, cluster assignments, the collection listing, and the ops table.
 * Runs, faces and persons are in sqlite_runs.c; the file format in
 * sqlite_schema.c and docs/store.md. */
#include "store/sqlite_int.h"

#include "core/json.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- handles ---------------------------------------------------------------- */

/* sq_open and sq_open_reader. */
static fc_store *open_store(const char *location, int reader, fc_error *err)
{
    static atomic_uint handles;
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char self[FC_OWNER_MAX];
    fc_owner_self(self, sizeof self);
    snprintf(s->owner, sizeof s->owner, "%s:h%u", self, atomic_fetch_add(&handles, 1) + 1);
    if (!(s->c = reader ? fc_sqlite_open_reader(location, err) : fc_sqlite_open(location, err)))
        goto fail;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_runs_reap_read(s, err);
    fc_sqlite_unlock(s->c);
    if (rc)
        goto fail;
    return &s->base;
fail:
    fc_sqlite_close(s->c);
    free(s);
    return NULL;
}

static fc_store *sq_open(const char *location, fc_error *err)
{
    return open_store(location, 0, err);
}

static fc_store *sq_open_reader(const char *location, fc_error *err)
{
    return open_store(location, 1, err);
}

static void sq_close(fc_store *st)
{
    sqlite_store *s = as_sqlite(st);
    fc_sqlite_lock(s->c);
    fc_sqlite_runs_reap(s, 1, NULL);
    fc_sqlite_unlock(s->c);
    fc_sqlite_close(s->c);
    free(s);
}

static fc_status sq_health(fc_store *st, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, "SELECT max(version) FROM schema_version", &q, err);
    if (!rc)
        rc = fc_sqlite_step(c, q, &row, err);
    fc_sqlite_unlock(c);
    return rc;
}

/* ---- user_profiles ---------------------------------------------------------- */

#define PROFILE_COLUMNS                                                                     \
    "user_id, dim, embedding, embedding_model, confidence, quality_score, "                 \
    "bbox_x, bbox_y, bbox_w, bbox_h, created_at, updated_at"

static fc_status read_profile(sqlite3_stmt *q, fc_profile_rec *p, fc_error *err)
{
    fc_sqlite_column_copy(q, 0, p->user_id, sizeof p->user_id);
    p->dim = sqlite3_column_int(q, 1);
    fc_sqlite_column_copy(q, 3, p->embedding_model, sizeof p->embedding_model);
    p->confidence = (float)sqlite3_column_double(q, 4);
    p->quality_score = (float)sqlite3_column_double(q, 5);
    p->has_bbox = sqlite3_column_type(q, 6) != SQLITE_NULL;
    for (int k = 0; k < 4; k++)
        p->bbox[k] = sqlite3_column_int(q, 6 + k);
    fc_sqlite_column_copy(q, 10, p->created_at, sizeof p->created_at);
    fc_sqlite_column_copy(q, 11, p->updated_at, sizeof p->updated_at);
    return fc_sqlite_column_floats(q, 2, p->dim, &p->embedding, err);
}

static fc_status sq_profile_upsert(fc_store *st, const fc_profile_rec *p, fc_error *err)
{
    static const char sql[] =
        "INSERT INTO profiles (" PROFILE_COLUMNS ") "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) "
        "ON CONFLICT (user_id) DO UPDATE SET dim = excluded.dim, embedding = excluded.embedding, "
        "embedding_model = excluded.embedding_model, confidence = excluded.confidence, "
        "quality_score = excluded.quality_score, bbox_x = excluded.bbox_x, "
        "bbox_y = excluded.bbox_y, bbox_w = excluded.bbox_w, bbox_h = excluded.bbox_h, "
        "updated_at = excluded.updated_at";
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, sql, &q, err);
    if (rc)
        goto out;
    int b = sqlite3_bind_text(q, 1, p->user_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 2, p->dim);
    b |= fc_sqlite_bind_floats(q, 3, p->embedding, p->dim);
    b |= sqlite3_bind_text(q, 4, p->embedding_model, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_double(q, 5, p->confidence);
    b |= sqlite3_bind_double(q, 6, p->quality_score);
    for (int k = 0; k < 4 && p->has_bbox; k++)
        b |= sqlite3_bind_int(q, 7 + k, p->bbox[k]);
    b |= sqlite3_bind_text(q, 11, now, -1, SQLITE_TRANSIENT);
    rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
out:
    fc_sqlite_unlock(c);
    return rc;
}

static fc_status sq_profile_get(fc_store *st, const char *user_id, fc_profile_rec *out,
                                int *found, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    fc_sqlite_lock(c);
    fc_status rc =
        fc_sqlite_prepare(c, "SELECT " PROFILE_COLUMNS " FROM profiles WHERE user_id = ?1", &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, user_id, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_step(c, q, found, err);
    }
    if (!rc && *found)
        rc = read_profile(q, out, err);
    fc_sqlite_unlock(c);
    if (rc)
        fc_profile_rec_clear(out);
    return rc;
}

static fc_status sq_profile_list(fc_store *st, int64_t limit, fc_profile_list *out, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, "SELECT " PROFILE_COLUMNS " FROM profiles ORDER BY id LIMIT ?1",
                                     &q, err);
    if (!rc)
        sqlite3_bind_int64(q, 1, limit);
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_profile_rec *p = fc_rec_append((void **)&out->items, &out->n, sizeof *p);
        rc = p ? read_profile(q, p, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    fc_sqlite_unlock(c);
    if (rc)
        fc_profile_list_free(out);
    return rc;
}

static fc_status sq_profile_delete(fc_store *st, const char *user_id, int *deleted, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    int64_t n = 0;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_exec_text(c, "DELETE FROM profiles WHERE user_id = ?1", user_id, &n, err);
    fc_sqlite_unlock(c);
    *deleted = n > 0;
    return rc;
}

/* Runs a one-number query (sql with no parameters). */
static fc_status count_query(fc_sqlite *c, const char *sql, int64_t *n, fc_error *err)
{
    sqlite3_stmt *q;
    int row = 0;
    fc_status rc = fc_sqlite_prepare(c, sql, &q, err);
    if (!rc && !(rc = fc_sqlite_step(c, q, &row, err)))
        *n = row ? sqlite3_column_int64(q, 0) : 0;
    return rc;
}

static fc_status sq_profile_count(fc_store *st, int64_t *n, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    fc_sqlite_lock(c);
    fc_status rc = count_query(c, "SELECT count(*) FROM profiles", n, err);
    fc_sqlite_unlock(c);
    return rc;
}

/* ---- cluster_assignments ---------------------------------------------------- */

#define ASSIGNMENT_COLUMNS                                                                  \
    "clustering_id, cluster_id, bucket_name, sub_bucket, user_id, similarity, strategy, "   \
    "face_count, image_paths, face_ids, created_at, updated_at"

static fc_status sq_assignment_upsert(fc_store *st, const fc_assignment_rec *items, size_t n,
                                      fc_error *err)
{
    static const char sql[] =
        "INSERT INTO assignments (" ASSIGNMENT_COLUMNS ") "
        "VALUES (lower(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) "
        "ON CONFLICT (clustering_id, cluster_id) DO UPDATE SET "
        "bucket_name = excluded.bucket_name, sub_bucket = excluded.sub_bucket, "
        "user_id = excluded.user_id, similarity = excluded.similarity, "
        "strategy = excluded.strategy, face_count = excluded.face_count, "
        "image_paths = excluded.image_paths, face_ids = excluded.face_ids, "
        "updated_at = excluded.updated_at";
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_begin(c, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const fc_assignment_rec *a = &items[i];
        char *paths = NULL, *ids = NULL;
        fc_error why = {0};
        if ((rc = fc_json_strv_dump(a->image_paths, a->n_image_paths, &paths, &why)) ||
            (rc = fc_json_strv_dump(a->face_ids, a->n_face_ids, &ids, &why)))
            fc_error_set(err, rc, "assignment %s/%s: %s: %s", a->clustering_id, a->cluster_id,
                         paths ? "face ids" : "image paths", why.msg);
        else if (!(rc = fc_sqlite_prepare(c, sql, &q, err))) {
            int b = sqlite3_bind_text(q, 1, a->clustering_id, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 2, a->cluster_id, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 3, a->bucket_name, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 4, a->sub_bucket, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 5, a->user_id, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_double(q, 6, a->similarity);
            b |= sqlite3_bind_text(q, 7, a->strategy, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_int64(q, 8, a->face_count);
            b |= sqlite3_bind_text(q, 9, paths, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 10, ids, -1, SQLITE_TRANSIENT);
            b |= sqlite3_bind_text(q, 11, now, -1, SQLITE_TRANSIENT);
            rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
        }
        free(paths);
        free(ids);
    }
    rc = fc_sqlite_end(c, rc, err);
    fc_sqlite_unlock(c);
    return rc;
}

static fc_status read_assignment(sqlite3_stmt *q, fc_assignment_rec *a, fc_error *err)
{
    fc_sqlite_column_copy(q, 0, a->clustering_id, sizeof a->clustering_id);
    fc_sqlite_column_copy(q, 1, a->cluster_id, sizeof a->cluster_id);
    fc_sqlite_column_copy(q, 2, a->bucket_name, sizeof a->bucket_name);
    fc_sqlite_column_copy(q, 3, a->sub_bucket, sizeof a->sub_bucket);
    fc_sqlite_column_copy(q, 4, a->user_id, sizeof a->user_id);
    a->similarity = (float)sqlite3_column_double(q, 5);
    fc_sqlite_column_copy(q, 6, a->strategy, sizeof a->strategy);
    a->face_count = sqlite3_column_int64(q, 7);
    fc_sqlite_column_copy(q, 10, a->created_at, sizeof a->created_at);
    fc_sqlite_column_copy(q, 11, a->updated_at, sizeof a->updated_at);
    fc_status rc = fc_json_strv_load((const char *)sqlite3_column_text(q, 8), &a->image_paths,
                                     &a->n_image_paths, err);
    if (!rc)
        rc = fc_json_strv_load((const char *)sqlite3_column_text(q, 9), &a->face_ids,
                               &a->n_face_ids, err);
    return rc;
}

static fc_status sq_assignment_list(fc_store *st, const fc_assignment_filter *f,
                                    fc_assignment_list *out, fc_error *err)
{
    const char *values[] = {f->clustering_id, f->user_id, f->bucket_name, f->sub_bucket};
    static const char *const conds[] = {" AND clustering_id = ?1", " AND user_id = ?2",
                                        " AND bucket_name = ?3", " AND sub_bucket = ?4"};
    char sql[512];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT " ASSIGNMENT_COLUMNS " FROM assignments WHERE 1");
    for (int k = 0; k < 4; k++)
        if (values[k])
            used += (size_t)snprintf(sql + used, sizeof sql - used, "%s", conds[k]);
    snprintf(sql + used, sizeof sql - used, " ORDER BY clustering_id, id");

    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, sql, &q, err);
    int b = 0;
    for (int k = 0; !rc && k < 4; k++)
        if (values[k])
            b |= sqlite3_bind_text(q, k + 1, values[k], -1, SQLITE_TRANSIENT);
    if (!rc && b)
        rc = fc_sqlite_bind_failed(c, b, err);
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_assignment_rec *a = fc_rec_append((void **)&out->items, &out->n, sizeof *a);
        rc = a ? read_assignment(q, a, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    fc_sqlite_unlock(c);
    if (rc)
        fc_assignment_list_free(out);
    return rc;
}

static fc_status sq_assignment_delete_run(fc_store *st, const char *clustering_id,
                                          int64_t *deleted, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_exec_text(c, "DELETE FROM assignments WHERE clustering_id = ?1",
                                       clustering_id, deleted, err);
    fc_sqlite_unlock(c);
    return rc;
}

/* ---- collections ------------------------------------------------------------ */

static fc_status add_collection(fc_collection_list *out, fc_collection_kind kind, const char *norm,
                                int64_t count, fc_error *err)
{
    static const char *const prefix[] = {
        [FC_COLL_RUNS] = "person_clustering_", [FC_COLL_FACES] = "person_faces_",
        [FC_COLL_PROFILES] = "user_profiles", [FC_COLL_ASSIGNMENTS] = "cluster_assignments"};
    fc_collection_rec *r = fc_rec_append((void **)&out->items, &out->n, sizeof *r);
    if (!r)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    r->kind = kind;
    r->count = count;
    snprintf(r->norm, sizeof r->norm, "%s", norm ? norm : "");
    snprintf(r->name, sizeof r->name, "%s%s", prefix[kind], r->norm);
    return FC_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const fc_collection_rec *)a)->name, ((const fc_collection_rec *)b)->name);
}

static fc_status sq_collection_list(fc_store *st, fc_collection_list *out, fc_error *err)
{
    /* per-bucket collections hold finished runs only, as the API shows them */
    static const char *const per_norm[] = {
        [FC_COLL_RUNS] = "SELECT norm, count(*) FROM runs WHERE status = 'done' GROUP BY norm",
        [FC_COLL_FACES] = "SELECT r.norm, count(*) FROM faces f JOIN runs r ON f.run = r.id "
                          "WHERE r.status = 'done' GROUP BY r.norm",
    };
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    int64_t n_profiles = 0, n_assignments = 0;
    fc_sqlite_lock(c);
    fc_status rc = FC_OK;
    for (int kind = FC_COLL_RUNS; !rc && kind <= FC_COLL_FACES; kind++) {
        rc = fc_sqlite_prepare(c, per_norm[kind], &q, err);
        while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row)
            rc = add_collection(out, (fc_collection_kind)kind, (const char *)sqlite3_column_text(q, 0),
                                sqlite3_column_int64(q, 1), err);
    }
    if (!rc && !(rc = count_query(c, "SELECT count(*) FROM profiles", &n_profiles, err)) &&
        !(rc = count_query(c, "SELECT count(*) FROM assignments", &n_assignments, err)) &&
        !(rc = add_collection(out, FC_COLL_PROFILES, NULL, n_profiles, err)))
        rc = add_collection(out, FC_COLL_ASSIGNMENTS, NULL, n_assignments, err);
    fc_sqlite_unlock(c);
    if (rc)
        fc_collection_list_free(out);
    else if (out->n)
        qsort(out->items, out->n, sizeof *out->items, by_name);
    return rc;
}

const struct fc_store_ops fc_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .open_reader = sq_open_reader,
    .close = sq_close,
    .health = sq_health,
    .profile_upsert = sq_profile_upsert,
    .profile_get = sq_profile_get,
    .profile_list = sq_profile_list,
    .profile_delete = sq_profile_delete,
    .profile_count = sq_profile_count,
    .run_create = fc_sqlite_run_create,
    .run_resume = fc_sqlite_run_resume,
    .run_add_batch = fc_sqlite_run_add_batch,
    .run_finish = fc_sqlite_run_finish,
    .run_fail = fc_sqlite_run_fail,
    .run_get = fc_sqlite_run_get,
    .run_list = fc_sqlite_run_list,
    .run_delete = fc_sqlite_run_delete,
    .run_images = fc_sqlite_run_images,
    .face_list = fc_sqlite_face_list,
    .face_count = fc_sqlite_face_count,
    .person_list = fc_sqlite_person_list,
    .assignment_upsert = sq_assignment_upsert,
    .assignment_list = sq_assignment_list,
    .assignment_delete_run = sq_assignment_delete_run,
    .collection_list = sq_collection_list,
    .run_open_shared = fc_sqlite_run_open_shared,
    .lease_claim = fc_sqlite_lease_claim,
    .lease_heartbeat = fc_sqlite_lease_heartbeat,
    .lease_complete = fc_sqlite_lease_complete,
    .lease_release = fc_sqlite_lease_release,
    .run_claim_finish = fc_sqlite_run_claim_finish,
};
