/* test_store_mongo_persons.c - the persons of a run on the MongoDB backend, without
 * a server (mongo_persons.c): a finish's persons checked against the run's faces
 * (members completed, unassigned faces, every refusal with its message), linear in
 * the size of an event (50k faces are checked in a small multiple of the CPU time
 * it takes to make them); the member updates grouped into bulk writes, and a failed
 * bulk write reported. */
#include "test.h"

#include "store/mongo_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUN "66d3e1f4a1b2c3d4e5000001"
#define MAX_RATIO 20.0 /* CPU time of the check / CPU time of making the faces */

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A UUID-looking face_id for face i, spread like random ones (splitmix64). */
static void face_id_of(size_t i, fc_face_id out)
{
    uint64_t z = (uint64_t)i + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    snprintf(out, sizeof(fc_face_id), "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(z >> 32),
             (unsigned)(z >> 16) & 0xffff, (unsigned)z & 0xfff, (unsigned)(i >> 48) & 0xfff,
             (unsigned long long)(i & 0xffffffffffffull));
}

/* n faces of run RUN: face i on image "img_{i / 2}.jpg", confidence i / n. */
static int make_faces(fc_face_list *l, size_t n)
{
    l->items = calloc(n ? n : 1, sizeof *l->items);
    if (!l->items)
        return -1;
    l->n = n;
    for (size_t i = 0; i < n; i++) {
        fc_face_rec *f = &l->items[i];
        char path[32];
        face_id_of(i, f->face_id);
        snprintf(f->clustering_id, sizeof f->clustering_id, RUN);
        snprintf(path, sizeof path, "img_%zu.jpg", i / 2);
        if (!(f->image_path = strdup(path)))
            return -1;
        f->confidence = (float)i / (float)n;
        f->quality_score = 0.5f;
    }
    return 0;
}

/* n_persons persons "person_{p}" of size members each: person p has the faces
 * p, p + n_persons, p + 2 n_persons, ... (spread over the run), its owner the last.
 * members[] holds n_persons * size records. */
static void make_persons(fc_person_rec *ps, fc_member_rec *members, size_t n_persons, size_t size,
                         const fc_face_list *faces)
{
    for (size_t p = 0; p < n_persons; p++) {
        fc_person_rec *pr = &ps[p];
        snprintf(pr->person_id, sizeof pr->person_id, "person_%zu", p);
        pr->members = members + p * size;
        pr->n_members = size;
        for (size_t k = 0; k < size; k++) {
            fc_member_rec *m = &pr->members[k];
            memcpy(m->face_id, faces->items[p + k * n_persons].face_id, sizeof m->face_id);
            m->cluster_confidence = 0.75f;
        }
        memcpy(pr->owner_face_id, pr->members[size - 1].face_id, sizeof pr->owner_face_id);
    }
}

/* The check's message for persons, or "" when it passes. */
static const char *refusal(const fc_face_list *faces, const fc_person_rec *ps, size_t n,
                           fc_error *err)
{
    fc_mongo_finish_plan plan;
    fc_status rc = fc_mongo_finish_check(RUN, faces, ps, n, &plan, err);
    fc_mongo_finish_plan_free(&plan);
    if (rc == FC_OK)
        return "";
    return rc == FC_ERR_ARG ? err->msg : "(not FC_ERR_ARG)";
}

