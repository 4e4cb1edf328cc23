/* test_store_concurrency.c - several threads on one database file: writers through
 * their own handles (WAL, busy timeout, BEGIN IMMEDIATE) beside a reader, and
 * threads sharing one handle; an open of a file another connection holds alone. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#define BATCHES 25
#define IMAGES 2
#define FACES 2

typedef struct {
    const char *path;
    const char *sub;
    fc_store *shared; /* NULL: open an own handle */
    int first;        /* profiles: first user number */
    char id[FC_OBJECTID_LEN + 1];
    fc_status rc;
    fc_error err;
} worker;

static void *write_run(void *arg)
{
    worker *w = arg;
    fc_store *s = fc_store_open_with(&fc_store_sqlite, w->path, &w->err);
    if (!s) {
        w->rc = w->err.code;
        return NULL;
    }
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "%s", w->sub);
    w->rc = fc_store_run_create(s, &run, &w->err);
    memcpy(w->id, run.clustering_id, sizeof w->id);
    for (int i = 0; !w->rc && i < BATCHES; i++) {
        fx_batch b;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "b/%s", w->sub);
        if (fx_batch_make(&b, prefix, i * IMAGES, IMAGES, FACES, 32))
            w->rc = fc_error_set(&w->err, FC_ERR_NOMEM, "fixture");
        else
            w->rc = fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &w->err);
        fx_batch_free(&b);
    }
    if (!w->rc)
        w->rc = fc_store_run_finish(s, &run, NULL, 0, &w->err);
    fc_store_close(s);
    return NULL;
}

static volatile int writers_done;

static void *read_runs(void *arg)
{
    worker *w = arg;
    fc_store *s = fc_store_open_with(&fc_store_sqlite, w->path, &w->err);
    if (!s) {
        w->rc = w->err.code;
        return NULL;
    }
    while (!w->rc && !__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE)) {
        fc_run_list runs;
        fc_collection_list cl;
        if (!(w->rc = fc_store_run_list(s, NULL, FC_RUNS_ALL, &runs, &w->err))) {
            /* a done run is always complete */
            for (size_t i = 0; i < runs.n; i++)
                if (runs.items[i].status == FC_RUN_DONE && runs.items[i].total_images != BATCHES * IMAGES)
                    w->rc = fc_error_set(&w->err, FC_ERR_INTERNAL, "a done run with %lld images",
                                         (long long)runs.items[i].total_images);
            fc_run_list_free(&runs);
        }
        if (!w->rc && !(w->rc = fc_store_collection_list(s, &cl, &w->err)))
            fc_collection_list_free(&cl);
    }
    fc_store_close(s);
    return NULL;
}

TEST(store_concurrent_writers_and_a_reader)
{
    char path[512];
    fx_db_path("concurrent", path, sizeof path);
    fc_store *s = fx_open(path); /* created before the threads race to migrate it */
    CHECK(s);
    worker w[3] = {{.path = path, .sub = "one"}, {.path = path, .sub = "two"}, {.path = path}};
    pthread_t t[3];
    writers_done = 0;
    CHECK(pthread_create(&t[2], NULL, read_runs, &w[2]) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, write_run, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
    pthread_join(t[2], NULL);
    for (int i = 0; i < 3; i++)
        CHECK_MSG(w[i].rc == FC_OK, "thread %d: %s", i, w[i].err.msg);

    fc_error err = {0};
    for (int i = 0; i < 2; i++) {
        fc_run_rec run;
        int found;
        CHECK_OK(fc_store_run_get(s, w[i].id, &run, &found, &err), &err);
        CHECK(found && run.status == FC_RUN_DONE && run.total_images == BATCHES * IMAGES);
        CHECK(run.total_faces == BATCHES * IMAGES * FACES);
        fc_run_rec_clear(&run);
    }
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_concurrent_first_open_of_a_new_file)
{
    char path[512];
    fx_db_path("concurrent_new", path, sizeof path);
    worker w[2] = {{.path = path, .sub = "x"}, {.path = path, .sub = "y"}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, write_run, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        CHECK_MSG(w[i].rc == FC_OK, "thread %d: %s", i, w[i].err.msg);
    return FC_TEST_PASS;
}

static void *upsert_profiles(void *arg)
{
    worker *w = arg;
    float v[16];
    for (int i = 0; !w->rc && i < 100; i++) {
        fc_profile_rec p = {0};
        snprintf(p.user_id, sizeof p.user_id, "user_%d", w->first + i);
        fx_vector(v, 16, (unsigned)(w->first + i));
        p.embedding = v;
        p.dim = 16;
        w->rc = fc_store_profile_upsert(w->shared, &p, &w->err);
        int64_t n;
        if (!w->rc)
            w->rc = fc_store_profile_count(w->shared, &n, &w->err);
    }
    return NULL;
}

TEST(store_concurrent_threads_share_a_handle)
{
    char path[512];
    fx_db_path("shared_handle", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    worker w[2] = {{.shared = s, .first = 0}, {.shared = s, .first = 1000}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, upsert_profiles, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        CHECK_MSG(w[i].rc == FC_OK, "thread %d: %s", i, w[i].err.msg);
    fc_error err = {0};
    int64_t n;
    CHECK_OK(fc_store_profile_count(s, &n, &err), &err);
    CHECK(n == 200);
    fc_store_close(s);
    return FC_TEST_PASS;
}

typedef struct {
    const char *path;
    fc_store *s;
    fc_error err;
    int done;
} opener;

static void *open_store(void *arg)
{
    opener *o = arg;
    o->s = fc_store_open_with(&fc_store_sqlite, o->path, &o->err);
    __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* A file another connection holds alone (SQLite's exclusive locking mode, as a reader
 * on a full disk holds it): an open gives up after the busy timeout, saying so. It
 * waited the busy timeout (10 s) up to 1000 times (2.8 hours): each retry of switching
 * to WAL waited it whole and counted 10 ms. */
TEST(store_concurrent_open_of_a_file_held_alone_gives_up)
{
    char path[512];
    fx_db_path("held_alone", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_store_close(s);
    sqlite3 *holder = NULL;
    CHECK(sqlite3_open(path, &holder) == SQLITE_OK);
    CHECK(sqlite3_exec(holder, "PRAGMA locking_mode = EXCLUSIVE; SELECT count(*) FROM runs",
                       NULL, NULL, NULL) == SQLITE_OK);
    opener o = {.path = path};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, open_store, &o) == 0);
    int waited = 0;
    while (!__atomic_load_n(&o.done, __ATOMIC_ACQUIRE) && waited < 40000) {
        usleep(100 * 1000);
        waited += 100;
    }
    sqlite3_close(holder); /* lets the open through if it still waits */
    pthread_join(t, NULL);
    fc_store_close(o.s);
    CHECK_MSG(waited < 40000, "the open still waited after 40 s");
    CHECK(!o.s && o.err.code == FC_ERR_IO);
    CHECK_MSG(strstr(o.err.msg, path) && strstr(o.err.msg, "held it alone"), "%s", o.err.msg);
    printf("  after %.1f s: %s\n", waited / 1000.0, o.err.msg);
    return FC_TEST_PASS;
}
