/* graph.c - fc_cluster_run: similarity edges from the vector index (range self-join,
 * capped per face), Kruskal-style unions strongest edge first under cannot-link, then
 * rounds of centroid merges (centroids indexed the same way) until nothing merges,
 * then numbering and assembly (owner.c). Never builds an n x n matrix.
 *
 * Near-duplicates (the same photo stored twice, resized or re-encoded: cosine >=
 * FC_CLUSTER_DUP_COS) count once in the merge bar's group sizes: a second copy of a
 * photo is no second piece of evidence, and counting it lowered the bar enough for a
 * look-alike to join (two copies of one actress's photo took in another at 0.552). */
#include "cluster/internal.h"

#include "core/clock.h"
#include "index/pairs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fc_cluster_params fc_cluster_params_default(void)
{
    return (fc_cluster_params){.edge_threshold = 0.5f,
                               .merge_threshold = 0.6f,
                               .attach_threshold = 0,
                               .attach_margin = 0.1f,
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
static fc_status rescue_small(const fc_index *idx, int64_t n, float threshold,
                              const fc_cluster_params *p, fc_index_pair **pairs,
                              int64_t *n_pairs, fc_cluster_stats *st, fc_error *err);

/* Index over rows (n, dim) and its range self-join at threshold; with st (the faces'
 * edges), times and the index kind go there and an HNSW join is completed by
 * rescue_small. */
static fc_status similar_pairs(const float *rows, int64_t n, int dim, float threshold,
                               const fc_cluster_params *p, fc_index_pair **pairs,
                               int64_t *n_pairs, fc_cluster_stats *st, fc_error *err)
{
    *pairs = NULL, *n_pairs = 0;
    double t0 = fc_now_s();
    fc_index_params ip = p->index; /* an HNSW build finds the pairs as it links */
    ip.self_join_threshold = threshold;
    ip.self_join_cap = p->max_neighbours;
    fc_index *idx = fc_index_new(dim, p->index_kind, &ip, err);
    if (!idx)
        return err ? err->code : FC_ERR_NOMEM;
    fc_status rc = fc_index_add(idx, rows, NULL, n, err);
    double t1 = fc_now_s();
    if (!rc)
        rc = fc_index_range_all(idx, threshold, p->max_neighbours, pairs, n_pairs, err);
    if (!rc && st && fc_index_kind_used(idx) == FC_INDEX_HNSW)
        rc = rescue_small(idx, n, threshold, p, pairs, n_pairs, st, err);
    if (st) {
        st->index_s = t1 - t0, st->edges_s = fc_now_s() - t1;
        st->index_used = fc_index_kind_used(idx);
    }
    fc_index_free(idx);
    return rc;
}

/* Step 3's bar: the edge threshold for two single faces, approaching merge for large
 * groups, whose mean is an average over many face pairs and so a much surer sign of
 * one person (docs/clustering.md has the measurements). */
double fc_cluster_merge_bar(const fc_cluster_params *p, double ka, double kb)
{
    return p->merge_threshold + (p->edge_threshold - p->merge_threshold) / sqrt(ka * kb);
}

/* The centroid cosine to search from: a mean cross cosine is the centroids' cosine
 * times |Sa|/ka times |Sb|/kb (each <= 1), so every pair over the bar has centroids at
 * least this similar. */
static float merge_search_threshold(const fc_cluster_params *p)
{
    return p->merge_threshold < p->edge_threshold ? p->merge_threshold : p->edge_threshold;
}

/* Pairs (changed group, any group) with centroid cosine >= threshold: an index over all
 * centroids cen (g, dim), searched from the changed groups only. */
static fc_status changed_pairs(const float *cen, int32_t g, int dim, const int32_t *changed,
                               int32_t n_changed, const fc_cluster_params *p,
                               fc_index_pair **out, int64_t *n_out, fc_error *err)
{
    *out = NULL, *n_out = 0;
    fc_index *idx = fc_index_new(dim, p->index_kind, &p->index, err);
    if (!idx)
        return err ? err->code : FC_ERR_NOMEM;
    fc_status rc = fc_index_add(idx, cen, NULL, g, err);
    if (!rc)
        rc = fc_index_range_from(idx, changed, n_changed, merge_search_threshold(p),
                                 p->max_neighbours, out, n_out, err);
    fc_index_free(idx);
    return rc;
}

/* The groups of one merge round, as they merge: gpar is a union-find over them (a
 * root's centroid, length and size in gr are the merged group's). */
typedef struct {
    fc_uf *u;
    fc_groups *gr;
    int32_t *gpar;
    int dim;
} merge_groups;

static int32_t group_root(int32_t *gpar, int32_t k)
{
    while (gpar[k] != k)
        k = gpar[k] = gpar[gpar[k]];
    return k;
}

/* Offers candidate group pairs (best first) to the faces' union-find: a pair joins when
 * the groups it now belongs to pass merge_bar and cannot-link allows it; a joined
 * group's centroid, length and size are updated before the next pair is tested. */
static fc_status merge_pairs(merge_groups *m, const fc_index_pair *pairs, int64_t n_pairs,
                             const fc_cluster_params *p, int64_t *joined,
                             fc_cluster_stats *st, fc_error *err)
{
    const size_t dim = (size_t)m->dim;
    for (int64_t i = 0; i < n_pairs; i++) {
        int32_t a = group_root(m->gpar, pairs[i].a), b = group_root(m->gpar, pairs[i].b);
        if (a == b)
            continue;
        fc_groups *g = m->gr;
        float *ca = g->cen + (size_t)a * dim, *cb = g->cen + (size_t)b * dim;
        double dot = 0;
        for (size_t k = 0; k < dim; k++)
            dot += (double)ca[k] * (double)cb[k];
        if (fc_groups_mean(g, a, b, dot) < fc_cluster_merge_bar(p, g->distinct[a], g->distinct[b]))
            continue;
        int r = fc_uf_union(m->u, g->rep[a], g->rep[b]);
        if (r == FC_UF_NOMEM)
            return fc_error_set(err, FC_ERR_NOMEM, "cannot-link image sets");
        st->n_refused += r == FC_UF_REFUSED;
        if (r != FC_UF_JOINED)
            continue;
        (*joined)++;
        for (size_t k = 0; k < dim; k++)
            ca[k] = ca[k] * g->len[a] + cb[k] * g->len[b];
        g->len[a] = fc_cluster_normalise(ca, m->dim);
        g->size[a] += g->size[b];
        g->distinct[a] += g->distinct[b];
        m->gpar[b] = a;
    }
    return FC_OK;
}

/* Step 3: merge groups whose centroids are similar, until a round merges nothing. The
 * first round joins all centroids with themselves; later rounds only search from the
 * groups the previous round changed (no other centroid moved). */
static fc_status merge_rounds(const fc_cluster_faces *f, fc_uf *u, const uint8_t *dup,
                              const fc_cluster_params *p, fc_cluster_stats *st, fc_error *err)
{
    int32_t n = (int32_t)f->n_faces;
    size_t nn = n ? (size_t)n : 1;
    fc_status rc = FC_OK;
    fc_groups cur = {0}, last = {0};                /* this round's groups, the last's */
    int32_t *first = malloc(nn * sizeof *first);  /* group -> a face's old group */
    int32_t *changed = malloc(nn * sizeof *changed);
    int32_t *gpar = NULL;
    if (!first || !changed) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "merge: %d faces", n);
        goto out;
    }
    for (int round = 0; round < p->max_merge_rounds; round++) {
        st->merge_rounds = round + 1;
        if ((rc = fc_groups_make(f, u, dup, &cur, err)) || cur.g < 2)
            break;
        const int32_t g = cur.g;
        int32_t n_changed = 0;
        for (int32_t k = 0; k < g; k++)
            first[k] = -1;
        for (int32_t i = 0; i < n && round > 0; i++) { /* groups made of several old ones */
            int32_t k = cur.of[i];
            if (first[k] == -1)
                first[k] = last.of[i];
            else if (first[k] >= 0 && first[k] != last.of[i])
                first[k] = -2, changed[n_changed++] = k;
        }
        free(gpar);
        if (!(gpar = malloc((size_t)g * sizeof *gpar))) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "merge: %d groups", g);
            goto out;
        }
        for (int32_t k = 0; k < g; k++)
            gpar[k] = k;
        fc_index_pair *pairs;
        int64_t n_pairs, joined = 0;
        if (round == 0)
            rc = similar_pairs(cur.cen, g, f->dim, merge_search_threshold(p), p, &pairs, &n_pairs,
                               NULL, err);
        else
            rc = changed_pairs(cur.cen, g, f->dim, changed, n_changed, p, &pairs, &n_pairs, err);
        merge_groups mg = {u, &cur, gpar, f->dim};
        if (!rc)
            rc = merge_pairs(&mg, pairs, n_pairs, p, &joined, st, err);
        free(pairs);
        st->n_merged += joined;
        if (rc || joined == 0)
            break;
        fc_groups_free(&last);
        last = cur, cur = (fc_groups){0};
    }
