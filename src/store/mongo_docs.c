/* mongo_docs.c - the BSON documents of API.md's data model, built from records and
 * parsed back, without I/O: user_profiles, person_clustering_{norm} (one document
 * per run, person_clusters inside, or in person_clusters_{norm} for a run too
 * large for one document: mongo_spill.c), person_faces_{norm} (one per face),
 * cluster_assignments; collection names (through fc_norm_collection) and indexes.
 * Ids are strings except a run's _id (ObjectId); timestamps are BSON dates. */
#include "store/mongo_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- names and times -------------------------------------------------------- */

void fc_mongo_coll_name(const char *prefix, const char *norm, char *out, size_t size)
{
    snprintf(out, size, "%s%s", prefix, norm);
}

static int coll_of(const char *prefix, const char *bucket, const char *sub, char *out, size_t size)
{
    char norm[FC_NORM_MAX];
    if (fc_norm_collection(bucket, sub, norm, sizeof norm))
        return -1;
    int n = snprintf(out, size, "%s%s", prefix, norm);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int fc_mongo_runs_coll(const char *bucket, const char *sub, char *out, size_t size)
{
    return coll_of(FC_MONGO_RUNS_PREFIX, bucket, sub, out, size);
}

int fc_mongo_faces_coll(const char *bucket, const char *sub, char *out, size_t size)
{
    return coll_of(FC_MONGO_FACES_PREFIX, bucket, sub, out, size);
}

int64_t fc_mongo_ms(const char *iso)
{
    if (!iso || !fc_timestamp_valid(iso))
        return -1;
    struct tm tm = {0};
    int used = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 19)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const char *frac = iso + used;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*frac == '.') {
        int scale = 100;
        for (const char *p = frac + 1; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
            ms += (*p - '0') * scale;
    }
    return ms;
}

/* BSON dates span +-292 million years; ISO text (and fc_timestamp_valid) has four
 * digits of year: 0000-01-01 up to, not including, 10000-01-01. */
#define ISO_MIN_MS (-62167219200000LL)
#define ISO_END_MS 253402300800000LL

void fc_mongo_iso(int64_t ms, char out[FC_TIMESTAMP_LEN + 1])
{
    if (ms < ISO_MIN_MS || ms >= ISO_END_MS) {
        out[0] = '\0'; /* not a time a record can hold: as if absent */
        return;
    }
    int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    struct timespec t = {(time_t)sec, (long)(ms - sec * 1000) * 1000000L};
    fc_timestamp_format(t, out);
}

/* ---- indexes ------------------------------------------------------------------ */

static int has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

int fc_mongo_index_command(const char *coll, bson_t *out)
{
    bson_t *indexes;
    if (!strcmp(coll, FC_MONGO_PROFILES))
        indexes = BCON_NEW("0", "{", "key", "{", "user_id", BCON_INT32(1), "}", "name",
                           BCON_UTF8("user_id_unique"), "unique", BCON_BOOL(true), "}");
    else if (!strcmp(coll, FC_MONGO_ASSIGNMENTS))
        indexes = BCON_NEW("0", "{", "key", "{", "clustering_id", BCON_INT32(1), "cluster_id",
                           BCON_INT32(1), "}", "name", BCON_UTF8("clustering_id_cluster_id_unique"),
                           "unique", BCON_BOOL(true), "}",
                           "1", "{", "key", "{", "user_id", BCON_INT32(1), "}", "name",
                           BCON_UTF8("user_id"), "}");
    else if (has_prefix(coll, FC_MONGO_FACES_PREFIX))
        indexes = BCON_NEW("0", "{", "key", "{", "face_id", BCON_INT32(1), "}", "name",
                           BCON_UTF8("face_id_unique"), "unique", BCON_BOOL(true), "}",
                           "1", "{", "key", "{", "clustering_id", BCON_INT32(1), "image_path",
                           BCON_INT32(1), "}", "name", BCON_UTF8("clustering_id_image_path"), "}",
                           "2", "{", "key", "{", "clustering_id", BCON_INT32(1), "person_id",
                           BCON_INT32(1), "member_ord", BCON_INT32(1), "}", "name",
                           BCON_UTF8("clustering_id_person_id_member_ord"), "}");
    else if (has_prefix(coll, FC_MONGO_RUNS_PREFIX))
        indexes = BCON_NEW("0", "{", "key", "{", "status", BCON_INT32(1), "timestamp",
                           BCON_INT32(-1), "}", "name", BCON_UTF8("status_timestamp"), "}");
    else if (has_prefix(coll, FC_MONGO_PERSONS_PREFIX))
        indexes = BCON_NEW("0", "{", "key", "{", "clustering_id", BCON_INT32(1), "ord",
                           BCON_INT32(1), "}", "name", BCON_UTF8("clustering_id_ord_unique"),
                           "unique", BCON_BOOL(true), "}");
    else
        return -1;
    bson_init(out);
    BSON_APPEND_UTF8(out, "createIndexes", coll);
    BSON_APPEND_ARRAY(out, "indexes", indexes);
    bson_destroy(indexes);
    return 0;
}

