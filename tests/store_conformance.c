/* store_conformance.c - backend-agnostic checks of the metadata and vector stores
 * (store_conformance.h): the semantics of store.h and vectors.h, as the SQLite
 * backends implement them, through the fc_store_* / fc_vectors_* wrappers. */
#include "store_conformance.h"

#include "test.h"
#include "unit/test_store_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIM 8

int fc_conformance_profiles(fc_store *s, const char *tag)
{
    fc_error err = {0};
    char user[64];
    snprintf(user, sizeof user, "conf_%s", tag);
    float e[DIM];
    fx_vector(e, DIM, 7);
    fc_profile_rec p = {.embedding = e, .dim = DIM, .confidence = 0.5f, .quality_score = 0.25f,
                        .has_bbox = 1, .bbox = {1, 2, 3, 4}};
    snprintf(p.user_id, sizeof p.user_id, "%s", user);
    snprintf(p.embedding_model, sizeof p.embedding_model, "test");
    int64_t before = 0, after = 0;
    CHECK_OK(fc_store_profile_count(s, &before, &err), &err);
    CHECK_OK(fc_store_profile_upsert(s, &p, &err), &err);
    fc_profile_rec got = {0};
    int found = 0;
    CHECK_OK(fc_store_profile_get(s, user, &got, &found, &err), &err);
    CHECK(found && got.dim == DIM && got.bbox[3] == 4 && got.created_at[0]);
    CHECK_NEAR(got.embedding[3], e[3], 1e-6);
    char created[FC_TIMESTAMP_LEN + 1];
    memcpy(created, got.created_at, sizeof created);
    fc_profile_rec_clear(&got);
    p.quality_score = 0.75f;
    CHECK_OK(fc_store_profile_upsert(s, &p, &err), &err); /* replace: created_at kept */
    CHECK_OK(fc_store_profile_get(s, user, &got, &found, &err), &err);
    CHECK(found && got.quality_score == 0.75f && !strcmp(got.created_at, created));
    fc_profile_rec_clear(&got);
    CHECK_OK(fc_store_profile_count(s, &after, &err), &err);
    CHECK(after == before + 1);
    int deleted = 0;
    CHECK_OK(fc_store_profile_delete(s, user, &deleted, &err), &err);
    CHECK(deleted);
    CHECK_OK(fc_store_profile_get(s, user, &got, &found, &err), &err);
    CHECK(!found);
    return FC_TEST_PASS;
}

