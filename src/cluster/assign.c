/* assign.c - fc_assign_run: the two best users per centroid or per face from the
 * vector index over the users, then threshold, margin, votes and one-to-one. */
#include "cluster/assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"

fc_assign_params fc_assign_params_default(void)
{
    return (fc_assign_params){.strategy = FC_ASSIGN_CENTROID,
                              .threshold = 0.65f,
                              .margin = 0,
                              .one_to_one = 0,
                              .index_kind = FC_INDEX_AUTO,
                              .index = fc_index_params_default()};
}

fc_assign_clusters fc_assign_clusters_of(const fc_clustering *c, const float *emb)
{
    return (fc_assign_clusters){c->n_persons, c->dim, c->centroids, c->member_start,
                                c->members, emb};
}

static void decide_centroid(const int64_t *ids, const float *sc, const fc_assign_params *p,
                            fc_assignment *a)
{
    *a = (fc_assignment){.user = -1, .best_user = ids[0], .taken_by = -1, .similarity = sc[0],
                         .second = sc[1]};
    if (ids[0] < 0 || sc[0] < p->threshold)
        a->outcome = FC_ASSIGN_BELOW_THRESHOLD;
    else if (p->margin > 0 && !(sc[0] - sc[1] > p->margin))
        a->outcome = FC_ASSIGN_AMBIGUOUS;
    else
        a->user = ids[0], a->outcome = FC_ASSIGN_OK;
}

typedef struct {
    int64_t user;
    float score;
} vote;

static int by_user(const void *pa, const void *pb)
{
    const vote *a = pa, *b = pb;
    return (a->user > b->user) - (a->user < b->user);
}

/* Counts the votes v[0..n) (sorted here) and decides. */
static void decide_vote(vote *v, int64_t n, const fc_assign_params *p, fc_assignment *a)
{
    *a = (fc_assignment){.user = -1, .best_user = -1, .taken_by = -1, .similarity = -INFINITY,
                         .second = -INFINITY, .outcome = FC_ASSIGN_BELOW_THRESHOLD};
    qsort(v, (size_t)n, sizeof *v, by_user);
    int64_t best = -1, best_n = 0, second_n = 0;
    double best_mean = -INFINITY, second_mean = -INFINITY;
    for (int64_t i = 0, j; i < n; i = j) {
        double sum = 0;
        for (j = i; j < n && v[j].user == v[i].user; j++)
            sum += v[j].score;
        int64_t cnt = j - i;
        double mean = sum / (double)cnt;
        if (cnt > best_n || (cnt == best_n && mean > best_mean)) {
            second_n = best_n, second_mean = best_mean;
            best = v[i].user, best_n = cnt, best_mean = mean;
        } else if (cnt > second_n || (cnt == second_n && mean > second_mean)) {
            second_n = cnt, second_mean = mean;
        }
    }
    if (best < 0)
        return;
    a->best_user = best, a->similarity = (float)best_mean, a->second = (float)second_mean;
    a->votes = (int)best_n;
    if (p->margin > 0 && second_n == best_n)
        a->outcome = FC_ASSIGN_AMBIGUOUS;
    else
        a->user = best, a->outcome = FC_ASSIGN_OK;
}

typedef struct {
    float score;
    int32_t cluster;
} ranked;

static int by_score_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->cluster > b->cluster) - (a->cluster < b->cluster);
}

