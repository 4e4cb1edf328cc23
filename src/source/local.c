/* local.c - the local folder source: keys are '/'-separated paths under a root
 * directory (LOCAL_STORAGE_PATH). Symlinks are not followed out of the tree:
 * listing skips them, and fetching refuses anything that is not a regular file.
 * A folder inside the tree that cannot be read is listed as a key of its own, whose
 * fetch fails saying so: the run reports it among its failed files and goes on.
 * A file's fingerprint is its size and mtime (ns), from the listing's lstat. */
#include "source/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    struct fc_source base;
    char *root;
} local_source;

/* Adds the image files under root/rel (rel "" or ending in '/') to out. A subfolder
 * (depth > 0) that cannot be opened is added as a key (rel without its '/'); one gone
 * meanwhile is skipped. */
static fc_status walk(const char *root, const char *rel, fc_key_list *out, int depth, fc_error *err)
{
    char path[4096];
    if (depth > 64)
        return fc_error_set(err, FC_ERR_LIMIT, "folders nested deeper than 64 under %s", root);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path)
        return fc_error_set(err, FC_ERR_LIMIT, "path too long: %s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d && depth > 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return FC_OK;
        char key[4096];
        snprintf(key, sizeof key, "%.*s", (int)strlen(rel) - 1, rel);
        return fc_key_list_add(out, key, err);
    }
    if (!d) /* FC_ERR_ARG: no such folder (missing, or a file) */
        return fc_error_set(err, errno == ENOENT || errno == ENOTDIR ? FC_ERR_ARG : FC_ERR_IO,
                            "%s: %s", path, strerror(errno));
    fc_status rc = FC_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char key[4096];
        struct stat st;
        if (e->d_name[0] == '.') /* ".", "..", and hidden files */
            continue;
        if ((size_t)snprintf(key, sizeof key, "%s%s", rel, e->d_name) >= sizeof key ||
            (size_t)snprintf(path, sizeof path, "%s/%s", root, key) >= sizeof path)
            continue;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            size_t n = strlen(key);
            if (n + 1 < sizeof key) {
                key[n] = '/', key[n + 1] = '\0';
                rc = walk(root, key, out, depth + 1, err);
            }
        } else if (S_ISREG(st.st_mode) && fc_source_is_image_key(key)) {
            char fprint[64]; /* replacing or rewriting the file changes one of them */
            snprintf(fprint, sizeof fprint, "size=%lld mtime=%lld.%09ld", (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
            rc = fc_key_list_add_fp(out, key, fprint, err);
        }
    }
    closedir(d);
    return rc;
}

static fc_status local_list(fc_source *src, const char *prefix, fc_key_list *out, fc_error *err)
{
    const local_source *ls = (const local_source *)src;
    char rel[4096];
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    if (n >= sizeof rel - 1)
        return fc_error_set(err, FC_ERR_LIMIT, "prefix too long");
    memcpy(rel, prefix, n);
    rel[n] = '\0';
    if (n > 0 && !fc_source_key_is_safe(rel))
        return fc_error_set(err, FC_ERR_ARG, "unsafe prefix '%.200s'", prefix);
    if (n > 0)
        rel[n] = '/', rel[n + 1] = '\0';
    fc_status rc = walk(ls->root, rel, out, 0, err);
    return rc ? rc : fc_key_list_sort(out, err);
}

fc_status fc_source_errno_status(int e)
{
    switch (e) {
    case ENOTCONN:     /* FUSE (sshfs, rclone) whose connection dropped */
    case ESTALE:       /* NFS: the server lost the file handle (it restarted) */
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ETIMEDOUT:    /* NFS/SMB soft mounts */
    case ECONNRESET:
    case ECONNABORTED:
    case ENETDOWN:
    case ENETUNREACH:
        return FC_ERR_UNAVAILABLE;
    default:
        return FC_ERR_IO;
    }
}

static fc_status local_fetch(fc_source *src, const char *key, size_t max_bytes, uint8_t **bytes,
                             size_t *len, fc_error *err)
{
    const local_source *ls = (const local_source *)src;
    char path[4096];
    struct stat st;
    fc_status rc = FC_OK;
    uint8_t *buf = NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", ls->root, key) >= sizeof path)
        return fc_error_set(err, FC_ERR_LIMIT, "path too long");
    /* O_NONBLOCK: a file replaced by a named pipe after the listing must not block */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return fc_error_set(err, FC_ERR_IO, "%s: folder cannot be read: %s", key, strerror(e));
        return fc_error_set(err, fc_source_errno_status(e), "%s: %s", key, strerror(e));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: not a regular file", key);
        goto out;
    }
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        rc = fc_error_set(err, FC_ERR_LIMIT, "%s: %lld bytes > MAX_IMAGE_SIZE_BYTES %zu", key,
                          (long long)st.st_size, max_bytes);
        goto out;
    }
    size_t size = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(size ? size : 1))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: %zu bytes", key, size);
        goto out;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = fc_error_set(err, r < 0 ? fc_source_errno_status(errno) : FC_ERR_IO, "%s: read: %s",
                              key, r < 0 ? strerror(errno) : "file shrank");
            goto out;
        }
        got += (size_t)r;
    }
    *bytes = buf, *len = size;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

static void local_free(fc_source *src)
{
    local_source *ls = (local_source *)src;
    free(ls->root);
    free(ls);
}

static const struct fc_source_ops local_ops = {"local", local_list, local_fetch, local_free};

fc_source *fc_source_local_new(const char *root, fc_error *err)
{
    struct stat st;
    if (!root || !*root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fc_error_set(err, FC_ERR_ARG, "local storage root '%s' is not a directory",
                     root ? root : "(null)");
        return NULL;
    }
    local_source *ls = calloc(1, sizeof *ls);
    if (!ls || !(ls->root = strdup(root))) {
        free(ls);
        fc_error_set(err, FC_ERR_NOMEM, "local source");
        return NULL;
    }
    size_t n = strlen(ls->root);
    while (n > 1 && ls->root[n - 1] == '/')
        ls->root[--n] = '\0';
    ls->base.ops = &local_ops;
    return &ls->base;
}
