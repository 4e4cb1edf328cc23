/* mongo_runs.c - clustering runs on MongoDB: one document per run in
 * person_clustering_{norm} (majority write concern), its faces in
 * person_faces_{norm}, its processed images in the run document's "images".
 *
 * Without multi-document transactions (a standalone server has none), the order
 * of writes gives the SQLite backend's guarantees: a batch writes its faces, then
 * records its images in the run document (a crash between leaves faces of an
 * image not recorded: resume deletes them, and re-adding an image replaces its
 * faces); a finish writes the faces' persons (and, for a run too large for one
 * document, its persons to person_clusters_{norm}: mongo_spill.c), then commits the
 * run document with status "done" in one update, the only write that makes a run
 * done. A running run
 * has an owner (fc_owner_self + handle) and a heartbeat renewed every 10 s by a
 * thread of the handle: it is failed when its owner is a dead process of this
 * boot, or its heartbeat is older than the 60 s lease (another machine). A shared
 * run (mongo_leases.c) is never failed that way: its workers hold leases. */
#include "store/mongo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY_CRASH "interrupted: the process writing the run ended (crash or kill)"
#define WHY_CLOSED "interrupted: the store was closed before the run finished"

/* ---- owned runs and their heartbeat -------------------------------------------- */

void fc_mongo_own(mongo_store *m, const char *id, const char *coll)
{
    pthread_mutex_lock(&m->mu);
    mongo_owned *o = fc_rec_append((void **)&m->owned, &m->n_owned, sizeof *o);
    if (o) {
        snprintf(o->id, sizeof o->id, "%s", id);
        snprintf(o->coll, sizeof o->coll, "%s", coll);
    }
    pthread_mutex_unlock(&m->mu);
}

void fc_mongo_disown(mongo_store *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_owned; i++)
        if (!strcmp(m->owned[i].id, id)) {
            m->owned[i] = m->owned[--m->n_owned];
            break;
        }
    pthread_mutex_unlock(&m->mu);
}

