/* incremental.c - fc_cluster_extend: new faces join existing persons as the merge step
 * would join a single face to them (mean cosine with the person's faces over the
 * size-dependent bar, near-duplicates counted once; or centroid cosine >=
 * extend_threshold when that is set),
 * strongest candidates first, cannot-link respected; the rest, with the old unassigned
 * faces, are clustered into new persons numbered after the existing ones. */
#include "cluster/internal.h"

#include <stdlib.h>
#include <string.h>

enum { EXTEND_CANDIDATES = 8 };

void fc_cluster_changes_free(fc_cluster_changes *ch)
{
    if (!ch)
        return;
    free(ch->faces_added);
    memset(ch, 0, sizeof *ch);
}

typedef struct {
    float score;
    int32_t face, person;
} join_cand;

static int by_score_desc(const void *pa, const void *pb)
{
    const join_cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->face != b->face)
        return a->face < b->face ? -1 : 1;
    return (a->person > b->person) - (a->person < b->person);
}

/* The combined face set: old rows then new rows (copies of the arrays). */
typedef struct {
    fc_cluster_faces f;
    float *emb, *quality, *confidence;
    int64_t *image;
} combined;

static void combined_free(combined *c)
{
    free(c->emb), free(c->quality), free(c->confidence), free(c->image);
}

static fc_status combine(const fc_cluster_faces *a, const fc_cluster_faces *b, combined *c,
                         fc_error *err)
{
    memset(c, 0, sizeof *c);
    int64_t n = a->n_faces + b->n_faces;
    size_t nn = n ? (size_t)n : 1, d = (size_t)a->dim;
    c->emb = malloc(nn * d * sizeof *c->emb);
    c->quality = malloc(nn * sizeof *c->quality);
    c->confidence = malloc(nn * sizeof *c->confidence);
    c->image = malloc(nn * sizeof *c->image);
    if (!c->emb || !c->quality || !c->confidence || !c->image) {
        combined_free(c);
        return fc_error_set(err, FC_ERR_NOMEM, "extend: %lld faces", (long long)n);
    }
    const fc_cluster_faces *parts[2] = {a, b};
    int64_t at = 0;
    for (int s = 0; s < 2; s++) {
        const fc_cluster_faces *p = parts[s];
        memcpy(c->emb + (size_t)at * d, p->emb, (size_t)p->n_faces * d * sizeof *c->emb);
        for (int64_t i = 0; i < p->n_faces; i++) {
            c->quality[at + i] = p->quality ? p->quality[i] : 0;
            c->confidence[at + i] = p->confidence ? p->confidence[i] : 0;
            c->image[at + i] = p->image ? p->image[i] : -1;
        }
        at += p->n_faces;
    }
    c->f = (fc_cluster_faces){n, a->dim, c->emb, c->image, c->quality, c->confidence};
    return FC_OK;
}

/* Per person of prev: tight = |sum of its faces| / its size, so that a face's mean
 * cosine with the person's faces is its cosine with the unit centroid times this;
 * distinct = its faces with near-duplicates counted once (the merge bar's size). */
typedef struct {
    float tight;
    int64_t distinct;
} person_stat;

static person_stat *person_stats(const fc_clustering *prev, const float *old_emb, fc_error *err)
{
    person_stat *t = malloc((size_t)(prev->n_persons ? prev->n_persons : 1) * sizeof *t);
    float *scratch = malloc((size_t)prev->dim * sizeof *scratch);
    if (!t || !scratch) {
        free(t), free(scratch);
        fc_error_set(err, FC_ERR_NOMEM, "extend: %d persons", prev->n_persons);
        return NULL;
    }
    for (int q = 0; q < prev->n_persons; q++) {
        const int64_t *m = prev->members + prev->member_start[q];
        const int64_t k = prev->member_start[q + 1] - prev->member_start[q];
        t[q].tight = fc_cluster_centroid(old_emb, prev->dim, m, k, scratch);
        t[q].distinct = fc_cluster_distinct(old_emb, prev->dim, m, k);
    }
    free(scratch);
    return t;
}

