/* hnsw.h - a Hierarchical Navigable Small World graph (Malkov & Yashunin) over vectors
 * the caller stores, searched by dot product. Internal to src/index; fc_index wraps it.
 * Building is deterministic for a seed and independent of the thread count. */
#ifndef FC_INDEX_HNSW_H
#define FC_INDEX_HNSW_H

#include <stdint.h>

#include "core/status.h"
#include "index/dot.h"
#include "index/index.h"

typedef struct fc_hnsw fc_hnsw;
typedef struct fc_hnsw_scratch fc_hnsw_scratch;

typedef struct {
    int m;               /* links per node and level (2m on level 0) */
    int ef_construction; /* candidate list size while linking */
    uint64_t seed;       /* level draws */
    int n_threads;       /* for inserts */
    fc_simd_level simd;
    float pair_threshold; /* with pair_cap > 0: record pairs >= this while linking */
    int pair_cap;         /* at most this many per inserted row (its best) */
} fc_hnsw_config;

/* An empty graph for dim-sized vectors; NULL and err set on failure. Free with
 * fc_hnsw_free (NULL is a no-op). */
fc_hnsw *fc_hnsw_new(int dim, const fc_hnsw_config *cfg, fc_error *err);
void fc_hnsw_free(fc_hnsw *h);

/* Number of rows linked so far. */
int64_t fc_hnsw_size(const fc_hnsw *h);

/* Links rows [fc_hnsw_size(h), n) of x (n, dim) into the graph. x must keep holding
 * the same rows for every later call (it may move: pass its current address). */
fc_status fc_hnsw_insert(fc_hnsw *h, const float *x, int64_t n, fc_error *err);

/* Pairs recorded while linking (pair_cap > 0): each inserted row with the earlier rows
 * its level-0 candidate list held at an exact cosine >= pair_threshold, at most
 * pair_cap per row (a < b, unordered). Valid until the next insert. */
const fc_index_pair *fc_hnsw_pairs(const fc_hnsw *h, int64_t *n);

/* Per-thread search state (visited marks, heaps); reusable across searches and graphs. */
fc_hnsw_scratch *fc_hnsw_scratch_new(void);
void fc_hnsw_scratch_free(fc_hnsw_scratch *s);

/* The k best rows for query q (approximately), searching with a candidate list of
 * max(ef, k) on level 0; row self (>= 0) is skipped. Best first; unused slots get -1 /
 * -INFINITY. Thread-safe for concurrent calls with distinct scratch. */
fc_status fc_hnsw_search(const fc_hnsw *h, const float *x, const float *q, int k, int ef,
                         int64_t self, fc_hnsw_scratch *s, int32_t *out_pos,
                         float *out_scores, fc_error *err);

/* Rows with cosine >= threshold to q (self skipped), at most cap, best first with exact
 * scores; unused slots -1 / -INFINITY. A short search finds q's neighbourhood, then a
 * walk along links through rows at or above the threshold collects the rest, so the
 * cost follows the number of matches rather than a fixed candidate list. */
fc_status fc_hnsw_range(const fc_hnsw *h, const float *x, const float *q, float threshold,
                        int cap, int64_t self, fc_hnsw_scratch *s, int32_t *out_pos,
                        float *out_scores, fc_error *err);

#endif
