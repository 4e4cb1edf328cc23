/* s3.c - the S3-compatible source: ListObjectsV2 with continuation tokens and
 * GetObject over libcurl, signed with libcurl's built-in AWS SigV4
 * (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3", which also sends x-amz-content-sha256).
 * Every request is retried with exponential backoff and jitter on connection errors,
 * timeouts, 5xx and 429, never on other 4xx. Threads share a pool of easy handles, so
 * connections are kept alive across requests. URLs and XML: s3_url.c, s3_xml.c. */
#include "source/s3.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    POOL_MAX = 32,                       /* idle handles kept */
    URL_MAX = 8192,
    ERROR_BODY_MAX = 64 * 1024,          /* an error document is read up to this */
    LIST_BODY_MAX = 32 * 1024 * 1024,    /* one listing page */
    PREALLOC_MAX = 64 * 1024 * 1024,     /* trust Content-Length this far */
};

typedef struct {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
} s3_conn;

/* Every request is a GET without a body. S3 requires x-amz-content-sha256 (the
 * SHA-256 of the payload, here of the empty string) and libcurl 7.88 does not add it
 * (8.x does, for service "s3"); set here, libcurl signs it with the other headers. */
static const char empty_payload_header[] =
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

typedef struct {
    struct fc_source base;
    fc_s3_target target;
    char *access_key, *secret_key;
    char sigv4[80];
    long connect_timeout_ms, stall_timeout_s;
    int attempts, backoff_base_ms, backoff_cap_ms, max_keys;
    struct curl_slist *headers; /* empty_payload_header */
    pthread_mutex_t lock;       /* guards idle, n_idle */
    s3_conn *idle[POOL_MAX];
    int n_idle;
} s3_source;

/* A response body being received. */
typedef struct {
    CURL *h;
    uint8_t *data;
    size_t len, cap;
    size_t limit;   /* of a 2xx body, 0: none */
    int over_limit; /* the 2xx body is (or announced itself) larger than limit */
    int started;
} s3_body;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_init(void)
{
    curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static int body_reserve(s3_body *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d, b->cap = cap;
    return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    s3_body *b = user;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &status);
    int ok = status / 100 == 2;
    if (!b->started) {
        b->started = 1;
        curl_off_t cl = -1;
        curl_easy_getinfo(b->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (ok && b->limit && cl > 0 && (uint64_t)cl > b->limit) {
            b->over_limit = 1;
            return 0;
        }
        if (ok && cl > 0 && cl <= PREALLOC_MAX && body_reserve(b, (size_t)cl) != 0)
            return 0;
    }
    if (!ok) { /* keep the start of an error document, drop the rest */
        size_t room = b->len < ERROR_BODY_MAX ? ERROR_BODY_MAX - b->len : 0;
        size_t take = n < room ? n : room;
        if (take && body_reserve(b, b->len + take) == 0) {
            memcpy(b->data + b->len, ptr, take);
            b->len += take;
        }
        return n;
    }
    if (b->limit && b->len + n > b->limit) {
        b->over_limit = 1;
        return 0;
    }
    if (body_reserve(b, b->len + n) != 0)
        return 0;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/* A handle from the pool, or a new one set up for this source. */
static s3_conn *conn_take(s3_source *s)
{
    s3_conn *c = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->n_idle > 0)
        c = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->lock);
    if (c)
        return c;
    if (!(c = calloc(1, sizeof *c)) || !(c->h = curl_easy_init())) {
        free(c);
        return NULL;
    }
    CURL *h = c->h;
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
    curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* a stalled server fails the attempt (less than 1 byte/s for stall_timeout_s,
       answer awaited or body half sent); a slow transfer that moves goes on */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "facecluster");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->headers);
    return c;
}