TEST(mongo_finish_check_completes_members_and_refuses_bad_persons)
{
    fc_face_list faces = {0};
    fc_person_rec ps[2];
    fc_member_rec members[4];
    fc_error err = {0};
    fc_mongo_finish_plan plan;
    memset(ps, 0, sizeof ps);
    memset(members, 0, sizeof members);
    CHECK(make_faces(&faces, 6) == 0);
    make_persons(ps, members, 2, 2, &faces); /* person_0: faces 0, 2; person_1: 1, 3 */
    CHECK_OK(fc_mongo_finish_check(RUN, &faces, ps, 2, &plan, &err), &err);
    CHECK(plan.n_persons == 2 && plan.persons[1].n_members == 2);
    const fc_member_rec *m = &plan.persons[1].members[1];
    CHECK(!strcmp(m->face_id, faces.items[3].face_id) && m->image_path == faces.items[3].image_path);
    CHECK(m->confidence == faces.items[3].confidence && m->cluster_confidence == 0.75f);
    CHECK(!strcmp(plan.persons[0].person_id, "person_0") && plan.persons[0].members != ps[0].members);
    CHECK(plan.n_unassigned == 2 && plan.unassigned[0] == faces.items[4].face_id &&
          plan.unassigned[1] == faces.items[5].face_id);
    fc_mongo_finish_plan_free(&plan);

    char want[256];
    /* a person twice */
    snprintf(ps[1].person_id, sizeof ps[1].person_id, "person_0");
    CHECK_MSG(!strcmp(refusal(&faces, ps, 2, &err), "person person_0 appears twice"), "%s", err.msg);
    snprintf(ps[1].person_id, sizeof ps[1].person_id, "person_1");
    /* a face in two persons */
    memcpy(members[3].face_id, members[0].face_id, sizeof members[3].face_id);
    snprintf(want, sizeof want, "person person_1: face %s is not a face of run " RUN
             ", or is in two persons", members[0].face_id);
    CHECK_MSG(!strcmp(refusal(&faces, ps, 2, &err), want), "%s", err.msg);
    /* a face of no run: the face_id as stored, not another spelling of it */
    snprintf(members[3].face_id, sizeof members[3].face_id, "5c56c793-69f3-4fbf-87e6-c4bf54c28c26");
    snprintf(want, sizeof want, "person person_1: face %s is not a face of run " RUN
             ", or is in two persons", members[3].face_id);
    CHECK_MSG(!strcmp(refusal(&faces, ps, 2, &err), want), "%s", err.msg);
    /* nor another case: the writes select faces by the face_id as stored, so a
       member matched regardless of case was written to no face (as SQLite, refused) */
    memcpy(members[3].face_id, faces.items[3].face_id, sizeof members[3].face_id);
    for (char *c = members[3].face_id; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c);
    snprintf(want, sizeof want, "person person_1: face %s is not a face of run " RUN
             ", or is in two persons", members[3].face_id);
    CHECK_MSG(strcmp(members[3].face_id, faces.items[3].face_id) != 0 &&
                  !strcmp(refusal(&faces, ps, 2, &err), want), "%s", err.msg);
    memcpy(members[3].face_id, faces.items[3].face_id, sizeof members[3].face_id);
    /* an owner that is not a member */
    memcpy(ps[1].owner_face_id, faces.items[5].face_id, sizeof ps[1].owner_face_id);
    snprintf(want, sizeof want, "person person_1: owner face %s is not one of its members",
             faces.items[5].face_id);
    CHECK_MSG(!strcmp(refusal(&faces, ps, 2, &err), want), "%s", err.msg);
    ps[1].owner_face_id[0] = '\0'; /* no owner: fine */
    CHECK_MSG(!strcmp(refusal(&faces, ps, 2, &err), ""), "%s", err.msg);
    /* no persons: every face unassigned */
    CHECK_OK(fc_mongo_finish_check(RUN, &faces, NULL, 0, &plan, &err), &err);
    CHECK(plan.n_persons == 0 && plan.n_unassigned == 6);
    fc_mongo_finish_plan_free(&plan);
    fc_face_list_free(&faces);
    return FC_TEST_PASS;
}

/* faces faces in n_persons persons of size members: checked, timed against making
 * the faces. 0, or -1 after printing why. */
static int check_scale(size_t n_faces, size_t n_persons, size_t size, double *t_make,
                       double *t_check)
{
    fc_face_list faces = {0};
    fc_person_rec *ps = calloc(n_persons, sizeof *ps);
    fc_member_rec *members = calloc(n_persons * size, sizeof *members);
    fc_mongo_finish_plan plan = {0};
    fc_error err = {0};
    int rc = -1;
    double t0 = cpu_s();
    if (!ps || !members || make_faces(&faces, n_faces))
        goto out;
    *t_make = cpu_s() - t0;
    make_persons(ps, members, n_persons, size, &faces);
    t0 = cpu_s();
    fc_status st = fc_mongo_finish_check(RUN, &faces, ps, n_persons, &plan, &err);
    *t_check = cpu_s() - t0;
    if (st)
        printf("  check: %s\n", err.msg);
    else if (plan.n_unassigned != n_faces - n_persons * size)
        printf("  %zu unassigned faces, expected %zu\n", plan.n_unassigned, n_faces - n_persons * size);
    else
        rc = 0;
out:
    fc_mongo_finish_plan_free(&plan);
    fc_face_list_free(&faces);
    free(ps);
    free(members);
    return rc;
}

TEST(mongo_finish_check_linear_in_faces)
{
    double t_make = 0, t_check = 0;
    CHECK(check_scale(50000, 9000, 5, &t_make, &t_check) == 0);
    printf("  50k faces in 9k persons of 5: making the faces %.3f s CPU, the check %.3f s\n",
           t_make, t_check);
    CHECK_MSG(t_check < MAX_RATIO * t_make, "the check took %.2f s, %.0fx making the faces",
              t_check, t_check / t_make);
    return FC_TEST_PASS;
}

