/* cluster.h - grouping faces into persons from their embeddings (PIPELINE.md, Cluster):
 * similarity edges from the vector index, union-find components, transitive centroid
 * merges, cannot-link (two faces of one image are never one person), min_faces, owner
 * faces and size-ordered person ids. Also: incremental assignment of new faces to an
 * existing clustering, the original service's method as a baseline, and BCubed /
 * pairwise quality metrics. Pure computation on arrays: no I/O.
 *
 *   fc_cluster_params p = fc_cluster_params_default();
 *   fc_cluster_faces f = {.n_faces = n, .dim = 512, .emb = emb, .image = img,
 *                         .quality = q, .confidence = c};
 *   fc_clustering *r;
 *   if (fc_cluster_run(&f, &p, &r, &err) == FC_OK) { ... r->person_of[i] ...; }
 *   fc_clustering_free(r);
 */
#ifndef FC_CLUSTER_CLUSTER_H
#define FC_CLUSTER_CLUSTER_H

#include <stdint.h>

#include "core/status.h"
#include "index/index.h"

/* The faces to cluster. Face i is row i; arrays other than emb may be NULL. */
typedef struct {
    int64_t n_faces;
    int dim;
    const float *emb;        /* (n_faces, dim), L2-normalised */
    const int64_t *image;    /* image per face for cannot-link; NULL or < 0 = no constraint */
    const float *quality;    /* quality_score in [0, 1]; NULL = all 0 */
    const float *confidence; /* detector confidence in [0, 1]; NULL = all 0 */
} fc_cluster_faces;

/* Where a clustering run spent its time (seconds) and what it found; optional. */
typedef struct {
    double index_s;        /* building the face index */
    double edges_s;        /* range self-join over the faces (with HNSW: filtering the
                              pairs the build recorded, and range walks from faces left
                              in components of 1-2 faces by them) */
    double unions_s;       /* unions along the edges */
    double merge_s;        /* all centroid-merge rounds (their indexes included) */
    double assemble_s;     /* numbering, owners, centroids, confidences */
    int64_t n_edges;       /* face pairs >= edge_threshold found */
    int64_t n_rescue_walks; /* HNSW: faces searched again (small components) */
    int64_t n_refused;     /* edge and merge unions refused by cannot-link */
    int merge_rounds;      /* rounds run (the last merges nothing) */
    int64_t n_merged;      /* groups merged in step 3 */
    int64_t n_attached;    /* groups of 1-2 faces attached to a larger one (attach.c) */
    fc_index_kind index_used; /* FLAT or HNSW for the faces */
} fc_cluster_stats;

typedef struct {
    float edge_threshold;  /* step 1: faces with cosine >= this are linked */
    float merge_threshold; /* step 3: groups A, B merge when the mean cosine between
                              their faces >= merge + (edge - merge) / sqrt(|A| |B|) */
    float attach_threshold; /* after step 3: a group of 1-2 faces joins the larger group
                               its faces have the highest mean cosine with, when that
                               mean >= this and beats the runner-up's by attach_margin;
                               0 = off */
    float attach_margin;
    int cannot_link;       /* step 4: 1 = two faces of one image never share a person */
    int min_faces;         /* step 5: smaller persons go to unassigned (>= 1) */
    int max_neighbours;    /* step 1 cap: each face links to at most its best this many
                              (bounds memory for huge groups; components stay connected
                              through the kept links) */
    int max_merge_rounds;  /* step 3 repeats until nothing merges, at most this often */
    float extend_threshold; /* fc_cluster_extend: face-to-centroid cosine to join an
                               existing person; 0 = as step 3 would join a single face
                               (mean cosine with its faces over the bar) */
    fc_index_kind index_kind; /* for faces and centroids; AUTO = flat below
                                 FC_INDEX_AUTO_HNSW_FROM, else HNSW */
    fc_index_params index;    /* n_threads here is the clustering's thread count */
    fc_cluster_stats *stats;  /* NULL, or filled by fc_cluster_run */
} fc_cluster_params;

/* edge 0.5, merge 0.6, attach off (margin 0.1), cannot_link on, min_faces 1,
 * max_neighbours 64, max_merge_rounds 20, AUTO index with fc_index_params_default(). The thresholds suit
 * the 512-d synthetic sets of tests/synth.h; calibrate per embedder. */
fc_cluster_params fc_cluster_params_default(void);

/* A clustering. Persons are numbered 0..n_persons-1 ("person_<i>"): by size
 * descending, then by smallest face index. */
