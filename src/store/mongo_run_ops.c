/* mongo_run_ops.c - the run, face and person operations of the MongoDB backend
 * (struct fc_store_ops), on the helpers of mongo_runs.c; the write order that
 * keeps a crash from leaving a half-visible run is described there. */
#include "store/mongo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fc_status insert_one(mongo_store *m, const char *coll, const bson_t *doc, fc_error *err)
{
    bson_t reply, opts = BSON_INITIALIZER;
    bson_error_t be;
    mongoc_write_concern_append(m->majority, &opts);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_insert_one(col, doc, &opts, &reply, &be));
    bson_destroy(&reply);
    bson_destroy(&opts);
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    return ok ? FC_OK : fc_mongo_error(err, "insert", &be);
}

fc_status fc_mongo_run_create(fc_store *s, fc_run_rec *run, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], faces[FC_MONGO_COLL_MAX];
    if (fc_mongo_runs_coll(run->bucket, run->sub, runs, sizeof runs) ||
        fc_mongo_faces_coll(run->bucket, run->sub, faces, sizeof faces))
        return fc_error_set(err, FC_ERR_ARG, "invalid bucket or sub-bucket name");
    /* the document keeps milliseconds: give the caller the time as stored */
    int64_t ts = fc_mongo_ms(run->timestamp);
    if (ts >= 0)
        fc_mongo_iso(ts, run->timestamp);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_create_indexes(m, c, runs, err);
    if (!rc)
        rc = fc_mongo_create_indexes(m, c, faces, err);
    mongoc_client_pool_push(m->pool, c);
    bson_t doc;
    fc_mongo_run_doc(run, m->owner, fc_mongo_now(), &doc);
    if (!rc && (rc = insert_one(m, runs, &doc, err)) == FC_ERR_ARG)
        rc = fc_error_set(err, FC_ERR_ARG, "a run %s exists already", run->clustering_id);
    bson_destroy(&doc);
    if (!rc)
        fc_mongo_own(m, run->clustering_id, runs);
    return rc;
}

/* The image paths recorded in a run document. */
static fc_status recorded_images(const bson_t *doc, fc_image_list *out, fc_error *err)
{
    bson_iter_t it, arr;
    if (!bson_iter_init_find(&it, doc, "images") || !BSON_ITER_HOLDS_ARRAY(&it))
        return FC_OK;
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
            continue;
        uint32_t len;
        const uint8_t *data;
        bson_t sub;
        bson_iter_document(&arr, &len, &data);
        fc_image_rec *img = fc_rec_append((void **)&out->items, &out->n, sizeof *img);
        if (!img)
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        if (!bson_init_static(&sub, data, len))
            return fc_error_set(err, FC_ERR_FORMAT, "a run's images are corrupt");
        fc_status rc = fc_mongo_image_parse(&sub, img, err);
        if (rc)
            return rc;
    }
    return FC_OK;
}

static bson_t *oid_sel(const char *id, bson_oid_t *oid)
{
    bson_oid_init_from_string(oid, id);
    return BCON_NEW("_id", BCON_OID(oid));
}

