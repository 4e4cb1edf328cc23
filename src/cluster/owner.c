/* owner.c - from groups to persons: numbering by size then first appearance, and the
 * fc_clustering a caller reads (members, owner face = argmax of 0.6*quality +
 * 0.4*confidence with ties to the first face, centroids, per-face confidence). */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fc_clustering_free(fc_clustering *c)
{
    if (!c)
        return;
    free(c->person_of), free(c->face_confidence), free(c->member_start), free(c->members);
    free(c->owner), free(c->centroids), free(c->unassigned);
    free(c);
}

fc_status fc_cluster_check_faces(const fc_cluster_faces *f, fc_error *err)
{
    if (!f || f->n_faces < 0 || f->dim <= 0 || (f->n_faces > 0 && !f->emb))
        return fc_error_set(err, FC_ERR_ARG, "cluster: bad faces (n %lld, dim %d)",
                            f ? (long long)f->n_faces : -1LL, f ? f->dim : -1);
    if (f->n_faces >= INT32_MAX)
        return fc_error_set(err, FC_ERR_LIMIT, "cluster: %lld faces", (long long)f->n_faces);
    return FC_OK;
}

float fc_cluster_centroid(const float *emb, int dim, const int64_t *idx, int64_t n, float *out)
{
    memset(out, 0, (size_t)dim * sizeof *out);
    for (int64_t i = 0; i < n; i++) {
        const float *e = emb + (size_t)idx[i] * (size_t)dim;
        for (int k = 0; k < dim; k++)
            out[k] += e[k];
    }
    float len = fc_cluster_normalise(out, dim);
    return n > 0 ? len / (float)n : 0;
}

float fc_cluster_normalise(float *v, int dim)
{
    double s = 0;
    for (int k = 0; k < dim; k++)
        s += (double)v[k] * v[k];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int k = 0; k < dim; k++)
        v[k] *= inv;
    return (float)sqrt(s);
}

typedef struct {
    int32_t root, size, first;
} group_key;

static int by_size_then_first(const void *pa, const void *pb)
{
    const group_key *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

int fc_cluster_number(fc_uf *u, int min_faces, int32_t *person_of)
{
    int32_t n = u->n, n_groups = 0;
    int32_t *slot = malloc((size_t)(n ? n : 1) * sizeof *slot);
    group_key *g = malloc((size_t)(n ? n : 1) * sizeof *g);
    int n_persons = -1;
    if (!slot || !g)
        goto out;
    for (int32_t i = 0; i < n; i++)
        slot[i] = -1;
    for (int32_t i = 0; i < n; i++) { /* ascending, so each group's first face comes first */
        int32_t r = fc_uf_find(u, i);
        if (slot[r] < 0) {
            slot[r] = n_groups;
            g[n_groups++] = (group_key){r, u->size[r], i};
        }
    }
    qsort(g, (size_t)n_groups, sizeof *g, by_size_then_first);
    n_persons = 0;
    for (int32_t k = 0; k < n_groups; k++)
        slot[g[k].root] = g[k].size >= min_faces ? n_persons++ : -1;
    for (int32_t i = 0; i < n; i++)
        person_of[i] = slot[fc_uf_find(u, i)];
out:
    free(slot);
    free(g);
    return n_persons;
}

static float owner_score(const fc_cluster_faces *f, int64_t i)
{
    float q = f->quality ? f->quality[i] : 0, c = f->confidence ? f->confidence[i] : 0;
    return 0.6f * q + 0.4f * c;
}

fc_status fc_cluster_assemble(const fc_cluster_faces *f, const int32_t *person_of,
                              int n_persons, fc_clustering **out, fc_error *err)
{
    *out = NULL;
    int64_t n = f->n_faces;
    size_t nn = n ? (size_t)n : 1, np = n_persons ? (size_t)n_persons : 1;
    fc_clustering *c = calloc(1, sizeof *c);
    int64_t *fill = NULL;
    if (!c)
        return fc_error_set(err, FC_ERR_NOMEM, "clustering");
    c->n_faces = n, c->n_persons = n_persons, c->dim = f->dim;
    c->person_of = malloc(nn * sizeof *c->person_of);
    c->face_confidence = calloc(nn, sizeof *c->face_confidence);
    c->member_start = calloc(np + 1, sizeof *c->member_start);
    c->members = malloc(nn * sizeof *c->members);
    c->owner = malloc(np * sizeof *c->owner);
    c->centroids = malloc(np * (size_t)f->dim * sizeof *c->centroids);
    c->unassigned = malloc(nn * sizeof *c->unassigned);
    fill = calloc(np, sizeof *fill);
    if (!c->person_of || !c->face_confidence || !c->member_start || !c->members || !c->owner ||
        !c->centroids || !c->unassigned || !fill) {
        fc_clustering_free(c);
        free(fill);
        return fc_error_set(err, FC_ERR_NOMEM, "clustering of %lld faces", (long long)n);
    }
    memcpy(c->person_of, person_of, (size_t)n * sizeof *person_of);
    for (int64_t i = 0; i < n; i++)
        if (person_of[i] >= 0)
            c->member_start[person_of[i] + 1]++;
        else
            c->unassigned[c->n_unassigned++] = i;
    for (int p = 0; p < n_persons; p++)
        c->member_start[p + 1] += c->member_start[p];
    for (int64_t i = 0; i < n; i++)
        if (person_of[i] >= 0) {
            int p = person_of[i];
            c->members[c->member_start[p] + fill[p]++] = i;
        }
    for (int p = 0; p < n_persons; p++) {
        const int64_t *m = c->members + c->member_start[p];
        int64_t cnt = c->member_start[p + 1] - c->member_start[p];
        int64_t best = m[0];
        for (int64_t k = 1; k < cnt; k++)
            if (owner_score(f, m[k]) > owner_score(f, best))
                best = m[k];
        c->owner[p] = best;
        float *cen = c->centroids + (size_t)p * (size_t)f->dim;
        fc_cluster_centroid(f->emb, f->dim, m, cnt, cen);
        for (int64_t k = 0; k < cnt; k++) {
            const float *e = f->emb + (size_t)m[k] * (size_t)f->dim;
            float s = 0;
            for (int d = 0; d < f->dim; d++)
                s += e[d] * cen[d];
            c->face_confidence[m[k]] = s;
        }
    }
    free(fill);
    *out = c;
    return FC_OK;
}
