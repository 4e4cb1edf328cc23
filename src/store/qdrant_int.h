/* qdrant_int.h - what the three files of the Qdrant vector backend share:
 * qdrant_json.c (request bodies, response parsing; no I/O), qdrant_http.c (libcurl:
 * keep-alive connections, API key, timeouts, retries) and vec_qdrant.c (the ops
 * table). Qdrant's REST API: https://api.qdrant.tech/api-reference (OpenAPI:
 * github.com/qdrant/qdrant docs/redoc/master/openapi.json). */
#ifndef FC_STORE_QDRANT_INT_H
#define FC_STORE_QDRANT_INT_H

#include "store/vectors.h"

#include <curl/curl.h>
#include <jansson.h>

extern const struct fc_vectors_ops fc_vectors_qdrant;

/* Opens the Qdrant backend at url (http[s]://host:port, no trailing path) with an
 * API key (NULL: none), pinging the server: an unreachable server is an error. The
 * handle is complete (ops and hooks set). Close with fc_vectors_close. */
fc_vectors *fc_qdrant_open(const char *url, const char *collection, const char *api_key,
                           fc_error *err);

/* ---- request bodies (qdrant_json.c): new JSON values, caller json_decref's -------- */

#define FC_QDRANT_BATCH 256 /* points per upsert request, and per scroll page */

/* The payload fields with a keyword index (API.md "Data model"). */
extern const char *const fc_qdrant_indexed_fields[3];

/* {"must":[{"key":k,"match":{"value":v}},...]} of f's set fields; NULL when none. */
json_t *fc_qdrant_filter(const fc_vec_filter *f);
/* PUT /collections/{name}: {"vectors":{"size":dim,"distance":"Cosine"}} */
json_t *fc_qdrant_body_create(int dim);
/* PUT /collections/{name}/index: {"field_name":field,"field_schema":"keyword"} */
json_t *fc_qdrant_body_index(const char *field);
/* The typed payload of one point: strings ("" = null), is_owner_face bool, bbox int
 * array, scores floats. */
json_t *fc_qdrant_payload(const fc_vec_payload *pl);
/* PUT /collections/{name}/points?wait=true: {"points":[{"id","vector","payload"}]} */
json_t *fc_qdrant_body_upsert(const fc_vec_point *points, size_t n);
/* POST .../points/search: {"vector","limit","with_payload":true,"with_vector":false,
 * "filter"?} */
json_t *fc_qdrant_body_search(const float *query, int dim, size_t k, const fc_vec_filter *f);
/* POST .../points/scroll: {"limit","with_payload":true,"with_vector","filter"?,
 * "offset"?} (offset: the previous page's next_page_offset, borrowed, or NULL) */
json_t *fc_qdrant_body_scroll(const fc_vec_filter *f, size_t limit, int with_vectors,
                              const json_t *offset);
/* POST .../points/count: {"exact":true,"filter"?} */
json_t *fc_qdrant_body_count(const fc_vec_filter *f);
/* POST .../points/delete?wait=true: {"filter":...} (f must have a field set) */
json_t *fc_qdrant_body_delete(const fc_vec_filter *f);

/* Compact text of a body (floats with 9 significant digits: float32 round-trips);
 * NULL when out of memory. Caller frees. */
char *fc_qdrant_dump(const json_t *body);

/* ---- responses (qdrant_json.c) ------------------------------------------------ */

/* Checks a response: HTTP status 2xx and {"status":"ok","result":...}; *result is a
 * new reference to "result" (caller json_decref's). Anything else is FC_ERR_IO
 * with Qdrant's message ({"status":{"error":"..."}}) or the start of the body;
 * what names the request in the message. */
fc_status fc_qdrant_parse(const char *what, long http_status, const char *body, json_t **result,
                          fc_error *err);
/* GET /collections/{name} result: the vector size (result.config.params.vectors.size). */
fc_status fc_qdrant_parse_dim(const json_t *result, int *dim, fc_error *err);
/* count result: {"count": n} */
fc_status fc_qdrant_parse_count(const json_t *result, int64_t *n, fc_error *err);
/* Appends the points of a JSON array (search result, or scroll's result.points) to
 * out: id, payload, score (search) and vector (when present). */
fc_status fc_qdrant_parse_points(const json_t *points, fc_vec_list *out, fc_error *err);
/* A scroll result: its points appended to out, *next = a new reference to
 * next_page_offset, or NULL at the end (never NULL for want of memory: that is
 * FC_ERR_NOMEM). */
fc_status fc_qdrant_parse_scroll(const json_t *result, fc_vec_list *out, json_t **next,
                                 fc_error *err);

/* ---- HTTP (qdrant_http.c) ------------------------------------------------------ */

typedef struct fc_qdrant_http fc_qdrant_http;

/* A client of the server at base_url; api_key NULL or "" for none. Connections are
 * kept alive and shared by the threads that use the client. */
fc_qdrant_http *fc_qdrant_http_new(const char *base_url, const char *api_key, fc_error *err);
void fc_qdrant_http_free(fc_qdrant_http *h); /* NULL: no-op */

/* One request: method "GET"|"PUT"|"POST"|"DELETE", path from "/" (query included),
 * JSON body or NULL. *status = the HTTP status, *resp = the body (malloc'd,
 * NUL-terminated; caller frees). Retries transient failures (fc_qdrant_retryable)
 * with fc_qdrant_backoff_ms; FC_ERR_IO when the server cannot be reached. */
fc_status fc_qdrant_http_call(fc_qdrant_http *h, const char *method, const char *path,
                              const char *body, long *status, char **resp, fc_error *err);

/* base_url + path into out, without a doubled '/': 0, or -1 if it does not fit. */
int fc_qdrant_url(const char *base_url, const char *path, char *out, size_t size);
/* The request headers: JSON content type and accept, and "api-key: {key}" when set.
 * Caller frees with curl_slist_free_all; NULL when out of memory. */
struct curl_slist *fc_qdrant_headers(const char *api_key);
/* 1 if a request that ended with cc (CURLE_OK: with HTTP status) is worth retrying:
 * connection failures, timeouts, a dropped connection, 429, 502, 503, 504. */
int fc_qdrant_retryable(CURLcode cc, long status);
/* The wait before retry number attempt (0-based): 100 ms doubled each time, at most
 * 3.2 s, times a jitter factor 0.5 + rnd / 2 (rnd in [0, 1)). */
long fc_qdrant_backoff_ms(int attempt, double rnd);
#define FC_QDRANT_ATTEMPTS 4

#endif
