/* index.c - fc_index: owns the vectors and ids, resolves AUTO, and routes searches to
 * the exact tiled search (flat.c) or the HNSW graph (hnsw.c). Single searches on HNSW
 * borrow per-thread scratch from a small mutex-guarded pool. */
#include "index/index.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index/dot.h"
#include "index/flat.h"
#include "index/hnsw.h"
#include "index/pairs.h"
#include "index/par.h"

enum { POOL_MAX = 16, RANGE_CHUNK = 8192 };

struct fc_index {
    int dim;
    fc_index_kind kind; /* as asked */
    fc_index_params p;
    fc_simd_level simd;
    int64_t n, cap;
    float *vecs;
    int64_t *ids;
    fc_hnsw *hnsw; /* non-NULL once HNSW is in use */
    pthread_mutex_t pool_mu;
    fc_hnsw_scratch *pool[POOL_MAX];
    int pool_n;
};

fc_index_params fc_index_params_default(void)
{
    return (fc_index_params){.n_threads = 1,
                             .hnsw_m = 16,
                             .hnsw_ef_construction = 0,
                             .hnsw_ef_search = 64,
                             .seed = 42,
                             .auto_hnsw_from = FC_INDEX_AUTO_HNSW_FROM};
}

fc_index *fc_index_new(int dim, fc_index_kind kind, const fc_index_params *params,
                       fc_error *err)
{
    if (dim <= 0 || (unsigned)kind > FC_INDEX_AUTO) {
        fc_error_set(err, FC_ERR_ARG, "index: dim %d, kind %d", dim, (int)kind);
        return NULL;
    }
    fc_index *idx = calloc(1, sizeof *idx);
    if (!idx) {
        fc_error_set(err, FC_ERR_NOMEM, "index");
        return NULL;
    }
    idx->dim = dim;
    idx->kind = kind;
    idx->p = params ? *params : fc_index_params_default();
    if (idx->p.n_threads < 1)
        idx->p.n_threads = 1;
    if (idx->p.hnsw_ef_search < 1)
        idx->p.hnsw_ef_search = 1;
    idx->simd = fc_simd_best();
    pthread_mutex_init(&idx->pool_mu, NULL);
    return idx;
}

void fc_index_free(fc_index *idx)
{
    if (!idx)
        return;
    for (int i = 0; i < idx->pool_n; i++)
        fc_hnsw_scratch_free(idx->pool[i]);
    pthread_mutex_destroy(&idx->pool_mu);
    fc_hnsw_free(idx->hnsw);
    free(idx->vecs);
    free(idx->ids);
    free(idx);
}

int64_t fc_index_size(const fc_index *idx) { return idx->n; }
int fc_index_dim(const fc_index *idx) { return idx->dim; }

fc_index_kind fc_index_kind_used(const fc_index *idx)
{
    return idx->hnsw ? FC_INDEX_HNSW : FC_INDEX_FLAT;
}

const float *fc_index_vector(const fc_index *idx, int64_t pos)
{
    return idx->vecs + (size_t)pos * (size_t)idx->dim;
}

static fc_status reserve(fc_index *idx, int64_t n, fc_error *err)
{
    if (n <= idx->cap)
        return FC_OK;
    int64_t c = idx->cap ? idx->cap : 256;
    while (c < n)
        c += c / 2 + 256;
    float *v = realloc(idx->vecs, (size_t)c * (size_t)idx->dim * sizeof *v);
    if (v)
        idx->vecs = v;
    int64_t *ids = realloc(idx->ids, (size_t)c * sizeof *ids);
    if (ids)
        idx->ids = ids;
    if (!v || !ids)
        return fc_error_set(err, FC_ERR_NOMEM, "index: room for %lld vectors of %d",
                            (long long)c, idx->dim);
    idx->cap = c;
    return FC_OK;
}

