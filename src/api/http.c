/* http.c - the request accessors and response builders of http.h, query-string
 * parsing, and the request/response lifecycle used by the server. */
#include "api/internal.h"
#include "core/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* --- request -------------------------------------------------------------- */

void fc_api_req_init(fc_api_request *req)
{
    memset(req, 0, sizeof *req);
    req->method = "";
    req->path = "";
    req->query = "";
}

static fc_status add_kv(void *ctx, const char *name, size_t name_len, const char *value,
                        size_t value_len, fc_error *err)
{
    fc_api_request *req = ctx;
    (void)name_len;
    fc_api_kv *kv = realloc(req->query_kv, ((size_t)req->n_query + 1) * sizeof *kv);
    if (!kv)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory parsing the query");
    req->query_kv = kv;
    kv += req->n_query;
    kv->name = strdup(name);
    kv->value = malloc(value_len + 1);
    if (!kv->name || !kv->value) {
        free(kv->name);
        free(kv->value);
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory parsing the query");
    }
    memcpy(kv->value, value, value_len + 1);
    kv->value_len = value_len;
    req->n_query++;
    return FC_OK;
}

fc_status fc_api_req_parse_query(fc_api_request *req, fc_error *err)
{
    return fc_urlencoded_parse(req->query, strlen(req->query), add_kv, req, err);
}

fc_status fc_api_req_add_field(fc_api_request *req, const char *name, const char *value,
                               size_t len, fc_error *err)
{
    fc_api_part *parts = realloc(req->parts, ((size_t)req->n_parts + 1) * sizeof *parts);
    if (!parts)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory reading a form");
    req->parts = parts;
    fc_api_part *p = &parts[req->n_parts];
    memset(p, 0, sizeof *p);
    p->name = strdup(name);
    p->data = malloc(len + 1);
    if (!p->name || !p->data) {
        free(p->name);
        free(p->data);
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory reading a form");
    }
    memcpy(p->data, value, len);
    p->data[len] = '\0';
    p->size = p->cap = len;
    req->n_parts++;
    return FC_OK;
}

void fc_api_req_clear(fc_api_request *req)
{
    for (int i = 0; i < req->n_query; i++) {
        free(req->query_kv[i].name);
        free(req->query_kv[i].value);
    }
    free(req->query_kv);
    for (int i = 0; i < req->n_parts; i++) {
        free(req->parts[i].name);
        free(req->parts[i].filename);
        free(req->parts[i].content_type);
        free(req->parts[i].data);
    }
    free(req->parts);
    free(req->values);
    fc_api_match_free(&req->match);
    fc_api_req_init(req);
}

const char *fc_api_req_method(const fc_api_request *req)
{
    return req->method;
}

const char *fc_api_req_path(const fc_api_request *req)
{
    return req->path;
}

const char *fc_api_req_route(const fc_api_request *req)
{
    return req->match.route ? req->match.route->pattern : "";
}

const char *fc_api_req_header(const fc_api_request *req, const char *name)
{
    return req->header ? req->header(req->conn, name) : NULL;
}

void *fc_api_req_app(const fc_api_request *req)
{
    return req->app;
}

static const fc_api_value *value_of(const fc_api_request *req, const char *name)
{
    const fc_api_route *route = req->match.route;
    int i = route && req->values ? fc_api_param_index(route, name) : -1;
    if (i < 0) {
        fprintf(stderr, "api: bug: route %s has no parameter '%s'\n",
                route ? route->pattern : "(none)", name);
        return NULL;
    }
    return &req->values[i];
}

bool fc_api_req_has(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v && v->present;
}

const char *fc_api_req_str(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v ? v->text : NULL;
}

long long fc_api_req_int(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v ? v->i : 0;
}

double fc_api_req_float(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v ? v->f : 0;
}

bool fc_api_req_bool(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v && v->b;
}

const fc_api_upload *fc_api_req_file(const fc_api_request *req, const char *name)
{
    const fc_api_value *v = value_of(req, name);
    return v && v->present && v->upload.data ? &v->upload : NULL;
}

/* --- response ------------------------------------------------------------- */

void fc_api_res_init(fc_api_response *res)
{
    memset(res, 0, sizeof *res);
    res->fd = -1;
}

