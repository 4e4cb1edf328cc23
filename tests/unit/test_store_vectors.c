/* test_store_vectors.c - the local vector store: typed payloads round-trip, vectors
 * come back normalised, upserts replace, filters count and delete, the search
 * agrees with a brute-force cosine ranking, dimensions are enforced. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"
#include "store/vectors.h"

#include <stdlib.h>
#include <string.h>

#define DIM 48
#define N_POINTS 60

static const char *const runs[2] = {"66d3e1f4a1b2c3d4e5000001", "66d3e1f4a1b2c3d4e5000002"};

/* Point i: run i % 2, person i % 5, raw (unnormalised) vector fx_vector(seed i) * (1 + i). */
static void make_point(fc_vec_point *p, int i, float *vec, char *path, size_t path_size)
{
    memset(p, 0, sizeof *p);
    fc_vec_payload *pl = &p->payload;
    fc_uuid4_new(pl->face_id, NULL);
    snprintf(pl->clustering_id, sizeof pl->clustering_id, "%s", runs[i % 2]);
    snprintf(pl->person_id, sizeof pl->person_id, "person_%d", i % 5);
    snprintf(pl->bucket_name, sizeof pl->bucket_name, "%s", i % 2 ? "b2" : "b1");
    snprintf(pl->sub_bucket, sizeof pl->sub_bucket, "s");
    snprintf(path, path_size, "%s/s/img_%d.jpg", i % 2 ? "b2" : "b1", i);
    pl->image_path = path;
    pl->is_owner_face = i % 5 == 0;
    pl->bbox[0] = i, pl->bbox[1] = 2 * i, pl->bbox[2] = 40 + i, pl->bbox[3] = 50 + i;
    pl->confidence = 0.5f + 0.005f * (float)i;
    pl->quality_score = 0.25f;
    pl->cluster_confidence = 0.75f;
    fx_vector(vec, DIM, (unsigned)i);
    for (int k = 0; k < DIM; k++)
        vec[k] *= (float)(1 + i);
    p->vector = vec;
    p->dim = DIM;
}

typedef struct {
    fc_vec_point points[N_POINTS];
    float vecs[N_POINTS][DIM];
    char paths[N_POINTS][64];
} point_set;

static fc_vectors *open_filled(const char *name, point_set *ps, char *path, size_t size)
{
    fx_db_path(name, path, size);
    fc_error err = {0};
    fc_vectors *v = fc_vectors_open_with(&fc_vectors_local, path, "face_embeddings", &err);
    if (!v) {
        printf("  %s\n", err.msg);
        return NULL;
    }
    for (int i = 0; i < N_POINTS; i++)
        make_point(&ps->points[i], i, ps->vecs[i], ps->paths[i], sizeof ps->paths[i]);
    if (fc_vectors_upsert(v, ps->points, N_POINTS, &err)) {
        printf("  %s\n", err.msg);
        fc_vectors_close(v);
        return NULL;
    }
    return v;
}

static double cosine(const float *a, const float *b, int n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++)
        ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return ab / sqrt(aa * bb);
}

