/* test_source_s3_server.c - the S3 source against a running S3 server. Run by
 * tests/s3/test_s3.py, which starts s3rver behind a SigV4-verifying proxy and sets
 * FC_TEST_S3_* (see there); skipped when FC_TEST_S3_ENDPOINT is unset. Covers
 * pagination past 1000 keys, prefixes, both addressing styles, missing keys and
 * buckets, wrong credentials, 503 retries, the size limit, parallel fetches, and
 * the server going away mid-run (it is killed and restarted: nothing is lost). */
#include "test.h"

#include "source/s3.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NEED_SERVER()                                                                   \
    do {                                                                                \
        if (!getenv("FC_TEST_S3_ENDPOINT"))                                             \
            SKIP("FC_TEST_S3_ENDPOINT unset (tests/s3/test_s3.py sets it)");            \
    } while (0)

static int env_int(const char *name)
{
    const char *v = getenv(name);
    return v ? (int)strtol(v, NULL, 10) : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A source on the endpoint in env var `endpoint_var`; secret/bucket NULL: the test's. */
static fc_source *open_s3(const char *endpoint_var, fc_s3_addressing addr, const char *key,
                          const char *secret, const char *bucket, int attempts, int base_ms,
                          int cap_ms, int max_keys, fc_error *err)
{
    fc_s3_config c = {
        .endpoint = getenv(endpoint_var),
        .bucket = bucket ? bucket : getenv("FC_TEST_S3_BUCKET"),
        .access_key = key ? key : getenv("FC_TEST_S3_KEY"),
        .secret_key = secret ? secret : getenv("FC_TEST_S3_SECRET"),
        .addressing = addr,
        .attempts = attempts,
        .backoff_base_ms = base_ms,
        .backoff_cap_ms = cap_ms,
        .max_keys = max_keys,
        .connect_timeout_ms = 2000,
        .stall_timeout_s = 20,
    };
    return fc_source_s3_new(&c, err);
}

static fc_source *default_s3(fc_error *err)
{
    return open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 3, 20, 100, 0, err);
}

TEST(s3srv_lists_more_than_1000_keys_across_pages)
{
    NEED_SERVER();
    int many = env_int("FC_TEST_S3_MANY");
    fc_error err = {0};
    fc_source *src = default_s3(&err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list keys = {0}, small = {0}, named = {0};
    CHECK_OK(fc_source_list(src, "many", &keys, &err), &err);
    CHECK_MSG(many > 1000 && keys.n == (size_t)many, "%zu keys, want %d", keys.n, many);
    CHECK(strcmp(keys.keys[0], "many/k0000.jpg") == 0);
    char last[32];
    snprintf(last, sizeof last, "many/k%04d.jpg", many - 1);
    CHECK(strcmp(keys.keys[keys.n - 1], last) == 0);
    for (size_t i = 1; i < keys.n; i++)
        CHECK(strcmp(keys.keys[i - 1], keys.keys[i]) < 0);
    /* the leading bucket name is dropped (API.md), and a page of 7 keys gives the
       same list over 158 pages */
    CHECK_OK(fc_source_list(src, "fcbucket/many/", &named, &err), &err);
    CHECK(named.n == keys.n);
    fc_source *paged = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 3, 20,
                               100, 7, &err);
    CHECK_MSG(paged, "%s", err.msg);
    CHECK_OK(fc_source_list(paged, "many/", &small, &err), &err);
    CHECK(small.n == keys.n);
    for (size_t i = 0; i < keys.n; i++)
        CHECK(strcmp(small.keys[i], keys.keys[i]) == 0);
    fc_key_list_free(&keys);
    fc_key_list_free(&small);
    fc_key_list_free(&named);
    fc_source_free(paged);
    fc_source_free(src);
    return FC_TEST_PASS;
}

