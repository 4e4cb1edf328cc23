/* routes.h - the route table: one row per HTTP route (method, path pattern,
 * handler, parameter schema, documentation). The server matches requests against
 * it (fixed segments before {params}), validates parameters from it (FastAPI's 422
 * shape, API.md's 400 name rules) and renders /openapi.json from it.
 *
 * Adding a route: write the handler (src/api/<resource>.c, prototype in
 * handlers.h) and add one row to fc_api_routes in routes.c:
 *
 *   {FC_API_GET, "/jobs/{job_id}", fc_api_get_job, .name = "get_job", .tag = TAG_JOBS,
 *    .returns = "The job's status and progress",
 *    PARAMS({"job_id", FC_API_IN_PATH, FC_API_STRING, .required = true,
 *            .description = "Id returned by a clustering request with wait=false"}),
 *    ERRORS({404, "No such job"})},
 */
#ifndef FC_API_ROUTES_H
#define FC_API_ROUTES_H

#include "api/http.h"

#include <stdbool.h>

#define FC_API_MAX_SEGMENTS 16 /* longer paths are 404 */

typedef enum { FC_API_GET, FC_API_POST, FC_API_PUT, FC_API_DELETE, FC_API_METHOD_COUNT } fc_api_method;
typedef enum { FC_API_IN_PATH, FC_API_IN_QUERY, FC_API_IN_FORM } fc_api_in;
typedef enum { FC_API_STRING, FC_API_INT, FC_API_FLOAT, FC_API_BOOL, FC_API_FILE } fc_api_type;

/* Checks that API.md answers with 400 (not 422), run after schema validation. */
typedef enum {
    FC_API_CHECK_NONE,
    FC_API_CHECK_BUCKET,    /* [A-Za-z0-9._-]{1,128}, not "." or "..": bucket names */
    FC_API_CHECK_OBJECT_ID, /* 24 hex digits: clustering ids */
    FC_API_CHECK_USER_ID,   /* [A-Za-z0-9_.@-]{1,64}: user ids */
} fc_api_check;

/* One parameter. Numbers in text so that messages and /openapi.json show them as
 * written ("0.0" stays a float, "1" an int), as FastAPI does. */
typedef struct {
    const char *name;
    fc_api_in in;
    fc_api_type type;
    bool required;
    const char *def;         /* default ("30", "0.4", "true", "centroid"); NULL: null */
    const char *ge, *le;     /* inclusive bounds for numbers; NULL: none */
    int max_length;          /* strings: at most this many bytes; 0: no limit */
    const char *pattern;     /* strings: POSIX extended regex searched in the value */
    fc_api_check check;
    const char *description;
} fc_api_param;

/* A documented status besides the success one and 422. */
typedef struct {
    int status;
    const char *description;
} fc_api_doc_status;

enum {
    FC_API_PUBLIC = 1,     /* no API key needed (API.md: health, docs, static assets) */
    FC_API_HIDDEN = 2,     /* not in /openapi.json (the docs pages, static assets) */
    FC_API_DEPRECATED = 4, /* marked deprecated in /openapi.json */
};

typedef struct {
    fc_api_method method;
    const char *pattern;     /* "/assignments/{bucket_name}/{sub_bucket}" */
    fc_api_handler *handler;
    const char *name;        /* the original's function name: operationId, default summary */
    const char *tag;         /* group in /docs */
    const char *summary;     /* NULL: name in title case ("health_check" -> "Health Check") */
    const char *description; /* Markdown, may be NULL */
    const char *returns;     /* what the success response holds */
    int success;             /* success status; 0 means 200 */
    const char *media;       /* success Content-Type in /openapi.json; NULL: application/json */
    const fc_api_param *params;
    int n_params;
    const fc_api_doc_status *errors;
    int n_errors;
    unsigned flags;
} fc_api_route;

#define PARAMS(...)                                                                     \
    .params = (const fc_api_param[]){__VA_ARGS__},                                       \
    .n_params = (int)(sizeof((const fc_api_param[]){__VA_ARGS__}) / sizeof(fc_api_param))
#define ERRORS(...)                                                                     \
    .errors = (const fc_api_doc_status[]){__VA_ARGS__},                                  \
    .n_errors = (int)(sizeof((const fc_api_doc_status[]){__VA_ARGS__}) / sizeof(fc_api_doc_status))

extern const fc_api_route fc_api_routes[];
extern const int fc_api_n_routes;

/* "GET", ... for a method. */
const char *fc_api_method_name(fc_api_method m);

typedef enum {
    FC_API_MATCH_OK,
    FC_API_MATCH_NOT_FOUND,
    FC_API_MATCH_BAD_METHOD,
    FC_API_MATCH_NOMEM, /* out of memory: whether a route fits is not known */
} fc_api_match_result;

typedef struct {
    const fc_api_route *route;
    int n_values;
    char *values[FC_API_MAX_SEGMENTS]; /* decoded {params} in pattern order (malloc'd) */
    size_t lengths[FC_API_MAX_SEGMENTS]; /* their decoded lengths (NULs may be inside) */
    char allow[64];                    /* for 405: the methods the path has, "GET, HEAD" */
} fc_api_match;

/* Finds the route for method (HEAD counts as GET) and a raw path (no query):
 * splits it at '/', percent-decodes each segment (so %2F stays inside a
 * segment), compares fixed segments, and among the routes that fit prefers the one
 * whose first differing segment is fixed. Returns OK with out->route and values
 * filled (free with fc_api_match_free), BAD_METHOD when only other methods fit
 * (out->allow set), NOT_FOUND, or NOMEM when out of memory (out left empty). */
fc_api_match_result fc_api_route_match(const fc_api_route *routes, int n_routes,
                                       const char *method, const char *path, fc_api_match *out);
void fc_api_match_free(fc_api_match *m);

/* Index of the parameter called name in route, or -1. */
int fc_api_param_index(const fc_api_route *route, const char *name);

/* Whether a name passes a 400-level check (also for tests and handlers). */
bool fc_api_valid_bucket(const char *name, size_t len);
bool fc_api_valid_object_id(const char *id, size_t len);
bool fc_api_valid_user_id(const char *id, size_t len);

#endif
