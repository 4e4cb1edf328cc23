/* test_heap_cluster.c - out of memory at every step (sweep.h) in clustering and
 * assignment, on a small synthetic set: 6 identities of 8 faces and 4 noise faces,
 * two faces of identity 0 in one photo (cannot-link). fc_cluster_run (flat and
 * HNSW index; merge rounds and the attach step at work), the original method,
 * fc_cluster_extend with 13 new faces (known identities, a new one, a cannot-link
 * across old and new), and fc_assign_run by centroid and by vote; all on 1 thread. A
 * run that succeeds must give the answer of a run without failures (the reference,
 * made first; else fc_heap_wrong). */
#include "heap/sweep.h"
#include "synth.h"
#include "test.h"

#include "cluster/assign.h"
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

enum { DIM = 128, N_IDS = 6, PER_ID = 8, N_NOISE = 4, N_NEW = 13, N_USERS = 4 };
#define N_OLD (N_IDS * PER_ID + N_NOISE)

typedef struct {
    float emb[N_OLD * DIM], new_emb[N_NEW * DIM];
    int64_t image[N_OLD], new_image[N_NEW];
    float quality[N_OLD], confidence[N_OLD];
    float users[N_USERS * DIM]; /* identity centres 0, 2, 3, 5 */
    fc_cluster_faces old_faces, new_faces;
    fc_cluster_params p;
    const fc_clustering *prev;  /* fc_cluster_run of old_faces with p (extend, assign) */
    fc_assign_params ap;
    /* the reference answers */
    const fc_clustering *want;
    fc_cluster_changes want_changes;
    int have_assign;
    fc_assignment want_assign[N_OLD];
} cluster_job;

static int same_clustering(const fc_clustering *a, const fc_clustering *b)
{
    return a->n_faces == b->n_faces && a->n_persons == b->n_persons &&
           a->n_unassigned == b->n_unassigned &&
           !memcmp(a->person_of, b->person_of, (size_t)a->n_faces * sizeof *a->person_of) &&
           !memcmp(a->owner, b->owner, (size_t)a->n_persons * sizeof *a->owner) &&
           !memcmp(a->centroids, b->centroids, (size_t)a->n_persons * (size_t)a->dim * sizeof(float));
}

static int cluster_run(const void *user, fc_error *err)
{
    const cluster_job *j = user;
    fc_clustering *c = NULL;
    int ok = !fc_cluster_run(&j->old_faces, &j->p, &c, err);
    if (ok && j->want && !same_clustering(c, j->want))
        ok = fc_heap_wrong("wrong answer: fc_cluster_run");
    fc_clustering_free(c);
    return ok;
}

static int cluster_original(const void *user, fc_error *err)
{
    const cluster_job *j = user;
    fc_clustering *c = NULL;
    int ok = !fc_cluster_original(&j->old_faces, j->p.edge_threshold, 1, &c, err);
    if (ok && j->want && !same_clustering(c, j->want))
        ok = fc_heap_wrong("wrong answer: fc_cluster_original");
    fc_clustering_free(c);
    return ok;
}

static int cluster_extend(const void *user, fc_error *err)
{
    const cluster_job *j = user;
    fc_clustering *c = NULL;
    fc_cluster_changes ch;
    int ok = !fc_cluster_extend(&j->old_faces, j->prev, &j->new_faces, &j->p, &c, &ch, err);
    if (ok && j->want &&
        (!same_clustering(c, j->want) || ch.n_joined != j->want_changes.n_joined ||
         ch.n_new_persons != j->want_changes.n_new_persons ||
         memcmp(ch.faces_added, j->want_changes.faces_added,
                (size_t)c->n_persons * sizeof *ch.faces_added)))
        ok = fc_heap_wrong("wrong answer: fc_cluster_extend");
    fc_cluster_changes_free(&ch);
    fc_clustering_free(c);
    return ok;
}

static int assign(const void *user, fc_error *err)
{
    const cluster_job *j = user;
    fc_assign_clusters cl = fc_assign_clusters_of(j->prev, j->emb);
    fc_assignment a[N_OLD];
    if (fc_assign_run(&cl, j->users, N_USERS, &j->ap, a, err))
        return 0;
    if (j->have_assign)
        for (int c = 0; c < cl.n_clusters; c++)
            if (a[c].user != j->want_assign[c].user || a[c].outcome != j->want_assign[c].outcome ||
                a[c].votes != j->want_assign[c].votes || a[c].similarity != j->want_assign[c].similarity)
                return fc_heap_wrong("wrong answer: fc_assign_run");
    return 1;
}