TEST(mongo_finish_check_linear_in_persons)
{
    double t_make = 0, t_check = 0;
    CHECK(check_scale(50000, 50000, 1, &t_make, &t_check) == 0);
    printf("  50k faces in 50k persons of 1: making the faces %.3f s CPU, the check %.3f s\n",
           t_make, t_check);
    CHECK_MSG(t_check < MAX_RATIO * t_make, "the check took %.2f s, %.0fx making the faces",
              t_check, t_check / t_make);
    return FC_TEST_PASS;
}

/* The members of a finish are written in bulk writes of at most max updates: every
 * member once, in person then member order, persons without members skipped. */
TEST(mongo_member_batches_cover_every_member_in_order)
{
    fc_member_rec members[5];
    fc_person_rec ps[6];
    memset(members, 0, sizeof members);
    memset(ps, 0, sizeof ps);
    ps[1].members = members, ps[1].n_members = 3;
    ps[4].members = members + 3, ps[4].n_members = 2;
    fc_mongo_member_pos at = {0, 0}, batch[2];
    static const size_t want[5][2] = {{1, 0}, {1, 1}, {1, 2}, {4, 0}, {4, 1}};
    size_t seen = 0, n, sizes[4] = {0}, n_batches = 0;
    while ((n = fc_mongo_member_batch(ps, 6, &at, batch, 2)) && n_batches < 4) {
        sizes[n_batches++] = n;
        for (size_t k = 0; k < n && seen < 5; k++, seen++)
            CHECK_MSG(batch[k].i == want[seen][0] && batch[k].j == want[seen][1],
                      "member %zu: (%zu, %zu)", seen, batch[k].i, batch[k].j);
    }
    CHECK(seen == 5 && n_batches == 3 && sizes[0] == 2 && sizes[1] == 2 && sizes[2] == 1);
    CHECK(fc_mongo_member_batch(ps, 6, &at, batch, 2) == 0); /* stays done */
    at = (fc_mongo_member_pos){0, 0};
    CHECK(fc_mongo_member_batch(ps, 1, &at, batch, 2) == 0); /* no members: no bulk */
    CHECK(fc_mongo_member_batch(NULL, 0, &at, batch, 2) == 0);
    return FC_TEST_PASS;
}

/* A member write that fails is an error naming it ("finish: faces"), as when each
 * face had its own update_one; persons without members send nothing (an empty bulk
 * write would be an error). Without a server: nothing listens on port 9. */
TEST(mongo_member_writes_report_a_failed_write)
{
    fc_face_list faces = {0};
    fc_person_rec ps[3];
    fc_member_rec members[2 * FC_MONGO_BULK_MAX + 1];
    fc_error err = {0};
    memset(ps, 0, sizeof ps);
    memset(members, 0, sizeof members);
    CHECK(make_faces(&faces, 2 * FC_MONGO_BULK_MAX + 1) == 0);
    make_persons(ps + 1, members, 1, 2 * FC_MONGO_BULK_MAX + 1, &faces);
    snprintf(ps[0].person_id, sizeof ps[0].person_id, "person_empty");
    mongoc_init(); /* once per process, as fc_mongo_open does */
    mongoc_client_t *c = mongoc_client_new("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"
                                           "&connectTimeoutMS=100");
    mongoc_collection_t *col = c ? mongoc_client_get_collection(c, "facecluster_test", "person_faces_x_y") : NULL;
    CHECK(col);
    fc_status none = fc_mongo_write_members(col, RUN, ps, 1, &err);
    fc_status failed = fc_mongo_write_members(col, RUN, ps, 3, &err);
    mongoc_collection_destroy(col);
    mongoc_client_destroy(c);
    fc_face_list_free(&faces);
    CHECK(none == FC_OK);
    CHECK_MSG(failed == FC_ERR_IO && strstr(err.msg, "mongodb finish: faces: "), "%s", err.msg);
    printf("  %s\n", err.msg);
    return FC_TEST_PASS;
}

/* faces (of make_faces) given persons: face f to "person_{f % n_persons}" with
 * member_ord f / n_persons for f < n_assigned, and sorted as the one find of
 * person_list returns them (person_id, then member_ord). */
static int by_person_then_ord(const void *a, const void *b)
{
    const fc_face_rec *x = a, *y = b;
    int c = strcmp(x->person_id, y->person_id);
    return c ? c : (x->cluster_confidence > y->cluster_confidence) - (x->cluster_confidence < y->cluster_confidence);
}

