/* mongo.c - the MongoDB metadata backend on libmongoc: a client pool created once
 * per handle (each call pops a client, so the handle is thread-safe), the indexes
 * of API.md's data model, user profiles, cluster assignments, the collection
 * listing, and the ops table. Runs, faces and persons are in mongo_runs.c, the
 * documents in mongo_docs.c, retries in mongo_retry.c. */
#include "store/mongo_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_once_t mongoc_once = PTHREAD_ONCE_INIT;

/* The driver's messages below warnings (server monitoring chatter) are not ours
   to print; errors reach the caller through fc_error. */
static void log_warnings(mongoc_log_level_t level, const char *domain, const char *message,
                         void *user)
{
    if (level <= MONGOC_LOG_LEVEL_WARNING)
        mongoc_log_default_handler(level, domain, message, user);
}

static void mongoc_init_once(void)
{
    mongoc_log_set_handler(log_warnings, NULL);
    mongoc_init(); /* mongoc_cleanup is left to process exit: other handles may exist */
}

int64_t fc_mongo_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

mongoc_collection_t *fc_mongo_coll(mongo_store *m, mongoc_client_t *c, const char *name)
{
    return mongoc_client_get_collection(c, m->db, name);
}

fc_status fc_mongo_list_colls(mongo_store *m, mongoc_client_t *c, const char *prefix,
                              char ***names, fc_error *err)
{
    mongoc_database_t *d = mongoc_client_get_database(c, m->db);
    bson_error_t be;
    char **all = NULL;
    int ok;
    FC_MONGO_RETRY(ok, be, (bson_t *)NULL,
                   (all = mongoc_database_get_collection_names_with_opts(d, NULL, &be)) != NULL);
    mongoc_database_destroy(d);
    if (!ok)
        return fc_mongo_error(err, "listCollections", &be);
    size_t j = 0;
    for (size_t i = 0; all[i]; i++) {
        if (!strncmp(all[i], prefix, strlen(prefix)))
            all[j++] = all[i];
        else
            bson_free(all[i]);
    }
    all[j] = NULL;
    *names = all;
    return FC_OK;
}

fc_status fc_mongo_create_indexes(mongo_store *m, mongoc_client_t *c, const char *coll, fc_error *err)
{
    bson_t cmd, reply;
    bson_error_t be;
    if (fc_mongo_index_command(coll, &cmd))
        return fc_error_set(err, FC_ERR_INTERNAL, "no indexes for %s", coll);
    mongoc_database_t *d = mongoc_client_get_database(c, m->db);
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_database_write_command_with_opts(d, &cmd, NULL, &reply, &be));
    bson_destroy(&reply);
    bson_destroy(&cmd);
    mongoc_database_destroy(d);
    return ok ? FC_OK : fc_mongo_error(err, "createIndexes", &be);
}

/* ---- handles ------------------------------------------------------------------ */

static void destroy(mongo_store *m)
{
    if (m->heartbeat_started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->heartbeat, NULL);
    }
    if (m->pool)
        mongoc_client_pool_destroy(m->pool);
    mongoc_write_concern_destroy(m->majority);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m->owned);
    free(m);
}