/* ---- small helpers ------------------------------------------------------------ */

static void append_floats(bson_t *doc, const char *key, const float *v, int n)
{
    if (!v) {
        BSON_APPEND_NULL(doc, key);
        return;
    }
    bson_t arr;
    char buf[16];
    const char *k;
    BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
    for (int i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        BSON_APPEND_DOUBLE(&arr, k, (double)v[i]);
    }
    bson_append_array_end(doc, &arr);
}

static void append_bbox(bson_t *doc, const int bbox[4])
{
    bson_t arr;
    BSON_APPEND_ARRAY_BEGIN(doc, "bbox", &arr);
    BSON_APPEND_INT32(&arr, "0", bbox[0]);
    BSON_APPEND_INT32(&arr, "1", bbox[1]);
    BSON_APPEND_INT32(&arr, "2", bbox[2]);
    BSON_APPEND_INT32(&arr, "3", bbox[3]);
    bson_append_array_end(doc, &arr);
}

static void append_strs(bson_t *doc, const char *key, char *const *v, size_t n)
{
    bson_t arr;
    char buf[16];
    const char *k;
    BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
    for (size_t i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        BSON_APPEND_UTF8(&arr, k, v[i]);
    }
    bson_append_array_end(doc, &arr);
}

static void append_str_or_null(bson_t *doc, const char *key, const char *s)
{
    if (s && *s)
        BSON_APPEND_UTF8(doc, key, s);
    else
        BSON_APPEND_NULL(doc, key);
}

/* A JSON object text as an embedded document (null when NULL or not parseable). */
static void append_json(bson_t *doc, const char *key, const char *json)
{
    bson_t sub;
    if (json && bson_init_from_json(&sub, json, -1, NULL)) {
        BSON_APPEND_DOCUMENT(doc, key, &sub);
        bson_destroy(&sub);
    } else {
        BSON_APPEND_NULL(doc, key);
    }
}

static void get_str(const bson_t *doc, const char *key, char *out, size_t size)
{
    bson_iter_t it;
    out[0] = '\0';
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)) {
        uint32_t len;
        const char *s = bson_iter_utf8(&it, &len);
        if (len < size)
            memcpy(out, s, (size_t)len + 1);
    }
}

static int get_dup(const bson_t *doc, const char *key, char **out)
{
    bson_iter_t it;
    *out = NULL;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
        return (*out = strdup(bson_iter_utf8(&it, NULL))) ? 0 : -1;
    return 0;
}

static double get_num(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
               ? bson_iter_as_double(&it) : 0;
}

/* A number as an integer within [lo, hi]: a double is truncated, and one beyond the
 * range (or NaN: 0) clamped here, before any conversion that could overflow (libbson's
 * bson_iter_as_int64 casts a double to int64 unchecked). */
static int64_t iter_int(const bson_iter_t *it, int64_t lo, int64_t hi)
{
    int64_t v;
    if (BSON_ITER_HOLDS_DOUBLE(it)) {
        double d = bson_iter_double(it);
        v = d != d ? 0 : d <= (double)lo ? lo : d >= (double)hi ? hi : (int64_t)d;
    } else {
        v = bson_iter_as_int64(it);
    }
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t get_int(const bson_t *doc, const char *key, int64_t lo, int64_t hi)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
               ? iter_int(&it, lo, hi) : 0;
}