/* update_one on coll; *matched = documents matched (may be NULL). */
fc_status fc_mongo_update_one(mongo_store *m, mongoc_client_t *c, const char *coll, const bson_t *sel,
                            const bson_t *update, int majority, int64_t *matched, fc_error *err)
{
    bson_t reply, opts = BSON_INITIALIZER;
    bson_error_t be;
    if (majority)
        mongoc_write_concern_append(m->majority, &opts);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_update_one(col, sel, update, &opts, &reply, &be));
    if (ok && matched) {
        bson_iter_t it;
        *matched = bson_iter_init_find(&it, &reply, "matchedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    bson_destroy(&opts);
    mongoc_collection_destroy(col);
    return ok ? FC_OK : fc_mongo_error(err, "update", &be);
}

void *fc_mongo_heartbeat_main(void *arg)
{
    mongo_store *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += FC_MONGO_HEARTBEAT_MS / 1000;
        pthread_cond_timedwait(&m->cv, &m->mu, &until);
        if (m->stop || m->n_owned == 0)
            continue;
        size_t n = m->n_owned;
        mongo_owned *copy = malloc(n * sizeof *copy);
        if (copy)
            memcpy(copy, m->owned, n * sizeof *copy);
        pthread_mutex_unlock(&m->mu);
        mongoc_client_t *c = copy ? mongoc_client_pool_pop(m->pool) : NULL;
        for (size_t i = 0; c && i < n; i++) {
            bson_oid_t oid;
            bson_oid_init_from_string(&oid, copy[i].id);
            bson_t *sel = BCON_NEW("_id", BCON_OID(&oid), "owner", BCON_UTF8(m->owner));
            bson_t *upd = BCON_NEW("$set", "{", "heartbeat", BCON_DATE_TIME(fc_mongo_now()), "}");
            fc_mongo_update_one(m, c, copy[i].coll, sel, upd, 0, NULL, NULL);
            bson_destroy(sel);
            bson_destroy(upd);
        }
        if (c)
            mongoc_client_pool_push(m->pool, c);
        free(copy);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- reaping ----------------------------------------------------------------- */

typedef struct {
    bson_oid_t id;
    char owner[FC_OWNER_MAX + 16];
    int64_t heartbeat;
} running_row;

typedef struct {
    running_row *items;
    size_t n;
} running_list;

static fc_status running_add(const bson_t *doc, void *list, fc_error *err)
{
    running_list *l = list;
    running_row *r = fc_rec_append((void **)&l->items, &l->n, sizeof *r);
    bson_iter_t it;
    if (!r)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_OID(&it))
        bson_oid_copy(bson_iter_oid(&it), &r->id);
    if (bson_iter_init_find(&it, doc, "owner") && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(r->owner, sizeof r->owner, "%s", bson_iter_utf8(&it, NULL));
    if (bson_iter_init_find(&it, doc, "heartbeat") && BSON_ITER_HOLDS_DATE_TIME(&it))
        r->heartbeat = bson_iter_date_time(&it);
    return FC_OK;
}

static void running_clear(void *list)
{
    running_list *l = list;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* 1 if the writer of a running run is gone: a dead process of this boot, or an
 * expired lease. */
static int writer_gone(const mongo_store *m, const running_row *r, int64_t now)
{
    const char *colon = strchr(m->owner, ':');
    size_t boot = colon ? (size_t)(colon - m->owner) : 0;
    if (boot && !strncmp(r->owner, m->owner, boot + 1))
        return !fc_owner_alive(r->owner);
    return r->heartbeat < now - FC_MONGO_LEASE_MS;
}

static fc_status fail_where(mongo_store *m, mongoc_client_t *c, const char *coll, bson_t *sel,
                            const char *why, fc_error *err)
{
    bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8("failed"), "error", BCON_UTF8(why),
                           "finished_at", BCON_DATE_TIME(fc_mongo_now()), "}", "$unset", "{",
                           "owner", BCON_UTF8(""), "heartbeat", BCON_UTF8(""), "}");
    fc_status rc = fc_mongo_update_one(m, c, coll, sel, upd, 1, NULL, err);
    bson_destroy(upd);
    return rc;
}

fc_status fc_mongo_reap(mongo_store *m, mongoc_client_t *c, const char *coll, int mine,
                        fc_error *err)
{
    running_list l = {0};
    /* a shared run's liveness is its leases (mongo_leases.c): never reaped */
    bson_t *filter = mine ? BCON_NEW("status", BCON_UTF8("running"), "owner", BCON_UTF8(m->owner),
                                     "shared", "{", "$ne", BCON_BOOL(true), "}")
                          : BCON_NEW("status", BCON_UTF8("running"), "shared", "{", "$ne",
                                     BCON_BOOL(true), "}");
    bson_t *opts = BCON_NEW("projection", "{", "owner", BCON_INT32(1), "heartbeat", BCON_INT32(1), "}");
    fc_status rc = fc_mongo_find_all(m, coll, filter, opts, running_add, &l, running_clear, err);
    int64_t now = fc_mongo_now();
    for (size_t i = 0; !rc && i < l.n; i++) {
        if (!mine && !writer_gone(m, &l.items[i], now))
            continue;
        bson_t *sel = BCON_NEW("_id", BCON_OID(&l.items[i].id), "status", BCON_UTF8("running"),
                               "owner", BCON_UTF8(l.items[i].owner));
        rc = fail_where(m, c, coll, sel, mine ? WHY_CLOSED : WHY_CRASH, err);
        bson_destroy(sel);
    }
    running_clear(&l);
    bson_destroy(filter);
    bson_destroy(opts);
    return rc;
}

fc_status fc_mongo_reap_all(mongo_store *m, int mine, fc_error *err)
{
    char **colls = NULL;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_list_colls(m, c, FC_MONGO_RUNS_PREFIX, &colls, err);
    for (size_t i = 0; !rc && colls[i]; i++)
        rc = fc_mongo_reap(m, c, colls[i], mine, err);
    mongoc_client_pool_push(m->pool, c);
    bson_strfreev(colls);
    return rc;
}

/* ---- finding a run ------------------------------------------------------------ */

typedef struct {
    bson_t *doc; /* a copy of the run document */
} one_doc;

static fc_status keep_doc(const bson_t *doc, void *list, fc_error *err)
{
    one_doc *o = list;
    if (!o->doc && !(o->doc = bson_copy(doc)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    return FC_OK;
}

static void drop_doc(void *list)
{
    one_doc *o = list;
    if (o->doc)
        bson_destroy(o->doc);
    o->doc = NULL;
}

/* The run document of id (a copy in *doc, caller bson_destroy's; NULL when there is
 * none) and its collection; reap first = fail dead writers' runs. */
fc_status fc_mongo_locate(mongo_store *m, const char *id, int reap, char coll[FC_MONGO_COLL_MAX],
                        bson_t **doc, fc_error *err)
{
    char **colls = NULL;
    one_doc o = {0};
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, id);
    bson_t *filter = BCON_NEW("_id", BCON_OID(&oid));
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_list_colls(m, c, FC_MONGO_RUNS_PREFIX, &colls, err);
    for (size_t i = 0; !rc && !o.doc && colls[i]; i++) {
        rc = fc_mongo_find_all(m, colls[i], filter, NULL, keep_doc, &o, drop_doc, err);
        if (!rc && o.doc && reap) {
            drop_doc(&o);
            if (!(rc = fc_mongo_reap(m, c, colls[i], 0, err)))
                rc = fc_mongo_find_all(m, colls[i], filter, NULL, keep_doc, &o, drop_doc, err);
        }
        if (!rc && o.doc)
            snprintf(coll, FC_MONGO_COLL_MAX, "%s", colls[i]);
    }
    mongoc_client_pool_push(m->pool, c);
    bson_strfreev(colls);
    bson_destroy(filter);
    *doc = o.doc;
    return rc;
}

const char *fc_mongo_doc_str(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";
}

/* The faces collection of a run's collection. */
void fc_mongo_faces_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX])
{
    fc_mongo_coll_name(FC_MONGO_FACES_PREFIX, runs_coll + strlen(FC_MONGO_RUNS_PREFIX), out,
                       FC_MONGO_COLL_MAX);
}

/* A run this handle may write: running and owned by it. */
fc_status fc_mongo_writable(mongo_store *m, const char *id, char coll[FC_MONGO_COLL_MAX], bson_t **doc,
                          fc_error *err)
{
    fc_status rc = fc_mongo_locate(m, id, 0, coll, doc, err);
    if (rc)
        return rc;
    if (!*doc)
        return fc_error_set(err, FC_ERR_ARG, "no run %s", id);
    const char *status = fc_mongo_doc_str(*doc, "status");
    if (strcmp(status, "running") != 0)
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is %s: resume it first", id, status);
    else if (strcmp(fc_mongo_doc_str(*doc, "owner"), m->owner) != 0)
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is being written by another handle (%s)", id,
                          fc_mongo_doc_str(*doc, "owner"));
    if (rc) {
        bson_destroy(*doc);
        *doc = NULL;
    }
    return rc;
}

