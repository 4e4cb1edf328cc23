/* source.h - where a bucket's images come from: a local folder tree (the embedded
 * default) or an S3-compatible bucket. A backend is a const table of functions; the
 * rest of facecluster calls only the fc_source_* wrappers below.
 *
 *   fc_source *src = fc_source_local_new("data/buckets", &err);
 *   fc_key_list keys = {0};
 *   fc_source_list(src, "event1/day1/", &keys, &err);        // image keys, sorted
 *   uint8_t *bytes; size_t len;
 *   fc_source_fetch(src, keys.keys[0], max_bytes, &bytes, &len, &err);
 *   free(bytes); fc_key_list_free(&keys); fc_source_free(src);
 */
#ifndef FC_SOURCE_SOURCE_H
#define FC_SOURCE_SOURCE_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fc_source fc_source;

/* Keys (paths relative to the source root, '/'-separated), owned by the list. */
typedef struct {
    char **keys;
    size_t n, cap;
} fc_key_list;

void fc_key_list_free(fc_key_list *l);
/* Appends a copy of key; FC_ERR_NOMEM on failure. */
fc_status fc_key_list_add(fc_key_list *l, const char *key, fc_error *err);

struct fc_source_ops {
    const char *name; /* "local", "s3" */
    /* Every key under prefix (recursive) whose extension is an image one
     * (fc_source_is_image_key), sorted bytewise. */
    fc_status (*list)(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err);
    /* The object's bytes (malloc'd, caller frees); FC_ERR_LIMIT beyond max_bytes
     * (0: no limit), checked before reading it all. */
    fc_status (*fetch)(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                       size_t *len, fc_error *err);
    void (*free)(fc_source *src);
};

/* Every backend's handle starts with this. */
struct fc_source {
    const struct fc_source_ops *ops;
};

/* A local folder tree rooted at root (LOCAL_STORAGE_PATH): keys are paths under it. */
fc_source *fc_source_local_new(const char *root, fc_error *err);

fc_status fc_source_list(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err);
fc_status fc_source_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                          size_t *len, fc_error *err);
void fc_source_free(fc_source *src);

/* 1 if key ends in .jpg .jpeg .png .webp .bmp .tif .tiff .heic .heif (any case). */
int fc_source_is_image_key(const char *key);

/* 1 if key is safe to join to a root: relative, no empty, "." or ".." segment, no
 * backslash or control character. */
int fc_source_key_is_safe(const char *key);

#endif
