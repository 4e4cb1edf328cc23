/* cluster_int.h - what the parts of the cluster job share (cluster_job.c runs it,
 * cluster_ingest.c feeds images through the pipeline into the store,
 * cluster_finish.c groups the stored faces and commits the run). Not public. */
#ifndef FC_JOBS_CLUSTER_INT_H
#define FC_JOBS_CLUSTER_INT_H

#include "jobs/cluster_job.h"
#include "store/store.h"
#include "store/vectors.h"

typedef struct {
    const fc_cluster_job_opts *o;
    fc_store *store;
    fc_vectors *vec;
    char id[FC_OBJECTID_LEN + 1];      /* the run being written */
    char base_id[FC_OBJECTID_LEN + 1]; /* incremental: the run extended, else "" */
    fc_cluster_method method;
    float edge, merge, attach;         /* thresholds in use */
    int min_faces, cannot_link;
    float min_confidence;              /* quality filter; 0 = off */
    fc_job_progress_fn progress_fn;
    void *user;
    volatile int *cancel;
    fc_job_progress prog;
    double t0, last_report, images_t0;
    fc_cluster_job_result *res;
    /* a worker on a shared run (worker.c): batches are committed with
       fc_store_lease_complete as worker_id; a batch whose lease was lost is dropped
       and counted in lease_refused */
    const char *worker_id;
    int64_t lease_refused;
    int batch_refused; /* the last fc_cj_store_batch was refused */
} fc_cj_ctx;

/* Fills c's thresholds and options from o (o kept; see fc_cluster_job_opts). */
void fc_cj_init_ctx(fc_cj_ctx *c, const fc_cluster_job_opts *o);

/* The run's options as JSON (new text, NULL when out of memory), and back: a
 * resumed or joined run clusters the way it was started. */
char *fc_cj_params_json(const fc_cj_ctx *c);
void fc_cj_params_load(fc_cj_ctx *c, const char *text);


/* Reports progress now (force) or when ~100 ms passed since the last report. */
void fc_cj_report(fc_cj_ctx *c, int force);

/* 1 when the caller asked to stop. */
int fc_cj_cancelled(const fc_cj_ctx *c);

/* Runs keys[0..n) through the pipeline on opts->threads threads, storing every
 * batch_size finished images (faces + vectors) in one batch, each image with its
 * listed fingerprint fprints[i] (fprints NULL, or an entry NULL: none). Failed
 * images are stored as failed (with the reason). Stops taking images when cancelled.
 * An image the source could not give (FC_ERR_UNAVAILABLE) is fetched again after the
 * others; if the source fails several fetches in a row it is down: the images not
 * stored stay to do and the error is FC_ERR_UNAVAILABLE (the run can be resumed). */
fc_status fc_cj_ingest(fc_cj_ctx *c, char *const *keys, char *const *fprints, size_t n,
                       fc_error *err);

/* Incremental: copies the base run's images and faces that this run does not have
 * yet into it (new face ids), in the base's order, in batches; images no longer in
 * listed (the bucket's keys, sorted) are removed from the bucket: not copied, counted
 * in c->res->removed_images. Images whose listed fingerprint differs from the one
 * stored with the base (fc_cj_base_changed) are not copied either: they are read
 * again as new ones. */
fc_status fc_cj_copy_base(fc_cj_ctx *c, const fc_key_list *listed, fc_error *err);

/* 1 when the base run's image b was replaced since: both it and the listing (or this
 * run's record of it, fprint) have a fingerprint and they differ. An image without
 * one (stored before schema 4, or a source that gives none) counts as unchanged. */
int fc_cj_base_changed(const fc_image_rec *b, const char *fprint);

/* Clusters every stored face of the run, updates the vectors with person ids, then
 * commits persons and status "done" (a failure before that commit leaves the run
 * resumable), and fills c->res (stats, failed files, changes). */
fc_status fc_cj_finish(fc_cj_ctx *c, fc_error *err);

/* The run's image_overlap_stats and processing_stats (API.md `stats`, with
 * `failed`) as new JSON object texts, from c->res; FC_ERR_NOMEM on failure. */
fc_status fc_cj_stats_json(fc_cj_ctx *c, char **overlap, char **processing);

/* c->res's failed files and image counts, from the run's stored images. */
fc_status fc_cj_load_images(fc_cj_ctx *c, fc_error *err);

/* Stores one batch: images and their faces in the metadata store, then the faces'
 * vectors (payload: run, bucket, image, box, scores). With c->worker_id, through
 * the worker's lease: a refused batch (lease lost) stores nothing, sets
 * c->batch_refused and is FC_OK. */
fc_status fc_cj_store_batch(fc_cj_ctx *c, const fc_face_rec *faces, size_t n_faces,
                            const fc_image_rec *images, size_t n_images, fc_error *err);

#endif
