/* job.h - what every long-running job (clustering a bucket, assigning a run) shares
 * with its caller: progress reports through a callback and cooperative cancellation
 * through a flag the caller may set from any thread. The CLI draws a progress bar
 * from the reports; the HTTP layer keeps them for GET /jobs/{id}. */
#ifndef FC_JOBS_JOB_H
#define FC_JOBS_JOB_H

#include <stdint.h>

typedef enum {
    FC_JOB_PHASE_LIST = 0, /* listing the source */
    FC_JOB_PHASE_IMAGES,   /* images through the face pipeline */
    FC_JOB_PHASE_CLUSTER,  /* grouping faces into persons */
    FC_JOB_PHASE_SAVE,     /* committing the run */
    FC_JOB_PHASE_DONE,
} fc_job_phase;

/* "list", "images", "cluster", "save", "done". */
const char *fc_job_phase_name(fc_job_phase ph);

typedef struct {
    fc_job_phase phase;
    int64_t done;      /* images finished in this run (skipped ones included) */
    int64_t total;     /* images of the run */
    int64_t skipped;   /* of done: stored before (resume, incremental) and not redone */
    int64_t faces;     /* faces found so far (skipped images' included) */
    int64_t failed;    /* images that could not be read or decoded */
    double elapsed_s;  /* since the job started */
    double images_per_s; /* images through the pipeline in this process per second */
    double eta_s;      /* estimated seconds left for the images; < 0 unknown */
    const char *clustering_id; /* the run, from the images phase on (a clustering job);
                                * else NULL */
} fc_job_progress;

/* Called from the job's thread (never concurrently) at each phase change and as
 * images finish (at most every ~100 ms, and always for the last one). Must not
 * block for long. */
typedef void (*fc_job_progress_fn)(const fc_job_progress *p, void *user);

#endif
