/* qdrant_json.c - the JSON of the Qdrant backend, without I/O: request bodies built
 * from our records and filters, and responses parsed back into them (jansson). The
 * payload is typed as API.md says: strings, a bool, an int array, floats. */
#include "store/qdrant_int.h"

#include "core/json.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const fc_qdrant_indexed_fields[3] = {"clustering_id", "person_id", "bucket_name"};

/* Sets key to a new value; returns -1 when the value is NULL (out of memory). */
static int set_new(json_t *obj, const char *key, json_t *value)
{
    return value ? json_object_set_new(obj, key, value) : -1;
}

static json_t *floats(const float *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real((double)v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* A string field: "" = null (not set). */
static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *fc_qdrant_filter(const fc_vec_filter *f)
{
    if (!f)
        return NULL;
    const char *keys[] = {"clustering_id", "person_id", "bucket_name", "sub_bucket"};
    const char *values[] = {f->clustering_id, f->person_id, f->bucket_name, f->sub_bucket};
    json_t *must = json_array();
    for (int k = 0; must && k < 4; k++) {
        if (!values[k])
            continue;
        json_t *cond = json_pack("{s:s, s:{s:s}}", "key", keys[k], "match", "value", values[k]);
        if (!cond || json_array_append_new(must, cond)) {
            json_decref(must);
            return NULL;
        }
    }
    if (!must || json_array_size(must) == 0) {
        json_decref(must);
        return NULL;
    }
    return json_pack("{s:o}", "must", must);
}

/* Adds "filter" when f has a field set; -1 when out of memory. */
static int add_filter(json_t *body, const fc_vec_filter *f)
{
    json_t *filter = fc_qdrant_filter(f);
    return filter ? json_object_set_new(body, "filter", filter) : 0;
}

json_t *fc_qdrant_body_create(int dim)
{
    return json_pack("{s:{s:i, s:s}}", "vectors", "size", dim, "distance", "Cosine");
}

json_t *fc_qdrant_body_index(const char *field)
{
    return json_pack("{s:s, s:s}", "field_name", field, "field_schema", "keyword");
}

/* "image_path". Qdrant refuses a payload string that is not UTF-8, but a file name
 * is bytes ("caf\xe9.jpg" from a Latin-1 system): such a path is written as its
 * Latin-1 reading (fc_json_text: what a person looking at the point sees) and, in
 * "image_path_bytes_hex", as its real bytes, which parse_point reads back. Non-zero
 * when out of memory. */
static int set_image_path(json_t *o, const char *path)
{
    if (!path || !*path || fc_utf8_valid(path))
        return set_new(o, "image_path", str_or_null(path));
    char *hex = fc_bytes_hex(path);
    int bad = set_new(o, "image_path", fc_json_text(path)) |
              set_new(o, "image_path_bytes_hex", hex ? json_string(hex) : NULL);
    free(hex);
    return bad;
}

json_t *fc_qdrant_payload(const fc_vec_payload *pl)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_t *bbox = json_pack("[i,i,i,i]", pl->bbox[0], pl->bbox[1], pl->bbox[2], pl->bbox[3]);
    int bad = set_new(o, "face_id", json_string(pl->face_id));
    bad |= set_image_path(o, pl->image_path);
    bad |= set_new(o, "person_id", str_or_null(pl->person_id));
    bad |= set_new(o, "is_owner_face", json_boolean(pl->is_owner_face));
    bad |= set_new(o, "clustering_id", str_or_null(pl->clustering_id));
    bad |= set_new(o, "bucket_name", str_or_null(pl->bucket_name));
    bad |= set_new(o, "sub_bucket", str_or_null(pl->sub_bucket));
    bad |= set_new(o, "bbox", bbox);
    bad |= set_new(o, "confidence", json_real(pl->confidence));
    bad |= set_new(o, "quality_score", json_real(pl->quality_score));
    bad |= set_new(o, "cluster_confidence", json_real(pl->cluster_confidence));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *fc_qdrant_body_upsert(const fc_vec_point *points, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        const fc_vec_point *p = &points[i];
        json_t *pt = json_pack("{s:s, s:o*, s:o*}", "id", p->payload.face_id, "vector",
                               floats(p->vector, p->dim), "payload", fc_qdrant_payload(&p->payload));
        if (!pt || !json_object_get(pt, "vector") || !json_object_get(pt, "payload") ||
            json_array_append_new(arr, pt)) {
            json_decref(pt);
            json_decref(arr);
            return NULL;
        }
    }
    return arr ? json_pack("{s:o}", "points", arr) : NULL;
}

json_t *fc_qdrant_body_search(const float *query, int dim, size_t k, const fc_vec_filter *f)
{
    json_t *b = json_pack("{s:o*, s:I, s:b, s:b}", "vector", floats(query, dim), "limit",
                          (json_int_t)k, "with_payload", 1, "with_vector", 0);
    if (b && (!json_object_get(b, "vector") || add_filter(b, f))) {
        json_decref(b);
        return NULL;
    }
    return b;
}

json_t *fc_qdrant_body_scroll(const fc_vec_filter *f, size_t limit, int with_vectors,
                              const json_t *offset)
{
    json_t *b = json_pack("{s:I, s:b, s:b}", "limit", (json_int_t)limit, "with_payload", 1,
                          "with_vector", with_vectors != 0);
    if (b && (add_filter(b, f) ||
              (offset && !json_is_null(offset) &&
               json_object_set_new(b, "offset", json_deep_copy(offset))))) {
        json_decref(b);
        return NULL;
    }
    return b;
}

json_t *fc_qdrant_body_count(const fc_vec_filter *f)
{
    json_t *b = json_pack("{s:b}", "exact", 1);
    if (b && add_filter(b, f)) {
        json_decref(b);
        return NULL;
    }
    return b;
}

json_t *fc_qdrant_body_delete(const fc_vec_filter *f)
{
    json_t *filter = fc_qdrant_filter(f);
    return filter ? json_pack("{s:o}", "filter", filter) : NULL;
}

char *fc_qdrant_dump(const json_t *body)
{
    return fc_json_dump(body, JSON_COMPACT | JSON_REAL_PRECISION(9));
}

/* ---- responses -------------------------------------------------------------- */

fc_status fc_qdrant_parse(const char *what, long http_status, const char *body, json_t **result,
                          fc_error *err)
{
    *result = NULL;
    json_error_t je;
    json_t *doc = body ? json_loads(body, JSON_DECODE_ANY, &je) : NULL;
    /* A good answer jansson had no memory for is out of memory; an error answer stays
     * one, naming the HTTP status. */
    int ok_status = http_status >= 200 && http_status < 300;
    if (ok_status && body && !doc && fc_json_load_nomem(&je))
        return fc_error_set(err, FC_ERR_NOMEM, "qdrant %s: out of memory reading the answer", what);
    const char *status = json_string_value(json_object_get(doc, "status"));
    fc_status rc = FC_OK;
    if (ok_status && status && !strcmp(status, "ok") &&
        json_object_get(doc, "result")) {
        *result = json_incref(json_object_get(doc, "result"));
    } else {
        const char *msg = json_string_value(json_object_get(json_object_get(doc, "status"), "error"));
        if (!msg)
            msg = status;
        if (msg)
            rc = fc_error_set(err, FC_ERR_IO, "qdrant %s: HTTP %ld: %.300s", what, http_status, msg);
        else
            rc = fc_error_set(err, FC_ERR_IO, "qdrant %s: HTTP %ld, unexpected response: %.120s",
                              what, http_status, body ? body : "(none)");
    }
    json_decref(doc);
    return rc;
}

fc_status fc_qdrant_parse_dim(const json_t *result, int *dim, fc_error *err)
{
    const json_t *vectors = json_object_get(
        json_object_get(json_object_get(result, "config"), "params"), "vectors");
    json_int_t size = json_integer_value(json_object_get(vectors, "size"));
    if (!json_is_integer(json_object_get(vectors, "size")) || size <= 0 || size > 65536)
        return fc_error_set(err, FC_ERR_FORMAT,
                            "qdrant: the collection has no single unnamed vector with a size "
                            "(named vectors are not used by facecluster)");
    const char *distance = json_string_value(json_object_get(vectors, "distance"));
    if (distance && strcmp(distance, "Cosine") != 0)
        return fc_error_set(err, FC_ERR_ARG, "qdrant: the collection's distance is %s, not Cosine",
                            distance);
    *dim = (int)size;
    return FC_OK;
}

fc_status fc_qdrant_parse_count(const json_t *result, int64_t *n, fc_error *err)
{
    const json_t *c = json_object_get(result, "count");
    if (!json_is_integer(c) || json_integer_value(c) < 0)
        return fc_error_set(err, FC_ERR_FORMAT, "qdrant count: no count in the result");
    *n = json_integer_value(c);
    return FC_OK;
}

/* A string payload field into a fixed buffer ("" when absent or null). */
static void copy_str(const json_t *pl, const char *key, char *out, size_t size)
{
    const char *s = json_string_value(json_object_get(pl, key));
    size_t len = s ? strlen(s) : 0;
    if (len >= size)
        len = 0; /* longer than any valid value: treat as not set */
    if (len)
        memcpy(out, s, len);
    out[len] = '\0';
}

/* "image_path", or the real bytes of one that is not UTF-8 (set_image_path). */
static fc_status parse_image_path(const json_t *pl, const char *id, char **out, fc_error *err)
{
    const char *hex = json_string_value(json_object_get(pl, "image_path_bytes_hex"));
    int nomem = 0;
    if (hex)
        *out = fc_bytes_from_hex(hex, &nomem);
    else {
        const char *path = json_string_value(json_object_get(pl, "image_path"));
        *out = path ? strdup(path) : NULL;
        nomem = path && !*out;
    }
    if (nomem)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (hex && !*out)
        return fc_error_set(err, FC_ERR_FORMAT, "qdrant: point %s: image_path_bytes_hex is not "
                            "lower-case hex pairs", id);
    return FC_OK;
}

static fc_status parse_point(const json_t *j, fc_vec_point *p, fc_error *err)
{
    const json_t *pl = json_object_get(j, "payload");
    const char *id = json_string_value(json_object_get(j, "id"));
    if (!fc_uuid_valid(id, 0))
        return fc_error_set(err, FC_ERR_FORMAT, "qdrant: a point whose id is not a UUID");
    memcpy(p->payload.face_id, id, FC_UUID_LEN + 1);
    copy_str(pl, "clustering_id", p->payload.clustering_id, sizeof p->payload.clustering_id);
    copy_str(pl, "person_id", p->payload.person_id, sizeof p->payload.person_id);
    copy_str(pl, "bucket_name", p->payload.bucket_name, sizeof p->payload.bucket_name);
    copy_str(pl, "sub_bucket", p->payload.sub_bucket, sizeof p->payload.sub_bucket);
    fc_status rc = parse_image_path(pl, id, &p->payload.image_path, err);
    if (rc)
        return rc;
    /* typed, but points written by the original service hold strings: take both */
    const json_t *owner = json_object_get(pl, "is_owner_face");
    const char *owner_s = json_string_value(owner);
    p->payload.is_owner_face = json_is_true(owner) || (owner_s && !strcasecmp(owner_s, "true"));
    const json_t *bbox = json_object_get(pl, "bbox");
    for (size_t k = 0; k < 4 && k < json_array_size(bbox); k++) {
        double v = json_number_value(json_array_get(bbox, k));
        if (!(v > (double)INT_MIN - 1.0 && v < (double)INT_MAX + 1.0))
            return fc_error_set(err, FC_ERR_FORMAT, "qdrant: point %s: bbox value %.17g out of range",
                                id, v);
        p->payload.bbox[k] = (int)v;
    }
    p->payload.confidence = (float)json_number_value(json_object_get(pl, "confidence"));
    p->payload.quality_score = (float)json_number_value(json_object_get(pl, "quality_score"));
    p->payload.cluster_confidence = (float)json_number_value(json_object_get(pl, "cluster_confidence"));
    p->score = (float)json_number_value(json_object_get(j, "score"));
    const json_t *vec = json_object_get(j, "vector");
    if (json_is_array(vec) && json_array_size(vec) > 0) {
        size_t n = json_array_size(vec);
        if (n > 65536 || !(p->vector = malloc(n * sizeof *p->vector)))
            return fc_error_set(err, n > 65536 ? FC_ERR_FORMAT : FC_ERR_NOMEM,
                                "qdrant: point %s: vector of %zu floats", id, n);
        for (size_t k = 0; k < n; k++) {
            const json_t *x = json_array_get(vec, k);
            if (!json_is_number(x))
                return fc_error_set(err, FC_ERR_FORMAT, "qdrant: point %s: vector not numbers", id);
            p->vector[k] = (float)json_number_value(x);
        }
        p->dim = (int)n;
    }
    return FC_OK;
}

fc_status fc_qdrant_parse_points(const json_t *points, fc_vec_list *out, fc_error *err)
{
    if (!json_is_array(points))
        return fc_error_set(err, FC_ERR_FORMAT, "qdrant: expected an array of points");
    size_t i;
    const json_t *j;
    json_array_foreach(points, i, j) {
        fc_vec_point *p = fc_rec_append((void **)&out->items, &out->n, sizeof *p);
        if (!p)
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        fc_status rc = parse_point(j, p, err);
        if (rc)
            return rc;
    }
    return FC_OK;
}

fc_status fc_qdrant_parse_scroll(const json_t *result, fc_vec_list *out, json_t **next,
                                 fc_error *err)
{
    *next = NULL;
    fc_status rc = fc_qdrant_parse_points(json_object_get(result, "points"), out, err);
    const json_t *off = json_object_get(result, "next_page_offset");
    if (!rc && off && !json_is_null(off) && !(*next = json_deep_copy(off)))
        rc = fc_error_set(err, FC_ERR_NOMEM, "qdrant scroll: out of memory for the next offset");
    return rc;
}
