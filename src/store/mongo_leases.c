/* mongo_leases.c - shared runs on MongoDB (docs/workers.md): the six lease
 * operations of struct fc_store_ops with the SQLite backend's semantics, made of
 * single-document atomic writes (a standalone server has no multi-document
 * transactions). The commands are built in mongo_lease_docs.c.
 *
 * An image of run_work_{norm} goes free -> leased (worker, claim, lease_until) ->
 * done, each step a conditional write on its document; done is final and keeps
 * the worker that committed it. lease_complete writes, in this order:
 *   1. the faces, each tagged with the writing worker (its own earlier faces of
 *      these images deleted first, so a retry is harmless; nobody else's touched);
 *   2. the images in the run document (replacing entries of the same paths);
 *   3. each image leased-to-me -> done (conditional). All of them: committed. One
 *      taken over since: the images this call made done are made free again and
 *      its faces deleted; committed = 0.
 * So an image is done only once its faces are stored, and the worker that made it
 * done is the one whose faces count. A worker that dies or stalls after 1 leaves
 * faces of images someone else commits later: the worker that claims the finish
 * deletes every face whose worker is not the one that made its image done, before
 * the clustering reads them. Exactly once per image holds at finish; while a run is
 * running its faces may include such leftovers. */
#include "store/mongo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a write command on the handle's database (majority); *n = reply's "n"
 * (may be NULL); reply kept in *out if asked (caller bson_destroy's). */
static fc_status write_cmd(mongo_store *m, const bson_t *cmd, int64_t *n, bson_t *out,
                           fc_error *err)
{
    bson_t reply, opts = BSON_INITIALIZER;
    bson_error_t be;
    bson_iter_t it;
    int ok;
    mongoc_write_concern_append(m->majority, &opts);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    FC_MONGO_RETRY(ok, be, &reply,
                   mongoc_client_write_command_with_opts(c, m->db, cmd, &opts, &reply, &be));
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(&opts);
    fc_status rc = ok ? FC_OK : fc_mongo_error(err, bson_iter_init(&it, cmd) && bson_iter_next(&it)
                                                        ? bson_iter_key(&it) : "command", &be);
    if (!rc && bson_iter_init_find(&it, &reply, "writeErrors"))
        rc = fc_error_set(err, FC_ERR_IO, "mongodb write error in %s",
                          bson_iter_init(&it, cmd) && bson_iter_next(&it) ? bson_iter_key(&it) : "");
    if (!rc && n)
        *n = bson_iter_init_find(&it, &reply, "n") ? bson_iter_as_int64(&it) : 0;
    if (!rc && out)
        bson_copy_to(&reply, out);
    bson_destroy(&reply);
    return rc;
}

/* The run document of a shared run: its collections, whether it is running. */
static fc_status shared_run(mongo_store *m, const char *id, char runs[FC_MONGO_COLL_MAX],
                            char work[FC_MONGO_COLL_MAX], int *running, size_t *doc_len,
                            fc_error *err)
{
    bson_t *doc = NULL;
    bson_iter_t it;
    fc_status rc = fc_mongo_locate(m, id, 0, runs, &doc, err);
    if (rc)
        return rc;
    if (!doc || !bson_iter_init_find(&it, doc, "shared") || !bson_iter_as_bool(&it))
        rc = fc_error_set(err, FC_ERR_ARG, "no shared run %s", id);
    else {
        *running = !strcmp(fc_mongo_doc_str(doc, "status"), "running");
        fc_mongo_work_of(runs, work);
        if (doc_len)
            *doc_len = doc->len;
    }
    if (doc)
        bson_destroy(doc);
    return rc;
}

static fc_status create_index(mongo_store *m, const char *coll, fc_error *err)
{
    bson_t cmd;
    if (fc_mongo_lease_index_command(coll, &cmd))
        return fc_error_set(err, FC_ERR_ARG, "no lease indexes for %s", coll);
    fc_status rc = write_cmd(m, &cmd, NULL, NULL, err);
    bson_destroy(&cmd);
    return rc;
}

/* Inserts the work list (ordered: false; images already there are skipped). */
static fc_status insert_work(mongo_store *m, const char *work, const char *id,
                             char *const *paths, size_t n, fc_error *err)
{
    bson_t *docs = calloc(n ? n : 1, sizeof *docs);
    const bson_t **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    fc_status rc = FC_OK;
    if (!docs || !ptrs)
        rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        fc_mongo_work_doc(id, paths[i], &docs[i]);
        ptrs[i] = &docs[i];
    }
    if (!rc && n) {
        bson_t reply, *opts = BCON_NEW("ordered", BCON_BOOL(false));
        bson_error_t be;
        bson_iter_t it, arr, e;
        mongoc_write_concern_append(m->majority, opts);
        mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
        mongoc_collection_t *col = fc_mongo_coll(m, c, work);
        int ok;
        FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_insert_many(col, ptrs, n, opts, &reply, &be));
        /* duplicates (another worker registered them) are not errors */
        if (!ok && bson_iter_init_find(&it, &reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it)) {
            ok = 1;
            bson_iter_recurse(&it, &arr);
            while (bson_iter_next(&arr))
                if (!bson_iter_recurse(&arr, &e) || !bson_iter_find(&e, "code") ||
                    bson_iter_as_int64(&e) != 11000)
                    ok = 0;
        }
        mongoc_collection_destroy(col);
        mongoc_client_pool_push(m->pool, c);
        bson_destroy(&reply);
        bson_destroy(opts);
        if (!ok)
            rc = fc_mongo_error(err, "insert work list", &be);
    }
    for (size_t i = 0; docs && ptrs && i < n; i++)
        if (ptrs[i])
            bson_destroy(&docs[i]);
    free(docs);
    free(ptrs);
    return rc;
}

