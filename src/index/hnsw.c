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
#include "index/par.h"
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

static int32_t *links_of(const fc_hnsw *h, int64_t i, int lev)
{
    return lev == 0 ? h->links0 + (size_t)i * (size_t)(h->m0 + 1)
                    : h->upper[i] + (size_t)(lev - 1) * (size_t)(h->m + 1);
}

static const float *row(const fc_hnsw *h, const float *x, int64_t i)
{
    return x + (size_t)i * (size_t)h->dim;
}

static const int8_t *code(const fc_hnsw *h, int64_t i)
{
    return h->codes + (size_t)i * (size_t)h->cdim;
}

static float score8(const fc_hnsw *h, const int8_t *a, const int8_t *b)
{
    return (float)h->dot8(a, b, h->cdim) * h->inv_s2;
}

static void quantize(const fc_hnsw *h, const float *v, int8_t *out)
{
    for (int k = 0; k < h->dim; k++) {
        float c = v[k] * h->scale;
        c = c > 127 ? 127 : c < -127 ? -127 : c;
        out[k] = (int8_t)lrintf(c);
    }
    memset(out + h->dim, 0, (size_t)(h->cdim - h->dim));
}

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
static int grow(void **p, int *cap, int need, size_t sz)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * sz);
    if (!q)
        return -1;
    *p = q, *cap = c;
    return 0;
}

static int scratch_fit(fc_hnsw_scratch *s, int64_t n_nodes, int ef, int mates, int cdim)
{
    if (s->qcode_n < cdim) {
        fc_aligned_free(s->qcode);
        s->qcode = fc_aligned_alloc((size_t)cdim);
        if (!s->qcode)
            return -1;
        s->qcode_n = cdim;
    }
    if (s->tag_n < n_nodes) {
        int64_t c = n_nodes + n_nodes / 2 + 1024;
        uint32_t *t = realloc(s->tag, (size_t)c * sizeof *t);
        if (!t)
            return -1;
        memset(t, 0, (size_t)c * sizeof *t);
        s->tag = t, s->tag_n = c, s->epoch = 0;
    }
    if (grow((void **)&s->res, &s->res_cap, ef, sizeof(fc_scored)) ||
        grow((void **)&s->eps, &s->eps_cap, ef, sizeof(fc_scored)) ||
        grow((void **)&s->sel, &s->sel_cap, ef + 1, sizeof(fc_scored)) ||
        grow((void **)&s->tmp, &s->tmp_cap, ef + 1, sizeof(fc_scored)) ||
        grow((void **)&s->cand, &s->cand_cap, ef * 4, sizeof(fc_scored)) ||
        grow((void **)&s->mate, &s->mate_cap, mates, sizeof(float)))
        return -1;
    return 0;
}

fc_hnsw_scratch *fc_hnsw_scratch_new(void) { return calloc(1, sizeof(fc_hnsw_scratch)); }

void fc_hnsw_scratch_free(fc_hnsw_scratch *s)
{
    if (!s)
        return;
    free(s->tag);
    free(s->cand), free(s->res), free(s->eps), free(s->sel), free(s->tmp);
    free(s->mate);
    fc_aligned_free(s->qcode);
    free(s);
}

/* ---- candidate max-heap (best at [0]) ---- */

static int cand_push(fc_hnsw_scratch *s, int *n, fc_scored c)
{
    if (*n == s->cand_cap && grow((void **)&s->cand, &s->cand_cap, *n + 1, sizeof c))
        return -1;
    int i = (*n)++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!fc_scored_worse(s->cand[p], c))
            break;
        s->cand[i] = s->cand[p];
        i = p;
    }
    s->cand[i] = c;
    return 0;
}

static fc_scored cand_pop(fc_hnsw_scratch *s, int *n)
{
    fc_scored *h = s->cand, top = h[0];
    h[0] = h[--*n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, b = i;
        if (l < *n && fc_scored_worse(h[b], h[l]))
            b = l;
        if (r < *n && fc_scored_worse(h[b], h[r]))
            b = r;
        if (b == i)
            break;
        fc_scored t = h[i];
        h[i] = h[b], h[b] = t;
        i = b;
    }
    return top;
}

/* ---- search ---- */

static void prefetch_code(const fc_hnsw *h, int64_t i)
{
    const char *p = (const char *)code(h, i);
    for (int off = 0; off < h->cdim && off < 512; off += 64)
        __builtin_prefetch(p + off);
}

