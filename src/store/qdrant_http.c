/* qdrant_http.c - HTTP for the Qdrant backend on libcurl: one easy handle per
 * request over a share that keeps connections (keep-alive) and DNS for every thread
 * of the client, the API key header, timeouts, and retries with backoff. */
#include "store/qdrant_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 60000L
#define MAX_RESPONSE (256L << 20) /* a scroll page of 256 points of 65536 floats fits */

struct fc_qdrant_http {
    char *base_url;
    struct curl_slist *headers;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)c, (void)access;
    pthread_mutex_lock(&((fc_qdrant_http *)user)->locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *user)
{
    (void)c;
    pthread_mutex_unlock(&((fc_qdrant_http *)user)->locks[data]);
}

int fc_qdrant_url(const char *base_url, const char *path, char *out, size_t size)
{
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/')
        n--;
    int w = snprintf(out, size, "%.*s%s%s", (int)n, base_url, path[0] == '/' ? "" : "/", path);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

struct curl_slist *fc_qdrant_headers(const char *api_key)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *t = h ? curl_slist_append(h, "Accept: application/json") : NULL;
    if (t && api_key && *api_key) {
        size_t len = strlen("api-key: ") + strlen(api_key) + 1;
        char *line = malloc(len);
        if (line)
            snprintf(line, len, "api-key: %s", api_key);
        t = line ? curl_slist_append(h, line) : NULL;
        free(line);
    }
    if (!t) {
        curl_slist_free_all(h);
        return NULL;
    }
    return h;
}

int fc_qdrant_retryable(CURLcode cc, long status)
{
    switch (cc) {
    case CURLE_OK:
        return status == 429 || status == 502 || status == 503 || status == 504;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

long fc_qdrant_backoff_ms(int attempt, double rnd)
{
    long base = 100L << (attempt < 5 ? attempt : 5);
    if (rnd < 0 || !(rnd < 1))
        rnd = 0;
    return (long)((double)base * (0.5 + rnd / 2));
}

fc_qdrant_http *fc_qdrant_http_new(const char *base_url, const char *api_key, fc_error *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        fc_error_set(err, FC_ERR_IO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    fc_qdrant_http *h = calloc(1, sizeof *h);
    if (!h || !(h->base_url = strdup(base_url)) || !(h->headers = fc_qdrant_headers(api_key)) ||
        !(h->share = curl_share_init())) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        if (h) {
            curl_slist_free_all(h->headers);
            free(h->base_url);
            free(h);
        }
        return NULL;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->locks[i], NULL);
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    return h;
}

void fc_qdrant_http_free(fc_qdrant_http *h)
{
    if (!h)
        return;
    curl_share_cleanup(h->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->locks[i]);
    curl_slist_free_all(h->headers);
    free(h->base_url);
    free(h);
}

typedef struct {
    char *data;
    size_t len, cap;
} buffer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    buffer *b = user;
    size_t n = size * nmemb;
    if (b->len + n + 1 > (size_t)MAX_RESPONSE)
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One attempt. */
static CURLcode perform(fc_qdrant_http *h, const char *method, const char *url, const char *body,
                        long *status, buffer *b)
{
    CURL *c = curl_easy_init();
    if (!c)
        return CURLE_OUT_OF_MEMORY;
    curl_easy_setopt(c, CURLOPT_SHARE, h->share);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    return cc;
}

fc_status fc_qdrant_http_call(fc_qdrant_http *h, const char *method, const char *path,
                              const char *body, long *status, char **resp, fc_error *err)
{
    *resp = NULL;
    *status = 0;
    char url[2048];
    if (fc_qdrant_url(h->base_url, path, url, sizeof url))
        return fc_error_set(err, FC_ERR_ARG, "qdrant: URL too long");
    CURLcode cc = CURLE_OK;
    buffer b = {0};
    for (int attempt = 0;; attempt++) {
        b.len = 0;
        if (b.data)
            b.data[0] = '\0';
        cc = perform(h, method, url, body, status, &b);
        if (attempt + 1 >= FC_QDRANT_ATTEMPTS || !fc_qdrant_retryable(cc, *status))
            break;
        sleep_ms(fc_qdrant_backoff_ms(attempt, (double)rand() / ((double)RAND_MAX + 1)));
    }
    if (cc != CURLE_OK) {
        free(b.data);
        return fc_error_set(err, cc == CURLE_OUT_OF_MEMORY ? FC_ERR_NOMEM : FC_ERR_IO,
                            "qdrant %s %s: %s", method, url, curl_easy_strerror(cc));
    }
    if (!b.data && !(b.data = calloc(1, 1)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    *resp = b.data;
    return FC_OK;
}