fc_store *fc_mongo_open(const char *url, const char *db, fc_error *err)
{
    static atomic_uint handles;
    bson_error_t be;
    pthread_once(&mongoc_once, mongoc_init_once);
    mongo_store *m = calloc(1, sizeof *m);
    if (!m) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->base.ops = &fc_store_mongo;
    fc_hooks_init(&m->base.hooks);
    char self[FC_OWNER_MAX];
    fc_owner_self(self, sizeof self);
    snprintf(m->owner, sizeof m->owner, "%s:h%u", self, atomic_fetch_add(&handles, 1) + 1);
    m->majority = mongoc_write_concern_new();
    mongoc_write_concern_set_w(m->majority, MONGOC_WRITE_CONCERN_W_MAJORITY);
    mongoc_write_concern_set_wtimeout_int64(m->majority, 10000);

    mongoc_uri_t *uri = mongoc_uri_new_with_error(url, &be);
    if (!uri) {
        fc_error_set(err, FC_ERR_ARG, "MONGODB_URL: %s", be.message);
        goto fail;
    }
    const char *name = db && *db ? db : mongoc_uri_get_database(uri);
    snprintf(m->db, sizeof m->db, "%s", name && *name ? name : "face_recognition");
    if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
    mongoc_uri_set_option_as_bool(uri, MONGOC_URI_RETRYWRITES, true);
    mongoc_uri_set_option_as_bool(uri, MONGOC_URI_RETRYREADS, true);
    m->pool = mongoc_client_pool_new(uri);
    mongoc_uri_destroy(uri);
    if (!m->pool) {
        fc_error_set(err, FC_ERR_ARG, "MONGODB_URL: the driver refused the URI");
        goto fail;
    }
    mongoc_client_pool_set_error_api(m->pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_set_appname(m->pool, "facecluster");

    fc_error why = {0};
    if (fc_store_mongo.health(&m->base, &why)) {
        fc_error_set(err, why.code, "MongoDB (MONGODB_URL) does not answer: %.300s", why.msg);
        goto fail;
    }
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_create_indexes(m, c, FC_MONGO_PROFILES, err);
    if (!rc)
        rc = fc_mongo_create_indexes(m, c, FC_MONGO_ASSIGNMENTS, err);
    mongoc_client_pool_push(m->pool, c);
    if (rc || fc_mongo_reap_all(m, 0, err))
        goto fail;
    if (pthread_create(&m->heartbeat, NULL, fc_mongo_heartbeat_main, m) == 0)
        m->heartbeat_started = 1;
    return &m->base;
fail:
    destroy(m);
    return NULL;
}

static fc_store *mg_open(const char *location, fc_error *err)
{
    return fc_mongo_open(location, NULL, err);
}

static void mg_close(fc_store *s)
{
    mongo_store *m = as_mongo(s);
    fc_mongo_reap_all(m, 1, NULL);
    destroy(m);
}

static fc_status mg_health(fc_store *s, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bson_error_t be;
    int ok = mongoc_client_command_simple(c, "admin", ping, NULL, NULL, &be);
    bson_destroy(ping);
    mongoc_client_pool_push(m->pool, c);
    return ok ? FC_OK : fc_mongo_error(err, "ping", &be);
}

/* ---- a query over one collection --------------------------------------------- */


/* Every document of coll matching filter (opts: sort, limit, projection), each given
 * to row (list its output). Retried as a whole on a transient error (list is
 * emptied by clear first). */
fc_status fc_mongo_find_all(mongo_store *m, const char *coll, const bson_t *filter, const bson_t *opts,
                          fc_mongo_row_fn row, void *list, void (*clear)(void *), fc_error *err)
{
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    fc_status rc = FC_OK;
    bson_error_t be;
    const bson_t *reply = NULL;
    for (int attempt = 0;; attempt++) {
        mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, filter, opts, NULL);
        const bson_t *doc;
        while (!rc && mongoc_cursor_next(cur, &doc))
            rc = row(doc, list, err);
        int failed = !rc && mongoc_cursor_error_document(cur, &be, &reply);
        int again = failed && attempt + 1 < FC_MONGO_ATTEMPTS && fc_mongo_transient(&be, reply);
        mongoc_cursor_destroy(cur);
        if (failed && !again)
            rc = fc_mongo_error(err, "find", &be);
        if (!again)
            break;
        clear(list);
        fc_mongo_backoff(attempt);
    }
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    if (rc)
        clear(list);
    return rc;
}

/* ---- user_profiles ------------------------------------------------------------ */

static fc_status mg_profile_upsert(fc_store *s, const fc_profile_rec *p, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    bson_t update, reply;
    bson_error_t be;
    bson_t *sel = BCON_NEW("user_id", BCON_UTF8(p->user_id));
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    fc_mongo_profile_update(p, fc_mongo_now(), &update);
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, FC_MONGO_PROFILES);
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_update_one(col, sel, &update, opts, &reply, &be));
    bson_destroy(&reply);
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    bson_destroy(&update);
    bson_destroy(sel);
    bson_destroy(opts);
    return ok ? FC_OK : fc_mongo_error(err, "user_profiles upsert", &be);
}

