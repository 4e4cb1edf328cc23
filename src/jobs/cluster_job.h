/* cluster_job.h - the main job: every image under {bucket}/{sub}/ of a source through
 * the face pipeline, the faces stored in batches, grouped into persons and committed
 * as one clustering run (API.md POST /cluster-bucket-persons, PIPELINE.md Cluster).
 *
 *   fc_cluster_job_opts o;
 *   fc_cluster_job_opts_default(&o);
 *   o.cfg = cfg; o.source = src; o.pipeline = pipe; o.bucket = "b"; o.sub = "s";
 *   fc_cluster_job_result *r;
 *   if (fc_cluster_job_run(&o, on_progress, user, &cancel, &r, &err) == FC_OK) {
 *       ... r->clustering_id, r->total_persons, r->stats_json ...
 *       fc_cluster_job_result_free(r);
 *   }
 *
 * Crash safety (docs/store.md): the run is created "running"; each batch of images is
 * one transaction with its faces; the persons and status "done" are one more. A kill
 * leaves a "failed" run that opts.resume continues without redoing stored images.
 * Cancellation (*cancel != 0) stops taking images, commits those finished, and leaves
 * the run failed ("cancelled") and resumable.
 *
 * Incremental (opts.incremental): the latest done run of the bucket is the base. A new
 * run is made that holds the base's faces (new face ids, same images, embeddings,
 * boxes) plus the faces of the images the base did not have; fc_cluster_extend adds
 * those to the base's persons (who keep their ids) or makes new persons. The base run
 * stays as it was; the new one is the latest. */
#ifndef FC_JOBS_CLUSTER_JOB_H
#define FC_JOBS_CLUSTER_JOB_H

#include "core/config.h"
#include "core/ids.h"
#include "core/status.h"
#include "face/pipeline.h"
#include "jobs/job.h"
#include "source/source.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_CLUSTER_METHOD_GRAPH = 0, /* fc_cluster_run: edges, merges, cannot-link, min_faces */
    FC_CLUSTER_METHOD_ORIGINAL,  /* fc_cluster_original: the Python service's baseline */
} fc_cluster_method;

/* "graph" / "original"; parse gives -1 for anything else. */
const char *fc_cluster_method_name(fc_cluster_method m);
int fc_cluster_method_parse(const char *s);

typedef struct {
    const fc_config *cfg;   /* store location, threshold overrides, min_confidence */
    fc_source *source;      /* where the images are (the caller's) */
    fc_pipeline *pipeline;  /* the caller's, shared; its workers bound the concurrency */
    const char *bucket, *sub; /* valid names (fc_name_valid); keys under "{bucket}/{sub}/" */
    int threads;            /* images in flight at once (>= 1); API max_concurrent */
    int batch_size;         /* images per stored batch, 1..50 (API batch_size, 30) */
    int64_t max_images;     /* <= 0: all */
    int skip_quality_filter;/* 1: keep faces under cfg->min_confidence */
    int resume;             /* 1: continue the latest failed run of the bucket (or
                               resume_id) instead of starting a new one */
    const char *resume_id;  /* with resume: this failed run of the bucket; NULL: the
                               latest failed one */
    int incremental;        /* 1: extend the latest done run with the new images */
    const char *resume_hint;/* how the caller continues a run that a source outage
                               stopped, for that error; NULL: the CLI's --resume */
    fc_cluster_method method;
    float edge_threshold;   /* 0: cfg PERSON_SIMILARITY_THRESHOLD, else the embedder's */
    float merge_threshold;  /* 0: cfg PERSON_MERGE_THRESHOLD, else the embedder's */
    float attach_threshold; /* 0: cfg PERSON_ATTACH_THRESHOLD, else the embedder's (off) */
    int cannot_link;        /* graph: 1 (default) = faces of one image never one person */
    int min_faces;          /* graph: persons smaller go to unassigned (default 1) */
} fc_cluster_job_opts;

/* threads 2, batch_size 30, everything else 0/NULL, graph method, cannot_link 1,
 * min_faces 1. */
void fc_cluster_job_opts_default(fc_cluster_job_opts *o);

typedef struct {
    char *path;   /* image key */
    char *reason;
} fc_failed_file;

/* One person that an incremental run changed. */
typedef struct {
    char person_id[64];
    int64_t faces_added; /* new faces in it */
    int64_t size;        /* its size now */
    int is_new;          /* 1: a person the base did not have */
} fc_person_change;

typedef struct {
    char clustering_id[FC_OBJECTID_LEN + 1];
    char bucket[FC_NAME_MAX + 1], sub[FC_NAME_MAX + 1];
    int cancelled;          /* 1: stopped by *cancel; the run is failed and resumable */
    int resumed;            /* 1: an interrupted run was continued */
    /* API.md stats */
    int64_t total_persons, total_images, total_faces, unassigned_faces;
    int64_t single_person_images, multi_person_images, max_persons_per_image;
    double avg_faces_per_person;
    int database_saved;
    double processing_time_seconds;
    int64_t original_file_count, processed_file_count, failed_count;
    int batch_size_used, max_concurrent_used;
    double avg_processing_time_per_image, files_per_second;
    fc_cluster_method method;
    float edge_threshold, merge_threshold, attach_threshold; /* attach: 0 = off */
    /* this process's work (on resume, the images done before are not counted) */
    int64_t images_run;     /* images through the pipeline now */
    int64_t images_skipped; /* stored before, not redone */
    fc_failed_file *failed; /* every failed image of the run */
    size_t n_failed;
    /* incremental */
    char base_id[FC_OBJECTID_LEN + 1]; /* "" unless incremental */
    int unchanged;          /* incremental, nothing new, changed or removed since the base
                               (and no failed file to retry): no run made, clustering_id
                               and the numbers are the base run's */
    int64_t new_images, new_faces, joined_faces;
    int64_t removed_images, removed_faces; /* base images gone from the bucket, their
                                              faces (and those of changed images) */
    int64_t changed_images; /* base images replaced since (another fingerprint): read again */
    int removed_persons;   /* base persons left without faces: gone, later ids move up */
    int n_persons_before, n_new_persons;
    fc_person_change *changes;
    size_t n_changes;
    char *stats_json;       /* API.md `stats` (with `failed` [{path, reason}]) */
} fc_cluster_job_result;

void fc_cluster_job_result_free(fc_cluster_job_result *r);

/* Runs the job (see the top of this file). progress may be NULL; cancel may be NULL
 * (never cancelled). FC_OK with *out set when the run was committed or cancelled
 * (out->cancelled); an error (no images under the prefix: FC_ERR_ARG "No valid
 * images found in b/s/", a store failure, ...) leaves the run failed when it was
 * created. The caller frees *out. */
fc_status fc_cluster_job_run(const fc_cluster_job_opts *opts, fc_job_progress_fn progress,
                             void *user, volatile int *cancel, fc_cluster_job_result **out,
                             fc_error *err);

#endif