fc_status fc_mongo_run_resume(fc_store *s, const char *clustering_id, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], faces[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_image_list imgs = {0};
    fc_status rc = fc_mongo_locate(m, clustering_id, 1, coll, &doc, err);
    if (rc)
        return rc;
    if (!doc)
        return fc_error_set(err, FC_ERR_ARG, "no run %s", clustering_id);
    const char *status = fc_mongo_doc_str(doc, "status");
    if (strcmp(status, "failed") != 0) {
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is %s: only a failed run can be resumed",
                          clustering_id, status);
        goto out;
    }
    bson_oid_t oid;
    bson_t *sel = oid_sel(clustering_id, &oid);
    BSON_APPEND_UTF8(sel, "status", "failed");
    bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8("running"), "owner", BCON_UTF8(m->owner),
                           "heartbeat", BCON_DATE_TIME(fc_mongo_now()), "error", BCON_NULL,
                           "finished_at", BCON_NULL, "}");
    int64_t matched = 0;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    rc = fc_mongo_update_one(m, c, coll, sel, upd, 1, &matched, err);
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(sel);
    bson_destroy(upd);
    if (!rc && matched != 1)
        rc = fc_error_set(err, FC_ERR_ARG, "run %s changed while being resumed", clustering_id);
    if (rc)
        goto out;
    fc_mongo_own(m, clustering_id, coll);
    /* faces of images never recorded (a crash inside a batch) are dropped */
    if ((rc = recorded_images(doc, &imgs, err)))
        goto out;
    bson_t filter = BSON_INITIALIZER, nin, arr;
    BSON_APPEND_UTF8(&filter, "clustering_id", clustering_id);
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "image_path", &nin);
    BSON_APPEND_ARRAY_BEGIN(&nin, "$nin", &arr);
    for (size_t i = 0; i < imgs.n; i++) {
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        BSON_APPEND_UTF8(&arr, k, imgs.items[i].image_path);
    }
    bson_append_array_end(&nin, &arr);
    bson_append_document_end(&filter, &nin);
    fc_mongo_faces_of(coll, faces);
    rc = fc_mongo_delete(m, faces, &filter, NULL, err);
    bson_destroy(&filter);
out:
    fc_image_list_free(&imgs);
    bson_destroy(doc);
    return rc;
}

static void append_paths(bson_t *doc, const char *key, const fc_image_rec *images, size_t n)
{
    bson_t arr;
    char buf[16];
    const char *k;
    BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
    for (size_t i = 0; i < n; i++) {
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        BSON_APPEND_UTF8(&arr, k, images[i].image_path);
    }
    bson_append_array_end(doc, &arr);
}

/* Inserts face documents for run id: plain ones (worker NULL) or ones tagged with the
 * worker that wrote them (shared runs, mongo_leases.c). */
fc_status fc_mongo_insert_faces(mongo_store *m, const char *coll, const char *id,
                                const char *worker, const fc_face_rec *f, size_t n_faces,
                                fc_error *err)
{
    fc_status rc = FC_OK;
    int64_t now = fc_mongo_now();
    bson_t *docs = calloc(n_faces, sizeof *docs);
    const bson_t **ptrs = calloc(n_faces, sizeof *ptrs);
    if (!docs || !ptrs) {
        free(docs);
        free(ptrs);
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_faces; i++) {
        if (worker)
            fc_mongo_lease_face_doc(&f[i], id, worker, now, &docs[i]);
        else
            fc_mongo_face_doc(&f[i], id, now, &docs[i]);
        ptrs[i] = &docs[i];
    }
    bson_t reply;
    bson_error_t be;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    int ok = mongoc_collection_insert_many(col, ptrs, n_faces, NULL, &reply, &be);
    int transient = !ok && fc_mongo_transient(&be, &reply);
    bson_destroy(&reply);
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    for (size_t i = 0; i < n_faces; i++)
        bson_destroy(&docs[i]);
    free(docs);
    free(ptrs);
    if (!ok)
        rc = fc_mongo_error(err, transient ? "insert faces (transient)" : "insert faces", &be);
    return rc;
}

