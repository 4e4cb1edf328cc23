/* test_cluster_extend.c - incremental clustering: new faces of known identities join
 * their persons, a new identity becomes a new person numbered after the old ones,
 * cannot-link holds across old and new faces. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "synth.h"

TEST(cluster_extend_joins_and_creates)
{
    /* 60 identities; the first 1200 faces of identities 0..49 are clustered first, then
     * 300 faces come: of identities 0..49 and of 10 identities never seen. */
    const int dim = 512, n_ids = 60;
    fc_synth_rng rng;
    fc_synth_seed(&rng, 77);
    float *centres = malloc((size_t)n_ids * dim * sizeof *centres);
    float *old_emb = malloc(1200 * (size_t)dim * sizeof *old_emb);
    float *new_emb = malloc(300 * (size_t)dim * sizeof *new_emb);
    int64_t old_label[1200], new_label[300], old_img[1200], new_img[300];
    CHECK(centres && old_emb && new_emb);
    for (int i = 0; i < n_ids; i++)
        fc_synth_unit(&rng, centres + (size_t)i * dim, dim);
    for (int i = 0; i < 1200; i++) {
        old_label[i] = i % 50, old_img[i] = i;
        fc_synth_face(&rng, centres + old_label[i] * dim, dim, 0.4, old_emb + (size_t)i * dim);
    }
    for (int i = 0; i < 300; i++) {
        new_label[i] = i < 200 ? i % 50 : 50 + i % 10, new_img[i] = 5000 + i;
        fc_synth_face(&rng, centres + new_label[i] * dim, dim, 0.4, new_emb + (size_t)i * dim);
    }
    /* new face 0 (identity 0) is in the same photo as old face 0 (identity 0 too): it
     * must not join person of old face 0 */
    new_img[0] = old_img[0];
    fc_cluster_faces of = {1200, dim, old_emb, old_img, NULL, NULL};
    fc_cluster_faces nf = {300, dim, new_emb, new_img, NULL, NULL};
    fc_cluster_params p = fc_cluster_params_default();
    p.index.n_threads = 2;
    fc_clustering *prev, *next;
    fc_cluster_changes ch;
    fc_error err = {0};
    CHECK_OK(fc_cluster_run(&of, &p, &prev, &err), &err);
    CHECK(prev->n_persons == 50);
    CHECK_OK(fc_cluster_extend(&of, prev, &nf, &p, &next, &ch, &err), &err);
    CHECK(next->n_faces == 1500 && ch.n_persons_before == 50);
    CHECK_MSG(ch.n_joined == 199 && ch.n_new_persons == 11, "joined %lld, new %d",
              (long long)ch.n_joined, ch.n_new_persons);
    /* old faces keep their persons */
    CHECK(memcmp(next->person_of, prev->person_of, 1200 * sizeof *prev->person_of) == 0);
    for (int i = 1; i < 200; i++)
        CHECK(next->person_of[1200 + i] == prev->person_of[new_label[i]]);
    CHECK(next->person_of[1200] >= 50); /* the cannot-link face: a person of its own */
    /* new identities: one new person each, ids after the old ones, by size */
    for (int i = 200; i < 300; i++) {
        int32_t q = next->person_of[1200 + i];
        CHECK(q >= 50 && q == next->person_of[1200 + 200 + (i - 200) % 10]);
        CHECK(ch.faces_added[q] == 10);
    }
    CHECK(next->person_of[1200] == 60); /* size 1: last */
    int64_t added = 0;
    for (int q = 0; q < 50; q++)
        added += ch.faces_added[q];
    CHECK(added == 199);
    /* centroids moved with their new members */
    int q0 = prev->person_of[1];
    CHECK(next->member_start[q0 + 1] - next->member_start[q0] ==
          prev->member_start[q0 + 1] - prev->member_start[q0] + ch.faces_added[q0]);
    fc_cluster_changes_free(&ch);
    fc_clustering_free(prev);
    fc_clustering_free(next);
    free(centres), free(old_emb), free(new_emb);
    return FC_TEST_PASS;
}

/* Row of 32 dims: a e0 + c e_axis, normalised. */
static void lean_row(float *row, double a, int axis)
{
    memset(row, 0, 32 * sizeof *row);
    row[0] = (float)a;
    row[axis] = (float)sqrt(1 - a * a);
}

