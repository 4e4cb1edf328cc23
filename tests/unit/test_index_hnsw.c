/* test_index_hnsw.c - HNSW recall against exact search on synthetic faces, a build that
 * does not depend on the thread count, concurrent searches, and AUTO's switch. */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"
#include "synth.h"

static fc_index *build(fc_index_kind kind, int n_threads, const fc_synth_set *s, fc_error *err)
{
    fc_index_params p = fc_index_params_default();
    p.n_threads = n_threads;
    fc_index *idx = fc_index_new(s->dim, kind, &p, err);
    if (idx && fc_index_add(idx, s->emb, NULL, s->n_faces, err)) {
        fc_index_free(idx);
        return NULL;
    }
    return idx;
}

TEST(index_hnsw_recall_at_10)
{
    /* 12k faces of 1200 identities + 300 fresh queries, 512-d. */
    fc_synth_spec spec = {.n_faces = 12300, .n_ids = 1200, .dim = 512, .seed = 11,
                          .size_spread = 0.6, .n_threads = 2};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    const int64_t nq = 300, n = s.n_faces - nq;
    const int k = 10;
    s.n_faces = n; /* index the first n, query with the rest */
    fc_index *h = build(FC_INDEX_HNSW, 2, &s, &err), *f = build(FC_INDEX_FLAT, 2, &s, &err);
    s.n_faces = n + nq;
    CHECK_MSG(h && f, "%s", err.msg);
    CHECK(fc_index_kind_used(h) == FC_INDEX_HNSW);
    const float *q = s.emb + (size_t)n * s.dim;
    int64_t *hi = malloc(nq * k * sizeof *hi), *fi = malloc(nq * k * sizeof *fi);
    float *hs = malloc(nq * k * sizeof *hs), *fs = malloc(nq * k * sizeof *fs);
    CHECK(hi && fi && hs && fs);
    CHECK_OK(fc_index_search_batch(h, q, nq, k, hi, hs, &err), &err);
    CHECK_OK(fc_index_search_batch(f, q, nq, k, fi, fs, &err), &err);
    int64_t hit = 0;
    for (int64_t i = 0; i < nq; i++)
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                if (hi[i * k + a] == fi[i * k + b]) {
                    hit++;
                    break;
                }
    double recall = (double)hit / (double)(nq * k);
    printf("    hnsw recall@10 = %.4f (n = %lld, 512-d, defaults)\n", recall, (long long)n);
    CHECK_MSG(recall >= 0.95, "recall@10 = %.4f", recall);
    free(hi), free(fi), free(hs), free(fs);
    fc_index_free(h), fc_index_free(f);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}

TEST(index_hnsw_same_graph_any_threads)
{
    fc_synth_spec spec = {.n_faces = 3000, .n_ids = 300, .dim = 64, .seed = 3};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    fc_index *a = build(FC_INDEX_HNSW, 1, &s, &err), *b = build(FC_INDEX_HNSW, 2, &s, &err);
    CHECK(a && b);
    const int k = 8;
    size_t cnt = (size_t)s.n_faces * k;
    int64_t *ia = malloc(cnt * sizeof *ia), *ib = malloc(cnt * sizeof *ib);
    float *sa = malloc(cnt * sizeof *sa), *sb = malloc(cnt * sizeof *sb);
    CHECK(ia && ib && sa && sb);
    CHECK_OK(fc_index_knn_all(a, k, ia, sa, &err), &err);
    CHECK_OK(fc_index_knn_all(b, k, ib, sb, &err), &err);
    CHECK(memcmp(ia, ib, cnt * sizeof *ia) == 0 && memcmp(sa, sb, cnt * sizeof *sa) == 0);
    for (int64_t i = 0; i < s.n_faces; i++)
        CHECK(ia[i * k] != i); /* itself excluded */
    free(ia), free(ib), free(sa), free(sb);
    fc_index_free(a), fc_index_free(b);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}

typedef struct {
    const fc_index *idx;
    const float *q;
    int nq, dim;
    int64_t *ids;
    float *sc;
    fc_status rc;
} search_arg;

static void *search_thread(void *p)
{
    search_arg *a = p;
    fc_error err = {0};
    for (int i = 0; i < a->nq && !a->rc; i++)
        a->rc = fc_index_search(a->idx, a->q + (size_t)i * a->dim, 5, a->ids + i * 5,
                                a->sc + i * 5, &err);
    return NULL;
}

TEST(index_hnsw_concurrent_search)
{
    fc_synth_spec spec = {.n_faces = 2000, .n_ids = 100, .dim = 32, .seed = 4};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    fc_index *h = build(FC_INDEX_HNSW, 1, &s, &err);
    CHECK(h);
    enum { NQ = 200 };
    int64_t ids[3][NQ * 5];
    float sc[3][NQ * 5];
    search_arg args[3];
    pthread_t t[2];
    for (int i = 0; i < 3; i++)
        args[i] = (search_arg){h, s.emb, NQ, s.dim, ids[i], sc[i], FC_OK};
    search_thread(&args[2]);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, search_thread, &args[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++)
        CHECK(args[i].rc == FC_OK);
    CHECK(memcmp(ids[0], ids[2], sizeof ids[0]) == 0 && memcmp(ids[1], ids[2], sizeof ids[0]) == 0);
    for (int i = 0; i < NQ; i++)
        CHECK(ids[2][i * 5] == i); /* a stored vector finds itself first */
    fc_index_free(h);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}

TEST(index_auto_switches_to_hnsw)
{
    fc_synth_spec spec = {.n_faces = 1500, .n_ids = 100, .dim = 32, .seed = 9};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    fc_index_params p = fc_index_params_default();
    p.auto_hnsw_from = 1000;
    fc_index *idx = fc_index_new(s.dim, FC_INDEX_AUTO, &p, &err);
    CHECK(idx);
    CHECK_OK(fc_index_add(idx, s.emb, NULL, 600, &err), &err);
    CHECK(fc_index_kind_used(idx) == FC_INDEX_FLAT);
    CHECK_OK(fc_index_add(idx, s.emb + 600 * s.dim, NULL, 900, &err), &err);
    CHECK(fc_index_kind_used(idx) == FC_INDEX_HNSW && fc_index_size(idx) == 1500);
    int64_t id;
    float sc;
    CHECK_OK(fc_index_search(idx, s.emb + 1234 * s.dim, 1, &id, &sc, &err), &err);
    CHECK(id == 1234 && sc > 0.999f);
    fc_index_free(idx);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}
