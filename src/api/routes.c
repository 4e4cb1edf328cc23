/* routes.c - the route table: every route of API.md, one row each, with its full
 * parameter schema. Rows whose handler is fc_api_not_implemented answer 501 after
 * validation until their resource file is written. Order does not matter for
 * matching (fixed segments win, see match.c); it is the order of /openapi.json. */
#include "api/handlers.h"
#include "api/routes.h"

#define TAG_SERVICE "Service"
#define TAG_PROFILES "User profiles"
#define TAG_CLUSTERING "Person clustering"
#define TAG_JOBS "Jobs"
#define TAG_ASSIGNMENTS "Assignments"

/* Parameters shared by many routes. */
#define P_BUCKET                                                                        \
    {"bucket_name", FC_API_IN_PATH, FC_API_STRING, .required = true,                     \
     .check = FC_API_CHECK_BUCKET,                                                       \
     .description = "Bucket (top-level prefix): [A-Za-z0-9._-]{1,128}, not . or .."}
#define P_SUB_BUCKET                                                                    \
    {"sub_bucket", FC_API_IN_PATH, FC_API_STRING, .required = true,                      \
     .check = FC_API_CHECK_BUCKET,                                                       \
     .description = "Sub-bucket (second-level prefix): [A-Za-z0-9._-]{1,128}, not . or .."}
#define Q_CLUSTERING_ID(req_, what_)                                                    \
    {"clustering_id", FC_API_IN_QUERY, FC_API_STRING, .required = req_,                \
     .check = FC_API_CHECK_OBJECT_ID, .description = what_}
#define Q_COLLECTION                                                                    \
    {"collection_name", FC_API_IN_QUERY, FC_API_STRING,                                  \
     .description = "Clustering collection; default: person_clustering_{norm(bucket_sub)}"}
#define Q_BOOL(name_, def_, what_) {name_, FC_API_IN_QUERY, FC_API_BOOL, .def = def_, .description = what_}
#define Q_THRESHOLD                                                                     \
    {"threshold", FC_API_IN_QUERY, FC_API_FLOAT, .def = "0.65", .ge = "0.0", .le = "1.0",  \
     .description = "Minimum cosine similarity between a person and a user"}
#define Q_STRATEGY                                                                      \
    {"strategy", FC_API_IN_QUERY, FC_API_STRING, .def = "centroid",                      \
     .pattern = "^(centroid|vote)$",                                                     \
     .description = "centroid: each user against the normalised mean of the cluster; "   \
                    "vote: every face votes for its best user, the majority wins"}
#define F_QUALITY                                                                       \
    {"min_face_size", FC_API_IN_FORM, FC_API_INT, .def = "30",                           \
     .description = "Smallest face side in pixels"},                                     \
    {"min_confidence", FC_API_IN_FORM, FC_API_FLOAT, .def = "0.4",                       \
     .description = "Smallest detector confidence"},                                     \
    {"blur_threshold", FC_API_IN_FORM, FC_API_FLOAT, .def = "50",                        \
     .description = "Smallest variance of the Laplacian (sharpness)"}
#define F_IMAGE                                                                         \
    {"file", FC_API_IN_FORM, FC_API_FILE, .required = true,                              \
     .description = "Image with exactly one face (JPEG, PNG, WebP, HEIC, ...)"}
