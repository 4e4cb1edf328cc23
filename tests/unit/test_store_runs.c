/* test_store_runs.c - the SQLite store: a clustering run from creation to its
 * committed document, faces and persons, failure, resume and deletion. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static fc_run_rec new_run(const char *bucket, const char *sub)
{
    fc_run_rec r = {0};
    snprintf(r.bucket, sizeof r.bucket, "%s", bucket);
    snprintf(r.sub, sizeof r.sub, "%s", sub);
    return r;
}

/* A person of the given faces; the first is the owner. */
static fc_person_rec person_of(const char *pid, fc_member_rec *members, const fc_face_rec *faces,
                               const int *idx, size_t n, float *centroid, int dim)
{
    fc_person_rec p = {0};
    snprintf(p.person_id, sizeof p.person_id, "%s", pid);
    for (size_t i = 0; i < n; i++) {
        memset(&members[i], 0, sizeof members[i]);
        memcpy(members[i].face_id, faces[idx[i]].face_id, sizeof members[i].face_id);
        members[i].cluster_confidence = 0.9f - 0.1f * (float)i;
    }
    memcpy(p.owner_face_id, faces[idx[0]].face_id, sizeof p.owner_face_id);
    p.members = members;
    p.n_members = n;
    p.owner_embedding = faces[idx[0]].embedding;
    p.centroid = centroid;
    p.dim = dim;
    p.avg_confidence = 0.85f;
    p.best_quality_score = 0.7f;
    return p;
}