static void assign_faces(fc_face_list *faces, size_t n_assigned, size_t n_persons)
{
    for (size_t f = 0; f < n_assigned; f++) {
        snprintf(faces->items[f].person_id, sizeof faces->items[f].person_id, "person_%zu", f % n_persons);
        faces->items[f].cluster_confidence = (float)(f / n_persons); /* stands for member_ord */
    }
    qsort(faces->items, n_assigned, sizeof *faces->items, by_person_then_ord);
}

/* persons "person_{ids[i]}" as parsed from person_clusters: no members yet. */
static void parsed_persons(fc_person_list *l, const int *ids, size_t n)
{
    l->items = calloc(n, sizeof *l->items);
    l->n = l->items ? n : 0;
    for (size_t i = 0; i < l->n; i++)
        snprintf(l->items[i].person_id, sizeof l->items[i].person_id, "person_%d", ids[i]);
}

/* person_list's members grouped from one find are what a find per person gave: the
 * faces of that person_id in member order; a face of a person not listed is left
 * out; a person listed twice gets its faces twice (own copies). */
TEST(mongo_person_members_as_one_find_per_person_gave)
{
    fc_face_list faces = {0}, copy = {0};
    fc_person_list ps = {0};
    fc_error err = {0};
    static const int ids[] = {2, 0, 7, 2}; /* person_1's faces are of no listed person */
    CHECK(make_faces(&faces, 12) == 0 && make_faces(&copy, 12) == 0);
    assign_faces(&faces, 10, 3);
    assign_faces(&copy, 10, 3);
    parsed_persons(&ps, ids, 4);
    CHECK(ps.n == 4);
    CHECK_OK(fc_mongo_person_members(ps.items, ps.n, &faces, &err), &err);
    int good = 1;
    for (size_t i = 0; i < ps.n; i++) {
        size_t j = 0; /* the find of person i alone: its faces, in the order found */
        for (size_t f = 0; good && f < copy.n; f++) {
            if (strcmp(copy.items[f].person_id, ps.items[i].person_id) != 0)
                continue;
            const fc_member_rec *mm = &ps.items[i].members[j++];
            good = j <= ps.items[i].n_members && !strcmp(mm->face_id, copy.items[f].face_id) &&
                   mm->image_path && !strcmp(mm->image_path, copy.items[f].image_path) &&
                   mm->confidence == copy.items[f].confidence &&
                   mm->cluster_confidence == copy.items[f].cluster_confidence;
        }
        good = good && j == ps.items[i].n_members;
    }
    CHECK(good);
    CHECK(ps.items[0].n_members == 3 && ps.items[1].n_members == 4 && ps.items[2].n_members == 0);
    CHECK(ps.items[3].members[0].image_path != ps.items[0].members[0].image_path);
    fc_person_list_free(&ps);
    fc_face_list_free(&faces);
    fc_face_list_free(&copy);
    return FC_TEST_PASS;
}

TEST(mongo_person_members_linear)
{
    enum { N_FACES = 50000, N_PERSONS = 10000 };
    fc_face_list faces = {0};
    fc_person_list ps = {0};
    fc_error err = {0};
    int *ids = calloc(N_PERSONS, sizeof *ids);
    CHECK(ids);
    for (int i = 0; i < N_PERSONS; i++)
        ids[i] = N_PERSONS - 1 - i;
    double t0 = cpu_s();
    int made = make_faces(&faces, N_FACES);
    double t_make = cpu_s() - t0;
    assign_faces(&faces, N_FACES - 1000, N_PERSONS);
    parsed_persons(&ps, ids, N_PERSONS);
    free(ids);
    t0 = cpu_s();
    fc_status rc = made ? FC_ERR_NOMEM : fc_mongo_person_members(ps.items, ps.n, &faces, &err);
    double t_group = cpu_s() - t0;
    size_t n_members = 0;
    for (size_t i = 0; i < ps.n; i++)
        n_members += ps.items[i].n_members;
    fc_person_list_free(&ps);
    fc_face_list_free(&faces);
    CHECK_OK(rc, &err);
    CHECK(n_members == N_FACES - 1000);
    printf("  49k faces into 10k persons: making the faces %.3f s CPU, grouping %.3f s\n", t_make,
           t_group);
    CHECK_MSG(t_group < MAX_RATIO * t_make, "grouping took %.2f s, %.0fx making the faces", t_group,
              t_group / t_make);
    return FC_TEST_PASS;
}
