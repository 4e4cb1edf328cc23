/* test_heap_store.c - out of memory at every step (sweep.h) in the embedded store:
 * the SQLite metadata backend (a new file: schema created, a run saved with its
 * faces and persons, a profile, all read back), a shared run of one worker (leased,
 * renewed, completed, finish claimed), and the local vector store (points upserted,
 * read and searched). SQLite answers a failed allocation with SQLITE_NOMEM; ours
 * must turn it into a message, leak nothing, and never answer wrongly with FC_OK
 * (the answers are checked: fc_heap_wrong). Every run does the same work: the
 * metadata sweep starts from no file and creates the schema; the other two start
 * from a copy of an empty database, whose schema opening only checks (the schema's
 * creation, swept once, is most of the allocations). */
#include "heap/sweep.h"
#include "test.h"
#include "unit/test_store_fixtures.h"

#include "store/store.h"
#include "store/vectors.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DIM = 32, N_IMAGES = 3, FACES_PER_IMAGE = 2 };
#define N_FACES (N_IMAGES * FACES_PER_IMAGE)

static const char run_id[] = "66d3e1f4a1b2c3d4e5000001";

typedef struct {
    char path[512];
    char empty[512];           /* "": each run creates the file; else a copy of this
                                  database (current schema, no rows) is opened */
    fx_batch batch;            /* 3 images of 2 faces each */
    fc_profile_rec profile;    /* its embedding: face 0's */
    fc_vec_point points[N_FACES];
} store_job;

static void remove_db(const char *path)
{
    char extra[600];
    unlink(path);
    snprintf(extra, sizeof extra, "%s-wal", path);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s-shm", path);
    unlink(extra);
}

/* The file at path as the run starts: none, or a copy of j->empty (read and written
 * in a stack buffer: the copy allocates nothing). 0, or -1 with err set. */
static int fresh_db(const store_job *j, fc_error *err)
{
    remove_db(j->path);
    if (!j->empty[0])
        return 0;
    char buf[8192];
    int in = open(j->empty, O_RDONLY), out = open(j->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n = 0;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0 && write(out, buf, (size_t)n) == n)
        ;
    int ok = in >= 0 && out >= 0 && n == 0;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        ok = 0;
    if (!ok)
        fc_error_set(err, FC_ERR_IO, "copying %s to %s failed", j->empty, j->path);
    return ok ? 0 : -1;
}

/* person "person_{k}" of faces idx[0..n) of the batch, owner the first. */
static fc_person_rec person_of(int k, const fc_face_rec *faces, const int *idx, int n,
                               fc_member_rec *members)
{
    fc_person_rec p = {0};
    snprintf(p.person_id, sizeof p.person_id, "person_%d", k);
    for (int i = 0; i < n; i++) {
        memset(&members[i], 0, sizeof members[i]);
        memcpy(members[i].face_id, faces[idx[i]].face_id, sizeof members[i].face_id);
        members[i].cluster_confidence = 0.9f;
    }
    memcpy(p.owner_face_id, faces[idx[0]].face_id, sizeof p.owner_face_id);
    p.members = members;
    p.n_members = (size_t)n;
    p.owner_embedding = faces[idx[0]].embedding;
    p.centroid = faces[idx[1]].embedding;
    p.dim = DIM;
    p.avg_confidence = 0.85f;
    return p;
}

/* With the store open: a run created, its batch stored, finished with two persons
 * (faces 0, 2, 4 and 1, 3; face 5 unassigned), a profile stored; then the persons,
 * the faces and the profile read back. 1, or 0 with err set. */