static void conn_give(s3_source *s, s3_conn *c)
{
    pthread_mutex_lock(&s->lock);
    if (s->n_idle < POOL_MAX) {
        s->idle[s->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (c) {
        curl_easy_cleanup(c->h);
        free(c);
    }
}

static int curl_code_is_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* An https:// endpoint whose server answers in plain HTTP: OpenSSL reads the HTTP
 * reply as a TLS record and says "wrong version number" (or "packet length too
 * long"). Not transient: the endpoint's scheme is wrong. */
static int tls_to_plain_http(CURLcode cc, const char *errbuf)
{
    return cc == CURLE_SSL_CONNECT_ERROR &&
           (strstr(errbuf, "wrong version number") || strstr(errbuf, "packet length too long"));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The clear error for a final non-2xx answer: FC_ERR_UNAVAILABLE for a 5xx or 429
 * (the server said it cannot now), else FC_ERR_IO. */
static fc_status http_error(const s3_source *s, const char *what, long status,
                            const s3_body *b, int attempts, fc_error *err)
{
    char code[64], msg[200];
    fc_s3_parse_error((const char *)b->data, b->len, code, sizeof code, msg, sizeof msg);
    const char *tried = attempts > 1 ? " (after retries)" : "";
    if (status == 403)
        return fc_error_set(err, FC_ERR_IO,
                            "S3 %s: access denied (HTTP 403 %s%s%s): wrong credentials "
                            "(WASABI_ACCESS_KEY / WASABI_SECRET_KEY) or no permission on "
                            "bucket '%s'", what, code, *msg ? ": " : "", msg, s->target.bucket);
    if (status == 404 && strcmp(code, "NoSuchBucket") == 0)
        return fc_error_set(err, FC_ERR_IO, "S3 %s: no such bucket '%s' (HTTP 404; check "
                            "WASABI_BUCKET_NAME)", what, s->target.bucket);
    if (status == 404)
        return fc_error_set(err, FC_ERR_IO, "S3 %s: no such key (HTTP 404%s%s)", what,
                            *code ? " " : "", code);
    fc_status rc = status >= 500 || status == 429 ? FC_ERR_UNAVAILABLE : FC_ERR_IO;
    return fc_error_set(err, rc, "S3 %s: HTTP %ld%s%s%s%s%s", what, status,
                        *code ? " " : "", code, *msg ? ": " : "", msg, tried);
}

/* GETs url into body (limit: of a 2xx body, 0 none), trying s->attempts times.
 * FC_OK means a 2xx answer; what names the request in errors. A failure that stayed
 * transient through every attempt (no connection, a timeout, 5xx, 429) is
 * FC_ERR_UNAVAILABLE: the server is away or overloaded, not the object wrong. */
static fc_status s3_get(s3_source *s, const char *url, const char *what, size_t limit,
                        s3_body *body, fc_error *err)
{
    s3_conn *c = conn_take(s);
    if (!c)
        return fc_error_set(err, FC_ERR_NOMEM, "S3 %s: no curl handle", what);
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
    fc_status rc = FC_OK;
    for (int attempt = 1;; attempt++) {
        body->h = c->h, body->len = 0, body->over_limit = 0, body->started = 0;
        body->limit = limit;
        c->errbuf[0] = '\0';
        curl_easy_setopt(c->h, CURLOPT_URL, url);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, body);
        curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limit);
        CURLcode cc = curl_easy_perform(c->h);
        long status = 0;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status / 100 == 2)
            break;
        /* an error answer larger than the limit still reads as that error */
        if (cc == CURLE_FILESIZE_EXCEEDED && status >= 300)
            cc = CURLE_OK;
        if (body->over_limit || cc == CURLE_FILESIZE_EXCEEDED) {
            rc = fc_error_set(err, FC_ERR_LIMIT, "S3 %s: larger than MAX_IMAGE_SIZE_BYTES %zu",
                              what, limit);
            break;
        }
        int plain = tls_to_plain_http(cc, c->errbuf);
        int transient = cc != CURLE_OK ? curl_code_is_transient(cc) && !plain
                                       : status >= 500 || status == 429;
        if (!transient || attempt >= s->attempts) {
            if (cc != CURLE_OK)
                rc = fc_error_set(err, transient ? FC_ERR_UNAVAILABLE : FC_ERR_IO,
                                  "S3 %s: %s%s%s after %d attempt%s (endpoint "
                                  "%s://%s%s%s%s)", what, curl_easy_strerror(cc),
                                  c->errbuf[0] ? ": " : "", c->errbuf, attempt,
                                  attempt > 1 ? "s" : "", s->target.scheme, s->target.host,
                                  s->target.port[0] ? ":" : "", s->target.port,
                                  plain ? ", which does not speak TLS: if it is plain HTTP, "
                                          "write http:// in WASABI_ENDPOINT"
                                  : cc == CURLE_OPERATION_TIMEDOUT
                                      ? "; WASABI_TIMEOUT_SECONDS, WASABI_ATTEMPTS set the "
                                        "wait and the tries" : "");
            else
                rc = http_error(s, what, status, body, attempt, err);
            break;
        }
        double u = (double)rand_r(&seed) / ((double)RAND_MAX + 1.0);
        sleep_ms(fc_s3_backoff_ms(attempt, s->backoff_base_ms, s->backoff_cap_ms, u));
    }
    conn_give(s, c);
    return rc;
}

/* The length of s cut to at most max bytes without splitting a UTF-8 sequence, for
 * "%.*s": a key cut to fit an error text stays valid UTF-8 (the text ends up in JSON
 * and HTML, where a split character would show as stray Latin-1 characters). */
static int utf8_cut(const char *s, int max)
{
    int n = (int)strnlen(s, (size_t)max);
    while (n == max && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        max = --n;
    return n;
}

/* One listing page of prefix after token (NULL: the first) into page. */
static fc_status list_page(s3_source *s, const char *prefix, const char *token, int max_keys,
                           fc_s3_list_page *page, fc_error *err)
{
    char url[URL_MAX], what[300];
    s3_body body = {0};
    fc_status rc = fc_s3_list_url(&s->target, prefix, token, max_keys, url, sizeof url, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "list '%s/%.*s'", s->target.bucket, utf8_cut(prefix, 200),
             prefix);
    rc = s3_get(s, url, what, LIST_BODY_MAX, &body, err);
    if (!rc)
        rc = fc_s3_parse_list((const char *)body.data, body.len, page, err);
    free(body.data);
    return rc;
}

/* API.md: the prefix names a folder; a leading "{bucket}/" is dropped. */
static fc_status folder_prefix(const s3_source *s, const char *prefix, char *out, size_t cap,
                               fc_error *err)
{
    size_t bl = strlen(s->target.bucket);
    if (strncmp(prefix, s->target.bucket, bl) == 0 && prefix[bl] == '/')
        prefix += bl + 1;
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    if (n + 2 > cap)
        return fc_error_set(err, FC_ERR_LIMIT, "prefix too long");
    memcpy(out, prefix, n);
    out[n] = '\0';
    if (n > 0 && !fc_source_key_is_safe(out))
        return fc_error_set(err, FC_ERR_ARG, "unsafe prefix '%.*s'", utf8_cut(prefix, 200),
                            prefix);
    if (n > 0)
        out[n] = '/', out[n + 1] = '\0';
    return FC_OK;
}

static fc_status s3_list(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err)
{
    s3_source *s = (s3_source *)src;
    char folder[1024];
    char *token = NULL;
    fc_status rc = folder_prefix(s, prefix, folder, sizeof folder, err);
    for (size_t pages = 0; !rc; pages++) {
        fc_s3_list_page page;
        if ((rc = list_page(s, folder, token, s->max_keys, &page, err)))
            break;
        for (size_t i = 0; i < page.keys.n && !rc; i++) {
            const char *k = page.keys.keys[i];
            if (fc_source_is_image_key(k) && fc_source_key_is_safe(k))
                rc = fc_key_list_add_fp(out, k, page.keys.fprints[i], err);
        }
        if (!rc && page.truncated && token && strcmp(token, page.next_token) == 0)
            rc = fc_error_set(err, FC_ERR_FORMAT, "S3 listing: the server repeated a "
                              "continuation token after %zu pages", pages + 1);
        free(token);
        token = NULL;
        int more = page.truncated;
        if (!rc && more) {
            token = page.next_token;
            page.next_token = NULL;
        }
        fc_s3_list_page_free(&page);
        if (!more)
            break;
    }
    free(token);
    return rc ? rc : fc_key_list_sort(out, err);
}

static fc_status s3_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                          size_t *len, fc_error *err)
{
    s3_source *s = (s3_source *)src;
    char url[URL_MAX], what[300];
    s3_body body = {0};
    fc_status rc = fc_s3_object_url(&s->target, key, url, sizeof url, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "get '%.*s'", utf8_cut(key, 250), key);
    if ((rc = s3_get(s, url, what, max_bytes, &body, err)))
        goto out;
    if (!body.data && !(body.data = malloc(1))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "S3 %s", what);
        goto out;
    }
    *bytes = body.data, *len = body.len;
    body.data = NULL;
out:
    free(body.data);
    return rc;
}