out:
    fc_groups_free(&cur), fc_groups_free(&last);
    free(first), free(changed), free(gpar);
    return rc;
}

/* Faces in components smaller than this after the recorded pairs search again. */
enum { RESCUE_BELOW = 3 };

/* Appends the pairs found from the faces left in components smaller than RESCUE_BELOW
 * by *pairs (an HNSW build only meets earlier rows, and misses a few of them): range
 * walks from those faces, merged into *pairs (sorted again). */
static fc_status rescue_small(const fc_index *idx, int64_t n, float threshold,
                              const fc_cluster_params *p, fc_index_pair **pairs,
                              int64_t *n_pairs, fc_cluster_stats *st, fc_error *err)
{
    fc_uf u;
    fc_status rc = fc_uf_init(&u, n, NULL, err);
    if (rc)
        return rc;
    int32_t *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    fc_index_pair *extra = NULL, *all = NULL;
    int64_t n_rows = 0, n_extra = 0;
    if (!rows) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "rescue: %lld faces", (long long)n);
        goto out;
    }
    for (int64_t i = 0; i < *n_pairs; i++)
        fc_uf_union(&u, (*pairs)[i].a, (*pairs)[i].b);
    for (int32_t i = 0; i < (int32_t)n; i++)
        if (u.size[fc_uf_find(&u, i)] < RESCUE_BELOW)
            rows[n_rows++] = i;
    st->n_rescue_walks = n_rows;
    rc = fc_index_range_from(idx, rows, n_rows, threshold, p->max_neighbours, &extra, &n_extra,
                             err);
    if (rc || n_extra == 0)
        goto out;
    all = realloc(*pairs, (size_t)(*n_pairs + n_extra) * sizeof *all);
    if (!all) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "rescue: %lld pairs", (long long)n_extra);
        goto out;
    }
    memcpy(all + *n_pairs, extra, (size_t)n_extra * sizeof *all);
    *pairs = all;
    *n_pairs += n_extra;
    rc = fc_pairs_sort(*pairs, n_pairs, n, err);
