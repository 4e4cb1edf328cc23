/* test_config.c - .env parsing, environment precedence, typed getters, fc_config. */
#include "test.h"

#include "core/config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every variable these tests set, cleared before each test. */
static const char *const touched[] = {
    "ENV", "FC_DATA_DIR", "LOCAL_STORAGE_PATH", "FC_THREADS", "MONGODB_URL", "MONGO_URI",
    "MONGO_DB", "DATABASE_NAME", "MONGO_DB_NAME", "QDRANT_URL", "QDRANT_HOST", "QDRANT_PORT",
    "WASABI_ENDPOINT", "WASABI_ACCESS_KEY", "WASABI_SECRET_KEY", "WASABI_BUCKET_NAME",
    "MIN_FACE_SIZE", "MIN_CONFIDENCE", "API_KEYS", "CORS_ORIGINS", "DETECTOR", "EMBEDDER",
    "PERSON_SIMILARITY_THRESHOLD", "FCT_A", "FCT_B", "FCT_C", "FCT_EXPORTED", "FC_PORT", "PORT",
    "QDRANT_API_KEY", NULL};

static void clear_env(void)
{
    for (int i = 0; touched[i]; i++)
        unsetenv(touched[i]);
}

/* Writes text to {tmpdir}/{sub}/{name}, making {sub}; returns the directory. */
static const char *write_file(const char *sub, const char *name, const char *text)
{
    static char dir[512];
    char path[600];
    snprintf(dir, sizeof dir, "%s/%s", fc_test_tmpdir(), sub);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return dir;
}

TEST(config_dotenv_syntax)
{
    clear_env();
    const char *dir = write_file("dotenv", ".env.syntax",
                                 "# a comment\n"
                                 "\n"
                                 "   PLAIN=value\n"
                                 "export EXPORTED=yes\n"
                                 "SPACED = spaced out  \n"
                                 "INLINE=abc # trailing comment\n"
                                 "HASH=abc#def\n"
                                 "SINGLE='it''s' \n"
                                 "SQ='a \\n b # not a comment'\n"
                                 "DQ=\"line1\\nline2 \\\"q\\\" \\\\ \\t\" # comment\n"
                                 "EMPTY=\n"
                                 "CRLF=windows\r\n"
                                 "DUP=first\n"
                                 "DUP=second\n"
                                 "URL=mongodb://u:p@h:27017/db?x=1\n"
                                 "\tINDENTED=1\n");
    CHECK(dir);
    char path[600];
    snprintf(path, sizeof path, "%s/.env.syntax", dir);
    fc_error err = {0};
    fc_env *e = fc_env_load(path, 1, &err);
    /* 'it''s' is two quoted strings: text after the closing quote */
    CHECK(!e && err.code == FC_ERR_FORMAT && strstr(err.msg, ".env.syntax:8:"));
    dir = write_file("dotenv", ".env.syntax2",
                     "   PLAIN=value\n"
                     "export EXPORTED=yes\n"
                     "SPACED = spaced out  \n"
                     "INLINE=abc # trailing comment\n"
                     "HASH=abc#def\n"
                     "SQ='a \\n b # not a comment'  # comment\n"
                     "DQ=\"line1\\nline2 \\\"q\\\" \\\\ \\t\" # comment\n"
                     "EMPTY=\n"
                     "CRLF=windows\r\n"
                     "DUP=first\n"
                     "DUP=second\n"
                     "URL=mongodb://u:p@h:27017/db?x=1\n"
                     "\tINDENTED=1");
    snprintf(path, sizeof path, "%s/.env.syntax2", dir);
    e = fc_env_load(path, 1, &err);
    CHECK_MSG(e, "%s", err.msg);
    CHECK(!strcmp(fc_env_get(e, "PLAIN"), "value"));
    CHECK(!strcmp(fc_env_get(e, "EXPORTED"), "yes"));
    CHECK(!strcmp(fc_env_get(e, "SPACED"), "spaced out"));
    CHECK(!strcmp(fc_env_get(e, "INLINE"), "abc"));
    CHECK(!strcmp(fc_env_get(e, "HASH"), "abc#def"));
    CHECK(!strcmp(fc_env_get(e, "SQ"), "a \\n b # not a comment"));
    CHECK(!strcmp(fc_env_get(e, "DQ"), "line1\nline2 \"q\" \\ \t"));
    CHECK(fc_env_get(e, "EMPTY") == NULL); /* empty counts as unset */
    CHECK(!strcmp(fc_env_get(e, "CRLF"), "windows"));
    CHECK(!strcmp(fc_env_get(e, "DUP"), "second"));
    CHECK(!strcmp(fc_env_get(e, "URL"), "mongodb://u:p@h:27017/db?x=1"));
    CHECK(!strcmp(fc_env_get(e, "INDENTED"), "1"));
    CHECK(fc_env_get(e, "MISSING") == NULL);
    fc_env_free(e);
    return FC_TEST_PASS;
}

