/* topk.h - a bounded min-heap keeping the k best (score, id) pairs. Ties on score keep
 * the smaller id, so results do not depend on the order candidates arrive in. */
#ifndef FC_INDEX_TOPK_H
#define FC_INDEX_TOPK_H

#include <math.h>
#include <stdint.h>

typedef struct {
    float score;
    int32_t id;
} fc_scored;

/* a is a worse result than b */
static inline int fc_scored_worse(fc_scored a, fc_scored b)
{
    return a.score < b.score || (a.score == b.score && a.id > b.id);
}

/* Min-heap of at most cap items, worst at h[0]. */
typedef struct {
    fc_scored *h;
    int n, cap;
} fc_topk;

static inline void fc_topk_sift_down(fc_scored *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && fc_scored_worse(h[l], h[w]))
            w = l;
        if (r < n && fc_scored_worse(h[r], h[w]))
            w = r;
        if (w == i)
            return;
        fc_scored t = h[i];
        h[i] = h[w], h[w] = t;
        i = w;
    }
}

/* Offers (score, id); keeps it if the heap is not full or it beats the worst. */
static inline void fc_topk_push(fc_topk *t, float score, int32_t id)
{
    fc_scored c = {score, id};
    if (t->n < t->cap) {
        int i = t->n++;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!fc_scored_worse(c, t->h[p]))
                break;
            t->h[i] = t->h[p];
            i = p;
        }
        t->h[i] = c;
    } else if (t->cap > 0 && fc_scored_worse(t->h[0], c)) {
        t->h[0] = c;
        fc_topk_sift_down(t->h, t->n, 0);
    }
}

/* The score a candidate must beat to enter (-inf while not full). */
static inline float fc_topk_floor(const fc_topk *t)
{
    return t->n < t->cap ? -INFINITY : t->h[0].score;
}

/* Empties the heap into out best-first (out may alias t->h); returns the count. */
static inline int fc_topk_drain(fc_topk *t, fc_scored *out)
{
    int n = t->n;
    for (int i = n - 1; i >= 0; i--) {
        fc_scored w = t->h[0];
        t->h[0] = t->h[i];
        t->n = i;
        fc_topk_sift_down(t->h, t->n, 0);
        out[i] = w;
    }
    return n;
}

#endif
