/* jobs.h - the job manager of the HTTP API: long work (clustering a bucket) runs on
 * a small pool of job threads, separate from the HTTP threads, and is seen through
 * GET/DELETE /jobs/{id} (API.md extension).
 *
 *   char id[FC_OBJECTID_LEN + 1];
 *   int st = fc_api_jobs_submit(jobs, &(fc_api_job_spec){.kind = "cluster",
 *                               .lock_key = "b/s", .fn = run, .arg = a,
 *                               .free_arg = free, .wait = 1}, id);
 *   if (st) ... 409 (lock_key busy) or 503 (shutting down, too many waiters) ...
 *   json_t *body; int status = fc_api_jobs_wait(jobs, id, &body);  // blocks
 *
 * A request with wait=true defers its answer (fc_api_res_defer): its connection is
 * suspended and a thread of its own blocks in fc_api_jobs_wait until the job ends;
 * at most max_waiters requests wait at once, more get 503. */
#ifndef FC_API_JOBS_H
#define FC_API_JOBS_H

#include "core/ids.h"
#include "core/status.h"

#include <jansson.h>
#include <stdint.h>

typedef struct fc_api_jobs fc_api_jobs;
typedef struct fc_api_job fc_api_job;

typedef enum {
    FC_API_JOB_QUEUED = 0,
    FC_API_JOB_RUNNING,
    FC_API_JOB_DONE,
    FC_API_JOB_FAILED,
    FC_API_JOB_CANCELLED,
} fc_api_job_status;

/* The work: runs on a job thread; returns the HTTP status of its answer and sets
 * *body (a reference; the result on 2xx, {"detail": ...} otherwise). A 2xx makes
 * the job "done", else "failed", or "cancelled" when cancel was asked. */
typedef int (*fc_api_job_fn)(fc_api_job *job, void *arg, json_t **body);

typedef struct {
    const char *kind;          /* "cluster" */
    const char *lock_key;      /* at most one queued/running job per key; NULL: none */
    const char *clustering_id; /* shown by GET /jobs/{id}; may be set later */
    const char *result_url;    /* where the result is read when done, the clustering id
                                * appended ("/person-cluster-status/b/s?clustering_id=");
                                * NULL: none */
    fc_api_job_fn fn;
    void *arg;
    void (*free_arg)(void *arg); /* called once the job has run (or never will) */
    int wait;                  /* 1: a request will call fc_api_jobs_wait */
} fc_api_job_spec;

/* threads job threads (>= 1); max_waiters requests may wait at once (>= 0). */
fc_api_jobs *fc_api_jobs_new(int threads, int max_waiters, fc_error *err);
/* Cancels every job, joins the threads, frees. NULL is a no-op. */
void fc_api_jobs_free(fc_api_jobs *m);
/* Asks every queued or running job to stop, refuses new ones (503), wakes waiters
 * as jobs end. Queued jobs end "cancelled" at once. */
void fc_api_jobs_cancel_all(fc_api_jobs *m);

/* Queues a job; its id into id_out. 0, or the HTTP status of the refusal: 409
 * (a job with the same lock_key is queued or running), 503 (shutting down, or
 * max_waiters requests already waiting). spec->arg is freed on refusal. */
int fc_api_jobs_submit(fc_api_jobs *m, const fc_api_job_spec *spec,
                       char id_out[FC_OBJECTID_LEN + 1]);
/* Blocks until job id (submitted with wait) ends; returns its HTTP status and
 * gives its body (the caller owns it). 404 with *body NULL for an unknown id. */
int fc_api_jobs_wait(fc_api_jobs *m, const char *id, json_t **body);
/* GET /jobs/{id}: {job_id, kind, status, progress:{done,total,faces}, started_at,
 * finished_at, eta_seconds, result_url, error, clustering_id}; NULL when unknown. */
json_t *fc_api_jobs_describe(fc_api_jobs *m, const char *id);
/* Waits up to timeout_ms until job id knows its clustering id (or ends); copies it
 * into out ("" when not known by then, at once when the job is queued behind
 * busy job threads). */
void fc_api_jobs_wait_clustering_id(fc_api_jobs *m, const char *id, int timeout_ms,
                                    char out[FC_OBJECTID_LEN + 1]);
/* Asks job id to stop; a queued job ends at once (cancelled). 0, or -1 when there is
 * no such job. */
int fc_api_jobs_cancel(fc_api_jobs *m, const char *id);

/* ---- for the job function, on its thread ----------------------------------- */

/* Progress: images done of total, faces so far, seconds left (< 0: unknown). */
void fc_api_job_progress(fc_api_job *job, int64_t done, int64_t total, int64_t faces,
                         double eta_s);
/* The flag the job must poll; non-zero once a cancel was asked. */
volatile int *fc_api_job_cancel_flag(fc_api_job *job);
void fc_api_job_set_clustering_id(fc_api_job *job, const char *clustering_id);

#endif
