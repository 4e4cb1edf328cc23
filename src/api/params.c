/* params.c - validating a request against its route's parameter schema the way
 * FastAPI (pydantic v1) does: every error collected into one 422 list with the
 * same loc/msg/type/ctx, then API.md's name rules as 400. */
#include "api/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const in_names[] = {"path", "query", "body"};

/* The errors found so far, and whether memory ran out on the way: the list is then
 * not the whole answer (nor is an empty one a valid request), so it is a 500. */
typedef struct {
    json_t *list;
    bool nomem;
} error_list;

/* Adds an error; ctx (taken) is its "ctx" object, or NULL for none. */
static void add_error(error_list *errors, const fc_api_param *p, const char *msg,
                      const char *type, json_t *ctx)
{
    json_t *e = json_pack("{s:[s,s],s:s,s:s}", "loc", in_names[p->in], p->name, "msg", msg,
                          "type", type);
    if (e && ctx && json_object_set_new(e, "ctx", ctx)) {
        json_decref(e);
        e = NULL;
    } else if (!e) {
        json_decref(ctx);
    }
    if (!e || json_array_append_new(errors->list, e))
        errors->nomem = true;
}

/* add_error for an error that has a ctx object: NULL means it could not be made. */
static void add_error_ctx(error_list *errors, const fc_api_param *p, const char *msg,
                          const char *type, json_t *ctx)
{
    if (!ctx)
        errors->nomem = true;
    else
        add_error(errors, p, msg, type, ctx);
}

/* A bound's text as a JSON number: integer when written without '.', 'e' or
 * when the parameter is an int. */
static json_t *bound_json(const fc_api_param *p, const char *text)
{
    if (p->type == FC_API_INT || !strpbrk(text, ".eE"))
        return json_integer(strtoll(text, NULL, 10));
    return json_real(strtod(text, NULL));
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Python's int(str): surrounding whitespace, a sign, digits with single
 * underscores between them. */
static int parse_int(const char *s, long long *out)
{
    char digits[64];
    size_t n = 0;
    while (is_space(*s))
        s++;
    if (*s == '+' || *s == '-')
        digits[n++] = *s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; *s; s++) {
        if (*s == '_' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[-1]))
            continue;
        if (!isdigit((unsigned char)*s))
            break;
        if (n + 1 >= sizeof digits)
            return -1;
        digits[n++] = *s;
    }
    while (is_space(*s))
        s++;
    if (*s)
        return -1;
    digits[n] = '\0';
    errno = 0;
    *out = strtoll(digits, NULL, 10);
    return errno ? -1 : 0;
}

/* Python's float(str): decimal or exponent forms with single underscores between
 * digits, inf/infinity/nan, whitespace; not C's hex floats. */
static int parse_float(const char *s, double *out)
{
    char text[128];
    size_t n = 0;
    while (is_space(*s))
        s++;
    if (!*s || strpbrk(s, "xX("))
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '_' && p > s && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]))
            continue;
        if (*p == '_' || n + 1 >= sizeof text)
            return -1;
        text[n++] = *p;
    }
    text[n] = '\0';
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    if (end == text)
        return -1;
    while (is_space(*end))
        end++;
    return *end ? -1 : 0;
}

/* pydantic v1's bool from a string. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "on", "t", "true", "y", "yes"};
    static const char *const no[] = {"0", "off", "f", "false", "n", "no"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = true, 0;
        if (!strcasecmp(s, no[i]))
            return *out = false, 0;
    }
    return -1;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static void check_bounds(error_list *errors, const fc_api_param *p, double v)
{
    char msg[128];
    if (p->ge && !(v >= strtod(p->ge, NULL))) {
        snprintf(msg, sizeof msg, "ensure this value is greater than or equal to %s", p->ge);
        add_error_ctx(errors, p, msg, "value_error.number.not_ge",
                      json_pack("{s:o}", "limit_value", bound_json(p, p->ge)));
    } else if (p->le && !(v <= strtod(p->le, NULL))) {
        snprintf(msg, sizeof msg, "ensure this value is less than or equal to %s", p->le);
        add_error_ctx(errors, p, msg, "value_error.number.not_le",
                      json_pack("{s:o}", "limit_value", bound_json(p, p->le)));
    }
}

/* Parameters' patterns, each compiled once for the process (the route table's are
 * few and fixed): compiling one per request cost time, and glibc's regcomp leaks a
 * block when it runs out of memory (calc_eclosure_iter returns without freeing its
 * closure set when duplicate_node_closure fails). glibc's regexec locks a shared
 * regex_t, so threads may share one. */
