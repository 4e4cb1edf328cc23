/* mongo_lease_docs.c - the BSON of shared runs on MongoDB (docs/workers.md), no I/O:
 * the work list run_work_{norm} (one document per image: clustering_id, image_path,
 * state free|leased|done, worker, claim, lease_until, attempts), the upsert of a
 * bucket's open shared run, and the write commands of claim, heartbeat, complete,
 * release and the finish claim. Lease times are the server's clock ($$NOW), since
 * the workers may be on several hosts; so the updates that set them are pipelines. */
#include "store/mongo_int.h"

#include <stdio.h>
#include <string.h>

void fc_mongo_work_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX])
{
    fc_mongo_coll_name(FC_MONGO_WORK_PREFIX, runs_coll + strlen(FC_MONGO_RUNS_PREFIX), out,
                       FC_MONGO_COLL_MAX);
}

int fc_mongo_lease_index_command(const char *coll, bson_t *out)
{
    bson_t *indexes;
    if (!strncmp(coll, FC_MONGO_WORK_PREFIX, strlen(FC_MONGO_WORK_PREFIX)))
        indexes = BCON_NEW("0", "{", "key", "{", "clustering_id", BCON_INT32(1), "image_path",
                           BCON_INT32(1), "}", "name", BCON_UTF8("clustering_id_image_path_unique"),
                           "unique", BCON_BOOL(true), "}",
                           "1", "{", "key", "{", "clustering_id", BCON_INT32(1), "state",
                           BCON_INT32(1), "image_path", BCON_INT32(1), "}", "name",
                           BCON_UTF8("clustering_id_state_image_path"), "}");
    else if (!strncmp(coll, FC_MONGO_RUNS_PREFIX, strlen(FC_MONGO_RUNS_PREFIX)))
        /* one running shared run per collection, i.e. per norm */
        indexes = BCON_NEW("0", "{", "key", "{", "shared", BCON_INT32(1), "}", "name",
                           BCON_UTF8("one_shared_running"), "unique", BCON_BOOL(true),
                           "partialFilterExpression", "{", "shared", BCON_BOOL(true), "status",
                           BCON_UTF8("running"), "}", "}");
    else
        return -1;
    bson_init(out);
    BSON_APPEND_UTF8(out, "createIndexes", coll);
    BSON_APPEND_ARRAY(out, "indexes", indexes);
    bson_destroy(indexes);
    return 0;
}

void fc_mongo_shared_upsert(const char *runs_coll, const fc_run_rec *run, int64_t now, bson_t *out)
{
    bson_t doc, fresh;
    fc_mongo_run_doc(run, "", now, &doc);
    bson_init(&fresh);
    bson_copy_to_excluding_noinit(&doc, &fresh, "owner", "heartbeat", NULL);
    BSON_APPEND_BOOL(&fresh, "shared", true);
    BSON_APPEND_BOOL(&fresh, "work_ready", false);
    bson_init(out);
    BSON_APPEND_UTF8(out, "findAndModify", runs_coll);
    bson_t *query = BCON_NEW("shared", BCON_BOOL(true), "status", BCON_UTF8("running"));
    BSON_APPEND_DOCUMENT(out, "query", query);
    bson_t upd;
    BSON_APPEND_DOCUMENT_BEGIN(out, "update", &upd);
    BSON_APPEND_DOCUMENT(&upd, "$setOnInsert", &fresh);
    bson_append_document_end(out, &upd);
    BSON_APPEND_BOOL(out, "upsert", true);
    BSON_APPEND_BOOL(out, "new", true);
    bson_destroy(query);
    bson_destroy(&fresh);
    bson_destroy(&doc);
}

void fc_mongo_work_doc(const char *clustering_id, const char *image_path, bson_t *out)
{
    bson_init(out);
    BSON_APPEND_UTF8(out, "clustering_id", clustering_id);
    BSON_APPEND_UTF8(out, "image_path", image_path);
    BSON_APPEND_UTF8(out, "state", "free");
    BSON_APPEND_NULL(out, "worker");
    BSON_APPEND_NULL(out, "claim");
    BSON_APPEND_DATE_TIME(out, "lease_until", 0);
    BSON_APPEND_INT32(out, "attempts", 0);
}