fc_status fc_index_add(fc_index *idx, const float *vecs, const int64_t *ids, int64_t n,
                       fc_error *err)
{
    if (n < 0 || (n > 0 && !vecs))
        return fc_error_set(err, FC_ERR_ARG, "index add: %lld vectors", (long long)n);
    if (idx->n + n > INT32_MAX)
        return fc_error_set(err, FC_ERR_LIMIT, "index: more than %d vectors", INT32_MAX);
    fc_status rc = reserve(idx, idx->n + n, err);
    if (rc)
        return rc;
    if (n > 0) /* vecs may be NULL when there is nothing to add */
        memcpy(idx->vecs + (size_t)idx->n * (size_t)idx->dim, vecs,
               (size_t)n * (size_t)idx->dim * sizeof *vecs);
    for (int64_t i = 0; i < n; i++)
        idx->ids[idx->n + i] = ids ? ids[i] : idx->n + i;
    idx->n += n;
    int want_hnsw = idx->kind == FC_INDEX_HNSW ||
                    (idx->kind == FC_INDEX_AUTO && idx->n >= idx->p.auto_hnsw_from);
    if (want_hnsw && !idx->hnsw) {
        fc_hnsw_config cfg = {.m = idx->p.hnsw_m,
                              .ef_construction = idx->p.hnsw_ef_construction > 0
                                                     ? idx->p.hnsw_ef_construction
                                                 : idx->n >= FC_INDEX_EF_LARGE_FROM ? 96
                                                                                    : 48,
                              .seed = idx->p.seed,
                              .n_threads = idx->p.n_threads,
                              .simd = idx->simd,
                              .pair_threshold = idx->p.self_join_threshold,
                              .pair_cap = idx->p.self_join_cap};
        idx->hnsw = fc_hnsw_new(idx->dim, &cfg, err);
        if (!idx->hnsw)
            return err ? err->code : FC_ERR_NOMEM;
    }
    if (idx->hnsw)
        rc = fc_hnsw_insert(idx->hnsw, idx->vecs, idx->n, err);
    return rc;
}

static fc_flat_view flat_view(const fc_index *idx)
{
    return (fc_flat_view){idx->vecs, idx->n, idx->dim, idx->simd, idx->p.n_threads};
}

static int search_ef(const fc_index *idx, int k)
{
    return idx->p.hnsw_ef_search > k ? idx->p.hnsw_ef_search : k;
}

/* Positions -> ids in place (out_pos and out_ids may differ in width). */
static void to_ids(const fc_index *idx, const int32_t *pos, int64_t *out_ids, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out_ids[i] = pos[i] >= 0 ? idx->ids[pos[i]] : -1;
}

fc_status fc_index_search(const fc_index *idx, const float *query, int k, int64_t *out_ids,
                          float *out_scores, fc_error *err)
{
    if (k <= 0)
        return fc_error_set(err, FC_ERR_ARG, "index search: k = %d", k);
    fc_status rc = FC_OK;
    int32_t *pos = malloc((size_t)k * sizeof *pos);
    fc_hnsw_scratch *s = NULL;
    if (!pos) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "index search: k = %d", k);
        goto out;
    }
    if (!idx->hnsw) {
        fc_flat_view v = flat_view(idx);
        v.n_threads = 1;
        rc = fc_flat_search(&v, query, 1, k, -INFINITY, -1, pos, out_scores, err);
    } else {
        fc_index *mut = (fc_index *)idx; /* the pool is internal, guarded by its mutex */
        pthread_mutex_lock(&mut->pool_mu);
        s = mut->pool_n > 0 ? mut->pool[--mut->pool_n] : NULL;
        pthread_mutex_unlock(&mut->pool_mu);
        if (!s && !(s = fc_hnsw_scratch_new())) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "index search scratch");
            goto out;
        }
        rc = fc_hnsw_search(idx->hnsw, idx->vecs, query, k, search_ef(idx, k), -1, s, pos,
                            out_scores, err);
        pthread_mutex_lock(&mut->pool_mu);
        if (mut->pool_n < POOL_MAX)
            mut->pool[mut->pool_n++] = s, s = NULL;
        pthread_mutex_unlock(&mut->pool_mu);
    }
    if (!rc)
        to_ids(idx, pos, out_ids, k);
out:
    fc_hnsw_scratch_free(s);
    free(pos);
    return rc;
}

/* ---- many queries ---- */

typedef struct {
    const fc_index *idx;
    const float *q;   /* NULL: the stored vectors themselves (self-join) */
    int64_t q_base;   /* first query's position when self-joining */
    const int32_t *rows; /* or, when set, query i is stored row rows[i] */
    int k;
    float range_t;    /* -INFINITY: k nearest; else rows >= range_t (at most k) */
    int32_t *pos;
    float *scores;
    fc_hnsw_scratch **scr;
    fc_status *rcs;   /* per worker */
} many_job;

static void hnsw_many(void *ctx, int64_t b, int64_t e, int worker)
{
    many_job *j = ctx;
    const fc_index *idx = j->idx;
    for (int64_t i = b; i < e && !j->rcs[worker]; i++) {
        int64_t self = j->q ? -1 : j->rows ? j->rows[i] : j->q_base + i;
        const float *q = j->q ? j->q + (size_t)i * (size_t)idx->dim : fc_index_vector(idx, self);
        if (j->range_t == -INFINITY)
            j->rcs[worker] = fc_hnsw_search(idx->hnsw, idx->vecs, q, j->k,
                                            search_ef(idx, j->k), self, j->scr[worker],
                                            j->pos + i * j->k, j->scores + i * j->k, NULL);
        else
            j->rcs[worker] = fc_hnsw_range(idx->hnsw, idx->vecs, q, j->range_t, j->k, self,
                                           j->scr[worker], j->pos + i * j->k,
                                           j->scores + i * j->k, NULL);
    }
}

