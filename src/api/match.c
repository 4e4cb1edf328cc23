/* match.c - matching a request path against the route table (fixed segments
 * before {params}, per-segment percent-decoding) and API.md's name rules. */
#include "api/routes.h"

#include "core/ids.h"
#include "core/pct.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[FC_API_METHOD_COUNT] = {
    [FC_API_GET] = "GET",
    [FC_API_POST] = "POST",
    [FC_API_PUT] = "PUT",
    [FC_API_DELETE] = "DELETE",
};

const char *fc_api_method_name(fc_api_method m)
{
    return (unsigned)m < FC_API_METHOD_COUNT ? method_names[m] : "?";
}

static int method_of(const char *method)
{
    if (!strcmp(method, "HEAD"))
        return FC_API_GET;
    for (int m = 0; m < FC_API_METHOD_COUNT; m++)
        if (!strcmp(method, method_names[m]))
            return m;
    return -1;
}

typedef struct {
    int n;
    const char *seg[FC_API_MAX_SEGMENTS]; /* decoded, NUL-terminated */
    size_t len[FC_API_MAX_SEGMENTS];
} segments;

/* Splits path (starting with '/') into decoded segments stored in buf. Returns 0,
 * or -1 for too many segments. */
static int split(const char *path, char *buf, segments *s)
{
    s->n = 0;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t raw = slash ? (size_t)(slash - p) : strlen(p);
        if (s->n == FC_API_MAX_SEGMENTS)
            return -1;
        s->len[s->n] = fc_pct_decode(p, raw, 0, buf);
        s->seg[s->n++] = buf;
        buf += s->len[s->n - 1] + 1;
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

/* Whether route's pattern fits the segments; *score ranks fixed segments early. */
static int fits(const char *pattern, const segments *s, unsigned *score)
{
    const char *p = pattern + 1;
    *score = 0;
    for (int i = 0; i < s->n; i++) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!slash && i + 1 < s->n)
            return 0;
        if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
            if (!s->len[i]) /* a {param} is one or more characters, as in Starlette */
                return 0;
        } else {
            if (n != s->len[i] || memcmp(p, s->seg[i], n))
                return 0;
            *score |= 1u << (FC_API_MAX_SEGMENTS - 1 - i);
        }
        if (!slash)
            return i + 1 == s->n;
        p = slash + 1;
    }
    return 0;
}

static void add_allow(char *allow, size_t cap, const char *m)
{
    if (strstr(allow, m))
        return;
    size_t used = strlen(allow);
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", m);
}

fc_api_match_result fc_api_route_match(const fc_api_route *routes, int n_routes,
                                       const char *method, const char *path, fc_api_match *out)
{
    memset(out, 0, sizeof *out);
    if (!path || path[0] != '/')
        return FC_API_MATCH_NOT_FOUND;
    size_t plen = strlen(path);
    char *buf = malloc(plen + FC_API_MAX_SEGMENTS + 1);
    segments s;
    if (!buf)
        return FC_API_MATCH_NOMEM;
    if (split(path, buf, &s)) {
        free(buf);
        return FC_API_MATCH_NOT_FOUND;
    }
    int want = method_of(method), best = -1;
    unsigned best_score = 0, methods = 0;
    for (int r = 0; r < n_routes; r++) {
        unsigned score;
        if (!fits(routes[r].pattern, &s, &score))
            continue;
        methods |= 1u << routes[r].method;
        if ((int)routes[r].method == want && (best < 0 || score > best_score))
            best = r, best_score = score;
    }
    fc_api_match_result result = FC_API_MATCH_NOT_FOUND;
    if (best >= 0) {
        result = FC_API_MATCH_OK;
        out->route = &routes[best];
        const char *p = routes[best].pattern + 1;
        for (int i = 0; i < s.n; i++) {
            const char *slash = strchr(p, '/');
            if (*p == '{') {
                char *v = malloc(s.len[i] + 1);
                if (!v) {
                    fc_api_match_free(out);
                    result = FC_API_MATCH_NOMEM;
                    break;
                }
                memcpy(v, s.seg[i], s.len[i] + 1);
                out->lengths[out->n_values] = s.len[i];
                out->values[out->n_values++] = v;
            }
            p = slash ? slash + 1 : "";
        }
    } else if (methods) {
        result = FC_API_MATCH_BAD_METHOD;
        for (int m = 0; m < FC_API_METHOD_COUNT; m++) {
            if (!(methods & (1u << m)))
                continue;
            add_allow(out->allow, sizeof out->allow, method_names[m]);
            if (m == FC_API_GET)
                add_allow(out->allow, sizeof out->allow, "HEAD");
        }
    }
    free(buf);
    return result;
}

void fc_api_match_free(fc_api_match *m)
{
    for (int i = 0; i < m->n_values; i++)
        free(m->values[i]);
    memset(m, 0, sizeof *m);
}

int fc_api_param_index(const fc_api_route *route, const char *name)
{
    for (int i = 0; i < route->n_params; i++)
        if (!strcmp(route->params[i].name, name))
            return i;
    return -1;
}

bool fc_api_valid_bucket(const char *name, size_t len)
{
    if (len < 1 || len > 128 || strlen(name) != len)
        return false;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

bool fc_api_valid_object_id(const char *id, size_t len)
{
    if (len != 24 || strlen(id) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)id[i]))
            return false;
    return true;
}

/* The rule of the jobs and the CLI (core/ids.h): Python's \w, Unicode letters too. */
bool fc_api_valid_user_id(const char *id, size_t len)
{
    return strlen(id) == len && fc_user_id_valid(id);
}