static void get_time(const bson_t *doc, const char *key, char out[FC_TIMESTAMP_LEN + 1])
{
    bson_iter_t it;
    out[0] = '\0';
    if (!bson_iter_init_find(&it, doc, key))
        return;
    if (BSON_ITER_HOLDS_DATE_TIME(&it))
        fc_mongo_iso(bson_iter_date_time(&it), out);
    else if (BSON_ITER_HOLDS_UTF8(&it) && fc_timestamp_valid(bson_iter_utf8(&it, NULL)))
        snprintf(out, FC_TIMESTAMP_LEN + 1, "%s", bson_iter_utf8(&it, NULL));
}

/* A number array (key) into a new float array: *n its length (0 and NULL when
 * absent or null). */
static fc_status get_floats(const bson_t *doc, const char *key, float **out, int *n, fc_error *err)
{
    bson_iter_t it, arr;
    *out = NULL;
    *n = 0;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_ARRAY(&it))
        return FC_OK;
    uint32_t count = 0;
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr))
        count++;
    if (count == 0)
        return FC_OK;
    if (count > 65536 || !(*out = malloc(count * sizeof **out)))
        return fc_error_set(err, count > 65536 ? FC_ERR_FORMAT : FC_ERR_NOMEM,
                            "%s: an array of %u numbers", key, count);
    bson_iter_recurse(&it, &arr);
    for (uint32_t i = 0; bson_iter_next(&arr); i++) {
        if (!BSON_ITER_HOLDS_NUMBER(&arr)) {
            free(*out);
            *out = NULL;
            return fc_error_set(err, FC_ERR_FORMAT, "%s: element %u is not a number", key, i);
        }
        (*out)[i] = (float)bson_iter_as_double(&arr);
    }
    *n = (int)count;
    return FC_OK;
}

static void get_bbox(const bson_t *doc, int bbox[4], int *has)
{
    bson_iter_t it, arr;
    *has = 0;
    if (!bson_iter_init_find(&it, doc, "bbox") || !BSON_ITER_HOLDS_ARRAY(&it))
        return;
    bson_iter_recurse(&it, &arr);
    for (int k = 0; k < 4 && bson_iter_next(&arr); k++) {
        bbox[k] = BSON_ITER_HOLDS_NUMBER(&arr) ? (int)iter_int(&arr, INT_MIN, INT_MAX) : 0;
        *has = 1;
    }
}

static fc_status get_strv(const bson_t *doc, const char *key, char ***out, size_t *n,
                          fc_error *err)
{
    bson_iter_t it, arr;
    *out = NULL;
    *n = 0;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_ARRAY(&it))
        return FC_OK;
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr)) {
        char **slot = fc_rec_append((void **)out, n, sizeof *slot);
        if (!slot || !(*slot = strdup(BSON_ITER_HOLDS_UTF8(&arr) ? bson_iter_utf8(&arr, NULL) : "")))
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    return FC_OK;
}

/* An embedded document as JSON object text (NULL when absent or null). */
static int get_json(const bson_t *doc, const char *key, char **out)
{
    bson_iter_t it;
    *out = NULL;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    uint32_t len;
    const uint8_t *data;
    bson_t sub;
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&sub, data, len))
        return -1;
    char *json = bson_as_relaxed_extended_json(&sub, NULL);
    if (!json)
        return -1;
    *out = strdup(json);
    bson_free(json);
    return *out ? 0 : -1;
}

/* ---- user_profiles ------------------------------------------------------------ */

void fc_mongo_profile_update(const fc_profile_rec *p, int64_t now, bson_t *out)
{
    bson_t set, ins;
    bson_init(out);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$set", &set);
    BSON_APPEND_UTF8(&set, "user_id", p->user_id);
    append_floats(&set, "embedding", p->embedding, p->dim);
    BSON_APPEND_UTF8(&set, "embedding_model", p->embedding_model);
    BSON_APPEND_DOUBLE(&set, "confidence", p->confidence);
    BSON_APPEND_DOUBLE(&set, "quality_score", p->quality_score);
    if (p->has_bbox)
        append_bbox(&set, p->bbox);
    else
        BSON_APPEND_NULL(&set, "bbox");
    BSON_APPEND_DATE_TIME(&set, "updated_at", now);
    bson_append_document_end(out, &set);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$setOnInsert", &ins);
    BSON_APPEND_DATE_TIME(&ins, "created_at", now);
    bson_append_document_end(out, &ins);
}

