/* graph.c - fc_cluster_run: similarity edges from the vector index (range self-join,
 * capped per face), Kruskal-style unions strongest edge first under cannot-link, then
 * rounds of centroid merges (centroids indexed the same way) until nothing merges,
 * then numbering and assembly (owner.c). Never builds an n x n matrix. */
#include "cluster/internal.h"

#include "index/pairs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

fc_cluster_params fc_cluster_params_default(void)
{
    return (fc_cluster_params){.edge_threshold = 0.5f,
                               .merge_threshold = 0.6f,
                               .cannot_link = 1,
                               .min_faces = 1,
                               .max_neighbours = 64,
                               .max_merge_rounds = 20,
                               .extend_threshold = 0,
                               .index_kind = FC_INDEX_AUTO,
                               .index = fc_index_params_default()};
}

/* Offers pairs (best first) to the union-find; rep maps a pair end to a face (NULL =
 * itself). *joined counts accepted unions. */
static fc_status unite_pairs(fc_uf *u, const fc_index_pair *pairs, int64_t n_pairs,
                             const int32_t *rep, int64_t *joined, fc_cluster_stats *st,
                             fc_error *err)
{
    for (int64_t i = 0; i < n_pairs; i++) {
        int32_t a = rep ? rep[pairs[i].a] : pairs[i].a, b = rep ? rep[pairs[i].b] : pairs[i].b;
        int r = fc_uf_union(u, a, b);
        if (r == FC_UF_NOMEM)
            return fc_error_set(err, FC_ERR_NOMEM, "cannot-link image sets");
        *joined += r == FC_UF_JOINED;
        st->n_refused += r == FC_UF_REFUSED;
    }
    return FC_OK;
}

/* Index over rows (n, dim) and its range self-join at threshold; the two times go to
 * *build_s and *search_s when not NULL. */
static fc_status similar_pairs(const float *rows, int64_t n, int dim, float threshold,
                               const fc_cluster_params *p, fc_index_pair **pairs,
                               int64_t *n_pairs, double *build_s, double *search_s,
                               fc_index_kind *used, fc_error *err)
{
    *pairs = NULL, *n_pairs = 0;
    double t0 = now_s();
    fc_index_params ip = p->index; /* an HNSW build finds the pairs as it links */
    ip.self_join_threshold = threshold;
    ip.self_join_cap = p->max_neighbours;
    fc_index *idx = fc_index_new(dim, p->index_kind, &ip, err);
    if (!idx)
        return err ? err->code : FC_ERR_NOMEM;
    fc_status rc = fc_index_add(idx, rows, NULL, n, err);
    double t1 = now_s();
    if (!rc)
        rc = fc_index_range_all(idx, threshold, p->max_neighbours, pairs, n_pairs, err);
    if (build_s)
        *build_s = t1 - t0, *search_s = now_s() - t1;
    if (used)
        *used = fc_index_kind_used(idx);
    fc_index_free(idx);
    return rc;
}

/* Pairs (changed group, any group) with centroid cosine >= threshold: the changed
 * groups' centroids searched exactly against all centroids cen (g, dim). */
static fc_status changed_pairs(const float *cen, int32_t g, int dim, const int32_t *changed,
                               int32_t n_changed, const fc_cluster_params *p,
                               fc_index_pair **out, int64_t *n_out, fc_error *err)
{
    *out = NULL, *n_out = 0;
    int k = p->max_neighbours + 1 < g ? p->max_neighbours + 1 : g; /* +1: itself */
    size_t cnt = (size_t)n_changed * (size_t)k;
    fc_status rc = FC_OK;
    float *q = malloc((size_t)n_changed * (size_t)dim * sizeof *q), *sc = malloc(cnt * sizeof *sc);
    int64_t *ids = malloc(cnt * sizeof *ids);
    fc_index_pair *pairs = malloc(cnt * sizeof *pairs);
    fc_index *idx = fc_index_new(dim, FC_INDEX_FLAT, &p->index, err);
    if (!q || !sc || !ids || !pairs || !idx) {
        rc = idx ? fc_error_set(err, FC_ERR_NOMEM, "merge: %d changed groups", n_changed)
                 : err->code;
        goto out;
    }
    for (int32_t c = 0; c < n_changed; c++)
        memcpy(q + (size_t)c * (size_t)dim, cen + (size_t)changed[c] * (size_t)dim,
               (size_t)dim * sizeof *q);
    rc = fc_index_add(idx, cen, NULL, g, err);
    if (!rc)
        rc = fc_index_search_batch(idx, q, n_changed, k, ids, sc, err);
    if (rc)
        goto out;
    int64_t m = 0;
    for (size_t i = 0; i < cnt; i++) {
        int32_t a = changed[i / (size_t)k], b = (int32_t)ids[i];
        if (b >= 0 && b != a && sc[i] >= p->merge_threshold)
            pairs[m++] = (fc_index_pair){a < b ? a : b, a < b ? b : a, sc[i]};
    }
    rc = fc_pairs_sort(pairs, &m, g, err);
    if (!rc)
        *out = pairs, *n_out = m, pairs = NULL;
out:
    fc_index_free(idx);
    free(q), free(sc), free(ids), free(pairs);
    return rc;
}