TEST(config_dotenv_malformed_lines)
{
    clear_env();
    static const char *const bad[] = {
        "OK=1\nno equals sign\n",  "OK=1\n=value\n",          "OK=1\n1ABC=x\n",
        "OK=1\nA-B=x\n",           "OK=1\nA=\"unterminated\n", "OK=1\nA='unterminated\n",
        "OK=1\nA=\"x\" junk\n",    "OK=1\nexport\n",          "OK=1\nA=\"trailing\\",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *dir = write_file("malformed", ".env.bad", bad[i]);
        char path[600];
        snprintf(path, sizeof path, "%s/.env.bad", dir);
        fc_error err = {0};
        fc_env *e = fc_env_load(path, 1, &err);
        CHECK_MSG(!e, "case %zu parsed", i);
        CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, ".env.bad:2:"), "case %zu: %s", i,
                  err.msg);
    }
    /* NUL bytes: not a text file */
    char path[600];
    snprintf(path, sizeof path, "%s/malformed/.env.nul", fc_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f);
    fwrite("A=1\0B=2\n", 1, 8, f);
    fclose(f);
    fc_error err = {0};
    CHECK(!fc_env_load(path, 1, &err) && err.code == FC_ERR_FORMAT);
    /* a missing file: fine unless required */
    snprintf(path, sizeof path, "%s/malformed/.env.absent", fc_test_tmpdir());
    fc_env *e = fc_env_load(path, 0, &err);
    CHECK(e && fc_env_get(e, "OK") == NULL);
    fc_env_free(e);
    CHECK(!fc_env_load(path, 1, &err) && err.code == FC_ERR_IO);
    return FC_TEST_PASS;
}

TEST(config_environment_wins_and_aliases)
{
    clear_env();
    const char *dir = write_file("prec", ".env.p", "FCT_A=file\nFCT_B=file_b\nFCT_C=file_c\n");
    char path[600];
    snprintf(path, sizeof path, "%s/.env.p", dir);
    fc_error err = {0};
    fc_env *e = fc_env_load(path, 1, &err);
    CHECK_MSG(e, "%s", err.msg);
    CHECK(!strcmp(fc_env_get(e, "FCT_A"), "file"));
    setenv("FCT_A", "env", 1);
    CHECK(!strcmp(fc_env_get(e, "FCT_A"), "env"));
    setenv("FCT_A", "", 1); /* empty: unset, the file's value shows */
    CHECK(!strcmp(fc_env_get(e, "FCT_A"), "file"));
    /* aliases: the environment (any alias) wins over the file (any alias) */
    setenv("FCT_C", "env_c", 1);
    CHECK(!strcmp(fc_env_get(e, "FCT_B|FCT_C"), "env_c"));
    unsetenv("FCT_C");
    CHECK(!strcmp(fc_env_get(e, "FCT_B|FCT_C"), "file_b"));
    CHECK(!strcmp(fc_env_get(e, "FCT_NONE|FCT_C"), "file_c"));
    CHECK(fc_env_get(NULL, "FCT_B") == NULL); /* environment only */
    /* export: the file's values into the environment, never over a set one */
    setenv("FCT_A", "env", 1);
    CHECK(fc_env_export(e) == 0);
    CHECK(!strcmp(getenv("FCT_A"), "env") && !strcmp(getenv("FCT_B"), "file_b"));
    fc_env_free(e);
    clear_env();
    return FC_TEST_PASS;
}