TEST(store_run_lifecycle)
{
    char path[512];
    fx_db_path("runs", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    fc_run_rec run = new_run("bucket", "sub");
    run.params = "{\"batch_size\":30}";
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    CHECK(fc_objectid_valid(run.clustering_id) && run.status == FC_RUN_RUNNING);
    CHECK(!strcmp(run.norm, "bucket_sub") && fc_timestamp_valid(run.timestamp));
    const char *id = run.clustering_id;

    /* a running run is not a result */
    fc_run_list runs;
    CHECK_OK(fc_store_run_list(s, "bucket_sub", FC_RUNS_DONE, &runs, &err), &err);
    CHECK(runs.n == 0);
    CHECK_OK(fc_store_run_list(s, "bucket_sub", FC_RUNS_ALL, &runs, &err), &err);
    CHECK(runs.n == 1 && runs.items[0].status == FC_RUN_RUNNING);
    CHECK(!strcmp(runs.items[0].params, "{\"batch_size\":30}"));
    fc_run_list_free(&runs);

    fx_batch b1, b2;
    CHECK(fx_batch_make(&b1, "bucket/sub", 0, 3, 2, 32) == 0); /* faces 0..5 */
    CHECK(fx_batch_make(&b2, "bucket/sub", 3, 2, 1, 32) == 0); /* faces 0..1 */
    b2.images[1].ok = 0; /* a failed image: no faces */
    b2.images[1].reason = strdup("decode error: truncated");
    fc_face_rec_clear(&b2.faces[1]); /* so its face goes */
    b2.n_faces = 1;
    CHECK_OK(fc_store_run_add_batch(s, id, b1.faces, b1.n_faces, b1.images, b1.n_images, &err), &err);
    CHECK_OK(fc_store_run_add_batch(s, id, b2.faces, b2.n_faces, b2.images, b2.n_images, &err), &err);
    int64_t n;
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 7);
    fc_image_list imgs;
    CHECK_OK(fc_store_run_images(s, id, &imgs, &err), &err);
    CHECK(imgs.n == 5 && imgs.items[0].ok && imgs.items[0].n_faces == 2);
    CHECK(!imgs.items[4].ok && imgs.items[4].n_faces == 0 && strstr(imgs.items[4].reason, "truncated"));
    fc_image_list_free(&imgs);

    /* faces read back as written, embeddings included on request */
    fc_face_list faces;
    CHECK_OK(fc_store_face_list(s, id, NULL, 1, &faces, &err), &err);
    CHECK(faces.n == 7);
    const fc_face_rec *f0 = &faces.items[0];
    CHECK(!strcmp(f0->face_id, b1.faces[0].face_id) && !strcmp(f0->image_path, "bucket/sub/img_0.jpg"));
    CHECK(!strcmp(f0->clustering_id, id) && f0->person_id[0] == '\0' && !f0->is_owner_face);
    CHECK(f0->dim == 32 && !memcmp(f0->embedding, b1.faces[0].embedding, 32 * sizeof(float)));
    CHECK(f0->n_landmarks == 5 && f0->landmarks[9] == b1.faces[0].landmarks[9]);
    CHECK(f0->bbox[2] == 64 && f0->confidence == b1.faces[0].confidence && fc_timestamp_valid(f0->timestamp));
    fc_face_list_free(&faces);
    CHECK_OK(fc_store_face_list(s, id, NULL, 0, &faces, &err), &err);
    CHECK(faces.n == 7 && faces.items[0].embedding == NULL && faces.items[0].dim == 32);
    fc_face_list_free(&faces);

    /* finish: person_0 = faces 0, 2, 4 (owner 0); person_1 = face 1 of batch 1 and
       face 0 of batch 2; faces 3 and 5 unassigned */
    fc_member_rec m0[3], m1[2];
    float centroid[32];
    fx_vector(centroid, 32, 999);
    fc_face_rec both[7];
    memcpy(both, b1.faces, 6 * sizeof *both);
    both[6] = b2.faces[0];
    fc_person_rec persons[2] = {
        person_of("person_0", m0, both, (int[]){0, 2, 4}, 3, centroid, 32),
        person_of("person_1", m1, both, (int[]){1, 6}, 2, NULL, 32),
    };
    run.image_overlap_stats = "{\"multi_person_images\":1}";
    run.processing_stats = "{\"processing_time_seconds\":1.5}";
    run.total_faces = 12345; /* ignored: counted from the rows */
    CHECK_OK(fc_store_run_finish(s, &run, persons, 2, &err), &err);

    fc_run_rec got;
    int found;
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_DONE && fc_timestamp_valid(got.finished_at));
    CHECK(got.total_images == 4 && got.total_faces == 7 && got.total_persons == 2);
    CHECK(got.unassigned_faces == 2 && got.error == NULL);
    CHECK(!strcmp(got.image_overlap_stats, "{\"multi_person_images\":1}"));
    CHECK(!strcmp(got.bucket, "bucket") && !strcmp(got.sub, "sub") && !strcmp(got.norm, "bucket_sub"));
    fc_run_rec_clear(&got);

    fc_person_list pl;
    CHECK_OK(fc_store_person_list(s, id, NULL, &pl, &err), &err);
    CHECK(pl.n == 2);
    const fc_person_rec *p0 = &pl.items[0];
    CHECK(!strcmp(p0->person_id, "person_0") && !strcmp(p0->cluster_id, "person_0"));
    CHECK(p0->n_members == 3 && !strcmp(p0->members[1].face_id, both[2].face_id));
    CHECK(!strcmp(p0->members[2].image_path, "bucket/sub/img_2.jpg"));
    CHECK(p0->members[0].confidence == both[0].confidence);
    CHECK_NEAR(p0->members[1].cluster_confidence, 0.8, 1e-6);
    CHECK(!strcmp(p0->owner_face_id, both[0].face_id) && p0->dim == 32);
    CHECK(!memcmp(p0->owner_embedding, both[0].embedding, 32 * sizeof(float)));
    CHECK(!memcmp(p0->centroid, centroid, sizeof centroid) && p0->avg_confidence == 0.85f);
    CHECK(pl.items[1].centroid == NULL && pl.items[1].owner_embedding != NULL);
    CHECK(pl.items[1].n_members == 2 && !strcmp(pl.items[1].members[1].image_path, "bucket/sub/img_3.jpg"));
    fc_person_list_free(&pl);
    CHECK_OK(fc_store_person_list(s, id, "person_1", &pl, &err), &err);
    CHECK(pl.n == 1 && !strcmp(pl.items[0].person_id, "person_1"));
    fc_person_list_free(&pl);
    CHECK_OK(fc_store_person_list(s, id, "person_9", &pl, &err), &err);
    CHECK(pl.n == 0);

    CHECK_OK(fc_store_face_list(s, id, "person_0", 0, &faces, &err), &err);
    CHECK(faces.n == 3 && faces.items[0].is_owner_face && !faces.items[1].is_owner_face);
    CHECK(!strcmp(faces.items[2].person_id, "person_0"));
    CHECK_NEAR(faces.items[2].cluster_confidence, 0.7, 1e-6);
    fc_face_list_free(&faces);
    CHECK_OK(fc_store_face_list(s, id, "", 0, &faces, &err), &err);
    CHECK(faces.n == 2 && !strcmp(faces.items[0].face_id, both[3].face_id));
    fc_face_list_free(&faces);

    /* a done run is closed */
    CHECK(fc_store_run_add_batch(s, id, b1.faces, 1, b1.images, 1, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "done"));
    CHECK(fc_store_run_finish(s, &run, NULL, 0, &err) == FC_ERR_ARG);
    CHECK(fc_store_run_fail(s, id, "late", &err) == FC_ERR_ARG);
    CHECK(fc_store_run_resume(s, id, &err) == FC_ERR_ARG);

    CHECK_OK(fc_store_run_list(s, "bucket_sub", FC_RUNS_DONE, &runs, &err), &err);
    CHECK(runs.n == 1 && !strcmp(runs.items[0].clustering_id, id));
    fc_run_list_free(&runs);

    /* deletion takes faces, persons and images; the id is free again */
    int deleted;
    CHECK_OK(fc_store_run_delete(s, id, &n, &deleted, &err), &err);
    CHECK(deleted && n == 7);
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(!found);
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 0);
    CHECK_OK(fc_store_person_list(s, id, NULL, &pl, &err), &err);
    CHECK(pl.n == 0);
    CHECK_OK(fc_store_run_delete(s, id, &n, &deleted, &err), &err);
    CHECK(!deleted && n == 0);
    fx_batch_free(&b1);
    fx_batch_free(&b2);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_run_finish_is_all_or_nothing)
{
    char path[512];
    fx_db_path("runs_atomic", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    fc_run_rec run = new_run("b", "s");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    fx_batch b;
    CHECK(fx_batch_make(&b, "b/s", 0, 2, 2, 8) == 0);
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &err), &err);

    fc_member_rec m0[2], m1[2];
    fc_person_rec persons[2] = {
        person_of("person_0", m0, b.faces, (int[]){0, 1}, 2, NULL, 0),
        person_of("person_1", m1, b.faces, (int[]){2, 1}, 2, NULL, 0), /* face 1 twice */
    };
    CHECK(fc_store_run_finish(s, &run, persons, 2, &err) == FC_ERR_ARG && strstr(err.msg, "two persons"));
    /* an unknown face */
    persons[1] = person_of("person_1", m1, b.faces, (int[]){2, 3}, 2, NULL, 0);
    memcpy(m1[1].face_id, "11111111-2222-4333-8444-555555555555", sizeof m1[1].face_id);
    CHECK(fc_store_run_finish(s, &run, persons, 2, &err) == FC_ERR_ARG);
    /* an owner that is not a member */
    persons[1] = person_of("person_1", m1, b.faces, (int[]){2, 3}, 2, NULL, 0);
    memcpy(persons[1].owner_face_id, b.faces[0].face_id, sizeof persons[1].owner_face_id);
    CHECK(fc_store_run_finish(s, &run, persons, 2, &err) == FC_ERR_ARG && strstr(err.msg, "owner"));
    /* the same person twice */
    persons[1] = person_of("person_0", m1, b.faces, (int[]){2, 3}, 2, NULL, 0);
    CHECK(fc_store_run_finish(s, &run, persons, 2, &err) == FC_ERR_ARG);
    /* stats that are not JSON objects */
    persons[1] = person_of("person_1", m1, b.faces, (int[]){2, 3}, 2, NULL, 0);
    run.processing_stats = "[1,2]";
    CHECK(fc_store_run_finish(s, &run, persons, 2, &err) == FC_ERR_ARG);
    run.processing_stats = NULL;

    /* none of it stuck */
    fc_run_rec got;
    int found;
    CHECK_OK(fc_store_run_get(s, run.clustering_id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_RUNNING);
    fc_run_rec_clear(&got);
    fc_person_list pl;
    CHECK_OK(fc_store_person_list(s, run.clustering_id, NULL, &pl, &err), &err);
    CHECK(pl.n == 0);
    fc_face_list unassigned;
    CHECK_OK(fc_store_face_list(s, run.clustering_id, "", 0, &unassigned, &err), &err);
    CHECK(unassigned.n == 4);
    fc_face_list_free(&unassigned);

    /* and the correct finish goes through */
    CHECK_OK(fc_store_run_finish(s, &run, persons, 2, &err), &err);
    CHECK_OK(fc_store_run_get(s, run.clustering_id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_DONE && got.unassigned_faces == 0 && got.total_persons == 2);
    fc_run_rec_clear(&got);
    fx_batch_free(&b);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_run_batches_fail_resume_and_order)
{
    char path[512];
    fx_db_path("runs_resume", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    fc_run_rec run = new_run("b", "s");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    const char *id = run.clustering_id;
    fx_batch b;
    CHECK(fx_batch_make(&b, "b/s", 0, 2, 3, 4) == 0);
    CHECK_OK(fc_store_run_add_batch(s, id, b.faces, b.n_faces, b.images, b.n_images, &err), &err);
    /* a retried image replaces its faces: image 0 again, now with one face */
    fx_batch again;
    CHECK(fx_batch_make(&again, "b/s", 0, 1, 1, 4) == 0);
    CHECK_OK(fc_store_run_add_batch(s, id, again.faces, 1, again.images, 1, &err), &err);
    int64_t n;
    CHECK_OK(fc_store_face_count(s, id, &n, &err), &err);
    CHECK(n == 4);
    fc_image_list imgs;
    CHECK_OK(fc_store_run_images(s, id, &imgs, &err), &err);
    CHECK(imgs.n == 2 && imgs.items[0].n_faces == 1 && imgs.items[1].n_faces == 3);
    fc_image_list_free(&imgs);

    /* bad batches are refused whole */
    fx_batch bad;
    CHECK(fx_batch_make(&bad, "b/s", 10, 2, 1, 4) == 0);
    memcpy(bad.faces[1].face_id, b.faces[4].face_id, sizeof bad.faces[1].face_id); /* duplicate id */
    fc_status st = fc_store_run_add_batch(s, id, bad.faces, 2, bad.images, 2, &err);
    CHECK_MSG(st == FC_ERR_ARG, "%s: %s", fc_strerror(st), err.msg);
    CHECK_OK(fc_uuid4_new(bad.faces[1].face_id, &err), &err);
    CHECK(fc_store_run_add_batch(s, id, bad.faces, 1, bad.images + 1, 1, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "not in the batch"));
    snprintf(bad.faces[0].face_id, sizeof bad.faces[0].face_id, "not-a-uuid");
    CHECK(fc_store_run_add_batch(s, id, bad.faces, 1, bad.images, 1, &err) == FC_ERR_ARG);
    CHECK(fc_store_run_add_batch(s, "0123", NULL, 0, NULL, 0, &err) == FC_ERR_ARG);
    CHECK(fc_store_run_add_batch(s, "66d3e1f4a1b2c3d4e5ffffff", NULL, 0, NULL, 0, &err) == FC_ERR_ARG);
    CHECK_OK(fc_store_run_images(s, id, &imgs, &err), &err);
    CHECK(imgs.n == 2);
    fc_image_list_free(&imgs);

    /* fail, then resume from another handle and finish there */
    CHECK_OK(fc_store_run_fail(s, id, "cancelled by user", &err), &err);
    CHECK_OK(fc_store_run_fail(s, id, "again", &err), &err); /* stays failed */
    fc_run_rec got;
    int found;
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_FAILED && !strcmp(got.error, "cancelled by user"));
    fc_run_rec_clear(&got);
    CHECK(fc_store_run_add_batch(s, id, bad.faces + 1, 1, bad.images + 1, 1, &err) == FC_ERR_ARG);
    fc_store *other = fx_open(path);
    CHECK(other);
    CHECK_OK(fc_store_run_resume(other, id, &err), &err);
    /* only the handle that resumed it writes it */
    CHECK(fc_store_run_add_batch(s, id, bad.faces + 1, 1, bad.images + 1, 1, &err) == FC_ERR_ARG);
    CHECK(strstr(err.msg, "another handle"));
    CHECK(fc_store_run_delete(s, id, &n, &found, &err) == FC_ERR_ARG); /* running */
    CHECK_OK(fc_store_run_add_batch(other, id, bad.faces + 1, 1, bad.images + 1, 1, &err), &err);
    CHECK_OK(fc_store_run_finish(other, &run, NULL, 0, &err), &err);
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_DONE && got.error == NULL && got.total_faces == 5 && got.unassigned_faces == 5);
    fc_run_rec_clear(&got);

    /* newest first, per collection */
    fc_run_rec r2 = new_run("b", "s"), r3 = new_run("B", "S"), r4 = new_run("b", "t");
    CHECK_OK(fc_store_run_create(s, &r2, &err), &err);
    CHECK_OK(fc_store_run_create(other, &r3, &err), &err);
    CHECK_OK(fc_store_run_create(s, &r4, &err), &err);
    CHECK_OK(fc_store_run_fail(s, r2.clustering_id, "x", &err), &err);
    fc_run_list runs;
    CHECK_OK(fc_store_run_list(s, "b_s", FC_RUNS_ALL, &runs, &err), &err);
    CHECK(runs.n == 3 && !strcmp(runs.items[0].clustering_id, r3.clustering_id));
    CHECK(!strcmp(runs.items[1].clustering_id, r2.clustering_id) && !strcmp(runs.items[2].clustering_id, id));
    fc_run_list_free(&runs);
    CHECK_OK(fc_store_run_list(s, NULL, FC_RUNS_ALL, &runs, &err), &err);
    CHECK(runs.n == 4);
    fc_run_list_free(&runs);
    CHECK_OK(fc_store_run_list(s, "b_s", 1u << FC_RUN_FAILED, &runs, &err), &err);
    CHECK(runs.n == 1 && runs.items[0].status == FC_RUN_FAILED);
    fc_run_list_free(&runs);
    CHECK(fc_store_run_list(s, "b_s", 0, &runs, &err) == FC_ERR_ARG);

    /* closing a handle fails the runs it left running */
    fc_store_close(other);
    CHECK_OK(fc_store_run_get(s, r3.clustering_id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_FAILED && strstr(got.error, "closed"));
    fc_run_rec_clear(&got);
    CHECK_OK(fc_store_run_get(s, r4.clustering_id, &got, &found, &err), &err);
    CHECK(got.status == FC_RUN_RUNNING);
    fc_run_rec_clear(&got);

    /* explicit ids: accepted when valid and unused, in any case */
    fc_run_rec r5 = new_run("b", "s");
    snprintf(r5.clustering_id, sizeof r5.clustering_id, "66D3E1F4A1B2C3D4E5ABCDEF");
    CHECK_OK(fc_store_run_create(s, &r5, &err), &err);
    CHECK(!strcmp(r5.clustering_id, "66d3e1f4a1b2c3d4e5abcdef"));
    CHECK(fc_store_run_create(s, &r5, &err) == FC_ERR_ARG && strstr(err.msg, "exists"));
    fc_run_rec r6 = new_run("b", "..");
    CHECK(fc_store_run_create(s, &r6, &err) == FC_ERR_ARG);
    fx_batch_free(&b);
    fx_batch_free(&again);
    fx_batch_free(&bad);
    fc_store_close(s);
    return FC_TEST_PASS;
}