int fc_conformance_runs(fc_store *s, const char *tag)
{
    fc_error err = {0};
    fx_batch b = {0};
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "conf-%s", tag);
    snprintf(run.sub, sizeof run.sub, "Day-1");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    CHECK(run.status == FC_RUN_RUNNING && fc_objectid_valid(run.clustering_id));
    char norm[FC_NORM_MAX];
    fc_norm_collection(run.bucket, run.sub, norm, sizeof norm);
    CHECK(!strcmp(run.norm, norm));
    CHECK(!fx_batch_make(&b, "img", 0, 3, 2, DIM));
    /* fingerprints: stored with the image, replaced with it, none stays none */
    b.images[0].fingerprint = strdup("size=1 mtime=1.000000001");
    b.images[2].fingerprint = strdup("size=3 etag=\"c\"");
    CHECK(b.images[0].fingerprint && b.images[2].fingerprint);
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces, 4, b.images, 2, &err), &err);
    b.images[0].fingerprint[5] = '2';
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces, 4, b.images, 2, &err), &err);
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces + 4, 2, b.images + 2, 1, &err), &err);
    fc_image_list imgs = {0};
    CHECK_OK(fc_store_run_images(s, run.clustering_id, &imgs, &err), &err);
    CHECK(imgs.n == 3 && imgs.items[0].n_faces == 2 &&
          strcmp(imgs.items[0].image_path, imgs.items[1].image_path) < 0);
    CHECK(imgs.items[0].fingerprint && !strcmp(imgs.items[0].fingerprint, "size=2 mtime=1.000000001"));
    CHECK(!imgs.items[1].fingerprint);
    CHECK(imgs.items[2].fingerprint && !strcmp(imgs.items[2].fingerprint, "size=3 etag=\"c\""));
    fc_image_list_free(&imgs);
    int64_t n = 0;
    CHECK_OK(fc_store_face_count(s, run.clustering_id, &n, &err), &err);
    CHECK(n == 6);

    /* not done yet: not in the results */
    fc_run_list runs = {0};
    CHECK_OK(fc_store_run_list(s, norm, FC_RUNS_DONE, &runs, &err), &err);
    CHECK(runs.n == 0);
    fc_run_list_free(&runs);

    fc_member_rec m[3] = {{.cluster_confidence = 0.5f}, {.cluster_confidence = 0.25f}, {.cluster_confidence = 0}};
    memcpy(m[0].face_id, b.faces[2].face_id, sizeof m[0].face_id);
    memcpy(m[1].face_id, b.faces[0].face_id, sizeof m[1].face_id);
    memcpy(m[2].face_id, b.faces[5].face_id, sizeof m[2].face_id);
    fc_person_rec persons[2] = {{.members = m, .n_members = 2}, {.members = m + 2, .n_members = 1}};
    snprintf(persons[0].person_id, sizeof persons[0].person_id, "person_0");
    memcpy(persons[0].owner_face_id, m[1].face_id, sizeof m[1].face_id);
    snprintf(persons[1].person_id, sizeof persons[1].person_id, "person_1");
    /* a member that is not a face of the run: refused, nothing written */
    fc_member_rec stranger = {0};
    snprintf(stranger.face_id, sizeof stranger.face_id, "00000000-0000-4000-8000-000000000000");
    fc_person_rec bad = {.members = &stranger, .n_members = 1};
    snprintf(bad.person_id, sizeof bad.person_id, "person_x");
    CHECK(fc_store_run_finish(s, &run, &bad, 1, &err) == FC_ERR_ARG);
    CHECK_OK(fc_store_run_finish(s, &run, persons, 2, &err), &err);

    fc_run_rec got = {0};
    int found = 0;
    CHECK_OK(fc_store_run_get(s, run.clustering_id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_DONE && got.total_faces == 6 && got.total_persons == 2);
    CHECK(got.unassigned_faces == 3 && got.total_images == 3);
    fc_run_rec_clear(&got);
    CHECK_OK(fc_store_run_list(s, norm, FC_RUNS_DONE, &runs, &err), &err);
    CHECK(runs.n == 1 && !strcmp(runs.items[0].clustering_id, run.clustering_id));
    fc_run_list_free(&runs);

    fc_person_list pl = {0};
    CHECK_OK(fc_store_person_list(s, run.clustering_id, NULL, &pl, &err), &err);
    CHECK(pl.n == 2 && !strcmp(pl.items[0].person_id, "person_0") && pl.items[0].n_members == 2);
    CHECK(!strcmp(pl.items[0].members[0].face_id, m[0].face_id));
    CHECK_NEAR(pl.items[0].members[0].cluster_confidence, 0.5, 1e-6);
    fc_person_list_free(&pl);
    fc_face_list fl = {0};
    CHECK_OK(fc_store_face_list(s, run.clustering_id, "person_0", 1, &fl, &err), &err);
    CHECK(fl.n == 2 && !strcmp(fl.items[1].face_id, m[1].face_id) && fl.items[1].is_owner_face);
    CHECK(fl.items[0].dim == DIM && fl.items[0].embedding);
    fc_face_list_free(&fl);
    CHECK_OK(fc_store_face_list(s, run.clustering_id, "", 0, &fl, &err), &err);
    CHECK(fl.n == 3 && !fl.items[0].embedding);
    fc_face_list_free(&fl);

    CHECK(fc_store_run_fail(s, run.clustering_id, "late", &err) == FC_ERR_ARG); /* done stays done */
    CHECK(fc_store_run_resume(s, run.clustering_id, &err) == FC_ERR_ARG);
    int deleted = 0;
    int64_t faces = 0;
    CHECK_OK(fc_store_run_delete(s, run.clustering_id, &faces, &deleted, &err), &err);
    CHECK(deleted && faces == 6);
    CHECK_OK(fc_store_run_get(s, run.clustering_id, &got, &found, &err), &err);
    CHECK(!found);

    /* a failed run resumes, keeps its images, and finishes */
    fc_run_rec r2 = {0};
    memcpy(r2.bucket, run.bucket, sizeof r2.bucket);
    memcpy(r2.sub, run.sub, sizeof r2.sub);
    CHECK_OK(fc_store_run_create(s, &r2, &err), &err);
    CHECK_OK(fc_store_run_add_batch(s, r2.clustering_id, b.faces, 2, b.images, 1, &err), &err);
    CHECK_OK(fc_store_run_fail(s, r2.clustering_id, "cancelled", &err), &err);
    CHECK_OK(fc_store_run_get(s, r2.clustering_id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_FAILED && got.error && !strcmp(got.error, "cancelled"));
    fc_run_rec_clear(&got);
    CHECK(fc_store_run_add_batch(s, r2.clustering_id, b.faces + 2, 2, b.images + 1, 1, &err) == FC_ERR_ARG);
    CHECK_OK(fc_store_run_resume(s, r2.clustering_id, &err), &err);
    CHECK_OK(fc_store_run_add_batch(s, r2.clustering_id, b.faces + 2, 2, b.images + 1, 1, &err), &err);
    CHECK_OK(fc_store_run_finish(s, &r2, NULL, 0, &err), &err);
    CHECK_OK(fc_store_run_get(s, r2.clustering_id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_DONE && got.total_faces == 4 && got.unassigned_faces == 4);
    fc_run_rec_clear(&got);
    CHECK_OK(fc_store_run_delete(s, r2.clustering_id, &faces, &deleted, &err), &err);
    fx_batch_free(&b);
    return FC_TEST_PASS;
}

#define LARGE_DIM 512
#define LARGE_UNASSIGNED 7

/* Person i's vectors: v[k] = i + k / 1024 (exact in a float), for i < 2^14. */
static void large_vector(float *v, size_t i)
{
    for (int k = 0; k < LARGE_DIM; k++)
        v[k] = (float)i + (float)k / 1024.0f;
}

int fc_conformance_large_run(fc_store *s, const char *tag, size_t n_persons,
                             fc_conformance_inspect inspect)
{
    fc_error err = {0};
    fx_batch b = {0};
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "conf-%s", tag);
    snprintf(run.sub, sizeof run.sub, "large");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    int n_images = (int)n_persons + LARGE_UNASSIGNED;
    CHECK(!fx_batch_make(&b, "large", 0, n_images, 1, LARGE_DIM));
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images,
                                    &err), &err);
    /* person i has face i; ids not in the persons' order, which must be kept */
    fc_person_rec *persons = calloc(n_persons, sizeof *persons);
    fc_member_rec *members = calloc(n_persons, sizeof *members);
    float *vecs = malloc(n_persons * LARGE_DIM * sizeof *vecs);
    CHECK(persons && members && vecs);
    for (size_t i = 0; i < n_persons; i++) {
        fc_person_rec *p = &persons[i];
        snprintf(p->person_id, sizeof p->person_id, "person_%zu", (i * 7919) % n_persons);
        memcpy(members[i].face_id, b.faces[i].face_id, sizeof members[i].face_id);
        members[i].cluster_confidence = 0.5f;
        p->members = &members[i];
        p->n_members = 1;
        memcpy(p->owner_face_id, members[i].face_id, sizeof p->owner_face_id);
        large_vector(vecs + i * LARGE_DIM, i);
        p->centroid = p->owner_embedding = vecs + i * LARGE_DIM;
        p->dim = LARGE_DIM;
        p->avg_confidence = 0.9f;
        p->best_quality_score = 0.5f;
    }
    CHECK_OK(fc_store_run_finish(s, &run, persons, n_persons, &err), &err);

    fc_run_rec got = {0};
    int found = 0;
    CHECK_OK(fc_store_run_get(s, run.clustering_id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_DONE && got.total_persons == (int64_t)n_persons);
    CHECK(got.unassigned_faces == LARGE_UNASSIGNED && got.total_faces == n_images);
    fc_run_rec_clear(&got);
    fc_person_list pl = {0};
    CHECK_OK(fc_store_person_list(s, run.clustering_id, NULL, &pl, &err), &err);
    CHECK_MSG(pl.n == n_persons, "%zu persons read back of %zu", pl.n, n_persons);
    for (size_t i = 0; i < n_persons; i++) {
        const fc_person_rec *p = &pl.items[i];
        CHECK_MSG(!strcmp(p->person_id, persons[i].person_id), "person %zu: %s", i, p->person_id);
        CHECK(p->dim == LARGE_DIM && p->centroid && p->owner_embedding);
        CHECK(p->centroid[0] == (float)i && p->owner_embedding[LARGE_DIM - 1] == vecs[i * LARGE_DIM + LARGE_DIM - 1]);
        CHECK(p->n_members == 1 && !strcmp(p->members[0].face_id, b.faces[i].face_id));
        CHECK(p->members[0].image_path && !strcmp(p->members[0].image_path, b.faces[i].image_path));
        CHECK(!strcmp(p->owner_face_id, b.faces[i].face_id));
    }
    fc_person_list_free(&pl);
    size_t last = n_persons - 1;
    CHECK_OK(fc_store_person_list(s, run.clustering_id, persons[last].person_id, &pl, &err), &err);
    CHECK(pl.n == 1 && pl.items[0].centroid && pl.items[0].centroid[0] == (float)last);
    CHECK(pl.items[0].n_members == 1 && !strcmp(pl.items[0].members[0].face_id, b.faces[last].face_id));
    fc_person_list_free(&pl);
    if (inspect && inspect(s, run.clustering_id, n_persons, 0) != FC_TEST_PASS)
        return FC_TEST_FAIL;

    int deleted = 0;
    int64_t faces = 0;
    CHECK_OK(fc_store_run_delete(s, run.clustering_id, &faces, &deleted, &err), &err);
    CHECK(deleted && faces == n_images);
    if (inspect && inspect(s, run.clustering_id, n_persons, 1) != FC_TEST_PASS)
        return FC_TEST_FAIL;
    free(persons);
    free(members);
    free(vecs);
    fx_batch_free(&b);
    return FC_TEST_PASS;
}