static void s3_free(fc_source *src)
{
    s3_source *s = (s3_source *)src;
    for (int i = 0; i < s->n_idle; i++) {
        curl_easy_cleanup(s->idle[i]->h);
        free(s->idle[i]);
    }
    pthread_mutex_destroy(&s->lock);
    curl_slist_free_all(s->headers);
    free(s->access_key);
    free(s->secret_key);
    free(s);
}

static const struct fc_source_ops s3_ops = {"s3", s3_list, s3_fetch, s3_free};

fc_status fc_source_s3_check(fc_source *src, fc_error *err)
{
    if (!src || src->ops != &s3_ops)
        return fc_error_set(err, FC_ERR_ARG, "not an S3 source");
    fc_s3_list_page page;
    fc_status rc = list_page((s3_source *)src, "", NULL, 1, &page, err);
    if (!rc)
        fc_s3_list_page_free(&page);
    return rc;
}

static long or_default(long v, long def)
{
    return v > 0 ? v : def;
}

fc_source *fc_source_s3_new(const fc_s3_config *cfg, fc_error *err)
{
    char endpoint[256];
    int known;
    const char *region = cfg->region && *cfg->region ? cfg->region : "us-east-1";
    if (!cfg->access_key || !*cfg->access_key || !cfg->secret_key || !*cfg->secret_key) {
        fc_error_set(err, FC_ERR_ARG, "S3 source: %s is not set",
                     !cfg->access_key || !*cfg->access_key ? "WASABI_ACCESS_KEY"
                                                          : "WASABI_SECRET_KEY");
        return NULL;
    }
    if (fc_s3_region_endpoint(region, endpoint, sizeof endpoint, &known, err))
        return NULL;
    if (cfg->endpoint && *cfg->endpoint)
        snprintf(endpoint, sizeof endpoint, "%s", cfg->endpoint);
    s3_source *s = calloc(1, sizeof *s);
    if (!s) {
        fc_error_set(err, FC_ERR_NOMEM, "S3 source");
        return NULL;
    }
    s->base.ops = &s3_ops;
    pthread_mutex_init(&s->lock, NULL);
    if (fc_s3_target_init(&s->target, endpoint, cfg->bucket, cfg->addressing, err))
        goto fail;
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", region);
    s->access_key = strdup(cfg->access_key);
    s->secret_key = strdup(cfg->secret_key);
    s->headers = curl_slist_append(NULL, empty_payload_header);
    if (!s->access_key || !s->secret_key || !s->headers) {
        fc_error_set(err, FC_ERR_NOMEM, "S3 source");
        goto fail;
    }
    s->stall_timeout_s = or_default(cfg->stall_timeout_s, 30);
    s->connect_timeout_ms = or_default(cfg->connect_timeout_ms, 5000);
    if (s->connect_timeout_ms > s->stall_timeout_s * 1000)
        s->connect_timeout_ms = s->stall_timeout_s * 1000;
    s->attempts = (int)or_default(cfg->attempts, 5);
    s->backoff_base_ms = (int)or_default(cfg->backoff_base_ms, 200);
    s->backoff_cap_ms = (int)or_default(cfg->backoff_cap_ms, 5000);
    s->max_keys = cfg->max_keys > 0 ? cfg->max_keys : 0;
    pthread_once(&curl_once, curl_init);
    if (!curl_ok) {
        fc_error_set(err, FC_ERR_INTERNAL, "curl_global_init failed");
        goto fail;
    }
    return &s->base;
fail:
    s3_free(&s->base);
    return NULL;
}
