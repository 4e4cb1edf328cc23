/* groups.c - the groups of a union-find over faces, numbered in face order, with each
 * group's first face, size, distinct faces (near-duplicates once), unit centroid and
 * |sum of its faces|: what the merge rounds (graph.c) and the attach step (attach.c)
 * compare groups by. */
#include "cluster/internal.h"

#include "index/dot.h"

#include <stdlib.h>

void fc_groups_free(fc_groups *s)
{
    free(s->of), free(s->rep), free(s->size), free(s->distinct), free(s->cen), free(s->len);
    *s = (fc_groups){0};
}

fc_status fc_groups_make(const fc_cluster_faces *f, fc_uf *u, const uint8_t *dup,
                         fc_groups *s, fc_error *err)
{
    *s = (fc_groups){0};
    const int32_t n = (int32_t)f->n_faces;
    const size_t nn = n ? (size_t)n : 1, dim = (size_t)f->dim;
    int32_t *root_group = malloc(nn * sizeof *root_group);
    s->of = malloc(nn * sizeof *s->of);
    s->rep = malloc(nn * sizeof *s->rep);
    s->size = calloc(nn, sizeof *s->size);
    s->distinct = calloc(nn, sizeof *s->distinct);
    if (!root_group || !s->of || !s->rep || !s->size || !s->distinct) {
        free(root_group);
        fc_groups_free(s);
        return fc_error_set(err, FC_ERR_NOMEM, "groups: %d faces", n);
    }
    for (int32_t i = 0; i < n; i++)
        root_group[i] = -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t r = fc_uf_find(u, i);
        if (root_group[r] < 0)
            s->rep[s->g] = i, root_group[r] = s->g++;
        s->of[i] = root_group[r];
        s->size[s->of[i]]++;
        s->distinct[s->of[i]] += !(dup && dup[i]);
    }
    free(root_group);
    s->cen = calloc((size_t)(s->g ? s->g : 1) * dim, sizeof *s->cen);
    s->len = malloc((size_t)(s->g ? s->g : 1) * sizeof *s->len);
    if (!s->cen || !s->len) {
        fc_groups_free(s);
        return fc_error_set(err, FC_ERR_NOMEM, "groups: %d centroids", s->g);
    }
    for (int32_t i = 0; i < n; i++) {
        float *c = s->cen + (size_t)s->of[i] * dim;
        const float *e = f->emb + (size_t)i * dim;
        for (size_t k = 0; k < dim; k++)
            c[k] += e[k];
    }
    for (int32_t k = 0; k < s->g; k++)
        s->len[k] = fc_cluster_normalise(s->cen + (size_t)k * dim, f->dim);
    return FC_OK;
}

int64_t fc_cluster_distinct(const float *emb, int dim, const int64_t *idx, int64_t n)
{
    const fc_dot_fn dot = fc_dot_get(fc_simd_best());
    int64_t distinct = n > FC_CLUSTER_DISTINCT_SCAN ? n - FC_CLUSTER_DISTINCT_SCAN : 0;
    for (int64_t i = 0; i < n && i < FC_CLUSTER_DISTINCT_SCAN; i++) {
        const float *a = emb + (size_t)idx[i] * (size_t)dim;
        int dup = 0;
        for (int64_t j = 0; j < i && !dup; j++)
            dup = dot(a, emb + (size_t)idx[j] * (size_t)dim, dim) >= FC_CLUSTER_DUP_COS;
        distinct += !dup;
    }
    return distinct;
}
