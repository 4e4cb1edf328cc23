/* test_cluster_graph.c - fc_cluster_run on constructed and synthetic faces: union-find,
 * cannot-link splitting at the weakest link, transitive merges (and merges refused by
 * cannot-link), min_faces, owners and ties, id order, determinism across threads. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/internal.h"
#include "synth.h"

enum { D = 32 };

/* Sets row to sum of coef[k] * e_k over the listed (axis, coef) pairs, normalised. */
static void make_row(float *row, int n_terms, const int *axis, const double *coef)
{
    memset(row, 0, D * sizeof *row);
    for (int t = 0; t < n_terms; t++)
        row[axis[t]] += (float)coef[t];
    fc_synth_normalise(row, D);
}

static fc_cluster_params params_1t(void)
{
    fc_cluster_params p = fc_cluster_params_default();
    p.index.n_threads = 1;
    return p;
}

TEST(cluster_union_find_cannot_link)
{
    const int64_t image[6] = {0, 0, 1, 2, -1, -1};
    fc_uf u;
    fc_error err = {0};
    CHECK_OK(fc_uf_init(&u, 6, image, &err), &err);
    CHECK(fc_uf_union(&u, 0, 2) == FC_UF_JOINED);
    CHECK(fc_uf_union(&u, 1, 3) == FC_UF_JOINED);
    CHECK(fc_uf_union(&u, 2, 3) == FC_UF_REFUSED); /* {0,2} + {1,3}: image 0 twice */
    CHECK(fc_uf_union(&u, 0, 4) == FC_UF_JOINED);
    CHECK(fc_uf_union(&u, 4, 5) == FC_UF_JOINED);  /* no image: never refused */
    CHECK(fc_uf_union(&u, 2, 5) == FC_UF_SAME);
    CHECK(fc_uf_find(&u, 5) == fc_uf_find(&u, 0) && fc_uf_find(&u, 1) != fc_uf_find(&u, 0));
    CHECK(u.size[fc_uf_find(&u, 0)] == 4);
    CHECK(fc_uf_union(&u, 3, 0) == FC_UF_REFUSED);
    fc_uf_free(&u);
    CHECK_OK(fc_uf_init(&u, 3, NULL, &err), &err); /* unconstrained */
    CHECK(fc_uf_union(&u, 0, 1) == FC_UF_JOINED && fc_uf_union(&u, 1, 2) == FC_UF_JOINED);
    fc_uf_free(&u);
    return FC_TEST_PASS;
}

/* f0 and f1 share an image; x links to both: f0-x (0.9) is stronger than x-f1 (0.6) when
 * strong_first, else the other way round; f0 . f1 = 0.2 (no edge). */
static void weakest_link_case(float *emb, int strong_first)
{
    const double b = (0.6 - 0.18) / sqrt(0.19), c = sqrt(1 - 0.04 - b * b);
    make_row(emb + 0 * D, 1, (int[]){0}, (double[]){1});
    make_row(emb + 1 * D, 2, (int[]){0, 1}, (double[]){0.9, sqrt(0.19)});
    make_row(emb + 2 * D, 3, (int[]){0, 1, 2}, (double[]){0.2, b, c});
    if (!strong_first) { /* swap the roles of rows 0 and 2 */
        float t[D];
        memcpy(t, emb, sizeof t);
        memcpy(emb, emb + 2 * D, sizeof t);
        memcpy(emb + 2 * D, t, sizeof t);
    }
}

TEST(cluster_cannot_link_splits_weakest_link)
{
    float emb[3 * D];
    const int64_t image[3] = {7, 8, 7};
    fc_cluster_faces f = {3, D, emb, image, NULL, NULL};
    fc_cluster_params p = params_1t();
    p.merge_threshold = 0.99f;
    fc_clustering *r;
    fc_error err = {0};
    for (int strong_first = 0; strong_first < 2; strong_first++) {
        weakest_link_case(emb, strong_first);
        CHECK_NEAR(emb[0] * emb[D] + emb[1] * emb[D + 1] + emb[2] * emb[D + 2],
                   strong_first ? 0.9 : 0.6, 1e-5);
        CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
        CHECK(r->n_persons == 2);
        /* the strong pair stays, the face behind the weak link leaves */
        int32_t kept = strong_first ? 0 : 2, gone = strong_first ? 2 : 0;
        CHECK(r->person_of[kept] == 0 && r->person_of[1] == 0 && r->person_of[gone] == 1);
        fc_clustering_free(r);
    }
    p.cannot_link = 0; /* without the constraint it is one chain */
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 1 && r->member_start[1] == 3);
    fc_clustering_free(r);
    return FC_TEST_PASS;
}