TEST(s3srv_prefixes_keep_images_of_the_folder)
{
    NEED_SERVER();
    int samples = env_int("FC_TEST_S3_SAMPLES"), many = env_int("FC_TEST_S3_MANY");
    fc_error err = {0};
    fc_source *src = default_s3(&err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list k = {0};
    CHECK_OK(fc_source_list(src, "event/day1/", &k, &err), &err);
    CHECK_MSG(k.n == (size_t)samples, "%zu keys, %d samples", k.n, samples); /* no .DS_Store */
    fc_key_list_free(&k);
    CHECK_OK(fc_source_list(src, "fcbucket/event", &k, &err), &err);
    CHECK(k.n == (size_t)samples + 1);
    fc_key_list_free(&k);
    /* everything: many/ + many2/other.jpg + samples + x.png + 2 flaky + big + odd + 2 cjk,
       and each sample five times more under outage/ (two), blip/, tail/ and apidown/ */
    CHECK_OK(fc_source_list(src, "", &k, &err), &err);
    CHECK_MSG(k.n == (size_t)(many + 6 * samples + 8), "%zu keys", k.n);
    fc_key_list_free(&k);
    CHECK_OK(fc_source_list(src, "nothing/here", &k, &err), &err);
    CHECK(k.n == 0);
    CHECK(fc_source_list(src, "../etc", &k, &err) == FC_ERR_ARG);
    fc_key_list_free(&k);
    fc_source_free(src);
    return FC_TEST_PASS;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

TEST(s3srv_fetch_bytes_path_style_and_virtual_host)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_source *path = default_s3(&err);
    CHECK_MSG(path, "%s", err.msg);
    fc_source *vhost = open_s3("FC_TEST_S3_VHOST_ENDPOINT", FC_S3_ADDR_VHOST, NULL, NULL, NULL, 3,
                               20, 100, 0, &err);
    CHECK_MSG(vhost, "%s", err.msg);
    uint8_t *bytes;
    size_t len;
    CHECK_OK(fc_source_fetch(path, "odd/sp ace+plus=.jpg", 0, &bytes, &len, &err), &err);
    CHECK(len == 7 && memcmp(bytes, "odd key", 7) == 0);
    free(bytes);
    CHECK_OK(fc_source_fetch(vhost, "many/k0042.jpg", 0, &bytes, &len, &err), &err);
    CHECK(len == 14 && memcmp(bytes, "many/k0042.jpg", 14) == 0);
    free(bytes);
    fc_key_list k = {0};
    CHECK_OK(fc_source_list(vhost, "many", &k, &err), &err);
    CHECK(k.n == (size_t)env_int("FC_TEST_S3_MANY"));
    fc_key_list_free(&k);
    if (env_int("FC_TEST_S3_SAMPLES") > 0) { /* a real photo, byte for byte */
        char p[1024];
        size_t want_len;
        snprintf(p, sizeof p, "%s/samples/sample1.jpg", fc_test_root());
        uint8_t *want = read_file(p, &want_len);
        CHECK_MSG(want, "%s", p);
        CHECK_OK(fc_source_fetch(vhost, "event/day1/sample1.jpg", 20 << 20, &bytes, &len, &err),
                 &err);
        int same = len == want_len && memcmp(bytes, want, len) == 0;
        free(bytes);
        free(want);
        CHECK(same);
    }
    fc_source_free(vhost);
    fc_source_free(path);
    return FC_TEST_PASS;
}

/* Bucket FC_TEST_S3_NAMES_BUCKET (test_s3.py NAME_KEYS): every object's bytes are its
 * key. Keys with spaces, '+', '%', '&', '=', sub-delims, NFC and NFD spellings, CJK,
 * emoji, nested folders and 900 bytes are listed and fetched byte for byte; keys with
 * a control byte (which XML 1.0 cannot carry, so the listing asks for encoding-type=url)
 * do not break the listing and are left out (not safe keys). */
TEST(s3srv_key_names_listed_and_fetched)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_source *src = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL,
                             getenv("FC_TEST_S3_NAMES_BUCKET"), 3, 20, 100, 0, &err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list k = {0};
    CHECK_OK(fc_source_list(src, "names", &k, &err), &err);
    CHECK_MSG(k.n == (size_t)env_int("FC_TEST_S3_NAMES"), "%zu keys", k.n);
    CHECK(fc_key_list_find(&k, "names/caf\xc3\xa9.jpg") >= 0);  /* NFC */
    CHECK(fc_key_list_find(&k, "names/cafe\xcc\x81.jpg") >= 0); /* NFD: another key */
    CHECK(fc_key_list_find(&k, "names/plus+sign.jpg") >= 0);
    for (size_t i = 0; i < k.n; i++) {
        uint8_t *bytes;
        size_t len;
        CHECK_OK(fc_source_fetch(src, k.keys[i], 0, &bytes, &len, &err), &err);
        int same = len == strlen(k.keys[i]) && memcmp(bytes, k.keys[i], len) == 0;
        free(bytes);
        CHECK_MSG(same, "'%s': other bytes", k.keys[i]);
    }
    fc_key_list_free(&k);
    CHECK_OK(fc_source_list(src, "names/a b+c", &k, &err), &err); /* a prefix to encode */
    CHECK(k.n == 1 && strcmp(k.keys[0], "names/a b+c/deep/er/x.JPG") == 0);
    fc_key_list_free(&k);
    fc_source_free(src);
    return FC_TEST_PASS;
}