int fc_conformance_assignments(fc_store *s, const char *tag)
{
    fc_error err = {0};
    char id[FC_OBJECTID_LEN + 1];
    fc_objectid_new(id);
    char *paths[2] = {"a.jpg", "b.jpg"};
    fc_assignment_rec a = {.similarity = 0.5f, .face_count = 2, .image_paths = paths, .n_image_paths = 2};
    memcpy(a.clustering_id, id, sizeof id);
    snprintf(a.cluster_id, sizeof a.cluster_id, "person_0");
    snprintf(a.bucket_name, sizeof a.bucket_name, "conf-%s", tag);
    snprintf(a.sub_bucket, sizeof a.sub_bucket, "s");
    snprintf(a.user_id, sizeof a.user_id, "alice");
    snprintf(a.strategy, sizeof a.strategy, "centroid");
    CHECK_OK(fc_store_assignment_upsert(s, &a, 1, &err), &err);
    a.similarity = 0.75f;
    CHECK_OK(fc_store_assignment_upsert(s, &a, 1, &err), &err);
    fc_assignment_list l = {0};
    fc_assignment_filter f = {.clustering_id = id};
    CHECK_OK(fc_store_assignment_list(s, &f, &l, &err), &err);
    CHECK(l.n == 1 && l.items[0].n_image_paths == 2 && !strcmp(l.items[0].sub_bucket, "s"));
    CHECK_NEAR(l.items[0].similarity, 0.75, 1e-6);
    fc_assignment_list_free(&l);
    fc_assignment_filter fb = {.bucket_name = a.bucket_name, .user_id = "alice"};
    CHECK_OK(fc_store_assignment_list(s, &fb, &l, &err), &err);
    CHECK(l.n == 1);
    fc_assignment_list_free(&l);
    int64_t n = 0;
    CHECK_OK(fc_store_assignment_delete_run(s, id, &n, &err), &err);
    CHECK(n == 1);
    fc_collection_list cl = {0};
    CHECK_OK(fc_store_collection_list(s, &cl, &err), &err);
    int profiles = 0;
    for (size_t i = 0; i < cl.n; i++)
        profiles |= !strcmp(cl.items[i].name, "user_profiles");
    fc_collection_list_free(&cl);
    CHECK(profiles);
    return FC_TEST_PASS;
}