static void next_epoch(fc_hnsw_scratch *s)
{
    if (++s->epoch == 0) {
        memset(s->tag, 0, (size_t)s->tag_n * sizeof *s->tag);
        s->epoch = 1;
    }
}

/* Greedy walk on level lev from *cur (score *cur_s) to a local maximum. */
static void greedy(const fc_hnsw *h, const int8_t *q, int lev, int32_t *cur, float *cur_s)
{
    for (int changed = 1; changed;) {
        changed = 0;
        const int32_t *l = links_of(h, *cur, lev);
        for (int t = 0; t < l[0]; t++) {
            float sc = score8(h, q, code(h, l[1 + t]));
            if (sc > *cur_s || (sc == *cur_s && l[1 + t] < *cur)) {
                *cur_s = sc, *cur = l[1 + t];
                changed = 1;
            }
        }
    }
}

/* Best-first search on level lev from entry points eps[0..n_ep) into the top-ef heap w
 * (storage s->res). Returns 0, or -1 when out of memory. */
static int search_layer(const fc_hnsw *h, const int8_t *q, const fc_scored *eps, int n_ep,
                        int ef, int lev, fc_hnsw_scratch *s, fc_topk *w)
{
    next_epoch(s);
    *w = (fc_topk){s->res, 0, ef};
    int nc = 0;
    for (int e = 0; e < n_ep; e++) {
        if (s->tag[eps[e].id] == s->epoch)
            continue;
        s->tag[eps[e].id] = s->epoch;
        if (cand_push(s, &nc, eps[e]))
            return -1;
        fc_topk_push(w, eps[e].score, eps[e].id);
    }
    while (nc > 0) {
        fc_scored c = cand_pop(s, &nc);
        if (w->n == ef && fc_scored_worse(c, w->h[0]))
            break;
        const int32_t *l = links_of(h, c.id, lev);
        int32_t fresh[HNSW_MAX_LINKS];
        int cnt = 0;
        for (int t = 0; t < l[0]; t++) /* unvisited neighbours, then score them */
            if (s->tag[l[1 + t]] != s->epoch) {
                s->tag[l[1 + t]] = s->epoch;
                fresh[cnt++] = l[1 + t];
            }
        for (int t = 0; t < cnt && t < PREFETCH_AHEAD; t++)
            prefetch_code(h, fresh[t]);
        for (int t = 0; t < cnt; t++) {
            int32_t e = fresh[t];
            if (t + PREFETCH_AHEAD < cnt)
                prefetch_code(h, fresh[t + PREFETCH_AHEAD]);
            float sc = score8(h, q, code(h, e));
            if (w->n < ef || sc > w->h[0].score) {
                if (cand_push(s, &nc, (fc_scored){sc, e}))
                    return -1;
                fc_topk_push(w, sc, e);
            }
        }
    }
    return 0;
}

/* Heuristic selection: from cand (best first, scores against the new row), keep a
 * candidate unless it is closer to an already kept one than to the new row. */
static int select_neighbours(const fc_hnsw *h, const fc_scored *cand, int nc, int m,
                             fc_scored *out)
{
    int n = 0;
    for (int c = 0; c < nc && n < m; c++) {
        const int8_t *v = code(h, cand[c].id);
        int keep = 1;
        for (int r = 0; r < n && keep; r++)
            if (score8(h, v, code(h, out[r].id)) > cand[c].score)
                keep = 0;
        if (keep)
            out[n++] = cand[c];
    }
    return n;
}

fc_status fc_hnsw_search(const fc_hnsw *h, const float *x, const float *q, int k, int ef,
                         int64_t self, fc_hnsw_scratch *s, int32_t *out_pos,
                         float *out_scores, fc_error *err)
{
    if (k <= 0)
        return fc_error_set(err, FC_ERR_ARG, "hnsw search: k = %d", k);
    int got = 0;
    int want = k + (self >= 0);
    if (ef < want)
        ef = want;
    if (h->entry >= 0) {
        if (scratch_fit(s, h->n, ef, 0, h->cdim))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw search scratch (ef = %d)", ef);
        quantize(h, q, s->qcode);
        int32_t cur = h->entry;
        float cur_s = score8(h, s->qcode, code(h, cur));
        for (int lev = h->max_level; lev > 0; lev--)
            greedy(h, s->qcode, lev, &cur, &cur_s);
        fc_topk w;
        fc_scored ep = {cur_s, cur};
        if (search_layer(h, s->qcode, &ep, 1, ef, 0, s, &w))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw search candidates");
        /* rescore the candidates exactly, best first */
        fc_topk exact = {s->eps, 0, k};
        for (int r = 0; r < w.n; r++)
            if (w.h[r].id != self)
                fc_topk_push(&exact, h->dot(q, row(h, x, w.h[r].id), h->dim), w.h[r].id);
        int ne = fc_topk_drain(&exact, s->eps);
        for (; got < ne; got++) {
            out_pos[got] = s->eps[got].id;
            out_scores[got] = s->eps[got].score;
        }
    }
    for (; got < k; got++)
        out_pos[got] = -1, out_scores[got] = -INFINITY;
    return FC_OK;
}

