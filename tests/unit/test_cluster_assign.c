/* test_cluster_assign.c - clusters to enrolled users on constructed vectors with known
 * cosines: centroid, vote, threshold, margin, one_to_one; and the HNSW path with many
 * users agreeing with exact search. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/assign.h"
#include "synth.h"

enum { D = 16 };

/* row = sum s_k e_{axis_k} + rest * e_15 with rest making it unit length: row . e_k = s_k */
static void with_cosines(float *row, int n, const int *axis, const double *s)
{
    memset(row, 0, D * sizeof *row);
    double sum = 0;
    for (int t = 0; t < n; t++)
        row[axis[t]] = (float)s[t], sum += s[t] * s[t];
    row[D - 1] = (float)sqrt(1 - sum);
}

static void users_axes(float *users, int n)
{
    memset(users, 0, (size_t)n * D * sizeof *users);
    for (int u = 0; u < n; u++)
        users[u * D + u] = 1;
}

TEST(cluster_assign_centroid_threshold_margin_one_to_one)
{
    float users[4 * D], cen[4 * D];
    users_axes(users, 4);
    with_cosines(cen + 0 * D, 2, (int[]){1, 0}, (double[]){0.9, 0.2});  /* user 1 */
    with_cosines(cen + 1 * D, 2, (int[]){0, 2}, (double[]){0.7, 0.1});  /* user 0 */
    with_cosines(cen + 2 * D, 1, (int[]){3}, (double[]){0.3});          /* too far */
    with_cosines(cen + 3 * D, 2, (int[]){1, 2}, (double[]){0.7, 0.65}); /* 1, close 2nd */
    fc_assign_clusters cl = {4, D, cen, NULL, NULL, NULL};
    fc_assign_params p = fc_assign_params_default();
    fc_assignment a[4];
    fc_error err = {0};
    CHECK_OK(fc_assign_run(&cl, users, 4, &p, a, &err), &err);
    CHECK(a[0].user == 1 && a[1].user == 0 && a[2].user == -1 && a[3].user == 1);
    CHECK_NEAR(a[0].similarity, 0.9, 1e-6);
    CHECK_NEAR(a[0].second, 0.2, 1e-6);
    CHECK(a[2].outcome == FC_ASSIGN_BELOW_THRESHOLD);
    CHECK_MSG(a[2].best_user == 3 && a[2].taken_by == -1, "%lld", (long long)a[2].best_user);
    CHECK_NEAR(a[2].similarity, 0.3, 1e-6); /* what it came closest to */
    p.margin = 0.1f; /* cluster 3: 0.7 - 0.65 is not enough */
    CHECK_OK(fc_assign_run(&cl, users, 4, &p, a, &err), &err);
    CHECK(a[0].user == 1 && a[1].user == 0 && a[3].user == -1);
    CHECK(a[3].outcome == FC_ASSIGN_AMBIGUOUS && a[3].best_user == 1);
    p.margin = 0;
    p.one_to_one = 1; /* clusters 0 (0.9) and 3 (0.7) both want user 1 */
    CHECK_OK(fc_assign_run(&cl, users, 4, &p, a, &err), &err);
    CHECK_MSG(a[0].user == 1 && a[3].user == -1 && a[3].outcome == FC_ASSIGN_TAKEN,
              "%lld %lld %d", (long long)a[0].user, (long long)a[3].user, (int)a[3].outcome);
    CHECK_MSG(a[3].best_user == 1 && a[3].taken_by == 0 && a[0].taken_by == -1, "%lld %d %d",
              (long long)a[3].best_user, (int)a[3].taken_by, (int)a[0].taken_by);
    CHECK(a[1].user == 0);
    p.threshold = 0.95f; /* nobody reaches it */
    CHECK_OK(fc_assign_run(&cl, users, 4, &p, a, &err), &err);
    for (int c = 0; c < 4; c++)
        CHECK(a[c].user == -1 && a[c].outcome == FC_ASSIGN_BELOW_THRESHOLD);
    CHECK_OK(fc_assign_run(&cl, users, 0, &p, a, &err), &err); /* no users */
    CHECK(a[0].user == -1);
    return FC_TEST_PASS;
}