#define MAX_PATTERNS 8
static pthread_mutex_t patterns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *text; /* the route table's string: compared by address */
    regex_t re;
} patterns[MAX_PATTERNS];
static int n_patterns;

/* Searches value for pattern (POSIX extended): 0 when found, REG_NOMATCH,
 * REG_ESPACE when out of memory, or regcomp's error for a bad pattern. */
static int pattern_match(const char *pattern, const char *value)
{
    const regex_t *re = NULL;
    int rc = 0;
    pthread_mutex_lock(&patterns_lock);
    for (int i = 0; i < n_patterns && !re; i++)
        if (patterns[i].text == pattern)
            re = &patterns[i].re;
    if (!re && n_patterns < MAX_PATTERNS &&
        !(rc = regcomp(&patterns[n_patterns].re, pattern, REG_EXTENDED | REG_NOSUB))) {
        patterns[n_patterns].text = pattern;
        re = &patterns[n_patterns++].re;
    }
    pthread_mutex_unlock(&patterns_lock);
    if (re)
        return regexec(re, value, 0, NULL, 0);
    if (rc)
        return rc;
    regex_t once; /* more patterns than places: compiled for this call */
    if ((rc = regcomp(&once, pattern, REG_EXTENDED | REG_NOSUB)))
        return rc;
    rc = regexec(&once, value, 0, NULL, 0);
    regfree(&once);
    return rc;
}

static void check_string(error_list *errors, const fc_api_param *p, const fc_api_value *v)
{
    if (strlen(v->text) != v->len && p->check == FC_API_CHECK_NONE) {
        add_error(errors, p, "string contains a NUL character", "value_error.str.nul", NULL);
        return;
    }
    if (p->max_length > 0 && utf8_chars(v->text, v->len) > (size_t)p->max_length) {
        char msg[96];
        snprintf(msg, sizeof msg, "ensure this value has at most %d characters", p->max_length);
        add_error_ctx(errors, p, msg, "value_error.any_str.max_length",
                      json_pack("{s:i}", "limit_value", p->max_length));
        return;
    }
    if (p->pattern) {
        int bad = pattern_match(p->pattern, v->text);
        if (bad == REG_ESPACE) { /* out of memory: no verdict on the value */
            errors->nomem = true;
        } else if (bad) {
            char msg[512];
            snprintf(msg, sizeof msg, "string does not match regex \"%s\"", p->pattern);
            add_error_ctx(errors, p, msg, "value_error.str.regex",
                          json_pack("{s:s}", "pattern", p->pattern));
        }
    }
}

/* pydantic v1's error for a value that is not of the parameter's type. */
static const struct {
    const char *msg, *type;
} type_errors[] = {
    [FC_API_STRING] = {"str type expected", "type_error.str"},
    [FC_API_INT] = {"value is not a valid integer", "type_error.integer"},
    [FC_API_FLOAT] = {"value is not a valid float", "type_error.float"},
    [FC_API_BOOL] = {"value could not be parsed to a boolean", "type_error.bool"},
    [FC_API_FILE] = {"Expected UploadFile, received: <class 'str'>", "value_error"},
};

static void add_type_error(error_list *errors, const fc_api_param *p)
{
    add_error(errors, p, type_errors[p->type].msg, type_errors[p->type].type, NULL);
}

/* Converts text (given or default) to the parameter's type; adds an error when
 * it does not convert (a default always converts). */
static void convert(error_list *errors, const fc_api_param *p, fc_api_value *v)
{
    switch (p->type) {
    case FC_API_STRING:
        if (v->present)
            check_string(errors, p, v);
        break;
    case FC_API_INT:
        if (parse_int(v->text, &v->i))
            add_type_error(errors, p);
        else if (v->present)
            check_bounds(errors, p, (double)v->i);
        v->f = (double)v->i;
        break;
    case FC_API_FLOAT:
        if (parse_float(v->text, &v->f))
            add_type_error(errors, p);
        else if (!isfinite(v->f)) /* nan, inf, 1e400: no threshold, and no JSON number */
            add_error(errors, p, "ensure this value is a finite number",
                      "value_error.number.not_finite_number", NULL);
        else if (v->present)
            check_bounds(errors, p, v->f);
        break;
    case FC_API_BOOL:
        if (parse_bool(v->text, &v->b))
            add_type_error(errors, p);
        break;
    case FC_API_FILE:
        break;
    }
}

/* The path value of parameter p: its position among the pattern's {params}. */
static int path_slot(const fc_api_route *route, const char *name)
{
    int slot = 0;
    size_t n = strlen(name);
    for (const char *s = strchr(route->pattern, '{'); s; s = strchr(s + 1, '{'), slot++)
        if (!strncmp(s + 1, name, n) && s[1 + n] == '}')
            return slot;
    return -1;
}

