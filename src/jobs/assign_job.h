/* assign_job.h - persons of a run to enrolled users (API.md POST
 * /assignments/{bucket}/{sub}): loads the run's persons (centroids, member
 * embeddings) and every profile, runs fc_assign_run (centroid | vote, threshold,
 * one_to_one, margin), and saves the result unless dry_run (overwrite first removes
 * the run's assignments). */
#ifndef FC_JOBS_ASSIGN_JOB_H
#define FC_JOBS_ASSIGN_JOB_H

#include "cluster/assign.h"
#include "core/ids.h"
#include "store/store.h"

typedef struct {
    const char *clustering_id;
    fc_assign_strategy strategy;
    float threshold;  /* <= 0: the embedder's default assign threshold */
    float margin;
    int one_to_one, dry_run, overwrite;
    int explain;      /* 1: the answer also has "unassigned_details" (an extension: per
                         unassigned cluster, why it has no user) */
} fc_assign_job_opts;

typedef struct {
    char clustering_id[FC_OBJECTID_LEN + 1];
    char bucket_path[2 * FC_NAME_MAX + 2];
    char collection_name[FC_NORM_MAX + 32]; /* "person_clustering_{norm}", the run's */
    float threshold;
    int total_clusters, assigned_clusters, unassigned_clusters;
    fc_assignment_rec *items;  /* assigned clusters (as saved) */
    size_t n_items;
    char **unassigned_ids;     /* cluster ids left unassigned */
    int saved_to_db;
    char *json;                /* API.md response object */
} fc_assign_job_result;

void fc_assign_job_result_free(fc_assign_job_result *r);

/* FC_ERR_ARG "Invalid clustering_id format" / "Clustering X not found" (not a done
 * run) / "No user profiles found". *out is the caller's. */
fc_status fc_assign_job_run(fc_store *s, const fc_assign_job_opts *o, fc_assign_job_result **out,
                            fc_error *err);

#endif