#define CLUSTER_PARAMS                                                                  \
    PARAMS(P_BUCKET, P_SUB_BUCKET,                                                       \
           {"max_images", FC_API_IN_QUERY, FC_API_INT,                                   \
            .description = "Process at most this many images; null or <= 0: all"},       \
           {"batch_size", FC_API_IN_QUERY, FC_API_INT, .def = "30", .ge = "1", .le = "50", \
            .description = "Images per pipeline batch"},                                 \
           Q_BOOL("skip_quality_filter", "false", "Keep faces that fail the quality checks"), \
           {"max_concurrent", FC_API_IN_QUERY, FC_API_INT, .def = "12", .ge = "1",        \
            .le = "20", .description = "Images fetched and decoded concurrently"},        \
           Q_BOOL("wait", "true",                                                        \
                  "true: answer when done (200); false: answer 202 with a job at once"), \
           Q_BOOL("resume", "false", "Extension: continue the bucket's latest interrupted " \
                  "run (or clustering_id's) instead of starting a new one; its stored "    \
                  "images are not read again"),                                           \
           Q_CLUSTERING_ID(false, "With resume=true: the interrupted run to continue"),    \
           Q_BOOL("incremental", "false", "Extension: a new run that extends the "        \
                  "bucket's latest finished run with the images added since (its "         \
                  "persons keep their ids)"))
#define CLUSTER_ERRORS                                                                  \
    ERRORS({202, "wait=false: {job_id, clustering_id, status_url}"},                     \
           {400, "Invalid bucket or sub-bucket name; resume with incremental"},          \
           {404, "No valid images found under bucket/sub_bucket/; no run to resume or "   \
                 "extend"},                                                               \
           {409, "A run of the bucket is in progress; clustering_id is not interrupted"}, \
           {503, "The store or the image source cannot be reached or written"})