/* k best for nq queries (q rows, or stored rows from q_base when q is NULL) into
 * positions pos (nq, k) and scores; results below min_score are dropped (on HNSW a
 * finite min_score runs the range walk instead of a k-nearest search). */
static fc_status search_many(const fc_index *idx, const float *q, int64_t q_base,
                             const int32_t *rows, int64_t nq, int k, float min_score,
                             int32_t *pos, float *scores, fc_error *err)
{
    if (!idx->hnsw) { /* rows: see flat_rows */
        fc_flat_view v = flat_view(idx);
        const float *qq = q ? q : fc_index_vector(idx, q_base);
        return fc_flat_search(&v, qq, nq, k, min_score, q ? -1 : q_base, pos, scores, err);
    }
    int nt = idx->p.n_threads;
    fc_status rc = FC_OK;
    many_job j = {.idx = idx, .q = q, .q_base = q_base, .rows = rows, .k = k,
                  .range_t = min_score, .pos = pos, .scores = scores};
    j.scr = calloc((size_t)nt, sizeof *j.scr);
    j.rcs = calloc((size_t)nt, sizeof *j.rcs);
    if (!j.scr || !j.rcs) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "index search scratch");
        goto out;
    }
    for (int t = 0; t < nt; t++)
        if (!(j.scr[t] = fc_hnsw_scratch_new())) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "index search scratch");
            goto out;
        }
    rc = fc_par_for(nt, nq, 64, hnsw_many, &j, err);
    for (int t = 0; t < nt && !rc; t++)
        if (j.rcs[t])
            rc = fc_error_set(err, j.rcs[t], "hnsw search failed (%s)", fc_strerror(j.rcs[t]));
out:
    for (int t = 0; j.scr && t < nt; t++)
        fc_hnsw_scratch_free(j.scr[t]);
    free(j.scr);
    free(j.rcs);
    return rc;
}

fc_status fc_index_search_batch(const fc_index *idx, const float *queries, int64_t n_queries,
                                int k, int64_t *out_ids, float *out_scores, fc_error *err)
{
    if (k <= 0 || n_queries < 0)
        return fc_error_set(err, FC_ERR_ARG, "index search: k = %d, %lld queries", k,
                            (long long)n_queries);
    int32_t *pos = malloc((size_t)(n_queries ? n_queries : 1) * (size_t)k * sizeof *pos);
    if (!pos)
        return fc_error_set(err, FC_ERR_NOMEM, "index search: %lld x %d", (long long)n_queries,
                            k);
    fc_status rc = search_many(idx, queries, 0, NULL, n_queries, k, -INFINITY, pos, out_scores,
                                  err);
    if (!rc)
        to_ids(idx, pos, out_ids, n_queries * k);
    free(pos);
    return rc;
}

fc_status fc_index_knn_all(const fc_index *idx, int k, int64_t *out_ids, float *out_scores,
                           fc_error *err)
{
    if (k <= 0)
        return fc_error_set(err, FC_ERR_ARG, "index knn: k = %d", k);
    int32_t *pos = malloc((size_t)(idx->n ? idx->n : 1) * (size_t)k * sizeof *pos);
    if (!pos)
        return fc_error_set(err, FC_ERR_NOMEM, "index knn: %lld x %d", (long long)idx->n, k);
    fc_status rc = search_many(idx, NULL, 0, NULL, idx->n, k, -INFINITY, pos, out_scores, err);
    if (!rc)
        to_ids(idx, pos, out_ids, idx->n * k);
    free(pos);
    return rc;
}

/* range_all from the pairs the HNSW build recorded. */
static fc_status recorded_pairs(const fc_index *idx, float threshold, fc_index_pair **out,
                                int64_t *n_out, fc_error *err)
{
    int64_t n;
    const fc_index_pair *rec = fc_hnsw_pairs(idx->hnsw, &n);
    fc_index_pair *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "range: %lld pairs", (long long)n);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (rec[i].score >= threshold)
            p[m++] = rec[i];
    fc_status rc = fc_pairs_sort(p, &m, idx->n, err);
    if (rc || m == 0) {
        free(p);
        return rc;
    }
    *out = p, *n_out = m;
    return FC_OK;
}