TEST(store_vectors_payload_roundtrip_and_filters)
{
    static point_set ps;
    char path[512];
    fc_vectors *v = open_filled("vectors", &ps, path, sizeof path);
    CHECK(v);
    fc_error err = {0};
    CHECK_OK(fc_vectors_health(v, &err), &err);
    CHECK(!strcmp(fc_vectors_backend_name(v), "local"));
    int64_t n;
    CHECK_OK(fc_vectors_count(v, NULL, &n, &err), &err);
    CHECK(n == N_POINTS);
    fc_vec_filter by_run = {.clustering_id = "66D3E1F4A1B2C3D4E5000002"};
    CHECK_OK(fc_vectors_count(v, &by_run, &n, &err), &err);
    CHECK(n == N_POINTS / 2);
    fc_vec_filter by_person = {.clustering_id = runs[0], .person_id = "person_0"};
    CHECK_OK(fc_vectors_count(v, &by_person, &n, &err), &err);
    CHECK(n == 6); /* i = 0, 10, 20, ... 50 */
    fc_vec_filter by_bucket = {.bucket_name = "b1", .sub_bucket = "s"};
    CHECK_OK(fc_vectors_count(v, &by_bucket, &n, &err), &err);
    CHECK(n == N_POINTS / 2);

    fc_vec_list l;
    CHECK_OK(fc_vectors_get(v, &by_run, 1, &l, &err), &err);
    CHECK(l.n == N_POINTS / 2);
    const fc_vec_point *p = &l.items[2]; /* point 5 */
    const fc_vec_payload *want = &ps.points[5].payload;
    CHECK(!strcmp(p->payload.face_id, want->face_id) && !strcmp(p->payload.clustering_id, runs[1]));
    CHECK(!strcmp(p->payload.person_id, "person_0") && p->payload.is_owner_face == 1);
    CHECK(!strcmp(p->payload.image_path, "b2/s/img_5.jpg") && !strcmp(p->payload.bucket_name, "b2"));
    CHECK(p->payload.bbox[0] == 5 && p->payload.bbox[3] == 55);
    CHECK(p->payload.confidence == want->confidence && p->payload.cluster_confidence == 0.75f);
    /* stored normalised, direction kept */
    CHECK(p->dim == DIM && p->vector);
    double len = 0;
    for (int k = 0; k < DIM; k++)
        len += (double)p->vector[k] * p->vector[k];
    CHECK_NEAR(len, 1.0, 1e-5);
    CHECK_NEAR(cosine(p->vector, ps.vecs[5], DIM), 1.0, 1e-6);
    fc_vec_list_free(&l);
    CHECK_OK(fc_vectors_get(v, &by_person, 0, &l, &err), &err);
    CHECK(l.n == 6 && l.items[0].vector == NULL);
    fc_vec_list_free(&l);

    /* an upsert replaces by face_id */
    fc_vec_point again = ps.points[5];
    snprintf(again.payload.person_id, sizeof again.payload.person_id, "person_9");
    again.payload.is_owner_face = 0;
    CHECK_OK(fc_vectors_upsert(v, &again, 1, &err), &err);
    CHECK_OK(fc_vectors_count(v, NULL, &n, &err), &err);
    CHECK(n == N_POINTS);
    fc_vec_filter p9 = {.person_id = "person_9"};
    CHECK_OK(fc_vectors_get(v, &p9, 0, &l, &err), &err);
    CHECK(l.n == 1 && !strcmp(l.items[0].payload.face_id, want->face_id) && !l.items[0].payload.is_owner_face);
    fc_vec_list_free(&l);

    /* deletes by filter; never everything by accident */
    int64_t deleted;
    CHECK(fc_vectors_delete(v, NULL, &deleted, &err) == FC_ERR_ARG);
    fc_vec_filter none = {0};
    CHECK(fc_vectors_delete(v, &none, &deleted, &err) == FC_ERR_ARG);
    CHECK_OK(fc_vectors_delete(v, &by_person, &deleted, &err), &err);
    CHECK(deleted == 6);
    CHECK_OK(fc_vectors_delete_run(v, runs[1], &deleted, &err), &err);
    CHECK(deleted == N_POINTS / 2);
    CHECK_OK(fc_vectors_count(v, NULL, &n, &err), &err);
    CHECK(n == N_POINTS / 2 - 6);
    CHECK(fc_vectors_delete_run(v, "nope", &deleted, &err) == FC_ERR_ARG);
    fc_vectors_close(v);

    /* another collection in the same file sees none of them */
    v = fc_vectors_open_with(&fc_vectors_local, path, "other_collection", &err);
    CHECK_MSG(v, "%s", err.msg);
    CHECK_OK(fc_vectors_count(v, NULL, &n, &err), &err);
    CHECK(n == 0);
    fc_vectors_close(v);
    return FC_TEST_PASS;
}