/* The faces: face i of identity i % N_IDS (noise a in [0.3, 0.5]; the last face of
 * each identity a hard one, a = 1.2, for the attach step), then N_NOISE random ones;
 * each in its own image but faces 0 and 6 (identity 0). New faces (a = 0.25): 8 of
 * identities 0..5, 4 of a new identity, and one more of identity 1 in the image of
 * old face 7 (identity 1, not the first member of its person: its image reaches the
 * person's image set only through a union). Users: the centres of identities 0, 2, 3,
 * 5. The edge threshold is raised to 0.76 so that the merge rounds and the attach
 * step have work to do. */
static void make_faces(cluster_job *j)
{
    fc_synth_rng rng;
    fc_synth_seed(&rng, 2024);
    float centres[(N_IDS + 1) * DIM];
    for (int i = 0; i <= N_IDS; i++)
        fc_synth_unit(&rng, centres + i * DIM, DIM);
    for (int i = 0; i < N_OLD; i++) {
        double noise = i < N_IDS * (PER_ID - 1) ? 0.3 + 0.2 * fc_synth_uniform(&rng) : 1.2;
        if (i < N_IDS * PER_ID)
            fc_synth_face(&rng, centres + (i % N_IDS) * DIM, DIM, noise, j->emb + i * DIM);
        else
            fc_synth_unit(&rng, j->emb + i * DIM, DIM);
        j->image[i] = i;
        j->quality[i] = (float)fc_synth_uniform(&rng);
        j->confidence[i] = 0.5f + 0.5f * (float)fc_synth_uniform(&rng);
    }
    j->image[6] = j->image[0];
    for (int i = 0; i < N_NEW; i++) {
        int id = i < 8 ? i % N_IDS : i < 12 ? N_IDS : 1;
        fc_synth_face(&rng, centres + id * DIM, DIM, 0.25, j->new_emb + i * DIM);
        j->new_image[i] = i < 12 ? 1000 + i : j->image[7];
    }
    const int user_ids[N_USERS] = {0, 2, 3, 5};
    for (int u = 0; u < N_USERS; u++)
        memcpy(j->users + u * DIM, centres + user_ids[u] * DIM, DIM * sizeof(float));
    j->old_faces = (fc_cluster_faces){N_OLD, DIM, j->emb, j->image, j->quality, j->confidence};
    j->new_faces = (fc_cluster_faces){N_NEW, DIM, j->new_emb, j->new_image, NULL, NULL};
    j->p = fc_cluster_params_default();
    j->p.index.n_threads = 1;
    j->p.min_faces = 2;
    j->p.edge_threshold = 0.76f;
    j->p.attach_threshold = 0.35f;
    j->ap = fc_assign_params_default();
    j->ap.index.n_threads = 1;
    j->ap.one_to_one = 1;
}

static cluster_job *new_job(void)
{
    cluster_job *j = calloc(1, sizeof *j);
    if (j)
        make_faces(j);
    return j;
}

static int sweep_cluster_run(fc_index_kind kind, const char *what)
{
    cluster_job *j = new_job();
    CHECK(j);
    j->p.index_kind = kind;
    fc_error err = {0};
    fc_clustering *want = NULL;
    fc_status st = fc_cluster_run(&j->old_faces, &j->p, &want, &err);
    int rc = st ? fc_test_fail(__FILE__, __LINE__, "reference: %s", err.msg) : FC_TEST_PASS;
    /* the photo of faces 0 and 6 keeps them apart; identities 1-5 are persons */
    if (!rc && (want->person_of[0] == want->person_of[6] || want->person_of[1] < 0 ||
                want->person_of[1] != want->person_of[7] || want->n_persons < N_IDS))
        rc = fc_test_fail(__FILE__, __LINE__, "reference clustering: %d persons", want->n_persons);
    j->want = want;
    if (!rc)
        rc = fc_heap_sweep(what, cluster_run, j);
    fc_clustering_free(want);
    free(j);
    return rc;
}