/* Exact search from stored rows rows[0..nq) (itself excluded) into pos/sc (nq, k). */
static fc_status flat_rows(const fc_index *idx, const int32_t *rows, int64_t nq, int k,
                           float min_score, int32_t *pos, float *sc, fc_error *err)
{
    size_t d = (size_t)idx->dim, k1 = (size_t)k + 1;
    float *q = malloc((size_t)nq * d * sizeof *q), *s1 = malloc((size_t)nq * k1 * sizeof *s1);
    int32_t *p1 = malloc((size_t)nq * k1 * sizeof *p1);
    fc_status rc = FC_OK;
    if (!q || !s1 || !p1) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "range: %lld rows", (long long)nq);
        goto out;
    }
    for (int64_t i = 0; i < nq; i++)
        memcpy(q + (size_t)i * d, fc_index_vector(idx, rows[i]), d * sizeof *q);
    fc_flat_view v = flat_view(idx);
    rc = fc_flat_search(&v, q, nq, k + 1, min_score, -1, p1, s1, err);
    for (int64_t i = 0; i < nq && !rc; i++) {
        int got = 0;
        for (size_t r = 0; r < k1 && got < k; r++)
            if (p1[(size_t)i * k1 + r] != rows[i]) {
                pos[i * k + got] = p1[(size_t)i * k1 + r];
                sc[i * k + got++] = s1[(size_t)i * k1 + r];
            }
    }
out:
    free(q), free(s1), free(p1);
    return rc;
}

/* Pairs from each stored row listed in rows[0..n_rows) (NULL: every row) to its
 * neighbours >= threshold, at most k per row, deduplicated and sorted. */
static fc_status range_rows(const fc_index *idx, const int32_t *rows, int64_t n_rows,
                            float threshold, int k, fc_index_pair **out, int64_t *n_out,
                            fc_error *err)
{
    fc_status rc = FC_OK;
    fc_index_pair *pairs = NULL;
    int64_t np = 0, cap = 0;
    int32_t *pos = malloc((size_t)RANGE_CHUNK * (size_t)k * sizeof *pos);
    float *sc = malloc((size_t)RANGE_CHUNK * (size_t)k * sizeof *sc);
    if (!pos || !sc) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "range: %d x %d", RANGE_CHUNK, k);
        goto out;
    }
    for (int64_t c0 = 0; c0 < n_rows && !rc; c0 += RANGE_CHUNK) {
        int64_t nq = n_rows - c0 < RANGE_CHUNK ? n_rows - c0 : RANGE_CHUNK;
        if (rows && !idx->hnsw)
            rc = flat_rows(idx, rows + c0, nq, k, threshold, pos, sc, err);
        else
            rc = search_many(idx, NULL, c0, rows ? rows + c0 : NULL, nq, k, threshold, pos, sc,
                             err);
        for (int64_t i = 0; i < nq * k && !rc; i++) {
            if (pos[i] < 0 || !(sc[i] >= threshold))
                continue;
            if (np == cap) {
                int64_t nc = cap ? cap * 2 : 4096;
                fc_index_pair *p = realloc(pairs, (size_t)nc * sizeof *p);
                if (!p) {
                    rc = fc_error_set(err, FC_ERR_NOMEM, "range: %lld pairs", (long long)nc);
                    break;
                }
                pairs = p, cap = nc;
            }
            int32_t q = rows ? rows[c0 + i / k] : (int32_t)(c0 + i / k), r = pos[i];
            pairs[np++] = (fc_index_pair){q < r ? q : r, q < r ? r : q, sc[i]};
        }
    }
    if (!rc)
        rc = fc_pairs_sort(pairs, &np, idx->n, err);
    if (!rc && np > 0) {
        *out = pairs, *n_out = np;
        pairs = NULL;
    }
out:
    free(pairs);
    free(pos);
    free(sc);
    return rc;
}

fc_status fc_index_range_all(const fc_index *idx, float threshold, int max_per_point,
                             fc_index_pair **out, int64_t *n_out, fc_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (max_per_point <= 0)
        return fc_error_set(err, FC_ERR_ARG, "range: max_per_point = %d", max_per_point);
    if (idx->hnsw && idx->p.self_join_cap > 0 && threshold >= idx->p.self_join_threshold &&
        max_per_point >= idx->p.self_join_cap)
        return recorded_pairs(idx, threshold, out, n_out, err);
    return range_rows(idx, NULL, idx->n, threshold, max_per_point, out, n_out, err);
}

fc_status fc_index_range_from(const fc_index *idx, const int32_t *rows, int64_t n_rows,
                              float threshold, int max_per_point, fc_index_pair **out,
                              int64_t *n_out, fc_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (max_per_point <= 0 || n_rows < 0)
        return fc_error_set(err, FC_ERR_ARG, "range: max_per_point %d, %lld rows",
                            max_per_point, (long long)n_rows);
    for (int64_t i = 0; i < n_rows; i++)
        if (rows[i] < 0 || rows[i] >= idx->n)
            return fc_error_set(err, FC_ERR_ARG, "range: row %d of %lld", rows[i],
                                (long long)idx->n);
    return range_rows(idx, rows, n_rows, threshold, max_per_point, out, n_out, err);
}
