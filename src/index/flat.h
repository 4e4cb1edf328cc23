/* flat.h - exact (brute-force) k-nearest-neighbour search by dot product, tiled so a
 * block of queries reuses each block of stored vectors while it is in cache, and
 * multithreaded over query blocks. Internal to src/index. */
#ifndef FC_INDEX_FLAT_H
#define FC_INDEX_FLAT_H

#include <stdint.h>

#include "core/status.h"
#include "index/dot.h"

typedef struct {
    const float *x; /* stored vectors (n, dim), row stride dim */
    int64_t n;
    int dim;
    fc_simd_level simd;
    int n_threads;
} fc_flat_view;

/* For each query row q[i] (nq, dim): its k best rows of x by dot product, best first
 * (ties: smaller row first), written to out_pos[i*k..] / out_scores[i*k..]. Rows scoring
 * below min_score are left out; unused slots get position -1 and score -INFINITY.
 * self_base >= 0 makes query i skip row self_base + i (searching the store itself). */
fc_status fc_flat_search(const fc_flat_view *v, const float *q, int64_t nq, int k,
                         float min_score, int64_t self_base, int32_t *out_pos,
                         float *out_scores, fc_error *err);

#endif