/* Whether a new face at centroid cosine sc may join person q. */
static int may_join(const person_stat *st, const fc_cluster_params *p, int32_t q, float sc)
{
    if (p->extend_threshold > 0)
        return sc >= p->extend_threshold;
    return (double)sc * st[q].tight >= fc_cluster_merge_bar(p, 1, (double)st[q].distinct);
}

/* Candidate (new face, existing person) pairs that may_join, by centroid cosine. */
static fc_status join_candidates(const fc_clustering *prev, const fc_cluster_faces *nf,
                                 const person_stat *st, const fc_cluster_params *p,
                                 join_cand **out, int64_t *n_out, fc_error *err)
{
    *out = NULL, *n_out = 0;
    if (prev->n_persons == 0 || nf->n_faces == 0)
        return FC_OK;
    int k = prev->n_persons < EXTEND_CANDIDATES ? prev->n_persons : EXTEND_CANDIDATES;
    size_t cnt = (size_t)nf->n_faces * (size_t)k;
    fc_status rc = FC_OK;
    int64_t *ids = malloc(cnt * sizeof *ids);
    float *sc = malloc(cnt * sizeof *sc);
    join_cand *c = malloc(cnt * sizeof *c);
    fc_index *idx = fc_index_new(prev->dim, p->index_kind, &p->index, err);
    if (!ids || !sc || !c || !idx) {
        rc = idx ? fc_error_set(err, FC_ERR_NOMEM, "extend: candidates") : err->code;
        goto out;
    }
    rc = fc_index_add(idx, prev->centroids, NULL, prev->n_persons, err);
    if (!rc)
        rc = fc_index_search_batch(idx, nf->emb, nf->n_faces, k, ids, sc, err);
    if (rc)
        goto out;
    int64_t n = 0;
    for (size_t i = 0; i < cnt; i++)
        if (ids[i] >= 0 && may_join(st, p, (int32_t)ids[i], sc[i]))
            c[n++] = (join_cand){sc[i], (int32_t)(i / (size_t)k), (int32_t)ids[i]};
    qsort(c, (size_t)n, sizeof *c, by_score_desc);
    *out = c, *n_out = n;
    c = NULL;
out:
    fc_index_free(idx);
    free(ids), free(sc), free(c);
    return rc;
}

/* Clusters the faces listed in rest (combined indices) and numbers the resulting
 * persons from first_id into person_of; returns the count in *n_new. */
static fc_status cluster_rest(const combined *all, const int64_t *rest, int64_t n_rest,
                              const fc_cluster_params *p, int first_id, int32_t *person_of,
                              int *n_new, fc_error *err)
{
    *n_new = 0;
    if (n_rest == 0)
        return FC_OK;
    combined sub = {0};
    fc_clustering *r = NULL;
    size_t d = (size_t)all->f.dim;
    sub.emb = malloc((size_t)n_rest * d * sizeof *sub.emb);
    sub.image = malloc((size_t)n_rest * sizeof *sub.image);
    fc_status rc = FC_OK;
    if (!sub.emb || !sub.image) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "extend: %lld faces", (long long)n_rest);
        goto out;
    }
    for (int64_t i = 0; i < n_rest; i++) {
        memcpy(sub.emb + (size_t)i * d, all->emb + (size_t)rest[i] * d, d * sizeof *sub.emb);
        sub.image[i] = all->image[rest[i]];
    }
    fc_cluster_faces f = {n_rest, all->f.dim, sub.emb, sub.image, NULL, NULL};
    rc = fc_cluster_run(&f, p, &r, err);
    if (rc)
        goto out;
    for (int64_t i = 0; i < n_rest; i++)
        person_of[rest[i]] = r->person_of[i] >= 0 ? first_id + r->person_of[i] : -1;
    *n_new = r->n_persons;
out:
    fc_clustering_free(r);
    combined_free(&sub);
    return rc;
}

