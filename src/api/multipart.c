/* multipart.c - the multipart/form-data state machine, Content-Type and
 * Content-Disposition parameter parsing, percent-decoding and urlencoded forms.
 *
 * Part content is scanned for the delimiter "\r\n--" boundary. The delimiter's
 * first byte '\r' occurs nowhere else in it (boundaries cannot hold CR), so a
 * partial match that fails can be emitted as content and scanning resumes at the
 * failing byte: no backtracking, and at most one delimiter's worth of bytes is
 * held back between two feeds. */
#include "api/multipart.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELIM_MAX (4 + FC_MULTIPART_MAX_BOUNDARY)
#define MAX_PADDING 256 /* transport padding (spaces, tabs) after a boundary */

typedef enum {
    MP_PREAMBLE,  /* before the first boundary: scanned like content, discarded */
    MP_TAIL,      /* after a delimiter: "--" (end), padding, or CRLF (a part) */
    MP_TAIL_DASH, /* after "-" */
    MP_TAIL_CR,   /* after "\r" */
    MP_HEADERS,   /* a part's header block, up to the empty line */
    MP_BODY,      /* a part's content */
    MP_DONE,      /* closing boundary seen; the epilogue is ignored */
} mp_state;

struct fc_multipart {
    fc_multipart_callbacks cb;
    mp_state state;
    char delim[DELIM_MAX + 1];
    size_t dlen, match; /* delimiter bytes matched (and held back) so far */
    size_t padding;
    int n_parts;
    fc_status failed;
    fc_error err;
    size_t hlen;
    char headers[FC_MULTIPART_MAX_HEADERS + 1];
};

/* RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last). */
static int valid_boundary(const char *b, size_t n)
{
    if (n < 1 || n > FC_MULTIPART_MAX_BOUNDARY || b[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)b[i]) && !strchr("'()+_,-./:=? ", b[i]))
            return 0;
    return 1;
}

/* Reads a token or quoted-string value at *p into out (cap bytes, truncating
 * never: too long is an error); advances *p. Returns 0 or -1. */
static int param_value(const char **p, char *out, size_t cap)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (n + 1 >= cap)
                return -1;
            out[n++] = *s;
        }
        if (*s != '"')
            return -1;
        s++;
    } else {
        for (; *s && *s != ';' && *s != ' ' && *s != '\t'; s++) {
            if (n + 1 >= cap)
                return -1;
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    *p = s;
    return 0;
}

/* Walks "; key=value" parameters after a media or disposition type, calling
 * take(key, value) for each. Returns 0, or -1 on a syntax error. */
typedef int (*param_fn)(void *ctx, const char *key, size_t key_len, const char *value);

static int each_param(const char *s, param_fn take, void *ctx, char *value, size_t cap)
{
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        if (*s++ != ';')
            return -1;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s) /* a trailing ';' */
            break;
        const char *key = s;
        while (*s && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
            s++;
        size_t key_len = (size_t)(s - key);
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '=' || !key_len)
            return -1;
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
        if (param_value(&s, value, cap) || take(ctx, key, key_len, value))
            return -1;
    }
    return 0;
}

/* Skips the type token at s if it equals type (case-insensitive); returns what
 * follows it, or NULL. */
static const char *skip_type(const char *s, const char *type)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(type);
    if (strncasecmp(s, type, n))
        return NULL;
    s += n;
    return (*s == '\0' || *s == ';' || *s == ' ' || *s == '\t') ? s : NULL;
}

typedef struct {
    char *out;
    size_t cap;
    int found;
} boundary_ctx;

static int take_boundary(void *ctx, const char *key, size_t key_len, const char *value)
{
    boundary_ctx *b = ctx;
    if (key_len == 8 && !strncasecmp(key, "boundary", 8)) {
        size_t n = strlen(value);
        if (n + 1 > b->cap || !valid_boundary(value, n))
            return -1;
        memcpy(b->out, value, n + 1);
        b->found = 1;
    }
    return 0;
}

fc_status fc_multipart_boundary(const char *content_type, char *out, size_t cap)
{
    char value[256];
    const char *rest = content_type ? skip_type(content_type, "multipart/form-data") : NULL;
    if (!rest)
        return FC_ERR_UNSUPPORTED;
    boundary_ctx b = {out, cap, 0};
    if (each_param(rest, take_boundary, &b, value, sizeof value) || !b.found)
        return FC_ERR_FORMAT;
    return FC_OK;
}

