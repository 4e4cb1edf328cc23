/* config.h - configuration from the environment and the file `.env.${ENV}`.
 *
 * Two layers:
 *  - fc_env: raw variables. The process environment wins over the file; a variable
 *    set to the empty string counts as unset. Typed getters validate, and a bad
 *    value is an error naming the variable and where it came from. A name may list
 *    aliases, "MONGODB_URL|MONGO_URI": the first one set in the environment wins,
 *    else the first one set in the file.
 *  - fc_config: every setting of the service (API.md "Configuration" plus ours),
 *    read once at start-up from one fc_env, validated, defaults filled in.
 *
 *   fc_error err = {0};
 *   fc_config *cfg = fc_config_load(NULL, &err);   // ./.env.$ENV, ENV default "dev"
 *   if (!cfg) { fprintf(stderr, "%s\n", err.msg); return 1; }
 *   ... cfg->db_path, cfg->min_face_size, fc_env_get(cfg->vars, "EMBED_CHANNELS") ...
 *   fc_config_free(cfg);
 *
 * The file: one KEY=VALUE per line; blank lines and lines starting with '#' are
 * ignored; an optional `export ` prefix; spaces around '=' are allowed; VALUE is
 * unquoted (trailing spaces and a " #comment" dropped), 'single-quoted' (literal) or
 * "double-quoted" (escapes \n \t \r \" \\), each followed by nothing but an optional
 * comment. No ${VAR} interpolation, no multi-line values. Anything else is a format
 * error naming file:line. The file is optional.
 */
#ifndef FC_CORE_CONFIG_H
#define FC_CORE_CONFIG_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- raw variables ---------------------------------------------------------- */

typedef struct fc_env fc_env;

/* Reads a dotenv file. A missing file is fine (an empty set) unless required;
 * NULL path: the environment alone. NULL + err (FC_ERR_FORMAT "path:line: why",
 * FC_ERR_IO) on failure. Free with fc_env_free. */
fc_env *fc_env_load(const char *path, int required, fc_error *err);
void fc_env_free(fc_env *e);
/* The file e was read from; NULL when there was none. */
const char *fc_env_path(const fc_env *e);

/* The value of the first of names ("A|B|C") set in the environment, else in the
 * file; NULL when none is set (or set to ""). e may be NULL: environment only. The
 * pointer lives as long as e and the environment entry. */
const char *fc_env_get(const fc_env *e, const char *names);

/* Typed getters: *out = def when unset; FC_ERR_ARG naming the variable, its value
 * and its source when the value is malformed or out of [min, max]. */
fc_status fc_env_int(const fc_env *e, const char *names, int64_t def, int64_t min, int64_t max,
                     int64_t *out, fc_error *err);
fc_status fc_env_double(const fc_env *e, const char *names, double def, double min, double max,
                        double *out, fc_error *err);
/* true/false, 1/0, yes/no, on/off (any case). */
fc_status fc_env_bool(const fc_env *e, const char *names, int def, int *out, fc_error *err);
/* One of choices (NULL-terminated, compared ignoring case): *out = its index. */
fc_status fc_env_choice(const fc_env *e, const char *names, const char *const *choices, int def,
                        int *out, fc_error *err);

/* Sets, with setenv(3), every file variable the environment does not have, so code
 * that calls getenv sees the file too (as python-dotenv does). Call once, at
 * start-up, before threads. Returns 0, or -1 if setenv failed. */
int fc_env_export(const fc_env *e);

/* ---- the service's settings ------------------------------------------------- */

/* A comma-separated list, items trimmed, empty items dropped. */
typedef struct {
    char **items;
    size_t n;
} fc_strlist;

/* 1 if s is one of the items (exact match). */
int fc_strlist_has(const fc_strlist *l, const char *s);

