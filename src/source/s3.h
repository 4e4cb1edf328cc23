/* s3.h - the S3-compatible source (Wasabi, AWS, MinIO, s3rver): configuration, the
 * constructor, and the pure helpers behind it (endpoints, URLs, backoff, XML), which
 * are public so the tests can check them without a server. See docs/s3.md.
 *
 *   fc_s3_config c = {0};
 *   c.region = "eu-central-1"; c.bucket = "photos";          // endpoint from the region
 *   c.access_key = "...";  c.secret_key = "...";
 *   fc_source *src = fc_source_s3_new(&c, &err);             // then fc_source_list/fetch
 */
#ifndef FC_SOURCE_S3_H
#define FC_SOURCE_S3_H

#include "source/source.h"

#include <stddef.h>

typedef enum {
    FC_S3_ADDR_AUTO = 0, /* path-style for IPs, localhost, explicit ports, dotted buckets */
    FC_S3_ADDR_PATH,     /* {endpoint}/{bucket}/{key} */
    FC_S3_ADDR_VHOST,    /* {scheme}://{bucket}.{host}/{key} */
} fc_s3_addressing;

/* Every string is copied by fc_source_s3_new; 0 in a number means its default. */
typedef struct {
    const char *endpoint;   /* "https://s3.wasabisys.com", "http://127.0.0.1:9000", or a
                               bare host (https); NULL: from region (fc_s3_region_endpoint) */
    const char *region;     /* signing region, NULL: "us-east-1" */
    const char *bucket;     /* required */
    const char *access_key; /* required */
    const char *secret_key; /* required */
    fc_s3_addressing addressing;
    long connect_timeout_ms; /* 5000, and at most stall_timeout_s */
    long stall_timeout_s;    /* an attempt fails when no byte moves for this long: 30.
                                No limit on the whole transfer: a slow photo that
                                keeps moving is not cut */
    int attempts;            /* tries per request, 5; 1 = no retry */
    int backoff_base_ms;     /* first retry waits about this long, 200 */
    int backoff_cap_ms;      /* no wait is longer, 5000 */
    int max_keys;            /* ListObjectsV2 page size, 0: the server's (1000) */
} fc_s3_config;

/* A source reading cfg->bucket. Makes no request (see fc_source_s3_check). NULL +
 * err (FC_ERR_ARG naming the field) when the configuration is incomplete or malformed.
 * Thread-safe: fetches from many threads share a pool of keep-alive connections. */
fc_source *fc_source_s3_new(const fc_s3_config *cfg, fc_error *err);

/* One cheap signed request (a listing of at most one key): FC_OK when the endpoint
 * answers and accepts the credentials for the bucket, else the same clear error a
 * listing would give. For start-up checks. src must be an S3 source. */
fc_status fc_source_s3_check(fc_source *src, fc_error *err);

/* ---- helpers (s3_url.c) -------------------------------------------------------- */

/* The Wasabi service URL of region into out: "us-east-1" -> https://s3.wasabisys.com,
 * any other [a-z0-9-] name -> https://s3.<region>.wasabisys.com. *known is set to 1
 * when region is in the documented table (docs/s3.md), 0 otherwise. FC_ERR_ARG for a
 * malformed region, FC_ERR_LIMIT when out is too small. */
fc_status fc_s3_region_endpoint(const char *region, char *out, size_t cap, int *known,
                                fc_error *err);

/* Where requests go: parsed from an endpoint URL and a bucket. */
typedef struct {
    char scheme[8];   /* "http" or "https" */
    char host[256];   /* no port, IPv6 literals keep their brackets */
    char port[8];     /* "" when the URL had none */
    char bucket[64];
    int path_style;
} fc_s3_target;

/* Parses endpoint (scheme optional, no path, query or credentials) and resolves
 * FC_S3_ADDR_AUTO. FC_ERR_ARG with the reason on a malformed endpoint or bucket. */
fc_status fc_s3_target_init(fc_s3_target *t, const char *endpoint, const char *bucket,
                            fc_s3_addressing addressing, fc_error *err);

/* The URL of an object; key is URI-encoded ('/' kept). FC_ERR_LIMIT if out is small. */
fc_status fc_s3_object_url(const fc_s3_target *t, const char *key, char *out, size_t cap,
                           fc_error *err);

/* The URL of one ListObjectsV2 page: parameters sorted and encoded as SigV4 wants
 * them (continuation-token, encoding-type=url, list-type=2, max-keys when > 0,
 * prefix); token NULL for the first page. */
fc_status fc_s3_list_url(const fc_s3_target *t, const char *prefix, const char *token,
                         int max_keys, char *out, size_t cap, fc_error *err);

/* RFC 3986 percent-encoding as SigV4 defines it (A-Z a-z 0-9 - _ . ~ kept, '/' kept
 * when keep_slash, the rest %XX upper-case). Returns the length, or -1 if out (cap
 * bytes with the NUL) is too small. */
long fc_s3_uri_encode(const char *in, int keep_slash, char *out, size_t cap);

/* The wait before retry number `retry` (1 = the first retry), in ms: exponential,
 * capped, with jitter: d = min(cap, base * 2^(retry-1)); returns d/2 + u * d/2 for u in
 * [0, 1) (u: a uniform random number; pass 0.5 for the midpoint). */
long fc_s3_backoff_ms(int retry, long base_ms, long cap_ms, double u);

/* ---- helpers (s3_xml.c) -------------------------------------------------------- */

/* One ListObjectsV2 page. */
typedef struct {
    fc_key_list keys; /* every <Contents><Key> in the page, in document order, with
                         its <Size> and <ETag> as the fingerprint */
    int truncated;    /* <IsTruncated>true */
    char *next_token; /* <NextContinuationToken>, NULL when absent; malloc'd */
} fc_s3_list_page;

void fc_s3_list_page_free(fc_s3_list_page *p);

/* Parses a ListBucketResult document (namespace ignored, no network, no entities).
 * With <EncodingType>url</EncodingType> (the answer to encoding-type=url) the keys
 * are URL-decoded ('+' is a space); a key holding a NUL byte becomes "" (no path
 * names it). FC_ERR_FORMAT with the reason when it is not one, when a key's
 * encoding is malformed, or when it is truncated without a continuation token;
 * FC_ERR_NOMEM when out of memory (never a page cut short). */
fc_status fc_s3_parse_list(const char *xml, size_t len, fc_s3_list_page *out, fc_error *err);

/* The <Code> and <Message> of an S3 <Error> document into code/msg (each NUL-ended,
 * cut to fit; "" when absent or when xml is not an error document). */
void fc_s3_parse_error(const char *xml, size_t len, char *code, size_t code_cap, char *msg,
                       size_t msg_cap);

#endif
