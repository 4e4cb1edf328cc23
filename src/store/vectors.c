/* vectors.c - the thin wrappers over struct fc_vectors_ops: choosing the backend,
 * checking arguments, zeroing outputs, calling through the hooks (hooks.h). */
#include "store/vectors.h"

#include "store/qdrant_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
    [FC_VECTORS_OP_HEALTH] = "vectors_health",
    [FC_VECTORS_OP_ENSURE] = "vectors_ensure",
    [FC_VECTORS_OP_UPSERT] = "vectors_upsert",
    [FC_VECTORS_OP_DELETE] = "vectors_delete",
    [FC_VECTORS_OP_COUNT_POINTS] = "vectors_count",
    [FC_VECTORS_OP_GET] = "vectors_get",
    [FC_VECTORS_OP_SEARCH] = "vectors_search",
};
static_assert(sizeof op_names / sizeof op_names[0] == FC_VECTORS_OP_COUNT, "one name per op");

#define CALL(v, op, expr) FC_HOOKED_CALL(v, op, op_names[op], expr)

#define NEED(cond, ...)                                                                     \
    do {                                                                                    \
        if (!(cond))                                                                        \
            return fc_error_set(err, FC_ERR_ARG, __VA_ARGS__);                              \
    } while (0)

void fc_vec_point_clear(fc_vec_point *p)
{
    if (!p)
        return;
    free(p->payload.image_path);
    free(p->vector);
    memset(p, 0, sizeof *p);
}

void fc_vec_list_free(fc_vec_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fc_vec_point_clear(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void fc_vectors_fault_inject(fc_vectors *v, fc_vectors_op op, int after, fc_status code)
{
    fc_hooks_arm(&v->hooks, (int)op, after, code);
}

fc_vectors *fc_vectors_open_with(const struct fc_vectors_ops *ops, const char *location,
                                 const char *collection, fc_error *err)
{
    if (!ops || !location || !*location || !collection || !fc_name_valid(collection)) {
        fc_error_set(err, FC_ERR_ARG, "vectors: no backend, location or valid collection name");
        return NULL;
    }
    fc_vectors *v = ops->open(location, collection, err);
    if (!v)
        return NULL;
    v->ops = ops;
    fc_hooks_init(&v->hooks);
    return v;
}

fc_vectors *fc_vectors_open(const fc_config *cfg, fc_error *err)
{
    if (cfg->qdrant_url) {
        if (!cfg->qdrant_collection || !fc_name_valid(cfg->qdrant_collection)) {
            fc_error_set(err, FC_ERR_ARG, "QDRANT_COLLECTION: not a valid collection name");
            return NULL;
        }
        /* an unreachable server is an error here, never a fallback to the local store */
        return fc_qdrant_open(cfg->qdrant_url, cfg->qdrant_collection, cfg->qdrant_api_key, err);
    }
    return fc_vectors_open_with(&fc_vectors_local, cfg->db_path, cfg->qdrant_collection, err);
}

void fc_vectors_close(fc_vectors *v)
{
    if (v)
        v->ops->close(v);
}

const char *fc_vectors_backend_name(const fc_vectors *v)
{
    return v->ops->name;
}

fc_status fc_vectors_health(fc_vectors *v, fc_error *err)
{
    CALL(v, FC_VECTORS_OP_HEALTH, v->ops->health(v, err));
}

fc_status fc_vectors_ensure(fc_vectors *v, int dim, fc_error *err)
{
    NEED(dim > 0 && dim <= 65536, "vectors: dimension %d out of range", dim);
    CALL(v, FC_VECTORS_OP_ENSURE, v->ops->ensure(v, dim, err));
}

/* A filter's clustering_id, when set, is an ObjectId (lowercased into buf). */
static fc_status check_filter(const fc_vec_filter *f, fc_vec_filter *out, char *buf, fc_error *err)
{
    *out = f ? *f : (fc_vec_filter){0};
    if (!out->clustering_id)
        return FC_OK;
    NEED(!fc_objectid_canon(out->clustering_id, buf), "invalid clustering_id \"%.40s\"",
         out->clustering_id);
    out->clustering_id = buf;
    return FC_OK;
}

fc_status fc_vectors_upsert(fc_vectors *v, const fc_vec_point *points, size_t n, fc_error *err)
{
    NEED(points || !n, "vectors_upsert: no points");
    for (size_t i = 0; i < n; i++) {
        const fc_vec_point *p = &points[i];
        const fc_vec_payload *pl = &p->payload;
        NEED(fc_uuid_valid(pl->face_id, 0), "point %zu: invalid face_id \"%.40s\"", i, pl->face_id);
        NEED(p->vector && p->dim > 0, "point %s: no vector", pl->face_id);
        NEED(!pl->clustering_id[0] || fc_objectid_valid(pl->clustering_id),
             "point %s: invalid clustering_id", pl->face_id);
        NEED((!pl->bucket_name[0] || fc_name_valid(pl->bucket_name)) &&
                 (!pl->sub_bucket[0] || fc_name_valid(pl->sub_bucket)),
             "point %s: invalid bucket or sub-bucket name", pl->face_id);
    }
    CALL(v, FC_VECTORS_OP_UPSERT, v->ops->upsert(v, points, n, err));
}

fc_status fc_vectors_delete(fc_vectors *v, const fc_vec_filter *f, int64_t *deleted, fc_error *err)
{
    *deleted = 0;
    fc_vec_filter checked;
    char id[FC_OBJECTID_LEN + 1];
    fc_status rc = check_filter(f, &checked, id, err);
    if (rc)
        return rc;
    NEED(checked.clustering_id || checked.person_id || checked.bucket_name || checked.sub_bucket,
         "vectors_delete: refusing to delete every point (no filter)");
    CALL(v, FC_VECTORS_OP_DELETE, v->ops->remove(v, &checked, deleted, err));
}

fc_status fc_vectors_delete_run(fc_vectors *v, const char *clustering_id, int64_t *deleted,
                                fc_error *err)
{
    *deleted = 0;
    NEED(clustering_id, "vectors_delete_run: no clustering_id");
    fc_vec_filter f = {.clustering_id = clustering_id};
    return fc_vectors_delete(v, &f, deleted, err);
}

fc_status fc_vectors_count(fc_vectors *v, const fc_vec_filter *f, int64_t *n, fc_error *err)
{
    *n = 0;
    fc_vec_filter checked;
    char id[FC_OBJECTID_LEN + 1];
    fc_status rc = check_filter(f, &checked, id, err);
    if (rc)
        return rc;
    CALL(v, FC_VECTORS_OP_COUNT_POINTS, v->ops->count(v, &checked, n, err));
}

fc_status fc_vectors_get(fc_vectors *v, const fc_vec_filter *f, int with_vectors,
                         fc_vec_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    fc_vec_filter checked;
    char id[FC_OBJECTID_LEN + 1];
    fc_status rc = check_filter(f, &checked, id, err);
    if (rc)
        return rc;
    CALL(v, FC_VECTORS_OP_GET, v->ops->get(v, &checked, with_vectors, out, err));
}

fc_status fc_vectors_search(fc_vectors *v, const float *query, int dim, size_t k,
                            const fc_vec_filter *f, fc_vec_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    NEED(query && dim > 0, "vectors_search: no query vector");
    fc_vec_filter checked;
    char id[FC_OBJECTID_LEN + 1];
    fc_status rc = check_filter(f, &checked, id, err);
    if (rc)
        return rc;
    CALL(v, FC_VECTORS_OP_SEARCH, v->ops->search(v, query, dim, k, &checked, out, err));
}