int fc_conformance_vectors(fc_vectors *v, const char *tag)
{
    fc_error err = {0};
    fc_vec_point p[3];
    memset(p, 0, sizeof p);
    float vec[3][DIM];
    char run[FC_OBJECTID_LEN + 1];
    fc_objectid_new(run);
    for (int i = 0; i < 3; i++) {
        fx_vector(vec[i], DIM, (unsigned)i + 1);
        p[i].vector = vec[i];
        p[i].dim = DIM;
        CHECK_OK(fc_uuid4_new(p[i].payload.face_id, &err), &err);
        memcpy(p[i].payload.clustering_id, run, sizeof run);
        snprintf(p[i].payload.bucket_name, sizeof p[i].payload.bucket_name, "conf-%s", tag);
        snprintf(p[i].payload.person_id, sizeof p[i].payload.person_id, "person_%d", i % 2);
        p[i].payload.image_path = "x.jpg";
        p[i].payload.is_owner_face = i == 0;
        p[i].payload.bbox[2] = 10 + i;
    }
    CHECK_OK(fc_vectors_ensure(v, DIM, &err), &err);
    CHECK(fc_vectors_ensure(v, DIM + 1, &err) == FC_ERR_ARG);
    CHECK_OK(fc_vectors_upsert(v, p, 3, &err), &err);
    CHECK_OK(fc_vectors_upsert(v, p, 3, &err), &err); /* by face_id: no duplicates */
    fc_vec_filter f = {.clustering_id = run};
    int64_t n = 0;
    CHECK_OK(fc_vectors_count(v, &f, &n, &err), &err);
    CHECK(n == 3);
    fc_vec_list hits = {0};
    CHECK_OK(fc_vectors_search(v, vec[1], DIM, 2, &f, &hits, &err), &err);
    CHECK(hits.n == 2 && !strcmp(hits.items[0].payload.face_id, p[1].payload.face_id));
    CHECK_NEAR(hits.items[0].score, 1.0, 1e-4);
    CHECK(hits.items[0].payload.bbox[2] == 11 && !hits.items[0].payload.is_owner_face);
    fc_vec_list_free(&hits);
    fc_vec_filter fp = {.clustering_id = run, .person_id = "person_0"};
    CHECK_OK(fc_vectors_get(v, &fp, 1, &hits, &err), &err);
    CHECK(hits.n == 2 && hits.items[0].dim == DIM && hits.items[0].vector);
    fc_vec_list_free(&hits);
    int64_t deleted = 0;
    CHECK_OK(fc_vectors_delete_run(v, run, &deleted, &err), &err);
    CHECK(deleted == 3);
    CHECK_OK(fc_vectors_count(v, &f, &n, &err), &err);
    CHECK(n == 0);
    return FC_TEST_PASS;
}