out:
    fc_uf_free(&u);
    free(rows), free(extra);
    return rc;
}

/* Marks (1) each face joined to an earlier face of its group by a pair at
 * FC_CLUSTER_DUP_COS or more: what is left unmarked counts each near-duplicate set
 * once (a group's first face is never marked). NULL when out of memory. */
static uint8_t *near_duplicates(fc_uf *u, const fc_index_pair *pairs, int64_t n_pairs, int64_t n)
{
    uint8_t *dup = calloc(n ? (size_t)n : 1, 1);
    for (int64_t i = 0; dup && i < n_pairs; i++) {
        const fc_index_pair *q = &pairs[i];
        if (q->score >= FC_CLUSTER_DUP_COS && fc_uf_find(u, q->a) == fc_uf_find(u, q->b))
            dup[q->a > q->b ? q->a : q->b] = 1;
    }
    return dup;
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
    uint8_t *dup = NULL;
    fc_index_pair *pairs = NULL;
    int64_t n_pairs = 0, joined = 0;
    rc = fc_uf_init(&u, f->n_faces, p->cannot_link ? f->image : NULL, err);
    if (rc)
        return rc;
    rc = similar_pairs(f->emb, f->n_faces, f->dim, p->edge_threshold, p, &pairs, &n_pairs, st,
                       err);
    st->n_edges = n_pairs;
    double t0 = fc_now_s();
    if (!rc)
        rc = unite_pairs(&u, pairs, n_pairs, NULL, &joined, st, err);
    if (!rc && !(dup = near_duplicates(&u, pairs, n_pairs, f->n_faces)))
        rc = fc_error_set(err, FC_ERR_NOMEM, "cluster: %lld faces", (long long)f->n_faces);
    free(pairs);
    double t1 = fc_now_s();
    st->unions_s = t1 - t0;
    if (!rc)
        rc = merge_rounds(f, &u, dup, p, st, err);
    if (!rc)
        rc = fc_cluster_attach_small(f, &u, p, st, err);
    double t2 = fc_now_s();
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
    st->assemble_s = fc_now_s() - t2;
out:
    free(person_of), free(dup);
    fc_uf_free(&u);
    return rc;
}