/* one_to_one: each user keeps its most similar cluster; the others name it. */
static fc_status one_to_one(fc_assignment *out, int n, int64_t n_users, fc_error *err)
{
    ranked *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    int32_t *kept = malloc((size_t)(n_users ? n_users : 1) * sizeof *kept); /* user -> cluster */
    if (!r || !kept) {
        free(r), free(kept);
        return fc_error_set(err, FC_ERR_NOMEM, "one_to_one");
    }
    for (int64_t u = 0; u < n_users; u++)
        kept[u] = -1;
    int m = 0;
    for (int c = 0; c < n; c++)
        if (out[c].user >= 0)
            r[m++] = (ranked){out[c].similarity, c};
    qsort(r, (size_t)m, sizeof *r, by_score_desc);
    for (int i = 0; i < m; i++) {
        fc_assignment *a = &out[r[i].cluster];
        if (kept[a->user] >= 0)
            a->taken_by = kept[a->user], a->user = -1, a->outcome = FC_ASSIGN_TAKEN;
        else
            kept[a->user] = r[i].cluster;
    }
    free(r), free(kept);
    return FC_OK;
}

fc_status fc_assign_run(const fc_assign_clusters *cl, const float *users, int64_t n_users,
                        const fc_assign_params *p, fc_assignment *out, fc_error *err)
{
    if (cl->n_clusters < 0 || cl->dim <= 0 || n_users < 0)
        return fc_error_set(err, FC_ERR_ARG, "assign: %d clusters, dim %d, %lld users",
                            cl->n_clusters, cl->dim, (long long)n_users);
    int n = cl->n_clusters;
    int vote_mode = p->strategy == FC_ASSIGN_VOTE;
    int64_t nq = vote_mode ? (n ? cl->member_start[n] : 0) : n;
    fc_status rc = FC_OK;
    fc_index *idx = NULL;
    int64_t *ids = malloc((size_t)(nq ? nq : 1) * 2 * sizeof *ids);
    float *sc = malloc((size_t)(nq ? nq : 1) * 2 * sizeof *sc);
    vote *votes = malloc((size_t)(nq ? nq : 1) * sizeof *votes);
    float *q = NULL;
    if (!ids || !sc || !votes) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "assign: %lld queries", (long long)nq);
        goto out;
    }
    for (int64_t i = 0; i < nq * 2; i++)
        ids[i] = -1, sc[i] = -INFINITY;
    if (n_users > 0 && nq > 0) {
        idx = fc_index_new(cl->dim, p->index_kind, &p->index, err);
        if (!idx) {
            rc = err ? err->code : FC_ERR_NOMEM;
            goto out;
        }
        rc = fc_index_add(idx, users, NULL, n_users, err);
        if (rc)
            goto out;
        const float *queries = cl->centroids;
        if (vote_mode) { /* the members' rows, in cluster order */
            q = malloc((size_t)nq * (size_t)cl->dim * sizeof *q);
            if (!q) {
                rc = fc_error_set(err, FC_ERR_NOMEM, "assign: %lld faces", (long long)nq);
                goto out;
            }
            for (int64_t i = 0; i < nq; i++)
                memcpy(q + (size_t)i * (size_t)cl->dim,
                       cl->emb + (size_t)cl->members[i] * (size_t)cl->dim,
                       (size_t)cl->dim * sizeof *q);
            queries = q;
        }
        rc = fc_index_search_batch(idx, queries, nq, 2, ids, sc, err);
        if (rc)
            goto out;
    }
    for (int c = 0; c < n; c++) {
        if (!vote_mode) {
            decide_centroid(ids + 2 * c, sc + 2 * c, p, &out[c]);
            continue;
        }
        int64_t nv = 0;
        for (int64_t f = cl->member_start[c]; f < cl->member_start[c + 1]; f++) {
            const int64_t *fi = ids + 2 * f;
            const float *fs = sc + 2 * f;
            if (fi[0] < 0 || fs[0] < p->threshold)
                continue;
            if (p->margin > 0 && !(fs[0] - fs[1] > p->margin))
                continue;
            votes[nv++] = (vote){fi[0], fs[0]};
        }
        decide_vote(votes, nv, p, &out[c]);
    }
    if (p->one_to_one)
        rc = one_to_one(out, n, n_users, err);
out:
    fc_index_free(idx);
    free(ids), free(sc), free(votes), free(q);
    return rc;
}