TEST(store_vectors_search_matches_brute_force)
{
    static point_set ps;
    char path[512];
    fc_vectors *v = open_filled("vectors_search", &ps, path, sizeof path);
    CHECK(v);
    fc_error err = {0};
    float query[DIM];
    fx_vector(query, DIM, 12345);
    for (int k = 0; k < DIM; k++)
        query[k] *= 3.0f; /* any length */

    /* the expected ranking among run 0's points */
    int order[N_POINTS / 2];
    double score[N_POINTS];
    for (int i = 0; i < N_POINTS; i++)
        score[i] = cosine(query, ps.vecs[i], DIM);
    for (int i = 0; i < N_POINTS / 2; i++)
        order[i] = 2 * i;
    for (int i = 0; i < N_POINTS / 2; i++) /* selection sort, best first */
        for (int j = i + 1; j < N_POINTS / 2; j++)
            if (score[order[j]] > score[order[i]]) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }

    fc_vec_filter by_run = {.clustering_id = runs[0]};
    fc_vec_list hits;
    CHECK_OK(fc_vectors_search(v, query, DIM, 7, &by_run, &hits, &err), &err);
    CHECK(hits.n == 7);
    for (size_t i = 0; i < hits.n; i++) {
        CHECK_MSG(!strcmp(hits.items[i].payload.face_id, ps.points[order[i]].payload.face_id),
                  "hit %zu is not point %d", i, order[i]);
        CHECK_NEAR(hits.items[i].score, score[order[i]], 1e-5);
        CHECK(!strcmp(hits.items[i].payload.clustering_id, runs[0]) && hits.items[i].vector == NULL);
        CHECK(i == 0 || hits.items[i].score <= hits.items[i - 1].score);
    }
    fc_vec_list_free(&hits);

    /* a point's own vector finds it first, at similarity 1 */
    CHECK_OK(fc_vectors_search(v, ps.vecs[17], DIM, 3, NULL, &hits, &err), &err);
    CHECK(hits.n == 3 && !strcmp(hits.items[0].payload.face_id, ps.points[17].payload.face_id));
    CHECK_NEAR(hits.items[0].score, 1.0, 1e-5);
    CHECK(!strcmp(hits.items[0].payload.image_path, "b2/s/img_17.jpg"));
    fc_vec_list_free(&hits);

    /* k past the matches gives them all; k = 0 none; no match none */
    CHECK_OK(fc_vectors_search(v, query, DIM, 1000, &by_run, &hits, &err), &err);
    CHECK(hits.n == N_POINTS / 2);
    fc_vec_list_free(&hits);
    CHECK_OK(fc_vectors_search(v, query, DIM, 0, NULL, &hits, &err), &err);
    CHECK(hits.n == 0);
    fc_vec_filter nobody = {.person_id = "person_77"};
    CHECK_OK(fc_vectors_search(v, query, DIM, 5, &nobody, &hits, &err), &err);
    CHECK(hits.n == 0);

    /* ties: identical vectors rank in insertion order */
    fc_vec_point twins[2];
    float tv[2][DIM];
    char tp[2][64];
    for (int i = 0; i < 2; i++) {
        make_point(&twins[i], 100 + i, tv[i], tp[i], sizeof tp[i]);
        fx_vector(tv[i], DIM, 4242);
        snprintf(twins[i].payload.person_id, sizeof twins[i].payload.person_id, "twin");
    }
    CHECK_OK(fc_vectors_upsert(v, twins, 2, &err), &err);
    fc_vec_filter tw = {.person_id = "twin"};
    CHECK_OK(fc_vectors_search(v, tv[0], DIM, 2, &tw, &hits, &err), &err);
    CHECK(hits.n == 2 && !strcmp(hits.items[0].payload.face_id, twins[0].payload.face_id));
    fc_vec_list_free(&hits);
    fc_vectors_close(v);
    return FC_TEST_PASS;
}

TEST(store_vectors_dimensions_and_bad_input)
{
    char path[512];
    fx_db_path("vectors_dims", path, sizeof path);
    fc_error err = {0};
    fc_vectors *v = fc_vectors_open_with(&fc_vectors_local, path, "faces", &err);
    CHECK_MSG(v, "%s", err.msg);
    float q[DIM];
    fx_vector(q, DIM, 1);
    fc_vec_list hits;
    CHECK_OK(fc_vectors_search(v, q, DIM, 5, NULL, &hits, &err), &err); /* no collection yet */
    CHECK(hits.n == 0);
    CHECK_OK(fc_vectors_ensure(v, DIM, &err), &err);
    CHECK_OK(fc_vectors_ensure(v, DIM, &err), &err);
    CHECK(fc_vectors_ensure(v, 128, &err) == FC_ERR_ARG && strstr(err.msg, "dimension"));
    CHECK(fc_vectors_ensure(v, 0, &err) == FC_ERR_ARG);

    fc_vec_point pts[3];
    float vecs[3][DIM];
    char paths[3][64];
    for (int i = 0; i < 3; i++)
        make_point(&pts[i], i, vecs[i], paths[i], sizeof paths[i]);
    pts[2].dim = DIM - 1; /* the batch fails whole */
    CHECK(fc_vectors_upsert(v, pts, 3, &err) == FC_ERR_ARG && strstr(err.msg, "dimension"));
    int64_t n;
    CHECK_OK(fc_vectors_count(v, NULL, &n, &err), &err);
    CHECK(n == 0);
    pts[2].dim = DIM;
    memset(vecs[2], 0, sizeof vecs[2]);
    CHECK(fc_vectors_upsert(v, pts, 3, &err) == FC_ERR_ARG && strstr(err.msg, "zero"));
    fx_vector(vecs[2], DIM, 2);
    snprintf(pts[2].payload.face_id, sizeof pts[2].payload.face_id, "not-a-uuid");
    CHECK(fc_vectors_upsert(v, pts, 3, &err) == FC_ERR_ARG);
    fc_uuid4_new(pts[2].payload.face_id, NULL);
    snprintf(pts[2].payload.bucket_name, sizeof pts[2].payload.bucket_name, "..");
    CHECK(fc_vectors_upsert(v, pts, 3, &err) == FC_ERR_ARG);
    snprintf(pts[2].payload.bucket_name, sizeof pts[2].payload.bucket_name, "b");
    CHECK_OK(fc_vectors_upsert(v, pts, 3, &err), &err);

    float longer[DIM + 1];
    fx_vector(longer, DIM + 1, 3);
    CHECK(fc_vectors_search(v, longer, DIM + 1, 5, NULL, &hits, &err) == FC_ERR_ARG);
    float zero[DIM] = {0};
    CHECK(fc_vectors_search(v, zero, DIM, 5, NULL, &hits, &err) == FC_ERR_ARG);
    CHECK(fc_vectors_search(v, NULL, DIM, 5, NULL, &hits, &err) == FC_ERR_ARG);
    fc_vec_filter bad = {.clustering_id = "xyz"};
    CHECK(fc_vectors_count(v, &bad, &n, &err) == FC_ERR_ARG);

    /* faults go through the same hooks as the metadata store's */
    fc_vectors_fault_inject(v, FC_VECTORS_OP_SEARCH, 0, FC_ERR_IO);
    CHECK(fc_vectors_search(v, q, DIM, 5, NULL, &hits, &err) == FC_ERR_IO);
    CHECK_OK(fc_vectors_search(v, q, DIM, 5, NULL, &hits, &err), &err);
    CHECK(hits.n == 3);
    fc_vec_list_free(&hits);
    fc_vectors_close(v);

    fc_config cfg = {0};
    cfg.db_path = path;
    cfg.qdrant_url = "http://127.0.0.1:9"; /* nothing listens: a clear error, no fallback */
    cfg.qdrant_collection = "face_embeddings";
    CHECK(fc_vectors_open(&cfg, &err) == NULL && err.code == FC_ERR_IO);
    cfg.qdrant_url = NULL;
    v = fc_vectors_open(&cfg, &err);
    CHECK_MSG(v, "%s", err.msg);
    fc_vectors_close(v);
    return FC_TEST_PASS;
}

