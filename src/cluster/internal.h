/* internal.h - pieces shared by the files of src/cluster: a union-find that can refuse
 * unions that would put two faces of one image together, person numbering, and the
 * assembly of an fc_clustering from a face -> person map. */
#ifndef FC_CLUSTER_INTERNAL_H
#define FC_CLUSTER_INTERNAL_H

#include <stdint.h>

#include "cluster/cluster.h"

/* Union-find over n items with union by size and path halving. With images, each
 * root also keeps the sorted set of its members' images (inline while it has one). */
typedef struct {
    int32_t n;
    int32_t *parent, *size;
    const int64_t *image; /* NULL: unconstrained */
    int64_t **set;        /* per root: sorted images when it has 2 or more */
    int32_t *n_set;       /* per root: number of distinct images (0 or 1 use one[]) */
    int64_t *one;         /* per root: its only image while n_set <= 1 */
} fc_uf;

enum { FC_UF_REFUSED = -1, FC_UF_SAME = 0, FC_UF_JOINED = 1, FC_UF_NOMEM = -2 };

/* image NULL (or all < 0) = no cannot-link. fc_uf_free releases it. */
fc_status fc_uf_init(fc_uf *u, int64_t n, const int64_t *image, fc_error *err);
void fc_uf_free(fc_uf *u);
int32_t fc_uf_find(fc_uf *u, int32_t a);
/* Joins the groups of a and b unless they share an image: FC_UF_JOINED, FC_UF_SAME,
 * FC_UF_REFUSED or FC_UF_NOMEM. */
int fc_uf_union(fc_uf *u, int32_t a, int32_t b);

/* Person ids for the union-find's groups: groups of >= min_faces faces, numbered by
 * size descending then smallest face index; person_of[i] = id or -1. Returns the
 * number of persons, or -1 when out of memory. */
int fc_cluster_number(fc_uf *u, int min_faces, int32_t *person_of);

/* Faces this similar are one photo stored twice (re-encoded, resized): they count once
 * in the merge bar's group sizes (graph.c, incremental.c). On the labelled sets,
 * distinct photos of one person reach it only as crops of one frame. */
#define FC_CLUSTER_DUP_COS 0.95f

/* How many of emb's rows idx[0..n) are not a near-duplicate (cosine >=
 * FC_CLUSTER_DUP_COS) of an earlier one in the list. Past the first
 * FC_CLUSTER_DISTINCT_SCAN rows every row counts (the bar is within 0.01 of its floor
 * there), which bounds the work to FC_CLUSTER_DISTINCT_SCAN^2 / 2 dot products. */
#define FC_CLUSTER_DISTINCT_SCAN 1024
int64_t fc_cluster_distinct(const float *emb, int dim, const int64_t *idx, int64_t n);

/* The groups of a union-find over f's faces (groups.c), numbered in face order. */
typedef struct {
    int32_t g;       /* groups */
    int32_t *of;     /* face -> group */
    int32_t *rep;    /* group -> its first face */
    int32_t *size;   /* group -> faces */
    int32_t *distinct; /* group -> faces not marked as a near-duplicate (>= 1) */
    float *cen;      /* (g, dim): unit centroids */
    float *len;      /* group -> |sum of its faces| */
} fc_groups;

/* dup (NULL: none) marks faces that only repeat another face of their group (graph.c's
 * near-duplicates): they count in size but not in distinct. */
fc_status fc_groups_make(const fc_cluster_faces *f, fc_uf *u, const uint8_t *dup,
                         fc_groups *s, fc_error *err);
void fc_groups_free(fc_groups *s);

/* The mean cosine between the faces of groups a and b, from the cosine of their unit
 * centroids: (Sa . Sb) / (ka kb) = cos |Sa| |Sb| / (ka kb), S a group's sum of faces. */
static inline double fc_groups_mean(const fc_groups *s, int32_t a, int32_t b, double cos)
{
    return cos * s->len[a] * s->len[b] / ((double)s->size[a] * (double)s->size[b]);
}

/* Step 3's bar for groups of ka and kb distinct faces (graph.c): their mean cross
 * cosine, (Sa . Sb) / (|A| |B|) with S a group's sum of faces, must reach
 * merge + (edge - merge) / sqrt(ka kb). */
double fc_cluster_merge_bar(const fc_cluster_params *p, double ka, double kb);

/* The attach step (attach.c): groups of 1-2 faces join a larger group, per
 * p->attach_threshold and attach_margin; no-op when attach_threshold is 0. */
fc_status fc_cluster_attach_small(const fc_cluster_faces *f, fc_uf *u, const fc_cluster_params *p,
                                  fc_cluster_stats *st, fc_error *err);

/* Checks a fc_cluster_faces for obvious misuse. */
fc_status fc_cluster_check_faces(const fc_cluster_faces *f, fc_error *err);

/* Normalised mean of the rows of emb listed in idx[0..n) into out (dim); returns the
 * mean's length before normalising, |sum| / n (a row's mean cosine with the listed
 * rows is its cosine with the centroid times this). */
float fc_cluster_centroid(const float *emb, int dim, const int64_t *idx, int64_t n, float *out);
/* v (dim) /= |v| (a zero vector stays zero); returns the former |v|. */
float fc_cluster_normalise(float *v, int dim);

#endif