static int save_and_read(fc_store *s, const store_job *j, fc_error *err)
{
    const fc_face_rec *faces = j->batch.faces;
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "bucket");
    snprintf(run.sub, sizeof run.sub, "sub");
    memcpy(run.clustering_id, run_id, sizeof run_id);
    run.params = "{\"batch_size\":30}";
    fc_member_rec m0[3], m1[2];
    fc_person_rec persons[2] = {person_of(0, faces, (int[]){0, 2, 4}, 3, m0),
                                person_of(1, faces, (int[]){1, 3}, 2, m1)};
    if (fc_store_run_create(s, &run, err) ||
        fc_store_run_add_batch(s, run.clustering_id, faces, j->batch.n_faces, j->batch.images,
                               j->batch.n_images, err) ||
        fc_store_run_finish(s, &run, persons, 2, err) ||
        fc_store_profile_upsert(s, &j->profile, err))
        return 0;

    fc_person_list pl = {0};
    fc_face_list fl = {0};
    fc_profile_rec got = {0};
    int found = 0, ok = 0;
    if (fc_store_person_list(s, run.clustering_id, NULL, &pl, err))
        goto out;
    if (pl.n != 2 || pl.items[0].n_members != 3 || pl.items[1].n_members != 2 ||
        strcmp(pl.items[0].members[2].face_id, faces[4].face_id) ||
        !pl.items[0].centroid || memcmp(pl.items[0].centroid, faces[2].embedding, DIM * sizeof(float))) {
        fc_heap_wrong("wrong answer: persons of the run");
        goto out;
    }
    if (fc_store_face_list(s, run.clustering_id, NULL, 1, &fl, err))
        goto out;
    if (fl.n != N_FACES || strcmp(fl.items[3].person_id, "person_1") || fl.items[5].person_id[0] ||
        !fl.items[5].embedding || memcmp(fl.items[5].embedding, faces[5].embedding, DIM * sizeof(float))) {
        fc_heap_wrong("wrong answer: faces of the run");
        goto out;
    }
    if (fc_store_profile_get(s, j->profile.user_id, &got, &found, err))
        goto out;
    if (!found || got.dim != DIM || memcmp(got.embedding, j->profile.embedding, DIM * sizeof(float))) {
        fc_heap_wrong("wrong answer: the profile");
        goto out;
    }
    ok = 1;
out:
    fc_person_list_free(&pl);
    fc_face_list_free(&fl);
    fc_profile_rec_clear(&got);
    return ok;
}

/* Opens a new database file (the schema created), saves and reads back, closes. */
static int store_roundtrip(const void *user, fc_error *err)
{
    const store_job *j = user;
    fc_store *s = fresh_db(j, err) ? NULL : fc_store_open_with(&fc_store_sqlite, j->path, err);
    int ok = s && save_and_read(s, j, err);
    fc_store_close(s);
    return ok;
}

/* Opens the local vector store in a copy of the empty database, upserts the points,
 * reads them back and searches with face 0's vector, closes. */
static int vectors_roundtrip(const void *user, fc_error *err)
{
    const store_job *j = user;
    fc_vectors *v = fresh_db(j, err) ? NULL
                                     : fc_vectors_open_with(&fc_vectors_local, j->path,
                                                            "face_embeddings", err);
    fc_vec_list all = {0}, hits = {0};
    fc_vec_filter f = {.clustering_id = run_id};
    int ok = 0;
    if (!v || fc_vectors_upsert(v, j->points, N_FACES, err) ||
        fc_vectors_get(v, &f, 1, &all, err) ||
        fc_vectors_search(v, j->points[0].vector, DIM, 3, &f, &hits, err))
        goto out;
    if (all.n != N_FACES || all.items[5].dim != DIM || strcmp(all.items[5].payload.image_path,
                                                               j->points[5].payload.image_path)) {
        fc_heap_wrong("wrong answer: points read back");
        goto out;
    }
    if (hits.n != 3 || strcmp(hits.items[0].payload.face_id, j->points[0].payload.face_id) ||
        !(hits.items[0].score > 0.999f)) {
        fc_heap_wrong("wrong answer: search");
        goto out;
    }
    ok = 1;
out:
    fc_vec_list_free(&all);
    fc_vec_list_free(&hits);
    fc_vectors_close(v);
    return ok;
}

/* A shared run (docs/workers.md) by one worker, in a copy of the empty database: the
 * run opened with the batch's images, all of them leased, the lease renewed, completed with the
 * faces, the finish claimed, the worker gone. */
