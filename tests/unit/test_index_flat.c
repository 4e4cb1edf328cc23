/* test_index_flat.c - SIMD dot-product variants agree with the scalar reference, and
 * exact search (single, batch, kNN of all points, range self-join) matches a naive loop
 * for any thread count. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "index/dot.h"
#include "index/index.h"
#include "synth.h"

static float *random_units(int64_t n, int dim, uint64_t seed)
{
    float *v = malloc((size_t)n * (size_t)dim * sizeof *v);
    fc_synth_rng r;
    fc_synth_seed(&r, seed);
    for (int64_t i = 0; v && i < n; i++)
        fc_synth_unit(&r, v + (size_t)i * (size_t)dim, dim);
    return v;
}

static double naive_dot(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int k = 0; k < dim; k++)
        s += (double)a[k] * b[k];
    return s;
}

TEST(index_simd_variants_agree)
{
    static const int dims[] = {1, 3, 7, 8, 15, 16, 17, 33, 100, 128, 512, 515};
    int tested = 0;
    for (int l = 0; l < FC_SIMD_COUNT; l++) {
        if (!fc_simd_supported((fc_simd_level)l))
            continue;
        tested++;
        fc_dot_fn dot = fc_dot_get((fc_simd_level)l);
        fc_dot_block_fn block = fc_dot_block_get((fc_simd_level)l);
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
            int dim = dims[d], nq = 7, nx = 11;
            float *q = random_units(nq, dim, 1 + d), *x = random_units(nx, dim, 100 + d);
            float out[7 * 13];
            CHECK(q && x);
            block(q, (size_t)dim, nq, x, (size_t)dim, nx, dim, out, 13);
            for (int i = 0; i < nq; i++)
                for (int j = 0; j < nx; j++) {
                    double want = naive_dot(q + (size_t)i * dim, x + (size_t)j * dim, dim);
                    CHECK_NEAR(out[i * 13 + j], want, 1e-5);
                    CHECK_NEAR(dot(q + (size_t)i * dim, x + (size_t)j * dim, dim), want, 1e-5);
                }
            free(q), free(x);
        }
    }
    CHECK(tested >= 1);
    CHECK(fc_simd_supported(fc_simd_best()));
    return FC_TEST_PASS;
}

TEST(index_simd_int8_variants_agree)
{
    fc_dot_i8_fn fns[8];
    int n = fc_dot_i8_variants(fns);
    CHECK(n >= 1);
    enum { DIM = 576 }; /* a multiple of 64 that is not one of 128 */
    _Alignas(64) int8_t a[DIM], b[DIM];
    fc_synth_rng r;
    fc_synth_seed(&r, 31);
    for (int rep = 0; rep < 50; rep++) {
        for (int k = 0; k < DIM; k++) {
            a[k] = (int8_t)((int)(fc_synth_next(&r) % 255) - 127);
            b[k] = (int8_t)((int)(fc_synth_next(&r) % 255) - 127);
        }
        if (rep == 0) /* extremes */
            for (int k = 0; k < DIM; k++)
                a[k] = (int8_t)(k % 2 ? -127 : 127), b[k] = (int8_t)(k % 3 ? -127 : 127);
        for (int dim = 64; dim <= DIM; dim += 64) {
            int32_t want = 0;
            for (int k = 0; k < dim; k++)
                want += a[k] * b[k];
            for (int v = 0; v < n; v++)
                CHECK_MSG(fns[v](a, b, dim) == want, "variant %d, dim %d", v, dim);
        }
    }
    return FC_TEST_PASS;
}

