/* hnsw.c - HNSW graph: level draws from a seeded hash, greedy descent through the upper
 * levels, best-first search with a bounded result heap on each level, and the
 * "heuristic" neighbour selection that keeps diverse links.
 *
 * Parallel, deterministic build: rows are linked in batches of HNSW_BATCH. Phase 1
 * (parallel over the batch) searches the graph as it was before the batch, adds the
 * batch's earlier rows by brute force (so no link sequential insertion would see is
 * missed), and chooses each new row's neighbours. Phase 2 writes those lists, then adds
 * the reverse links grouped by target node (parallel over targets, each target taking
 * its new neighbours in row order). Nothing depends on which thread ran what, so the
 * graph is the same for any thread count.
 *
 * The graph is navigated on int8 codes of the vectors (one scale for the index,
 * 127 / the largest |component| of the first rows added; rows padded to 64 bytes): a
 * quarter of the memory traffic of float32, which is what bounds HNSW on 512-d
 * vectors. Search results are rescored with the exact float32 dot product. */
#include "index/hnsw.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "index/hnsw_impl.h"
#include "index/par.h"

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int draw_level(const fc_hnsw *h, int64_t i)
{
    double u = (double)(splitmix64(h->seed ^ splitmix64((uint64_t)i)) >> 11) * 0x1p-53;
    int l = (int)floor(-log(1.0 - u) * h->ml);
    return l > HNSW_MAX_LEVEL ? HNSW_MAX_LEVEL : l;
}

/* Grows *p (of *cap items of size sz) to hold at least need; 0 or -1. */

/* ---- build ---- */

typedef struct {
    int32_t lev, target, from;
} rev_link;

typedef struct {
    fc_hnsw *h;
    const float *x;
    int64_t s, e;            /* the batch: rows [s, e) */
    int64_t *plan_off;       /* per batch row: first slot in plan */
    int32_t *plan;           /* [row][lev][m] chosen neighbours */
    int32_t *plan_n;         /* [row][lev] counts, offset plan_off / m */
    fc_hnsw_scratch **scr;   /* per worker */
    rev_link *rev;
    int64_t *groups;         /* start of each (lev, target) run in rev, plus end */
    fc_index_pair *rec;      /* [row][pair_cap] recorded pairs */
    int32_t *rec_n;          /* [row] */
    atomic_int failed;
} batch_job;

/* Records row i's pairs with the level-0 candidates cand[0..n) (code scores). */
static void record_pairs(batch_job *b, int64_t i, const fc_scored *cand, int n)
{
    fc_hnsw *h = b->h;
    fc_index_pair *out = b->rec + (i - b->s) * h->pair_cap;
    int got = 0;
    for (int c = 0; c < n && got < h->pair_cap; c++) { /* best first */
        if (cand[c].score < h->pair_t - RANGE_SLACK)
            break;
        float e = h->dot(row(h, b->x, i), row(h, b->x, cand[c].id), h->dim);
        if (e >= h->pair_t)
            out[got++] = (fc_index_pair){cand[c].id, (int32_t)i, e};
    }
    b->rec_n[i - b->s] = got;
}

static void phase1_row(batch_job *b, int64_t i, fc_hnsw_scratch *s)
{
    fc_hnsw *h = b->h;
    const int8_t *q = code(h, i);
    int L = h->level[i];
    int n_mates = (int)(i - b->s);
    for (int j = 0; j < n_mates; j++)
        s->mate[j] = score8(h, q, code(h, b->s + j));
    int top = h->entry >= 0 ? h->max_level : -1;
    int32_t cur = h->entry;
    float cur_s = cur >= 0 ? score8(h, q, code(h, cur)) : 0;
    for (int lev = top; lev > L; lev--)
        fc_hnsw_greedy(h, q, lev, &cur, &cur_s);
    int n_ep = 0;
    for (int lev = L; lev >= 0; lev--) {
        fc_topk w = {s->res, 0, h->ef_c};
        if (lev <= top) {
            /* Entry points from the level above, less batch rows (not linked yet). */
            int k = 0;
            for (int t = 0; t < n_ep; t++)
                if (s->eps[t].id < b->s)
                    s->eps[k++] = s->eps[t];
            if (k == 0)
                s->eps[k++] = (fc_scored){cur_s, cur};
            if (fc_hnsw_search_layer(h, q, s->eps, k, h->ef_c, lev, s, &w)) {
                atomic_store(&b->failed, 1);
                return;
            }
        }
        for (int j = 0; j < n_mates; j++)
            if (h->level[b->s + j] >= lev)
                fc_topk_push(&w, s->mate[j], (int32_t)(b->s + j));
        n_ep = fc_topk_drain(&w, s->eps);
        if (lev == 0 && h->pair_cap > 0)
            record_pairs(b, i, s->eps, n_ep);
        int32_t *dst = b->plan + b->plan_off[i - b->s] + (int64_t)lev * h->m;
        int n_sel = fc_hnsw_select(h, s->eps, n_ep, h->m, s->sel);
        for (int t = 0; t < n_sel; t++)
            dst[t] = s->sel[t].id;
        b->plan_n[b->plan_off[i - b->s] / h->m + lev] = n_sel;
    }
}