/* ---- shared runs ------------------------------------------------------------------ */

#define LW1 "conf-host:1:1:aaaa"
#define LW2 "conf-host:2:2:bbbb"

/* Completes lease l with its images and faces from all: *committed, or -1. */
static int lease_commit(fc_store *s, const char *id, const char *worker, const fx_batch *all,
                        const fc_lease *l)
{
    fc_image_rec *imgs = calloc(l->n + 1, sizeof *imgs);
    fc_face_rec *faces = calloc(all->n_faces + 1, sizeof *faces);
    size_t ni = 0, nf = 0;
    for (size_t k = 0; imgs && k < l->n; k++)
        for (size_t i = 0; i < all->n_images; i++)
            if (!strcmp(all->images[i].image_path, l->image_paths[k]))
                imgs[ni++] = all->images[i];
    for (size_t f = 0; faces && f < all->n_faces; f++)
        for (size_t k = 0; k < ni; k++)
            if (!strcmp(all->faces[f].image_path, imgs[k].image_path))
                faces[nf++] = all->faces[f];
    fc_error err = {0};
    int committed = 0;
    fc_status rc = imgs && faces ? fc_store_lease_complete(s, id, worker, faces, nf, imgs, ni,
                                                           &committed, &err)
                                 : FC_ERR_NOMEM;
    if (rc)
        printf("  lease_complete: %s\n", err.msg);
    free(imgs);
    free(faces);
    return rc ? -1 : committed;
}

