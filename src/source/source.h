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

#include "core/config.h"
#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fc_source fc_source;

/* Keys (paths relative to the source root, '/'-separated), owned by the list, each
 * with the fingerprint the listing gave for its object (fprints[i], NULL when none):
 * a short text that changes when the object is replaced, compared for equality only
 * (local: size and mtime in ns; S3: size and ETag). fprints is NULL while the list is
 * empty. */
typedef struct {
    char **keys;
    char **fprints;
    size_t n, cap;
} fc_key_list;

void fc_key_list_free(fc_key_list *l);
/* Appends a copy of key with no fingerprint; FC_ERR_NOMEM on failure. */
fc_status fc_key_list_add(fc_key_list *l, const char *key, fc_error *err);
/* Appends copies of key and fprint (NULL: none); FC_ERR_NOMEM on failure. */
fc_status fc_key_list_add_fp(fc_key_list *l, const char *key, const char *fprint, fc_error *err);
/* Sorts the keys bytewise, each fingerprint staying with its key. */
fc_status fc_key_list_sort(fc_key_list *l, fc_error *err);
/* Keeps the first n keys (n <= l->n), freeing the rest. */
void fc_key_list_truncate(fc_key_list *l, size_t n);
/* The index of key in l (sorted), or -1 when it is not there. */
ptrdiff_t fc_key_list_find(const fc_key_list *l, const char *key);
/* The fingerprint listed for key (the list's own string), NULL when key is not in l
 * (sorted) or has none. */
char *fc_key_list_fprint(const fc_key_list *l, const char *key);

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

/* A local folder tree rooted at root (LOCAL_STORAGE_PATH): keys are paths under it.
 * A file that cannot be read because its file system is away (fc_source_errno_status)
 * is FC_ERR_UNAVAILABLE, like an S3 server that does not answer. */
fc_source *fc_source_local_new(const char *root, fc_error *err);

/* The status of a file system call that failed with errno e: FC_ERR_UNAVAILABLE when
 * the file system is away rather than the file wrong (a network or FUSE mount that
 * dropped: ENOTCONN, ESTALE, EHOSTDOWN, EHOSTUNREACH, ETIMEDOUT, ECONNRESET,
 * ECONNABORTED, ENETDOWN, ENETUNREACH), else FC_ERR_IO. */
fc_status fc_source_errno_status(int e);

/* The source cfg names (open.c): S3 (s3.h) when WASABI_ENDPOINT is set, or
 * WASABI_REGION with the keys and WASABI_BUCKET_NAME; else the local folder tree
 * LOCAL_STORAGE_PATH. An S3 source is checked with one request, so an unreachable
 * endpoint, a missing bucket or wrong credentials are an error here, at start-up.
 * NULL + err on failure; free with fc_source_free. */
fc_source *fc_source_open(const fc_config *cfg, fc_error *err);

/* 1 when cfg selects the S3 source (fc_source_open's rule above), 0 for the local one. */
int fc_source_config_is_s3(const fc_config *cfg);

/* The image keys under prefix, sorted. A local prefix that names no folder (none, or a
 * file) is FC_ERR_ARG. */
fc_status fc_source_list(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err);
fc_status fc_source_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                          size_t *len, fc_error *err);
void fc_source_free(fc_source *src);

/* One finished fetch of fc_source_fetch_many, called from one of its threads (calls
 * may overlap: the callback guards what it shares). rc and err are the fetch's
 * outcome; bytes (NULL unless rc is FC_OK) now belong to the callback. Return 0 to go
 * on, nonzero to stop: keys not yet started are then skipped without a call. */
typedef int (*fc_fetch_fn)(void *ctx, size_t index, const char *key, fc_status rc,
                           const fc_error *err, uint8_t *bytes, size_t len);

/* Fetches keys[0..n) with fc_source_fetch(src, key, max_bytes, ...), at most
 * max_concurrent at a time (clamped to 1..64; the calling thread is one of them), and
 * calls fn once per key fetched. Returns when every started fetch has had its call;
 * the backend must be thread-safe (local and S3 are). Per-key failures go to fn; the
 * return value is FC_OK unless an argument is bad. */
fc_status fc_source_fetch_many(fc_source *src, const char *const *keys, size_t n,
                               size_t max_bytes, int max_concurrent, fc_fetch_fn fn, void *ctx,
                               fc_error *err);

/* 1 if key ends in .jpg .jpeg .png .webp .bmp .tif .tiff .heic .heif (any case). */
int fc_source_is_image_key(const char *key);

/* 1 if key is safe to join to a root: relative, no empty, "." or ".." segment, no
 * backslash or control character. */
int fc_source_key_is_safe(const char *key);

#endif
