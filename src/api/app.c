/* app.c - opening and closing the application state behind the HTTP API
 * (app.h), and /health. */
#include "api/app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_THREADS 1  /* clustering runs at once; each already uses every core */
#define MAX_WAITERS 64 /* wait=true requests waiting at once (a thread each) */

fc_app *fc_app_open(fc_error *err)
{
    fc_app *app = calloc(1, sizeof *app);
    fc_error e = {0};
    if (!app) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    app->cfg = fc_config_load(NULL, &e);
    if (!app->cfg) {
        fc_error_set(err, e.code, "configuration: %s", e.msg);
        goto fail;
    }
    /* the reader open: on a full disk the GET routes still answer (docs/store.md) */
    app->store = fc_store_open_reader(app->cfg, &e);
    if (!app->store) {
        fc_error_set(err, e.code, "database: %s", e.msg);
        goto fail;
    }
    app->vectors = fc_vectors_open(app->cfg, &e);
    if (!app->vectors) {
        fc_error_set(err, e.code, "vector store: %s", e.msg);
        goto fail;
    }
    if (fc_store_health(app->store, &e) || fc_vectors_health(app->vectors, &e)) {
        fc_error_set(err, e.code, "backend not reachable: %s", e.msg);
        goto fail;
    }
    /* The configured source: the S3 bucket when WASABI_* selects it (checked with one
     * request), else the local folders. The embedded default's bucket root is made on
     * first start; a configured LOCAL_STORAGE_PATH must exist. */
    int s3 = fc_source_config_is_s3(app->cfg);
    if (!s3 && !fc_env_get(app->cfg->vars, "LOCAL_STORAGE_PATH") &&
        mkdir(app->cfg->local_storage_path, 0755) && errno != EEXIST) {
        fc_error_set(err, FC_ERR_IO, "image source: cannot create %s: %s",
                     app->cfg->local_storage_path, strerror(errno));
        goto fail;
    }
    app->source = fc_source_open(app->cfg, &e);
    if (!app->source) {
        fc_error_set(err, e.code, "image source %s: %s",
                     s3 ? "S3" : app->cfg->local_storage_path, e.msg);
        goto fail;
    }
    fc_pipeline_config pc;
    if (fc_pipeline_config_from_env(&pc, &e)) {
        fc_error_set(err, e.code, "face pipeline: %s", e.msg);
        goto fail;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pc.workers = app->cfg->threads > 0 ? (int)app->cfg->threads : (int)(cores > 0 ? cores : 1);
    app->pipeline = fc_pipeline_new(&pc, &e);
    if (!app->pipeline) {
        fc_error_set(err, e.code, "face pipeline (models in %s): %s",
                     app->cfg->models_dir, e.msg);
        goto fail;
    }
    app->jobs = fc_api_jobs_new(JOB_THREADS, MAX_WAITERS, &e);
    if (!app->jobs) {
        fc_error_set(err, e.code, "%s", e.msg);
        goto fail;
    }
    return app;
fail:
    fc_app_close(app);
    return NULL;
}

void fc_app_cancel_jobs(fc_app *app)
{
    if (app)
        fc_api_jobs_cancel_all(app->jobs);
}

void fc_app_close(fc_app *app)
{
    if (!app)
        return;
    fc_api_jobs_free(app->jobs); /* first: jobs use everything below */
    fc_pipeline_free(app->pipeline);
    fc_source_free(app->source);
    fc_vectors_close(app->vectors);
    fc_store_close(app->store);
    fc_config_free(app->cfg);
    free(app);
}

void fc_app_health(void *arg, fc_api_health_report *out)
{
    fc_app *app = arg;
    static __thread char reason[400];
    fc_error e = {0};
    out->database = "connected";
    out->vector_store = "connected";
    if (fc_store_health(app->store, &e)) {
        out->database = "disconnected";
        snprintf(reason, sizeof reason, "database: %s", e.msg);
        out->error = reason;
    } else if (fc_vectors_health(app->vectors, &e)) {
        out->vector_store = "disconnected";
        snprintf(reason, sizeof reason, "vector store: %s", e.msg);
        out->error = reason;
    }
}
