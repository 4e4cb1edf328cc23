/* npy.c - see npy.h. The header dict is parsed strictly: descr, fortran_order,
 * shape; anything else is a format error, never a guess. */
#include "core/npy.h"

#include "core/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER 65536
#define NPY_MAX_BYTES ((int64_t)1 << 32) /* of the file's data, and of the array read */
#define NPY_READ_CHUNK ((size_t)1 << 20)

/* Finds 'key': in the header dict and returns a pointer past the colon. */
static const char *dict_value(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static fc_status parse_shape(const char *p, fc_shape *s, fc_error *err, const char *path)
{
    if (*p != '(')
        return fc_error_set(err, FC_ERR_FORMAT, "%s: bad shape in header", path);
    p++;
    s->ndim = 0;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            return FC_OK;
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || errno || d < 0 || s->ndim == FC_MAX_DIMS)
            return fc_error_set(err, FC_ERR_FORMAT, "%s: bad shape in header", path);
        s->d[s->ndim++] = d;
        p = end;
        if (*p == 'L')
            p++;
    }
}

/* Reads up to want bytes of f into a malloc'd buffer that grows (from 1 MiB,
 * doubling) as data arrives, so a header's promise alone (a short file, a pipe that
 * ends) never allocates the size it claims. *got: the bytes read. NULL when out of
 * memory. */
static void *read_up_to(FILE *f, size_t want, size_t *got)
{
    size_t cap = want < NPY_READ_CHUNK ? want : NPY_READ_CHUNK, have = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf && have < want) {
        if (have == cap) {
            size_t next = cap > want / 2 ? want : 2 * cap;
            unsigned char *grown = realloc(buf, next + 1);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown, cap = next;
        }
        size_t n = fread(buf + have, 1, cap - have, f);
        if (n == 0)
            break; /* end of file, or an error: fewer bytes than wanted */
        have += n;
    }
    *got = have;
    return buf;
}

fc_status fc_npy_read(const char *path, fc_tensor *out, fc_error *err)
{
    fc_status rc = FC_OK;
    char *header = NULL;
    unsigned char pre[12];
    void *raw = NULL;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "%s: not a .npy file", path);
        goto out;
    }
    size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) { /* 2.0 and 3.0: a 4-byte header length */
        if (fread(pre + 10, 1, 2, f) != 2) {
            rc = fc_error_set(err, FC_ERR_FORMAT, "%s: truncated header", path);
            goto out;
        }
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    if (hlen == 0 || hlen > NPY_MAX_HEADER) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "%s: bad header", path);
        goto out;
    }
    if (!(header = calloc(hlen + 1, 1))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: out of memory for the header", path);
        goto out;
    }
    if (fread(header, 1, hlen, f) != hlen) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "%s: bad header", path);
        goto out;
    }
    const char *descr = dict_value(header, "descr"), *fo = dict_value(header, "fortran_order"),
               *shape = dict_value(header, "shape");
    if (!descr || !fo || !shape) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "%s: header lacks descr/fortran_order/shape", path);
        goto out;
    }
    if (strncmp(fo, "False", 5) != 0) {
        rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "%s: Fortran-order arrays are not supported", path);
        goto out;
    }
    size_t src_size;
    int is_float;
    if (!strncmp(descr, "'<f4'", 5))
        src_size = 4, is_float = 1;
    else if (!strncmp(descr, "'<f8'", 5))
        src_size = 8, is_float = 1;
    else if (!strncmp(descr, "'<i8'", 5))
        src_size = 8, is_float = 0;
    else if (!strncmp(descr, "'<i4'", 5))
        src_size = 4, is_float = 0;
    else {
        rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "%s: dtype %.8s (float32/64, int32/64 are supported)",
                          path, descr);
        goto out;
    }
    if ((rc = parse_shape(shape, &out->shape, err, path)))
        goto out;
    out->dtype = is_float ? FC_DT_FLOAT : FC_DT_INT64;
    int64_t n = fc_shape_numel(&out->shape), bytes, out_bytes;
    if (n < 0 || fc_mul_overflow(n, (int64_t)src_size, &bytes) || bytes > NPY_MAX_BYTES ||
        fc_mul_overflow(n, (int64_t)fc_dtype_size(out->dtype), &out_bytes) ||
        out_bytes > NPY_MAX_BYTES) {
        rc = fc_error_set(err, FC_ERR_LIMIT, "%s: array too large", path);
        goto out;
    }
    /* the data first, into memory that grows with what arrives; the array after */
    size_t got = 0;
    if (!(raw = read_up_to(f, (size_t)bytes, &got))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: out of memory reading the data", path);
        goto out;
    }
    if (got < (size_t)bytes) {
        if (ferror(f))
            rc = fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
        else
            rc = fc_error_set(err, FC_ERR_FORMAT, "%s: truncated data (%lld bytes expected, %zu present)",
                              path, (long long)bytes, got);
        goto out;
    }
    if (!(out->data = fc_aligned_alloc((size_t)out_bytes))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: out of memory for %lld bytes", path,
                          (long long)out_bytes);
        goto out;
    }
    for (int64_t i = 0; i < n; i++) {
        unsigned char *p = (unsigned char *)raw + i * (int64_t)src_size;
        if (src_size == 4 && is_float) memcpy((float *)out->data + i, p, 4);
        else if (src_size == 8 && !is_float) memcpy((int64_t *)out->data + i, p, 8);
        else if (is_float) { double d; memcpy(&d, p, 8); ((float *)out->data)[i] = (float)d; }
        else { int32_t v; memcpy(&v, p, 4); ((int64_t *)out->data)[i] = v; }
    }
out:
    if (rc) {
        fc_aligned_free(out->data);
        out->data = NULL;
    }
    free(raw);
    free(header);
    fclose(f);
    return rc;
}

fc_status fc_npy_write(const char *path, const fc_tensor *t, fc_error *err)
{
    char dict[512], shape[320] = "";
    size_t used = 0;
    for (int i = 0; i < t->shape.ndim && used < sizeof shape; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s",
                                 (long long)t->shape.d[i], i + 1 < t->shape.ndim ? " " : "");
    if (t->shape.ndim > 1 && used > 0 && used < sizeof shape)
        shape[used - 1] = '\0'; /* (2, 3) not (2, 3,) ; a 1-d shape keeps its comma */
    const char *descr = t->dtype == FC_DT_FLOAT ? "<f4" : t->dtype == FC_DT_INT64 ? "<i8" : NULL;
    if (!descr)
        return fc_error_set(err, FC_ERR_ARG, "%s: dtype %s cannot be written", path,
                            fc_dtype_name(t->dtype));
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, shape);
    size_t total = 10 + (size_t)n + 1, pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f)
        return fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
    int64_t bytes = fc_tensor_bytes(t);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (bytes == 0 || fwrite(t->data, 1, (size_t)bytes, f) == (size_t)bytes);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? FC_OK : fc_error_set(err, FC_ERR_IO, "%s: write failed", path);
}