fc_status fc_mongo_profile_parse(const bson_t *doc, fc_profile_rec *p, fc_error *err)
{
    get_str(doc, "user_id", p->user_id, sizeof p->user_id);
    get_str(doc, "embedding_model", p->embedding_model, sizeof p->embedding_model);
    p->confidence = (float)get_num(doc, "confidence");
    p->quality_score = (float)get_num(doc, "quality_score");
    get_bbox(doc, p->bbox, &p->has_bbox);
    get_time(doc, "created_at", p->created_at);
    get_time(doc, "updated_at", p->updated_at);
    return get_floats(doc, "embedding", &p->embedding, &p->dim, err);
}

/* ---- person_clustering_{norm} ------------------------------------------------- */

void fc_mongo_run_doc(const fc_run_rec *run, const char *owner, int64_t now, bson_t *out)
{
    bson_oid_t oid;
    char path[2 * FC_NAME_MAX + 2];
    bson_oid_init_from_string(&oid, run->clustering_id);
    fc_bucket_path(run->bucket, run->sub, path, sizeof path);
    bson_init(out);
    BSON_APPEND_OID(out, "_id", &oid);
    BSON_APPEND_UTF8(out, "bucket_path", path);
    BSON_APPEND_UTF8(out, "bucket_name", run->bucket);
    BSON_APPEND_UTF8(out, "sub_bucket", run->sub);
    bson_t empty;
    BSON_APPEND_ARRAY_BEGIN(out, "person_clusters", &empty);
    bson_append_array_end(out, &empty);
    BSON_APPEND_INT64(out, "total_images", 0);
    BSON_APPEND_INT64(out, "total_faces", 0);
    BSON_APPEND_INT64(out, "total_persons", 0);
    BSON_APPEND_INT64(out, "unassigned_faces", 0);
    BSON_APPEND_ARRAY_BEGIN(out, "unassigned_face_ids", &empty);
    bson_append_array_end(out, &empty);
    BSON_APPEND_NULL(out, "image_overlap_stats");
    BSON_APPEND_NULL(out, "processing_stats");
    BSON_APPEND_UTF8(out, "status", "running");
    int64_t ts = fc_mongo_ms(run->timestamp);
    BSON_APPEND_DATE_TIME(out, "timestamp", ts >= 0 ? ts : now);
    append_json(out, "params", run->params);
    BSON_APPEND_ARRAY_BEGIN(out, "images", &empty);
    bson_append_array_end(out, &empty);
    BSON_APPEND_UTF8(out, "owner", owner);
    BSON_APPEND_DATE_TIME(out, "heartbeat", now);
}

fc_status fc_mongo_run_parse(const bson_t *doc, fc_run_rec *r, fc_error *err)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_OID(&it))
        return fc_error_set(err, FC_ERR_FORMAT, "a run document without an ObjectId _id");
    bson_oid_to_string(bson_iter_oid(&it), r->clustering_id);
    get_str(doc, "bucket_name", r->bucket, sizeof r->bucket);
    get_str(doc, "sub_bucket", r->sub, sizeof r->sub);
    if (!r->bucket[0]) { /* a document of the original service: bucket_path only */
        char path[2 * FC_NAME_MAX + 2];
        get_str(doc, "bucket_path", path, sizeof path);
        char *slash = strchr(path, '/');
        if (slash) {
            *slash = '\0';
            snprintf(r->bucket, sizeof r->bucket, "%.128s", path);
            snprintf(r->sub, sizeof r->sub, "%.128s", slash + 1);
        }
    }
    fc_norm_collection(r->bucket, r->sub, r->norm, sizeof r->norm);
    char status[16];
    get_str(doc, "status", status, sizeof status);
    int st = fc_run_status_parse(status);
    /* the original wrote "completed"; anything unknown is not a result */
    r->status = !strcmp(status, "completed") ? FC_RUN_DONE : st < 0 ? FC_RUN_FAILED : (fc_run_status)st;
    get_time(doc, "timestamp", r->timestamp);
    get_time(doc, "finished_at", r->finished_at);
    r->total_images = get_int(doc, "total_images", INT64_MIN, INT64_MAX);
    r->total_faces = get_int(doc, "total_faces", INT64_MIN, INT64_MAX);
    r->total_persons = get_int(doc, "total_persons", INT64_MIN, INT64_MAX);
    r->unassigned_faces = get_int(doc, "unassigned_faces", INT64_MIN, INT64_MAX);
    if (get_dup(doc, "error", &r->error) || get_json(doc, "image_overlap_stats", &r->image_overlap_stats) ||
        get_json(doc, "processing_stats", &r->processing_stats) || get_json(doc, "params", &r->params))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    return FC_OK;
}