static fc_status profile_row(const bson_t *doc, void *list, fc_error *err)
{
    fc_profile_list *l = list;
    fc_profile_rec *p = fc_rec_append((void **)&l->items, &l->n, sizeof *p);
    return p ? fc_mongo_profile_parse(doc, p, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

static void profile_clear(void *list)
{
    fc_profile_list_free(list);
}

static fc_status mg_profile_get(fc_store *s, const char *user_id, fc_profile_rec *out, int *found,
                                fc_error *err)
{
    fc_profile_list l = {0};
    bson_t *filter = BCON_NEW("user_id", BCON_UTF8(user_id));
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
    fc_status rc = fc_mongo_find_all(as_mongo(s), FC_MONGO_PROFILES, filter, opts, profile_row, &l,
                            profile_clear, err);
    bson_destroy(filter);
    bson_destroy(opts);
    if (!rc && l.n) {
        *out = l.items[0];
        *found = 1;
        free(l.items);
    }
    return rc;
}

static fc_status mg_profile_list(fc_store *s, int64_t limit, fc_profile_list *out, fc_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "created_at", BCON_INT32(1), "_id", BCON_INT32(1), "}");
    if (limit > 0)
        BSON_APPEND_INT64(opts, "limit", limit);
    fc_status rc = fc_mongo_find_all(as_mongo(s), FC_MONGO_PROFILES, &filter, opts, profile_row, out,
                            profile_clear, err);
    bson_destroy(opts);
    return rc;
}

/* delete_many on coll; *n = how many. */
fc_status fc_mongo_delete(mongo_store *m, const char *coll, const bson_t *filter, int64_t *n,
                              fc_error *err)
{
    bson_t reply;
    bson_error_t be;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    int ok;
    FC_MONGO_RETRY(ok, be, &reply, mongoc_collection_delete_many(col, filter, NULL, &reply, &be));
    if (ok && n) {
        bson_iter_t it;
        *n = bson_iter_init_find(&it, &reply, "deletedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    return ok ? FC_OK : fc_mongo_error(err, "delete", &be);
}

static fc_status mg_profile_delete(fc_store *s, const char *user_id, int *deleted, fc_error *err)
{
    int64_t n = 0;
    bson_t *filter = BCON_NEW("user_id", BCON_UTF8(user_id));
    fc_status rc = fc_mongo_delete(as_mongo(s), FC_MONGO_PROFILES, filter, &n, err);
    bson_destroy(filter);
    *deleted = n > 0;
    return rc;
}

fc_status fc_mongo_count(mongo_store *m, const char *coll, const bson_t *filter, int64_t *n,
                             fc_error *err)
{
    bson_error_t be;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, coll);
    int64_t got = -1;
    int ok;
    FC_MONGO_RETRY(ok, be, (bson_t *)NULL,
                   (got = mongoc_collection_count_documents(col, filter, NULL, NULL, NULL, &be)) >= 0);
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    if (!ok)
        return fc_mongo_error(err, "count", &be);
    *n = got;
    return FC_OK;
}

static fc_status mg_profile_count(fc_store *s, int64_t *n, fc_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    return fc_mongo_count(as_mongo(s), FC_MONGO_PROFILES, &filter, n, err);
}

/* ---- cluster_assignments ------------------------------------------------------ */

static fc_status mg_assignment_upsert(fc_store *s, const fc_assignment_rec *items, size_t n,
                                      fc_error *err)
{
    mongo_store *m = as_mongo(s);
    if (n == 0)
        return FC_OK;
    int64_t now = fc_mongo_now();
    bson_t reply;
    bson_error_t be;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, FC_MONGO_ASSIGNMENTS);
    int ok = 0;
    /* upserts are idempotent: the whole bulk is retried */
    for (int attempt = 0;; attempt++) {
        mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(col, NULL);
        for (size_t i = 0; i < n; i++) {
            bson_t update;
            bson_t *sel = BCON_NEW("clustering_id", BCON_UTF8(items[i].clustering_id), "cluster_id",
                                   BCON_UTF8(items[i].cluster_id));
            bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
            fc_mongo_assignment_update(&items[i], now, &update);
            mongoc_bulk_operation_update_one_with_opts(bulk, sel, &update, opts, NULL);
            bson_destroy(&update);
            bson_destroy(sel);
            bson_destroy(opts);
        }
        ok = mongoc_bulk_operation_execute(bulk, &reply, &be) != 0;
        mongoc_bulk_operation_destroy(bulk);
        int again = !ok && attempt + 1 < FC_MONGO_ATTEMPTS && fc_mongo_transient(&be, &reply);
        bson_destroy(&reply);
        if (!again)
            break;
        fc_mongo_backoff(attempt);
    }
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    return ok ? FC_OK : fc_mongo_error(err, "cluster_assignments upsert", &be);
}

static fc_status assignment_row(const bson_t *doc, void *list, fc_error *err)
{
    fc_assignment_list *l = list;
    fc_assignment_rec *a = fc_rec_append((void **)&l->items, &l->n, sizeof *a);
    return a ? fc_mongo_assignment_parse(doc, a, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

static void assignment_clear(void *list)
{
    fc_assignment_list_free(list);
}

static fc_status mg_assignment_list(fc_store *s, const fc_assignment_filter *f,
                                    fc_assignment_list *out, fc_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    if (f->clustering_id)
        BSON_APPEND_UTF8(&filter, "clustering_id", f->clustering_id);
    if (f->user_id)
        BSON_APPEND_UTF8(&filter, "user_id", f->user_id);
    if (f->bucket_name)
        BSON_APPEND_UTF8(&filter, "bucket_name", f->bucket_name);
    if (f->sub_bucket)
        BSON_APPEND_UTF8(&filter, "sub_bucket", f->sub_bucket);
    bson_t *opts = BCON_NEW("sort", "{", "clustering_id", BCON_INT32(1), "_id", BCON_INT32(1), "}");
    fc_status rc = fc_mongo_find_all(as_mongo(s), FC_MONGO_ASSIGNMENTS, &filter, opts, assignment_row, out,
                            assignment_clear, err);
    bson_destroy(&filter);
    bson_destroy(opts);
    return rc;
}

static fc_status mg_assignment_delete_run(fc_store *s, const char *clustering_id, int64_t *deleted,
                                          fc_error *err)
{
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(clustering_id));
    fc_status rc = fc_mongo_delete(as_mongo(s), FC_MONGO_ASSIGNMENTS, filter, deleted, err);
    bson_destroy(filter);
    return rc;
}

/* ---- collections -------------------------------------------------------------- */

static fc_status add_coll(fc_collection_list *out, fc_collection_kind kind, const char *name,
                          const char *norm, int64_t count, fc_error *err)
{
    fc_collection_rec *r = fc_rec_append((void **)&out->items, &out->n, sizeof *r);
    if (!r)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    r->kind = kind;
    r->count = count;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->norm, sizeof r->norm, "%s", norm);
    return FC_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const fc_collection_rec *)a)->name, ((const fc_collection_rec *)b)->name);
}