static void phase1(void *ctx, int64_t begin, int64_t end, int worker)
{
    batch_job *b = ctx;
    for (int64_t i = begin; i < end && !atomic_load(&b->failed); i++)
        phase1_row(b, b->s + i, b->scr[worker]);
}

/* Adds row `from` to target's list on lev, re-selecting when the list is full. */
static int add_reverse(fc_hnsw *h, int32_t target, int32_t from, int lev, fc_hnsw_scratch *s)
{
    int32_t *l = links_of(h, target, lev);
    int mmax = lev ? h->m : h->m0;
    if (l[0] < mmax) {
        l[1 + l[0]++] = from;
        return 0;
    }
    const int8_t *v = code(h, target);
    fc_topk t = {s->tmp, 0, mmax + 1};
    for (int c = 0; c < l[0]; c++)
        fc_topk_push(&t, score8(h, v, code(h, l[1 + c])), l[1 + c]);
    fc_topk_push(&t, score8(h, v, code(h, from)), from);
    int nc = fc_topk_drain(&t, s->tmp);
    int n = fc_hnsw_select(h, s->tmp, nc, mmax, s->sel);
    for (int c = 0; c < n; c++)
        l[1 + c] = s->sel[c].id;
    l[0] = n;
    return 0;
}

static void phase2(void *ctx, int64_t begin, int64_t end, int worker)
{
    batch_job *b = ctx;
    for (int64_t g = begin; g < end; g++)
        for (int64_t r = b->groups[g]; r < b->groups[g + 1]; r++)
            add_reverse(b->h, b->rev[r].target, b->rev[r].from, b->rev[r].lev, b->scr[worker]);
}

static int rev_cmp(const void *pa, const void *pb)
{
    const rev_link *a = pa, *b = pb;
    if (a->lev != b->lev)
        return a->lev < b->lev ? -1 : 1;
    if (a->target != b->target)
        return a->target < b->target ? -1 : 1;
    return (a->from > b->from) - (a->from < b->from);
}

static fc_status ensure_cap(fc_hnsw *h, int64_t n, fc_error *err)
{
    if (n <= h->cap)
        return FC_OK;
    int64_t c = h->cap ? h->cap : 1024;
    while (c < n)
        c *= 2;
    uint8_t *lv = realloc(h->level, (size_t)c);
    if (lv)
        h->level = lv;
    int32_t *l0 = realloc(h->links0, (size_t)c * (size_t)(h->m0 + 1) * sizeof *l0);
    if (l0)
        h->links0 = l0;
    int32_t **up = realloc(h->upper, (size_t)c * sizeof *up);
    if (up)
        h->upper = up;
    int8_t *codes = fc_aligned_alloc((size_t)c * (size_t)h->cdim);
    if (codes) {
        if (h->codes)
            memcpy(codes, h->codes, (size_t)h->n * (size_t)h->cdim);
        fc_aligned_free(h->codes);
        h->codes = codes;
    }
    if (!lv || !l0 || !up || !codes)
        return fc_error_set(err, FC_ERR_NOMEM, "hnsw: room for %lld nodes", (long long)c);
    memset(h->upper + h->cap, 0, (size_t)(c - h->cap) * sizeof *up);
    h->cap = c;
    return FC_OK;
}