typedef struct {
    int64_t n_faces;
    int n_persons, dim;
    int32_t *person_of;      /* [n_faces]: person, or -1 = unassigned */
    float *face_confidence;  /* [n_faces]: cosine to its person's centroid (0 if none) */
    int64_t *member_start;   /* [n_persons + 1]: person p's faces are */
    int64_t *members;        /*   members[member_start[p] .. member_start[p+1]), ascending */
    int64_t *owner;          /* [n_persons]: face with max 0.6*quality + 0.4*confidence,
                                ties to the smallest index */
    float *centroids;        /* [n_persons * dim]: normalised mean of the members */
    int64_t n_unassigned;
    int64_t *unassigned;     /* [n_unassigned], ascending */
} fc_clustering;

void fc_clustering_free(fc_clustering *c);

/* The fc_clustering of faces grouped as person_of says (ids 0..n_persons-1 or -1;
 * person_of is copied): members, owners, centroids, confidences, unassigned, by the
 * rules above. fc_cluster_run ends with it; an incremental run's base is rebuilt
 * with it once faces have left. */
fc_status fc_cluster_assemble(const fc_cluster_faces *f, const int32_t *person_of,
                              int n_persons, fc_clustering **out, fc_error *err);

/* Runs steps 1-7 of PIPELINE.md's Cluster section on faces; *out is the caller's
 * (fc_clustering_free). Deterministic for the same input and parameters, whatever
 * index.n_threads is.
 *
 * Cannot-link rule: edges are taken strongest first (descending cosine, then face
 * indices), and an edge joins its two groups unless together they would hold two faces
 * of one image; such an edge is refused. So a component that would contain a conflict
 * is split at its weakest links: it becomes the maximum spanning forest that keeps every
 * image's faces apart. Merges (step 3) take candidate pairs by centroid cosine,
 * strongest first, under the same rule, each tested on the groups as they are by then
 * (average linkage with a size-dependent bar). Step 3 repeats until a round merges
 * nothing; then small groups attach (attach_threshold). */
fc_status fc_cluster_run(const fc_cluster_faces *faces, const fc_cluster_params *p,
                         fc_clustering **out, fc_error *err);

/* What fc_cluster_extend changed. */
typedef struct {
    int n_persons_before;    /* persons 0..n_persons_before-1 kept their ids */
    int n_new_persons;       /* ids n_persons_before.. are new */
    int64_t *faces_added;    /* [n_persons of the new clustering]: faces joined each person
                                (a new person's own size) */
    int64_t n_joined;        /* new faces that joined an existing person */
} fc_cluster_changes;

void fc_cluster_changes_free(fc_cluster_changes *ch);

/* Adds new_faces to an existing clustering prev of old_faces (old_faces->emb and
 * image are those prev was made from). Each new face joins the existing person whose
 * centroid it is most similar to, if step 3 would merge it with that person as a group
 * of one face (or, with extend_threshold set, if that cosine reaches it) and the person
 * holds no face of its image (candidates are taken strongest first). The remaining new
 * faces, together with prev's unassigned faces, are clustered with fc_cluster_run into
 * new persons numbered after the existing ones (size descending, first appearance).
 * Faces of the result: old faces keep their indices, new face i is n_old + i. Owners,
 * centroids and confidences are recomputed for the persons that grew. p->stats, if set,
 * describes the clustering of the remaining faces. A person of prev without faces
 * (as stored rows can describe) is FC_ERR_ARG.
 * *out and *changes are the caller's. */
fc_status fc_cluster_extend(const fc_cluster_faces *old_faces, const fc_clustering *prev,
                            const fc_cluster_faces *new_faces, const fc_cluster_params *p,
                            fc_clustering **out, fc_cluster_changes *changes, fc_error *err);

/* The original Python service's method, as a baseline for reports: the full n x n
 * cosine matrix, connected components of cosine >= threshold, then one pass merging
 * components whose centroids have cosine >= threshold + 0.1 (transitively), no
 * cannot-link, min_faces 1; owners and ids as fc_cluster_run. O(n^2) memory: refuses
 * n > FC_CLUSTER_ORIGINAL_MAX_FACES with FC_ERR_LIMIT. */
#define FC_CLUSTER_ORIGINAL_MAX_FACES 20000
fc_status fc_cluster_original(const fc_cluster_faces *faces, float threshold, int n_threads,
                              fc_clustering **out, fc_error *err);

/* Agreement of a clustering with ground-truth labels; unassigned faces count as
 * singleton clusters. BCubed: per-face precision |C(i) & L(i)| / |C(i)| and recall
 * |C(i) & L(i)| / |L(i)| averaged over faces, F their harmonic mean. Pairwise: over
 * pairs of faces, precision = same-cluster pairs that share a label / same-cluster
 * pairs (1 when there are none), recall = same-label pairs also in one cluster /
 * same-label pairs (1 when none). */
typedef struct {
    double bcubed_precision, bcubed_recall, bcubed_f;
    double pair_precision, pair_recall, pair_f;
} fc_cluster_quality;

fc_status fc_cluster_score(const int64_t *truth, const int32_t *person_of, int64_t n_faces,
                           fc_cluster_quality *out, fc_error *err);

#endif