TEST(heap_cluster_run_survives_each_allocation_failing)
{
    return sweep_cluster_run(FC_INDEX_FLAT, "fc_cluster_run of 52 faces, flat index");
}

TEST(heap_cluster_run_hnsw_survives_each_allocation_failing)
{
    return sweep_cluster_run(FC_INDEX_HNSW, "fc_cluster_run of 52 faces, HNSW index");
}

TEST(heap_cluster_original_survives_each_allocation_failing)
{
    cluster_job *j = new_job();
    CHECK(j);
    fc_error err = {0};
    fc_clustering *want = NULL;
    fc_status st = fc_cluster_original(&j->old_faces, j->p.edge_threshold, 1, &want, &err);
    int rc = st ? fc_test_fail(__FILE__, __LINE__, "reference: %s", err.msg) : FC_TEST_PASS;
    j->want = want;
    if (!rc)
        rc = fc_heap_sweep("fc_cluster_original of 52 faces", cluster_original, j);
    fc_clustering_free(want);
    free(j);
    return rc;
}

TEST(heap_cluster_extend_survives_each_allocation_failing)
{
    cluster_job *j = new_job();
    CHECK(j);
    fc_error err = {0};
    fc_clustering *prev = NULL, *want = NULL;
    int rc = FC_TEST_PASS;
    if (fc_cluster_run(&j->old_faces, &j->p, &prev, &err) ||
        fc_cluster_extend(&j->old_faces, prev, &j->new_faces, &j->p, &want, &j->want_changes, &err))
        rc = fc_test_fail(__FILE__, __LINE__, "reference: %s", err.msg);
    /* 8 new faces join, the new identity's 4 make a person, the last new face stays
       out of the person of old face 7, whose photo it shares */
    else if (j->want_changes.n_joined < 8 || j->want_changes.n_new_persons < 1 ||
             want->person_of[N_OLD + N_NEW - 1] == want->person_of[7])
        rc = fc_test_fail(__FILE__, __LINE__, "reference: %lld joined, %d new persons",
                          (long long)j->want_changes.n_joined, j->want_changes.n_new_persons);
    j->prev = prev;
    j->want = want;
    if (!rc)
        rc = fc_heap_sweep("fc_cluster_extend of 52 faces by 13", cluster_extend, j);
    fc_cluster_changes_free(&j->want_changes);
    fc_clustering_free(prev);
    fc_clustering_free(want);
    free(j);
    return rc;
}

static int sweep_assign(fc_assign_strategy strategy, const char *what)
{
    cluster_job *j = new_job();
    CHECK(j);
    j->ap.strategy = strategy;
    fc_error err = {0};
    fc_clustering *prev = NULL;
    int rc = FC_TEST_PASS;
    if (fc_cluster_run(&j->old_faces, &j->p, &prev, &err))
        rc = fc_test_fail(__FILE__, __LINE__, "clustering: %s", err.msg);
    fc_assign_clusters cl = prev ? fc_assign_clusters_of(prev, j->emb) : (fc_assign_clusters){0};
    if (!rc && fc_assign_run(&cl, j->users, N_USERS, &j->ap, j->want_assign, &err))
        rc = fc_test_fail(__FILE__, __LINE__, "reference: %s", err.msg);
    /* four of the identities are users */
    int n_assigned = 0;
    for (int c = 0; !rc && c < cl.n_clusters; c++)
        n_assigned += j->want_assign[c].user >= 0;
    if (!rc && n_assigned != N_USERS)
        rc = fc_test_fail(__FILE__, __LINE__, "reference: %d clusters assigned", n_assigned);
    j->prev = prev;
    j->have_assign = 1;
    if (!rc)
        rc = fc_heap_sweep(what, assign, j);
    fc_clustering_free(prev);
    free(j);
    return rc;
}

TEST(heap_assign_centroid_survives_each_allocation_failing)
{
    return sweep_assign(FC_ASSIGN_CENTROID, "fc_assign_run by centroid, 4 users, one to one");
}

TEST(heap_assign_vote_survives_each_allocation_failing)
{
    return sweep_assign(FC_ASSIGN_VOTE, "fc_assign_run by vote, 4 users, one to one");
}