fc_multipart *fc_multipart_new(const char *boundary, const fc_multipart_callbacks *cb)
{
    size_t n = boundary ? strlen(boundary) : 0;
    if (!valid_boundary(boundary ? boundary : "", n) || !cb)
        return NULL;
    fc_multipart *mp = calloc(1, sizeof *mp);
    if (!mp)
        return NULL;
    mp->cb = *cb;
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, n + 1);
    mp->dlen = 4 + n;
    mp->state = MP_PREAMBLE;
    mp->match = 2; /* the body may open with "--boundary": pretend a CRLF came first */
    return mp;
}

void fc_multipart_free(fc_multipart *mp)
{
    free(mp);
}

static fc_status fail(fc_multipart *mp, fc_status st, fc_error *err, const char *why)
{
    if (why)
        fc_error_set(&mp->err, st, "malformed multipart body: %s", why);
    mp->failed = st;
    if (err)
        *err = mp->err;
    return st;
}

static fc_status emit(fc_multipart *mp, const unsigned char *data, size_t len)
{
    if (!len || mp->state != MP_BODY || !mp->cb.on_data)
        return FC_OK;
    return mp->cb.on_data(mp->cb.ctx, data, len, &mp->err);
}

typedef struct {
    char *name, *filename;
    size_t cap;
    int has_name, has_filename;
} disposition;

static int take_disposition(void *ctx, const char *key, size_t key_len, const char *value)
{
    disposition *d = ctx;
    size_t n = strlen(value);
    if (key_len == 4 && !strncasecmp(key, "name", 4) && n < d->cap) {
        memcpy(d->name, value, n + 1);
        d->has_name = 1;
    } else if (key_len == 8 && !strncasecmp(key, "filename", 8) && n < d->cap) {
        memcpy(d->filename, value, n + 1);
        d->has_filename = 1;
    }
    return 0;
}

/* The header block is complete (mp->headers, hlen bytes, ending in CRLF CRLF or
 * being a lone CRLF): parse it and start the part. */
static fc_status start_part(fc_multipart *mp, fc_error *err)
{
    char name[FC_MULTIPART_MAX_HEADERS], filename[FC_MULTIPART_MAX_HEADERS];
    char ctype[FC_MULTIPART_MAX_HEADERS], value[FC_MULTIPART_MAX_HEADERS];
    disposition d = {name, filename, sizeof name, 0, 0};
    int has_disposition = 0, has_ctype = 0;
    mp->headers[mp->hlen] = '\0';
    char *line = mp->headers;
    while (*line) {
        char *end = strstr(line, "\r\n");
        if (!end) /* cannot happen: the block ends with CRLF */
            return fail(mp, FC_ERR_FORMAT, err, "header line without CRLF");
        *end = '\0';
        if (*line) {
            char *colon = strchr(line, ':');
            if (*line == ' ' || *line == '\t' || !colon || colon == line)
                return fail(mp, FC_ERR_FORMAT, err, "bad part header line");
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (!strcasecmp(line, "Content-Disposition")) {
                const char *rest = skip_type(v, "form-data");
                if (has_disposition || !rest || each_param(rest, take_disposition, &d, value, sizeof value))
                    return fail(mp, FC_ERR_FORMAT, err, "bad Content-Disposition");
                has_disposition = 1;
            } else if (!strcasecmp(line, "Content-Type")) {
                size_t n = strlen(v);
                while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                    n--;
                memcpy(ctype, v, n);
                ctype[n] = '\0';
                has_ctype = 1;
            }
        }
        line = end + 2;
    }
    if (!has_disposition || !d.has_name)
        return fail(mp, FC_ERR_FORMAT, err, "part without Content-Disposition: form-data; name=...");
    mp->state = MP_BODY;
    fc_multipart_part part = {name, d.has_filename ? filename : NULL, has_ctype ? ctype : NULL};
    fc_status st = mp->cb.on_part ? mp->cb.on_part(mp->cb.ctx, &part, &mp->err) : FC_OK;
    return st ? fail(mp, st, err, NULL) : FC_OK;
}

/* Content (or preamble) bytes: returns how many of data[0..n) were consumed; a
 * complete delimiter moves the state on. */