TEST(s3srv_missing_key_and_bucket_are_clear_and_not_retried)
{
    NEED_SERVER();
    fc_error err = {0};
    /* a long backoff: a retry would show in the time taken */
    fc_source *src = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 5, 2000,
                             4000, 0, &err);
    CHECK_MSG(src, "%s", err.msg);
    uint8_t *bytes;
    size_t len;
    double t0 = now_ms();
    CHECK(fc_source_fetch(src, "many/nope.jpg", 0, &bytes, &len, &err) == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "no such key") && strstr(err.msg, "404") &&
                  strstr(err.msg, "many/nope.jpg"), "%s", err.msg);
    CHECK(!bytes && len == 0);
    fc_source *nob = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, "nobucket", 5,
                             2000, 4000, 0, &err);
    CHECK_MSG(nob, "%s", err.msg);
    fc_key_list k = {0};
    CHECK(fc_source_list(nob, "x", &k, &err) == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "no such bucket 'nobucket'") && strstr(err.msg, "WASABI_BUCKET_NAME"),
              "%s", err.msg);
    CHECK(fc_source_s3_check(nob, &err) == FC_ERR_IO);
    CHECK_OK(fc_source_s3_check(src, &err), &err);
    CHECK_MSG(now_ms() - t0 < 1500, "%.0f ms: retried", now_ms() - t0);
    fc_key_list_free(&k);
    fc_source_free(nob);
    fc_source_free(src);
    return FC_TEST_PASS;
}

/* WASABI_ENDPOINT https:// on a server that speaks plain HTTP: said so, not retried. */
TEST(s3srv_https_to_a_plain_http_server_is_clear)
{
    NEED_SERVER();
    char https[256];
    snprintf(https, sizeof https, "https://%s", strstr(getenv("FC_TEST_S3_ENDPOINT"), "//") + 2);
    fc_s3_config c = {.endpoint = https, .bucket = getenv("FC_TEST_S3_BUCKET"),
                      .access_key = getenv("FC_TEST_S3_KEY"),
                      .secret_key = getenv("FC_TEST_S3_SECRET"), .attempts = 5,
                      .backoff_base_ms = 2000, .backoff_cap_ms = 4000};
    fc_error err = {0};
    fc_source *src = fc_source_s3_new(&c, &err);
    CHECK_MSG(src, "%s", err.msg);
    double t0 = now_ms();
    CHECK(fc_source_s3_check(src, &err) == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "does not speak TLS") && strstr(err.msg, "http://") &&
                  strstr(err.msg, "after 1 attempt "), "%s", err.msg);
    CHECK_MSG(now_ms() - t0 < 1500, "%.0f ms: retried", now_ms() - t0);
    fc_source_free(src);
    return FC_TEST_PASS;
}

TEST(s3srv_wrong_credentials_are_clear_and_not_retried)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_key_list k = {0};
    uint8_t *bytes;
    size_t len;
    double t0 = now_ms();
    /* an unknown access key: s3rver's InvalidAccessKeyId */
    fc_source *badkey = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, "NOSUCHKEY", NULL, NULL, 5,
                                2000, 4000, 0, &err);
    CHECK_MSG(badkey, "%s", err.msg);
    CHECK(fc_source_list(badkey, "many", &k, &err) == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "access denied") && strstr(err.msg, "403 InvalidAccessKeyId") &&
                  strstr(err.msg, "wrong credentials"), "%s", err.msg);
    CHECK(k.n == 0);
    /* the right key, a wrong secret: the verifying proxy's SignatureDoesNotMatch */
    fc_source *badsecret = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, "not-the-secret",
                                   NULL, 5, 2000, 4000, 0, &err);
    CHECK_MSG(badsecret, "%s", err.msg);
    CHECK(fc_source_fetch(badsecret, "many/k0001.jpg", 0, &bytes, &len, &err) == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "403 SignatureDoesNotMatch") && strstr(err.msg, "WASABI_SECRET_KEY"),
              "%s", err.msg);
    CHECK(fc_source_s3_check(badsecret, &err) == FC_ERR_IO);
    CHECK_MSG(now_ms() - t0 < 1500, "%.0f ms: retried", now_ms() - t0);
    fc_source_free(badsecret);
    fc_source_free(badkey);
    return FC_TEST_PASS;
}