static int lease_disjoint(const fc_lease *a, const fc_lease *b)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t k = 0; k < b->n; k++)
            if (!strcmp(a->image_paths[i], b->image_paths[k]))
                return 0;
    return 1;
}

int fc_conformance_leases(fc_store *s, const char *tag)
{
    fc_error err = {0};
    fx_batch all = {0};
    CHECK(!fx_batch_make(&all, "shared", 0, 4, 2, DIM));
    char **paths = calloc(all.n_images, sizeof *paths);
    CHECK(paths);
    for (size_t i = 0; i < all.n_images; i++)
        paths[i] = all.images[i].image_path;
    fc_run_rec run = {0}, join = {0};
    snprintf(run.bucket, sizeof run.bucket, "conf-%s", tag);
    snprintf(run.sub, sizeof run.sub, "Shared");
    join = run;
    int joined = -1;
    CHECK_OK(fc_store_run_open_shared(s, &run, paths, all.n_images, &joined, &err), &err);
    CHECK(joined == 0 && fc_objectid_valid(run.clustering_id));
    CHECK_OK(fc_store_run_open_shared(s, &join, paths, 1, &joined, &err), &err);
    CHECK(joined == 1 && !strcmp(join.clustering_id, run.clustering_id));
    free(paths);
    const char *id = run.clustering_id;

    fc_lease l1, l2, l3;
    CHECK_OK(fc_store_lease_claim(s, id, LW1, 3, 60000, &l1, &err), &err);
    CHECK(l1.run_open && l1.n == 3 && l1.n_taken_over == 0 && l1.n_left == 4);
    CHECK(strcmp(l1.image_paths[0], l1.image_paths[1]) < 0); /* sorted */
    CHECK_OK(fc_store_lease_claim(s, id, LW2, 3, 300, &l2, &err), &err);
    CHECK(l2.n == 1 && lease_disjoint(&l1, &l2));
    CHECK_OK(fc_store_lease_claim(s, id, LW2 "x", 3, 60000, &l3, &err), &err);
    CHECK(l3.n == 0 && l3.n_left == 4);
    fc_lease_clear(&l3);

    /* not mine: refused, nothing written; mine: committed once */
    CHECK(lease_commit(s, id, LW1, &all, &l2) == 0);
    CHECK(lease_commit(s, id, LW1, &all, &l1) == 1);
    int64_t n = 0, held = -1;
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 6);
    CHECK(lease_commit(s, id, LW1, &all, &l1) == 0);
    int claimed = -1;
    CHECK_OK(fc_store_run_claim_finish(s, id, LW1, 60000, &claimed, &err), &err);
    CHECK(claimed == 0); /* one image left */
    CHECK_OK(fc_store_lease_heartbeat(s, id, LW2, 300, &held, &err), &err);
    CHECK(held == 1);

    /* LW2's lease expires: LW1 takes the image over, LW2's complete is refused */
    struct timespec t = {0, 600 * 1000000L};
    nanosleep(&t, NULL);
    CHECK_OK(fc_store_lease_claim(s, id, LW1, 3, 60000, &l3, &err), &err);
    CHECK(l3.n == 1 && l3.n_taken_over == 1 && !strcmp(l3.image_paths[0], l2.image_paths[0]));
    CHECK(lease_commit(s, id, LW2, &all, &l2) == 0);
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 6);
    /* given back and claimed again */
    CHECK_OK(fc_store_lease_release(s, id, LW1, &err), &err);
    fc_lease_clear(&l3);
    CHECK_OK(fc_store_lease_claim(s, id, LW2, 3, 60000, &l3, &err), &err);
    CHECK(l3.n == 1 && l3.n_taken_over == 0 && l3.n_left == 1);
    CHECK(lease_commit(s, id, LW2, &all, &l3) == 1);
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 8);
    fc_lease_clear(&l3);
    CHECK_OK(fc_store_lease_claim(s, id, LW1, 3, 60000, &l3, &err), &err);
    CHECK(l3.run_open && l3.n == 0 && l3.n_left == 0);
    fc_lease_clear(&l3);

    /* the finish: claimed once, then finished by this handle */
    CHECK_OK(fc_store_run_claim_finish(s, id, LW2, 60000, &claimed, &err), &err);
    CHECK(claimed == 1);
    CHECK_OK(fc_store_run_claim_finish(s, id, LW1, 60000, &claimed, &err), &err);
    CHECK(claimed == 0);
    CHECK_OK(fc_store_lease_heartbeat(s, id, LW2, 60000, &held, &err), &err);
    CHECK(held == 0);
    CHECK_OK(fc_store_run_finish(s, &run, NULL, 0, &err), &err);
    fc_run_rec got = {0};
    int found = 0;
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_DONE && got.total_images == 4 && got.total_faces == 8);
    fc_run_rec_clear(&got);
    fc_image_list imgs = {0};
    CHECK_OK(fc_store_run_images(s, id, &imgs, &err), &err);
    CHECK(imgs.n == 4);
    fc_image_list_free(&imgs);
    CHECK_OK(fc_store_lease_claim(s, id, LW1, 3, 60000, &l3, &err), &err);
    CHECK(!l3.run_open && l3.n == 0);

    /* a new shared run opens once the old one is done */
    fc_run_rec next = {0};
    snprintf(next.bucket, sizeof next.bucket, "conf-%s", tag);
    snprintf(next.sub, sizeof next.sub, "Shared");
    char *one[1] = {all.images[0].image_path};
    CHECK_OK(fc_store_run_open_shared(s, &next, one, 1, &joined, &err), &err);
    CHECK(joined == 0 && strcmp(next.clustering_id, id) != 0);
    CHECK_OK(fc_store_run_fail(s, next.clustering_id, "test", &err), &err);

    int64_t faces = 0;
    int deleted = 0;
    CHECK_OK(fc_store_run_delete(s, id, &faces, &deleted, &err), &err);
    CHECK(deleted && faces == 8);
    CHECK_OK(fc_store_run_delete(s, next.clustering_id, &faces, &deleted, &err), &err);
    fc_lease_clear(&l1), fc_lease_clear(&l2), fc_lease_clear(&l3);
    fx_batch_free(&all);
    return FC_TEST_PASS;
}
