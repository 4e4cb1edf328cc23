/* worker.h - one of several processes that cluster one bucket together
 * (docs/workers.md): it joins the bucket's shared run (or opens it), leases batches
 * of images through the metadata store, runs them through the face pipeline and
 * commits each batch with its lease; a separate thread heartbeats the leases. A
 * worker that dies loses its leases when they expire and another takes the images
 * over. When every image is done, exactly one worker (the store decides) clusters
 * the run and commits it; the others end.
 *
 *   fc_worker_opts o;
 *   fc_worker_opts_default(&o);
 *   o.job.cfg = cfg; o.job.source = src; o.job.pipeline = pipe;
 *   o.job.bucket = "b"; o.job.sub = "s";
 *   fc_worker_result r;
 *   if (fc_worker_run(&o, log_fn, user, &cancel, &r, &err) == FC_OK) { ...; fc_worker_result_clear(&r); }
 */
#ifndef FC_JOBS_WORKER_H
#define FC_JOBS_WORKER_H

#include "jobs/cluster_job.h"
#include "store/records.h"

typedef struct {
    fc_cluster_job_opts job; /* cfg, source, pipeline, bucket, sub, threads, max_images,
                                clustering options (used when this worker opens the run;
                                a joined run keeps its own); batch_size is ignored */
    int lease_images;        /* images per lease, 1..50 (default 8) */
    double lease_seconds;    /* a lease's life without heartbeat, 0.2..3600 (default 10);
                                heartbeats every third of it */
} fc_worker_opts;

void fc_worker_opts_default(fc_worker_opts *o);

typedef struct {
    char worker_id[FC_WORKER_ID_MAX];
    char clustering_id[FC_OBJECTID_LEN + 1];
    int joined;             /* 1: the run was open already */
    int finished;           /* 1: this worker clustered and committed the run */
    int cancelled;          /* 1: stopped by *cancel; its leases were given back */
    int64_t leases;         /* leases taken */
    int64_t images, faces;  /* committed by this worker */
    int64_t taken_over;     /* images taken over from expired leases */
    int64_t refused;        /* images processed but not committed: the lease was lost */
    fc_cluster_job_result *run; /* finished: the run's stats (as the cluster job's) */
} fc_worker_result;

void fc_worker_result_clear(fc_worker_result *r);

/* One line of what the worker does ("lease 8 images (2 taken over): a.jpg ...",
 * "committed 8 images, 11 faces", "finishing the run"), from the worker's thread. */
typedef void (*fc_worker_log_fn)(const char *line, void *user);

/* Runs the worker until the run is done (or failed, or *cancel). FC_OK with *out
 * filled when the run ended done (by this worker or another) or it was cancelled;
 * an error leaves this worker's leases given back and the run open for others. */
fc_status fc_worker_run(const fc_worker_opts *opts, fc_worker_log_fn log, void *user,
                        volatile int *cancel, fc_worker_result *out, fc_error *err);

/* A new worker id "{host}:{pid}:{start unix time}:{8 random hex}" into out. */
void fc_worker_id_new(char out[FC_WORKER_ID_MAX]);

#endif