typedef struct {
    char *env_name;  /* ENV ("dev"): the file is .env.{env_name} */
    char *env_file;  /* the file read, or NULL when there was none */
    fc_env *vars;    /* every variable, for settings a module reads itself */

    /* embedded defaults and our own */
    char *data_dir;           /* FC_DATA_DIR, "data/" */
    char *db_path;            /* {data_dir}/facecluster.db: metadata + local vectors */
    char *models_dir;         /* FC_MODELS_DIR, "models/" */
    char *local_storage_path; /* LOCAL_STORAGE_PATH, default {data_dir}/buckets */
    int64_t threads;          /* FC_THREADS, 0 = one per core */
    char *host;               /* FC_HOST | HOST, "0.0.0.0" */
    int64_t port;             /* FC_PORT | PORT, 8000 */

    /* MongoDB: used when mongo_url is set */
    char *mongo_url; /* MONGODB_URL | MONGO_URI */
    char *mongo_db;  /* MONGO_DB | DATABASE_NAME | MONGO_DB_NAME, "face_recognition" */

    /* Qdrant: used when qdrant_url is set (QDRANT_URL, or made from QDRANT_HOST:PORT) */
    char *qdrant_url;
    char *qdrant_host;       /* QDRANT_HOST */
    int64_t qdrant_port;     /* QDRANT_PORT, 6333 */
    char *qdrant_api_key;    /* QDRANT_API_KEY */
    char *qdrant_collection; /* QDRANT_COLLECTION | QDRANT_COLLECTION_NAME, "face_embeddings";
                                also the local vector store's collection */

    /* S3-compatible source: used when wasabi_endpoint is set (then keys and bucket
       are required) */
    char *wasabi_endpoint;
    char *wasabi_access_key; /* WASABI_ACCESS_KEY | WASABI_ACCESS_KEY_ID | AWS_ACCESS_KEY_ID */
    char *wasabi_secret_key; /* WASABI_SECRET_KEY | WASABI_SECRET_ACCESS_KEY | AWS_SECRET_ACCESS_KEY */
    char *wasabi_bucket;     /* WASABI_BUCKET_NAME | WASABI_BUCKET */
    char *wasabi_region;     /* WASABI_REGION | AWS_REGION, "us-east-1" */
    int64_t wasabi_timeout_seconds; /* WASABI_TIMEOUT_SECONDS, 30: an attempt with no byte
                                       moving this long (or not connected) fails */
    int64_t wasabi_attempts;        /* WASABI_ATTEMPTS, 5: tries per request, 1 = no retry */

    /* models */
    char *detector;            /* DETECTOR: auto|ultraface|yolo|yunet, "auto" */
    char *embedder;            /* EMBEDDER: auto|arcface112|facenet160, "auto" */
    char *yolo_model_path;     /* YOLO_MODEL_PATH */
    char *detect_model_path;   /* DETECT_MODEL_PATH */
    char *landmark_model_path; /* LANDMARK_MODEL_PATH */
    char *embed_model_path;    /* EMBED_MODEL_PATH */
    char *embed_model_name;    /* EMBED_MODEL_NAME */

    /* thresholds (cosine similarity, or detector score); 0 = the calibrated default
       of the embedder or detector in use */
    double person_similarity_threshold; /* PERSON_SIMILARITY_THRESHOLD */
    double person_merge_threshold;      /* PERSON_MERGE_THRESHOLD */
    double person_attach_threshold;     /* PERSON_ATTACH_THRESHOLD (the embedder's: off) */
    double assign_threshold;            /* ASSIGN_THRESHOLD | ASSIGNMENT_THRESHOLD */
    double detect_score_threshold;      /* DETECT_SCORE_THRESHOLD */

    /* faces and images */
    int64_t min_face_size;        /* MIN_FACE_SIZE, 30 (pixels) */
    double min_confidence;        /* MIN_CONFIDENCE, 0.5 */
    int64_t max_image_size_bytes; /* MAX_IMAGE_SIZE_BYTES, 20 MiB; 0 = no limit */
    int64_t max_image_pixels;     /* MAX_IMAGE_PIXELS, 50000000; 0 = no limit */
    int64_t max_decode_seconds;   /* MAX_DECODE_SECONDS, 60: HEIF/TIFF child; 0 = none */

    /* HTTP */
    fc_strlist api_keys;     /* API_KEYS; empty = no authentication */
    fc_strlist cors_origins; /* CORS_ORIGINS, "*" */
} fc_config;

/* Reads {dir}/.env.{ENV} (dir NULL = "."; ENV from the environment, default "dev",
 * [A-Za-z0-9._-]+) and the environment, validates every setting and fills the
 * defaults. NULL + err naming the variable (or file:line) on failure. Free with
 * fc_config_free. */
fc_config *fc_config_load(const char *dir, fc_error *err);
void fc_config_free(fc_config *cfg);

/* Writes every setting as NAME=value, one a line, secrets (keys, passwords in
 * URLs) masked; for `facecluster config` and logs. */
void fc_config_print(const fc_config *cfg, FILE *f);

#endif
