/* source.c - the fc_source_* wrappers and what every backend shares: key lists,
 * parallel fetching, which keys are images, which keys are safe. */
#include "source/source.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fc_key_list_free(fc_key_list *l)
{
    fc_key_list_truncate(l, 0);
    free(l->keys);
    free(l->fprints);
    memset(l, 0, sizeof *l);
}

void fc_key_list_truncate(fc_key_list *l, size_t n)
{
    for (size_t i = n; i < l->n; i++) {
        free(l->keys[i]);
        free(l->fprints[i]);
    }
    if (n < l->n)
        l->n = n;
}

fc_status fc_key_list_add(fc_key_list *l, const char *key, fc_error *err)
{
    return fc_key_list_add_fp(l, key, NULL, err);
}

fc_status fc_key_list_add_fp(fc_key_list *l, const char *key, const char *fprint, fc_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **k = realloc(l->keys, cap * sizeof *k);
        if (k)
            l->keys = k;
        char **f = k ? realloc(l->fprints, cap * sizeof *f) : NULL;
        if (!f)
            return fc_error_set(err, FC_ERR_NOMEM, "key list of %zu", cap);
        l->fprints = f, l->cap = cap;
    }
    char *k = strdup(key), *f = fprint ? strdup(fprint) : NULL;
    if (!k || (fprint && !f)) {
        free(k), free(f);
        return fc_error_set(err, FC_ERR_NOMEM, "key");
    }
    l->keys[l->n] = k, l->fprints[l->n] = f;
    l->n++;
    return FC_OK;
}

/* A key with its fingerprint, for sorting them together. */
typedef struct {
    char *key, *fprint;
} key_fp;

static int cmp_key_fp(const void *a, const void *b)
{
    return strcmp(((const key_fp *)a)->key, ((const key_fp *)b)->key);
}

fc_status fc_key_list_sort(fc_key_list *l, fc_error *err)
{
    if (l->n < 2)
        return FC_OK;
    key_fp *pairs = malloc(l->n * sizeof *pairs);
    if (!pairs)
        return fc_error_set(err, FC_ERR_NOMEM, "sorting %zu keys", l->n);
    for (size_t i = 0; i < l->n; i++)
        pairs[i] = (key_fp){l->keys[i], l->fprints[i]};
    qsort(pairs, l->n, sizeof *pairs, cmp_key_fp);
    for (size_t i = 0; i < l->n; i++)
        l->keys[i] = pairs[i].key, l->fprints[i] = pairs[i].fprint;
    free(pairs);
    return FC_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ptrdiff_t fc_key_list_find(const fc_key_list *l, const char *key)
{
    char *const *hit = l->n ? bsearch(&key, l->keys, l->n, sizeof *l->keys, cmp_str) : NULL;
    return hit ? hit - l->keys : -1;
}

char *fc_key_list_fprint(const fc_key_list *l, const char *key)
{
    ptrdiff_t at = fc_key_list_find(l, key);
    return at >= 0 ? l->fprints[at] : NULL;
}

fc_status fc_source_list(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err)
{
    return src->ops->list(src, prefix, out, err);
}

fc_status fc_source_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                          size_t *len, fc_error *err)
{
    *bytes = NULL, *len = 0;
    if (!fc_source_key_is_safe(key))
        return fc_error_set(err, FC_ERR_ARG, "unsafe key '%.200s'", key);
    return src->ops->fetch(src, key, max_bytes, bytes, len, err);
}

/* The work of fc_source_fetch_many, shared by its threads. */
typedef struct {
    fc_source *src;
    const char *const *keys;
    size_t n, max_bytes;
    fc_fetch_fn fn;
    void *ctx;
    pthread_mutex_t lock; /* guards next, stop */
    size_t next;
    int stop;
} fetch_work;

static void *fetch_worker(void *arg)
{
    fetch_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t i = w->stop ? w->n : w->next++;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->n)
            return NULL;
        fc_error err = {0};
        uint8_t *bytes = NULL;
        size_t len = 0;
        fc_status rc = fc_source_fetch(w->src, w->keys[i], w->max_bytes, &bytes, &len, &err);
        if (w->fn(w->ctx, i, w->keys[i], rc, &err, bytes, len) != 0) {
            pthread_mutex_lock(&w->lock);
            w->stop = 1;
            pthread_mutex_unlock(&w->lock);
        }
    }
}

fc_status fc_source_fetch_many(fc_source *src, const char *const *keys, size_t n,
                               size_t max_bytes, int max_concurrent, fc_fetch_fn fn, void *ctx,
                               fc_error *err)
{
    if (!src || (!keys && n) || !fn)
        return fc_error_set(err, FC_ERR_ARG, "fc_source_fetch_many: no source, keys or callback");
    int threads = max_concurrent < 1 ? 1 : max_concurrent > 64 ? 64 : max_concurrent;
    if ((size_t)threads > n)
        threads = n ? (int)n : 1;
    fetch_work w = {src, keys, n, max_bytes, fn, ctx, PTHREAD_MUTEX_INITIALIZER, 0, 0};
    pthread_t tids[64];
    int started = 0;
    for (int t = 1; t < threads; t++) { /* a thread that cannot start leaves more to the rest */
        if (pthread_create(&tids[started], NULL, fetch_worker, &w) == 0)
            started++;
    }
    fetch_worker(&w);
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&w.lock);
    return FC_OK;
}

void fc_source_free(fc_source *src)
{
    if (src)
        src->ops->free(src);
}

int fc_source_is_image_key(const char *key)
{
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".webp", ".bmp",
                                       ".tif", ".tiff", ".heic", ".heif"};
    const char *dot = strrchr(key, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return 1;
    return 0;
}

int fc_source_key_is_safe(const char *key)
{
    if (!key || !*key || key[0] == '/')
        return 0;
    for (const char *p = key; *p; p++)
        if (*p == '\\' || iscntrl((unsigned char)*p))
            return 0;
    const char *seg = key;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!end)
            return 1;
        seg = end + 1;
    }
}
