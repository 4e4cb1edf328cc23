/* config.c - fc_config (see config.h). Settings are rows of one table (names, kind,
 * field, default, range): loading, freeing and printing are loops over it. The .env
 * reading and the typed getters are in env.c. */
#include "core/config.h"

#include "core/ids.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- fc_config: the settings table ------------------------------------------ */

int fc_strlist_has(const fc_strlist *l, const char *s)
{
    for (size_t i = 0; l && s && i < l->n; i++)
        if (!strcmp(l->items[i], s))
            return 1;
    return 0;
}

static void strlist_free(fc_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Splits text at commas, trimming items and dropping empty ones. */
static int strlist_parse(const char *text, fc_strlist *out)
{
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    if (!(out->items = calloc(cap, sizeof *out->items)))
        return -1;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a && !(out->items[out->n++] = strndup(a, (size_t)(b - a))))
            return -1;
        p += len + (p[len] == ',');
    }
    return 0;
}

typedef enum { SET_STR, SET_INT, SET_DOUBLE, SET_LIST, SET_CHOICE } setting_kind;

enum { PLAIN = 0, SECRET = 1, URL_SECRET = 2 }; /* how fc_config_print shows a value */

static const char *const detectors[] = {"auto", "ultraface", "yolo", "yunet", NULL};
static const char *const embedders[] = {"auto", "arcface112", "facenet160", NULL};

typedef struct {
    const char *names; /* primary name first, then aliases */
    setting_kind kind;
    size_t offset;     /* of the field in fc_config */
    const char *def;   /* strings, lists and choices: the default text (NULL: unset) */
    double num_def, min, max;
    const char *const *choices;
    int show;
} setting;

#define F(field) offsetof(fc_config, field)
#define STR(names, field, def, show) {names, SET_STR, F(field), def, 0, 0, 0, NULL, show}
#define INT(names, field, def, min, max) {names, SET_INT, F(field), NULL, def, min, max, NULL, PLAIN}
#define DBL(names, field, def, min, max) {names, SET_DOUBLE, F(field), NULL, def, min, max, NULL, PLAIN}