/* Groups A, B, C of 4 faces each: centre . centre = 0.8 for A-B and B-C, 0.28 for A-C;
 * every face has its own noise axis, so faces within a group have cosine 0.556 (over
 * the edge threshold 0.5) and across groups 0.444 (A-B, B-C) and 0.156 (A-C). */
static void abc_case(float *emb)
{
    const double centre[3][2] = {{0.8, 0.6}, {1, 0}, {0.8, -0.6}};
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < 4; i++) {
            int ax = 3 + g * 4 + i;
            make_row(emb + (size_t)(g * 4 + i) * D, 3, (int[]){0, 1, ax},
                     (double[]){centre[g][0], centre[g][1], sqrt(0.8)});
        }
}

TEST(cluster_merge_is_transitive_and_respects_cannot_link)
{
    float emb[12 * D];
    abc_case(emb);
    int64_t image[12];
    for (int i = 0; i < 12; i++)
        image[i] = 100 + i;
    fc_cluster_faces f = {12, D, emb, image, NULL, NULL};
    fc_cluster_params p = params_1t();
    fc_clustering *r;
    fc_error err = {0};
    p.merge_threshold = 0.99f; /* no merges: three persons from the edges alone */
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 3);
    fc_clustering_free(r);
    /* merge 0.25: A-B mean 0.444 >= bar(4, 4) = 0.25 + 0.25 / 4 = 0.3125, then AB-C
     * mean (0.156 + 0.444) / 2 = 0.30 >= bar(8, 4) = 0.294: all one person */
    p.merge_threshold = 0.25f;
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK_MSG(r->n_persons == 1, "%d persons", r->n_persons);
    fc_clustering_free(r);
    fc_cluster_faces ac = {8, D, emb, image, NULL, NULL}; /* A and B only, then A and C
                                                             (0.156 < 0.3125) */
    CHECK_OK(fc_cluster_run(&ac, &p, &r, &err), &err);
    CHECK(r->n_persons == 1);
    fc_clustering_free(r);
    float emb_ac[8 * D];
    memcpy(emb_ac, emb, 4 * D * sizeof *emb);
    memcpy(emb_ac + 4 * D, emb + 8 * D, 4 * D * sizeof *emb);
    ac.emb = emb_ac;
    CHECK_OK(fc_cluster_run(&ac, &p, &r, &err), &err);
    CHECK(r->n_persons == 2);
    fc_clustering_free(r);
    /* a face of A and a face of C in one photo: A-B merges first (tie, smaller ids),
     * B-C would bring the photo's two faces together and is refused */
    image[8] = image[0];
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 2 && r->person_of[0] == r->person_of[4]);
    CHECK(r->person_of[8] != r->person_of[0] && r->member_start[1] - r->member_start[0] == 8);
    fc_clustering_free(r);
    return FC_TEST_PASS;
}

TEST(cluster_min_faces_owner_ties_and_order)
{
    /* groups: {0,4} size 2, {1,2,5} size 3, {3} size 1, {6,7} size 2 */
    static const int group_of[8] = {0, 1, 1, 2, 0, 1, 3, 3};
    float emb[8 * D];
    for (int i = 0; i < 8; i++)
        make_row(emb + i * D, 2, (int[]){group_of[i], 8 + i}, (double[]){1, 0.3});
    float quality[8] = {0.5f, 0.2f, 0.9f, 1, 0.5f, 0.9f, 0.1f, 0.1f};
    float conf[8] = {0.5f, 0.9f, 0.5f, 1, 0.5f, 0.5f, 0.3f, 0.8f};
    fc_cluster_faces f = {8, D, emb, NULL, quality, conf};
    fc_cluster_params p = params_1t();
    fc_clustering *r;
    fc_error err = {0};
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 4 && r->n_unassigned == 0);
    /* size 3 first; then the size-2 groups by first face (0 before 6); then size 1 */
    static const int32_t want[8] = {1, 0, 0, 3, 1, 0, 2, 2};
    CHECK(memcmp(r->person_of, want, sizeof want) == 0);
    CHECK(r->member_start[1] == 3 && r->members[0] == 1 && r->members[2] == 5);
    /* owners: {1,2,5}: 2 and 5 tie at 0.74 -> 2; {0,4} tie -> 0; {6,7}: 7 (0.38 > 0.18) */
    CHECK(r->owner[0] == 2 && r->owner[1] == 0 && r->owner[2] == 7 && r->owner[3] == 3);
    for (int q = 0; q < r->n_persons; q++) {
        double norm = 0;
        for (int k = 0; k < D; k++)
            norm += r->centroids[q * D + k] * r->centroids[q * D + k];
        CHECK_NEAR(norm, 1, 1e-5);
    }
    for (int i = 0; i < 8; i++) {
        const float *c = r->centroids + r->person_of[i] * D;
        double dot = 0;
        for (int k = 0; k < D; k++)
            dot += emb[i * D + k] * c[k];
        CHECK_NEAR(r->face_confidence[i], dot, 1e-5);
    }
    fc_clustering_free(r);
    p.min_faces = 2;
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 3 && r->n_unassigned == 1 && r->unassigned[0] == 3);
    CHECK(r->person_of[3] == -1 && r->face_confidence[3] == 0);
    fc_clustering_free(r);
    return FC_TEST_PASS;
}

