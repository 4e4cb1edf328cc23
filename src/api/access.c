/* access.c - who may call: API keys (X-API-Key) and CORS, as Starlette's
 * CORSMiddleware answers with allow_methods/allow_headers "*" and credentials. */
#include "api/access.h"

#include <stdlib.h>
#include <string.h>

int fc_api_list_parse(fc_api_list *list, const char *csv)
{
    memset(list, 0, sizeof *list);
    if (!csv)
        return 0;
    const char *p = csv;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == start)
            continue;
        char **items = realloc(list->items, ((size_t)list->n + 1) * sizeof *items);
        char *item = malloc((size_t)(end - start) + 1);
        if (items)
            list->items = items;
        if (!items || !item) {
            free(item);
            fc_api_list_free(list);
            return -1;
        }
        memcpy(item, start, (size_t)(end - start));
        item[end - start] = '\0';
        if (!strcmp(item, "*"))
            list->any = true;
        list->items[list->n++] = item;
    }
    return 0;
}

void fc_api_list_free(fc_api_list *list)
{
    for (int i = 0; i < list->n; i++)
        free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* Compares without an early exit, so the time taken does not tell how much of a
 * key was right. */
static bool same_secret(const char *given, const char *key)
{
    size_t n = strlen(given), m = strlen(key);
    unsigned char diff = n != m;
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned char)key[i] ^ (unsigned char)(i < n ? given[i] : 0);
    return diff == 0;
}

bool fc_api_key_ok(const fc_api_list *keys, const char *given)
{
    bool ok = false;
    if (!keys->n)
        return true;
    if (!given || !*given)
        return false;
    for (int i = 0; i < keys->n; i++)
        ok |= same_secret(given, keys->items[i]);
    return ok;
}

static bool origin_allowed(const fc_api_list *origins, const char *origin)
{
    if (!origins->n || origins->any)
        return true;
    for (int i = 0; i < origins->n; i++)
        if (!strcmp(origins->items[i], origin))
            return true;
    return false;
}

void fc_api_cors_headers(const fc_api_list *origins, const char *origin, fc_api_response *res)
{
    if (!origin || !*origin)
        return;
    if (!origins->n || origins->any) {
        fc_api_res_header(res, "Access-Control-Allow-Origin", "*");
    } else if (origin_allowed(origins, origin)) {
        fc_api_res_header(res, "Access-Control-Allow-Origin", origin);
        fc_api_res_header(res, "Access-Control-Allow-Credentials", "true");
        fc_api_res_header(res, "Vary", "Origin");
    }
}

bool fc_api_cors_is_preflight(const char *method, const char *origin, const char *request_method)
{
    return !strcmp(method, "OPTIONS") && origin && *origin && request_method && *request_method;
}

void fc_api_cors_preflight(const fc_api_list *origins, const char *origin,
                           const char *request_headers, fc_api_response *res)
{
    if (!origin_allowed(origins, origin)) {
        static const char no[] = "Disallowed CORS origin";
        fc_api_res_bytes(res, 400, "text/plain; charset=utf-8", no, sizeof no - 1);
        fc_api_res_header(res, "Vary", "Origin");
        return;
    }
    fc_api_res_bytes(res, 200, "text/plain; charset=utf-8", "OK", 2);
    bool any = !origins->n || origins->any;
    fc_api_res_header(res, "Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any)
        fc_api_res_header(res, "Access-Control-Allow-Credentials", "true");
    fc_api_res_header(res, "Access-Control-Allow-Methods",
                      "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
    if (request_headers && *request_headers)
        fc_api_res_header(res, "Access-Control-Allow-Headers", request_headers);
    fc_api_res_header(res, "Access-Control-Max-Age", "600");
    fc_api_res_header(res, "Vary", "Origin");
}
