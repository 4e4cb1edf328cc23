/* test_store_mongo_spill.c - the persons of a run too large for its run document
 * on the MongoDB backend, without a server (mongo_spill.c): the size decision at
 * finish (2000 persons of 512-float vectors spill, 50 stay inline with exactly the
 * update they always had, a run too large even without its persons is refused
 * before anything is written), the documents of person_clusters_{norm}, the reader's
 * choice of source from a run document, the query of the spilled persons, and a
 * batch's images update checked against the same limit. */
#include "test.h"

#include "store/mongo_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN "66d3e1f4a1b2c3d4e5000001"
#define NOW 1756698132123LL
#define DIM 512
#define SIZE 3 /* members per person */
#define PCOLL "person_clusters_wedding_day1"
#define L(x) "{\"$numberLong\":\"" #x "\"}"
#define D(x) "{\"$numberDouble\":\"" #x "\"}"

/* 1 if doc is the expected extended JSON (the same BSON, types included). */
static int bson_is(const bson_t *doc, const char *expected)
{
    bson_error_t be;
    bson_t *want = bson_new_from_json((const uint8_t *)expected, -1, &be);
    int same = want && bson_equal(doc, want);
    if (!same) {
        char *got = bson_as_canonical_extended_json(doc, NULL);
        char *exp = want ? bson_as_canonical_extended_json(want, NULL) : NULL;
        fprintf(stderr, "  got:      %s\n  expected: %s\n", got, exp ? exp : be.message);
        bson_free(got);
        bson_free(exp);
    }
    if (want)
        bson_destroy(want);
    return same;
}

/* A finish's plan of n persons as an event gives them: SIZE members each with
 * image paths, owner_embedding and centroid of DIM floats (one shared array), and
 * n unassigned faces. */
typedef struct {
    fc_mongo_finish_plan plan;
    fc_member_rec *members;
    char **paths;
    float vec[DIM];
} event;

static int event_make(event *e, size_t n)
{
    memset(e, 0, sizeof *e);
    for (int k = 0; k < DIM; k++)
        e->vec[k] = (float)(k % 17) / 17.0f - 0.5f;
    e->plan.persons = calloc(n ? n : 1, sizeof *e->plan.persons);
    e->members = calloc(n * SIZE + 1, sizeof *e->members);
    e->paths = calloc(n * SIZE + 1, sizeof *e->paths);
    e->plan.unassigned = calloc(n ? n : 1, sizeof *e->plan.unassigned);
    if (!e->plan.persons || !e->members || !e->paths || !e->plan.unassigned)
        return -1;
    e->plan.n_persons = n;
    e->plan.n_unassigned = n;
    for (size_t p = 0; p < n; p++) {
        fc_person_rec *pr = &e->plan.persons[p];
        snprintf(pr->person_id, sizeof pr->person_id, "person_%zu", p);
        pr->members = e->members + p * SIZE;
        pr->n_members = SIZE;
        pr->owner_embedding = pr->centroid = e->vec;
        pr->dim = DIM;
        pr->avg_confidence = 0.9f;
        pr->best_quality_score = 0.8f;
        for (size_t k = 0; k < SIZE; k++) {
            fc_member_rec *m = &pr->members[k];
            char path[64];
            snprintf(m->face_id, sizeof m->face_id, "00000000-0000-4000-8000-%012zu", p * SIZE + k);
            snprintf(path, sizeof path, "wedding/day1/IMG_%06zu.jpg", p * SIZE + k);
            if (!(e->paths[p * SIZE + k] = m->image_path = strdup(path)))
                return -1;
            m->confidence = 0.99f;
            m->quality_score = 0.7f;
        }
        memcpy(pr->owner_face_id, pr->members[0].face_id, sizeof pr->owner_face_id);
        e->plan.unassigned[p] = e->paths[p * SIZE]; /* any text of a face_id's length */
    }
    return 0;
}

static void event_free(event *e)
{
    for (size_t i = 0; e->paths && i < e->plan.n_persons * SIZE; i++)
        free(e->paths[i]);
    free(e->paths);
    free(e->members);
    free(e->plan.persons);
    free(e->plan.unassigned);
}

/* The run document of RUN while it runs, with n_images recorded images. */
static void running_doc(size_t n_images, bson_t *out)
{
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    snprintf(run.bucket, sizeof run.bucket, "wedding");
    snprintf(run.sub, sizeof run.sub, "day1");
    bson_t doc, images = BSON_INITIALIZER;
    fc_mongo_run_doc(&run, "boot:1:2:h1", NOW, &doc);
    bson_init(out);
    bson_copy_to_excluding_noinit(&doc, out, "images", NULL);
    BSON_APPEND_ARRAY_BEGIN(out, "images", &images);
    for (size_t i = 0; i < n_images; i++) {
        char key[16], path[64];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        snprintf(path, sizeof path, "wedding/day1/IMG_%06zu.jpg", i);
        fc_image_rec img = {.image_path = path, .ok = 1, .n_faces = 2};
        fc_mongo_image_append(&images, k, &img);
    }
    bson_append_array_end(out, &images);
    bson_destroy(&doc);
}

