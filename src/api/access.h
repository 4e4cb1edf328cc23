/* access.h - API keys and CORS: comma-separated lists from API_KEYS and
 * CORS_ORIGINS, the key check, and the CORS headers of answers and preflights. */
#ifndef FC_API_ACCESS_H
#define FC_API_ACCESS_H

#include "api/internal.h"

#include <stdbool.h>

typedef struct {
    char **items;
    int n;
    bool any; /* one item is "*" */
} fc_api_list;

/* Splits csv at ',' (items trimmed, empty ones skipped); NULL gives an empty list.
 * Returns 0, or -1 when out of memory. Free with fc_api_list_free. */
int fc_api_list_parse(fc_api_list *list, const char *csv);
void fc_api_list_free(fc_api_list *list);

/* Whether given (the X-API-Key header, may be NULL) is one of keys; an empty list
 * lets everyone in. Time does not depend on how much of a key matched. */
bool fc_api_key_ok(const fc_api_list *keys, const char *given);

/* Adds the CORS headers for a request that sent Origin origin (NULL: none). An
 * empty origins list means "*". */
void fc_api_cors_headers(const fc_api_list *origins, const char *origin, fc_api_response *res);

/* A preflight is OPTIONS with Origin and Access-Control-Request-Method. */
bool fc_api_cors_is_preflight(const char *method, const char *origin, const char *request_method);
/* The answer to a preflight: 200 "OK" with the allow headers, or 400 "Disallowed
 * CORS origin". */
void fc_api_cors_preflight(const fc_api_list *origins, const char *origin,
                           const char *request_headers, fc_api_response *res);

#endif