void fc_mongo_image_append(bson_t *array, const char *key, const fc_image_rec *img)
{
    bson_t d;
    BSON_APPEND_DOCUMENT_BEGIN(array, key, &d);
    BSON_APPEND_UTF8(&d, "image_path", img->image_path);
    BSON_APPEND_BOOL(&d, "ok", img->ok != 0);
    BSON_APPEND_INT32(&d, "n_faces", img->n_faces);
    append_str_or_null(&d, "reason", img->ok ? NULL : img->reason);
    if (img->fingerprint) /* absent: unknown, as in documents written before it */
        BSON_APPEND_UTF8(&d, "fingerprint", img->fingerprint);
    bson_append_document_end(array, &d);
}

fc_status fc_mongo_image_parse(const bson_t *doc, fc_image_rec *img, fc_error *err)
{
    bson_iter_t it;
    img->ok = bson_iter_init_find(&it, doc, "ok") && bson_iter_as_bool(&it);
    img->n_faces = (int)get_int(doc, "n_faces", INT_MIN, INT_MAX);
    if (get_dup(doc, "image_path", &img->image_path) || get_dup(doc, "reason", &img->reason) ||
        get_dup(doc, "fingerprint", &img->fingerprint))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (!img->image_path)
        return fc_error_set(err, FC_ERR_FORMAT, "a run's image without image_path");
    return FC_OK;
}

void fc_mongo_person_doc(const fc_person_rec *p, bson_t *out)
{
    bson_t arr;
    char buf[16];
    const char *k;
    bson_init(out);
    BSON_APPEND_UTF8(out, "person_id", p->person_id);
    BSON_APPEND_UTF8(out, "cluster_id", p->cluster_id[0] ? p->cluster_id : p->person_id);
    append_str_or_null(out, "owner_face_id", p->owner_face_id);
    append_floats(out, "owner_embedding", p->owner_embedding, p->dim);
    append_floats(out, "centroid", p->centroid, p->dim);
    static const char *const keys[] = {"image_paths", "face_ids", "confidence_scores", "quality_scores"};
    for (int a = 0; a < 4; a++) {
        BSON_APPEND_ARRAY_BEGIN(out, keys[a], &arr);
        for (size_t j = 0; j < p->n_members; j++) {
            const fc_member_rec *m = &p->members[j];
            bson_uint32_to_string((uint32_t)j, &k, buf, sizeof buf);
            if (a == 0)
                BSON_APPEND_UTF8(&arr, k, m->image_path ? m->image_path : "");
            else if (a == 1)
                BSON_APPEND_UTF8(&arr, k, m->face_id);
            else
                BSON_APPEND_DOUBLE(&arr, k, a == 2 ? m->confidence : m->quality_score);
        }
        bson_append_array_end(out, &arr);
    }
    BSON_APPEND_INT64(out, "size", (int64_t)p->n_members);
    BSON_APPEND_DOUBLE(out, "avg_confidence", p->avg_confidence);
    BSON_APPEND_DOUBLE(out, "best_quality_score", p->best_quality_score);
}

fc_status fc_mongo_person_parse(const bson_t *doc, fc_person_rec *p, fc_error *err)
{
    get_str(doc, "person_id", p->person_id, sizeof p->person_id);
    get_str(doc, "cluster_id", p->cluster_id, sizeof p->cluster_id);
    get_str(doc, "owner_face_id", p->owner_face_id, sizeof p->owner_face_id);
    p->avg_confidence = (float)get_num(doc, "avg_confidence");
    p->best_quality_score = (float)get_num(doc, "best_quality_score");
    int n1 = 0, n2 = 0; /* n2 stays unset when the first get_floats fails */
    fc_status rc = get_floats(doc, "owner_embedding", &p->owner_embedding, &n1, err);
    if (!rc)
        rc = get_floats(doc, "centroid", &p->centroid, &n2, err);
    if (!rc && p->owner_embedding && p->centroid && n1 != n2)
        rc = fc_error_set(err, FC_ERR_FORMAT, "person %s: owner_embedding and centroid differ in size",
                          p->person_id);
    p->dim = n1 ? n1 : n2;
    return rc;
}

