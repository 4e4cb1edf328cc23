/* app.h - the application state behind the HTTP API: configuration, metadata
 * store, vector store, image source, face pipeline and job manager, opened once
 * at start-up by `facecluster serve` and handed to every handler
 * (fc_api_req_app). Everything in it is thread-safe or read-only. */
#ifndef FC_API_APP_H
#define FC_API_APP_H

#include "api/jobs.h"
#include "api/server.h"
#include "core/config.h"
#include "core/status.h"
#include "face/pipeline.h"
#include "source/source.h"
#include "store/store.h"
#include "store/vectors.h"

typedef struct fc_app {
    fc_config *cfg;
    fc_store *store;
    fc_vectors *vectors;
    fc_source *source;
    fc_pipeline *pipeline;
    fc_api_jobs *jobs;
} fc_app;

/* Loads the configuration (.env.$ENV + environment), opens the store, the vector
 * store, the local source and the models, and starts the job thread. NULL + err
 * saying which part failed: a configured backend that cannot be reached is a
 * start-up error, never a silent fallback. Close with fc_app_close. */
fc_app *fc_app_open(fc_error *err);

/* Cancels the jobs still queued or running (their runs end "failed") and wakes
 * the requests waiting for them. Call before stopping the HTTP server. */
void fc_app_cancel_jobs(fc_app *app);

/* Joins the job threads and closes everything. NULL is a no-op. */
void fc_app_close(fc_app *app);

/* The /health callback (fc_api_health_fn): asks both stores. */
void fc_app_health(void *app, fc_api_health_report *out);

#endif
