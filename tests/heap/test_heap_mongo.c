/* test_heap_mongo.c - out of memory at every step (sweep.h) in what the MongoDB
 * backend does without a server with the persons of a run (mongo_persons.c,
 * mongo_spill.c): a finish's persons checked against the run's faces, persons'
 * members grouped from their faces read back, and persons read from a run
 * document's person_clusters. A run that succeeds must give the answer of a run
 * without failures (else fc_heap_wrong). */
#include "heap/sweep.h"
#include "test.h"

#include "store/mongo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_FACES = 8, N_PERSONS = 3, SIZE = 2 };

/* Faces 0..N_FACES-1 of a run: face f on "img_{f}.jpg", of "person_{f % N_PERSONS}"
 * when f < N_PERSONS * SIZE (ordered by person, then member), else of none. */
static fc_status make_faces(fc_face_list *l, fc_error *err)
{
    l->items = calloc(N_FACES, sizeof *l->items);
    if (!l->items)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    l->n = N_FACES;
    for (int k = 0; k < N_FACES; k++) {
        int f = k < N_PERSONS * SIZE ? (k % SIZE) * N_PERSONS + k / SIZE : k; /* by person */
        fc_face_rec *r = &l->items[k];
        char path[32];
        snprintf(r->face_id, sizeof r->face_id, "00000000-0000-4000-8000-%012d", f);
        snprintf(path, sizeof path, "img_%d.jpg", f);
        if (f < N_PERSONS * SIZE)
            snprintf(r->person_id, sizeof r->person_id, "person_%d", f % N_PERSONS);
        r->confidence = (float)f;
        if (!(r->image_path = strdup(path))) {
            fc_face_list_free(l);
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        }
    }
    return FC_OK;
}

typedef struct {
    fc_face_list faces;
    fc_person_rec persons[N_PERSONS];
    fc_member_rec members[N_PERSONS * SIZE];
} persons_job;

static int finish_check(const void *user, fc_error *err)
{
    const persons_job *j = user;
    fc_mongo_finish_plan plan;
    int ok = !fc_mongo_finish_check("66d3e1f4a1b2c3d4e5000001", &j->faces, j->persons, N_PERSONS,
                                    &plan, err);
    if (ok && (plan.n_unassigned != N_FACES - N_PERSONS * SIZE ||
               plan.persons[2].members[1].image_path == NULL ||
               strcmp(plan.persons[2].members[1].image_path, "img_5.jpg") != 0))
        ok = fc_heap_wrong("wrong plan: %zu unassigned", plan.n_unassigned);
    fc_mongo_finish_plan_free(&plan);
    return ok;
}

static int person_members(const void *user, fc_error *err)
{
    (void)user;
    fc_face_list faces = {0};
    fc_person_rec ps[N_PERSONS + 1];
    memset(ps, 0, sizeof ps);
    for (int i = 0; i < N_PERSONS; i++)
        snprintf(ps[i].person_id, sizeof ps[i].person_id, "person_%d", i);
    snprintf(ps[N_PERSONS].person_id, sizeof ps[N_PERSONS].person_id, "person_1"); /* twice */
    int ok = !make_faces(&faces, err) && !fc_mongo_person_members(ps, N_PERSONS + 1, &faces, err);
    if (ok && (ps[1].n_members != SIZE || ps[N_PERSONS].n_members != SIZE ||
               strcmp(ps[N_PERSONS].members[1].image_path, "img_4.jpg") != 0 ||
               strcmp(ps[1].members[0].face_id, "00000000-0000-4000-8000-000000000001") != 0))
        ok = fc_heap_wrong("wrong members: %zu, %zu", ps[1].n_members, ps[N_PERSONS].n_members);
    for (int i = 0; i <= N_PERSONS; i++)
        fc_person_rec_clear(&ps[i]);
    fc_face_list_free(&faces);
    return ok;
}

/* The persons of a finished run document (user: the bson_t), with vectors. */
static int persons_read(const void *user, fc_error *err)
{
    fc_person_list pl = {0};
    int ok = !fc_mongo_persons_read(NULL, user, "66d3e1f4a1b2c3d4e5000001", NULL, &pl, err);
    if (ok && (pl.n != N_PERSONS || pl.items[2].dim != 4 || pl.items[2].centroid[3] != 3 ||
               strcmp(pl.items[2].person_id, "person_2") != 0))
        ok = fc_heap_wrong("wrong persons: %zu", pl.n);
    fc_person_list_free(&pl);
    return ok;
}

TEST(heap_mongo_persons)
{
    persons_job j;
    fc_error err = {0};
    memset(&j, 0, sizeof j);
    CHECK_OK(make_faces(&j.faces, &err), &err);
    for (int p = 0; p < N_PERSONS; p++) {
        fc_person_rec *pr = &j.persons[p];
        snprintf(pr->person_id, sizeof pr->person_id, "person_%d", p);
        pr->members = j.members + p * SIZE;
        pr->n_members = SIZE;
        for (int k = 0; k < SIZE; k++) /* the faces p, p + N_PERSONS */
            memcpy(pr->members[k].face_id, j.faces.items[p * SIZE + k].face_id, sizeof(fc_face_id));
        memcpy(pr->owner_face_id, pr->members[0].face_id, sizeof pr->owner_face_id);
    }
    int r = fc_heap_sweep("fc_mongo_finish_check", finish_check, &j);
    if (r == FC_TEST_PASS)
        r = fc_heap_sweep("fc_mongo_person_members", person_members, NULL);
    /* a run document with the persons inline, built before the sweep (libbson
       aborts when out of memory) */
    float v[4] = {0, 1, 2, 3};
    fc_run_rec run = {0};
    for (int p = 0; p < N_PERSONS; p++) {
        j.persons[p].centroid = j.persons[p].owner_embedding = v;
        j.persons[p].dim = 4;
    }
    bson_t upd, set, done = BSON_INITIALIZER;
    bson_iter_t it;
    uint32_t len;
    const uint8_t *data;
    fc_mongo_run_finish_update(&run, j.persons, N_PERSONS, NULL, 0, 1, N_FACES, 0, NULL, &upd);
    if (bson_iter_init_find(&it, &upd, "$set") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
        if (bson_init_static(&set, data, len))
            bson_concat(&done, &set);
    }
    if (r == FC_TEST_PASS)
        r = fc_heap_sweep("fc_mongo_persons_read", persons_read, &done);
    bson_destroy(&done);
    bson_destroy(&upd);
    fc_face_list_free(&j.faces);
    return r;
}
