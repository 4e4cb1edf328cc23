/* mongo_spill.c - the persons of a run too large for its run document. MongoDB
 * refuses a document over 16 MiB, and each person of person_clusters carries
 * owner_embedding and centroid (512 doubles each: about 13 KB a person), so an
 * event of more than about 1,200 persons cannot keep them in its run document.
 * When the run document plus the finish's update would pass FC_MONGO_DOC_LIMIT, the
 * persons go to person_clusters_{norm}, one document per person ({clustering_id,
 * ord} + the fields of a person_clusters element), written before the run document
 * is committed; the run document keeps person_clusters: [] and
 * person_clusters_collection naming where they are. Smaller runs keep their
 * persons inline, as the original service wrote them. The size decision, documents
 * and queries first (no I/O), then the writes and reads. */
#include "store/mongo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the decision, the documents, the queries (no I/O) ------------------------- */

int fc_mongo_update_fits(size_t doc_len, const bson_t *update)
{
    return update->len <= FC_MONGO_DOC_LIMIT && doc_len <= FC_MONGO_DOC_LIMIT - update->len;
}

fc_status fc_mongo_finish_commit(size_t doc_len, const fc_run_rec *run,
                                 const fc_mongo_finish_plan *plan, int64_t total_images,
                                 int64_t total_faces, int64_t now, const char *pcoll,
                                 int *spilled, bson_t *out, fc_error *err)
{
    *spilled = 0;
    fc_mongo_run_finish_update(run, plan->persons, plan->n_persons, plan->unassigned,
                               plan->n_unassigned, total_images, total_faces, now, NULL, out);
    if (fc_mongo_update_fits(doc_len, out))
        return FC_OK;
    bson_destroy(out);
    *spilled = 1;
    fc_mongo_run_finish_update(run, plan->persons, plan->n_persons, plan->unassigned,
                               plan->n_unassigned, total_images, total_faces, now, pcoll, out);
    if (fc_mongo_update_fits(doc_len, out))
        return FC_OK;
    return fc_error_set(err, FC_ERR_LIMIT,
                        "run %s: its document would take %zu bytes even with its %zu persons in "
                        "%s (%lld images, %zu unassigned faces); MongoDB takes at most 16 MiB",
                        run->clustering_id, doc_len + out->len, plan->n_persons, pcoll,
                        (long long)total_images, plan->n_unassigned);
}

void fc_mongo_persons_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX])
{
    fc_mongo_coll_name(FC_MONGO_PERSONS_PREFIX, runs_coll + strlen(FC_MONGO_RUNS_PREFIX), out,
                       FC_MONGO_COLL_MAX);
}

void fc_mongo_spilled_person_doc(const char *id, size_t ord, const fc_person_rec *p, bson_t *out)
{
    bson_t fields;
    bson_init(out);
    BSON_APPEND_UTF8(out, "clustering_id", id);
    BSON_APPEND_INT64(out, "ord", (int64_t)ord);
    fc_mongo_person_doc(p, &fields);
    bson_concat(out, &fields);
    bson_destroy(&fields);
}

int fc_mongo_persons_source(const bson_t *doc, char out[FC_MONGO_COLL_MAX])
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, FC_MONGO_SPILL_FIELD))
        return 0;
    uint32_t len = 0;
    const char *name = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, &len) : NULL;
    size_t prefix = strlen(FC_MONGO_PERSONS_PREFIX);
    if (!name || len <= prefix || len >= FC_MONGO_COLL_MAX || strlen(name) != len ||
        strncmp(name, FC_MONGO_PERSONS_PREFIX, prefix) != 0)
        return -1;
    memcpy(out, name, (size_t)len + 1);
    return 1;
}

void fc_mongo_spilled_query(const char *id, const char *person_id, bson_t **filter, bson_t **opts)
{
    *filter = BCON_NEW("clustering_id", BCON_UTF8(id));
    if (person_id)
        BSON_APPEND_UTF8(*filter, "person_id", person_id);
    *opts = BCON_NEW("sort", "{", "ord", BCON_INT32(1), "}");
}

/* ---- writing and reading ---------------------------------------------------------- */

/* Inserts the documents of persons [from, from + n) of run id into col. 1, or 0 with
 * be set and *transient saying whether a retry may succeed. */
static int insert_chunk(mongoc_collection_t *col, const char *id, const fc_person_rec *persons,
                        size_t from, size_t n, bson_t *docs, const bson_t **ptrs, int *transient,
                        bson_error_t *be)
{
    for (size_t k = 0; k < n; k++) {
        fc_mongo_spilled_person_doc(id, from + k, &persons[from + k], &docs[k]);
        ptrs[k] = &docs[k];
    }
    bson_t reply;
    int ok = mongoc_collection_insert_many(col, ptrs, n, NULL, &reply, be);
    *transient = !ok && fc_mongo_transient(be, &reply);
    bson_destroy(&reply);
    for (size_t k = 0; k < n; k++)
        bson_destroy(&docs[k]);
    return ok;
}

