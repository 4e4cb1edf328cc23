/* hnsw_search.c - searching the HNSW graph: per-thread scratch, greedy descent, the
 * best-first layer search on int8 codes, neighbour selection, k-nearest search with exact
 * rescoring, and the range walk. */
#include "index/hnsw_impl.h"

#include <stdlib.h>

#include "core/alloc.h"

int fc_hnsw_grow(void **p, int *cap, int need, size_t sz)
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

int fc_hnsw_scratch_fit(fc_hnsw_scratch *s, int64_t n_nodes, int ef, int mates, int cdim)
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
    if (fc_hnsw_grow((void **)&s->res, &s->res_cap, ef, sizeof(fc_scored)) ||
        fc_hnsw_grow((void **)&s->eps, &s->eps_cap, ef, sizeof(fc_scored)) ||
        fc_hnsw_grow((void **)&s->sel, &s->sel_cap, ef + 1, sizeof(fc_scored)) ||
        fc_hnsw_grow((void **)&s->tmp, &s->tmp_cap, ef + 1, sizeof(fc_scored)) ||
        fc_hnsw_grow((void **)&s->cand, &s->cand_cap, ef * 4, sizeof(fc_scored)) ||
        fc_hnsw_grow((void **)&s->mate, &s->mate_cap, mates, sizeof(float)))
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
    if (*n == s->cand_cap && fc_hnsw_grow((void **)&s->cand, &s->cand_cap, *n + 1, sizeof c))
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
void fc_hnsw_greedy(const fc_hnsw *h, const int8_t *q, int lev, int32_t *cur, float *cur_s)
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
int fc_hnsw_search_layer(const fc_hnsw *h, const int8_t *q, const fc_scored *eps, int n_ep,
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
int fc_hnsw_select(const fc_hnsw *h, const fc_scored *cand, int nc, int m,
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
        if (fc_hnsw_scratch_fit(s, h->n, ef, 0, h->cdim))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw search scratch (ef = %d)", ef);
        quantize(h, q, s->qcode);
        int32_t cur = h->entry;
        float cur_s = score8(h, s->qcode, code(h, cur));
        for (int lev = h->max_level; lev > 0; lev--)
            fc_hnsw_greedy(h, s->qcode, lev, &cur, &cur_s);
        fc_topk w;
        fc_scored ep = {cur_s, cur};
        if (fc_hnsw_search_layer(h, s->qcode, &ep, 1, ef, 0, s, &w))
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
        if (fc_hnsw_scratch_fit(s, h->n, ef, 0, h->cdim))
            return fc_error_set(err, FC_ERR_NOMEM, "hnsw range scratch");
        quantize(h, q, s->qcode);
        int32_t cur = h->entry;
        float cur_s = score8(h, s->qcode, code(h, cur));
        for (int lev = h->max_level; lev > 0; lev--)
            fc_hnsw_greedy(h, s->qcode, lev, &cur, &cur_s);
        fc_topk w;
        fc_scored ep = {cur_s, cur};
        if (fc_hnsw_search_layer(h, s->qcode, &ep, 1, RANGE_EF, 0, s, &w))
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
                     !fc_hnsw_grow((void **)&s->cand, &s->cand_cap, n_stack + 1, sizeof(fc_scored))))
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