TEST(cluster_extend_joins_as_a_merge_would)
{
    /* person A: 6 faces at cosine 0.556 with each other (edge 0.5); a new face x at
     * cosine 0.36 with each of them: its mean 0.36 passes bar(1, 6) = 0.25 + 0.25 /
     * sqrt(6) = 0.352 at merge 0.25, though its centroid cosine (0.45) is under the edge */
    float old_emb[6 * 32], new_emb[32];
    const double a = sqrt(1 / 1.8);
    for (int i = 0; i < 6; i++)
        lean_row(old_emb + i * 32, a, 1 + i);
    lean_row(new_emb, 0.36 / a, 10);
    fc_cluster_faces of = {6, 32, old_emb, NULL, NULL, NULL};
    fc_cluster_faces nf = {1, 32, new_emb, NULL, NULL, NULL};
    fc_cluster_params p = fc_cluster_params_default();
    p.index.n_threads = 1;
    p.merge_threshold = 0.25f;
    fc_clustering *prev, *next;
    fc_cluster_changes ch;
    fc_error err = {0};
    CHECK_OK(fc_cluster_run(&of, &p, &prev, &err), &err);
    CHECK(prev->n_persons == 1);
    CHECK_NEAR(prev->centroids[0] * new_emb[0], 0.36 / 0.794, 0.01);
    CHECK_OK(fc_cluster_extend(&of, prev, &nf, &p, &next, &ch, &err), &err);
    CHECK(ch.n_joined == 1 && next->n_persons == 1);
    fc_cluster_changes_free(&ch);
    fc_clustering_free(next);
    p.extend_threshold = 0.5f; /* the centroid rule: 0.45 < 0.5, a new person */
    CHECK_OK(fc_cluster_extend(&of, prev, &nf, &p, &next, &ch, &err), &err);
    CHECK(ch.n_joined == 0 && next->n_persons == 2);
    fc_cluster_changes_free(&ch);
    fc_clustering_free(next);
    fc_clustering_free(prev);
    return FC_TEST_PASS;
}

/* As in clustering, near-duplicates count once in the bar: person A is one photo
 * stored twice (faces at cosine 0.99); a new face at 0.55 from it (under the edge 0.58)
 * must not join on the strength of the copy (bar(1, 2) = 0.483 would let it). With two
 * distinct photos (0.90) it joins (mean 0.523 >= 0.483). */
TEST(cluster_extend_counts_near_duplicates_once)
{
    const double copies[2] = {0.99, 0.90};
    for (int k = 0; k < 2; k++) {
        float old_emb[2 * 32], new_emb[32];
        lean_row(old_emb, 1, 1);
        lean_row(old_emb + 32, copies[k], 2);
        lean_row(new_emb, 0.55, 3);
        int64_t old_img[2] = {0, 1}, new_img[1] = {2};
        fc_cluster_faces of = {2, 32, old_emb, old_img, NULL, NULL};
        fc_cluster_faces nf = {1, 32, new_emb, new_img, NULL, NULL};
        fc_cluster_params p = fc_cluster_params_default();
        p.index.n_threads = 1;
        p.edge_threshold = 0.58f, p.merge_threshold = 0.25f;
        fc_clustering *prev, *next;
        fc_cluster_changes ch;
        fc_error err = {0};
        CHECK_OK(fc_cluster_run(&of, &p, &prev, &err), &err);
        CHECK(prev->n_persons == 1);
        CHECK_OK(fc_cluster_extend(&of, prev, &nf, &p, &next, &ch, &err), &err);
        CHECK_MSG(ch.n_joined == (k == 0 ? 0 : 1), "copies at %.2f: joined %lld", copies[k],
                  (long long)ch.n_joined);
        fc_cluster_changes_free(&ch);
        fc_clustering_free(next);
        fc_clustering_free(prev);
    }
    return FC_TEST_PASS;
}

TEST(cluster_extend_rejects_empty_person)
{
    /* prev as an incremental job builds it from stored rows: a stored person none of whose
     * members is a face of the run (no members, or all of them listed under a later person)
     * is a person without faces; it must be refused, not given an owner read from past the
     * end of the members */
    float old_emb[3 * 32], new_emb[32];
    for (int i = 0; i < 3; i++)
        lean_row(old_emb + i * 32, 0.9, 1 + i);
    lean_row(new_emb, 0.9, 10);
    int32_t person_of[3] = {0, 0, 0};
    float conf[3] = {0}, cen[2 * 32] = {0};
    int64_t member_start[3] = {0, 3, 3}, members[3] = {0, 1, 2}, owner[2] = {0, 0};
    fc_clustering prev = {3, 2, 32, person_of, conf, member_start, members, owner, cen, 0, NULL};
    fc_cluster_faces of = {3, 32, old_emb, NULL, NULL, NULL};
    fc_cluster_faces nf = {1, 32, new_emb, NULL, NULL, NULL};
    fc_cluster_params p = fc_cluster_params_default();
    p.index.n_threads = 1;
    fc_clustering *next = NULL;
    fc_cluster_changes ch;
    fc_error err = {0};
    fc_status st = fc_cluster_extend(&of, &prev, &nf, &p, &next, &ch, &err);
    CHECK_MSG(st == FC_ERR_ARG && !next, "person 1 has no faces: %s", fc_strerror(st));
    /* no faces at all, one person */
    int64_t start0[2] = {0, 0};
    fc_clustering empty = {0, 1, 32, person_of, conf, start0, members, owner, cen, 0, NULL};
    fc_cluster_faces none = {0, 32, old_emb, NULL, NULL, NULL};
    st = fc_cluster_extend(&none, &empty, &nf, &p, &next, &ch, &err);
    CHECK_MSG(st == FC_ERR_ARG && !next, "person 0 has no faces: %s", fc_strerror(st));
    return FC_TEST_PASS;
}