TEST(cluster_synthetic_quality_and_determinism)
{
    fc_synth_spec spec = {.n_faces = 2500, .n_ids = 250, .dim = 512, .seed = 21,
                          .size_spread = 0.7, .max_faces_per_image = 4, .n_threads = 2};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    fc_cluster_faces f = {s.n_faces, s.dim, s.emb, s.image, s.quality, s.confidence};
    fc_clustering *r[4] = {0};
    static const fc_index_kind kinds[2] = {FC_INDEX_FLAT, FC_INDEX_HNSW};
    for (int k = 0; k < 2; k++)
        for (int t = 1; t <= 2; t++) {
            fc_cluster_params p = fc_cluster_params_default();
            p.index_kind = kinds[k];
            p.index.n_threads = t;
            CHECK_OK(fc_cluster_run(&f, &p, &r[k * 2 + t - 1], &err), &err);
        }
    for (int k = 0; k < 2; k++) { /* 1 vs 2 threads: identical */
        fc_clustering *a = r[2 * k], *b = r[2 * k + 1];
        CHECK(a->n_persons == b->n_persons);
        CHECK(memcmp(a->person_of, b->person_of, (size_t)s.n_faces * 4) == 0);
        CHECK(memcmp(a->face_confidence, b->face_confidence, (size_t)s.n_faces * 4) == 0);
        CHECK(memcmp(a->owner, b->owner, (size_t)a->n_persons * 8) == 0);
        fc_cluster_quality q;
        CHECK_OK(fc_cluster_score(s.label, a->person_of, s.n_faces, &q, &err), &err);
        printf("    %s: %d persons (%d identities), BCubed F %.4f, pairwise P %.4f R %.4f\n",
               k ? "hnsw" : "flat", a->n_persons, s.n_ids, q.bcubed_f, q.pair_precision,
               q.pair_recall);
        CHECK(q.bcubed_f >= 0.98 && q.pair_precision >= 0.99);
    }
    /* no person holds two faces of one image */
    for (int q = 0; q < r[0]->n_persons; q++)
        for (int64_t a = r[0]->member_start[q]; a < r[0]->member_start[q + 1]; a++)
            for (int64_t b = a + 1; b < r[0]->member_start[q + 1]; b++)
                CHECK(s.image[r[0]->members[a]] != s.image[r[0]->members[b]]);
    for (int i = 0; i < 4; i++)
        fc_clustering_free(r[i]);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}

TEST(cluster_original_baseline)
{
    fc_synth_spec spec = {.n_faces = 1500, .n_ids = 150, .dim = 512, .seed = 5};
    fc_synth_set s;
    fc_error err = {0};
    CHECK_OK(fc_synth_make(&spec, &s, &err), &err);
    fc_cluster_faces f = {s.n_faces, s.dim, s.emb, s.image, s.quality, s.confidence};
    fc_clustering *r;
    CHECK_OK(fc_cluster_original(&f, 0.5f, 2, &r, &err), &err);
    fc_cluster_quality q;
    CHECK_OK(fc_cluster_score(s.label, r->person_of, s.n_faces, &q, &err), &err);
    CHECK(q.bcubed_f >= 0.95);
    fc_clustering *same;
    fc_cluster_params p = params_1t();
    p.cannot_link = 0;
    p.merge_threshold = 0.6f;
    p.max_neighbours = 1500; /* no cap: exactly the matrix's components */
    p.index_kind = FC_INDEX_FLAT;
    CHECK_OK(fc_cluster_run(&f, &p, &same, &err), &err);
    CHECK(same->n_persons == r->n_persons);
    fc_clustering_free(same);
    fc_clustering_free(r);
    f.n_faces = FC_CLUSTER_ORIGINAL_MAX_FACES + 1;
    CHECK(fc_cluster_original(&f, 0.5f, 1, &r, &err) == FC_ERR_LIMIT && !r);
    fc_synth_set_free(&s);
    return FC_TEST_PASS;
}