void fc_mongo_run_finish_update(const fc_run_rec *run, const fc_person_rec *persons,
                                size_t n_persons, char *const *unassigned, size_t n_unassigned,
                                int64_t total_images, int64_t total_faces, int64_t now,
                                const char *persons_coll, bson_t *out)
{
    bson_t set, arr, unset;
    char buf[16];
    const char *k;
    bson_init(out);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$set", &set);
    BSON_APPEND_ARRAY_BEGIN(&set, "person_clusters", &arr);
    for (size_t i = 0; !persons_coll && i < n_persons; i++) {
        bson_t p;
        fc_mongo_person_doc(&persons[i], &p);
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        BSON_APPEND_DOCUMENT(&arr, k, &p);
        bson_destroy(&p);
    }
    bson_append_array_end(&set, &arr);
    if (persons_coll)
        BSON_APPEND_UTF8(&set, FC_MONGO_SPILL_FIELD, persons_coll);
    append_strs(&set, "unassigned_face_ids", unassigned, n_unassigned);
    BSON_APPEND_INT64(&set, "unassigned_faces", (int64_t)n_unassigned);
    BSON_APPEND_INT64(&set, "total_images", total_images);
    BSON_APPEND_INT64(&set, "total_faces", total_faces);
    BSON_APPEND_INT64(&set, "total_persons", (int64_t)n_persons);
    append_json(&set, "image_overlap_stats", run->image_overlap_stats);
    append_json(&set, "processing_stats", run->processing_stats);
    BSON_APPEND_UTF8(&set, "status", "done");
    BSON_APPEND_DATE_TIME(&set, "finished_at", now);
    BSON_APPEND_NULL(&set, "error");
    bson_append_document_end(out, &set);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$unset", &unset);
    BSON_APPEND_UTF8(&unset, "owner", "");
    BSON_APPEND_UTF8(&unset, "heartbeat", "");
    bson_append_document_end(out, &unset);
}

/* ---- person_faces_{norm} ------------------------------------------------------ */

void fc_mongo_face_doc(const fc_face_rec *f, const char *clustering_id, int64_t now, bson_t *out)
{
    bson_init(out);
    BSON_APPEND_UTF8(out, "face_id", f->face_id);
    BSON_APPEND_UTF8(out, "image_path", f->image_path);
    append_str_or_null(out, "person_id", f->person_id);
    BSON_APPEND_BOOL(out, "is_owner_face", f->is_owner_face != 0);
    append_bbox(out, f->bbox);
    append_floats(out, "landmarks", f->n_landmarks ? f->landmarks : NULL, 2 * f->n_landmarks);
    BSON_APPEND_DOUBLE(out, "confidence", f->confidence);
    BSON_APPEND_DOUBLE(out, "quality_score", f->quality_score);
    BSON_APPEND_DOUBLE(out, "cluster_confidence", f->cluster_confidence);
    BSON_APPEND_UTF8(out, "clustering_id", clustering_id);
    int64_t ts = fc_mongo_ms(f->timestamp);
    BSON_APPEND_DATE_TIME(out, "timestamp", ts >= 0 ? ts : now);
    append_floats(out, "embedding", f->embedding, f->dim);
    BSON_APPEND_NULL(out, "member_ord");
}

