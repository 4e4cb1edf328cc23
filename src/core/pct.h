/* pct.h - percent-encoding's decoding (RFC 3986), shared by the HTTP API (paths,
 * query strings, urlencoded forms: api/multipart.c, api/match.c) and the S3 listing
 * (encoding-type=url keys: source/s3_xml.c). */
#ifndef FC_CORE_PCT_H
#define FC_CORE_PCT_H

#include <stddef.h>

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
int fc_hex_value(char c);

/* Percent-decodes in[0..len) into out (at least len + 1 bytes; out may be in, as the
 * decoded text is never longer), '+' as a space when plus_is_space; invalid escapes
 * are kept as they are. Returns the decoded length; out is NUL-terminated (decoded
 * NULs may precede the end). */
size_t fc_pct_decode(const char *in, size_t len, int plus_is_space, char *out);

#endif