/* Finds what the client sent for p; returns 0 when absent. */
static int lookup(const fc_api_request *req, const fc_api_param *p, fc_api_value *v,
                  const fc_api_part **part)
{
    *part = NULL;
    if (p->in == FC_API_IN_PATH) {
        int slot = path_slot(req->match.route, p->name);
        if (slot < 0 || slot >= req->match.n_values)
            return 0;
        v->text = req->match.values[slot];
        v->len = req->match.lengths[slot];
        return 1;
    }
    if (p->in == FC_API_IN_QUERY) {
        for (int i = req->n_query - 1; i >= 0; i--) /* the last one wins, as in Starlette */
            if (!strcmp(req->query_kv[i].name, p->name)) {
                v->text = req->query_kv[i].value;
                v->len = req->query_kv[i].value_len;
                return 1;
            }
        return 0;
    }
    for (int i = req->n_parts - 1; i >= 0; i--)
        if (!strcmp(req->parts[i].name, p->name)) {
            *part = &req->parts[i];
            v->text = (const char *)req->parts[i].data;
            v->len = req->parts[i].size;
            /* FastAPI: an empty form value is no value (files included) */
            return req->parts[i].filename || v->len > 0;
        }
    return 0;
}

static void validate_one(const fc_api_request *req, const fc_api_param *p, fc_api_value *v,
                         error_list *errors)
{
    const fc_api_part *part;
    memset(v, 0, sizeof *v);
    if (!lookup(req, p, v, &part)) {
        memset(v, 0, sizeof *v);
        if (p->required) {
            add_error(errors, p, "field required", "value_error.missing", NULL);
        } else if (p->def) {
            v->text = p->def;
            v->len = strlen(p->def);
            convert(errors, p, v);
        }
        return;
    }
    v->present = true;
    /* a plain value sent as a file part (one with a filename) is an UploadFile to
       pydantic, which no str, int, float or bool validator takes; and the reverse */
    if ((p->type == FC_API_FILE) != (part && part->filename)) {
        add_type_error(errors, p);
        return;
    }
    if (p->type == FC_API_FILE) {
        v->upload = (fc_api_upload){part->data, part->size, part->filename,
                                    part->content_type ? part->content_type : ""};
        return;
    }
    convert(errors, p, v);
}

/* API.md's 400 rules, for values the client gave. Returns 0 or answers 400. */
static int check_names(const fc_api_route *route, const fc_api_value *values,
                       fc_api_response *res)
{
    for (int i = 0; i < route->n_params; i++) {
        const fc_api_param *p = &route->params[i];
        const fc_api_value *v = &values[i];
        if (!v->present || p->check == FC_API_CHECK_NONE)
            continue;
        if (p->check == FC_API_CHECK_BUCKET && !fc_api_valid_bucket(v->text, v->len)) {
            fc_api_res_detail(res, 400,
                              "Invalid %s: use 1 to 128 of A-Z a-z 0-9 . _ - (not . or ..)",
                              p->name);
            return res->status; /* 500 if the answer could not be made */
        }
        if (p->check == FC_API_CHECK_OBJECT_ID && !fc_api_valid_object_id(v->text, v->len)) {
            fc_api_res_detail(res, 400, "Invalid %s format", p->name);
            return res->status;
        }
        if (p->check == FC_API_CHECK_USER_ID && !fc_api_valid_user_id(v->text, v->len)) {
            fc_api_res_detail(res, 400,
                              "Invalid user ID format. Use alphanumeric characters with .-_@ only");
            return res->status;
        }
    }
    return 0;
}

int fc_api_validate(fc_api_request *req, fc_api_response *res)
{
    const fc_api_route *route = req->match.route;
    free(req->values);
    req->values = calloc((size_t)route->n_params + 1, sizeof *req->values);
    error_list errors = {json_array(), false};
    if (!req->values || !errors.list) {
        json_decref(errors.list);
        fc_api_res_detail(res, 500, "out of memory");
        return 500;
    }
    static const fc_api_in order[] = {FC_API_IN_PATH, FC_API_IN_QUERY, FC_API_IN_FORM};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (int i = 0; i < route->n_params; i++)
            if (route->params[i].in == order[k])
                validate_one(req, &route->params[i], &req->values[i], &errors);
    if (errors.nomem) {
        json_decref(errors.list);
        fc_api_res_detail(res, 500, "out of memory");
        return 500;
    }
    if (json_array_size(errors.list)) {
        fc_api_res_validation(res, errors.list);
        return res->status; /* 422, or 500 if the answer could not be made */
    }
    json_decref(errors.list);
    return check_names(route, req->values, res);
}
