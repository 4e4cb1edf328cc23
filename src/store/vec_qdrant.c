/* vec_qdrant.c - the Qdrant vector backend (struct fc_vectors_ops) over its REST
 * API: a collection of the embedder's dimension with Cosine distance and keyword
 * payload indexes, batched upserts that wait for the write, filtered search,
 * scroll, count and delete by filter. Bodies and parsing are in qdrant_json.c,
 * HTTP in qdrant_http.c. */
#include "store/qdrant_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    fc_vectors base; /* first: the wrappers' part */
    fc_qdrant_http *http;
    char collection[FC_NAME_MAX + 1];
    pthread_mutex_t mu;
    int dim; /* the collection's dimension once known, else 0 */
} qdrant_vectors;

static qdrant_vectors *as_qdrant(fc_vectors *v)
{
    return (qdrant_vectors *)v;
}

/* A request with a JSON body (or none): *result = the response's result (new
 * reference; NULL when the caller passes NULL), *http = the HTTP status. A 404 is
 * returned as FC_OK with *http = 404 and no result when allow_404. */
static fc_status call(qdrant_vectors *q, const char *what, const char *method, const char *path,
                      json_t *body, int allow_404, long *http, json_t **result, fc_error *err)
{
    char *text = NULL;
    char *resp = NULL;
    long status = 0;
    json_t *res = NULL;
    fc_status rc = FC_OK;
    if (body && !(text = fc_qdrant_dump(body))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = fc_qdrant_http_call(q->http, method, path, text, &status, &resp, err)))
        goto out;
    if (status == 404 && allow_404)
        goto out;
    rc = fc_qdrant_parse(what, status, resp, &res, err);
out:
    if (http)
        *http = status;
    if (result && !rc)
        *result = res;
    else
        json_decref(res);
    json_decref(body);
    free(text);
    free(resp);
    return rc;
}

/* "/collections/{name}{suffix}" */
static void coll_path(const qdrant_vectors *q, const char *suffix, char *out, size_t size)
{
    snprintf(out, size, "/collections/%s%s", q->collection, suffix);
}

static fc_status health_check(qdrant_vectors *q, fc_error *err)
{
    char *resp = NULL;
    long status = 0;
    fc_status rc = fc_qdrant_http_call(q->http, "GET", "/collections", NULL, &status, &resp, err);
    json_t *res = NULL;
    if (!rc)
        rc = fc_qdrant_parse("health (GET /collections)", status, resp, &res, err);
    json_decref(res);
    free(resp);
    return rc;
}

fc_vectors *fc_qdrant_open(const char *url, const char *collection, const char *api_key,
                           fc_error *err)
{
    qdrant_vectors *q = calloc(1, sizeof *q);
    if (!q) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fc_error_set(err, FC_ERR_ARG, "QDRANT_URL \"%.200s\": expected http://host:port or https://...", url);
        free(q);
        return NULL;
    }
    snprintf(q->collection, sizeof q->collection, "%s", collection);
    pthread_mutex_init(&q->mu, NULL);
    q->base.ops = &fc_vectors_qdrant;
    fc_hooks_init(&q->base.hooks);
    if (!(q->http = fc_qdrant_http_new(url, api_key, err)))
        goto fail;
    fc_error why = {0};
    if (health_check(q, &why)) {
        fc_error_set(err, why.code, "Qdrant at %.120s (QDRANT_URL) does not answer: %.240s", url,
                     why.msg);
        goto fail;
    }
    return &q->base;
fail:
    fc_qdrant_http_free(q->http);
    pthread_mutex_destroy(&q->mu);
    free(q);
    return NULL;
}

static fc_vectors *qd_open(const char *location, const char *collection, fc_error *err)
{
    return fc_qdrant_open(location, collection, getenv("QDRANT_API_KEY"), err);
}

