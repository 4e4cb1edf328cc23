/* docs.h - the OpenAPI 3 description rendered from the route table, as FastAPI
 * would render it for the same routes (operation ids, titles, 422 schemas). */
#ifndef FC_API_DOCS_H
#define FC_API_DOCS_H

#include "api/routes.h"

#include <jansson.h>

#define FC_API_TITLE "Face Recognition & Clustering API"

/* The OpenAPI document for the routes not flagged FC_API_HIDDEN; NULL when out of
 * memory. Caller owns the reference. */
json_t *fc_api_openapi(const fc_api_route *routes, int n_routes);

#endif
