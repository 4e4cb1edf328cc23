/* pairs.c - fc_pairs_sort: a counting sort by a, small sorts by b within each a (to drop
 * repeats), then a stable LSD radix sort on the score bits (descending), so ties keep
 * (a, b) order and the result does not depend on the order pairs arrived in. */
#include "index/pairs.h"

#include <stdlib.h>
#include <string.h>

static int by_b_then_score(const void *pa, const void *pb)
{
    const fc_index_pair *x = pa, *y = pb;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (x->score < y->score) - (x->score > y->score);
}

/* Unsigned key whose ascending order is descending score. */
static uint32_t desc_key(float s)
{
    uint32_t u;
    memcpy(&u, &s, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return ~u;
}

fc_status fc_pairs_sort(fc_index_pair *p, int64_t *n, int64_t n_points, fc_error *err)
{
    int64_t np = *n;
    fc_status rc = FC_OK;
    int64_t *start = calloc((size_t)n_points + 1, sizeof *start);
    fc_index_pair *tmp = malloc((size_t)(np ? np : 1) * sizeof *tmp);
    if (!start || !tmp) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "sorting %lld pairs", (long long)np);
        goto out;
    }
    /* by a: counting sort into tmp */
    for (int64_t i = 0; i < np; i++)
        start[p[i].a + 1]++;
    for (int64_t a = 0; a < n_points; a++)
        start[a + 1] += start[a];
    for (int64_t i = 0; i < np; i++)
        tmp[start[p[i].a]++] = p[i];
    /* by b within each a, keeping the first (best) of each (a, b), back into p */
    int64_t m = 0, lo = 0;
    for (int64_t a = 0; a < n_points; a++) {
        int64_t hi = start[a];
        if (hi - lo > 1)
            qsort(tmp + lo, (size_t)(hi - lo), sizeof *tmp, by_b_then_score);
        for (int64_t i = lo; i < hi; i++)
            if (i == lo || tmp[i].b != tmp[i - 1].b)
                p[m++] = tmp[i];
        lo = hi;
    }
    /* stable radix by score, 4 passes of 8 bits */
    fc_index_pair *src = p, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t cnt[257] = {0};
        for (int64_t i = 0; i < m; i++)
            cnt[((desc_key(src[i].score) >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            cnt[d + 1] += cnt[d];
        for (int64_t i = 0; i < m; i++)
            dst[cnt[(desc_key(src[i].score) >> shift) & 0xff]++] = src[i];
        fc_index_pair *t = src;
        src = dst, dst = t;
    }
    /* four passes: the result is back in p */
    *n = m;
out:
    free(start);
    free(tmp);
    return rc;
}