/* ---- reading runs ------------------------------------------------------------- */

fc_status fc_mongo_run_get(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                           fc_error *err)
{
    char coll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(as_mongo(s), clustering_id, 1, coll, &doc, err);
    if (!rc && doc) {
        *found = 1;
        rc = fc_mongo_run_parse(doc, out, err);
    }
    if (doc)
        bson_destroy(doc);
    if (rc)
        fc_run_rec_clear(out);
    return rc;
}

static fc_status run_row(const bson_t *doc, void *list, fc_error *err)
{
    fc_run_list *l = list;
    fc_run_rec *r = fc_rec_append((void **)&l->items, &l->n, sizeof *r);
    return r ? fc_mongo_run_parse(doc, r, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

static void run_clear(void *list)
{
    fc_run_list_free(list);
}

static int newest_first(const void *a, const void *b)
{
    const fc_run_rec *x = a, *y = b;
    int c = strcmp(y->timestamp, x->timestamp);
    return c ? c : strcmp(y->clustering_id, x->clustering_id);
}

fc_status fc_mongo_run_list(fc_store *s, const char *norm, unsigned status_mask, fc_run_list *out,
                            fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char **colls = NULL;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_list_colls(m, c, FC_MONGO_RUNS_PREFIX, &colls, err);
    bson_t filter = BSON_INITIALIZER, st, in;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "status", &st);
    BSON_APPEND_ARRAY_BEGIN(&st, "$in", &in);
    int k = 0;
    for (int status = FC_RUN_RUNNING; status <= FC_RUN_FAILED; status++)
        if (status_mask & (1u << status)) {
            char key[16];
            snprintf(key, sizeof key, "%d", k++);
            BSON_APPEND_UTF8(&in, key, fc_run_status_name((fc_run_status)status));
            if (status == FC_RUN_DONE) { /* the original service's word */
                snprintf(key, sizeof key, "%d", k++);
                BSON_APPEND_UTF8(&in, key, "completed");
            }
        }
    bson_append_array_end(&st, &in);
    bson_append_document_end(&filter, &st);
    for (size_t i = 0; !rc && colls[i]; i++) {
        if (norm && strcmp(colls[i] + strlen(FC_MONGO_RUNS_PREFIX), norm) != 0)
            continue;
        fc_run_list part = {0};
        if (!(rc = fc_mongo_reap(m, c, colls[i], 0, err)))
            rc = fc_mongo_find_all(m, colls[i], &filter, NULL, run_row, &part, run_clear, err);
        for (size_t j = 0; !rc && j < part.n; j++) {
            fc_run_rec *r = fc_rec_append((void **)&out->items, &out->n, sizeof *r);
            if (!r) {
                rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
                break;
            }
            *r = part.items[j];
            memset(&part.items[j], 0, sizeof part.items[j]);
        }
        fc_run_list_free(&part);
    }
    mongoc_client_pool_push(m->pool, c);
    bson_strfreev(colls);
    bson_destroy(&filter);
    if (rc)
        fc_run_list_free(out);
    else if (out->n)
        qsort(out->items, out->n, sizeof *out->items, newest_first);
    return rc;
}

fc_status fc_mongo_run_delete(fc_store *s, const char *clustering_id, int64_t *n_faces,
                              int *deleted, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(m, clustering_id, 1, coll, &doc, err);
    if (rc || !doc)
        return rc;
    if (!strcmp(fc_mongo_doc_str(doc, "status"), "running")) {
        bson_destroy(doc);
        return fc_error_set(err, FC_ERR_ARG, "run %s is running: cancel it before deleting it",
                            clustering_id);
    }
    bson_destroy(doc);
    fc_mongo_faces_of(coll, fcoll);
    bson_t *ff = BCON_NEW("clustering_id", BCON_UTF8(clustering_id));
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, clustering_id);
    bson_t *rf = BCON_NEW("_id", BCON_OID(&oid));
    int64_t n_runs = 0;
    /* the run document first: a crash after it leaves only unreachable faces */
    char wcoll[FC_MONGO_COLL_MAX], pcoll[FC_MONGO_COLL_MAX];
    fc_mongo_work_of(coll, wcoll);
    fc_mongo_persons_of(coll, pcoll);
    if (!(rc = fc_mongo_delete(m, coll, rf, &n_runs, err)) &&
        !(rc = fc_mongo_delete(m, fcoll, ff, n_faces, err)) &&
        !(rc = fc_mongo_delete(m, wcoll, ff, NULL, err))) /* a shared run's work list */
        rc = fc_mongo_delete(m, pcoll, ff, NULL, err); /* a large run's persons */
    bson_destroy(ff);
    bson_destroy(rf);
    *deleted = !rc && n_runs > 0;
    return rc;
}

