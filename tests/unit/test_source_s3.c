/* test_source_s3.c - the S3 source without a server: Wasabi's region table, endpoint
 * parsing and both addressing styles, SigV4 percent-encoding, the backoff schedule,
 * ListObjectsV2 and error XML, the parallel fetch helper, and fc_source_open's choice.
 * The tests against a running S3 server are in test_source_s3_server.c. */
#include "test.h"

#include "source/s3.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TEST(source_s3_region_endpoints)
{
    char url[128];
    int known;
    fc_error err = {0};
    CHECK_OK(fc_s3_region_endpoint("us-east-1", url, sizeof url, &known, &err), &err);
    CHECK(strcmp(url, "https://s3.wasabisys.com") == 0 && known);
    CHECK_OK(fc_s3_region_endpoint("eu-central-1", url, sizeof url, &known, &err), &err);
    CHECK(strcmp(url, "https://s3.eu-central-1.wasabisys.com") == 0 && known);
    CHECK_OK(fc_s3_region_endpoint("ap-southeast-2", url, sizeof url, &known, &err), &err);
    CHECK(strcmp(url, "https://s3.ap-southeast-2.wasabisys.com") == 0 && known);
    CHECK_OK(fc_s3_region_endpoint("mars-north-9", url, sizeof url, &known, &err), &err);
    CHECK(strcmp(url, "https://s3.mars-north-9.wasabisys.com") == 0 && !known);
    CHECK(fc_s3_region_endpoint("EU_1", url, sizeof url, &known, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "WASABI_REGION"));
    CHECK(fc_s3_region_endpoint("", url, sizeof url, &known, &err) == FC_ERR_ARG);
    CHECK(fc_s3_region_endpoint("us-east-2", url, 10, &known, &err) == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}

TEST(source_s3_urls_virtual_host_and_path_style)
{
    fc_s3_target t;
    char url[512];
    fc_error err = {0};
    /* a public host name and a DNS-safe bucket: virtual-host */
    CHECK_OK(fc_s3_target_init(&t, "https://s3.wasabisys.com", "photos", FC_S3_ADDR_AUTO, &err),
             &err);
    CHECK(!t.path_style);
    CHECK_OK(fc_s3_object_url(&t, "ev 1/a+b=c.jpg", url, sizeof url, &err), &err);
    CHECK_MSG(strcmp(url, "https://photos.s3.wasabisys.com/ev%201/a%2Bb%3Dc.jpg") == 0, "%s", url);
    CHECK_OK(fc_s3_list_url(&t, "event/day1/", "1ue/Gc+x=", 7, url, sizeof url, &err), &err);
    CHECK_MSG(strcmp(url, "https://photos.s3.wasabisys.com/?continuation-token=1ue%2FGc%2Bx%3D"
                          "&encoding-type=url&list-type=2&max-keys=7&prefix=event%2Fday1%2F") == 0,
              "%s", url);
    /* no scheme: https; the same host forced to path-style */
    CHECK_OK(fc_s3_target_init(&t, "S3.EU-Central-1.wasabisys.com/", "photos", FC_S3_ADDR_PATH,
                               &err), &err);
    CHECK_OK(fc_s3_object_url(&t, "k.jpg", url, sizeof url, &err), &err);
    CHECK_MSG(strcmp(url, "https://s3.eu-central-1.wasabisys.com/photos/k.jpg") == 0, "%s", url);
    CHECK_OK(fc_s3_list_url(&t, "", NULL, 0, url, sizeof url, &err), &err);
    CHECK_MSG(strcmp(url, "https://s3.eu-central-1.wasabisys.com/photos?encoding-type=url"
                          "&list-type=2&prefix=") == 0, "%s", url);
    /* auto picks path-style for IPs, localhost, explicit ports and dotted buckets */
    CHECK_OK(fc_s3_target_init(&t, "http://127.0.0.1:4568", "photos", FC_S3_ADDR_AUTO, &err), &err);
    CHECK(t.path_style && strcmp(t.port, "4568") == 0 && strcmp(t.scheme, "http") == 0);
    CHECK_OK(fc_s3_object_url(&t, "a/b.jpg", url, sizeof url, &err), &err);
    CHECK_MSG(strcmp(url, "http://127.0.0.1:4568/photos/a/b.jpg") == 0, "%s", url);
    CHECK_OK(fc_s3_target_init(&t, "http://localhost", "photos", FC_S3_ADDR_AUTO, &err), &err);
    CHECK(t.path_style);
    CHECK_OK(fc_s3_target_init(&t, "https://minio.example.com:9000", "photos", FC_S3_ADDR_AUTO,
                               &err), &err);
    CHECK(t.path_style);
    CHECK_OK(fc_s3_target_init(&t, "https://s3.wasabisys.com", "my.photos", FC_S3_ADDR_AUTO, &err),
             &err);
    CHECK(t.path_style);
    CHECK_OK(fc_s3_target_init(&t, "http://[::1]:9000", "photos", FC_S3_ADDR_AUTO, &err), &err);
    CHECK(t.path_style && strcmp(t.host, "[::1]") == 0 && strcmp(t.port, "9000") == 0);
    /* forced virtual-host where it cannot work, and malformed endpoints */
    CHECK(fc_s3_target_init(&t, "http://127.0.0.1", "photos", FC_S3_ADDR_VHOST, &err) == FC_ERR_ARG);
    CHECK(fc_s3_target_init(&t, "https://s3.wasabisys.com", "My_Photos", FC_S3_ADDR_VHOST, &err) ==
          FC_ERR_ARG);
    const char *bad[] = {"ftp://h", "http://h/path", "http://h:99999", "http://h:", "http://u@h",
                         "http://h?x=1", "http://[::1", "http://h_h", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(fc_s3_target_init(&t, bad[i], "photos", FC_S3_ADDR_AUTO, &err) == FC_ERR_ARG,
                  "endpoint '%s' accepted", bad[i]);
    CHECK(fc_s3_target_init(&t, "http://h", "ab", FC_S3_ADDR_AUTO, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "WASABI_BUCKET_NAME"));
    CHECK_OK(fc_s3_target_init(&t, "http://h", "photos", FC_S3_ADDR_AUTO, &err), &err);
    CHECK(fc_s3_object_url(&t, "k.jpg", url, 16, &err) == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}

TEST(source_s3_uri_encode)
{
    char out[64];
    CHECK(fc_s3_uri_encode("a b/\xc3\xbc~-_.Z9", 1, out, sizeof out) == 18);
    CHECK_MSG(strcmp(out, "a%20b/%C3%BC~-_.Z9") == 0, "%s", out);
    CHECK(fc_s3_uri_encode("a/b", 0, out, sizeof out) == 5 && strcmp(out, "a%2Fb") == 0);
    CHECK(fc_s3_uri_encode("", 0, out, sizeof out) == 0 && out[0] == '\0');
    CHECK(fc_s3_uri_encode("abc", 0, out, 3) == -1);
    CHECK(fc_s3_uri_encode("a b", 0, out, 5) == -1);
    CHECK(fc_s3_uri_encode("a b", 0, out, 6) == 5);
    return FC_TEST_PASS;
}

TEST(source_s3_backoff_schedule)
{
    /* d = min(cap, base * 2^(retry-1)); the wait is in [d/2, d) */
    CHECK(fc_s3_backoff_ms(1, 200, 5000, 0.0) == 100);
    CHECK(fc_s3_backoff_ms(1, 200, 5000, 0.999) == 199);
    CHECK(fc_s3_backoff_ms(2, 200, 5000, 0.0) == 200);
    CHECK(fc_s3_backoff_ms(3, 200, 5000, 0.5) == 600);
    CHECK(fc_s3_backoff_ms(5, 200, 5000, 0.0) == 1600);
    CHECK(fc_s3_backoff_ms(6, 200, 5000, 0.0) == 2500); /* 6400 capped at 5000 */
    CHECK(fc_s3_backoff_ms(60, 200, 5000, 0.999) <= 5000);
    CHECK(fc_s3_backoff_ms(60, 200, 5000, 0.0) == 2500);
    long prev = 0;
    for (int r = 1; r < 12; r++) { /* the midpoint never shrinks */
        long mid = fc_s3_backoff_ms(r, 200, 5000, 0.5);
        CHECK(mid >= prev);
        prev = mid;
    }
    CHECK(fc_s3_backoff_ms(1, 200, 5000, -3.0) == 100 && fc_s3_backoff_ms(1, 200, 5000, 7.0) < 200);
    return FC_TEST_PASS;
}

/* After the examples of AWS's ListObjectsV2 API reference (trimmed): a complete
 * listing and a truncated one with a continuation token. */
static const char aws_list_complete[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "    <Name>bucket</Name>\n    <Prefix/>\n    <KeyCount>205</KeyCount>\n"
    "    <MaxKeys>1000</MaxKeys>\n    <IsTruncated>false</IsTruncated>\n"
    "    <Contents>\n        <Key>my-image.jpg</Key>\n"
    "        <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
    "        <Size>434234</Size>\n        <StorageClass>STANDARD</StorageClass>\n"
    "    </Contents>\n"
    "    <Contents>\n        <Key>photos/a &amp; b.jpg</Key>\n        <Size>9</Size>\n"
    "    </Contents>\n"
    "</ListBucketResult>\n";

static const char aws_list_truncated[] =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>bucket</Name>\n  <Prefix></Prefix>\n"
    "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\n"
    "  <KeyCount>3</KeyCount>\n  <MaxKeys>3</MaxKeys>\n  <IsTruncated>true</IsTruncated>\n"
    "  <Contents><Key>happyface.jpg</Key><Size>11</Size></Contents>\n"
    "  <Contents><Key>happyfacex.jpg</Key><Size>11</Size></Contents>\n"
    "  <Contents><Key>notes.txt</Key><Size>11</Size></Contents>\n"
    "</ListBucketResult>";

TEST(source_s3_parse_list_pages)
{
    fc_s3_list_page p;
    fc_error err = {0};
    CHECK_OK(fc_s3_parse_list(aws_list_complete, strlen(aws_list_complete), &p, &err), &err);
    CHECK(p.keys.n == 2 && !p.truncated && !p.next_token);
    CHECK(strcmp(p.keys.keys[0], "my-image.jpg") == 0);
    CHECK(strcmp(p.keys.keys[1], "photos/a & b.jpg") == 0);
    /* the fingerprint an incremental run compares: <Size> and <ETag> */
    CHECK_MSG(!strcmp(p.keys.fprints[0], "size=434234 etag=\"fba9dede5f27731c9771645a39863328\""),
              "%s", p.keys.fprints[0]);
    CHECK(!strcmp(p.keys.fprints[1], "size=9 etag="));
    fc_s3_list_page_free(&p);
    CHECK_OK(fc_s3_parse_list(aws_list_truncated, strlen(aws_list_truncated), &p, &err), &err);
    CHECK(p.keys.n == 3 && p.truncated && p.next_token);
    CHECK(strcmp(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") == 0);
    CHECK(strcmp(p.keys.keys[2], "notes.txt") == 0);
    fc_s3_list_page_free(&p);
    return FC_TEST_PASS;
}

/* The answer to encoding-type=url (ListObjectsV2 reference: Key, Prefix, Delimiter
 * and StartAfter URL-encoded, EncodingType says so): the keys come back decoded, a
 * control byte XML 1.0 cannot carry included; '+' is a space, %2B a '+'. */
static const char aws_list_url_encoded[] =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix>ev+1%2F</Prefix><MaxKeys>1000</MaxKeys>"
    "<Contents><Key>ev+1/a%2Bb+c%25%3D%26.jpg</Key><Size>1</Size></Contents>"
    "<Contents><Key>ev+1/bell%07.jpg</Key><Size>1</Size></Contents>"
    "<Contents><Key>ev+1/caf%C3%A9.jpg</Key><Size>1</Size></Contents>"
    "<Contents><Key>ev+1/x%00.jpg</Key><Size>1</Size></Contents>"
    "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
    "</ListBucketResult>";

TEST(source_s3_parse_list_url_encoded_keys)
{
    fc_s3_list_page p;
    fc_error err = {0};
    CHECK_OK(fc_s3_parse_list(aws_list_url_encoded, strlen(aws_list_url_encoded), &p, &err),
             &err);
    CHECK(p.keys.n == 4);
    CHECK_MSG(!strcmp(p.keys.keys[0], "ev 1/a+b c%=&.jpg"), "%s", p.keys.keys[0]);
    CHECK(!strcmp(p.keys.keys[1], "ev 1/bell\x07.jpg"));
    CHECK(!strcmp(p.keys.keys[2], "ev 1/caf\xc3\xa9.jpg"));
    CHECK(!strcmp(p.keys.keys[3], "")); /* a NUL byte: no path names it */
    fc_s3_list_page_free(&p);
    /* a server that ignores encoding-type answers without EncodingType: keys as given */
    CHECK_OK(fc_s3_parse_list(aws_list_complete, strlen(aws_list_complete), &p, &err), &err);
    CHECK(!strcmp(p.keys.keys[1], "photos/a & b.jpg"));
    fc_s3_list_page_free(&p);
    const char bad[] = "<ListBucketResult><EncodingType>url</EncodingType>"
                       "<Contents><Key>a%4.jpg</Key></Contents></ListBucketResult>";
    CHECK(fc_s3_parse_list(bad, strlen(bad), &p, &err) == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "bad URL encoding"), "%s", err.msg);
    const char cut[] = "<ListBucketResult><EncodingType>url</EncodingType>"
                       "<Contents><Key>a%4</Key></Contents></ListBucketResult>";
    CHECK(fc_s3_parse_list(cut, strlen(cut), &p, &err) == FC_ERR_FORMAT); /* escape cut short */
    return FC_TEST_PASS;
}

TEST(source_s3_parse_list_rejects_bad_documents)
{
    fc_s3_list_page p;
    fc_error err = {0};
    const char *bad[] = {
        "", "not xml", "<Error><Code>NoSuchBucket</Code></Error>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a.jpg</Key></Contents>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_MSG(fc_s3_parse_list(bad[i], strlen(bad[i]), &p, &err) == FC_ERR_FORMAT,
                  "accepted: %s", bad[i]);
        CHECK(p.keys.n == 0 && !p.next_token);
    }
    /* an external entity is neither fetched nor expanded */
    const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM "
                       "\"file:///etc/passwd\">]><ListBucketResult><Contents><Key>x&e;.jpg"
                       "</Key></Contents></ListBucketResult>";
    if (fc_s3_parse_list(xxe, strlen(xxe), &p, &err) == FC_OK) {
        CHECK(p.keys.n == 1 && !strstr(p.keys.keys[0], "root:"));
        fc_s3_list_page_free(&p);
    }
    return FC_TEST_PASS;
}

TEST(source_s3_parse_error_documents)
{
    char code[32], msg[40];
    const char doc[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                       "<Message>The specified key does not exist, and this message is long."
                       "</Message><Key>a.jpg</Key></Error>";
    fc_s3_parse_error(doc, strlen(doc), code, sizeof code, msg, sizeof msg);
    CHECK(strcmp(code, "NoSuchKey") == 0);
    CHECK(strlen(msg) == sizeof msg - 1 && strncmp(msg, "The specified key", 17) == 0);
    fc_s3_parse_error("<html>502</html>", 16, code, sizeof code, msg, sizeof msg);
    CHECK(code[0] == '\0' && msg[0] == '\0');
    fc_s3_parse_error(NULL, 0, code, sizeof code, msg, sizeof msg);
    CHECK(code[0] == '\0');
    return FC_TEST_PASS;
}

/* Found by fuzz/fuzz_responses.c: a body whose bytes do not fit its declared
 * encoding made libxml2 print "encoding error : input conversion failed..." and
 * "I/O error : encoder error" on stderr (the server's log) for every response, as
 * those errors bypass XML_PARSE_NOERROR. The parse fails quietly now. */
TEST(source_s3_parse_bad_encoding_is_quiet)
{
    static const char *const docs[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Error><Code>X\xda\xda\xda\xda</Code></Error>",
        "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><ListBucketResult>\x1b$B\xda\xda\xda"
        "</ListBucketResult>",
        "<?xml version=\"1.0\" encoding=\"no-such-charset\"?><Error/>",
    };
    char path[1024], code[32], msg[64], logged[256] = "";
    snprintf(path, sizeof path, "%s/s3_xml_stderr.txt", fc_test_tmpdir());
    fflush(stderr);
    int saved = dup(2);
    FILE *log = fopen(path, "w+");
    CHECK(saved >= 0 && log && dup2(fileno(log), 2) == 2);
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        fc_s3_list_page p;
        fc_error err = {0};
        fc_s3_parse_error(docs[i], strlen(docs[i]), code, sizeof code, msg, sizeof msg);
        if (fc_s3_parse_list(docs[i], strlen(docs[i]), &p, &err) == FC_OK)
            fc_s3_list_page_free(&p);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(log);
    size_t n = fread(logged, 1, sizeof logged - 1, log);
    fclose(log);
    logged[n] = '\0';
    CHECK_MSG(n == 0, "libxml2 wrote to stderr: %s", logged);
    return FC_TEST_PASS;
}

/* ---- fc_source_fetch_many over a fake backend that counts fetches in flight ---- */

typedef struct {
    struct fc_source base;
    pthread_mutex_t lock;
    int in_flight, max_in_flight;
} fake_source;

static fc_status fake_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                            size_t *len, fc_error *err)
{
    fake_source *f = (fake_source *)src;
    (void)max_bytes;
    pthread_mutex_lock(&f->lock);
    if (++f->in_flight > f->max_in_flight)
        f->max_in_flight = f->in_flight;
    pthread_mutex_unlock(&f->lock);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&f->lock);
    f->in_flight--;
    pthread_mutex_unlock(&f->lock);
    if (strstr(key, "bad"))
        return fc_error_set(err, FC_ERR_IO, "%s: broken", key);
    *len = strlen(key);
    *bytes = (uint8_t *)strdup(key);
    return *bytes ? FC_OK : FC_ERR_NOMEM;
}

static const struct fc_source_ops fake_ops = {"fake", NULL, fake_fetch, NULL};

typedef struct {
    pthread_mutex_t lock;
    int calls[64], ok, failed, stop_after;
} tally;

static int on_fetched(void *ctx, size_t index, const char *key, fc_status rc, const fc_error *err,
                      uint8_t *bytes, size_t len)
{
    tally *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->calls[index]++;
    if (rc == FC_OK && len == strlen(key) && memcmp(bytes, key, len) == 0)
        t->ok++;
    else if (rc != FC_OK && strstr(err->msg, "broken") && !bytes)
        t->failed++;
    int stop = t->stop_after && t->ok + t->failed >= t->stop_after;
    pthread_mutex_unlock(&t->lock);
    free(bytes);
    return stop;
}

TEST(source_fetch_many_bounded_and_exactly_once)
{
    fake_source f = {{&fake_ops}, PTHREAD_MUTEX_INITIALIZER, 0, 0};
    char names[64][16];
    const char *keys[64];
    for (int i = 0; i < 64; i++) {
        snprintf(names[i], sizeof names[i], i % 10 == 3 ? "bad%d.jpg" : "k%d.jpg", i);
        keys[i] = names[i];
    }
    fc_error err = {0};
    tally t = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 0};
    CHECK_OK(fc_source_fetch_many(&f.base, keys, 64, 0, 4, on_fetched, &t, &err), &err);
    for (int i = 0; i < 64; i++)
        CHECK_MSG(t.calls[i] == 1, "key %d: %d calls", i, t.calls[i]);
    CHECK(t.ok == 57 && t.failed == 7);
    CHECK_MSG(f.max_in_flight <= 4 && f.max_in_flight >= 2, "max in flight %d", f.max_in_flight);
    /* one at a time, and stopping early */
    tally t1 = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 10};
    f.max_in_flight = 0;
    CHECK_OK(fc_source_fetch_many(&f.base, keys, 64, 0, 1, on_fetched, &t1, &err), &err);
    CHECK(f.max_in_flight == 1 && t1.ok + t1.failed == 10);
    CHECK_OK(fc_source_fetch_many(&f.base, keys, 0, 0, 8, on_fetched, &t1, &err), &err);
    CHECK(fc_source_fetch_many(&f.base, keys, 3, 0, 8, NULL, NULL, &err) == FC_ERR_ARG);
    return FC_TEST_PASS;
}

/* ---- fc_source_open -------------------------------------------------------------- */

TEST(source_open_chooses_local_or_s3)
{
    static const char *vars[] = {"WASABI_ENDPOINT", "WASABI_ACCESS_KEY", "WASABI_SECRET_KEY",
                                 "WASABI_BUCKET_NAME", "WASABI_REGION", "LOCAL_STORAGE_PATH"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            SKIP("%s is set in the environment", vars[i]);
    fc_error err = {0};
    setenv("LOCAL_STORAGE_PATH", fc_test_tmpdir(), 1);
    fc_config *cfg = fc_config_load(fc_test_tmpdir(), &err);
    CHECK_MSG(cfg, "%s", err.msg);
    fc_source *src = fc_source_open(cfg, &err);
    CHECK_MSG(src && strcmp(src->ops->name, "local") == 0, "%s", err.msg);
    fc_source_free(src);
    fc_config_free(cfg);
    /* a configured endpoint that does not answer is a clear start-up error */
    setenv("WASABI_ENDPOINT", "http://127.0.0.1:1", 1);
    setenv("WASABI_ACCESS_KEY", "AKIDEXAMPLE", 1);
    setenv("WASABI_SECRET_KEY", "secret", 1);
    setenv("WASABI_BUCKET_NAME", "photos", 1);
    cfg = fc_config_load(fc_test_tmpdir(), &err);
    src = cfg ? fc_source_open(cfg, &err) : NULL;
    fc_config_free(cfg);
    fc_source_free(src);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    CHECK(!src);
    CHECK_MSG(err.code == FC_ERR_UNAVAILABLE && strstr(err.msg, "127.0.0.1:1") &&
                  strstr(err.msg, "after 5 attempts"), "%s", err.msg);
    return FC_TEST_PASS;
}