/* Range walk: from the rows a small search finds, follow links through rows whose code
 * score is >= threshold - RANGE_SLACK (the codes' rounding is far below it), scoring
 * each exactly; at most RANGE_WALK_MIN or 4 * cap rows are expanded. */

fc_status fc_hnsw_range(const fc_hnsw *h, const float *x, const float *q, float threshold,
                        int cap, int64_t self, fc_hnsw_scratch *s, int32_t *out_pos,
                        float *out_scores, fc_error *err)
{
    if (cap <= 0)
        return fc_error_set(err, FC_ERR_ARG, "hnsw range: cap = %d", cap);
    int got = 0;
    if (h->entry >= 0) {
        int ef = RANGE_EF > cap ? RANGE_EF : cap;
        if (scratch_fit(s, h->n, ef, 0, h->cdim))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw range scratch");
        quantize(h, q, s->qcode);
        int32_t cur = h->entry;
        float cur_s = score8(h, s->qcode, code(h, cur));
        for (int lev = h->max_level; lev > 0; lev--)
            greedy(h, s->qcode, lev, &cur, &cur_s);
        fc_topk w;
        fc_scored ep = {cur_s, cur};
        if (search_layer(h, s->qcode, &ep, 1, RANGE_EF, 0, s, &w))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw range candidates");
        float floor8 = threshold - RANGE_SLACK;
        next_epoch(s);
        int n_stack = 0;
        for (int r = 0; r < w.n; r++)
            if (w.h[r].score >= floor8) {
                s->tag[w.h[r].id] = s->epoch;
                s->cand[n_stack++] = w.h[r]; /* w.n <= RANGE_EF <= cand_cap */
            }
        fc_topk exact = {s->eps, 0, cap};
        int walk_max = 4 * cap > RANGE_WALK_MIN ? 4 * cap : RANGE_WALK_MIN;
        for (int walked = 0; n_stack > 0 && walked < walk_max; walked++) {
            int32_t c = s->cand[--n_stack].id;
            if (c != self) {
                float e = h->dot(q, row(h, x, c), h->dim);
                if (e >= threshold)
                    fc_topk_push(&exact, e, c);
            }
            const int32_t *l = links_of(h, c, 0);
            for (int t = 0; t < l[0]; t++) {
                int32_t nb = l[1 + t];
                if (s->tag[nb] == s->epoch)
                    continue;
                s->tag[nb] = s->epoch;
                float sc = score8(h, s->qcode, code(h, nb));
                if (sc >= floor8 &&
                    (n_stack < s->cand_cap ||
                     !grow((void **)&s->cand, &s->cand_cap, n_stack + 1, sizeof(fc_scored))))
                    s->cand[n_stack++] = (fc_scored){sc, nb};
            }
        }
        got = fc_topk_drain(&exact, s->eps);
        for (int r = 0; r < got; r++)
            out_pos[r] = s->eps[r].id, out_scores[r] = s->eps[r].score;
    }
    for (; got < cap; got++)
        out_pos[got] = -1, out_scores[got] = -INFINITY;
    return FC_OK;
}

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
        greedy(h, q, lev, &cur, &cur_s);
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
            if (search_layer(h, q, s->eps, k, h->ef_c, lev, s, &w)) {
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
        int n_sel = select_neighbours(h, s->eps, n_ep, h->m, s->sel);
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
    int n = select_neighbours(h, s->tmp, nc, mmax, s->sel);
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
            scratch_fit(b.scr[t], h->cap, h->ef_c + HNSW_BATCH, HNSW_BATCH, h->cdim)) {
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
