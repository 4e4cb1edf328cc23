/* vec_local.c - the local vector store: points in the embedded database file
 * (tables vec_collections and vec_points, sqlite_schema.c), through its own
 * connection; vectors L2-normalised, as little-endian float32 BLOBs; search by an
 * exact scan with a top-k heap. The index of src/index can replace the scan behind
 * fc_vectors_ops without changing callers. */
#include "store/vectors.h"

#include "store/sqlite_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    fc_vectors base; /* first: the wrappers' part */
    fc_sqlite *c;
    char collection[FC_NAME_MAX + 1];
} local_vectors;

static local_vectors *as_local(fc_vectors *v)
{
    return (local_vectors *)v;
}

#define PAYLOAD_COLUMNS                                                                     \
    "face_id, clustering_id, person_id, bucket_name, sub_bucket, image_path, is_owner_face, " \
    "bbox_x, bbox_y, bbox_w, bbox_h, confidence, quality_score, cluster_confidence"
#define N_PAYLOAD_COLUMNS 14

/* " AND clustering_id = ?2 ..." for the set fields of f (parameters ?2..?5; ?1 is
 * the collection), into sql after its first used bytes. */
static void filter_sql(const fc_vec_filter *f, char *sql, size_t size)
{
    const char *set[] = {f->clustering_id, f->person_id, f->bucket_name, f->sub_bucket};
    static const char *const conds[] = {" AND clustering_id = ?2", " AND person_id = ?3",
                                        " AND bucket_name = ?4", " AND sub_bucket = ?5"};
    size_t used = strlen(sql);
    for (int k = 0; k < 4; k++)
        if (set[k] && used < size)
            used += (size_t)snprintf(sql + used, size - used, "%s", conds[k]);
}

/* Binds the collection and the set fields of f. */
static int filter_bind(sqlite3_stmt *q, const char *collection, const fc_vec_filter *f)
{
    const char *set[] = {f->clustering_id, f->person_id, f->bucket_name, f->sub_bucket};
    int b = sqlite3_bind_text(q, 1, collection, -1, SQLITE_TRANSIENT);
    for (int k = 0; k < 4; k++)
        if (set[k])
            b |= sqlite3_bind_text(q, k + 2, set[k], -1, SQLITE_TRANSIENT);
    return b;
}

/* Prepares "{head} WHERE collection = ?1 {filter}{tail}" with its parameters bound. */
static fc_status filtered(local_vectors *lv, const char *head, const fc_vec_filter *f,
                          const char *tail, sqlite3_stmt **q, fc_error *err)
{
    char sql[768];
    snprintf(sql, sizeof sql, "%s WHERE collection = ?1", head);
    filter_sql(f, sql, sizeof sql);
    size_t used = strlen(sql);
    snprintf(sql + used, sizeof sql - used, "%s", tail);
    fc_status rc = fc_sqlite_prepare(lv->c, sql, q, err);
    if (!rc) {
        int b = filter_bind(*q, lv->collection, f);
        if (b)
            rc = fc_sqlite_bind_failed(lv->c, b, err);
    }
    return rc;
}

/* The collection's dimension, 0 when it does not exist. */
static fc_status collection_dim(local_vectors *lv, int *dim, fc_error *err)
{
    sqlite3_stmt *q;
    int row;
    *dim = 0;
    fc_status rc = fc_sqlite_prepare(lv->c, "SELECT dim FROM vec_collections WHERE name = ?1", &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, lv->collection, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(lv->c, b, err) : fc_sqlite_step(lv->c, q, &row, err);
        if (!rc && row)
            *dim = sqlite3_column_int(q, 0);
    }
    return rc;
}

/* With the lock and a transaction: creates the collection with dim, or checks it. */
static fc_status ensure_locked(local_vectors *lv, int dim, int *have, fc_error *err)
{
    fc_status rc = collection_dim(lv, have, err);
    if (rc || *have == dim)
        return rc;
    if (*have)
        return fc_error_set(err, FC_ERR_ARG,
                            "vector collection %s has dimension %d, not %d (another embedder?)",
                            lv->collection, *have, dim);
    sqlite3_stmt *q;
    if ((rc = fc_sqlite_prepare(lv->c, "INSERT INTO vec_collections (name, dim) VALUES (?1, ?2)", &q, err)))
        return rc;
    int b = sqlite3_bind_text(q, 1, lv->collection, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 2, dim);
    if (b)
        return fc_sqlite_bind_failed(lv->c, b, err);
    *have = dim;
    return fc_sqlite_run(lv->c, q, err);
}