fc_status fc_cluster_extend(const fc_cluster_faces *old_faces, const fc_clustering *prev,
                            const fc_cluster_faces *new_faces, const fc_cluster_params *p,
                            fc_clustering **out, fc_cluster_changes *changes, fc_error *err)
{
    *out = NULL;
    memset(changes, 0, sizeof *changes);
    fc_status rc = fc_cluster_check_faces(old_faces, err);
    if (!rc)
        rc = fc_cluster_check_faces(new_faces, err);
    if (rc)
        return rc;
    if (new_faces->dim != old_faces->dim || prev->n_faces != old_faces->n_faces ||
        prev->dim != old_faces->dim)
        return fc_error_set(err, FC_ERR_ARG, "extend: %lld/%d old faces vs clustering %lld/%d",
                            (long long)old_faces->n_faces, old_faces->dim,
                            (long long)prev->n_faces, prev->dim);
    /* every person has a face: joins link to the first, owners start from it */
    for (int q = 0; q < prev->n_persons; q++)
        if (prev->member_start[q + 1] <= prev->member_start[q])
            return fc_error_set(err, FC_ERR_ARG, "extend: person %d of the clustering has no faces",
                                q);
    int64_t n_old = old_faces->n_faces, n = n_old + new_faces->n_faces;
    combined all;
    rc = combine(old_faces, new_faces, &all, err);
    if (rc)
        return rc;
    fc_uf u = {0};
    join_cand *cand = NULL;
    person_stat *st = NULL;
    int64_t n_cand = 0, n_rest = 0;
    int32_t *person_of = malloc((size_t)(n ? n : 1) * sizeof *person_of);
    int64_t *rest = malloc((size_t)(n ? n : 1) * sizeof *rest);
    if (!person_of || !rest) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "extend: %lld faces", (long long)n);
        goto out;
    }
    /* Existing persons as union-find groups rooted at their first member, so joins
     * check cannot-link exactly as clustering does. */
    rc = fc_uf_init(&u, n, p->cannot_link ? all.image : NULL, err);
    if (rc)
        goto out;
    for (int q = 0; q < prev->n_persons; q++)
        for (int64_t k = prev->member_start[q] + 1; k < prev->member_start[q + 1]; k++)
            if (fc_uf_union(&u, (int32_t)prev->members[prev->member_start[q]],
                            (int32_t)prev->members[k]) == FC_UF_NOMEM) {
                rc = fc_error_set(err, FC_ERR_NOMEM, "extend: image sets");
                goto out;
            }
    memcpy(person_of, prev->person_of, (size_t)n_old * sizeof *person_of);
    for (int64_t i = n_old; i < n; i++)
        person_of[i] = -1;
    if (!(st = person_stats(prev, old_faces->emb, err))) {
        rc = err ? err->code : FC_ERR_NOMEM;
        goto out;
    }
    rc = join_candidates(prev, new_faces, st, p, &cand, &n_cand, err);
    if (rc)
        goto out;
    for (int64_t c = 0; c < n_cand; c++) {
        int32_t face = (int32_t)(n_old + cand[c].face);
        if (person_of[face] >= 0)
            continue;
        int32_t first = (int32_t)prev->members[prev->member_start[cand[c].person]];
        int r = fc_uf_union(&u, first, face);
        if (r == FC_UF_NOMEM) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "extend: image sets");
            goto out;
        }
        if (r == FC_UF_JOINED)
            person_of[face] = cand[c].person, changes->n_joined++;
    }
    for (int64_t i = 0; i < n; i++)
        if (person_of[i] < 0)
            rest[n_rest++] = i;
    int n_new = 0;
    rc = cluster_rest(&all, rest, n_rest, p, prev->n_persons, person_of, &n_new, err);
    if (!rc)
        rc = fc_cluster_assemble(&all.f, person_of, prev->n_persons + n_new, out, err);
    if (rc)
        goto out;
    changes->n_persons_before = prev->n_persons;
    changes->n_new_persons = n_new;
    changes->faces_added = calloc((size_t)(*out)->n_persons + 1, sizeof *changes->faces_added);
    if (!changes->faces_added) {
        fc_clustering_free(*out);
        *out = NULL;
        rc = fc_error_set(err, FC_ERR_NOMEM, "extend: changes");
        goto out;
    }
    for (int64_t i = 0; i < n; i++)
        if (person_of[i] >= 0 && (i >= n_old || person_of[i] >= prev->n_persons))
            changes->faces_added[person_of[i]]++;
out:
    fc_uf_free(&u);
    free(cand), free(person_of), free(rest), free(st);
    combined_free(&all);
    return rc;
}