TEST(s3srv_retries_503_then_gives_a_clear_error)
{
    NEED_SERVER();
    fc_error err = {0};
    uint8_t *bytes;
    size_t len;
    /* the proxy answers 503 SlowDown twice per flaky/ key, then lets it through */
    fc_source *three = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 3, 10, 50,
                               0, &err);
    fc_source *two = open_s3("FC_TEST_S3_ENDPOINT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 2, 10, 50,
                             0, &err);
    CHECK_MSG(three && two, "%s", err.msg);
    CHECK_OK(fc_source_fetch(three, "flaky/a.jpg", 0, &bytes, &len, &err), &err);
    CHECK(len == 11 && memcmp(bytes, "flaky/a.jpg", 11) == 0);
    free(bytes);
    CHECK(fc_source_fetch(two, "flaky/b.jpg", 0, &bytes, &len, &err) == FC_ERR_UNAVAILABLE);
    CHECK_MSG(strstr(err.msg, "HTTP 503 SlowDown") && strstr(err.msg, "after retries"), "%s",
              err.msg);
    CHECK_OK(fc_source_fetch(two, "flaky/b.jpg", 0, &bytes, &len, &err), &err); /* third try */
    free(bytes);
    fc_source_free(two);
    fc_source_free(three);
    return FC_TEST_PASS;
}

TEST(s3srv_size_limit)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_source *src = default_s3(&err);
    CHECK_MSG(src, "%s", err.msg);
    uint8_t *bytes;
    size_t len;
    CHECK(fc_source_fetch(src, "big/large.jpg", 1000, &bytes, &len, &err) == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "MAX_IMAGE_SIZE_BYTES 1000"), "%s", err.msg);
    CHECK(fc_source_fetch(src, "big/large.jpg", 262143, &bytes, &len, &err) == FC_ERR_LIMIT);
    CHECK(!bytes);
    CHECK_OK(fc_source_fetch(src, "big/large.jpg", 262144, &bytes, &len, &err), &err);
    CHECK(len == 262144 && bytes[257] == 1 && bytes[262143] == 255);
    free(bytes);
    fc_source_free(src);
    return FC_TEST_PASS;
}

/* ---- parallel fetches, and the server going away ----------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    int *ok;       /* successful fetches per key */
    int done, failed;
    char last_error[384];
} tally;

static int on_fetched(void *ctx, size_t index, const char *key, fc_status rc, const fc_error *err,
                      uint8_t *bytes, size_t len)
{
    tally *t = ctx;
    int good = rc == FC_OK && len == strlen(key) && memcmp(bytes, key, len) == 0;
    free(bytes);
    pthread_mutex_lock(&t->lock);
    t->done++;
    if (good)
        t->ok[index]++;
    else {
        t->failed++;
        snprintf(t->last_error, sizeof t->last_error, "%s", err->msg);
    }
    pthread_mutex_unlock(&t->lock);
    return 0;
}

TEST(s3srv_fetch_many_in_parallel)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_source *src = default_s3(&err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list keys = {0};
    CHECK_OK(fc_source_list(src, "many", &keys, &err), &err);
    tally t = {PTHREAD_MUTEX_INITIALIZER, calloc(keys.n, sizeof(int)), 0, 0, ""};
    CHECK(t.ok);
    CHECK_OK(fc_source_fetch_many(src, (const char *const *)keys.keys, keys.n, 1000, 8, on_fetched,
                                  &t, &err), &err);
    int once = 1;
    for (size_t i = 0; i < keys.n; i++)
        once &= t.ok[i] == 1;
    free(t.ok);
    CHECK_MSG(once && t.failed == 0, "%d failed: %s", t.failed, t.last_error);
    fc_key_list_free(&keys);
    fc_source_free(src);
    return FC_TEST_PASS;
}