static fc_vectors *local_open(const char *location, const char *collection, fc_error *err)
{
    local_vectors *lv = calloc(1, sizeof *lv);
    if (!lv) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(lv->collection, sizeof lv->collection, "%s", collection);
    if (!(lv->c = fc_sqlite_open(location, err))) {
        free(lv);
        return NULL;
    }
    return &lv->base;
}

static void local_close(fc_vectors *v)
{
    local_vectors *lv = as_local(v);
    fc_sqlite_close(lv->c);
    free(lv);
}

static fc_status local_health(fc_vectors *v, fc_error *err)
{
    local_vectors *lv = as_local(v);
    int dim;
    fc_sqlite_lock(lv->c);
    fc_status rc = collection_dim(lv, &dim, err);
    fc_sqlite_unlock(lv->c);
    return rc;
}

static fc_status local_ensure(fc_vectors *v, int dim, fc_error *err)
{
    local_vectors *lv = as_local(v);
    int have;
    fc_sqlite_lock(lv->c);
    fc_status rc = fc_sqlite_begin(lv->c, err);
    if (!rc)
        rc = ensure_locked(lv, dim, &have, err);
    rc = fc_sqlite_end(lv->c, rc, err);
    fc_sqlite_unlock(lv->c);
    return rc;
}

/* dst = src / |src|; -1 when the length is zero or not finite. */
static int normalise(const float *src, int dim, float *dst)
{
    double sum = 0;
    for (int i = 0; i < dim; i++)
        sum += (double)src[i] * src[i];
    if (!(sum > 0) || !isfinite(sum))
        return -1;
    double inv = 1.0 / sqrt(sum);
    for (int i = 0; i < dim; i++)
        dst[i] = (float)(src[i] * inv);
    return 0;
}