TEST(cluster_bcubed_known_examples)
{
    fc_cluster_quality q;
    fc_error err = {0};
    const int64_t truth[5] = {0, 0, 0, 1, 1};
    const int32_t pred[5] = {0, 0, 1, 1, 1};
    CHECK_OK(fc_cluster_score(truth, pred, 5, &q, &err), &err);
    CHECK_NEAR(q.bcubed_precision, 11.0 / 15, 1e-12);
    CHECK_NEAR(q.bcubed_recall, 11.0 / 15, 1e-12);
    CHECK_NEAR(q.bcubed_f, 11.0 / 15, 1e-12);
    CHECK_NEAR(q.pair_precision, 0.5, 1e-12);
    CHECK_NEAR(q.pair_recall, 0.5, 1e-12);
    const int32_t perfect[5] = {3, 3, 3, 0, 0};
    CHECK_OK(fc_cluster_score(truth, perfect, 5, &q, &err), &err);
    CHECK(q.bcubed_f == 1 && q.pair_f == 1);
    const int32_t none[2] = {-1, -1}; /* unassigned = singletons */
    CHECK_OK(fc_cluster_score(truth, none, 2, &q, &err), &err);
    CHECK_NEAR(q.bcubed_precision, 1, 1e-12);
    CHECK_NEAR(q.bcubed_recall, 0.5, 1e-12);
    CHECK(q.pair_precision == 1 && q.pair_recall == 0);
    const int32_t lump[5] = {0, 0, 0, 0, 0};
    CHECK_OK(fc_cluster_score(truth, lump, 5, &q, &err), &err);
    CHECK_NEAR(q.bcubed_precision, (3 * 3.0 / 5 + 2 * 2.0 / 5) / 5, 1e-12);
    CHECK(q.bcubed_recall == 1 && q.pair_recall == 1);
    CHECK_NEAR(q.pair_precision, 4.0 / 10, 1e-12);
    return FC_TEST_PASS;
}

/* Attach: groups A (axis 0) and B (axis 1) of 6 faces each (face cosine 0.556 within a
 * group, 0 across); a lone face x leans to A: x . A's faces = 0.30 (under the edge 0.5
 * and under bar(1, 6)), x . B's faces = 0.10. */
static void attach_case(float *emb, double to_b)
{
    for (int i = 0; i < 12; i++)
        make_row(emb + (size_t)i * D, 2, (int[]){i < 6 ? 0 : 1, 4 + i}, (double[]){1, sqrt(0.8)});
    /* x = a e0 + b e1 + c e_own with a / sqrt(1.8) = 0.30 and b / sqrt(1.8) = to_b */
    const double a = 0.30 * sqrt(1.8), b = to_b * sqrt(1.8), c = sqrt(1 - a * a - b * b);
    make_row(emb + 12 * D, 3, (int[]){0, 1, 20}, (double[]){a, b, c});
}

TEST(cluster_attach_small_groups)
{
    float emb[13 * D];
    int64_t image[13];
    for (int i = 0; i < 13; i++)
        image[i] = i;
    fc_cluster_faces f = {13, D, emb, image, NULL, NULL};
    fc_cluster_params p = params_1t();
    p.merge_threshold = 0.45f; /* bar(1, 6) = 0.45 + 0.05 / sqrt(6) = 0.47 > 0.30 */
    fc_clustering *r;
    fc_error err = {0};
    attach_case(emb, 0.10);
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err); /* attach off: x alone */
    CHECK(r->n_persons == 3 && r->person_of[12] == 2);
    fc_clustering_free(r);
    fc_cluster_stats st;
    p.stats = &st;
    p.attach_threshold = 0.2f; /* 0.30 >= 0.2, and 0.30 - 0.10 >= margin 0.1: joins A */
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK_MSG(r->n_persons == 2 && r->person_of[12] == r->person_of[0], "%d persons", r->n_persons);
    CHECK(st.n_attached == 1 && r->member_start[1] - r->member_start[0] == 7);
    fc_clustering_free(r);
    attach_case(emb, 0.25); /* between A and B: 0.30 - 0.25 < margin, stays alone */
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 3 && st.n_attached == 0);
    fc_clustering_free(r);
    attach_case(emb, 0.10);
    image[12] = image[3]; /* x in a photo with a face of A: cannot-link refuses */
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 3 && st.n_attached == 0 && st.n_refused >= 1);
    fc_clustering_free(r);
    p.attach_threshold = 0.35f; /* above x's mean with A: stays alone */
    image[12] = 12;
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK(r->n_persons == 3);
    fc_clustering_free(r);
    return FC_TEST_PASS;
}