static void qd_close(fc_vectors *v)
{
    qdrant_vectors *q = as_qdrant(v);
    fc_qdrant_http_free(q->http);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static fc_status qd_health(fc_vectors *v, fc_error *err)
{
    return health_check(as_qdrant(v), err);
}

/* The collection's dimension: 0 when it does not exist. */
static fc_status collection_dim(qdrant_vectors *q, int *dim, fc_error *err)
{
    char path[256];
    long http;
    json_t *res = NULL;
    *dim = 0;
    coll_path(q, "", path, sizeof path);
    fc_status rc = call(q, "get collection", "GET", path, NULL, 1, &http, &res, err);
    if (!rc && http != 404)
        rc = fc_qdrant_parse_dim(res, dim, err);
    json_decref(res);
    return rc;
}

/* Creates the collection (dim, Cosine) and its payload indexes when missing; with
 * q->mu held. */
static fc_status ensure_locked(qdrant_vectors *q, int dim, fc_error *err)
{
    if (q->dim == 0) {
        int have;
        fc_status rc = collection_dim(q, &have, err);
        if (rc)
            return rc;
        if (!have) {
            char path[256];
            long http;
            coll_path(q, "", path, sizeof path);
            rc = call(q, "create collection", "PUT", path, fc_qdrant_body_create(dim), 0, &http, NULL, err);
            /* a concurrent creator may have won: read what is there */
            if (rc && (collection_dim(q, &have, NULL) || !have))
                return rc;
            coll_path(q, "/index?wait=true", path, sizeof path);
            for (int i = 0; i < 3; i++)
                if ((rc = call(q, "create payload index", "PUT", path,
                               fc_qdrant_body_index(fc_qdrant_indexed_fields[i]), 0, &http, NULL, err)))
                    return rc;
            if (!have)
                have = dim;
        }
        q->dim = have;
    }
    if (q->dim != dim)
        return fc_error_set(err, FC_ERR_ARG, "qdrant collection %s has dimension %d, not %d (another "
                            "embedder? use another QDRANT_COLLECTION)", q->collection, q->dim, dim);
    return FC_OK;
}

static fc_status qd_ensure(fc_vectors *v, int dim, fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    pthread_mutex_lock(&q->mu);
    fc_status rc = ensure_locked(q, dim, err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int usable(const float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    return s > 0 && isfinite(s);
}

static fc_status qd_upsert(fc_vectors *v, const fc_vec_point *points, size_t n, fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    if (n == 0)
        return FC_OK;
    fc_status rc = qd_ensure(v, points[0].dim, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (points[i].dim != points[0].dim)
            rc = fc_error_set(err, FC_ERR_ARG, "point %s: dimension %d, collection %s has %d",
                              points[i].payload.face_id, points[i].dim, q->collection, points[0].dim);
        else if (!usable(points[i].vector, points[i].dim))
            rc = fc_error_set(err, FC_ERR_ARG, "point %s: a vector of zero or non-finite length",
                              points[i].payload.face_id);
    }
    char path[256];
    coll_path(q, "/points?wait=true", path, sizeof path);
    for (size_t i = 0; !rc && i < n; i += FC_QDRANT_BATCH) {
        size_t m = n - i < FC_QDRANT_BATCH ? n - i : FC_QDRANT_BATCH;
        json_t *body = fc_qdrant_body_upsert(points + i, m);
        rc = body ? call(q, "upsert", "PUT", path, body, 0, NULL, NULL, err)
                  : fc_error_set(err, FC_ERR_ARG, "qdrant upsert: a payload string is not UTF-8");
    }
    return rc;
}

static fc_status qd_count(fc_vectors *v, const fc_vec_filter *f, int64_t *n, fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    char path[256];
    long http;
    json_t *res = NULL;
    coll_path(q, "/points/count", path, sizeof path);
    fc_status rc = call(q, "count", "POST", path, fc_qdrant_body_count(f), 1, &http, &res, err);
    if (!rc && http != 404)
        rc = fc_qdrant_parse_count(res, n, err);
    json_decref(res);
    return rc;
}

static fc_status qd_remove(fc_vectors *v, const fc_vec_filter *f, int64_t *deleted, fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    char path[256];
    long http;
    fc_status rc = qd_count(v, f, deleted, err);
    if (rc || *deleted == 0)
        return rc;
    coll_path(q, "/points/delete?wait=true", path, sizeof path);
    return call(q, "delete", "POST", path, fc_qdrant_body_delete(f), 1, &http, NULL, err);
}

static fc_status qd_get(fc_vectors *v, const fc_vec_filter *f, int with_vectors, fc_vec_list *out,
                        fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    char path[256];
    long http;
    json_t *offset = NULL;
    fc_status rc = FC_OK;
    coll_path(q, "/points/scroll", path, sizeof path);
    do {
        json_t *res = NULL;
        json_t *body = fc_qdrant_body_scroll(f, FC_QDRANT_BATCH, with_vectors, offset);
        json_decref(offset);
        offset = NULL;
        rc = call(q, "scroll", "POST", path, body, 1, &http, &res, err);
        if (!rc && http != 404)
            rc = fc_qdrant_parse_scroll(res, out, &offset, err);
        json_decref(res);
    } while (!rc && offset);
    json_decref(offset);
    if (rc)
        fc_vec_list_free(out);
    return rc;
}

static fc_status qd_search(fc_vectors *v, const float *query, int dim, size_t k,
                           const fc_vec_filter *f, fc_vec_list *out, fc_error *err)
{
    qdrant_vectors *q = as_qdrant(v);
    if (!usable(query, dim))
        return fc_error_set(err, FC_ERR_ARG, "vectors_search: a query of zero or non-finite length");
    int have;
    fc_status rc = collection_dim(q, &have, err);
    if (rc || !have || k == 0)
        return rc;
    if (have != dim)
        return fc_error_set(err, FC_ERR_ARG, "vectors_search: a query of dimension %d, collection %s "
                            "has %d", dim, q->collection, have);
    char path[256];
    long http;
    json_t *res = NULL;
    coll_path(q, "/points/search", path, sizeof path);
    rc = call(q, "search", "POST", path, fc_qdrant_body_search(query, dim, k, f), 1, &http, &res, err);
    if (!rc && http != 404)
        rc = fc_qdrant_parse_points(res, out, err);
    json_decref(res);
    if (rc)
        fc_vec_list_free(out);
    return rc;
}

const struct fc_vectors_ops fc_vectors_qdrant = {
    .name = "qdrant",
    .open = qd_open,
    .close = qd_close,
    .health = qd_health,
    .ensure = qd_ensure,
    .upsert = qd_upsert,
    .remove = qd_remove,
    .count = qd_count,
    .get = qd_get,
    .search = qd_search,
};