/* Step 3: merge groups whose centroids are similar, until a round merges nothing. The
 * first round joins all centroids with themselves; later rounds only search from the
 * groups the previous round changed (no other centroid moved). */
static fc_status merge_rounds(const fc_cluster_faces *f, fc_uf *u, const fc_cluster_params *p,
                              fc_cluster_stats *st, fc_error *err)
{
    int32_t n = (int32_t)f->n_faces;
    size_t nn = n ? (size_t)n : 1;
    fc_status rc = FC_OK;
    int32_t *gid = malloc(nn * sizeof *gid);      /* root -> group */
    int32_t *rep = malloc(nn * sizeof *rep);      /* group -> first face */
    int32_t *was = malloc(nn * sizeof *was);      /* face -> its group last round */
    int32_t *first = malloc(nn * sizeof *first);  /* group -> a face's old group */
    int32_t *changed = malloc(nn * sizeof *changed);
    float *cen = NULL;
    if (!gid || !rep || !was || !first || !changed) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "merge: %d faces", n);
        goto out;
    }
    for (int round = 0; round < p->max_merge_rounds; round++) {
        st->merge_rounds = round + 1;
        int32_t g = 0, n_changed = 0;
        for (int32_t i = 0; i < n; i++)
            gid[i] = -1;
        for (int32_t i = 0; i < n; i++) {
            int32_t r = fc_uf_find(u, i);
            if (gid[r] < 0)
                rep[g] = i, first[g] = -1, gid[r] = g++;
        }
        if (g < 2)
            break;
        for (int32_t i = 0; i < n && round > 0; i++) { /* groups made of several old ones */
            int32_t k = gid[fc_uf_find(u, i)];
            if (first[k] == -1)
                first[k] = was[i];
            else if (first[k] >= 0 && first[k] != was[i])
                first[k] = -2, changed[n_changed++] = k;
        }
        free(cen);
        cen = calloc((size_t)g * (size_t)f->dim, sizeof *cen);
        if (!cen) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "merge: %d centroids", g);
            goto out;
        }
        for (int32_t i = 0; i < n; i++) {
            was[i] = gid[fc_uf_find(u, i)];
            float *c = cen + (size_t)was[i] * (size_t)f->dim;
            const float *e = f->emb + (size_t)i * (size_t)f->dim;
            for (int k = 0; k < f->dim; k++)
                c[k] += e[k];
        }
        for (int32_t k = 0; k < g; k++)
            fc_cluster_normalise(cen + (size_t)k * (size_t)f->dim, f->dim);
        fc_index_pair *pairs;
        int64_t n_pairs, joined = 0;
        if (round == 0)
            rc = similar_pairs(cen, g, f->dim, p->merge_threshold, p, &pairs, &n_pairs, NULL,
                               NULL, NULL, err);
        else
            rc = changed_pairs(cen, g, f->dim, changed, n_changed, p, &pairs, &n_pairs, err);
        if (!rc)
            rc = unite_pairs(u, pairs, n_pairs, rep, &joined, st, err);
        free(pairs);
        st->n_merged += joined;
        if (rc || joined == 0)
            break;
    }
out:
    free(gid), free(rep), free(was), free(first), free(changed), free(cen);
    return rc;
}

fc_status fc_cluster_run(const fc_cluster_faces *f, const fc_cluster_params *p,
                         fc_clustering **out, fc_error *err)
{
    *out = NULL;
    fc_status rc = fc_cluster_check_faces(f, err);
    if (rc)
        return rc;
    if (p->min_faces < 1 || p->max_neighbours < 1)
        return fc_error_set(err, FC_ERR_ARG, "cluster: min_faces %d, max_neighbours %d",
                            p->min_faces, p->max_neighbours);
    fc_cluster_stats local, *st = p->stats ? p->stats : &local;
    memset(st, 0, sizeof *st);
    fc_uf u;
    int32_t *person_of = NULL;
    fc_index_pair *pairs = NULL;
    int64_t n_pairs = 0, joined = 0;
    rc = fc_uf_init(&u, f->n_faces, p->cannot_link ? f->image : NULL, err);
    if (rc)
        return rc;
    rc = similar_pairs(f->emb, f->n_faces, f->dim, p->edge_threshold, p, &pairs, &n_pairs,
                       &st->index_s, &st->edges_s, &st->index_used, err);
    st->n_edges = n_pairs;
    double t0 = now_s();
    if (!rc)
        rc = unite_pairs(&u, pairs, n_pairs, NULL, &joined, st, err);
    free(pairs);
    double t1 = now_s();
    st->unions_s = t1 - t0;
    if (!rc)
        rc = merge_rounds(f, &u, p, st, err);
    double t2 = now_s();
    st->merge_s = t2 - t1;
    if (rc)
        goto out;
    person_of = malloc((size_t)(f->n_faces ? f->n_faces : 1) * sizeof *person_of);
    int n_persons = person_of ? fc_cluster_number(&u, p->min_faces, person_of) : -1;
    if (n_persons < 0) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "cluster: numbering");
        goto out;
    }
    rc = fc_cluster_assemble(f, person_of, n_persons, out, err);
    st->assemble_s = now_s() - t2;
out:
    free(person_of);
    fc_uf_free(&u);
    return rc;
}