/* Naive top-k of q among x (n, dim), skipping row skip. */
static void naive_topk(const float *x, int64_t n, int dim, const float *q, int k, int64_t skip,
                       int64_t *ids, float *scores)
{
    for (int r = 0; r < k; r++)
        ids[r] = -1, scores[r] = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        if (j == skip)
            continue;
        float s = (float)naive_dot(q, x + (size_t)j * dim, dim);
        int at = k;
        while (at > 0 && s > scores[at - 1])
            at--;
        if (at == k)
            continue;
        memmove(ids + at + 1, ids + at, (size_t)(k - at - 1) * sizeof *ids);
        memmove(scores + at + 1, scores + at, (size_t)(k - at - 1) * sizeof *scores);
        ids[at] = j, scores[at] = s;
    }
}

/* Same top-k up to float rounding: scores agree, ids agree where scores are not tied. */
static int same_topk(const int64_t *ia, const float *sa, const int64_t *ib, const float *sb,
                     int k)
{
    for (int r = 0; r < k; r++) {
        if (fabsf(sa[r] - sb[r]) > 1e-5f)
            return 0;
        int tied = (r > 0 && fabsf(sa[r] - sa[r - 1]) < 1e-5f) ||
                   (r + 1 < k && fabsf(sa[r] - sa[r + 1]) < 1e-5f);
        if (!tied && ia[r] != ib[r])
            return 0;
    }
    return 1;
}

TEST(index_flat_exact_vs_naive)
{
    const int dim = 96, k = 10;
    const int64_t n = 3001, nq = 37;
    float *x = random_units(n, dim, 7), *q = random_units(nq, dim, 8);
    int64_t ids[37 * 10], want_ids[10], *user_ids = malloc((size_t)n * sizeof *user_ids);
    float sc[37 * 10], want_sc[10];
    CHECK(x && q && user_ids);
    for (int64_t i = 0; i < n; i++)
        user_ids[i] = 1000 + 3 * i;
    fc_error err = {0};
    fc_index_params p = fc_index_params_default();
    p.n_threads = 2;
    fc_index *idx = fc_index_new(dim, FC_INDEX_FLAT, &p, &err);
    CHECK(idx);
    CHECK_OK(fc_index_add(idx, x, user_ids, 1000, &err), &err);
    CHECK_OK(fc_index_add(idx, x + 1000 * dim, user_ids + 1000, n - 1000, &err), &err);
    CHECK(fc_index_kind_used(idx) == FC_INDEX_FLAT && fc_index_size(idx) == n);
    CHECK_OK(fc_index_search_batch(idx, q, nq, k, ids, sc, &err), &err);
    for (int64_t i = 0; i < nq; i++) {
        naive_topk(x, n, dim, q + i * dim, k, -1, want_ids, want_sc);
        for (int r = 0; r < k; r++)
            want_ids[r] = 1000 + 3 * want_ids[r];
        CHECK(same_topk(ids + i * k, sc + i * k, want_ids, want_sc, k));
        int64_t one_ids[10];
        float one_sc[10];
        CHECK_OK(fc_index_search(idx, q + i * dim, k, one_ids, one_sc, &err), &err);
        CHECK(memcmp(one_ids, ids + i * k, sizeof one_ids) == 0);
    }
    /* k larger than the index: padded */
    fc_index *small = fc_index_new(dim, FC_INDEX_FLAT, NULL, &err);
    CHECK_OK(fc_index_add(small, x, NULL, 3, &err), &err);
    CHECK_OK(fc_index_search(small, q, 5, want_ids, want_sc, &err), &err);
    CHECK(want_ids[2] >= 0 && want_ids[3] == -1 && isinf(want_sc[4]));
    fc_index_free(small);
    fc_index_free(idx);
    free(x), free(q), free(user_ids);
    return FC_TEST_PASS;
}

/* Builds a flat index over a small clustered set with n_threads. */
static fc_index *clustered_index(int n_threads, fc_synth_set *set)
{
    fc_synth_spec spec = {.n_faces = 2500, .n_ids = 200, .dim = 64, .seed = 5};
    fc_error err = {0};
    if (fc_synth_make(&spec, set, &err))
        return NULL;
    fc_index_params p = fc_index_params_default();
    p.n_threads = n_threads;
    fc_index *idx = fc_index_new(set->dim, FC_INDEX_FLAT, &p, &err);
    if (idx && fc_index_add(idx, set->emb, NULL, set->n_faces, &err)) {
        fc_index_free(idx);
        return NULL;
    }
    return idx;
}