/* One attempt of fc_mongo_spill_persons: *transient when it failed in a way a retry
 * may mend. */
static fc_status spill_once(mongo_store *m, const char *pcoll, const char *id,
                            const fc_person_rec *persons, size_t n_persons, int *transient,
                            fc_error *err)
{
    *transient = 0;
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(id));
    fc_status rc = fc_mongo_delete(m, pcoll, filter, NULL, err);
    bson_destroy(filter);
    if (rc)
        return rc;
    bson_t *docs = calloc(FC_MONGO_SPILL_CHUNK, sizeof *docs);
    const bson_t **ptrs = calloc(FC_MONGO_SPILL_CHUNK, sizeof *ptrs);
    if (!docs || !ptrs) {
        free(docs);
        free(ptrs);
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    mongoc_collection_t *col = fc_mongo_coll(m, c, pcoll);
    for (size_t from = 0; !rc && from < n_persons; from += FC_MONGO_SPILL_CHUNK) {
        size_t n = n_persons - from < FC_MONGO_SPILL_CHUNK ? n_persons - from : FC_MONGO_SPILL_CHUNK;
        bson_error_t be;
        if (!insert_chunk(col, id, persons, from, n, docs, ptrs, transient, &be))
            rc = fc_mongo_error(err, "finish: persons", &be);
    }
    mongoc_collection_destroy(col);
    mongoc_client_pool_push(m->pool, c);
    free(docs);
    free(ptrs);
    return rc;
}

fc_status fc_mongo_spill_persons(mongo_store *m, const char *pcoll, const char *id,
                                 const fc_person_rec *persons, size_t n_persons, fc_error *err)
{
    mongoc_client_t *c = mongoc_client_pool_pop(m->pool);
    fc_status rc = fc_mongo_create_indexes(m, c, pcoll, err);
    mongoc_client_pool_push(m->pool, c);
    for (int attempt = 0; !rc; attempt++) {
        int transient;
        rc = spill_once(m, pcoll, id, persons, n_persons, &transient, err);
        if (!rc || !transient || attempt + 1 >= FC_MONGO_ATTEMPTS)
            break;
        rc = FC_OK;
        fc_mongo_backoff(attempt);
    }
    return rc;
}

/* One person document (without members) appended to the fc_person_list list. */
static fc_status person_row(const bson_t *doc, void *list, fc_error *err)
{
    fc_person_list *l = list;
    fc_person_rec *p = fc_rec_append((void **)&l->items, &l->n, sizeof *p);
    return p ? fc_mongo_person_parse(doc, p, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

/* The persons of person_clusters in the run document doc (of person_id, or all),
 * without members, appended to out. */
static fc_status parse_inline(const bson_t *doc, const char *person_id, fc_person_list *out,
                              fc_error *err)
{
    bson_iter_t it, arr;
    fc_status rc = FC_OK;
    if (!bson_iter_init_find(&it, doc, "person_clusters") || !BSON_ITER_HOLDS_ARRAY(&it))
        return FC_OK;
    bson_iter_recurse(&it, &arr);
    while (!rc && bson_iter_next(&arr)) {
        uint32_t len;
        const uint8_t *data;
        bson_t sub;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
            continue;
        bson_iter_document(&arr, &len, &data);
        if (!bson_init_static(&sub, data, len) ||
            (person_id && strcmp(fc_mongo_doc_str(&sub, "person_id"), person_id) != 0))
            continue;
        rc = person_row(&sub, out, err);
    }
    return rc;
}

static void person_clear(void *list)
{
    fc_person_list_free(list);
}

fc_status fc_mongo_persons_read(mongo_store *m, const bson_t *doc, const char *id,
                                const char *person_id, fc_person_list *out, fc_error *err)
{
    char pcoll[FC_MONGO_COLL_MAX];
    int source = fc_mongo_persons_source(doc, pcoll);
    if (source == 0)
        return parse_inline(doc, person_id, out, err);
    if (source < 0)
        return fc_error_set(err, FC_ERR_FORMAT, "run %s: %s is not a person_clusters_* collection",
                            id, FC_MONGO_SPILL_FIELD);
    bson_t *filter, *opts;
    fc_mongo_spilled_query(id, person_id, &filter, &opts);
    fc_status rc = fc_mongo_find_all(m, pcoll, filter, opts, person_row, out, person_clear, err);
    bson_destroy(filter);
    bson_destroy(opts);
    return rc;
}
