/* hnsw_impl.h - the HNSW graph's layout and the helpers its build (hnsw.c) and search
 * (hnsw_search.c) share. Internal to src/index. */
#ifndef FC_INDEX_HNSW_IMPL_H
#define FC_INDEX_HNSW_IMPL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "index/hnsw.h"
#include "index/topk.h"

enum { HNSW_BATCH = 256, HNSW_MAX_LEVEL = 15, HNSW_MAX_LINKS = 512, PREFETCH_AHEAD = 3 };
/* Range walks (and recorded pairs) consider rows whose code score is within
 * RANGE_SLACK of the threshold; a walk starts from a search with RANGE_EF candidates. */
enum { RANGE_EF = 10, RANGE_WALK_MIN = 256 };
#define RANGE_SLACK 0.02f

struct fc_hnsw {
    int dim, cdim, m, m0, ef_c, n_threads;
    double ml;
    uint64_t seed;
    fc_dot_fn dot;
    fc_dot_i8_fn dot8;
    float scale, inv_s2; /* code = round(x * scale); score = code . code * inv_s2 */
    int8_t *codes;       /* [cap][cdim] */
    int64_t n, cap;
    uint8_t *level;   /* [cap] */
    int32_t *links0;  /* [cap][m0 + 1]: count, then neighbours */
    int32_t **upper;  /* [cap]: NULL or [level][m + 1] */
    int32_t entry;    /* -1 while empty */
    int max_level;
    float pair_t;     /* pairs recorded while linking (pair_cap > 0) */
    int pair_cap;
    fc_index_pair *pairs;
    int64_t n_pairs, pairs_cap;
};

struct fc_hnsw_scratch {
    uint32_t *tag;
    int64_t tag_n;
    uint32_t epoch;
    fc_scored *cand, *res, *eps, *sel, *tmp;
    int cand_cap, res_cap, eps_cap, sel_cap, tmp_cap;
    float *mate;
    int mate_cap;
    int8_t *qcode; /* the query's code */
    int qcode_n;
};

/* ---- small helpers ---- */

static inline int32_t *links_of(const fc_hnsw *h, int64_t i, int lev)
{
    return lev == 0 ? h->links0 + (size_t)i * (size_t)(h->m0 + 1)
                    : h->upper[i] + (size_t)(lev - 1) * (size_t)(h->m + 1);
}

static inline const float *row(const fc_hnsw *h, const float *x, int64_t i)
{
    return x + (size_t)i * (size_t)h->dim;
}

static inline const int8_t *code(const fc_hnsw *h, int64_t i)
{
    return h->codes + (size_t)i * (size_t)h->cdim;
}

static inline float score8(const fc_hnsw *h, const int8_t *a, const int8_t *b)
{
    return (float)h->dot8(a, b, h->cdim) * h->inv_s2;
}

static inline void quantize(const fc_hnsw *h, const float *v, int8_t *out)
{
    for (int k = 0; k < h->dim; k++) {
        float c = v[k] * h->scale;
        c = c > 127 ? 127 : c < -127 ? -127 : c;
        out[k] = (int8_t)lrintf(c);
    }
    memset(out + h->dim, 0, (size_t)(h->cdim - h->dim));
}


/* Grows *p (of *cap items of size sz) to hold at least need; 0 or -1. */
int fc_hnsw_grow(void **p, int *cap, int need, size_t sz);
/* Sizes s for a graph of n_nodes, candidate lists of ef, mates batch rows and code rows of
 * cdim bytes; 0 or -1 (no memory). */
int fc_hnsw_scratch_fit(fc_hnsw_scratch *s, int64_t n_nodes, int ef, int mates, int cdim);
/* Greedy walk on level lev from *cur (score *cur_s) to a local maximum. */
void fc_hnsw_greedy(const fc_hnsw *h, const int8_t *q, int lev, int32_t *cur, float *cur_s);
/* Best-first search on level lev from eps[0..n_ep) into the top-ef heap w (storage
 * s->res); 0, or -1 when out of memory. */
int fc_hnsw_search_layer(const fc_hnsw *h, const int8_t *q, const fc_scored *eps, int n_ep,
                         int ef, int lev, fc_hnsw_scratch *s, fc_topk *w);
/* Heuristic neighbour selection from cand (best first): keep a candidate unless it is
 * closer to an already kept one than to the new row; returns the count in out. */
int fc_hnsw_select(const fc_hnsw *h, const fc_scored *cand, int nc, int m, fc_scored *out);

#endif