/* The findAndModify upsert; *joined, the run's id and timestamp into run. */
static fc_status upsert_shared(mongo_store *m, const char *runs, fc_run_rec *run, int *joined,
                               int *work_ready, fc_error *err)
{
    bson_t cmd, reply;
    bson_iter_t it;
    fc_status rc = FC_OK;
    fc_mongo_shared_upsert(runs, run, fc_mongo_now(), &cmd);
    /* two workers upserting together: one insert wins the unique index, the other
       fails with a duplicate key and finds that run when tried again */
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = write_cmd(m, &cmd, NULL, &reply, err);
        if (rc != FC_ERR_ARG)
            break;
    }
    bson_destroy(&cmd);
    if (rc)
        return rc;
    bson_iter_t up;
    *joined = bson_iter_init(&it, &reply) &&
              bson_iter_find_descendant(&it, "lastErrorObject.updatedExisting", &up) &&
              bson_iter_as_bool(&up);
    uint32_t len = 0;
    const uint8_t *data = NULL;
    bson_t doc;
    fc_run_rec got = {0};
    if (bson_iter_init_find(&it, &reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it))
        bson_iter_document(&it, &len, &data);
    if (!data || !bson_init_static(&doc, data, len))
        rc = fc_error_set(err, FC_ERR_IO, "mongodb: the shared run upsert returned no run");
    else if (!(rc = fc_mongo_run_parse(&doc, &got, err))) {
        memcpy(run->clustering_id, got.clustering_id, sizeof run->clustering_id);
        memcpy(run->timestamp, got.timestamp, sizeof run->timestamp);
        *work_ready = bson_iter_init_find(&it, &doc, "work_ready") && bson_iter_as_bool(&it);
    }
    fc_run_rec_clear(&got);
    bson_destroy(&reply);
    return rc;
}

fc_status fc_mongo_run_open_shared(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                   size_t n_images, int *joined, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], faces[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX];
    int ready = 0;
    if (fc_mongo_runs_coll(run->bucket, run->sub, runs, sizeof runs) ||
        fc_mongo_faces_coll(run->bucket, run->sub, faces, sizeof faces))
        return fc_error_set(err, FC_ERR_ARG, "invalid bucket or sub-bucket name");
    fc_mongo_work_of(runs, work);
    int64_t ts = fc_mongo_ms(run->timestamp);
    if (ts >= 0)
        fc_mongo_iso(ts, run->timestamp);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_create_indexes(m, c, runs, err);
    if (!rc)
        rc = fc_mongo_create_indexes(m, c, faces, err);
    mongoc_client_pool_push(m->pool, c);
    if (!rc && !(rc = create_index(m, runs, err)))
        rc = create_index(m, work, err);
    if (rc || (rc = upsert_shared(m, runs, run, joined, &ready, err)) || ready)
        return rc;
    /* the creator registers the images; so does a joiner that finds them not yet
       registered (the creator still inserting, or dead), duplicates ignored */
    if ((rc = insert_work(m, work, run->clustering_id, image_paths, n_images, err)))
        return rc;
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, run->clustering_id);
    bson_t *sel = BCON_NEW("_id", BCON_OID(&oid));
    bson_t *upd = BCON_NEW("$set", "{", "work_ready", BCON_BOOL(true), "}");
    c = mongoc_client_pool_pop(m->pool);
    rc = fc_mongo_update_one(m, c, runs, sel, upd, 1, NULL, err);
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(sel);
    bson_destroy(upd);
    return rc;
}