static void drop_body(fc_api_response *res)
{
    free(res->body);
    res->body = NULL;
    res->len = 0;
    if (res->fd >= 0)
        close(res->fd);
    res->fd = -1;
    res->fd_size = 0;
}

void fc_api_res_clear(fc_api_response *res)
{
    drop_body(res);
    for (int i = 0; i < res->n_headers; i++) {
        free(res->headers[i][0]);
        free(res->headers[i][1]);
    }
    fc_api_res_init(res);
}

static void set_type(fc_api_response *res, const char *content_type)
{
    snprintf(res->content_type, sizeof res->content_type, "%s", content_type ? content_type : "");
}

/* The last resort when memory runs out: a static body. */
static void out_of_memory(fc_api_response *res)
{
    static const char body[] = "{\"detail\":\"out of memory\"}";
    drop_body(res);
    res->status = 500;
    res->body = malloc(sizeof body);
    if (res->body) {
        memcpy(res->body, body, sizeof body - 1);
        res->len = sizeof body - 1;
    }
    set_type(res, "application/json");
}

void fc_api_res_take(fc_api_response *res, int status, const char *content_type, char *data,
                     size_t len)
{
    drop_body(res);
    if (!data && len)
        return out_of_memory(res);
    res->status = status;
    res->body = data;
    res->len = len;
    set_type(res, content_type);
}

void fc_api_res_bytes(fc_api_response *res, int status, const char *content_type,
                      const void *data, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return out_of_memory(res);
    if (len)
        memcpy(copy, data, len);
    fc_api_res_take(res, status, content_type, copy, len);
}

void fc_api_res_defer(fc_api_response *res, fc_api_deferred_fn *fn, void *arg)
{
    res->defer_fn = fn;
    res->defer_arg = arg;
}

void fc_api_res_json(fc_api_response *res, int status, json_t *body)
{
    char *text = body ? fc_json_dump(body, FC_API_JSON_FLAGS) : NULL;
    json_decref(body);
    if (!text)
        return out_of_memory(res);
    fc_api_res_take(res, status, "application/json", text, strlen(text));
}

void fc_api_res_detail(fc_api_response *res, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fc_api_res_json(res, status, json_pack("{s:o}", "detail", fc_json_text(msg)));
}

void fc_api_res_validation(fc_api_response *res, json_t *errors)
{
    fc_api_res_json(res, 422, errors ? json_pack("{s:o}", "detail", errors) : NULL);
}

void fc_api_res_file(fc_api_response *res, int status, const char *content_type, int fd,
                     uint64_t size)
{
    drop_body(res);
    res->status = status;
    res->fd = fd;
    res->fd_size = size;
    set_type(res, content_type);
}

int fc_api_res_header(fc_api_response *res, const char *name, const char *value)
{
    if (res->n_headers == FC_API_MAX_RES_HEADERS)
        return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    res->headers[res->n_headers][0] = n;
    res->headers[res->n_headers][1] = v;
    res->n_headers++;
    return 0;
}

/* The exponent of "%e" text ("6.5e-01" -> -1). */
static int exponent_of(const char *sci)
{
    const char *e = strchr(sci, 'e');
    return e ? (int)strtol(e + 1, NULL, 10) : 0;
}

void fc_api_float_repr(double v, char *out, size_t cap)
{
    if (isnan(v)) {
        snprintf(out, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v > 0 ? "inf" : "-inf");
        return;
    }
    /* shortest significant digits that read back as v */
    char sci[40];
    int digits = 1;
    for (; digits <= 17; digits++) {
        snprintf(sci, sizeof sci, "%.*e", digits - 1, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    int exp10 = exponent_of(sci);
    if (exp10 < -4 || exp10 >= 16) { /* Python switches to exponent form here */
        snprintf(out, cap, "%s", sci);
        return;
    }
    int decimals = digits - 1 - exp10;
    snprintf(out, cap, "%.*f", decimals > 0 ? decimals : 0, v);
    if (!strchr(out, '.')) {
        size_t n = strlen(out);
        if (n + 2 < cap)
            memcpy(out + n, ".0", 3);
    }
}