static fc_status upsert_point(local_vectors *lv, const fc_vec_point *p, const float *unit,
                              fc_error *err)
{
    static const char sql[] =
        "INSERT INTO vec_points (collection, " PAYLOAD_COLUMNS ", vector) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
        "ON CONFLICT (collection, face_id) DO UPDATE SET clustering_id = excluded.clustering_id, "
        "person_id = excluded.person_id, bucket_name = excluded.bucket_name, "
        "sub_bucket = excluded.sub_bucket, image_path = excluded.image_path, "
        "is_owner_face = excluded.is_owner_face, bbox_x = excluded.bbox_x, "
        "bbox_y = excluded.bbox_y, bbox_w = excluded.bbox_w, bbox_h = excluded.bbox_h, "
        "confidence = excluded.confidence, quality_score = excluded.quality_score, "
        "cluster_confidence = excluded.cluster_confidence, vector = excluded.vector";
    const fc_vec_payload *pl = &p->payload;
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(lv->c, sql, &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_text(q, 1, lv->collection, -1, SQLITE_TRANSIENT);
    const char *texts[] = {pl->face_id, pl->clustering_id, pl->person_id, pl->bucket_name,
                           pl->sub_bucket, pl->image_path ? pl->image_path : ""};
    for (int k = 0; k < 6; k++)
        b |= sqlite3_bind_text(q, 2 + k, texts[k], -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 8, pl->is_owner_face != 0);
    for (int k = 0; k < 4; k++)
        b |= sqlite3_bind_int(q, 9 + k, pl->bbox[k]);
    b |= sqlite3_bind_double(q, 13, pl->confidence);
    b |= sqlite3_bind_double(q, 14, pl->quality_score);
    b |= sqlite3_bind_double(q, 15, pl->cluster_confidence);
    b |= fc_sqlite_bind_floats(q, 16, unit, p->dim);
    return b ? fc_sqlite_bind_failed(lv->c, b, err) : fc_sqlite_run(lv->c, q, err);
}

static fc_status local_upsert(fc_vectors *v, const fc_vec_point *points, size_t n, fc_error *err)
{
    local_vectors *lv = as_local(v);
    if (n == 0)
        return FC_OK;
    float *unit = malloc((size_t)points[0].dim * sizeof *unit);
    if (!unit)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    int dim;
    fc_sqlite_lock(lv->c);
    fc_status rc = fc_sqlite_begin(lv->c, err);
    if (!rc)
        rc = ensure_locked(lv, points[0].dim, &dim, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const fc_vec_point *p = &points[i];
        if (p->dim != dim)
            rc = fc_error_set(err, FC_ERR_ARG, "point %s: dimension %d, collection %s has %d",
                              p->payload.face_id, p->dim, lv->collection, dim);
        else if (normalise(p->vector, dim, unit))
            rc = fc_error_set(err, FC_ERR_ARG, "point %s: a vector of zero or non-finite length",
                              p->payload.face_id);
        else
            rc = upsert_point(lv, p, unit, err);
    }
    rc = fc_sqlite_end(lv->c, rc, err);
    fc_sqlite_unlock(lv->c);
    free(unit);
    return rc;
}

static fc_status local_remove(fc_vectors *v, const fc_vec_filter *f, int64_t *deleted, fc_error *err)
{
    local_vectors *lv = as_local(v);
    sqlite3_stmt *q;
    fc_sqlite_lock(lv->c);
    fc_status rc = filtered(lv, "DELETE FROM vec_points", f, "", &q, err);
    if (!rc && !(rc = fc_sqlite_run(lv->c, q, err)))
        *deleted = sqlite3_changes64(lv->c->db);
    fc_sqlite_unlock(lv->c);
    return rc;
}

static fc_status local_count(fc_vectors *v, const fc_vec_filter *f, int64_t *n, fc_error *err)
{
    local_vectors *lv = as_local(v);
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(lv->c);
    fc_status rc = filtered(lv, "SELECT count(*) FROM vec_points", f, "", &q, err);
    if (!rc && !(rc = fc_sqlite_step(lv->c, q, &row, err)))
        *n = sqlite3_column_int64(q, 0);
    fc_sqlite_unlock(lv->c);
    return rc;
}

/* Reads the payload columns (PAYLOAD_COLUMNS order) of the current row. */
static fc_status read_payload(sqlite3_stmt *q, fc_vec_payload *pl, fc_error *err)
{
    fc_sqlite_column_copy(q, 0, pl->face_id, sizeof pl->face_id);
    fc_sqlite_column_copy(q, 1, pl->clustering_id, sizeof pl->clustering_id);
    fc_sqlite_column_copy(q, 2, pl->person_id, sizeof pl->person_id);
    fc_sqlite_column_copy(q, 3, pl->bucket_name, sizeof pl->bucket_name);
    fc_sqlite_column_copy(q, 4, pl->sub_bucket, sizeof pl->sub_bucket);
    pl->is_owner_face = sqlite3_column_int(q, 6);
    for (int k = 0; k < 4; k++)
        pl->bbox[k] = sqlite3_column_int(q, 7 + k);
    pl->confidence = (float)sqlite3_column_double(q, 11);
    pl->quality_score = (float)sqlite3_column_double(q, 12);
    pl->cluster_confidence = (float)sqlite3_column_double(q, 13);
    return fc_sqlite_column_dup(q, 5, &pl->image_path) ? fc_error_set(err, FC_ERR_NOMEM, "out of memory")
                                                       : FC_OK;
}

static fc_status local_get(fc_vectors *v, const fc_vec_filter *f, int with_vectors,
                           fc_vec_list *out, fc_error *err)
{
    local_vectors *lv = as_local(v);
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(lv->c);
    fc_status rc = filtered(lv, with_vectors ? "SELECT " PAYLOAD_COLUMNS ", vector FROM vec_points"
                                             : "SELECT " PAYLOAD_COLUMNS ", NULL FROM vec_points",
                            f, " ORDER BY id", &q, err);
    while (!rc && !(rc = fc_sqlite_step(lv->c, q, &row, err)) && row) {
        fc_vec_point *p = fc_rec_append((void **)&out->items, &out->n, sizeof *p);
        if (!p) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
            break;
        }
        if (!(rc = read_payload(q, &p->payload, err)) && with_vectors) {
            p->dim = sqlite3_column_bytes(q, N_PAYLOAD_COLUMNS) / (int)sizeof(float);
            rc = fc_sqlite_column_floats(q, N_PAYLOAD_COLUMNS, p->dim, &p->vector, err);
        }
    }
    fc_sqlite_unlock(lv->c);
    if (rc)
        fc_vec_list_free(out);
    return rc;
}

/* ---- search: an exact scan keeping the k best in a heap ------------------------ */

typedef struct {
    float score;
    int64_t id; /* the row: earlier rows win ties */
} hit;

