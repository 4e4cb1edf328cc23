/* internal.h - the request and response as the framework holds them (server.c,
 * body.c, params.c, http.c, the unit tests and the fuzzer); handlers use http.h. */
#ifndef FC_API_INTERNAL_H
#define FC_API_INTERNAL_H

#include "api/http.h"
#include "api/multipart.h"
#include "api/routes.h"
#include "api/server.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

#define FC_API_MAX_RES_HEADERS 16
#define FC_API_MAX_FIELD_BYTES (64 * 1024) /* a plain (non-file) form field */

/* A name=value from the query string or a form; strings are NUL-terminated,
 * lengths count decoded bytes (a decoded %00 shows as len > strlen). */
typedef struct {
    char *name, *value;
    size_t value_len;
} fc_api_kv;

/* A multipart part kept for a declared form parameter. */
typedef struct {
    char *name, *filename, *content_type; /* filename NULL: a plain field */
    unsigned char *data;                  /* size bytes + NUL */
    size_t size, cap;
} fc_api_part;

/* A validated parameter value. */
typedef struct {
    bool present;          /* given by the client */
    const char *text;      /* the given text, the default, or NULL */
    size_t len;
    long long i;
    double f;
    bool b;
    fc_api_upload upload;  /* FC_API_FILE, present */
} fc_api_value;

struct fc_api_request {
    const char *method;
    const char *path;                 /* raw path, without the query */
    const char *query;                /* raw query (after '?'), "" when none */
    fc_api_match match;               /* route and decoded path values */
    fc_api_kv *query_kv;
    int n_query;
    fc_api_part *parts;
    int n_parts;
    bool form_given;                  /* a form content type was sent */
    fc_api_value *values;             /* one per route->n_params, after validation */
    void *app;
    const struct fc_api_env *env;     /* the server's, for the framework's own handlers */
    const char *(*header)(const void *conn, const char *name);
    const void *conn;
};

struct fc_api_response {
    int status;                       /* 0: nothing set yet */
    char *body;                       /* malloc'd */
    size_t len;
    int fd;                           /* file body when >= 0 */
    uint64_t fd_size;
    char content_type[128];
    int n_headers;
    char *headers[FC_API_MAX_RES_HEADERS][2];
    fc_api_deferred_fn *defer_fn;     /* set by fc_api_res_defer: the answer comes later */
    void *defer_arg;
};

/* What the framework's own handlers (health, docs, assets) need from the server. */
typedef struct fc_api_env {
    void *app;
    fc_api_health_fn *health;
    char *openapi;         /* /openapi.json, rendered once at start */
    size_t openapi_len;
    char *swagger_dir;     /* real paths of the asset folders; NULL when not found */
    char *redoc_dir;
} fc_api_env;

/* Intake of a request body (body.c): discarded, or parsed as a form into the
 * request's parts, within limits. The first failure is kept as status + detail. */
typedef enum { FC_API_BODY_DISCARD, FC_API_BODY_MULTIPART, FC_API_BODY_URLENCODED } fc_api_body_mode;

typedef struct {
    fc_api_body_mode mode;
    fc_api_request *req;
    fc_multipart *mp;
    char *buf;              /* urlencoded body */
    size_t len, cap;
    size_t total;           /* bytes received */
    size_t max_total;       /* beyond this the body is refused */
    size_t max_file;        /* one uploaded file */
    fc_api_part *cur;       /* part being kept, NULL when discarding it */
    size_t cur_limit;
    int status;             /* 0, or the answer: 400, 413, 500 */
    char detail[400];
} fc_api_body;

/* Sets up the intake for req (its route matched) with the request's
 * Content-Type (may be NULL). Returns 0, or the status to answer at once (400 for
 * a multipart type without a usable boundary; detail in body->detail). */
int fc_api_body_begin(fc_api_body *body, fc_api_request *req, const char *content_type,
                      size_t max_file, size_t max_total);
/* The next piece of the body; failures are recorded in body->status. */
void fc_api_body_feed(fc_api_body *body, const void *data, size_t len);
/* The body ended; returns body->status (0 when the form is complete). */
int fc_api_body_end(fc_api_body *body);
void fc_api_body_free(fc_api_body *body);

/* Response lifecycle (http.c). */
void fc_api_res_init(fc_api_response *res);
void fc_api_res_clear(fc_api_response *res); /* frees body, fd, headers */
/* The 422 body {"detail":[...]} from a list of errors (takes errors). */
void fc_api_res_validation(fc_api_response *res, json_t *errors);

/* Request parsing and lifecycle (http.c). */
void fc_api_req_init(fc_api_request *req);
/* Splits the query at '&' into query_kv (decoded). */
fc_status fc_api_req_parse_query(fc_api_request *req, fc_error *err);
/* Adds a form field (urlencoded forms) as a plain part. */
fc_status fc_api_req_add_field(fc_api_request *req, const char *name, const char *value,
                               size_t len, fc_error *err);
void fc_api_req_clear(fc_api_request *req);

/* Validates path, query and form values against req->match.route's schema and
 * fills req->values (params.c). Returns 0 when valid, else the status it answered
 * in res (422 with FastAPI's list, 400 {"detail"} for API.md's name rules, or 500
 * when out of memory, never a shorter list). */
int fc_api_validate(fc_api_request *req, fc_api_response *res);

#endif
