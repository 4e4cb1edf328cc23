/* test_heap_index.c - out of memory at every step (sweep.h) in the vector index: a
 * flat and an HNSW index (with and without the pairs its build can record) on 200
 * 128-d synthetic faces of 20 identities: built, searched one query at a time and in
 * batches, joined with themselves (k nearest, range from all rows and from some),
 * freed; on 1 thread, so that every allocation is the calling thread's. */
#include "heap/sweep.h"
#include "synth.h"
#include "test.h"

#include "index/index.h"

#include <stdlib.h>
#include <string.h>

enum { N = 200, DIM = 128, N_IDS = 20, K = 5, N_QUERIES = 8 };

typedef struct {
    fc_index_kind kind;
    int record_pairs;  /* HNSW: the build records the pairs >= 0.5 (self_join_*) */
    const float *vecs; /* (N, DIM), face i of identity i % N_IDS */
} index_job;

/* The searches on a built index; 1, or 0 with err set. */
static int search_all(const fc_index *idx, const float *vecs, fc_error *err)
{
    int64_t ids[N_QUERIES * K];
    float scores[N_QUERIES * K];
    if (fc_index_search(idx, vecs + 7 * DIM, K, ids, scores, err))
        return 0;
    if (ids[0] != 7 || !(scores[0] > 0.999f))
        return fc_heap_wrong("wrong answer: search for a stored vector");
    if (fc_index_search_batch(idx, vecs, N_QUERIES, K, ids, scores, err))
        return 0;
    for (int q = 0; q < N_QUERIES; q++)
        if (ids[q * K] != q)
            return fc_heap_wrong("wrong answer: batch search for stored vectors");
    int64_t *knn_ids = malloc((size_t)N * K * sizeof *knn_ids);
    float *knn_scores = malloc((size_t)N * K * sizeof *knn_scores);
    fc_index_pair *pairs = NULL, *from = NULL;
    int64_t n_pairs = 0, n_from = 0;
    const int32_t rows[] = {3, 50, 199};
    int ok = 0;
    if (!knn_ids || !knn_scores) {
        fc_error_set(err, FC_ERR_NOMEM, "knn results");
        goto out;
    }
    if (fc_index_knn_all(idx, K, knn_ids, knn_scores, err) ||
        fc_index_range_all(idx, 0.5f, 16, &pairs, &n_pairs, err) ||
        fc_index_range_from(idx, rows, 3, 0.5f, 16, &from, &n_from, err))
        goto out;
    /* a face's nearest other face is one of its identity's; each has ~9 over 0.5 */
    if (knn_ids[0] < 0 || knn_ids[0] % N_IDS != 0 || n_pairs < N || n_from < 9) {
        fc_heap_wrong("wrong answer: self-joins");
        goto out;
    }
    ok = 1;
out:
    free(knn_ids);
    free(knn_scores);
    free(pairs);
    free(from);
    return ok;
}

static int build_search_free(const void *user, fc_error *err)
{
    const index_job *j = user;
    fc_index_params p = fc_index_params_default();
    p.n_threads = 1;
    if (j->record_pairs)
        p.self_join_threshold = 0.5f, p.self_join_cap = 16;
    fc_index *idx = fc_index_new(DIM, j->kind, &p, err);
    int ok = idx && !fc_index_add(idx, j->vecs, NULL, N, err) && search_all(idx, j->vecs, err);
    fc_index_free(idx);
    return ok;
}

/* N faces of N_IDS identities (noise a = 0.4: cosine ~0.7 within one). */
static float *make_faces(void)
{
    fc_synth_rng rng;
    fc_synth_seed(&rng, 11);
    float *centres = malloc((size_t)N_IDS * DIM * sizeof *centres);
    float *vecs = malloc((size_t)N * DIM * sizeof *vecs);
    if (centres && vecs) {
        for (int i = 0; i < N_IDS; i++)
            fc_synth_unit(&rng, centres + (size_t)i * DIM, DIM);
        for (int i = 0; i < N; i++)
            fc_synth_face(&rng, centres + (size_t)(i % N_IDS) * DIM, DIM, 0.4, vecs + (size_t)i * DIM);
    }
    free(centres);
    if (!centres) {
        free(vecs);
        return NULL;
    }
    return vecs;
}

static int sweep_kind(fc_index_kind kind, int record_pairs, const char *what)
{
    float *vecs = make_faces();
    CHECK(vecs);
    index_job j = {kind, record_pairs, vecs};
    int rc = fc_heap_sweep(what, build_search_free, &j);
    free(vecs);
    return rc;
}

TEST(heap_flat_index_survives_each_allocation_failing)
{
    return sweep_kind(FC_INDEX_FLAT, 0, "a flat index of 200 faces: built, searched, joined, freed");
}

TEST(heap_hnsw_index_survives_each_allocation_failing)
{
    return sweep_kind(FC_INDEX_HNSW, 0, "an HNSW index of 200 faces: built, searched, joined, freed");
}

TEST(heap_hnsw_index_recording_pairs_survives_each_allocation_failing)
{
    return sweep_kind(FC_INDEX_HNSW, 1,
                      "an HNSW index of 200 faces recording its pairs: built, searched, joined, freed");
}