/* a is a worse hit than b */
static int worse(hit a, hit b)
{
    return a.score < b.score || (a.score == b.score && a.id > b.id);
}

/* The k best so far, as a min-heap on `worse`: heap[0] is the one to drop next. */
typedef struct {
    hit *heap;
    size_t n, cap, k;
} top_k;

static void sift_down(top_k *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && worse(t->heap[l], t->heap[m]))
            m = l;
        if (r < t->n && worse(t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            return;
        hit tmp = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = tmp;
        i = m;
    }
}

static int top_k_offer(top_k *t, hit h)
{
    if (t->n == t->k) {
        if (!worse(t->heap[0], h))
            return 0;
        t->heap[0] = h;
        sift_down(t, 0);
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        hit *grown = realloc(t->heap, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->heap = grown;
        t->cap = cap;
    }
    size_t i = t->n++;
    t->heap[i] = h;
    while (i > 0 && worse(t->heap[i], t->heap[(i - 1) / 2])) {
        hit tmp = t->heap[i];
        t->heap[i] = t->heap[(i - 1) / 2];
        t->heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
    return 0;
}

static int best_first(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    return worse(*y, *x) ? -1 : worse(*x, *y) ? 1 : 0;
}

/* a . b, with four partial sums so the compiler can vectorise it */
static float dot(const float *a, const float *b, int n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* Scans the points matching f, keeping the k best for the unit query. */
static fc_status scan(local_vectors *lv, const float *unit, int dim, const fc_vec_filter *f,
                      top_k *t, fc_error *err)
{
    float *row_vec = malloc((size_t)dim * sizeof *row_vec);
    if (!row_vec)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    sqlite3_stmt *q;
    int row;
    fc_status rc = filtered(lv, "SELECT id, vector FROM vec_points", f, "", &q, err);
    while (!rc && !(rc = fc_sqlite_step(lv->c, q, &row, err)) && row) {
        if ((rc = fc_sqlite_column_floats_to(q, 1, dim, row_vec, err)))
            break;
        hit h = {dot(unit, row_vec, dim), sqlite3_column_int64(q, 0)};
        if (top_k_offer(t, h))
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    free(row_vec);
    return rc;
}

static fc_status local_search(fc_vectors *v, const float *query, int dim, size_t k,
                              const fc_vec_filter *f, fc_vec_list *out, fc_error *err)
{
    local_vectors *lv = as_local(v);
    top_k t = {.k = k};
    float *unit = malloc((size_t)dim * sizeof *unit);
    if (!unit)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    int have;
    fc_sqlite_lock(lv->c);
    fc_status rc = collection_dim(lv, &have, err);
    if (!rc && have && have != dim)
        rc = fc_error_set(err, FC_ERR_ARG, "vectors_search: a query of dimension %d, collection %s has %d",
                          dim, lv->collection, have);
    if (!rc && normalise(query, dim, unit))
        rc = fc_error_set(err, FC_ERR_ARG, "vectors_search: a query of zero or non-finite length");
    if (!rc && have && k > 0)
        rc = scan(lv, unit, dim, f, &t, err);
    if (!rc && t.n)
        qsort(t.heap, t.n, sizeof *t.heap, best_first);
    sqlite3_stmt *q;
    int row;
    for (size_t i = 0; !rc && i < t.n; i++) {
        if ((rc = fc_sqlite_prepare(lv->c, "SELECT " PAYLOAD_COLUMNS " FROM vec_points WHERE id = ?1", &q, err)))
            break;
        sqlite3_bind_int64(q, 1, t.heap[i].id);
        if ((rc = fc_sqlite_step(lv->c, q, &row, err)) || !row) {
            rc = rc ? rc : fc_error_set(err, FC_ERR_INTERNAL, "a point vanished during a search");
            break;
        }
        fc_vec_point *p = fc_rec_append((void **)&out->items, &out->n, sizeof *p);
        rc = p ? read_payload(q, &p->payload, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        if (p)
            p->score = t.heap[i].score;
    }
    fc_sqlite_unlock(lv->c);
    free(t.heap);
    free(unit);
    if (rc)
        fc_vec_list_free(out);
    return rc;
}

const struct fc_vectors_ops fc_vectors_local = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .health = local_health,
    .ensure = local_ensure,
    .upsert = local_upsert,
    .remove = local_remove,
    .count = local_count,
    .get = local_get,
    .search = local_search,
};