static int shared_run(const void *user, fc_error *err)
{
    static const char worker[] = "host:1:1:aaaa";
    const store_job *j = user;
    fc_store *s = fresh_db(j, err) ? NULL : fc_store_open_with(&fc_store_sqlite, j->path, err);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "bucket");
    snprintf(run.sub, sizeof run.sub, "sub");
    char *paths[N_IMAGES];
    for (int i = 0; i < N_IMAGES; i++)
        paths[i] = j->batch.images[i].image_path;
    fc_lease lease = {0};
    int joined = 1, committed = 0, claimed = 0, ok = 0;
    int64_t held = 0;
    if (!s || fc_store_run_open_shared(s, &run, paths, N_IMAGES, &joined, err) ||
        fc_store_lease_claim(s, run.clustering_id, worker, N_IMAGES, 60000, &lease, err) ||
        fc_store_lease_heartbeat(s, run.clustering_id, worker, 60000, &held, err))
        goto out;
    if (joined || lease.n != N_IMAGES || held != N_IMAGES) {
        fc_heap_wrong("wrong answer: the leases");
        goto out;
    }
    if (fc_store_lease_complete(s, run.clustering_id, worker, j->batch.faces, j->batch.n_faces,
                                j->batch.images, j->batch.n_images, &committed, err) ||
        fc_store_run_claim_finish(s, run.clustering_id, worker, 60000, &claimed, err) ||
        fc_store_lease_release(s, run.clustering_id, worker, err))
        goto out;
    if (!committed || !claimed) {
        fc_heap_wrong("wrong answer: the completion or the finish claim");
        goto out;
    }
    ok = 1;
out:
    fc_lease_clear(&lease);
    fc_store_close(s);
    return ok;
}

/* The batch's faces, a profile and the faces as vector points. */
static int make_job(store_job *j, const char *name)
{
    memset(j, 0, sizeof *j);
    fx_db_path(name, j->path, sizeof j->path);
    if (fx_batch_make(&j->batch, "bucket/sub", 0, N_IMAGES, FACES_PER_IMAGE, DIM))
        return -1;
    snprintf(j->profile.user_id, sizeof j->profile.user_id, "alice");
    j->profile.embedding = j->batch.faces[0].embedding;
    j->profile.dim = DIM;
    snprintf(j->profile.embedding_model, sizeof j->profile.embedding_model, "mobilefacenet");
    for (int i = 0; i < N_FACES; i++) {
        const fc_face_rec *face = &j->batch.faces[i];
        fc_vec_point *p = &j->points[i];
        memcpy(p->payload.face_id, face->face_id, sizeof p->payload.face_id);
        memcpy(p->payload.clustering_id, run_id, sizeof run_id);
        snprintf(p->payload.bucket_name, sizeof p->payload.bucket_name, "bucket");
        snprintf(p->payload.sub_bucket, sizeof p->payload.sub_bucket, "sub");
        p->payload.image_path = face->image_path;
        p->vector = face->embedding;
        p->dim = DIM;
    }
    return 0;
}

/* Sweeps op; with from_empty, each run opens a copy of a database made here (the
 * schema exists: opening checks its version), else each run creates the file. */
static int sweep_job(const char *name, int from_empty, const char *what, fc_heap_op op)
{
    static store_job j;
    fc_error err = {0};
    int rc = FC_TEST_PASS;
    if (make_job(&j, name))
        rc = fc_test_fail(__FILE__, __LINE__, "making the batch");
    if (!rc && from_empty) {
        char empty_name[64];
        snprintf(empty_name, sizeof empty_name, "%s_empty", name);
        fx_db_path(empty_name, j.empty, sizeof j.empty);
        fc_store *s = fc_store_open_with(&fc_store_sqlite, j.empty, &err);
        if (!s)
            rc = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
        fc_store_close(s); /* the last connection: the WAL is checkpointed into the file */
    }
    if (!rc)
        rc = fc_heap_sweep(what, op, &j);
    remove_db(j.path);
    if (j.empty[0])
        remove_db(j.empty);
    fx_batch_free(&j.batch);
    return rc;
}

TEST(heap_sqlite_store_survives_each_allocation_failing)
{
    return sweep_job("heap_store", 0, "the SQLite store: a new file, a run saved and read back",
                     store_roundtrip);
}

TEST(heap_local_vectors_survive_each_allocation_failing)
{
    return sweep_job("heap_vectors", 1, "the local vectors: points upserted, read, searched",
                     vectors_roundtrip);
}

TEST(heap_sqlite_shared_run_survives_each_allocation_failing)
{
    return sweep_job("heap_shared", 1, "a shared run: leased, renewed, completed, finish claimed",
                     shared_run);
}