/* The faces of a batch: the old faces of its images deleted, the new inserted. */
static fc_status write_faces(mongo_store *m, const char *faces, const char *id,
                             const fc_face_rec *f, size_t n_faces, const fc_image_rec *images,
                             size_t n_images, fc_error *err)
{
    bson_t filter = BSON_INITIALIZER, in;
    BSON_APPEND_UTF8(&filter, "clustering_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "image_path", &in);
    append_paths(&in, "$in", images, n_images);
    bson_append_document_end(&filter, &in);
    fc_status rc = fc_mongo_delete(m, faces, &filter, NULL, err);
    bson_destroy(&filter);
    if (rc || n_faces == 0)
        return rc;
    return fc_mongo_insert_faces(m, faces, id, NULL, f, n_faces, err);
}

bson_t *fc_mongo_images_update(const fc_face_rec *faces, size_t n_faces,
                               const fc_image_rec *images, size_t n_images)
{
    /* an update pipeline: images = [recorded ones not in this batch] + this batch */
    bson_t fresh = BSON_INITIALIZER, paths = BSON_INITIALIZER;
    for (size_t i = 0; i < n_images; i++) {
        fc_image_rec img = images[i];
        img.n_faces = 0;
        for (size_t j = 0; j < n_faces; j++)
            img.n_faces += !strcmp(faces[j].image_path, img.image_path);
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        fc_mongo_image_append(&fresh, k, &img);
        BSON_APPEND_UTF8(&paths, k, img.image_path);
    }
    bson_t *real = BCON_NEW(
        "0", "{", "$set", "{", "images", "{", "$concatArrays", "[",
        "{", "$filter", "{",
        "input", "{", "$ifNull", "[", BCON_UTF8("$images"), "[", "]", "]", "}",
        "cond", "{", "$not", "[", "{", "$in", "[", BCON_UTF8("$$this.image_path"), BCON_ARRAY(&paths),
        "]", "}", "]", "}",
        "}", "}",
        BCON_ARRAY(&fresh), "]", "}", "}", "}");
    bson_destroy(&fresh);
    bson_destroy(&paths);
    return real;
}

fc_status fc_mongo_images_fit(size_t doc_len, const bson_t *update, const char *clustering_id,
                              size_t n_images, fc_error *err)
{
    if (fc_mongo_update_fits(doc_len, update))
        return FC_OK;
    return fc_error_set(err, FC_ERR_LIMIT, "run %s: recording %zu more images would make its "
                        "document pass what MongoDB takes (16 MiB): split the event into "
                        "sub-buckets", clustering_id, n_images);
}

fc_status fc_mongo_run_add_batch(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                                 size_t n_faces, const fc_image_rec *images, size_t n_images,
                                 fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_writable(m, clustering_id, coll, &doc, err);
    if (rc)
        return rc;
    /* the images' update of the run document, checked before anything is written:
       the document holds every image of the run and MongoDB refuses one over 16 MiB */
    bson_t *real = fc_mongo_images_update(faces, n_faces, images, n_images);
    rc = fc_mongo_images_fit(doc->len, real, clustering_id, n_images, err);
    bson_destroy(doc);
    if (rc) {
        bson_destroy(real);
        return rc;
    }
    fc_mongo_faces_of(coll, fcoll);
    /* delete + insert is idempotent: retried whole on a transient error */
    for (int attempt = 0;; attempt++) {
        fc_error e = {0};
        rc = write_faces(m, fcoll, clustering_id, faces, n_faces, images, n_images, &e);
        if (!rc || attempt + 1 >= FC_MONGO_ATTEMPTS || !strstr(e.msg, "(transient)")) {
            if (rc)
                *err = e;
            break;
        }
        fc_mongo_backoff(attempt);
    }
    if (rc) {
        bson_destroy(real);
        return rc;
    }
    /* then the images, in one update of the run document */
    bson_oid_t oid;
    bson_t *sel = oid_sel(clustering_id, &oid);
    BSON_APPEND_UTF8(sel, "status", "running");
    BSON_APPEND_UTF8(sel, "owner", m->owner);
    int64_t matched = 0;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    rc = fc_mongo_update_one(m, c, coll, sel, real, 0, &matched, err);
    mongoc_client_pool_push(m->pool, c);
    if (!rc && matched != 1)
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is no longer written by this handle", clustering_id);
    bson_destroy(sel);
    bson_destroy(real);
    return rc;
}

int fc_mongo_by_path(const void *a, const void *b)
{
    return strcmp(((const fc_image_rec *)a)->image_path, ((const fc_image_rec *)b)->image_path);
}

/* ---- finish and fail ------------------------------------------------------------ */

static fc_status face_row(const bson_t *doc, void *list, fc_error *err)
{
    fc_face_list *l = list;
    fc_face_rec *f = fc_rec_append((void **)&l->items, &l->n, sizeof *f);
    return f ? fc_mongo_face_parse(doc, f, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

static void face_clear(void *list)
{
    fc_face_list_free(list);
}

fc_status fc_mongo_faces_find(mongo_store *m, const char *coll, const bson_t *filter,
                              const bson_t *opts, fc_face_list *out, fc_error *err)
{
    return fc_mongo_find_all(m, coll, filter, opts, face_row, out, face_clear, err);
}

/* The faces of a run (filter clustering_id [+ person_id]), sorted, without
 * embeddings unless asked. */
fc_status fc_mongo_faces_read(mongo_store *m, const char *faces, const char *id,
                              const char *person_id, int with_embeddings, fc_face_list *out,
                              fc_error *err)
{
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(id));
    if (person_id && *person_id)
        BSON_APPEND_UTF8(filter, "person_id", person_id);
    else if (person_id)
        BSON_APPEND_NULL(filter, "person_id");
    bson_t *opts = person_id && *person_id
                       ? BCON_NEW("sort", "{", "member_ord", BCON_INT32(1), "}")
                       : BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    if (!with_embeddings) {
        bson_t *proj = BCON_NEW("embedding", BCON_INT32(0));
        BSON_APPEND_DOCUMENT(opts, "projection", proj);
        bson_destroy(proj);
    }
    fc_status rc = fc_mongo_faces_find(m, faces, filter, opts, out, err);
    bson_destroy(filter);
    bson_destroy(opts);
    return rc;
}

/* One bulk write of col: the updates of the n members at batch (n >= 1). 1, or 0
 * with be set; reply is always initialised. */
static int members_bulk(mongoc_collection_t *col, const char *id, const fc_person_rec *persons,
                        const fc_mongo_member_pos *batch, size_t n, bson_t *reply, bson_error_t *be)
{
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(col, NULL);
    int ok = 1;
    for (size_t k = 0; ok && k < n; k++) {
        bson_t sel, upd;
        fc_mongo_member_update(id, &persons[batch[k].i], batch[k].j, &sel, &upd);
        ok = mongoc_bulk_operation_update_one_with_opts(bulk, &sel, &upd, NULL, be);
        bson_destroy(&sel);
        bson_destroy(&upd);
    }
    if (ok)
        ok = mongoc_bulk_operation_execute(bulk, reply, be) != 0;
    else
        bson_init(reply);
    mongoc_bulk_operation_destroy(bulk);
    return ok;
}

fc_status fc_mongo_write_members(mongoc_collection_t *col, const char *id,
                                 const fc_person_rec *persons, size_t n_persons, fc_error *err)
{
    fc_mongo_member_pos at = {0, 0}, *batch = malloc(FC_MONGO_BULK_MAX * sizeof *batch);
    fc_status rc = batch ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    size_t n;
    while (!rc && (n = fc_mongo_member_batch(persons, n_persons, &at, batch, FC_MONGO_BULK_MAX))) {
        bson_error_t be;
        bson_t reply;
        int ok;
        FC_MONGO_RETRY(ok, be, &reply, members_bulk(col, id, persons, batch, n, &reply, &be));
        bson_destroy(&reply);
        if (!ok)
            rc = fc_mongo_error(err, "finish: faces", &be);
    }
    free(batch);
    return rc;
}

fc_status fc_mongo_run_finish(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                              size_t n_persons, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    const char *id = run->clustering_id;
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX], pcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL, upd = BSON_INITIALIZER;
    fc_face_list faces = {0};
    fc_image_list imgs = {0};
    fc_mongo_finish_plan plan = {0};
    int spilled = 0;
    fc_status rc = fc_mongo_writable(m, id, coll, &doc, err);
    if (rc)
        return rc;
    fc_mongo_faces_of(coll, fcoll);
    /* check everything before writing anything, the size of the commit too */
    if ((rc = fc_mongo_faces_read(m, fcoll, id, NULL, 0, &faces, err)) ||
        (rc = recorded_images(doc, &imgs, err)) ||
        (rc = fc_mongo_finish_check(id, &faces, persons, n_persons, &plan, err)))
        goto out;
    int64_t ok_images = 0;
    for (size_t i = 0; i < imgs.n; i++)
        ok_images += imgs.items[i].ok != 0;
    fc_mongo_persons_of(coll, pcoll);
    if ((rc = fc_mongo_finish_commit(doc->len, run, &plan, ok_images, (int64_t)faces.n,
                                     fc_mongo_now(), pcoll, &spilled, &upd, err)))
        goto out;
    /* 1. the faces' persons (a finish is whole: earlier assignments are reset) */
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    bson_t *sel = BCON_NEW("clustering_id", BCON_UTF8(id));
    bson_t *reset = BCON_NEW("$set", "{", "person_id", BCON_NULL, "member_ord", BCON_NULL,
                             "is_owner_face", BCON_BOOL(false), "cluster_confidence",
                             BCON_DOUBLE(0), "}");
    mongoc_collection_t *col = fc_mongo_coll(m, c, fcoll);
    bson_error_t be;
    bson_t reply;
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_update_many(col, sel, reset, NULL, &reply, &be));
    bson_destroy(&reply);
    bson_destroy(sel);
    bson_destroy(reset);
    if (ok)
        rc = fc_mongo_write_members(col, id, persons, n_persons, err);
    else
        rc = fc_mongo_error(err, "finish: faces", &be);
    mongoc_collection_destroy(col);
    if (rc) {
        mongoc_client_pool_push(m->pool, c);
        goto out;
    }
    /* 2. a large run's persons, in their own collection */
    if (spilled && (rc = fc_mongo_spill_persons(m, pcoll, id, plan.persons, n_persons, err))) {
        mongoc_client_pool_push(m->pool, c);
        goto out;
    }
    /* 3. the commit: one update of the run document, majority */
    bson_oid_t oid;
    sel = oid_sel(id, &oid);
    BSON_APPEND_UTF8(sel, "status", "running");
    BSON_APPEND_UTF8(sel, "owner", m->owner);
    int64_t matched = 0;
    rc = fc_mongo_update_one(m, c, coll, sel, &upd, 1, &matched, err);
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(sel);
    if (!rc && matched != 1)
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is no longer written by this handle", id);
    if (!rc)
        fc_mongo_disown(m, id);
out:
    bson_destroy(&upd);
    fc_mongo_finish_plan_free(&plan);
    fc_face_list_free(&faces);
    fc_image_list_free(&imgs);
    bson_destroy(doc);
    return rc;
}