/* Kills s3rver (pid in FC_TEST_S3_PIDFILE) and waits until it is gone. */
static int kill_server(void)
{
    const char *pf = getenv("FC_TEST_S3_PIDFILE");
    FILE *f = pf ? fopen(pf, "r") : NULL;
    long pid = 0;
    if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    if (kill((pid_t)pid, SIGKILL) != 0)
        return -1;
    for (int i = 0; i < 200 && kill((pid_t)pid, 0) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int restart_server(void)
{
    const char *cmd = getenv("FC_TEST_S3_RESTART");
    return cmd && system(cmd) == 0 ? 0 : -1;
}

TEST(s3srv_server_gone_is_a_clear_error_after_retries)
{
    NEED_SERVER();
    fc_error err = {0};
    fc_source *src = open_s3("FC_TEST_S3_DIRECT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 3, 50, 200, 0,
                             &err);
    CHECK_MSG(src, "%s", err.msg);
    uint8_t *bytes;
    size_t len;
    CHECK_OK(fc_source_fetch(src, "many/k0001.jpg", 0, &bytes, &len, &err), &err); /* keep-alive */
    free(bytes);
    CHECK(kill_server() == 0);
    fc_status rc = fc_source_fetch(src, "many/k0002.jpg", 0, &bytes, &len, &err);
    fc_key_list k = {0};
    fc_error lerr = {0};
    fc_status lrc = fc_source_list(src, "many", &k, &lerr);
    int restarted = restart_server() == 0;
    CHECK(restarted);
    CHECK(rc == FC_ERR_UNAVAILABLE && !bytes);
    CHECK_MSG(strstr(err.msg, "after 3 attempts") && strstr(err.msg, "connect"), "%s", err.msg);
    CHECK_MSG(lrc == FC_ERR_UNAVAILABLE && strstr(lerr.msg, "list 'fcbucket/many/'"), "%s", lerr.msg);
    fc_key_list_free(&k);
    CHECK_OK(fc_source_fetch(src, "many/k0002.jpg", 0, &bytes, &len, &err), &err);
    CHECK(len == 14 && memcmp(bytes, "many/k0002.jpg", 14) == 0);
    free(bytes);
    CHECK_OK(fc_source_list(src, "many", &k, &err), &err);
    CHECK(k.n == (size_t)env_int("FC_TEST_S3_MANY"));
    fc_key_list_free(&k);
    fc_source_free(src);
    return FC_TEST_PASS;
}

typedef struct {
    tally *t;
    int kill_at, killed, restarted, done_at_kill;
} outage;

/* Kills the server once kill_at fetches are done, restarts it a moment later. */
static void *outage_thread(void *arg)
{
    outage *o = arg;
    for (int i = 0; i < 3000; i++) {
        pthread_mutex_lock(&o->t->lock);
        int done = o->t->done;
        pthread_mutex_unlock(&o->t->lock);
        if (done >= o->kill_at)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&o->t->lock);
    o->done_at_kill = o->t->done;
    pthread_mutex_unlock(&o->t->lock);
    o->killed = kill_server() == 0;
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    o->restarted = restart_server() == 0;
    return NULL;
}

TEST(s3srv_server_killed_mid_run_nothing_lost)
{
    NEED_SERVER();
    fc_error err = {0};
    /* retries span about 4 s at least: long enough for s3rver to come back */
    fc_source *src = open_s3("FC_TEST_S3_DIRECT", FC_S3_ADDR_AUTO, NULL, NULL, NULL, 12, 100, 1000,
                             0, &err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list keys = {0};
    CHECK_OK(fc_source_list(src, "many", &keys, &err), &err);
    tally t = {PTHREAD_MUTEX_INITIALIZER, calloc(keys.n, sizeof(int)), 0, 0, ""};
    CHECK(t.ok);
    outage o = {&t, 150, 0, 0, 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, outage_thread, &o) == 0);
    fc_status rc = fc_source_fetch_many(src, (const char *const *)keys.keys, keys.n, 1000, 6,
                                        on_fetched, &t, &err);
    pthread_join(th, NULL);
    int first_pass_failed = t.failed;
    /* whatever failed (each with a clear error) is fetched again: nothing is lost */
    for (size_t i = 0; i < keys.n && o.restarted; i++) {
        if (t.ok[i])
            continue;
        uint8_t *bytes;
        size_t len;
        fc_error e2 = {0};
        fc_status r2 = fc_source_fetch(src, keys.keys[i], 1000, &bytes, &len, &e2);
        on_fetched(&t, i, keys.keys[i], r2, &e2, r2 ? NULL : bytes, r2 ? 0 : len);
    }
    int once = 1;
    for (size_t i = 0; i < keys.n; i++)
        once &= t.ok[i] == 1;
    free(t.ok);
    size_t n_keys = keys.n;
    fc_key_list_free(&keys);
    fc_source_free(src);
    CHECK_OK(rc, &err);
    CHECK(o.killed && o.restarted);
    CHECK_MSG(o.done_at_kill < (int)n_keys - 100, "killed after %d of %zu fetches", o.done_at_kill,
              n_keys);
    CHECK_MSG(once, "some key was lost or fetched twice (%d failures, last: %s)", t.failed,
              t.last_error);
    if (first_pass_failed)
        printf("  note: %d fetches failed during the outage (last: %s) and were fetched again\n",
               first_pass_failed, t.last_error);
    return FC_TEST_PASS;
}