const fc_api_route fc_api_routes[] = {
    /* --- service ------------------------------------------------------------- */
    {FC_API_GET, "/health", fc_api_health, .name = "health_check", .tag = TAG_SERVICE,
     .returns = "{status, database, vector_store, version, beanie_database, "
                "mongoengine_database, error?}; always 200",
     .flags = FC_API_PUBLIC},
    {FC_API_GET, "/openapi.json", fc_api_openapi_json, .name = "openapi",
     .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/docs", fc_api_swagger_ui, .name = "swagger_ui_html",
     .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/docs/oauth2-redirect", fc_api_swagger_oauth2_redirect,
     .name = "swagger_ui_redirect", .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/redoc", fc_api_redoc, .name = "redoc_html",
     .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/static/swagger-ui/{file}", fc_api_swagger_asset, .name = "swagger_asset",
     PARAMS({"file", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/static/redoc/{file}", fc_api_redoc_asset, .name = "redoc_asset",
     PARAMS({"file", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     .flags = FC_API_PUBLIC | FC_API_HIDDEN},
    {FC_API_GET, "/metrics", fc_api_metrics, .name = "metrics", .tag = TAG_SERVICE,
     .description = "Prometheus text format: request counts and latency by route and "
                    "status, and what other modules register (jobs, faces, model latency).",
     .returns = "Prometheus text exposition format 0.0.4", .media = "text/plain"},
    {FC_API_GET, "/debug/list-avatars", fc_api_list_avatars, .name = "list_avatars",
     .tag = TAG_SERVICE,
     .returns = "{files: [key, ...]}: every image key under usersAvatars/ of the source"},

    /* --- user profiles --------------------------------------------------------- */
    {FC_API_POST, "/detect-face", fc_api_detect_face, .name = "detect_face",
     .tag = TAG_PROFILES,
     .description = "Creates or replaces the user's profile from the single face in the image.",
     .returns = "{user_id, has_face, message, face_quality?, confidence?, reason, debug_info?}",
     PARAMS({"user_id", FC_API_IN_FORM, FC_API_STRING, .required = true,
             .check = FC_API_CHECK_USER_ID,
             .description = "Letters, digits and . - _ @; 1 to 64 characters"},
            F_IMAGE, F_QUALITY),
     ERRORS({400, "Invalid user id, empty file or undecodable image"},
            {413, "File larger than MAX_IMAGE_SIZE_BYTES"},
            {503, "Database save failed"})},
    {FC_API_PUT, "/update-face/{user_id}", fc_api_update_face, .name = "update_face",
     .tag = TAG_PROFILES, .description = "Creates or replaces the user's profile (upsert).",
     .returns = "{user_id, has_face, message, face_quality?, confidence?, reason, debug_info?}",
     PARAMS({"user_id", FC_API_IN_PATH, FC_API_STRING, .required = true,
             .check = FC_API_CHECK_USER_ID,
             .description = "Letters, digits and . - _ @; 1 to 64 characters"},
            F_IMAGE, F_QUALITY),
     ERRORS({400, "Invalid user id, empty file or undecodable image"},
            {413, "File larger than MAX_IMAGE_SIZE_BYTES"},
            {503, "Database save failed"})},
    {FC_API_GET, "/debug-quality-settings", fc_api_debug_quality_settings,
     .name = "debug_quality_settings", .tag = TAG_PROFILES,
     .returns = "Default quality thresholds, what they mean, and suggested presets"},
    {FC_API_GET, "/debug-profiles", fc_api_debug_profiles, .name = "debug_profiles",
     .tag = TAG_PROFILES,
     .returns = "{total_profiles, profiles: [{user_id, embedding_size, confidence, "
                "quality_score, created_at, updated_at, has_bbox}]}",
     PARAMS({"limit", FC_API_IN_QUERY, FC_API_INT, .def = "10",
             .description = "Profiles to list"})},
    {FC_API_GET, "/debug-profile/{user_id}", fc_api_debug_profile, .name = "debug_profile",
     .tag = TAG_PROFILES, .returns = "{user_id, exists: true, profile: {...}}",
     PARAMS({"user_id", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     ERRORS({404, "Profile not found"})},
    {FC_API_DELETE, "/debug-profile/{user_id}", fc_api_delete_profile,
     .name = "delete_profile", .tag = TAG_PROFILES,
     .returns = "{user_id, deleted: true, message}",
     PARAMS({"user_id", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     ERRORS({404, "Profile not found"})},

    /* --- person clustering ------------------------------------------------------ */
    {FC_API_POST, "/cluster-bucket-persons/{bucket_name}/{sub_bucket}", fc_api_cluster_bucket,
     .name = "cluster_bucket_persons", .tag = TAG_CLUSTERING,
     .description = "Finds every face in the images under {bucket}/{sub}/, groups them "
                    "into persons, stores the run and returns it.",
     .returns = "{bucket, person_clusters, unassigned, timestamp, stats}",
     CLUSTER_PARAMS, CLUSTER_ERRORS},
    {FC_API_POST, "/cluster-bucket-with-db/{bucket_name}/{sub_bucket}", fc_api_cluster_bucket,
     .name = "cluster_bucket_with_db", .tag = TAG_CLUSTERING,
     .description = "Deprecated alias of /cluster-bucket-persons/{bucket_name}/{sub_bucket}.",
     .returns = "{bucket, person_clusters, unassigned, timestamp, stats}",
     CLUSTER_PARAMS, CLUSTER_ERRORS, .flags = FC_API_DEPRECATED},
    {FC_API_GET, "/person-cluster-status/{bucket_name}/{sub_bucket}", fc_api_cluster_status,
     .name = "person_cluster_status", .tag = TAG_CLUSTERING,
     .returns = "One run (clustering_id given, or a single run), or the list of runs",
     PARAMS(P_BUCKET, P_SUB_BUCKET,
            Q_CLUSTERING_ID(false, "Run to show (24 hex digits); default: all runs"),
            Q_COLLECTION,
            Q_BOOL("show_details", "false", "Include sample image paths and all clusters")),
     ERRORS({400, "Invalid clustering_id format or bucket name"},
            {404, "No such run, or no runs for the bucket"})},
    {FC_API_GET, "/person-details/{bucket_name}/{sub_bucket}/{person_id}",
     fc_api_person_details, .name = "person_details", .tag = TAG_CLUSTERING,
     .returns = "{person_id, clustering_id, total_appearances, owner_face, all_appearances, "
                "image_paths, avg_confidence, best_quality, embeddings_in_qdrant}",
     PARAMS(P_BUCKET, P_SUB_BUCKET,
            {"person_id", FC_API_IN_PATH, FC_API_STRING, .required = true},
            Q_CLUSTERING_ID(false, "Run (24 hex digits); default: the latest run")),
     ERRORS({400, "Invalid clustering_id format or bucket name"},
            {404, "Person not found in bucket/sub_bucket"})},
    {FC_API_DELETE, "/cleanup-person-data/{bucket_name}/{sub_bucket}", fc_api_cleanup_person_data,
     .name = "cleanup_person_data", .tag = TAG_CLUSTERING,
     .description = "Deletes a run's assignments, vectors, face rows and run document.",
     .returns = "{clustering_id, bucket_path, collection_name, dry_run, cleanup_steps, "
                "errors, summary}",
     PARAMS(P_BUCKET, P_SUB_BUCKET, Q_CLUSTERING_ID(true, "Run to delete (24 hex digits)"),
            Q_COLLECTION,
            Q_BOOL("cleanup_assignments", "true", "Delete the run's cluster assignments"),
            Q_BOOL("cleanup_qdrant", "true", "Delete the run's vectors"),
            Q_BOOL("dry_run", "false", "Count what would be deleted, delete nothing")),
     ERRORS({400, "Invalid clustering_id format or bucket name"}, {404, "No such run"},
            {409, "The run is still running"})},
    {FC_API_GET, "/verify-storage/{bucket_name}/{sub_bucket}", fc_api_verify_storage,
     .name = "verify_storage", .tag = TAG_CLUSTERING,
     .description = "Compares the face ids of a run in the metadata store and the vector store.",
     .returns = "{matching_face_ids, metadata_only, vectors_only, total_consistency}",
     PARAMS(P_BUCKET, P_SUB_BUCKET, Q_CLUSTERING_ID(true, "Run to verify (24 hex digits)")),
     ERRORS({400, "Invalid clustering_id format or bucket name"}, {404, "No such run"})},

    /* --- jobs ------------------------------------------------------------------ */
    {FC_API_GET, "/jobs/{job_id}", fc_api_get_job, .name = "get_job", .tag = TAG_JOBS,
     .returns = "{job_id, kind, status, progress: {done, total, faces}, started_at, "
                "finished_at, eta_seconds, result_url, error}",
     PARAMS({"job_id", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     ERRORS({404, "No such job"})},
    {FC_API_DELETE, "/jobs/{job_id}", fc_api_cancel_job, .name = "cancel_job",
     .tag = TAG_JOBS, .returns = "The job, status cancelled",
     PARAMS({"job_id", FC_API_IN_PATH, FC_API_STRING, .required = true}),
     ERRORS({404, "No such job"})},

    /* --- assignments ------------------------------------------------------------- */
    {FC_API_POST, "/assignments/{bucket_name}/{sub_bucket}", fc_api_assign_run,
     .name = "create_assignments", .tag = TAG_ASSIGNMENTS,
     .description = "Assigns the persons of a run to enrolled users.",
     .returns = "{clustering_id, collection_name, bucket_path, threshold, strategy, dry_run, "
                "total_clusters, assigned_clusters, unassigned_clusters, assignments, "
                "unassigned_cluster_ids, saved_to_db, timestamp}; with explain=true also "
                "unassigned_details",
     PARAMS(P_BUCKET, P_SUB_BUCKET, Q_CLUSTERING_ID(true, "Run to assign (24 hex digits)"),
            Q_COLLECTION, Q_THRESHOLD, Q_STRATEGY,
            Q_BOOL("dry_run", "false", "Compute, save nothing"),
            Q_BOOL("overwrite", "false", "Remove the run's assignments first"),
            Q_BOOL("one_to_one", "false", "At most one person per user (best first)"),
            {"margin", FC_API_IN_QUERY, FC_API_FLOAT, .def = "0.0", .ge = "0.0", .le = "1.0",
             .description = "Best user must beat the second best by this much"},
            Q_BOOL("explain", "false", "Add unassigned_details: per unassigned person the reason "
                   "(below_threshold, ambiguous, taken), the closest user and its similarity")),
     ERRORS({400, "Invalid clustering_id format or bucket name"},
            {404, "No such run, or no user profiles"})},
    {FC_API_POST, "/assignments/batch", fc_api_assign_batch, .name = "batch_assignments",
     .tag = TAG_ASSIGNMENTS, .description = "Assigns every run of a collection.",
     .returns = "{collection_name, total_documents_processed, total_assigned_clusters, "
                "total_unassigned_clusters, results, timestamp}",
     PARAMS({"bucket_name", FC_API_IN_QUERY, FC_API_STRING, .check = FC_API_CHECK_BUCKET},
            {"sub_bucket", FC_API_IN_QUERY, FC_API_STRING, .check = FC_API_CHECK_BUCKET},
            Q_COLLECTION, Q_THRESHOLD, Q_STRATEGY,
            Q_BOOL("dry_run", "false", "Compute, save nothing"),
            Q_BOOL("overwrite", "false", "Remove each run's assignments first")),
     ERRORS({400, "Either provide collection_name, or both bucket_name and sub_bucket"})},
    {FC_API_GET, "/assignments/{bucket_name}/{sub_bucket}", fc_api_get_assignments,
     .name = "get_assignments", .tag = TAG_ASSIGNMENTS,
     .returns = "{clustering_id, bucket_path, total_assignments, assignments}; without "
                "clustering_id: {message, example}",
     PARAMS(P_BUCKET, P_SUB_BUCKET, Q_CLUSTERING_ID(false, "Run (24 hex digits)")),
     ERRORS({400, "Invalid clustering_id format or bucket name"})},
    {FC_API_GET, "/assignments/user/{user_id}", fc_api_user_assignments,
     .name = "user_assignments", .tag = TAG_ASSIGNMENTS,
     .returns = "{user_id, filters_applied, total_assignments, total_clusterings, "
                "total_faces, clusterings}",
     PARAMS({"user_id", FC_API_IN_PATH, FC_API_STRING, .required = true},
            {"bucket_name", FC_API_IN_QUERY, FC_API_STRING, .check = FC_API_CHECK_BUCKET},
            {"sub_bucket", FC_API_IN_QUERY, FC_API_STRING, .check = FC_API_CHECK_BUCKET},
            Q_CLUSTERING_ID(false, "Only this run (24 hex digits)"),
            Q_BOOL("include_details", "false", "Include image paths and face ids"))},
    {FC_API_DELETE, "/assignments/clustering/{clustering_id}", fc_api_delete_assignments,
     .name = "delete_clustering_assignments", .tag = TAG_ASSIGNMENTS,
     .returns = "{clustering_id, deleted_count}",
     PARAMS({"clustering_id", FC_API_IN_PATH, FC_API_STRING, .required = true,
             .check = FC_API_CHECK_OBJECT_ID}),
     ERRORS({400, "Invalid clustering_id format"})},
    {FC_API_GET, "/assignments/debug/collections", fc_api_debug_collections,
     .name = "debug_collections", .tag = TAG_ASSIGNMENTS,
     .returns = "Clustering collections with their document counts"},
    {FC_API_GET, "/assignments/debug/collection/{name}", fc_api_debug_collection,
     .name = "debug_collection", .tag = TAG_ASSIGNMENTS,
     .returns = "{document_count, fields, ready_for_assignment, ...}",
     PARAMS({"name", FC_API_IN_PATH, FC_API_STRING, .required = true})},
    {FC_API_GET, "/assignments/debug/test-db-connection", fc_api_test_db_connection,
     .name = "test_db_connection", .tag = TAG_ASSIGNMENTS,
     .returns = "{status: \"success\", collections: [...]}"},
};

const int fc_api_n_routes = (int)(sizeof fc_api_routes / sizeof fc_api_routes[0]);