/* [{$set: {fields..., <until_key>: $$NOW + lease_ms}}] appended to out as key. */
static void until_pipeline(bson_t *out, const char *key, const bson_t *fields,
                           const char *until_key, int64_t lease_ms)
{
    bson_t arr, stage, set;
    BSON_APPEND_ARRAY_BEGIN(out, key, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &stage);
    BSON_APPEND_DOCUMENT_BEGIN(&stage, "$set", &set);
    if (fields)
        bson_concat(&set, fields);
    bson_t *add = BCON_NEW("$add", "[", BCON_UTF8("$$NOW"), BCON_INT64(lease_ms), "]");
    BSON_APPEND_DOCUMENT(&set, until_key, add);
    bson_destroy(add);
    bson_append_document_end(&stage, &set);
    bson_append_document_end(&arr, &stage);
    bson_append_array_end(out, &arr);
}

void fc_mongo_claim_command(const char *work_coll, const char *clustering_id, const char *worker,
                            const char *token, int64_t lease_ms, bson_t *out)
{
    /* not done, and free, expired, or this worker's from an earlier claim */
    bson_t *query = BCON_NEW(
        "clustering_id", BCON_UTF8(clustering_id), "state", "{", "$ne", BCON_UTF8("done"), "}",
        "$or", "[",
        "{", "worker", BCON_NULL, "}",
        "{", "$expr", "{", "$lte", "[", BCON_UTF8("$lease_until"), BCON_UTF8("$$NOW"), "]", "}", "}",
        "{", "worker", BCON_UTF8(worker), "claim", "{", "$ne", BCON_UTF8(token), "}", "}",
        "]");
    bson_t *fields = BCON_NEW(
        "state", BCON_UTF8("leased"), "worker", "{", "$literal", BCON_UTF8(worker), "}",
        "claim", "{", "$literal", BCON_UTF8(token), "}",
        "attempts", "{", "$add", "[", "{", "$ifNull", "[", BCON_UTF8("$attempts"), BCON_INT32(0),
        "]", "}", BCON_INT32(1), "]", "}");
    bson_init(out);
    BSON_APPEND_UTF8(out, "findAndModify", work_coll);
    BSON_APPEND_DOCUMENT(out, "query", query);
    bson_t *sort = BCON_NEW("image_path", BCON_INT32(1));
    BSON_APPEND_DOCUMENT(out, "sort", sort);
    until_pipeline(out, "update", fields, "lease_until", lease_ms);
    BSON_APPEND_BOOL(out, "new", false); /* the document before: who held it */
    bson_t *proj = BCON_NEW("image_path", BCON_INT32(1), "worker", BCON_INT32(1));
    BSON_APPEND_DOCUMENT(out, "fields", proj);
    bson_destroy(sort);
    bson_destroy(proj);
    bson_destroy(query);
    bson_destroy(fields);
}

/* {update: coll, updates: [{q, u, multi}]} */
static void update_command(const char *coll, const bson_t *q, const bson_t *u, int u_is_array,
                           int multi, bson_t *out)
{
    bson_t arr, one;
    bson_init(out);
    BSON_APPEND_UTF8(out, "update", coll);
    BSON_APPEND_ARRAY_BEGIN(out, "updates", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &one);
    BSON_APPEND_DOCUMENT(&one, "q", q);
    if (u_is_array)
        BSON_APPEND_ARRAY(&one, "u", u);
    else
        BSON_APPEND_DOCUMENT(&one, "u", u);
    BSON_APPEND_BOOL(&one, "multi", multi != 0);
    bson_append_document_end(&arr, &one);
    bson_append_array_end(out, &arr);
}

/* An update command whose u is a pipeline setting fields and until_key. */
static void until_command(const char *coll, const bson_t *q, const bson_t *fields,
                          const char *until_key, int64_t lease_ms, int multi, bson_t *out)
{
    bson_t holder = BSON_INITIALIZER, u;
    bson_iter_t it;
    until_pipeline(&holder, "u", fields, until_key, lease_ms);
    uint32_t len = 0;
    const uint8_t *data = NULL;
    if (bson_iter_init_find(&it, &holder, "u"))
        bson_iter_array(&it, &len, &data);
    if (data && bson_init_static(&u, data, len))
        update_command(coll, q, &u, 1, multi, out);
    else
        bson_init(out); /* not reached: holder was built above */
    bson_destroy(&holder);
}

