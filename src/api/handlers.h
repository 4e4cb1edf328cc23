/* handlers.h - every route handler of the table in routes.c, by the file that
 * holds it. A route whose resource is not written yet points at
 * fc_api_not_implemented (`grep -n fc_api_not_implemented src/api/routes.c` lists
 * them): give it its own handler here and in the row. */
#ifndef FC_API_HANDLERS_H
#define FC_API_HANDLERS_H

#include "api/http.h"

/* service.c */
fc_api_handler fc_api_health;           /* GET /health */
fc_api_handler fc_api_metrics;          /* GET /metrics */
/* 501 {"detail":"not implemented yet"}, after the request passed validation:
 * the placeholder of every route whose handler is still to be written. */
fc_api_handler fc_api_not_implemented;

/* docs.c */
fc_api_handler fc_api_openapi_json;     /* GET /openapi.json */
fc_api_handler fc_api_swagger_ui;       /* GET /docs */
fc_api_handler fc_api_redoc;            /* GET /redoc */

/* assets.c: files of the npm packages swagger-ui-dist and redoc */
fc_api_handler fc_api_swagger_asset;    /* GET /static/swagger-ui/{file} */
fc_api_handler fc_api_redoc_asset;      /* GET /static/redoc/{file} */
fc_api_handler fc_api_swagger_oauth2_redirect; /* GET /docs/oauth2-redirect */

/* profiles.c */
fc_api_handler fc_api_debug_quality_settings; /* GET /debug-quality-settings */

#endif