static int64_t get_i64(const bson_t *doc, const char *dotted)
{
    bson_iter_t it, found;
    return bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted, &found)
               ? bson_iter_as_int64(&found) : -1;
}

static const char *get_str(const bson_t *doc, const char *dotted)
{
    bson_iter_t it, found;
    return bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted, &found) &&
                   BSON_ITER_HOLDS_UTF8(&found) ? bson_iter_utf8(&found, NULL) : NULL;
}

/* How many elements the array at dotted has (-1 if it is not an array). */
static int64_t array_len(const bson_t *doc, const char *dotted)
{
    bson_iter_t it, found, arr;
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, dotted, &found) ||
        !BSON_ITER_HOLDS_ARRAY(&found) || !bson_iter_recurse(&found, &arr))
        return -1;
    int64_t n = 0;
    while (bson_iter_next(&arr))
        n++;
    return n;
}

/* The finish's commit of an event of n persons, on a run document of 2 n images. */
static fc_status commit_of(const event *e, size_t doc_len, int *spilled, bson_t *out, fc_error *err)
{
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    return fc_mongo_finish_commit(doc_len, &run, &e->plan, (int64_t)e->plan.n_persons * 2,
                                  (int64_t)(e->plan.n_persons * (SIZE + 1)), NOW, PCOLL, spilled,
                                  out, err);
}

TEST(mongo_finish_of_2000_persons_spills_and_of_50_does_not)
{
    fc_error err = {0};
    event e;
    bson_t doc, upd, inline_upd;
    int spilled = -1;

    /* 50 persons: inline, exactly the update a finish always sent */
    CHECK(!event_make(&e, 50));
    running_doc(100, &doc);
    CHECK_OK(commit_of(&e, doc.len, &spilled, &upd, &err), &err);
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    fc_mongo_run_finish_update(&run, e.plan.persons, 50, e.plan.unassigned, 50, 100, 200, NOW, NULL,
                               &inline_upd);
    CHECK(spilled == 0 && bson_equal(&upd, &inline_upd));
    CHECK(array_len(&upd, "$set.person_clusters") == 50 && !get_str(&upd, "$set." FC_MONGO_SPILL_FIELD));
    printf("  50 persons: update %u bytes\n", upd.len);
    bson_destroy(&upd);
    bson_destroy(&inline_upd);
    bson_destroy(&doc);
    event_free(&e);

    /* 2000 persons (about 26 MB inline): spilled, the run document names where */
    CHECK(!event_make(&e, 2000));
    running_doc(4000, &doc);
    fc_mongo_run_finish_update(&run, e.plan.persons, 2000, e.plan.unassigned, 2000, 4000, 8000, NOW,
                               NULL, &inline_upd);
    CHECK_MSG(!fc_mongo_update_fits(doc.len, &inline_upd), "inline: %u bytes", inline_upd.len);
    printf("  2000 persons: inline update %u bytes, run document %u bytes\n", inline_upd.len, doc.len);
    bson_destroy(&inline_upd);
    CHECK_OK(commit_of(&e, doc.len, &spilled, &upd, &err), &err);
    CHECK(spilled == 1 && fc_mongo_update_fits(doc.len, &upd));
    CHECK(array_len(&upd, "$set.person_clusters") == 0);
    const char *where = get_str(&upd, "$set." FC_MONGO_SPILL_FIELD);
    CHECK(where && !strcmp(where, PCOLL));
    CHECK(get_i64(&upd, "$set.total_persons") == 2000 && get_i64(&upd, "$set.unassigned_faces") == 2000);
    CHECK(array_len(&upd, "$set.unassigned_face_ids") == 2000);
    CHECK(get_str(&upd, "$set.status") && !strcmp(get_str(&upd, "$set.status"), "done"));
    printf("  2000 persons spilled: update %u bytes\n", upd.len);
    bson_destroy(&upd);

    /* a run document at the limit already (its images): refused, saying why */
    CHECK(commit_of(&e, FC_MONGO_DOC_LIMIT, &spilled, &upd, &err) == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "16 MiB") && strstr(err.msg, "2000 persons") && strstr(err.msg, PCOLL),
              "%s", err.msg);
    bson_destroy(&upd);
    bson_destroy(&doc);
    event_free(&e);
    return FC_TEST_PASS;
}