fc_status fc_mongo_face_parse(const bson_t *doc, fc_face_rec *f, fc_error *err)
{
    get_str(doc, "face_id", f->face_id, sizeof f->face_id);
    get_str(doc, "clustering_id", f->clustering_id, sizeof f->clustering_id);
    get_str(doc, "person_id", f->person_id, sizeof f->person_id);
    bson_iter_t it;
    f->is_owner_face = bson_iter_init_find(&it, doc, "is_owner_face") && bson_iter_as_bool(&it);
    int has;
    get_bbox(doc, f->bbox, &has);
    f->confidence = (float)get_num(doc, "confidence");
    f->quality_score = (float)get_num(doc, "quality_score");
    f->cluster_confidence = (float)get_num(doc, "cluster_confidence");
    get_time(doc, "timestamp", f->timestamp);
    if (get_dup(doc, "image_path", &f->image_path))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    float *lm;
    int n;
    fc_status rc = get_floats(doc, "landmarks", &lm, &n, err);
    if (rc)
        return rc;
    if (lm && n != 2 * FC_FACE_LANDMARKS) {
        free(lm);
        return fc_error_set(err, FC_ERR_FORMAT, "face %s: %d landmark numbers", f->face_id, n);
    }
    if (lm) {
        memcpy(f->landmarks, lm, sizeof f->landmarks);
        f->n_landmarks = FC_FACE_LANDMARKS;
        free(lm);
    }
    return get_floats(doc, "embedding", &f->embedding, &f->dim, err);
}

/* ---- cluster_assignments ------------------------------------------------------ */

void fc_mongo_assignment_update(const fc_assignment_rec *a, int64_t now, bson_t *out)
{
    bson_t set, ins;
    char path[2 * FC_NAME_MAX + 2];
    fc_bucket_path(a->bucket_name, a->sub_bucket, path, sizeof path);
    bson_init(out);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$set", &set);
    BSON_APPEND_UTF8(&set, "clustering_id", a->clustering_id);
    BSON_APPEND_UTF8(&set, "cluster_id", a->cluster_id);
    BSON_APPEND_UTF8(&set, "bucket_path", path);
    BSON_APPEND_UTF8(&set, "bucket_name", a->bucket_name);
    BSON_APPEND_UTF8(&set, "sub_bucket", a->sub_bucket);
    BSON_APPEND_UTF8(&set, "user_id", a->user_id);
    BSON_APPEND_DOUBLE(&set, "similarity", a->similarity);
    BSON_APPEND_UTF8(&set, "strategy", a->strategy);
    BSON_APPEND_INT64(&set, "face_count", a->face_count);
    append_strs(&set, "image_paths", a->image_paths, a->n_image_paths);
    append_strs(&set, "face_ids", a->face_ids, a->n_face_ids);
    BSON_APPEND_DATE_TIME(&set, "updated_at", now);
    bson_append_document_end(out, &set);
    BSON_APPEND_DOCUMENT_BEGIN(out, "$setOnInsert", &ins);
    BSON_APPEND_DATE_TIME(&ins, "created_at", now);
    bson_append_document_end(out, &ins);
}

fc_status fc_mongo_assignment_parse(const bson_t *doc, fc_assignment_rec *a, fc_error *err)
{
    get_str(doc, "clustering_id", a->clustering_id, sizeof a->clustering_id);
    get_str(doc, "cluster_id", a->cluster_id, sizeof a->cluster_id);
    get_str(doc, "bucket_name", a->bucket_name, sizeof a->bucket_name);
    get_str(doc, "sub_bucket", a->sub_bucket, sizeof a->sub_bucket);
    if (!a->bucket_name[0]) {
        char path[2 * FC_NAME_MAX + 2];
        get_str(doc, "bucket_path", path, sizeof path);
        char *slash = strchr(path, '/');
        if (slash) {
            *slash = '\0';
            snprintf(a->bucket_name, sizeof a->bucket_name, "%.128s", path);
            snprintf(a->sub_bucket, sizeof a->sub_bucket, "%.128s", slash + 1);
        }
    }
    get_str(doc, "user_id", a->user_id, sizeof a->user_id);
    a->similarity = (float)get_num(doc, "similarity");
    get_str(doc, "strategy", a->strategy, sizeof a->strategy);
    a->face_count = get_int(doc, "face_count", INT64_MIN, INT64_MAX);
    get_time(doc, "created_at", a->created_at);
    get_time(doc, "updated_at", a->updated_at);
    fc_status rc = get_strv(doc, "image_paths", &a->image_paths, &a->n_image_paths, err);
    return rc ? rc : get_strv(doc, "face_ids", &a->face_ids, &a->n_face_ids, err);
}