static const setting settings[] = {
    STR("FC_DATA_DIR", data_dir, "data/", PLAIN),
    STR("FC_MODELS_DIR", models_dir, "models/", PLAIN),
    STR("LOCAL_STORAGE_PATH", local_storage_path, NULL, PLAIN), /* default: {data_dir}/buckets */
    INT("FC_THREADS", threads, 0, 0, 1024),
    STR("FC_HOST|HOST", host, "0.0.0.0", PLAIN),
    INT("FC_PORT|PORT", port, 8000, 1, 65535),
    STR("MONGODB_URL|MONGO_URI", mongo_url, NULL, URL_SECRET),
    STR("MONGO_DB|DATABASE_NAME|MONGO_DB_NAME", mongo_db, "face_recognition", PLAIN),
    STR("QDRANT_URL", qdrant_url, NULL, URL_SECRET),
    STR("QDRANT_HOST", qdrant_host, NULL, PLAIN),
    INT("QDRANT_PORT", qdrant_port, 6333, 1, 65535),
    STR("QDRANT_API_KEY", qdrant_api_key, NULL, SECRET),
    STR("QDRANT_COLLECTION|QDRANT_COLLECTION_NAME", qdrant_collection, "face_embeddings", PLAIN),
    STR("WASABI_ENDPOINT", wasabi_endpoint, NULL, PLAIN),
    STR("WASABI_ACCESS_KEY|WASABI_ACCESS_KEY_ID|AWS_ACCESS_KEY_ID", wasabi_access_key, NULL, SECRET),
    STR("WASABI_SECRET_KEY|WASABI_SECRET_ACCESS_KEY|AWS_SECRET_ACCESS_KEY", wasabi_secret_key, NULL,
        SECRET),
    STR("WASABI_BUCKET_NAME|WASABI_BUCKET", wasabi_bucket, NULL, PLAIN),
    STR("WASABI_REGION|AWS_REGION", wasabi_region, "us-east-1", PLAIN),
    INT("WASABI_TIMEOUT_SECONDS", wasabi_timeout_seconds, 30, 1, 3600),
    INT("WASABI_ATTEMPTS", wasabi_attempts, 5, 1, 20),
    {"DETECTOR", SET_CHOICE, F(detector), "auto", 0, 0, 0, detectors, PLAIN},
    {"EMBEDDER", SET_CHOICE, F(embedder), "auto", 0, 0, 0, embedders, PLAIN},
    STR("YOLO_MODEL_PATH", yolo_model_path, NULL, PLAIN),
    STR("DETECT_MODEL_PATH", detect_model_path, NULL, PLAIN),
    STR("LANDMARK_MODEL_PATH", landmark_model_path, NULL, PLAIN),
    STR("EMBED_MODEL_PATH", embed_model_path, NULL, PLAIN),
    STR("EMBED_MODEL_NAME", embed_model_name, NULL, PLAIN),
    DBL("PERSON_SIMILARITY_THRESHOLD", person_similarity_threshold, 0, 0, 1),
    DBL("PERSON_MERGE_THRESHOLD", person_merge_threshold, 0, 0, 1),
    DBL("PERSON_ATTACH_THRESHOLD", person_attach_threshold, 0, 0, 1),
    DBL("ASSIGN_THRESHOLD|ASSIGNMENT_THRESHOLD", assign_threshold, 0, 0, 1),
    DBL("DETECT_SCORE_THRESHOLD", detect_score_threshold, 0, 0, 1),
    INT("MIN_FACE_SIZE", min_face_size, 30, 0, 100000),
    DBL("MIN_CONFIDENCE", min_confidence, 0.5, 0, 1),
    INT("MAX_IMAGE_SIZE_BYTES", max_image_size_bytes, 20 * 1024 * 1024, 0, 1e15),
    INT("MAX_IMAGE_PIXELS", max_image_pixels, 50000000, 0, 1e15),
    INT("MAX_DECODE_SECONDS", max_decode_seconds, 60, 0, 86400),
    {"API_KEYS", SET_LIST, F(api_keys), NULL, 0, 0, 0, NULL, SECRET},
    {"CORS_ORIGINS", SET_LIST, F(cors_origins), "*", 0, 0, 0, NULL, PLAIN},
};

#undef F
#undef STR
#undef INT
#undef DBL