static fc_status count_left(mongo_store *m, const char *work, const char *id, int64_t *n,
                            fc_error *err)
{
    bson_t *f = BCON_NEW("clustering_id", BCON_UTF8(id), "state", "{", "$ne", BCON_UTF8("done"), "}");
    fc_status rc = fc_mongo_count(m, work, f, n, err);
    bson_destroy(f);
    return rc;
}

/* One findAndModify: *got = 0 when nothing is free. */
static fc_status claim_one(mongo_store *m, const char *work, const char *id, const char *worker,
                           const char *token, int64_t lease_ms, fc_lease *out, int *got,
                           fc_error *err)
{
    bson_t cmd, reply;
    bson_iter_t it;
    fc_mongo_claim_command(work, id, worker, token, lease_ms, &cmd);
    fc_status rc = write_cmd(m, &cmd, NULL, &reply, err);
    bson_destroy(&cmd);
    if (rc)
        return rc;
    *got = 0;
    if (bson_iter_init_find(&it, &reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        uint32_t len;
        const uint8_t *data;
        bson_t doc;
        bson_iter_document(&it, &len, &data);
        char **slot = fc_rec_append((void **)&out->image_paths, &out->n, sizeof *slot);
        if (!slot || !bson_init_static(&doc, data, len) ||
            !(*slot = strdup(fc_mongo_doc_str(&doc, "image_path"))))
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        else {
            const char *holder = fc_mongo_doc_str(&doc, "worker");
            out->n_taken_over += *holder && strcmp(holder, worker) != 0;
            *got = 1;
        }
    }
    bson_destroy(&reply);
    return rc;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

fc_status fc_mongo_lease_claim(fc_store *s, const char *clustering_id, const char *worker_id,
                               size_t max_images, int64_t lease_ms, fc_lease *out, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX], token[25];
    int running = 0, got = 1;
    bson_oid_t tok;
    fc_status rc = shared_run(m, clustering_id, runs, work, &running, NULL, err);
    if (rc || !running)
        return rc;
    out->run_open = 1;
    bson_oid_init(&tok, NULL); /* this claim: not to take its own images twice */
    bson_oid_to_string(&tok, token);
    while (!rc && got && out->n < max_images)
        rc = claim_one(m, work, clustering_id, worker_id, token, lease_ms, out, &got, err);
    if (!rc)
        rc = count_left(m, work, clustering_id, &out->n_left, err);
    if (rc)
        fc_lease_clear(out);
    else if (out->n > 1)
        qsort(out->image_paths, out->n, sizeof *out->image_paths, by_str);
    return rc;
}

fc_status fc_mongo_lease_heartbeat(fc_store *s, const char *clustering_id, const char *worker_id,
                                   int64_t lease_ms, int64_t *n_held, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX];
    int running = 0;
    bson_t cmd;
    fc_status rc = shared_run(m, clustering_id, runs, work, &running, NULL, err);
    if (rc || !running)
        return rc;
    fc_mongo_heartbeat_command(work, clustering_id, worker_id, lease_ms, &cmd);
    rc = write_cmd(m, &cmd, n_held, NULL, err);
    bson_destroy(&cmd);
    if (rc)
        return rc;
    fc_mongo_finish_heartbeat_command(runs, clustering_id, worker_id, lease_ms, &cmd);
    rc = write_cmd(m, &cmd, NULL, NULL, err);
    bson_destroy(&cmd);
    return rc;
}

