/* test_store_profiles.c - the SQLite store: user profiles, cluster assignments, the
 * collection listing, health, argument checks and fault injection. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fc_profile_rec make_profile(const char *user_id, float *vec, int dim, unsigned seed)
{
    fc_profile_rec p = {0};
    snprintf(p.user_id, sizeof p.user_id, "%s", user_id);
    fx_vector(vec, dim, seed);
    p.embedding = vec;
    p.dim = dim;
    snprintf(p.embedding_model, sizeof p.embedding_model, "arcface112");
    p.confidence = 0.97f;
    p.quality_score = 0.81f;
    p.has_bbox = 1;
    p.bbox[0] = 10, p.bbox[1] = 20, p.bbox[2] = 30, p.bbox[3] = 40;
    return p;
}

TEST(store_profiles_crud)
{
    char path[512];
    fx_db_path("profiles", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    float v1[128], v2[128];
    fc_profile_rec a = make_profile("alice@example.com", v1, 128, 1);
    fc_profile_rec b = make_profile("bob", v2, 128, 2);
    b.has_bbox = 0;
    CHECK_OK(fc_store_profile_upsert(s, &a, &err), &err);
    CHECK_OK(fc_store_profile_upsert(s, &b, &err), &err);

    fc_profile_rec got;
    int found;
    CHECK_OK(fc_store_profile_get(s, "alice@example.com", &got, &found, &err), &err);
    CHECK(found && got.dim == 128 && !memcmp(got.embedding, v1, sizeof v1));
    CHECK(!strcmp(got.embedding_model, "arcface112") && got.confidence == 0.97f);
    CHECK(got.has_bbox && got.bbox[2] == 30 && got.bbox[3] == 40);
    CHECK(fc_timestamp_valid(got.created_at) && !strcmp(got.created_at, got.updated_at));
    char created[FC_TIMESTAMP_LEN + 1];
    memcpy(created, got.created_at, sizeof created);
    fc_profile_rec_clear(&got);

    /* replacing keeps created_at, moves updated_at, replaces the rest */
    usleep(2000);
    a.quality_score = 0.5f;
    a.has_bbox = 0;
    CHECK_OK(fc_store_profile_upsert(s, &a, &err), &err);
    CHECK_OK(fc_store_profile_get(s, "alice@example.com", &got, &found, &err), &err);
    CHECK(found && got.quality_score == 0.5f && !got.has_bbox);
    CHECK(!strcmp(got.created_at, created) && strcmp(got.updated_at, created) > 0);
    fc_profile_rec_clear(&got);

    CHECK_OK(fc_store_profile_get(s, "carol", &got, &found, &err), &err);
    CHECK(!found && got.embedding == NULL);

    int64_t n;
    CHECK_OK(fc_store_profile_count(s, &n, &err), &err);
    CHECK(n == 2);
    fc_profile_list list;
    CHECK_OK(fc_store_profile_list(s, 1, &list, &err), &err);
    CHECK(list.n == 1 && !strcmp(list.items[0].user_id, "alice@example.com")); /* creation order */
    fc_profile_list_free(&list);
    CHECK_OK(fc_store_profile_list(s, 0, &list, &err), &err);
    CHECK(list.n == 2 && !strcmp(list.items[1].user_id, "bob") && list.items[1].dim == 128);
    CHECK(!memcmp(list.items[1].embedding, v2, sizeof v2));
    fc_profile_list_free(&list);
    CHECK(list.items == NULL && list.n == 0);

    int deleted;
    CHECK_OK(fc_store_profile_delete(s, "bob", &deleted, &err), &err);
    CHECK(deleted);
    CHECK_OK(fc_store_profile_delete(s, "bob", &deleted, &err), &err);
    CHECK(!deleted);
    CHECK_OK(fc_store_profile_count(s, &n, &err), &err);
    CHECK(n == 1);
    /* a Unicode user id round-trips */
    fc_profile_rec u = make_profile("jos\xc3\xa9", v2, 128, 3);
    CHECK_OK(fc_store_profile_upsert(s, &u, &err), &err);
    CHECK_OK(fc_store_profile_get(s, "jos\xc3\xa9", &got, &found, &err), &err);
    CHECK(found);
    fc_profile_rec_clear(&got);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_profiles_bad_input)
{
    char path[512];
    fx_db_path("profiles_bad", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    float v[8];
    fc_profile_rec p = make_profile("bad id with spaces", v, 8, 1);
    CHECK(fc_store_profile_upsert(s, &p, &err) == FC_ERR_ARG && strstr(err.msg, "user_id"));
    p = make_profile("ok", v, 8, 1);
    p.embedding = NULL;
    CHECK(fc_store_profile_upsert(s, &p, &err) == FC_ERR_ARG);
    fc_profile_rec got;
    int found = 1;
    CHECK(fc_store_profile_get(s, "../etc", &got, &found, &err) == FC_ERR_ARG && !found);
    /* a profile without an embedding is allowed (dim 0) */
    p.dim = 0;
    CHECK_OK(fc_store_profile_upsert(s, &p, &err), &err);
    CHECK_OK(fc_store_profile_get(s, "ok", &got, &found, &err), &err);
    CHECK(found && got.dim == 0 && got.embedding == NULL);
    fc_profile_rec_clear(&got);
    fc_store_close(s);
    return FC_TEST_PASS;
}

static fc_assignment_rec make_assignment(const char *run, const char *cluster, const char *user,
                                         const char *bucket, const char *sub)
{
    static char *paths[] = {"b/s/1.jpg", "b/s/2.jpg"};
    static char *ids[] = {"0f8e3c1a-1111-4222-8333-444455556666"};
    fc_assignment_rec a = {0};
    snprintf(a.clustering_id, sizeof a.clustering_id, "%s", run);
    snprintf(a.cluster_id, sizeof a.cluster_id, "%s", cluster);
    snprintf(a.user_id, sizeof a.user_id, "%s", user);
    snprintf(a.bucket_name, sizeof a.bucket_name, "%s", bucket);
    snprintf(a.sub_bucket, sizeof a.sub_bucket, "%s", sub);
    snprintf(a.strategy, sizeof a.strategy, "centroid");
    a.similarity = 0.8f;
    a.face_count = 2;
    a.image_paths = paths;
    a.n_image_paths = 2;
    a.face_ids = ids;
    a.n_face_ids = 1;
    return a;
}

TEST(store_assignments_upsert_list_delete)
{
    char path[512];
    fx_db_path("assignments", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    const char *r1 = "66d3e1f4a1b2c3d4e5000001", *r2 = "66d3e1f4a1b2c3d4e5000002";
    fc_assignment_rec items[3] = {
        make_assignment(r1, "person_0", "alice", "b", "s"),
        make_assignment(r1, "person_1", "bob", "b", "s"),
        make_assignment(r2, "person_0", "alice", "other", "t"),
    };
    CHECK_OK(fc_store_assignment_upsert(s, items, 3, &err), &err);

    fc_assignment_list l;
    fc_assignment_filter by_run = {.clustering_id = "66D3E1F4A1B2C3D4E5000001"}; /* any case */
    CHECK_OK(fc_store_assignment_list(s, &by_run, &l, &err), &err);
    CHECK(l.n == 2 && !strcmp(l.items[0].cluster_id, "person_0") && !strcmp(l.items[1].user_id, "bob"));
    CHECK(l.items[0].n_image_paths == 2 && !strcmp(l.items[0].image_paths[1], "b/s/2.jpg"));
    CHECK(l.items[0].n_face_ids == 1 && l.items[0].face_count == 2);
    CHECK(!strcmp(l.items[0].strategy, "centroid") && l.items[0].similarity == 0.8f);
    char created[FC_TIMESTAMP_LEN + 1];
    memcpy(created, l.items[0].created_at, sizeof created);
    fc_assignment_list_free(&l);

    /* upsert on (clustering_id, cluster_id): the user changes, created_at stays */
    usleep(2000);
    fc_assignment_rec again = make_assignment("66D3E1F4A1B2C3D4E5000001", "person_0", "carol", "b", "s");
    again.similarity = 0.9f;
    again.n_image_paths = 0;
    CHECK_OK(fc_store_assignment_upsert(s, &again, 1, &err), &err);
    CHECK_OK(fc_store_assignment_list(s, &by_run, &l, &err), &err);
    CHECK(l.n == 2 && !strcmp(l.items[0].user_id, "carol") && l.items[0].similarity == 0.9f);
    CHECK(l.items[0].n_image_paths == 0 && !strcmp(l.items[0].created_at, created));
    CHECK(strcmp(l.items[0].updated_at, created) > 0);
    fc_assignment_list_free(&l);

    fc_assignment_filter by_user = {.user_id = "alice"};
    CHECK_OK(fc_store_assignment_list(s, &by_user, &l, &err), &err);
    CHECK(l.n == 1 && !strcmp(l.items[0].clustering_id, r2) && !strcmp(l.items[0].bucket_name, "other"));
    fc_assignment_list_free(&l);
    fc_assignment_filter by_user_bucket = {.user_id = "bob", .bucket_name = "b", .sub_bucket = "s"};
    CHECK_OK(fc_store_assignment_list(s, &by_user_bucket, &l, &err), &err);
    CHECK(l.n == 1);
    fc_assignment_list_free(&l);
    by_user_bucket.sub_bucket = "t";
    CHECK_OK(fc_store_assignment_list(s, &by_user_bucket, &l, &err), &err);
    CHECK(l.n == 0 && l.items == NULL);
    CHECK_OK(fc_store_assignment_list(s, NULL, &l, &err), &err);
    CHECK(l.n == 3);
    fc_assignment_list_free(&l);

    int64_t deleted;
    CHECK_OK(fc_store_assignment_delete_run(s, r1, &deleted, &err), &err);
    CHECK(deleted == 2);
    CHECK_OK(fc_store_assignment_delete_run(s, r1, &deleted, &err), &err);
    CHECK(deleted == 0);

    /* bad input: the whole batch is refused */
    fc_assignment_rec bad[2] = {make_assignment(r1, "person_0", "alice", "b", "s"),
                                make_assignment("nothex", "person_1", "bob", "b", "s")};
    CHECK(fc_store_assignment_upsert(s, bad, 2, &err) == FC_ERR_ARG);
    bad[1] = make_assignment(r1, "person_1", "bob", "..", "s");
    CHECK(fc_store_assignment_upsert(s, bad, 2, &err) == FC_ERR_ARG);
    fc_assignment_filter bad_filter = {.clustering_id = "xyz"};
    CHECK(fc_store_assignment_list(s, &bad_filter, &l, &err) == FC_ERR_ARG);
    CHECK_OK(fc_store_assignment_list(s, &by_run, &l, &err), &err);
    CHECK(l.n == 0);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_collections_health_and_faults)
{
    char path[512];
    fx_db_path("collections", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    CHECK_OK(fc_store_health(s, &err), &err);
    CHECK(!strcmp(fc_store_backend_name(s), "sqlite"));

    fx_batch b;
    CHECK(fx_batch_make(&b, "Wedding-2024/Day-1", 0, 2, 2, 16) == 0);
    fc_run_rec done = {0}, open_run = {0};
    snprintf(done.bucket, sizeof done.bucket, "Wedding-2024");
    snprintf(done.sub, sizeof done.sub, "Day-1");
    open_run = done;
    CHECK_OK(fc_store_run_create(s, &done, &err), &err);
    CHECK(!strcmp(done.norm, "wedding_2024_day_1"));
    CHECK_OK(fc_store_run_add_batch(s, done.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &err), &err);
    CHECK_OK(fc_store_run_finish(s, &done, NULL, 0, &err), &err);
    CHECK_OK(fc_store_run_create(s, &open_run, &err), &err); /* running: not counted */
    float v[16];
    fc_profile_rec p = make_profile("alice", v, 16, 1);
    CHECK_OK(fc_store_profile_upsert(s, &p, &err), &err);

    fc_collection_list cl;
    CHECK_OK(fc_store_collection_list(s, &cl, &err), &err);
    CHECK(cl.n == 4);
    CHECK(!strcmp(cl.items[0].name, "cluster_assignments") && cl.items[0].count == 0);
    CHECK(!strcmp(cl.items[1].name, "person_clustering_wedding_2024_day_1") && cl.items[1].count == 1);
    CHECK(cl.items[1].kind == FC_COLL_RUNS && !strcmp(cl.items[1].norm, "wedding_2024_day_1"));
    CHECK(!strcmp(cl.items[2].name, "person_faces_wedding_2024_day_1") && cl.items[2].count == 4);
    CHECK(!strcmp(cl.items[3].name, "user_profiles") && cl.items[3].count == 1);
    fc_collection_list_free(&cl);

    /* an injected fault fails one call without reaching the backend */
    fc_store_fault_inject(s, FC_STORE_OP_PROFILE_COUNT, 1, FC_ERR_IO);
    int64_t n;
    CHECK_OK(fc_store_profile_count(s, &n, &err), &err);
    CHECK(fc_store_profile_count(s, &n, &err) == FC_ERR_IO && strstr(err.msg, "profile_count"));
    CHECK_OK(fc_store_profile_count(s, &n, &err), &err);
    CHECK(n == 1);
    CHECK(!strcmp(fc_store_op_name(FC_STORE_OP_RUN_FINISH), "run_finish"));
    fx_batch_free(&b);
    fc_store_close(s);

    /* the configured backend: a MongoDB that does not answer is a clear error at open,
     * never a silent fallback to SQLite (a closed local port: no DNS, quick refusal) */
    fc_config cfg = {0};
    cfg.mongo_url = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
    cfg.db_path = path;
    CHECK(fc_store_open(&cfg, &err) == NULL && err.code == FC_ERR_IO);
    cfg.mongo_url = NULL;
    s = fc_store_open(&cfg, &err);
    CHECK_MSG(s, "%s", err.msg);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_collection_names)
{
    char norm[FC_NORM_MAX], made[FC_NORM_MAX];
    CHECK(fc_norm_collection("Wedding-2024", "Day-1", made, sizeof made) == 0);
    char name[FC_NORM_MAX + 32];
    snprintf(name, sizeof name, "person_clustering_%s", made);
    CHECK(fc_collection_norm(name, norm, sizeof norm) == 0 && !strcmp(norm, made));
    CHECK(fc_collection_norm("person_faces_b_s", norm, sizeof norm) == 0 && !strcmp(norm, "b_s"));
    CHECK(fc_collection_norm("person_clustering_B_S", norm, sizeof norm) == -1 && norm[0] == '\0');
    CHECK(fc_collection_norm("person_clustering_b-s", norm, sizeof norm) == -1);
    CHECK(fc_collection_norm("person_clustering_bs", norm, sizeof norm) == -1);
    CHECK(fc_collection_norm("person_clustering_", norm, sizeof norm) == -1);
    CHECK(fc_collection_norm("user_profiles", norm, sizeof norm) == -1);
    CHECK(fc_collection_norm("person_clustering_b_s'; DROP TABLE runs;--", norm, sizeof norm) == -1);
    CHECK(fc_collection_norm(NULL, norm, sizeof norm) == -1);
    return FC_TEST_PASS;
}
