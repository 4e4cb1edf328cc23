/* index.h - the vector index: L2-normalised float vectors with int64 ids, searched by
 * cosine similarity (= dot product). FLAT is exact (SIMD, tiled, multithreaded); HNSW
 * is approximate and fast on large sets; AUTO is FLAT until the index holds
 * auto_hnsw_from vectors, then HNSW.
 *
 *   fc_index *idx = fc_index_new(512, FC_INDEX_AUTO, NULL, &err);
 *   fc_index_add(idx, vecs, NULL, n, &err);            // ids 0..n-1
 *   fc_index_search(idx, query, 10, ids, scores, &err);
 *   fc_index_free(idx);
 *
 * Adding is not thread-safe; searching is (concurrent fc_index_search calls on one
 * index are fine while nobody adds). Results are deterministic for the same inputs,
 * parameters and seed, and do not depend on n_threads. */
#ifndef FC_INDEX_INDEX_H
#define FC_INDEX_INDEX_H

#include <stdint.h>

#include "core/status.h"

typedef struct fc_index fc_index;

typedef enum {
    FC_INDEX_FLAT = 0,
    FC_INDEX_HNSW,
    FC_INDEX_AUTO,
} fc_index_kind;

/* Measured on the 2-core bench machine (bench/CLUSTER_RESULTS.md), clustering 512-d
 * faces: flat and HNSW take the same time near 5k faces, HNSW is 2x faster at 10k and
 * 3x at 20k. Below this size the exact search is kept: it costs under ~1.5 s and
 * misses nothing. */
#define FC_INDEX_AUTO_HNSW_FROM 10000

/* From this many vectors in the first HNSW build, the default ef_construction doubles. */
#define FC_INDEX_EF_LARGE_FROM 500000

typedef struct {
    int n_threads;          /* threads for adds (HNSW build) and batch searches; default 1 */
    int hnsw_m;             /* HNSW links per node and level; default 16 */
    int hnsw_ef_construction; /* 0 (default) = 48, or 96 when the graph starts with
                                 FC_INDEX_EF_LARGE_FROM or more vectors (measured: 1M
                                 synthetic faces lose a third of their edges at 48) */
    int hnsw_ef_search;     /* default 64; a search uses max(ef_search, k) */
    uint64_t seed;          /* HNSW level draws; default 42 */
    int64_t auto_hnsw_from; /* AUTO switches to HNSW at this size; default above */
    float self_join_threshold; /* with self_join_cap > 0, an HNSW build also keeps the */
    int self_join_cap;         /* pairs >= threshold it meets while linking each row to
                                  earlier rows (at most cap per row); fc_index_range_all
                                  at a threshold >= it and max_per_point >= cap then
                                  filters those instead of searching again. Default off */
} fc_index_params;

/* The defaults above. */
fc_index_params fc_index_params_default(void);

/* An empty index of dim-sized vectors; params NULL = defaults. NULL and err set on a bad
 * argument or no memory. Free with fc_index_free (NULL is a no-op). */
fc_index *fc_index_new(int dim, fc_index_kind kind, const fc_index_params *params,
                       fc_error *err);
void fc_index_free(fc_index *idx);

/* Copies n vectors (n, dim) into the index with ids (NULL = their positions: size
 * before the call + 0..n-1). Vectors should be L2-normalised (not checked). */
fc_status fc_index_add(fc_index *idx, const float *vecs, const int64_t *ids, int64_t n,
                       fc_error *err);

int64_t fc_index_size(const fc_index *idx);
int fc_index_dim(const fc_index *idx);
/* FC_INDEX_FLAT or FC_INDEX_HNSW: what searches use now (AUTO resolved). */
fc_index_kind fc_index_kind_used(const fc_index *idx);
/* The stored vector at position pos (0 <= pos < size); valid until the next add. */
const float *fc_index_vector(const fc_index *idx, int64_t pos);

/* The k most similar stored vectors to query (dim), best first (ties: smaller position
 * first): out_ids[k], out_scores[k]; unused slots get id -1 and score -INFINITY. */
fc_status fc_index_search(const fc_index *idx, const float *query, int k, int64_t *out_ids,
                          float *out_scores, fc_error *err);

/* fc_index_search for n_queries rows of queries (n_queries, dim) on n_threads threads:
 * out_ids / out_scores are (n_queries, k). */
fc_status fc_index_search_batch(const fc_index *idx, const float *queries, int64_t n_queries,
                                int k, int64_t *out_ids, float *out_scores, fc_error *err);

/* The k nearest other stored vectors of every stored vector (itself excluded):
 * out_ids / out_scores are (size, k), row i for position i. */
fc_status fc_index_knn_all(const fc_index *idx, int k, int64_t *out_ids, float *out_scores,
                           fc_error *err);

/* A pair of stored vectors by position (a < b; positions are < 2^31) and their cosine. */
typedef struct {
    int32_t a, b;
    float score;
} fc_index_pair;

/* Range self-join: every pair with cosine >= threshold, where each vector contributes
 * at most max_per_point of its best neighbours (the cap bounds memory on dense groups;
 * a pair is kept if either end has the other among its capped neighbours). Positions,
 * not ids. Sorted by descending score, then a, then b. *out is malloc'ed (caller frees;
 * NULL when *n_out is 0). Scores are exact float32 dot products.
 * FLAT finds every such pair. HNSW is approximate: each vector runs a range walk (a short
 * search, then links followed through vectors above the threshold), or, when the build
 * recorded pairs (self_join_*), those are filtered: then each vector contributes at most
 * self_join_cap pairs with vectors added before it. */
fc_status fc_index_range_all(const fc_index *idx, float threshold, int max_per_point,
                             fc_index_pair **out, int64_t *n_out, fc_error *err);

/* fc_index_range_all from the stored rows listed (positions) only: the pairs of each of
 * them with its neighbours >= threshold (at most max_per_point each), always by searching
 * (HNSW: range walks), never from recorded pairs. Same output conventions. */
fc_status fc_index_range_from(const fc_index *idx, const int32_t *rows, int64_t n_rows,
                              float threshold, int max_per_point, fc_index_pair **out,
                              int64_t *n_out, fc_error *err);

#endif
