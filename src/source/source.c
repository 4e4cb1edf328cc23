/* source.c - the fc_source_* wrappers and what every backend shares: key lists,
 * which keys are images, which keys are safe. */
#include "source/source.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fc_key_list_free(fc_key_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}

fc_status fc_key_list_add(fc_key_list *l, const char *key, fc_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **k = realloc(l->keys, cap * sizeof *k);
        if (!k)
            return fc_error_set(err, FC_ERR_NOMEM, "key list of %zu", cap);
        l->keys = k, l->cap = cap;
    }
    if (!(l->keys[l->n] = strdup(key)))
        return fc_error_set(err, FC_ERR_NOMEM, "key");
    l->n++;
    return FC_OK;
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
