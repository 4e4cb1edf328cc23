/* attach.c - the step after the merge rounds: a group of one or two faces (what the
 * edges and merges left of a hard face: profile, blur, an unusual photo) joins the
 * larger group it is clearly closest to. "Clearly": the mean cosine between its faces
 * and that group's reaches attach_threshold, and beats the runner-up (among the groups
 * larger than it: a second small group of the same person is no rival) by
 * attach_margin, so a face between two persons stays alone ("unknown" beats a wrong
 * person). Decisions are taken on the groups as the merges left them, then applied
 * under cannot-link. */
#include "cluster/internal.h"

#include <stdlib.h>

/* Groups smaller than this are offered to larger ones. */
enum { ATTACH_BELOW = 3 };
/* Candidates per group: its nearest centroids (itself among them). */
enum { ATTACH_K = 9 };

/* The group small group a should join, or -1: from its candidates (ids, centroid
 * cosines), the best and second-best mean cross cosines. */
static int32_t choose(const fc_groups *s, int32_t a, const int64_t *ids, const float *cos,
                      const fc_cluster_params *p)
{
    int32_t best = -1;
    double best_mean = -2, second = -2;
    for (int j = 0; j < ATTACH_K; j++) {
        int32_t b = (int32_t)ids[j];
        if (b < 0 || b == a || s->size[b] <= s->size[a])
            continue; /* only larger groups are targets, and only they compete */
        double mean = fc_groups_mean(s, a, b, cos[j]);
        if (mean > best_mean)
            second = best_mean, best_mean = mean, best = b;
        else if (mean > second)
            second = mean;
    }
    if (best < 0 || best_mean < p->attach_threshold ||
        best_mean - second < p->attach_margin)
        return -1;
    return best;
}

fc_status fc_cluster_attach_small(const fc_cluster_faces *f, fc_uf *u, const fc_cluster_params *p,
                                  fc_cluster_stats *st, fc_error *err)
{
    if (!(p->attach_threshold > 0) || f->n_faces < 2)
        return FC_OK;
    fc_groups s = {0};
    fc_index *idx = NULL;
    int32_t *small = NULL, *target = NULL;
    int64_t *ids = NULL;
    float *cos = NULL, *queries = NULL;
    fc_status rc = fc_groups_make(f, u, NULL, &s, err);
    if (rc || s.g < 2)
        goto out;
    const size_t dim = (size_t)f->dim;
    int32_t n_small = 0;
    small = malloc((size_t)s.g * sizeof *small);
    if (!small) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "attach: %d groups", s.g);
        goto out;
    }
    for (int32_t k = 0; k < s.g; k++)
        if (s.size[k] < ATTACH_BELOW)
            small[n_small++] = k;
    if (n_small == 0)
        goto out;
    queries = malloc((size_t)n_small * dim * sizeof *queries);
    ids = malloc((size_t)n_small * ATTACH_K * sizeof *ids);
    cos = malloc((size_t)n_small * ATTACH_K * sizeof *cos);
    target = malloc((size_t)n_small * sizeof *target);
    if (!queries || !ids || !cos || !target) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "attach: %d groups", n_small);
        goto out;
    }
    for (int32_t q = 0; q < n_small; q++)
        for (size_t k = 0; k < dim; k++)
            queries[(size_t)q * dim + k] = s.cen[(size_t)small[q] * dim + k];
    if (!(idx = fc_index_new(f->dim, p->index_kind, &p->index, err))) {
        rc = err ? err->code : FC_ERR_NOMEM;
        goto out;
    }
    if ((rc = fc_index_add(idx, s.cen, NULL, s.g, err)) ||
        (rc = fc_index_search_batch(idx, queries, n_small, ATTACH_K, ids, cos, err)))
        goto out;
    for (int32_t q = 0; q < n_small; q++)
        target[q] = choose(&s, small[q], ids + (size_t)q * ATTACH_K, cos + (size_t)q * ATTACH_K, p);
    for (int32_t q = 0; q < n_small; q++) {
        if (target[q] < 0)
            continue;
        int r = fc_uf_union(u, s.rep[small[q]], s.rep[target[q]]);
        if (r == FC_UF_NOMEM) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "cannot-link image sets");
            goto out;
        }
        st->n_refused += r == FC_UF_REFUSED;
        st->n_attached += r == FC_UF_JOINED;
    }
out:
    fc_index_free(idx);
    fc_groups_free(&s);
    free(small), free(target), free(ids), free(cos), free(queries);
    return rc;
}
