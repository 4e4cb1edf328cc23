/* multipart.h - streaming parsers for HTML form bodies: multipart/form-data
 * (RFC 7578, fed in pieces of any size, never holding more than one part's
 * headers) and application/x-www-form-urlencoded (also query strings), with the
 * percent-decoding of core/pct.h. No allocation per byte, no limits on content size:
 * the caller's callbacks count and refuse. */
#ifndef FC_API_MULTIPART_H
#define FC_API_MULTIPART_H

#include "core/pct.h"
#include "core/status.h"

#include <stddef.h>

#define FC_MULTIPART_MAX_BOUNDARY 70     /* RFC 2046 */
#define FC_MULTIPART_MAX_HEADERS 8192    /* bytes of one part's header block */
#define FC_MULTIPART_MAX_PARTS 1000

/* What a part says about itself. Strings are valid during the on_part call only. */
typedef struct {
    const char *name;         /* Content-Disposition name; never NULL */
    const char *filename;     /* NULL when the part has no filename (a plain field) */
    const char *content_type; /* NULL when the part has no Content-Type */
} fc_multipart_part;

/* Callbacks return FC_OK to go on, or any other status to stop the parser (which
 * then returns that status and err as they left it). */
typedef struct {
    fc_status (*on_part)(void *ctx, const fc_multipart_part *part, fc_error *err);
    fc_status (*on_data)(void *ctx, const unsigned char *data, size_t len, fc_error *err);
    fc_status (*on_part_end)(void *ctx, fc_error *err);
    void *ctx;
} fc_multipart_callbacks;

typedef struct fc_multipart fc_multipart;

/* The boundary parameter of a Content-Type value, if its type is
 * multipart/form-data, into out (cap >= FC_MULTIPART_MAX_BOUNDARY + 1).
 * Returns FC_OK, FC_ERR_UNSUPPORTED for another type, FC_ERR_FORMAT for a missing
 * or invalid boundary. */
fc_status fc_multipart_boundary(const char *content_type, char *out, size_t cap);

/* A parser for one body. Returns NULL when out of memory or when boundary is not
 * 1..70 valid characters. Free with fc_multipart_free (NULL is a no-op). */
fc_multipart *fc_multipart_new(const char *boundary, const fc_multipart_callbacks *cb);
void fc_multipart_free(fc_multipart *mp);

/* Feeds the next len bytes of the body. Returns FC_OK (more is welcome, or the
 * closing boundary was seen and the rest is ignored), FC_ERR_FORMAT for a malformed
 * body, or a callback's status. Once it fails, it keeps returning that status. */
fc_status fc_multipart_feed(fc_multipart *mp, const void *data, size_t len, fc_error *err);

/* The body has ended: FC_OK when the closing boundary was seen, else FC_ERR_FORMAT
 * (truncated) or the earlier failure. */
fc_status fc_multipart_finish(fc_multipart *mp, fc_error *err);

/* Splits an application/x-www-form-urlencoded body or a query string at '&' (and
 * ';' is not a separator), decodes each name=value (a pair without '=' has the
 * value ""), skips empty pairs, and calls cb with NUL-terminated decoded strings
 * and their lengths. Returns FC_OK, FC_ERR_NOMEM, or cb's status. */
typedef fc_status (*fc_urlencoded_cb)(void *ctx, const char *name, size_t name_len,
                                      const char *value, size_t value_len, fc_error *err);
fc_status fc_urlencoded_parse(const char *body, size_t len, fc_urlencoded_cb cb, void *ctx,
                              fc_error *err);

#endif