static size_t scan_content(fc_multipart *mp, const unsigned char *data, size_t n, fc_status *st)
{
    size_t i = 0;
    *st = FC_OK;
    while (i < n) {
        if (mp->match) {
            while (mp->match < mp->dlen && i < n && data[i] == (unsigned char)mp->delim[mp->match])
                mp->match++, i++;
            if (mp->match == mp->dlen) {
                int in_part = mp->state == MP_BODY;
                mp->match = 0;
                mp->padding = 0;
                mp->state = MP_TAIL;
                if (in_part && mp->cb.on_part_end)
                    *st = mp->cb.on_part_end(mp->cb.ctx, &mp->err);
                return i;
            }
            if (i == n)
                return i;
            /* mismatch: the held-back bytes were content; rescan data[i] */
            *st = emit(mp, (const unsigned char *)mp->delim, mp->match);
            mp->match = 0;
            if (*st)
                return i;
            continue;
        }
        const unsigned char *cr = memchr(data + i, '\r', n - i);
        size_t upto = cr ? (size_t)(cr - data) : n;
        *st = emit(mp, data + i, upto - i);
        i = upto;
        if (*st)
            return i;
        if (cr) {
            mp->match = 1;
            i++;
        }
    }
    return i;
}

fc_status fc_multipart_feed(fc_multipart *mp, const void *data, size_t len, fc_error *err)
{
    const unsigned char *p = data;
    size_t i = 0;
    if (mp->failed)
        return fail(mp, mp->failed, err, NULL);
    while (i < len) {
        fc_status st = FC_OK;
        unsigned char c = p[i];
        switch (mp->state) {
        case MP_PREAMBLE:
        case MP_BODY:
            i += scan_content(mp, p + i, len - i, &st);
            if (st)
                return fail(mp, st, err, NULL);
            break;
        case MP_TAIL:
            i++;
            if (c == '-') {
                mp->state = MP_TAIL_DASH;
            } else if (c == '\r') {
                mp->state = MP_TAIL_CR;
            } else if ((c == ' ' || c == '\t') && ++mp->padding <= MAX_PADDING) {
                /* transport padding */
            } else {
                return fail(mp, FC_ERR_FORMAT, err, "unexpected bytes after a boundary");
            }
            break;
        case MP_TAIL_DASH:
            i++;
            if (c != '-')
                return fail(mp, FC_ERR_FORMAT, err, "unexpected bytes after a boundary");
            mp->state = MP_DONE;
            break;
        case MP_TAIL_CR:
            i++;
            if (c != '\n')
                return fail(mp, FC_ERR_FORMAT, err, "boundary line not ended by CRLF");
            if (++mp->n_parts > FC_MULTIPART_MAX_PARTS)
                return fail(mp, FC_ERR_FORMAT, err, "too many parts");
            mp->state = MP_HEADERS;
            mp->hlen = 0;
            break;
        case MP_HEADERS:
            if (mp->hlen == FC_MULTIPART_MAX_HEADERS)
                return fail(mp, FC_ERR_FORMAT, err, "part headers too long");
            mp->headers[mp->hlen++] = (char)c;
            i++;
            if (c == '\n') {
                if (mp->hlen < 2 || mp->headers[mp->hlen - 2] != '\r')
                    return fail(mp, FC_ERR_FORMAT, err, "header line not ended by CRLF");
                if (mp->hlen == 2 || (mp->hlen >= 4 && !memcmp(mp->headers + mp->hlen - 4, "\r\n\r\n", 4))) {
                    if (mp->hlen > 2)
                        mp->hlen -= 2; /* keep the last line's CRLF, drop the empty line */
                    else
                        mp->hlen = 0;
                    if ((st = start_part(mp, err)))
                        return st;
                }
            } else if (c == '\0') {
                return fail(mp, FC_ERR_FORMAT, err, "NUL in part headers");
            }
            break;
        case MP_DONE:
            return FC_OK;
        }
    }
    return FC_OK;
}

fc_status fc_multipart_finish(fc_multipart *mp, fc_error *err)
{
    if (mp->failed)
        return fail(mp, mp->failed, err, NULL);
    if (mp->state != MP_DONE)
        return fail(mp, FC_ERR_FORMAT, err, "the body ended before the closing boundary");
    return FC_OK;
}

fc_status fc_urlencoded_parse(const char *body, size_t len, fc_urlencoded_cb cb, void *ctx,
                              fc_error *err)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            size_t nlen = eq - i, vlen = eq < end ? end - eq - 1 : 0;
            char *name = malloc(nlen + 1), *value = malloc(vlen + 1);
            if (!name || !value) {
                free(name);
                free(value);
                return fc_error_set(err, FC_ERR_NOMEM, "out of memory decoding a form");
            }
            size_t dn = fc_pct_decode(body + i, nlen, 1, name);
            size_t dv = fc_pct_decode(eq < end ? body + eq + 1 : "", vlen, 1, value);
            fc_status st = cb(ctx, name, dn, value, dv, err);
            free(name);
            free(value);
            if (st)
                return st;
        }
        i = end + 1;
    }
    return FC_OK;
}