static fc_status mg_collection_list(fc_store *s, fc_collection_list *out, fc_error *err)
{
    mongo_store *m = as_mongo(s);
    char **runs = NULL;
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_list_colls(m, c, FC_MONGO_RUNS_PREFIX, &runs, err);
    mongoc_client_pool_push(m->pool, c);
    /* per-bucket collections count finished runs and their faces, as the API shows them */
    for (size_t i = 0; !rc && runs[i]; i++) {
        const char *norm = runs[i] + strlen(FC_MONGO_RUNS_PREFIX);
        fc_run_list done = {0};
        char faces[FC_MONGO_COLL_MAX];
        int64_t n_faces = 0;
        if ((rc = fc_mongo_run_list(s, norm, FC_RUNS_DONE, &done, err)))
            break;
        for (size_t k = 0; !rc && k < done.n; k++) {
            int64_t nk = 0;
            rc = fc_mongo_face_count(s, done.items[k].clustering_id, &nk, err);
            n_faces += nk;
        }
        if (!rc && done.n)
            rc = add_coll(out, FC_COLL_RUNS, runs[i], norm, (int64_t)done.n, err);
        fc_mongo_coll_name(FC_MONGO_FACES_PREFIX, norm, faces, sizeof faces);
        if (!rc && done.n)
            rc = add_coll(out, FC_COLL_FACES, faces, norm, n_faces, err);
        fc_run_list_free(&done);
    }
    bson_strfreev(runs);
    bson_t all = BSON_INITIALIZER;
    int64_t n = 0;
    if (!rc && !(rc = fc_mongo_count(m, FC_MONGO_PROFILES, &all, &n, err)))
        rc = add_coll(out, FC_COLL_PROFILES, FC_MONGO_PROFILES, "", n, err);
    if (!rc && !(rc = fc_mongo_count(m, FC_MONGO_ASSIGNMENTS, &all, &n, err)))
        rc = add_coll(out, FC_COLL_ASSIGNMENTS, FC_MONGO_ASSIGNMENTS, "", n, err);
    if (rc)
        fc_collection_list_free(out);
    else if (out->n)
        qsort(out->items, out->n, sizeof *out->items, by_name);
    return rc;
}

const struct fc_store_ops fc_store_mongo = {
    .name = "mongodb",
    .open = mg_open,
    .close = mg_close,
    .health = mg_health,
    .profile_upsert = mg_profile_upsert,
    .profile_get = mg_profile_get,
    .profile_list = mg_profile_list,
    .profile_delete = mg_profile_delete,
    .profile_count = mg_profile_count,
    .run_create = fc_mongo_run_create,
    .run_resume = fc_mongo_run_resume,
    .run_add_batch = fc_mongo_run_add_batch,
    .run_finish = fc_mongo_run_finish,
    .run_fail = fc_mongo_run_fail,
    .run_get = fc_mongo_run_get,
    .run_list = fc_mongo_run_list,
    .run_delete = fc_mongo_run_delete,
    .run_images = fc_mongo_run_images,
    .face_list = fc_mongo_face_list,
    .face_count = fc_mongo_face_count,
    .person_list = fc_mongo_person_list,
    .assignment_upsert = mg_assignment_upsert,
    .assignment_list = mg_assignment_list,
    .assignment_delete_run = mg_assignment_delete_run,
    .collection_list = mg_collection_list,
    .run_open_shared = fc_mongo_run_open_shared,
    .lease_claim = fc_mongo_lease_claim,
    .lease_heartbeat = fc_mongo_lease_heartbeat,
    .lease_complete = fc_mongo_lease_complete,
    .lease_release = fc_mongo_lease_release,
    .run_claim_finish = fc_mongo_run_claim_finish,
};