TEST(config_typed_getters)
{
    clear_env();
    const char *dir = write_file("typed", ".env.t", "FCT_A=12x\nFCT_B=0.75\n");
    char path[600];
    snprintf(path, sizeof path, "%s/.env.t", dir);
    fc_error err = {0};
    fc_env *e = fc_env_load(path, 1, &err);
    CHECK_MSG(e, "%s", err.msg);
    int64_t i;
    double d;
    int b;
    CHECK(fc_env_int(e, "FCT_A", 5, 0, 100, &i, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "FCT_A") && strstr(err.msg, "12x") && strstr(err.msg, ".env.t:1"));
    CHECK(fc_env_int(e, "FCT_NONE", 5, 0, 100, &i, &err) == FC_OK && i == 5);
    CHECK_OK(fc_env_double(e, "FCT_B", 0, 0, 1, &d, &err), &err);
    CHECK(d == 0.75);
    CHECK(fc_env_double(e, "FCT_B", 0, 0, 0.5, &d, &err) == FC_ERR_ARG && strstr(err.msg, "FCT_B"));
    setenv("FCT_C", "nan", 1);
    CHECK(fc_env_double(e, "FCT_C", 0, 0, 1, &d, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "environment"));
    setenv("FCT_C", " 5", 1);
    CHECK(fc_env_int(e, "FCT_C", 0, 0, 10, &i, &err) == FC_ERR_ARG);
    setenv("FCT_C", "99999999999999999999", 1);
    CHECK(fc_env_int(e, "FCT_C", 0, 0, INT64_MAX, &i, &err) == FC_ERR_ARG);
    setenv("FCT_C", "-3", 1);
    CHECK(fc_env_int(e, "FCT_C", 0, -5, 10, &i, &err) == FC_OK && i == -3);
    setenv("FCT_C", "Yes", 1);
    CHECK(fc_env_bool(e, "FCT_C", 0, &b, &err) == FC_OK && b == 1);
    setenv("FCT_C", "off", 1);
    CHECK(fc_env_bool(e, "FCT_C", 1, &b, &err) == FC_OK && b == 0);
    setenv("FCT_C", "maybe", 1);
    CHECK(fc_env_bool(e, "FCT_C", 1, &b, &err) == FC_ERR_ARG && b == 1);
    CHECK(fc_env_bool(e, "FCT_NONE", 1, &b, &err) == FC_OK && b == 1);
    fc_env_free(e);
    clear_env();
    return FC_TEST_PASS;
}

TEST(config_defaults_without_a_file)
{
    clear_env();
    setenv("ENV", "nofile", 1);
    fc_error err = {0};
    fc_config *cfg = fc_config_load(fc_test_tmpdir(), &err);
    CHECK_MSG(cfg, "%s", err.msg);
    CHECK(cfg->env_file == NULL && !strcmp(cfg->env_name, "nofile"));
    CHECK(!strcmp(cfg->data_dir, "data/") && !strcmp(cfg->db_path, "data/facecluster.db"));
    CHECK(!strcmp(cfg->models_dir, "models/"));
    CHECK(!strcmp(cfg->local_storage_path, "data/buckets"));
    CHECK(cfg->mongo_url == NULL && cfg->qdrant_url == NULL && cfg->wasabi_endpoint == NULL);
    CHECK(!strcmp(cfg->mongo_db, "face_recognition"));
    CHECK(!strcmp(cfg->qdrant_collection, "face_embeddings") && cfg->qdrant_port == 6333);
    CHECK(cfg->min_face_size == 30 && cfg->min_confidence == 0.5);
    CHECK(cfg->person_similarity_threshold == 0 && cfg->assign_threshold == 0);
    CHECK(cfg->max_image_size_bytes == 20 * 1024 * 1024 && cfg->max_image_pixels == 50000000);
    CHECK(cfg->api_keys.n == 0);
    CHECK(cfg->cors_origins.n == 1 && !strcmp(cfg->cors_origins.items[0], "*"));
    CHECK(!strcmp(cfg->detector, "auto") && !strcmp(cfg->embedder, "auto"));
    CHECK(cfg->port == 8000 && cfg->threads == 0);
    fc_config_free(cfg);
    clear_env();
    return FC_TEST_PASS;
}