/* Links one batch [s, e); the workers' scratch is in b->scr. */
static fc_status insert_batch(fc_hnsw *h, batch_job *b, fc_error *err)
{
    fc_status rc = FC_OK;
    int64_t nb = b->e - b->s, slots = 0;
    for (int64_t i = b->s; i < b->e; i++) {
        b->plan_off[i - b->s] = slots;
        slots += (int64_t)(h->level[i] + 1) * h->m;
        h->links0[(size_t)i * (size_t)(h->m0 + 1)] = 0;
        if (h->level[i] > 0 && !h->upper[i]) {
            h->upper[i] = calloc((size_t)h->level[i] * (size_t)(h->m + 1), sizeof(int32_t));
            if (!h->upper[i])
                return fc_error_set(err, FC_ERR_NOMEM, "hnsw: upper links");
        }
    }
    b->plan = malloc((size_t)slots * sizeof *b->plan);
    b->plan_n = calloc((size_t)(slots / h->m), sizeof *b->plan_n);
    b->rev = malloc((size_t)slots * sizeof *b->rev);
    b->groups = malloc((size_t)(slots + 1) * sizeof *b->groups);
    if (h->pair_cap > 0) {
        b->rec = malloc((size_t)nb * (size_t)h->pair_cap * sizeof *b->rec);
        b->rec_n = calloc((size_t)nb, sizeof *b->rec_n);
    }
    if (!b->plan || !b->plan_n || !b->rev || !b->groups ||
        (h->pair_cap > 0 && (!b->rec || !b->rec_n))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "hnsw: batch plan");
        goto out;
    }
    atomic_store(&b->failed, 0);
    rc = fc_par_for(h->n_threads, nb, 4, phase1, b, err);
    if (!rc && atomic_load(&b->failed))
        rc = fc_error_set(err, FC_ERR_NOMEM, "hnsw: search scratch");
    if (rc)
        goto out;
    int64_t n_rev = 0;
    for (int64_t i = b->s; i < b->e; i++)
        for (int lev = 0; lev <= h->level[i]; lev++) {
            int64_t off = b->plan_off[i - b->s] + (int64_t)lev * h->m;
            int cnt = b->plan_n[off / h->m];
            int32_t *l = links_of(h, i, lev);
            l[0] = cnt;
            for (int t = 0; t < cnt; t++) {
                l[1 + t] = b->plan[off + t];
                b->rev[n_rev++] = (rev_link){lev, b->plan[off + t], (int32_t)i};
            }
        }
    qsort(b->rev, (size_t)n_rev, sizeof *b->rev, rev_cmp);
    int64_t n_groups = 0;
    for (int64_t r = 0; r < n_rev; r++)
        if (r == 0 || b->rev[r].lev != b->rev[r - 1].lev ||
            b->rev[r].target != b->rev[r - 1].target)
            b->groups[n_groups++] = r;
    b->groups[n_groups] = n_rev;
    rc = fc_par_for(h->n_threads, n_groups, 16, phase2, b, err);
    if (rc)
        goto out;
    for (int64_t i = b->s; i < b->e && h->pair_cap > 0; i++)
        for (int r = 0; r < b->rec_n[i - b->s]; r++) {
            if (h->n_pairs == h->pairs_cap) {
                int64_t c = h->pairs_cap ? h->pairs_cap * 2 : 4096;
                fc_index_pair *np = realloc(h->pairs, (size_t)c * sizeof *np);
                if (!np) {
                    rc = fc_error_set(err, FC_ERR_NOMEM, "hnsw: %lld pairs", (long long)c);
                    goto out;
                }
                h->pairs = np, h->pairs_cap = c;
            }
            h->pairs[h->n_pairs++] = b->rec[(i - b->s) * h->pair_cap + r];
        }
    for (int64_t i = b->s; i < b->e; i++)
        if (h->entry < 0 || h->level[i] > h->max_level)
            h->entry = (int32_t)i, h->max_level = h->level[i];
    h->n = b->e;
out:
    free(b->plan), free(b->plan_n), free(b->rev), free(b->groups), free(b->rec), free(b->rec_n);
    b->plan = NULL, b->plan_n = NULL, b->rev = NULL, b->groups = NULL;
    b->rec = NULL, b->rec_n = NULL;
    return rc;
}

