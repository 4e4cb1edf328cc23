/* assets.h - where the Swagger UI and ReDoc files are, and which names may be
 * served from there. */
#ifndef FC_API_ASSETS_H
#define FC_API_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

/* Finds swagger-ui-dist/ and redoc/bundles/ in the first folder that has either:
 * configured (FC_WEB_ASSETS; then only there), $FC_ROOT/node_modules, the
 * binary's ../node_modules and ../../node_modules (build/ and build/asan/ in the
 * repo), ./node_modules. Sets each to a malloc'd real path, or NULL. */
void fc_api_assets_find(const char *configured, char **swagger_dir, char **redoc_dir);

/* Whether name (len bytes) may be served: one segment of 1..128 characters from
 * [A-Za-z0-9._-], not starting with '.'. */
bool fc_api_asset_name_ok(const char *name, size_t len);

#endif
