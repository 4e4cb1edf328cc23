/* http.h - what a route handler sees: the request (method, path, its validated
 * parameters by name, uploads, headers, the application context) and the response
 * it fills (status, JSON or bytes, headers). Handlers never see libmicrohttpd.
 *
 *   void fc_api_debug_profile(const fc_api_request *req, fc_api_response *res)
 *   {
 *       const char *user_id = fc_api_req_str(req, "user_id");   // path param, decoded
 *       ...
 *       if (!found)
 *           return fc_api_res_detail(res, 404, "Profile %s not found", user_id);
 *       fc_api_res_json(res, 200, json_pack("{s:s, s:b}", "user_id", user_id, "exists", 1));
 *   }
 *
 * By the time a handler runs, every parameter of its route's schema has been
 * checked (types, bounds, patterns, required; 422/400 answered otherwise), so the
 * typed getters cannot fail for a declared name. Handlers run on the server's
 * polling threads, concurrently: they must be thread-safe and should not block
 * for long (a handler that must wait defers its answer: fc_api_res_defer). */
#ifndef FC_API_HTTP_H
#define FC_API_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_API_VERSION "0.1.0"
/* Flags for fc_json_dump of response bodies: compact, and reals with 16 significant
 * digits (0.65 stays 0.65). */
#define FC_API_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

typedef struct fc_api_request fc_api_request;
typedef struct fc_api_response fc_api_response;

/* A handler: reads req, fills res. Leaving res untouched answers 500. */
typedef void fc_api_handler(const fc_api_request *req, fc_api_response *res);

/* An uploaded file (a multipart part with a filename), owned by the request. */
typedef struct {
    const unsigned char *data; /* size bytes, followed by a NUL not counted in size */
    size_t size;
    const char *filename;      /* as sent ("" when the part had filename="") */
    const char *content_type;  /* as sent, "" when absent */
} fc_api_upload;

/* --- the request ---------------------------------------------------------- */

const char *fc_api_req_method(const fc_api_request *req);  /* "GET", "POST", ... */
const char *fc_api_req_path(const fc_api_request *req);    /* as received, not decoded */
/* The route pattern that matched ("/jobs/{job_id}"). */
const char *fc_api_req_route(const fc_api_request *req);
/* A request header (case-insensitive name), or NULL. */
const char *fc_api_req_header(const fc_api_request *req, const char *name);
/* The `app` pointer given in the server options (the application's state). */
void *fc_api_req_app(const fc_api_request *req);

/* Whether the client gave the parameter (false: the default applies, or null). */
bool fc_api_req_has(const fc_api_request *req, const char *name);
/* Parameter values, decoded and validated; the schema default when the client gave
 * none. Strings: NULL when absent without a default. Numbers/bools: 0/false then. */
const char *fc_api_req_str(const fc_api_request *req, const char *name);
long long fc_api_req_int(const fc_api_request *req, const char *name);
double fc_api_req_float(const fc_api_request *req, const char *name);
bool fc_api_req_bool(const fc_api_request *req, const char *name);
/* A file parameter, or NULL when absent. */
const fc_api_upload *fc_api_req_file(const fc_api_request *req, const char *name);

/* --- the response --------------------------------------------------------- */
/* Each setter replaces what an earlier one set. They never fail visibly: when
 * out of memory the response becomes a 500. */

/* body as JSON (application/json); takes the reference (NULL body: 500). */
void fc_api_res_json(fc_api_response *res, int status, json_t *body);
/* {"detail": "<message>"} with a printf-style message. */
void fc_api_res_detail(fc_api_response *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A copy of len bytes with the given Content-Type. */
void fc_api_res_bytes(fc_api_response *res, int status, const char *content_type,
                      const void *data, size_t len);
/* Takes a malloc'd buffer of len bytes (freed with free()). */
void fc_api_res_take(fc_api_response *res, int status, const char *content_type, char *data,
                     size_t len);
/* Streams size bytes of an open file (the response owns and closes fd). */
void fc_api_res_file(fc_api_response *res, int status, const char *content_type, int fd,
                     uint64_t size);
/* A deferred answer, for handlers that must wait (a clustering request with
 * wait=true waiting for its job): fn(arg, res) runs later on a thread of its own
 * and fills res; meanwhile the connection is suspended and the server's thread
 * serves other connections. fn owns arg (frees it). What res held is replaced. */
typedef void fc_api_deferred_fn(void *arg, fc_api_response *res);
void fc_api_res_defer(fc_api_response *res, fc_api_deferred_fn *fn, void *arg);

/* Adds a header (copied). Returns 0, or -1 when there are already 16 or no memory. */
int fc_api_res_header(fc_api_response *res, const char *name, const char *value);

/* Python's str() of a float, for messages that must read as the original's
 * ("0.4", "50.0", "1e-05"): the shortest digits that read back as v, ".0" on
 * integral values, exponent form below 1e-4 and from 1e16. cap >= 32. */
void fc_api_float_repr(double v, char *out, size_t cap);

#endif