fc_status fc_mongo_face_list(fc_store *s, const char *clustering_id, const char *person_id,
                             int with_embeddings, fc_face_list *out, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(m, clustering_id, 0, coll, &doc, err);
    if (rc || !doc)
        return rc;
    bson_destroy(doc);
    fc_mongo_faces_of(coll, fcoll);
    rc = fc_mongo_faces_read(m, fcoll, clustering_id, person_id, with_embeddings, out, err);
    /* without embeddings, dim still gives the stored size: not kept apart in the
       documents, so it is 0 here */
    return rc;
}

fc_status fc_mongo_face_count(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_status rc = fc_mongo_locate(m, clustering_id, 0, coll, &doc, err);
    if (rc || !doc)
        return rc;
    bson_destroy(doc);
    fc_mongo_faces_of(coll, fcoll);
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(clustering_id));
    rc = fc_mongo_count(m, fcoll, filter, n, err);
    bson_destroy(filter);
    return rc;
}

/* The persons from the run document (or the collection it names: mongo_spill.c),
 * then their members from one find of their faces, grouped in memory (not one find
 * per person). */
fc_status fc_mongo_person_list(fc_store *s, const char *clustering_id, const char *person_id,
                               fc_person_list *out, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char coll[FC_MONGO_COLL_MAX], fcoll[FC_MONGO_COLL_MAX];
    bson_t *doc = NULL;
    fc_face_list faces = {0};
    fc_status rc = fc_mongo_locate(m, clustering_id, 0, coll, &doc, err);
    if (rc || !doc)
        return rc;
    fc_mongo_faces_of(coll, fcoll);
    rc = fc_mongo_persons_read(m, doc, clustering_id, person_id, out, err);
    if (!rc && out->n) {
        bson_t *filter, *opts;
        fc_mongo_members_query(clustering_id, person_id, &filter, &opts);
        rc = fc_mongo_faces_find(m, fcoll, filter, opts, &faces, err);
        bson_destroy(filter);
        bson_destroy(opts);
    }
    if (!rc)
        rc = fc_mongo_person_members(out->items, out->n, &faces, err);
    fc_face_list_free(&faces);
    bson_destroy(doc);
    if (rc)
        fc_person_list_free(out);
    return rc;
}