void fc_mongo_heartbeat_command(const char *work_coll, const char *clustering_id,
                                const char *worker, int64_t lease_ms, bson_t *out)
{
    bson_t *q = BCON_NEW("clustering_id", BCON_UTF8(clustering_id), "state", BCON_UTF8("leased"),
                         "worker", BCON_UTF8(worker));
    until_command(work_coll, q, NULL, "lease_until", lease_ms, 1, out);
    bson_destroy(q);
}

void fc_mongo_finish_heartbeat_command(const char *runs_coll, const char *clustering_id,
                                       const char *worker, int64_t lease_ms, bson_t *out)
{
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, clustering_id);
    bson_t *q = BCON_NEW("_id", BCON_OID(&oid), "status", BCON_UTF8("running"), "finisher",
                         BCON_UTF8(worker));
    until_command(runs_coll, q, NULL, "finish_until", lease_ms, 0, out);
    bson_destroy(q);
}

void fc_mongo_done_command(const char *work_coll, const char *clustering_id, const char *worker,
                           const char *image_path, bson_t *out)
{
    bson_t *q = BCON_NEW("clustering_id", BCON_UTF8(clustering_id), "image_path",
                         BCON_UTF8(image_path), "state", BCON_UTF8("leased"), "worker",
                         BCON_UTF8(worker));
    bson_t *u = BCON_NEW("$set", "{", "state", BCON_UTF8("done"), "}");
    update_command(work_coll, q, u, 0, 0, out);
    bson_destroy(q);
    bson_destroy(u);
}

/* Back to free: state from (leased: a release; done: undoing a refused complete). */
void fc_mongo_free_command(const char *work_coll, const char *clustering_id, const char *worker,
                           const char *state, const char *image_path, bson_t *out)
{
    bson_t *q = BCON_NEW("clustering_id", BCON_UTF8(clustering_id), "state", BCON_UTF8(state),
                         "worker", BCON_UTF8(worker));
    if (image_path)
        BSON_APPEND_UTF8(q, "image_path", image_path);
    bson_t *u = BCON_NEW("$set", "{", "state", BCON_UTF8("free"), "worker", BCON_NULL, "claim",
                         BCON_NULL, "lease_until", BCON_DATE_TIME(0), "}");
    update_command(work_coll, q, u, 0, image_path == NULL, out);
    bson_destroy(q);
    bson_destroy(u);
}

void fc_mongo_unclaim_finish_command(const char *runs_coll, const char *clustering_id,
                                     const char *worker, bson_t *out)
{
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, clustering_id);
    bson_t *q = BCON_NEW("_id", BCON_OID(&oid), "finisher", BCON_UTF8(worker));
    bson_t *u = BCON_NEW("$set", "{", "finisher", BCON_NULL, "finish_until", BCON_DATE_TIME(0), "}",
                         "$unset", "{", "owner", BCON_UTF8(""), "}");
    update_command(runs_coll, q, u, 0, 0, out);
    bson_destroy(q);
    bson_destroy(u);
}

void fc_mongo_claim_finish_command(const char *runs_coll, const char *clustering_id,
                                   const char *worker, const char *owner, int64_t lease_ms,
                                   bson_t *out)
{
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, clustering_id);
    bson_t *q = BCON_NEW(
        "_id", BCON_OID(&oid), "status", BCON_UTF8("running"), "shared", BCON_BOOL(true),
        "$or", "[",
        "{", "finisher", BCON_NULL, "}",
        "{", "finisher", BCON_UTF8(worker), "}",
        "{", "$expr", "{", "$lte", "[", BCON_UTF8("$finish_until"), BCON_UTF8("$$NOW"), "]", "}", "}",
        "]");
    bson_t *fields = BCON_NEW("finisher", "{", "$literal", BCON_UTF8(worker), "}", "owner", "{",
                              "$literal", BCON_UTF8(owner), "}");
    until_command(runs_coll, q, fields, "finish_until", lease_ms, 0, out);
    bson_destroy(q);
    bson_destroy(fields);
}

void fc_mongo_lease_face_doc(const fc_face_rec *f, const char *clustering_id, const char *worker,
                             int64_t now, bson_t *out)
{
    fc_mongo_face_doc(f, clustering_id, now, out);
    BSON_APPEND_UTF8(out, "worker", worker);
}