/* Two lone faces x and y of A's person that resemble each other (0.45, under the edge)
 * more than A: each still joins A. Only larger groups are targets, and only they
 * compete for the margin, so x is not held back by y (celebs_aligned had two such
 * singles of one person). */
TEST(cluster_attach_small_groups_not_rivals)
{
    float emb[14 * D];
    int64_t image[14];
    for (int i = 0; i < 14; i++)
        image[i] = i;
    attach_case(emb, 0.10);
    const double a = 0.30 * sqrt(1.8), b = 0.10 * sqrt(1.8), c = sqrt(1 - a * a - b * b);
    const double alpha = (0.45 - a * a - b * b) / (c * c); /* x . y = a^2 + b^2 + c^2 alpha */
    make_row(emb + 13 * D, 4, (int[]){0, 1, 20, 21}, (double[]){a, b, c * alpha, c * sqrt(1 - alpha * alpha)});
    fc_cluster_faces f = {14, D, emb, image, NULL, NULL};
    fc_cluster_params p = params_1t();
    p.merge_threshold = 0.45f;
    p.attach_threshold = 0.2f;
    fc_cluster_stats st;
    p.stats = &st;
    fc_clustering *r;
    fc_error err = {0};
    CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
    CHECK_MSG(r->n_persons == 2 && r->person_of[12] == r->person_of[0] && r->person_of[13] == r->person_of[0],
              "%d persons, attached %d", r->n_persons, (int)st.n_attached);
    CHECK(st.n_attached == 2);
    fc_clustering_free(r);
    return FC_TEST_PASS;
}

/* Near-duplicates count once in the merge bar: faces 0 and 1 are one photo stored
 * twice (cosine 0.99), face 2 another person at 0.55 from it (under the edge 0.58).
 * Counted as two faces, the pair's bar would be 0.25 + 0.33 / sqrt(2) = 0.483 and face 2
 * would join; as one, the bar is the edge. Two distinct photos (cosine 0.90) still
 * lower it. */
TEST(cluster_near_duplicates_count_once)
{
    float emb[3 * D];
    int64_t image[3] = {0, 1, 2};
    fc_cluster_faces f = {3, D, emb, image, NULL, NULL};
    fc_cluster_params p = params_1t();
    p.edge_threshold = 0.58f, p.merge_threshold = 0.25f;
    fc_clustering *r;
    fc_error err = {0};
    const double copies[2] = {0.99, 0.90};
    for (int k = 0; k < 2; k++) {
        const double c = copies[k];
        make_row(emb, 1, (int[]){0}, (double[]){1});
        make_row(emb + D, 2, (int[]){0, 1}, (double[]){c, sqrt(1 - c * c)});
        make_row(emb + 2 * D, 2, (int[]){0, 2}, (double[]){0.55, sqrt(1 - 0.55 * 0.55)});
        CHECK_OK(fc_cluster_run(&f, &p, &r, &err), &err);
        const int want = k == 0 ? 2 : 1; /* mean 0.547 < 0.58; then 0.523 >= 0.483 */
        CHECK_MSG(r->n_persons == want && r->person_of[0] == r->person_of[1],
                  "copies at %.2f: %d persons, want %d", c, r->n_persons, want);
        fc_clustering_free(r);
    }
    return FC_TEST_PASS;
}

/* fc_cluster_distinct: copies count once, distinct rows each count, and past
 * FC_CLUSTER_DISTINCT_SCAN rows every row counts (the scan is bounded). */
TEST(cluster_distinct_counts_copies_once)
{
    enum { N = FC_CLUSTER_DISTINCT_SCAN + 6 };
    float *emb = malloc((size_t)N * D * sizeof *emb);
    int64_t *idx = malloc((size_t)N * sizeof *idx);
    CHECK(emb && idx);
    for (int i = 0; i < N; i++) {
        make_row(emb + (size_t)i * D, 1, (int[]){0}, (double[]){1}); /* all one photo */
        idx[i] = i;
    }
    make_row(emb + D, 2, (int[]){0, 1}, (double[]){0.9, sqrt(1 - 0.81)}); /* row 1: 0.90 */
    CHECK(fc_cluster_distinct(emb, D, idx, 1) == 1);
    CHECK(fc_cluster_distinct(emb, D, idx, 3) == 2); /* 0 and 1; 2 copies 0 */
    CHECK_MSG(fc_cluster_distinct(emb, D, idx, N) == 2 + 6, "%lld",
              (long long)fc_cluster_distinct(emb, D, idx, N));
    free(emb), free(idx);
    return FC_TEST_PASS;
}