TEST(mongo_finish_fits_at_the_limit_exactly)
{
    bson_t *u = BCON_NEW("$set", "{", "status", BCON_UTF8("done"), "}");
    size_t room = FC_MONGO_DOC_LIMIT - u->len;
    CHECK(fc_mongo_update_fits(room, u) && !fc_mongo_update_fits(room + 1, u));
    CHECK(!fc_mongo_update_fits(SIZE_MAX, u)); /* no wrap-around */
    CHECK(FC_MONGO_DOC_LIMIT + 64 * 1024 < 16 * 1024 * 1024); /* a margin below BSON's 16 MiB */
    bson_destroy(u);
    return FC_TEST_PASS;
}

TEST(mongo_spilled_person_documents)
{
    event e;
    CHECK(!event_make(&e, 2));
    float v[2] = {1, 0};
    fc_person_rec p = e.plan.persons[1];
    p.owner_embedding = p.centroid = v;
    p.dim = 2;
    p.n_members = 1;
    p.members[0].confidence = 0.5f;
    p.members[0].quality_score = 0.25f;
    p.avg_confidence = 0.75f;
    p.best_quality_score = 0.5f;
    bson_t d;
    fc_mongo_spilled_person_doc(RUN, 1, &p, &d);
    CHECK(bson_is(&d, "{\"clustering_id\":\"" RUN "\",\"ord\":" L(1) ",\"person_id\":\"person_1\","
                      "\"cluster_id\":\"person_1\",\"owner_face_id\":\"00000000-0000-4000-8000-000000000003\","
                      "\"owner_embedding\":[" D(1.0) "," D(0.0) "],\"centroid\":[" D(1.0) "," D(0.0) "],"
                      "\"image_paths\":[\"wedding/day1/IMG_000003.jpg\"],"
                      "\"face_ids\":[\"00000000-0000-4000-8000-000000000003\"],"
                      "\"confidence_scores\":[" D(0.5) "],\"quality_scores\":[" D(0.25) "],"
                      "\"size\":" L(1) ",\"avg_confidence\":" D(0.75) ",\"best_quality_score\":"
                      D(0.5) "}"));
    /* after clustering_id and ord, exactly a person_clusters element */
    bson_t inline_doc, rest = BSON_INITIALIZER;
    fc_mongo_person_doc(&p, &inline_doc);
    bson_copy_to_excluding_noinit(&d, &rest, "clustering_id", "ord", NULL);
    CHECK(bson_equal(&rest, &inline_doc));
    fc_person_rec back = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_person_parse(&d, &back, &err), &err);
    CHECK(!strcmp(back.person_id, "person_1") && back.dim == 2 && back.centroid[0] == 1);
    fc_person_rec_clear(&back);
    bson_destroy(&rest);
    bson_destroy(&inline_doc);
    bson_destroy(&d);

    /* their collection, index, and the find that reads them back in order */
    char pcoll[FC_MONGO_COLL_MAX];
    fc_mongo_persons_of("person_clustering_wedding_day1", pcoll);
    CHECK(!strcmp(pcoll, PCOLL));
    CHECK(!fc_mongo_index_command(pcoll, &d));
    CHECK(bson_is(&d, "{\"createIndexes\":\"" PCOLL "\",\"indexes\":[{\"key\":{\"clustering_id\":"
                      "{\"$numberInt\":\"1\"},\"ord\":{\"$numberInt\":\"1\"}},\"name\":"
                      "\"clustering_id_ord_unique\",\"unique\":true}]}"));
    bson_destroy(&d);
    bson_t *filter, *opts;
    fc_mongo_spilled_query(RUN, NULL, &filter, &opts);
    CHECK(bson_is(filter, "{\"clustering_id\":\"" RUN "\"}"));
    CHECK(bson_is(opts, "{\"sort\":{\"ord\":{\"$numberInt\":\"1\"}}}"));
    bson_destroy(filter);
    bson_destroy(opts);
    fc_mongo_spilled_query(RUN, "person_7", &filter, &opts);
    CHECK(bson_is(filter, "{\"clustering_id\":\"" RUN "\",\"person_id\":\"person_7\"}"));
    bson_destroy(filter);
    bson_destroy(opts);
    event_free(&e);
    return FC_TEST_PASS;
}

/* The reader takes the persons from the run document unless it names their
 * collection; a name that is not a person_clusters_* collection is refused. */