fc_status fc_hnsw_insert(fc_hnsw *h, const float *x, int64_t n, fc_error *err)
{
    if (n <= h->n)
        return FC_OK;
    if (n > INT32_MAX)
        return fc_error_set(err, FC_ERR_LIMIT, "hnsw: %lld rows (max %d)", (long long)n,
                            INT32_MAX);
    fc_status rc = ensure_cap(h, n, err);
    if (rc)
        return rc;
    if (h->scale == 0) { /* the first rows set the code scale */
        float mx = 0;
        for (size_t k = 0; k < (size_t)n * (size_t)h->dim; k++)
            mx = fabsf(x[k]) > mx ? fabsf(x[k]) : mx;
        h->scale = 127.0f / (mx > 1e-6f ? mx : 1e-6f);
        h->inv_s2 = 1.0f / (h->scale * h->scale);
    }
    for (int64_t i = h->n; i < n; i++) {
        h->level[i] = (uint8_t)draw_level(h, i);
        quantize(h, row(h, x, i), h->codes + (size_t)i * (size_t)h->cdim);
    }
    int nt = h->n_threads < 1 ? 1 : h->n_threads;
    batch_job b = {.h = h, .x = x};
    b.scr = calloc((size_t)nt, sizeof *b.scr);
    b.plan_off = malloc(HNSW_BATCH * sizeof *b.plan_off);
    if (!b.scr || !b.plan_off) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "hnsw: insert scratch");
        goto out;
    }
    for (int t = 0; t < nt; t++) {
        b.scr[t] = fc_hnsw_scratch_new();
        if (!b.scr[t] ||
            fc_hnsw_scratch_fit(b.scr[t], h->cap, h->ef_c + HNSW_BATCH, HNSW_BATCH, h->cdim)) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "hnsw: insert scratch");
            goto out;
        }
    }
    for (int64_t s = h->n; s < n && !rc; s += HNSW_BATCH) {
        b.s = s;
        b.e = s + HNSW_BATCH < n ? s + HNSW_BATCH : n;
        rc = insert_batch(h, &b, err);
    }
out:
    for (int t = 0; b.scr && t < nt; t++)
        fc_hnsw_scratch_free(b.scr[t]);
    free(b.scr);
    free(b.plan_off);
    return rc;
}

fc_hnsw *fc_hnsw_new(int dim, const fc_hnsw_config *cfg, fc_error *err)
{
    if (dim <= 0 || cfg->m < 2 || cfg->m > 256 || cfg->ef_construction < 1) {
        fc_error_set(err, FC_ERR_ARG, "hnsw: dim %d, m %d, ef_construction %d", dim, cfg->m,
                     cfg->ef_construction);
        return NULL;
    }
    fc_hnsw *h = calloc(1, sizeof *h);
    if (!h) {
        fc_error_set(err, FC_ERR_NOMEM, "hnsw");
        return NULL;
    }
    h->dim = dim;
    h->cdim = (int)fc_align_up((size_t)dim);
    h->m = cfg->m;
    h->m0 = 2 * cfg->m;
    h->ef_c = cfg->ef_construction;
    h->n_threads = cfg->n_threads < 1 ? 1 : cfg->n_threads;
    h->ml = 1.0 / log((double)cfg->m);
    h->seed = cfg->seed;
    h->dot = fc_dot_get(cfg->simd);
    h->dot8 = fc_dot_i8_get(cfg->simd);
    h->pair_t = cfg->pair_threshold;
    h->pair_cap = cfg->pair_cap > 0 ? cfg->pair_cap : 0;
    h->entry = -1;
    return h;
}

void fc_hnsw_free(fc_hnsw *h)
{
    if (!h)
        return;
    for (int64_t i = 0; i < h->cap && h->upper; i++)
        free(h->upper[i]);
    free(h->upper);
    free(h->links0);
    free(h->level);
    fc_aligned_free(h->codes);
    free(h->pairs);
    free(h);
}

int64_t fc_hnsw_size(const fc_hnsw *h) { return h->n; }

const fc_index_pair *fc_hnsw_pairs(const fc_hnsw *h, int64_t *n)
{
    *n = h->n_pairs;
    return h->pairs;
}