/* {clustering_id: id, image_path: {$in: paths of images}} (+ worker if given). */
static bson_t *images_filter(const char *id, const fc_image_rec *images, size_t n,
                             const char *worker)
{
    bson_t *f = BCON_NEW("clustering_id", BCON_UTF8(id));
    bson_t in, arr;
    BSON_APPEND_DOCUMENT_BEGIN(f, "image_path", &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
    for (size_t i = 0; i < n; i++) {
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        BSON_APPEND_UTF8(&arr, k, images[i].image_path);
    }
    bson_append_array_end(&in, &arr);
    bson_append_document_end(f, &in);
    if (worker)
        BSON_APPEND_UTF8(f, "worker", worker);
    return f;
}

/* Step 1: this worker's faces of the images (its earlier ones replaced). */
static fc_status write_faces(mongo_store *m, const char *fcoll, const char *id, const char *worker,
                             const fc_face_rec *faces, size_t n_faces, const fc_image_rec *images,
                             size_t n_images, fc_error *err)
{
    bson_t *mine = images_filter(id, images, n_images, worker);
    fc_status rc = fc_mongo_delete(m, fcoll, mine, NULL, err);
    bson_destroy(mine);
    if (rc || !n_faces)
        return rc;
    return fc_mongo_insert_faces(m, fcoll, id, worker, faces, n_faces, err);
}

/* Undoes a complete that lost an image: the images made done by it go back to
 * free, its faces of the batch are deleted. */
static fc_status undo_complete(mongo_store *m, const char *work, const char *fcoll,
                               const char *id, const char *worker, const fc_image_rec *images,
                               size_t n_images, const int *made_done, fc_error *err)
{
    fc_status rc = FC_OK;
    for (size_t i = 0; !rc && i < n_images; i++) {
        if (!made_done[i])
            continue;
        bson_t cmd;
        fc_mongo_free_command(work, id, worker, "done", images[i].image_path, &cmd);
        rc = write_cmd(m, &cmd, NULL, NULL, err);
        bson_destroy(&cmd);
    }
    bson_t *mine = images_filter(id, images, n_images, worker);
    if (!rc)
        rc = fc_mongo_delete(m, fcoll, mine, NULL, err);
    bson_destroy(mine);
    return rc;
}

fc_status fc_mongo_lease_complete(fc_store *s, const char *clustering_id, const char *worker_id,
                                  const fc_face_rec *faces, size_t n_faces,
                                  const fc_image_rec *images, size_t n_images, int *committed,
                                  fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    int running = 0;
    int64_t mine = 0;
    int *made_done = NULL;
    size_t doc_len = 0;
    *committed = 0;
    fc_status rc = shared_run(m, clustering_id, runs, work, &running, &doc_len, err);
    if (rc || !running)
        return rc;
    /* the images' update of the run document (step 2), checked before anything is
       written, as run_add_batch does: MongoDB refuses a document over 16 MiB */
    bson_t *upd = fc_mongo_images_update(faces, n_faces, images, n_images);
    if ((rc = fc_mongo_images_fit(doc_len, upd, clustering_id, n_images, err))) {
        bson_destroy(upd);
        return rc;
    }
    fc_mongo_faces_of(runs, fcoll);
    /* refuse early, writing nothing, when an image is not leased to me */
    bson_t *f = images_filter(clustering_id, images, n_images, worker_id);
    BSON_APPEND_UTF8(f, "state", "leased");
    rc = fc_mongo_count(m, work, f, &mine, err);
    bson_destroy(f);
    if (rc || mine != (int64_t)n_images) {
        bson_destroy(upd);
        return rc;
    }
    for (int attempt = 0;; attempt++) { /* 1. faces: delete + insert, idempotent */
        fc_error e = {0};
        rc = write_faces(m, fcoll, clustering_id, worker_id, faces, n_faces, images, n_images, &e);
        if (!rc || attempt + 1 >= FC_MONGO_ATTEMPTS || !strstr(e.msg, "(transient)")) {
            if (rc)
                *err = e;
            break;
        }
        fc_mongo_backoff(attempt);
    }
    if (rc) {
        bson_destroy(upd);
        return rc;
    }
    /* 2. the images in the run document */
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, clustering_id);
    bson_t *sel = BCON_NEW("_id", BCON_OID(&oid), "status", BCON_UTF8("running"));
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    rc = fc_mongo_update_one(m, c, runs, sel, upd, 1, NULL, err);
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(sel);
    bson_destroy(upd);
    if (rc)
        return rc;
    /* 3. leased to me -> done, image by image */
    if (!(made_done = calloc(n_images ? n_images : 1, sizeof *made_done)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    int all = 1;
    for (size_t i = 0; !rc && i < n_images; i++) {
        bson_t cmd;
        int64_t n = 0;
        fc_mongo_done_command(work, clustering_id, worker_id, images[i].image_path, &cmd);
        rc = write_cmd(m, &cmd, &n, NULL, err);
        bson_destroy(&cmd);
        made_done[i] = !rc && n == 1;
        all &= made_done[i];
    }
    if (!rc && !all)
        rc = undo_complete(m, work, fcoll, clustering_id, worker_id, images, n_images, made_done,
                           err);
    *committed = !rc && all;
    free(made_done);
    return rc;
}

fc_status fc_mongo_lease_release(fc_store *s, const char *clustering_id, const char *worker_id,
                                 fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX];
    int running = 0;
    bson_t cmd;
    fc_status rc = shared_run(m, clustering_id, runs, work, &running, NULL, err);
    if (rc || !running)
        return rc;
    fc_mongo_free_command(work, clustering_id, worker_id, "leased", NULL, &cmd);
    rc = write_cmd(m, &cmd, NULL, NULL, err);
    bson_destroy(&cmd);
    if (rc)
        return rc;
    fc_mongo_unclaim_finish_command(runs, clustering_id, worker_id, &cmd);
    rc = write_cmd(m, &cmd, NULL, NULL, err);
    bson_destroy(&cmd);
    return rc;
}

/* ---- the finish -------------------------------------------------------------- */

typedef struct {
    char *worker;
    bson_t *paths; /* an array (on the heap: items move when the list grows) */
    uint32_t n;
} done_by;

typedef struct {
    done_by *items;
    size_t n;
} done_list;

static fc_status done_row(const bson_t *doc, void *list, fc_error *err)
{
    done_list *l = list;
    const char *w = fc_mongo_doc_str(doc, "worker");
    done_by *d = NULL;
    for (size_t i = 0; !d && i < l->n; i++)
        if (!strcmp(l->items[i].worker, w))
            d = &l->items[i];
    if (!d) {
        if (!(d = fc_rec_append((void **)&l->items, &l->n, sizeof *d)) ||
            !(d->worker = strdup(w)) || !(d->paths = bson_new()))
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    char key[16];
    const char *k;
    bson_uint32_to_string(d->n++, &k, key, sizeof key);
    BSON_APPEND_UTF8(d->paths, k, fc_mongo_doc_str(doc, "image_path"));
    return FC_OK;
}

static void done_clear(void *list)
{
    done_list *l = list;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].worker);
        if (l->items[i].paths)
            bson_destroy(l->items[i].paths);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Deletes the faces of workers that did not commit their image (see the top). */
static fc_status drop_leftovers(mongo_store *m, const char *work, const char *fcoll,
                                const char *id, fc_error *err)
{
    done_list l = {0};
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(id), "state", BCON_UTF8("done"));
    bson_t *opts = BCON_NEW("projection", "{", "image_path", BCON_INT32(1), "worker",
                            BCON_INT32(1), "}");
    fc_status rc = fc_mongo_find_all(m, work, filter, opts, done_row, &l, done_clear, err);
    bson_destroy(filter);
    bson_destroy(opts);
    bson_t others = BSON_INITIALIZER, nin, arr;
    BSON_APPEND_UTF8(&others, "clustering_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&others, "worker", &nin);
    BSON_APPEND_BOOL(&nin, "$exists", true);
    BSON_APPEND_ARRAY_BEGIN(&nin, "$nin", &arr);
    for (size_t i = 0; i < l.n; i++) {
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        BSON_APPEND_UTF8(&arr, k, l.items[i].worker);
    }
    bson_append_array_end(&nin, &arr);
    bson_append_document_end(&others, &nin);
    if (!rc)
        rc = fc_mongo_delete(m, fcoll, &others, NULL, err);
    bson_destroy(&others);
    for (size_t i = 0; !rc && i < l.n; i++) {
        bson_t *f = BCON_NEW("clustering_id", BCON_UTF8(id), "worker", BCON_UTF8(l.items[i].worker),
                             "image_path", "{", "$nin", BCON_ARRAY(l.items[i].paths), "}");
        rc = fc_mongo_delete(m, fcoll, f, NULL, err);
        bson_destroy(f);
    }
    done_clear(&l);
    return rc;
}

fc_status fc_mongo_run_claim_finish(fc_store *s, const char *clustering_id, const char *worker_id,
                                    int64_t lease_ms, int *claimed, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char runs[FC_MONGO_COLL_MAX], work[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    int running = 0;
    int64_t left = 0, n = 0;
    bson_t cmd;
    *claimed = 0;
    fc_status rc = shared_run(m, clustering_id, runs, work, &running, NULL, err);
    if (rc || !running || (rc = count_left(m, work, clustering_id, &left, err)) || left)
        return rc;
    fc_mongo_claim_finish_command(runs, clustering_id, worker_id, m->owner, lease_ms, &cmd);
    rc = write_cmd(m, &cmd, &n, NULL, err);
    bson_destroy(&cmd);
    if (rc || n != 1)
        return rc;
    fc_mongo_faces_of(runs, fcoll);
    if (!(rc = drop_leftovers(m, work, fcoll, clustering_id, err)))
        *claimed = 1;
    return rc;
}