fc_status fc_mongo_run_fail(fc_store *s, const char *clustering_id, const char *reason,
                            fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(m, clustering_id, 0, coll, &doc, err);
    if (rc)
        return rc;
    const char *status = doc ? fc_mongo_doc_str(doc, "status") : "";
    if (!doc || !strcmp(status, "done") || !strcmp(status, "completed"))
        rc = fc_error_set(err, FC_ERR_ARG, doc ? "run %s is done already" : "no run %s", clustering_id);
    else if (!strcmp(status, "running")) {
        bson_oid_t oid;
        bson_t *sel = oid_sel(clustering_id, &oid);
        BSON_APPEND_UTF8(sel, "status", "running");
        bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8("failed"), "error", BCON_UTF8(reason),
                               "finished_at", BCON_DATE_TIME(fc_mongo_now()), "}", "$unset", "{",
                               "owner", BCON_UTF8(""), "heartbeat", BCON_UTF8(""), "}");
        mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
        rc = fc_mongo_update_one(m, c, coll, sel, upd, 1, NULL, err);
        mongoc_client_pool_push(m->pool, c);
        bson_destroy(sel);
        bson_destroy(upd);
        fc_mongo_disown(m, clustering_id);
    }
    if (doc)
        bson_destroy(doc);
    return rc;
}

fc_status fc_mongo_run_images(fc_store *s, const char *clustering_id, fc_image_list *out,
                              fc_error *err)
{
    char coll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(as_mongo(s), clustering_id, 0, coll, &doc, err);
    if (!rc && doc)
        rc = recorded_images(doc, out, err);
    if (doc)
        bson_destroy(doc);
    if (rc)
        fc_image_list_free(out);
    else if (out->n)
        qsort(out->items, out->n, sizeof *out->items, fc_mongo_by_path);
    return rc;
}