TEST(store_vectors_share_the_file_with_the_metadata_store)
{
    char path[512];
    fx_db_path("vectors_shared", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_error err = {0};
    fc_vectors *v = fc_vectors_open_with(&fc_vectors_local, path, "face_embeddings", &err);
    CHECK_MSG(v, "%s", err.msg);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    fx_batch b;
    CHECK(fx_batch_make(&b, "b/s", 0, 3, 2, DIM) == 0);
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &err), &err);
    /* the pipeline's step after a batch: its vectors, with the same face ids */
    fc_vec_point pts[6];
    for (size_t i = 0; i < b.n_faces; i++) {
        memset(&pts[i], 0, sizeof pts[i]);
        memcpy(pts[i].payload.face_id, b.faces[i].face_id, sizeof pts[i].payload.face_id);
        memcpy(pts[i].payload.clustering_id, run.clustering_id, sizeof run.clustering_id);
        pts[i].payload.image_path = b.faces[i].image_path;
        pts[i].vector = b.faces[i].embedding;
        pts[i].dim = DIM;
    }
    CHECK_OK(fc_vectors_upsert(v, pts, b.n_faces, &err), &err);
    CHECK_OK(fc_store_run_finish(s, &run, NULL, 0, &err), &err);
    /* /verify-storage: the same face ids on both sides */
    fc_face_list faces;
    fc_vec_list l;
    fc_vec_filter f = {.clustering_id = run.clustering_id};
    CHECK_OK(fc_store_face_list(s, run.clustering_id, NULL, 0, &faces, &err), &err);
    CHECK_OK(fc_vectors_get(v, &f, 0, &l, &err), &err);
    CHECK(faces.n == 6 && l.n == 6);
    for (size_t i = 0; i < 6; i++)
        CHECK(!strcmp(faces.items[i].face_id, l.items[i].payload.face_id));
    fc_face_list_free(&faces);
    fc_vec_list_free(&l);
    /* deleting the run's metadata leaves its vectors to their own call */
    int64_t n;
    int deleted;
    CHECK_OK(fc_store_run_delete(s, run.clustering_id, &n, &deleted, &err), &err);
    CHECK_OK(fc_vectors_count(v, &f, &n, &err), &err);
    CHECK(n == 6);
    CHECK_OK(fc_vectors_delete_run(v, run.clustering_id, &n, &err), &err);
    CHECK(n == 6);
    fx_batch_free(&b);
    fc_vectors_close(v);
    fc_store_close(s);
    return FC_TEST_PASS;
}
