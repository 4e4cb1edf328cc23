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
fc_api_handler fc_api_detect_face;      /* POST /detect-face */
fc_api_handler fc_api_update_face;      /* PUT /update-face/{user_id} */
fc_api_handler fc_api_debug_profiles;   /* GET /debug-profiles */
fc_api_handler fc_api_debug_profile;    /* GET /debug-profile/{user_id} */
fc_api_handler fc_api_delete_profile;   /* DELETE /debug-profile/{user_id} */

/* debug.c */
fc_api_handler fc_api_list_avatars;     /* GET /debug/list-avatars */

/* jobs.c */
fc_api_handler fc_api_get_job;          /* GET /jobs/{job_id} */
fc_api_handler fc_api_cancel_job;       /* DELETE /jobs/{job_id} */

/* clustering.c */
fc_api_handler fc_api_cluster_bucket;   /* POST /cluster-bucket-persons/{b}/{s} (+ alias) */
fc_api_handler fc_api_cluster_status;   /* GET /person-cluster-status/{b}/{s} */
fc_api_handler fc_api_person_details;   /* GET /person-details/{b}/{s}/{person_id} */
fc_api_handler fc_api_cleanup_person_data; /* DELETE /cleanup-person-data/{b}/{s} */
fc_api_handler fc_api_verify_storage;   /* GET /verify-storage/{b}/{s} */

/* assignments.c */
fc_api_handler fc_api_assign_run;       /* POST /assignments/{b}/{s} */
fc_api_handler fc_api_assign_batch;     /* POST /assignments/batch */
fc_api_handler fc_api_get_assignments;  /* GET /assignments/{b}/{s} */
fc_api_handler fc_api_user_assignments; /* GET /assignments/user/{user_id} */
fc_api_handler fc_api_delete_assignments; /* DELETE /assignments/clustering/{id} */
fc_api_handler fc_api_debug_collections;  /* GET /assignments/debug/collections */
fc_api_handler fc_api_debug_collection;   /* GET /assignments/debug/collection/{name} */
fc_api_handler fc_api_test_db_connection; /* GET /assignments/debug/test-db-connection */

#endif