static fc_status load_setting(const fc_env *e, const setting *s, fc_config *cfg, fc_error *err)
{
    void *field = (char *)cfg + s->offset;
    const char *text = fc_env_get(e, s->names);
    int idx;
    switch (s->kind) {
    case SET_INT:
        return fc_env_int(e, s->names, (int64_t)s->num_def, (int64_t)s->min, (int64_t)s->max, field,
                          err);
    case SET_DOUBLE:
        return fc_env_double(e, s->names, s->num_def, s->min, s->max, field, err);
    case SET_CHOICE:
        if (fc_env_choice(e, s->names, s->choices, 0, &idx, err))
            return FC_ERR_ARG;
        text = s->choices[idx];
        break;
    case SET_LIST:
        text = text ? text : s->def;
        if (text && strlist_parse(text, field))
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return FC_OK;
    case SET_STR:
        text = text ? text : s->def;
        break;
    }
    if (text && !(*(char **)field = strdup(text)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    return FC_OK;
}

/* "{dir}/{file}" with exactly one '/' between them, in a new string. */
static char *path_join(const char *dir, const char *file)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t size = n + 1 + strlen(file) + 1;
    char *p = malloc(size);
    if (p)
        snprintf(p, size, "%.*s/%s", (int)n, dir, file);
    return p;
}

/* Settings made from others, and the rules between them. */
static fc_status derive(fc_config *cfg, fc_error *err)
{
    if (!(cfg->db_path = path_join(cfg->data_dir, "facecluster.db")))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (!cfg->local_storage_path && !(cfg->local_storage_path = path_join(cfg->data_dir, "buckets")))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (!cfg->qdrant_url && cfg->qdrant_host) {
        int has_scheme = strstr(cfg->qdrant_host, "://") != NULL;
        size_t size = strlen(cfg->qdrant_host) + 32;
        if (!(cfg->qdrant_url = malloc(size)))
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        snprintf(cfg->qdrant_url, size, "%s%s:%lld", has_scheme ? "" : "http://", cfg->qdrant_host,
                 (long long)cfg->qdrant_port);
    }
    if (cfg->wasabi_endpoint) {
        const char *missing = !cfg->wasabi_access_key ? "WASABI_ACCESS_KEY"
                              : !cfg->wasabi_secret_key ? "WASABI_SECRET_KEY"
                              : !cfg->wasabi_bucket     ? "WASABI_BUCKET_NAME"
                                                        : NULL;
        if (missing)
            return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT is set but %s is not", missing);
    }
    return FC_OK;
}

fc_config *fc_config_load(const char *dir, fc_error *err)
{
    char *path = NULL;
    fc_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const char *env_name = getenv("ENV");
    if (!env_name || !*env_name)
        env_name = "dev";
    if (!fc_name_valid(env_name)) {
        fc_error_set(err, FC_ERR_ARG, "ENV=\"%.64s\": expected a name of [A-Za-z0-9._-]", env_name);
        goto fail;
    }
    char file[FC_NAME_MAX + 8];
    snprintf(file, sizeof file, ".env.%s", env_name);
    if (!(cfg->env_name = strdup(env_name)) || !(path = path_join(dir ? dir : ".", file))) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!(cfg->vars = fc_env_load(path, 0, err)))
        goto fail;
    if (fc_env_path(cfg->vars))
        cfg->env_file = path, path = NULL;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (load_setting(cfg->vars, &settings[i], cfg, err))
            goto fail;
    if (derive(cfg, err))
        goto fail;
    free(path);
    return cfg;
fail:
    free(path);
    fc_config_free(cfg);
    return NULL;
}

void fc_config_free(fc_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        void *field = (char *)cfg + settings[i].offset;
        if (settings[i].kind == SET_LIST)
            strlist_free(field);
        else if (settings[i].kind == SET_STR || settings[i].kind == SET_CHOICE)
            free(*(char **)field);
    }
    free(cfg->env_name);
    free(cfg->env_file);
    free(cfg->db_path);
    fc_env_free(cfg->vars);
    free(cfg);
}

/* Prints a URL with the password of its user-info part masked. */
static void print_url(FILE *f, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host_start = scheme ? scheme + 3 : url;
    const char *at = strrchr(host_start, '@');
    const char *colon = at ? memchr(host_start, ':', (size_t)(at - host_start)) : NULL;
    if (!colon)
        fputs(url, f);
    else
        fprintf(f, "%.*s:***%s", (int)(colon - url), url, at);
}

void fc_config_print(const fc_config *cfg, FILE *f)
{
    fprintf(f, "ENV=%s\n# file: %s\n", cfg->env_name, cfg->env_file ? cfg->env_file : "(none)");
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const setting *s = &settings[i];
        const void *field = (const char *)cfg + s->offset;
        fprintf(f, "%.*s=", (int)strcspn(s->names, "|"), s->names);
        if (s->kind == SET_INT)
            fprintf(f, "%lld", (long long)*(const int64_t *)field);
        else if (s->kind == SET_DOUBLE)
            fprintf(f, "%g", *(const double *)field);
        else if (s->kind == SET_LIST) {
            const fc_strlist *l = field;
            for (size_t k = 0; k < l->n; k++)
                fprintf(f, "%s%s", k ? "," : "", s->show == SECRET ? "***" : l->items[k]);
        } else {
            const char *v = *(char *const *)field;
            if (v && s->show == SECRET)
                fputs("***", f);
            else if (v && s->show == URL_SECRET)
                print_url(f, v);
            else if (v)
                fputs(v, f);
        }
        fputc('\n', f);
    }
    fprintf(f, "# database: %s\n", cfg->db_path);
}