TEST(index_flat_knn_all_and_range)
{
    fc_synth_set set;
    fc_index *idx = clustered_index(2, &set);
    CHECK(idx);
    int64_t n = set.n_faces;
    int dim = set.dim, k = 8;
    int64_t *ids = malloc((size_t)n * k * sizeof *ids), want_ids[8];
    float *sc = malloc((size_t)n * k * sizeof *sc), want_sc[8];
    fc_error err = {0};
    CHECK(ids && sc);
    CHECK_OK(fc_index_knn_all(idx, k, ids, sc, &err), &err);
    for (int64_t i = 0; i < n; i++) {
        naive_topk(set.emb, n, dim, set.emb + i * dim, k, i, want_ids, want_sc);
        CHECK(same_topk(ids + i * k, sc + i * k, want_ids, want_sc, k));
    }
    /* range self-join with a cap above any group size = every pair >= t */
    const float t = 0.55f;
    fc_index_pair *pairs;
    int64_t np;
    CHECK_OK(fc_index_range_all(idx, t, 200, &pairs, &np, &err), &err);
    int64_t want = 0, skipped = 0;
    for (int64_t a = 0; a < n; a++)
        for (int64_t b = a + 1; b < n; b++) {
            double s = naive_dot(set.emb + a * dim, set.emb + b * dim, dim);
            if (fabs(s - t) < 1e-5) /* too close to call */
                skipped++;
            else if (s >= t)
                want++;
        }
    CHECK_MSG(np >= want && np <= want + skipped, "%lld pairs, want %lld", (long long)np,
              (long long)want);
    for (int64_t p = 0; p < np; p++) {
        CHECK(pairs[p].a < pairs[p].b && pairs[p].score >= t);
        CHECK_NEAR(pairs[p].score, naive_dot(set.emb + pairs[p].a * dim,
                                             set.emb + pairs[p].b * dim, dim), 1e-5);
        if (p > 0) {
            const fc_index_pair *u = &pairs[p - 1], *v = &pairs[p];
            CHECK(u->score > v->score ||
                  (u->score == v->score && (u->a < v->a || (u->a == v->a && u->b < v->b))));
        }
    }
    free(pairs);
    free(ids), free(sc);
    fc_index_free(idx);
    fc_synth_set_free(&set);
    return FC_TEST_PASS;
}

TEST(index_flat_threads_agree)
{
    fc_synth_set s1, s2;
    fc_index *a = clustered_index(1, &s1), *b = clustered_index(2, &s2);
    CHECK(a && b);
    int64_t n = s1.n_faces;
    int k = 12;
    int64_t *ia = malloc((size_t)n * k * sizeof *ia), *ib = malloc((size_t)n * k * sizeof *ib);
    float *sa = malloc((size_t)n * k * sizeof *sa), *sb = malloc((size_t)n * k * sizeof *sb);
    fc_error err = {0};
    CHECK(ia && ib && sa && sb);
    CHECK_OK(fc_index_knn_all(a, k, ia, sa, &err), &err);
    CHECK_OK(fc_index_knn_all(b, k, ib, sb, &err), &err);
    CHECK(memcmp(ia, ib, (size_t)n * k * sizeof *ia) == 0);
    CHECK(memcmp(sa, sb, (size_t)n * k * sizeof *sa) == 0);
    free(ia), free(ib), free(sa), free(sb);
    fc_index_free(a), fc_index_free(b);
    fc_synth_set_free(&s1), fc_synth_set_free(&s2);
    return FC_TEST_PASS;
}
