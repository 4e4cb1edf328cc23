/* test_backends_live.c - the store conformance checks (tests/store_conformance.c)
 * on every backend: the embedded ones always, MongoDB when MONGODB_URL is set, Qdrant
 * when QDRANT_URL is set (otherwise those tests print "skipped: ... not set"). How
 * to run them against real servers: docs/backends.md. */
#include "test.h"

#include "store/mongo_int.h"
#include "store_conformance.h"
#include "unit/test_store_fixtures.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A tag unique to this process, for bucket names on shared servers. */
static const char *tag(void)
{
    static char t[32];
    if (!t[0])
        snprintf(t, sizeof t, "%ld", (long)getpid());
    return t;
}

/* The persons of an event too large for one run document (docs/backends.md), with
 * what the backend needs to check what it stored. */
#define LARGE_PERSONS 2000

static int run_store(fc_store *s, fc_conformance_inspect inspect)
{
    int r = fc_conformance_profiles(s, tag());
    if (r == FC_TEST_PASS)
        r = fc_conformance_runs(s, tag());
    if (r == FC_TEST_PASS)
        r = fc_conformance_large_run(s, tag(), LARGE_PERSONS, inspect);
    if (r == FC_TEST_PASS)
        r = fc_conformance_assignments(s, tag());
    if (r == FC_TEST_PASS)
        r = fc_conformance_leases(s, tag());
    fc_store_close(s);
    return r;
}

TEST(store_conformance_sqlite)
{
    char path[1024];
    fx_db_path("conformance", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    return run_store(s, NULL);
}

TEST(store_conformance_local_vectors)
{
    char path[1024];
    fx_db_path("conformance_vec", path, sizeof path);
    fc_error err = {0};
    fc_vectors *v = fc_vectors_open_with(&fc_vectors_local, path, "face_embeddings", &err);
    CHECK_MSG(v, "%s", err.msg);
    int r = fc_conformance_vectors(v, tag());
    fc_vectors_close(v);
    return r;
}

/* What a reader of the database sees of a large run: its run document with
 * person_clusters [] and person_clusters_collection, one document per person there
 * (none once the run is deleted). */
static int mongo_large_run(fc_store *s, const char *clustering_id, size_t n_persons, int deleted)
{
    mongo_store *m = as_mongo(s);
    fc_error err = {0};
    char bucket[64], runs[FC_MONGO_COLL_MAX], pcoll[FC_MONGO_COLL_MAX];
    snprintf(bucket, sizeof bucket, "conf-%s", tag()); /* fc_conformance_large_run's */
    CHECK(!fc_mongo_runs_coll(bucket, "large", runs, sizeof runs));
    fc_mongo_persons_of(runs, pcoll);
    if (!deleted) {
        char coll[FC_MONGO_COLL_MAX], named[FC_MONGO_COLL_MAX] = "";
        bson_t *doc = NULL;
        bson_iter_t it, arr;
        CHECK_OK(fc_mongo_locate(m, clustering_id, 0, coll, &doc, &err), &err);
        CHECK(doc && !strcmp(coll, runs) && fc_mongo_persons_source(doc, named) == 1);
        CHECK_MSG(!strcmp(named, pcoll), "%s", named);
        CHECK(bson_iter_init_find(&it, doc, "person_clusters") && BSON_ITER_HOLDS_ARRAY(&it));
        CHECK(bson_iter_recurse(&it, &arr) && !bson_iter_next(&arr));
        printf("  run document of %zu persons: %u bytes, persons in %s\n", n_persons, doc->len, pcoll);
        bson_destroy(doc);
    }
    bson_t *filter = BCON_NEW("clustering_id", BCON_UTF8(clustering_id));
    int64_t n = -1;
    CHECK_OK(fc_mongo_count(m, pcoll, filter, &n, &err), &err);
    bson_destroy(filter);
    CHECK_MSG(n == (deleted ? 0 : (int64_t)n_persons), "%lld person documents", (long long)n);
    return FC_TEST_PASS;
}

TEST(live_mongo_store_conformance)
{
    const char *url = getenv("MONGODB_URL");
    if (!url || !*url)
        SKIP("skipped: MONGODB_URL not set");
    fc_config cfg = {0};
    cfg.mongo_url = (char *)url;
    cfg.mongo_db = getenv("MONGO_DB") ? getenv("MONGO_DB") : "facecluster_test";
    cfg.db_path = "unused.db";
    fc_error err = {0};
    fc_store *s = fc_store_open(&cfg, &err);
    CHECK_MSG(s, "%s", err.msg);
    CHECK(!strcmp(fc_store_backend_name(s), "mongodb"));
    return run_store(s, mongo_large_run);
}

TEST(live_qdrant_vectors_conformance)
{
    const char *url = getenv("QDRANT_URL");
    if (!url || !*url)
        SKIP("skipped: QDRANT_URL not set");
    fc_config cfg = {0};
    cfg.qdrant_url = (char *)url;
    cfg.qdrant_api_key = getenv("QDRANT_API_KEY");
    char coll[64];
    snprintf(coll, sizeof coll, "fc_test_%s", tag());
    cfg.qdrant_collection = coll;
    cfg.db_path = "unused.db";
    fc_error err = {0};
    fc_vectors *v = fc_vectors_open(&cfg, &err);
    CHECK_MSG(v, "%s", err.msg);
    CHECK(!strcmp(fc_vectors_backend_name(v), "qdrant"));
    int r = fc_conformance_vectors(v, tag());
    fc_vectors_close(v);
    return r;
}

TEST(mongo_unreachable_server_is_a_startup_error)
{
    fc_config cfg = {0};
    cfg.mongo_url = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200&connectTimeoutMS=200";
    cfg.db_path = "unused.db";
    fc_error err = {0};
    CHECK(fc_store_open(&cfg, &err) == NULL);
    CHECK_MSG(err.code == FC_ERR_IO && strstr(err.msg, "does not answer"), "%s", err.msg);
    cfg.mongo_url = "http://not-mongo";
    CHECK(fc_store_open(&cfg, &err) == NULL && err.code == FC_ERR_ARG);
    return FC_TEST_PASS;
}