TEST(mongo_persons_source_of_a_run_document)
{
    char out[FC_MONGO_COLL_MAX] = "";
    bson_t doc;
    running_doc(1, &doc);
    CHECK(fc_mongo_persons_source(&doc, out) == 0); /* a run as the original wrote it */
    bson_t *spilled = bson_copy(&doc);
    BSON_APPEND_UTF8(spilled, FC_MONGO_SPILL_FIELD, PCOLL);
    CHECK(fc_mongo_persons_source(spilled, out) == 1 && !strcmp(out, PCOLL));
    bson_destroy(spilled);

    /* inline persons are read from the document itself (no server needed) */
    event e;
    CHECK(!event_make(&e, 3));
    bson_t upd, done = BSON_INITIALIZER, set;
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    fc_mongo_run_finish_update(&run, e.plan.persons, 3, NULL, 0, 1, 9, NOW, NULL, &upd);
    bson_iter_t it;
    CHECK(bson_iter_init_find(&it, &upd, "$set") && BSON_ITER_HOLDS_DOCUMENT(&it));
    uint32_t len;
    const uint8_t *data;
    bson_iter_document(&it, &len, &data);
    CHECK(bson_init_static(&set, data, len));
    bson_copy_to_excluding_noinit(&doc, &done, "person_clusters", NULL);
    bson_concat(&done, &set); /* the document after the commit, roughly */
    fc_person_list pl = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_persons_read(NULL, &done, RUN, NULL, &pl, &err), &err);
    CHECK(pl.n == 3 && !strcmp(pl.items[2].person_id, "person_2") && pl.items[2].dim == DIM);
    fc_person_list_free(&pl);
    CHECK_OK(fc_mongo_persons_read(NULL, &done, RUN, "person_1", &pl, &err), &err);
    CHECK(pl.n == 1 && !strcmp(pl.items[0].person_id, "person_1"));
    fc_person_list_free(&pl);
    BSON_APPEND_UTF8(&done, FC_MONGO_SPILL_FIELD, "user_profiles");
    CHECK(fc_mongo_persons_read(NULL, &done, RUN, NULL, &pl, &err) == FC_ERR_FORMAT && pl.n == 0);
    CHECK_MSG(strstr(err.msg, FC_MONGO_SPILL_FIELD), "%s", err.msg);
    bson_destroy(&done);
    bson_destroy(&upd);
    event_free(&e);

    char too_long[FC_MONGO_COLL_MAX + 8];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    memcpy(too_long, FC_MONGO_PERSONS_PREFIX, strlen(FC_MONGO_PERSONS_PREFIX));
    static const char *const bad[] = {"user_profiles", "person_faces_wedding_day1",
                                      FC_MONGO_PERSONS_PREFIX, ""};
    for (size_t i = 0; i <= sizeof bad / sizeof *bad; i++) {
        bson_t *b = bson_copy(&doc);
        BSON_APPEND_UTF8(b, FC_MONGO_SPILL_FIELD, i < sizeof bad / sizeof *bad ? bad[i] : too_long);
        CHECK_MSG(fc_mongo_persons_source(b, out) == -1, "case %zu", i);
        bson_destroy(b);
    }
    bson_t *n = bson_copy(&doc);
    BSON_APPEND_INT32(n, FC_MONGO_SPILL_FIELD, 1);
    CHECK(fc_mongo_persons_source(n, out) == -1);
    bson_destroy(n);
    bson_t *nul = bson_copy(&doc); /* a NUL inside the name */
    bson_append_utf8(nul, FC_MONGO_SPILL_FIELD, -1, "person_clusters_a\0b", 19);
    CHECK(fc_mongo_persons_source(nul, out) == -1);
    bson_destroy(nul);
    bson_destroy(&doc);
    return FC_TEST_PASS;
}

/* A batch's images update is checked against the same limit before anything is
 * written (run_add_batch and lease_complete: FC_ERR_LIMIT), as the run document holds every image. */
TEST(mongo_batch_images_checked_against_the_document_limit)
{
    bson_t small, big;
    running_doc(0, &small);
    running_doc(20000, &big);
    double per_image = (double)(big.len - small.len) / 20000.0;
    fc_image_rec imgs[100];
    char paths[100][64];
    for (int i = 0; i < 100; i++) {
        snprintf(paths[i], sizeof paths[i], "wedding/day1/IMG_%06d.jpg", 900000 + i);
        imgs[i] = (fc_image_rec){.image_path = paths[i], .ok = 1};
    }
    bson_t *upd = fc_mongo_images_update(NULL, 0, imgs, 100);
    CHECK(fc_mongo_update_fits(big.len, upd));
    CHECK(!fc_mongo_update_fits(FC_MONGO_DOC_LIMIT - upd->len / 2, upd));
    /* the check run_add_batch and lease_complete make, with its message */
    fc_error err = {0};
    CHECK(fc_mongo_images_fit(big.len, upd, RUN, 100, &err) == FC_OK);
    CHECK(fc_mongo_images_fit(FC_MONGO_DOC_LIMIT - upd->len / 2, upd, RUN, 100, &err) ==
          FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "100 more images") && strstr(err.msg, "16 MiB"), "%s", err.msg);
    printf("  %.0f bytes an image in the run document: about %.0f images fit\n", per_image,
           (double)FC_MONGO_DOC_LIMIT / per_image);
    bson_destroy(upd);
    bson_destroy(&small);
    bson_destroy(&big);
    return FC_TEST_PASS;
}