TEST(config_from_file_and_environment)
{
    clear_env();
    const char *dir = write_file("cfg", ".env.staging",
                                 "FC_DATA_DIR=/var/lib/fc///\n"
                                 "MONGO_URI=mongodb://user:secret@db:27017\n"
                                 "DATABASE_NAME=faces\n"
                                 "QDRANT_HOST=qdrant\n"
                                 "QDRANT_PORT=7000\n"
                                 "QDRANT_API_KEY=qkey\n"
                                 "MIN_FACE_SIZE=40\n"
                                 "PERSON_SIMILARITY_THRESHOLD=0.6\n"
                                 "API_KEYS= k1, k2 ,,k3 \n"
                                 "CORS_ORIGINS=https://a.example,https://b.example\n"
                                 "DETECTOR=YOLO\n");
    setenv("ENV", "staging", 1);
    setenv("MIN_FACE_SIZE", "50", 1); /* the environment wins */
    fc_error err = {0};
    fc_config *cfg = fc_config_load(dir, &err);
    CHECK_MSG(cfg, "%s", err.msg);
    CHECK(cfg->env_file && strstr(cfg->env_file, ".env.staging"));
    CHECK(!strcmp(cfg->db_path, "/var/lib/fc/facecluster.db"));
    CHECK(!strcmp(cfg->local_storage_path, "/var/lib/fc/buckets"));
    CHECK(!strcmp(cfg->mongo_url, "mongodb://user:secret@db:27017"));
    CHECK(!strcmp(cfg->mongo_db, "faces"));
    CHECK(!strcmp(cfg->qdrant_url, "http://qdrant:7000"));
    CHECK(cfg->min_face_size == 50);
    CHECK(cfg->person_similarity_threshold == 0.6);
    CHECK(cfg->api_keys.n == 3 && !strcmp(cfg->api_keys.items[1], "k2"));
    CHECK(fc_strlist_has(&cfg->api_keys, "k3") && !fc_strlist_has(&cfg->api_keys, "k4"));
    CHECK(cfg->cors_origins.n == 2);
    CHECK(!strcmp(cfg->detector, "yolo"));
    /* printing masks secrets */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f);
    fc_config_print(cfg, f);
    fclose(f);
    int leaked = strstr(text, "secret") || strstr(text, "qkey") || strstr(text, "k2");
    int shown = strstr(text, "MONGODB_URL=mongodb://user:***@db:27017") != NULL &&
                strstr(text, "MIN_FACE_SIZE=50\n") != NULL;
    free(text);
    CHECK(!leaked && shown);
    fc_config_free(cfg);
    clear_env();
    return FC_TEST_PASS;
}

TEST(config_bad_values_name_the_variable)
{
    clear_env();
    const char *dir = write_file("cfgbad", ".env.bad1", "# settings\nMIN_FACE_SIZE=thirty\n");
    setenv("ENV", "bad1", 1);
    fc_error err = {0};
    CHECK(!fc_config_load(dir, &err));
    CHECK(err.code == FC_ERR_ARG && strstr(err.msg, "MIN_FACE_SIZE") && strstr(err.msg, ".env.bad1:2"));
    write_file("cfgbad", ".env.bad2", "PERSON_SIMILARITY_THRESHOLD=1.5\n");
    setenv("ENV", "bad2", 1);
    CHECK(!fc_config_load(dir, &err) && strstr(err.msg, "PERSON_SIMILARITY_THRESHOLD"));
    write_file("cfgbad", ".env.bad3", "EMBEDDER=resnet\n");
    setenv("ENV", "bad3", 1);
    CHECK(!fc_config_load(dir, &err) && strstr(err.msg, "EMBEDDER") && strstr(err.msg, "facenet160"));
    write_file("cfgbad", ".env.bad4", "WASABI_ENDPOINT=https://s3.example\nWASABI_ACCESS_KEY=a\n");
    setenv("ENV", "bad4", 1);
    CHECK(!fc_config_load(dir, &err) && strstr(err.msg, "WASABI_SECRET_KEY"));
    write_file("cfgbad", ".env.bad5", "FC_PORT=70000\n");
    setenv("ENV", "bad5", 1);
    CHECK(!fc_config_load(dir, &err) && strstr(err.msg, "FC_PORT"));
    write_file("cfgbad", ".env.bad6", "MIN_FACE_SIZE=\"30\nMIN_CONFIDENCE=0.4\n");
    setenv("ENV", "bad6", 1);
    CHECK(!fc_config_load(dir, &err) && err.code == FC_ERR_FORMAT && strstr(err.msg, ".env.bad6:1:"));
    setenv("ENV", "../etc/passwd", 1);
    CHECK(!fc_config_load(dir, &err) && strstr(err.msg, "ENV="));
    clear_env();
    return FC_TEST_PASS;
}
