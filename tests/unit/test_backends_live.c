/* test_backends_live.c - the store conformance checks (tests/store_conformance.c)
 * on every backend: the embedded ones always, MongoDB when MONGODB_URL is set, Qdrant
 * when QDRANT_URL is set (otherwise those tests print "skipped: ... not set"). How
 * to run them against real servers: docs/backends.md. */
#include "test.h"

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

static int run_store(fc_store *s)
{
    int r = fc_conformance_profiles(s, tag());
    if (r == FC_TEST_PASS)
        r = fc_conformance_runs(s, tag());
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
    return run_store(s);
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
    return run_store(s);
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
