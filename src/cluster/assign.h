/* assign.h - persons (clusters) to enrolled users (PIPELINE.md, Assign): each cluster is
 * compared with every user embedding (exactly below FC_INDEX_AUTO_HNSW_FROM users, via
 * HNSW above), by its centroid or by a vote of its faces; threshold, margin and
 * one-to-one rules decide, and "unknown" beats a wrong name. */
#ifndef FC_CLUSTER_ASSIGN_H
#define FC_CLUSTER_ASSIGN_H

#include <stdint.h>

#include "cluster/cluster.h"
#include "core/status.h"

typedef enum {
    FC_ASSIGN_CENTROID = 0, /* the cluster's centroid vs each user */
    FC_ASSIGN_VOTE,         /* each face votes for its best user >= threshold; most votes
                               wins (ties: higher mean vote, then lower user index);
                               similarity = mean of the winning votes */
} fc_assign_strategy;

typedef struct {
    fc_assign_strategy strategy;
    float threshold;  /* minimum similarity (centroid) or per-face vote similarity */
    float margin;     /* > 0: best - second best must exceed it, else unassigned. For
                         vote it applies per face (an ambiguous face abstains), and a
                         tie in votes leaves the cluster unassigned */
    int one_to_one;   /* 1: a user takes at most one cluster per run, its most similar
                         (greedy by similarity; the others stay unassigned) */
    fc_index_kind index_kind; /* over the users; AUTO = exact below the HNSW size */
    fc_index_params index;    /* n_threads used for the searches */
} fc_assign_params;

/* centroid, threshold 0.65 (the original's FaceNet scale: calibrate per embedder),
 * margin 0, one_to_one off, AUTO index. */
fc_assign_params fc_assign_params_default(void);

/* Clusters to assign: centroids and, for vote, member faces (CSR into emb). An
 * fc_clustering provides all of it: fc_assign_clusters_of(c, emb). */
typedef struct {
    int n_clusters, dim;
    const float *centroids;      /* (n_clusters, dim), normalised */
    const int64_t *member_start; /* [n_clusters + 1] */
    const int64_t *members;      /* face rows of emb */
    const float *emb;            /* (faces, dim) */
} fc_assign_clusters;

fc_assign_clusters fc_assign_clusters_of(const fc_clustering *c, const float *emb);

typedef enum {
    FC_ASSIGN_OK = 0,           /* assigned to user */
    FC_ASSIGN_BELOW_THRESHOLD,  /* nothing reached the threshold (no votes for vote) */
    FC_ASSIGN_AMBIGUOUS,        /* margin not met (or tied votes) */
    FC_ASSIGN_TAKEN,            /* one_to_one: the user went to a more similar cluster */
} fc_assign_outcome;

typedef struct {
    int64_t user;        /* user row, or -1 */
    int64_t best_user;   /* the most similar user (centroid) / most voted (vote), also
                            when not assigned: what an unassigned cluster came closest
                            to; -1 when there is none */
    int32_t taken_by;    /* FC_ASSIGN_TAKEN: the cluster that kept best_user; else -1 */
    float similarity;    /* of the best user (centroid), or mean winning vote (vote) */
    float second;        /* second best user's similarity (centroid) / mean vote of the
                            runner-up (vote); -INFINITY when there is none */
    int votes;           /* vote: votes for the best user; centroid: 0 */
    fc_assign_outcome outcome;
} fc_assignment;

/* Assigns each cluster to one of n_users users (users (n_users, dim), normalised):
 * out[n_clusters]. Deterministic; ties go to the lower user index. */
fc_status fc_assign_run(const fc_assign_clusters *clusters, const float *users,
                        int64_t n_users, const fc_assign_params *p, fc_assignment *out,
                        fc_error *err);

#endif