TEST(cluster_assign_vote)
{
    float users[3 * D], emb[8 * D], cen[2 * D];
    users_axes(users, 3);
    /* cluster 0: faces 0-2 vote user 0 (0.8, 0.7, 0.9), 3-4 vote user 1 (0.95, 0.95),
     * face 5 is below the threshold; cluster 1: faces 6, 7 split 1:1 between 2 and 0 */
    with_cosines(emb + 0 * D, 2, (int[]){0, 1}, (double[]){0.8, 0.3});
    with_cosines(emb + 1 * D, 1, (int[]){0}, (double[]){0.7});
    with_cosines(emb + 2 * D, 1, (int[]){0}, (double[]){0.9});
    with_cosines(emb + 3 * D, 1, (int[]){1}, (double[]){0.95});
    with_cosines(emb + 4 * D, 1, (int[]){1}, (double[]){0.95});
    with_cosines(emb + 5 * D, 1, (int[]){2}, (double[]){0.5});
    with_cosines(emb + 6 * D, 2, (int[]){2, 0}, (double[]){0.8, 0.6});
    with_cosines(emb + 7 * D, 1, (int[]){0}, (double[]){0.7});
    memcpy(cen, emb, sizeof cen); /* unused by vote */
    const int64_t start[3] = {0, 6, 8}, members[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    fc_assign_clusters cl = {2, D, cen, start, members, emb};
    fc_assign_params p = fc_assign_params_default();
    p.strategy = FC_ASSIGN_VOTE;
    fc_assignment a[2];
    fc_error err = {0};
    CHECK_OK(fc_assign_run(&cl, users, 3, &p, a, &err), &err);
    CHECK(a[0].user == 0 && a[0].votes == 3);
    CHECK_NEAR(a[0].similarity, 0.8, 1e-6); /* mean of the winning votes */
    CHECK_NEAR(a[0].second, 0.95, 1e-6);
    /* 1:1 tie: the higher mean vote wins (user 2: 0.8 over user 0: 0.7) */
    CHECK(a[1].user == 2 && a[1].votes == 1);
    p.margin = 0.05f; /* face 6 (0.8 vs 0.6) still votes; the 1:1 tie is ambiguous */
    CHECK_OK(fc_assign_run(&cl, users, 3, &p, a, &err), &err);
    CHECK(a[0].user == 0 && a[1].user == -1 && a[1].outcome == FC_ASSIGN_AMBIGUOUS);
    CHECK(a[1].best_user == 2 && a[1].taken_by == -1); /* the tie's higher mean */
    p.margin = 0.45f; /* face 6 (0.8 vs 0.6) abstains, face 0 (0.8 vs 0.3) still votes */
    CHECK_OK(fc_assign_run(&cl, users, 3, &p, a, &err), &err);
    CHECK(a[0].user == 0 && a[0].votes == 3 && a[1].user == 0 && a[1].votes == 1);
    CHECK_NEAR(a[1].similarity, 0.7, 1e-6);
    return FC_TEST_PASS;
}

TEST(cluster_assign_many_users_uses_index)
{
    /* 6000 users (AUTO, switching to HNSW at 2000 here) and 200 clusters made near
     * known users. */
    const int dim = 64, n_users = 6000, n_cl = 200;
    fc_synth_rng r;
    fc_synth_seed(&r, 99);
    float *users = malloc((size_t)n_users * dim * sizeof *users);
    float *cen = malloc((size_t)n_cl * dim * sizeof *cen);
    CHECK(users && cen);
    for (int u = 0; u < n_users; u++)
        fc_synth_unit(&r, users + (size_t)u * dim, dim);
    for (int c = 0; c < n_cl; c++)
        fc_synth_face(&r, users + (size_t)(c * 29) * dim, dim, 0.3, cen + (size_t)c * dim);
    fc_assign_clusters cl = {n_cl, dim, cen, NULL, NULL, NULL};
    fc_assign_params p = fc_assign_params_default();
    p.index.n_threads = 2;
    p.index.auto_hnsw_from = 2000;
    fc_assignment a[200], exact[200];
    fc_error err = {0};
    CHECK_OK(fc_assign_run(&cl, users, n_users, &p, a, &err), &err);
    p.index_kind = FC_INDEX_FLAT;
    CHECK_OK(fc_assign_run(&cl, users, n_users, &p, exact, &err), &err);
    for (int c = 0; c < n_cl; c++) {
        CHECK(exact[c].user == c * 29);
        CHECK(a[c].user == exact[c].user);
    }
    free(users), free(cen);
    return FC_TEST_PASS;
}
