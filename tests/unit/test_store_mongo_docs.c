/* test_store_mongo_docs.c - the MongoDB backend without a server: the BSON
 * documents of API.md's data model compared with expected canonical extended JSON
 * and parsed back, collection names, index specs, times, retry rules and backoff. */
#include "test.h"

#include "store/mongo_int.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 if doc is the expected canonical extended JSON (spacing ignored, order kept). */
static int bson_is(const bson_t *doc, const char *expected)
{
    bson_error_t be;
    bson_t *want = bson_new_from_json((const uint8_t *)expected, -1, &be);
    char *got = bson_as_canonical_extended_json(doc, NULL);
    char *exp = want ? bson_as_canonical_extended_json(want, NULL) : NULL;
    int same = got && exp && !strcmp(got, exp);
    if (!same)
        fprintf(stderr, "  got:      %s\n  expected: %s\n", got ? got : "(null)",
                exp ? exp : be.message);
    bson_free(got);
    bson_free(exp);
    if (want)
        bson_destroy(want);
    return same;
}

#define D(x) "{\"$numberDouble\":\"" #x "\"}"
#define I(x) "{\"$numberInt\":\"" #x "\"}"
#define L(x) "{\"$numberLong\":\"" #x "\"}"
#define DATE(x) "{\"$date\":{\"$numberLong\":\"" #x "\"}}"
#define NOW 1756698132123LL /* 2025-09-01T03:42:12.123 */
#define RUN "66d3e1f4a1b2c3d4e5000001"
#define FACE1 "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
#define FACE2 "0f8e8f9a-3b1c-4d2e-9f00-aa11bb22cc33"

TEST(mongo_collection_names_and_times)
{
    char name[FC_MONGO_COLL_MAX];
    CHECK(fc_mongo_runs_coll("Wedding-2024", "day/1", name, sizeof name) == -1);
    CHECK(!fc_mongo_runs_coll("Wedding-2024", "Day-1", name, sizeof name));
    CHECK(!strcmp(name, "person_clustering_wedding_2024_day_1"));
    CHECK(!fc_mongo_faces_coll("Wedding-2024", "Day-1", name, sizeof name));
    CHECK(!strcmp(name, "person_faces_wedding_2024_day_1"));
    CHECK(fc_mongo_faces_coll("..", "x", name, sizeof name) == -1);
    CHECK(fc_mongo_runs_coll("a", "b", name, 10) == -1);

    CHECK(fc_mongo_ms("2025-09-01T03:42:12.123000") == NOW);
    CHECK(fc_mongo_ms("2025-09-01T03:42:12") == NOW - 123);
    CHECK(fc_mongo_ms("2025-09-01 03:42:12") == -1 && fc_mongo_ms(NULL) == -1);
    char iso[FC_TIMESTAMP_LEN + 1];
    fc_mongo_iso(NOW, iso);
    CHECK(!strcmp(iso, "2025-09-01T03:42:12.123000"));
    return FC_TEST_PASS;
}

/* Found by fuzz/fuzz_responses.c: a run whose finished_at was a BSON date of
 * -36090932615763968 ms (about year -1141700) read back as text that is not a
 * timestamp (fc_timestamp_valid rejects it), and INT64_MIN overflowed in
 * fc_mongo_iso's arithmetic. A date outside the years 0000-9999 now reads as
 * absent; the years 0000-9999 still convert. */
TEST(mongo_dates_outside_iso_years_read_as_absent)
{
    char iso[FC_TIMESTAMP_LEN + 1];
    static const int64_t outside[] = {-36090932615763968LL, INT64_MIN, INT64_MAX,
                                      -62167219200001LL, 253402300800000LL};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        memset(iso, 'x', sizeof iso);
        fc_mongo_iso(outside[i], iso);
        CHECK_MSG(iso[0] == '\0', "%lld -> %s", (long long)outside[i], iso);
    }
    fc_mongo_iso(-62167219200000LL, iso);
    CHECK(!strcmp(iso, "0000-01-01T00:00:00.000000") && fc_timestamp_valid(iso));
    fc_mongo_iso(253402300799999LL, iso);
    CHECK(!strcmp(iso, "9999-12-31T23:59:59.999000") && fc_timestamp_valid(iso));
    fc_mongo_iso(-1, iso);
    CHECK(!strcmp(iso, "1969-12-31T23:59:59.999000"));

    /* in a document: the record's time is empty, the rest is read */
    bson_t *doc = BCON_NEW("face_id", BCON_UTF8(FACE1), "timestamp",
                           BCON_DATE_TIME(-36090932615763968LL));
    fc_face_rec f = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_face_parse(doc, &f, &err), &err);
    CHECK(!strcmp(f.face_id, FACE1) && f.timestamp[0] == '\0');
    fc_face_rec_clear(&f);
    bson_destroy(doc);
    return FC_TEST_PASS;
}

/* Numbers from a server are clamped to the record's integer type: libbson casts a
 * double to int64 unchecked (undefined beyond its range), and an int64 count would
 * wrap in an int. */
TEST(mongo_numbers_beyond_the_field_are_clamped)
{
    fc_error err = {0};
    bson_t *doc = BCON_NEW("face_id", BCON_UTF8(FACE1), "bbox", "[", BCON_DOUBLE(1e300),
                           BCON_DOUBLE(-1e300), BCON_DOUBLE(NAN), BCON_DOUBLE(12.9), "]");
    fc_face_rec f = {0};
    CHECK_OK(fc_mongo_face_parse(doc, &f, &err), &err);
    CHECK_MSG(f.bbox[0] == INT_MAX && f.bbox[1] == INT_MIN && f.bbox[2] == 0 && f.bbox[3] == 12,
              "bbox %d %d %d %d", f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]);
    fc_face_rec_clear(&f);
    bson_destroy(doc);

    doc = BCON_NEW("image_path", BCON_UTF8("a.jpg"), "n_faces", BCON_INT64((int64_t)1 << 40));
    fc_image_rec img = {0};
    CHECK_OK(fc_mongo_image_parse(doc, &img, &err), &err);
    CHECK_MSG(img.n_faces == INT_MAX, "n_faces %d", img.n_faces);
    fc_image_rec_clear(&img);
    bson_destroy(doc);

    bson_oid_t oid;
    bson_oid_init_from_string(&oid, RUN);
    doc = BCON_NEW("_id", BCON_OID(&oid), "bucket_path", BCON_UTF8("wedding/day1"), "total_images",
                   BCON_DOUBLE(1e30), "total_faces", BCON_DOUBLE(-1e30), "total_persons",
                   BCON_INT64(INT64_MAX), "unassigned_faces", BCON_DOUBLE(7.5));
    fc_run_rec r = {0};
    CHECK_OK(fc_mongo_run_parse(doc, &r, &err), &err);
    CHECK(r.total_images == INT64_MAX && r.total_faces == INT64_MIN);
    CHECK(r.total_persons == INT64_MAX && r.unassigned_faces == 7);
    fc_run_rec_clear(&r);
    bson_destroy(doc);
    return FC_TEST_PASS;
}

TEST(mongo_index_specs)
{
    bson_t c;
    CHECK(!fc_mongo_index_command("user_profiles", &c));
    CHECK(bson_is(&c, "{\"createIndexes\":\"user_profiles\",\"indexes\":[{\"key\":{\"user_id\":" I(1)
                      "},\"name\":\"user_id_unique\",\"unique\":true}]}"));
    bson_destroy(&c);
    CHECK(!fc_mongo_index_command("cluster_assignments", &c));
    CHECK(bson_is(&c, "{\"createIndexes\":\"cluster_assignments\",\"indexes\":[{\"key\":{"
                      "\"clustering_id\":" I(1) ",\"cluster_id\":" I(1) "},\"name\":"
                      "\"clustering_id_cluster_id_unique\",\"unique\":true},{\"key\":{\"user_id\":"
                      I(1) "},\"name\":\"user_id\"}]}"));
    bson_destroy(&c);
    CHECK(!fc_mongo_index_command("person_faces_w_d", &c));
    CHECK(bson_is(&c, "{\"createIndexes\":\"person_faces_w_d\",\"indexes\":[{\"key\":{\"face_id\":"
                      I(1) "},\"name\":\"face_id_unique\",\"unique\":true},{\"key\":{\"clustering_id\":"
                      I(1) ",\"image_path\":" I(1) "},\"name\":\"clustering_id_image_path\"},{\"key\":{"
                      "\"clustering_id\":" I(1) ",\"person_id\":" I(1) ",\"member_ord\":" I(1)
                      "},\"name\":\"clustering_id_person_id_member_ord\"}]}"));
    bson_destroy(&c);
    CHECK(!fc_mongo_index_command("person_clustering_w_d", &c));
    CHECK(bson_is(&c, "{\"createIndexes\":\"person_clustering_w_d\",\"indexes\":[{\"key\":{"
                      "\"status\":" I(1) ",\"timestamp\":" I(-1) "},\"name\":\"status_timestamp\"}]}"));
    bson_destroy(&c);
    CHECK(fc_mongo_index_command("other", &c) == -1);
    return FC_TEST_PASS;
}

TEST(mongo_profile_document)
{
    fc_profile_rec p = {0};
    float e[2] = {0.5f, -0.25f};
    snprintf(p.user_id, sizeof p.user_id, "alice");
    snprintf(p.embedding_model, sizeof p.embedding_model, "arcface");
    p.embedding = e, p.dim = 2, p.confidence = 0.5f, p.quality_score = 0.75f;
    p.has_bbox = 1, p.bbox[0] = 1, p.bbox[1] = 2, p.bbox[2] = 3, p.bbox[3] = 4;
    bson_t u;
    fc_mongo_profile_update(&p, NOW, &u);
    CHECK(bson_is(&u, "{\"$set\":{\"user_id\":\"alice\",\"embedding\":[" D(0.5) "," D(-0.25)
                      "],\"embedding_model\":\"arcface\",\"confidence\":" D(0.5) ",\"quality_score\":"
                      D(0.75) ",\"bbox\":[" I(1) "," I(2) "," I(3) "," I(4) "],\"updated_at\":" DATE(1756698132123)
                      "},\"$setOnInsert\":{\"created_at\":" DATE(1756698132123) "}}"));
    /* a stored document = $set + created_at: parses back to the record */
    bson_iter_t it;
    bson_t set, doc = BSON_INITIALIZER;
    uint32_t len;
    const uint8_t *data;
    CHECK(bson_iter_init_find(&it, &u, "$set"));
    bson_iter_document(&it, &len, &data);
    CHECK(bson_init_static(&set, data, len));
    bson_concat(&doc, &set);
    BSON_APPEND_DATE_TIME(&doc, "created_at", NOW);
    fc_profile_rec back = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_profile_parse(&doc, &back, &err), &err);
    CHECK(!strcmp(back.user_id, "alice") && back.dim == 2 && back.embedding[1] == -0.25f);
    CHECK(back.has_bbox && back.bbox[3] == 4 && back.quality_score == 0.75f);
    CHECK(!strcmp(back.created_at, "2025-09-01T03:42:12.123000"));
    fc_profile_rec_clear(&back);
    bson_destroy(&doc);
    bson_destroy(&u);
    p.has_bbox = 0;
    fc_mongo_profile_update(&p, NOW, &u);
    CHECK(bson_iter_init_find(&it, &u, "$set") && bson_iter_recurse(&it, &it) &&
          bson_iter_find(&it, "bbox") && BSON_ITER_HOLDS_NULL(&it));
    bson_destroy(&u);
    return FC_TEST_PASS;
}

TEST(mongo_run_document_and_finish)
{
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    snprintf(run.bucket, sizeof run.bucket, "wedding");
    snprintf(run.sub, sizeof run.sub, "day1");
    snprintf(run.timestamp, sizeof run.timestamp, "2025-09-01T03:42:12.123000");
    run.params = "{\"threshold\":0.5}";
    bson_t d;
    fc_mongo_run_doc(&run, "boot:1:2:h1", NOW, &d);
    CHECK(bson_is(&d, "{\"_id\":{\"$oid\":\"" RUN "\"},\"bucket_path\":\"wedding/day1\","
                      "\"bucket_name\":\"wedding\",\"sub_bucket\":\"day1\",\"person_clusters\":[],"
                      "\"total_images\":" L(0) ",\"total_faces\":" L(0) ",\"total_persons\":" L(0)
                      ",\"unassigned_faces\":" L(0) ",\"unassigned_face_ids\":[],"
                      "\"image_overlap_stats\":null,\"processing_stats\":null,\"status\":\"running\","
                      "\"timestamp\":" DATE(1756698132123) ",\"params\":{\"threshold\":" D(0.5) "},"
                      "\"images\":[],\"owner\":\"boot:1:2:h1\",\"heartbeat\":" DATE(1756698132123) "}"));
    fc_run_rec back = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_run_parse(&d, &back, &err), &err);
    CHECK(!strcmp(back.clustering_id, RUN) && back.status == FC_RUN_RUNNING);
    CHECK(!strcmp(back.norm, "wedding_day1") && !strcmp(back.sub, "day1"));
    CHECK(!strcmp(back.timestamp, run.timestamp) && back.params && strstr(back.params, "threshold"));
    fc_run_rec_clear(&back);
    bson_destroy(&d);

    /* a person: its arrays are the members' fields, in member order */
    fc_member_rec members[2] = {{.image_path = "a.jpg", .confidence = 0.5f, .quality_score = 0.25f},
                                {.image_path = "b.jpg", .confidence = 1, .quality_score = 0.5f}};
    snprintf(members[0].face_id, sizeof members[0].face_id, FACE1);
    snprintf(members[1].face_id, sizeof members[1].face_id, FACE2);
    float cen[2] = {1, 0};
    fc_person_rec p = {.members = members, .n_members = 2, .centroid = cen, .owner_embedding = cen,
                       .dim = 2, .avg_confidence = 0.75f, .best_quality_score = 0.5f};
    snprintf(p.person_id, sizeof p.person_id, "person_0");
    snprintf(p.owner_face_id, sizeof p.owner_face_id, FACE2);
    char *unassigned[1] = {"7a1f0c3e-1111-4222-8333-944455556666"};
    run.image_overlap_stats = "{\"shared\":1}";
    fc_mongo_run_finish_update(&run, &p, 1, unassigned, 1, 2, 3, NOW, NULL, &d);
    CHECK(bson_is(&d, "{\"$set\":{\"person_clusters\":[{\"person_id\":\"person_0\",\"cluster_id\":"
                      "\"person_0\",\"owner_face_id\":\"" FACE2 "\",\"owner_embedding\":[" D(1.0) ","
                      D(0.0) "],\"centroid\":[" D(1.0) "," D(0.0) "],\"image_paths\":[\"a.jpg\",\"b.jpg\"],"
                      "\"face_ids\":[\"" FACE1 "\",\"" FACE2 "\"],\"confidence_scores\":[" D(0.5) ","
                      D(1.0) "],\"quality_scores\":[" D(0.25) "," D(0.5) "],\"size\":" L(2) ","
                      "\"avg_confidence\":" D(0.75) ",\"best_quality_score\":" D(0.5) "}],"
                      "\"unassigned_face_ids\":[\"7a1f0c3e-1111-4222-8333-944455556666\"],"
                      "\"unassigned_faces\":" L(1) ",\"total_images\":" L(2) ",\"total_faces\":" L(3)
                      ",\"total_persons\":" L(1) ",\"image_overlap_stats\":{\"shared\":" I(1) "},"
                      "\"processing_stats\":null,\"status\":\"done\",\"finished_at\":" DATE(1756698132123)
                      ",\"error\":null},\"$unset\":{\"owner\":\"\",\"heartbeat\":\"\"}}"));
    bson_destroy(&d);
    fc_mongo_person_doc(&p, &d);
    fc_person_rec pb = {0};
    CHECK_OK(fc_mongo_person_parse(&d, &pb, &err), &err);
    CHECK(!strcmp(pb.person_id, "person_0") && pb.dim == 2 && pb.centroid[0] == 1);
    CHECK(!strcmp(pb.owner_face_id, FACE2) && pb.avg_confidence == 0.75f);
    fc_person_rec_clear(&pb);
    bson_destroy(&d);

    /* a run of the original service: bucket_path only, status "completed" */
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, RUN);
    bson_t *orig = BCON_NEW("_id", BCON_OID(&oid), "bucket_path", BCON_UTF8("wedding/day1"), "status", BCON_UTF8("completed"));
    CHECK_OK(fc_mongo_run_parse(orig, &back, &err), &err);
    CHECK(back.status == FC_RUN_DONE && !strcmp(back.bucket, "wedding") && !strcmp(back.sub, "day1"));
    fc_run_rec_clear(&back);
    bson_destroy(orig);
    bson_t *bad = BCON_NEW("_id", BCON_UTF8(RUN));
    CHECK(fc_mongo_run_parse(bad, &back, &err) == FC_ERR_FORMAT);
    fc_run_rec_clear(&back);
    bson_destroy(bad);
    return FC_TEST_PASS;
}

/* The update that gives a member face its person at finish (one per member, sent in
 * bulk writes): the same selector and $set as the update_one per face it replaces. */
TEST(mongo_member_update_document)
{
    fc_member_rec members[2] = {{.cluster_confidence = 0.5f}, {.cluster_confidence = 0.75f}};
    snprintf(members[0].face_id, sizeof members[0].face_id, FACE1);
    snprintf(members[1].face_id, sizeof members[1].face_id, FACE2);
    fc_person_rec p = {.members = members, .n_members = 2};
    snprintf(p.person_id, sizeof p.person_id, "person_3");
    snprintf(p.owner_face_id, sizeof p.owner_face_id, FACE2);
    bson_t sel, upd;
    fc_mongo_member_update(RUN, &p, 1, &sel, &upd);
    CHECK(bson_is(&sel, "{\"clustering_id\":\"" RUN "\",\"face_id\":\"" FACE2 "\"}"));
    CHECK(bson_is(&upd, "{\"$set\":{\"person_id\":\"person_3\",\"member_ord\":" L(1)
                        ",\"cluster_confidence\":" D(0.75) ",\"is_owner_face\":true}}"));
    bson_destroy(&sel);
    bson_destroy(&upd);
    fc_mongo_member_update(RUN, &p, 0, &sel, &upd);
    CHECK(bson_is(&sel, "{\"clustering_id\":\"" RUN "\",\"face_id\":\"" FACE1 "\"}"));
    CHECK(bson_is(&upd, "{\"$set\":{\"person_id\":\"person_3\",\"member_ord\":" L(0)
                        ",\"cluster_confidence\":" D(0.5) ",\"is_owner_face\":false}}"));
    bson_destroy(&sel);
    bson_destroy(&upd);
    return FC_TEST_PASS;
}

/* The one find of person_list: for one person, the find that was made per person
 * (faces of the person in member order); for all, every assigned face of the run
 * in person then member order, as the index (clustering_id, person_id, member_ord). */
TEST(mongo_members_query_documents)
{
    bson_t *filter, *opts;
    fc_mongo_members_query(RUN, "person_3", &filter, &opts);
    CHECK(bson_is(filter, "{\"clustering_id\":\"" RUN "\",\"person_id\":\"person_3\"}"));
    CHECK(bson_is(opts, "{\"sort\":{\"member_ord\":" I(1) "},\"projection\":{\"embedding\":" I(0) "}}"));
    bson_destroy(filter);
    bson_destroy(opts);
    fc_mongo_members_query(RUN, NULL, &filter, &opts);
    CHECK(bson_is(filter, "{\"clustering_id\":\"" RUN "\",\"person_id\":{\"$ne\":null}}"));
    CHECK(bson_is(opts, "{\"sort\":{\"person_id\":" I(1) ",\"member_ord\":" I(1) "},"
                        "\"projection\":{\"embedding\":" I(0) "}}"));
    bson_destroy(filter);
    bson_destroy(opts);
    return FC_TEST_PASS;
}

TEST(mongo_face_image_and_assignment_documents)
{
    fc_face_rec f = {.image_path = "a.jpg", .is_owner_face = 0, .confidence = 0.5f,
                     .quality_score = 0.25f, .n_landmarks = FC_FACE_LANDMARKS};
    snprintf(f.face_id, sizeof f.face_id, FACE1);
    f.bbox[0] = 1, f.bbox[1] = 2, f.bbox[2] = 3, f.bbox[3] = 4;
    for (int k = 0; k < 10; k++)
        f.landmarks[k] = (float)k;
    float e[2] = {0.5f, 0.5f};
    f.embedding = e, f.dim = 2;
    bson_t d;
    fc_mongo_face_doc(&f, RUN, NOW, &d);
    CHECK(bson_is(&d, "{\"face_id\":\"" FACE1 "\",\"image_path\":\"a.jpg\",\"person_id\":null,"
                      "\"is_owner_face\":false,\"bbox\":[" I(1) "," I(2) "," I(3) "," I(4) "],"
                      "\"landmarks\":[" D(0.0) "," D(1.0) "," D(2.0) "," D(3.0) "," D(4.0) "," D(5.0) ","
                      D(6.0) "," D(7.0) "," D(8.0) "," D(9.0) "],\"confidence\":" D(0.5)
                      ",\"quality_score\":" D(0.25) ",\"cluster_confidence\":" D(0.0)
                      ",\"clustering_id\":\"" RUN "\",\"timestamp\":" DATE(1756698132123)
                      ",\"embedding\":[" D(0.5) "," D(0.5) "],\"member_ord\":null}"));
    fc_face_rec back = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_face_parse(&d, &back, &err), &err);
    CHECK(!strcmp(back.face_id, FACE1) && !strcmp(back.clustering_id, RUN) && !back.person_id[0]);
    CHECK(back.n_landmarks == 5 && back.landmarks[9] == 9 && back.dim == 2 && back.bbox[2] == 3);
    fc_face_rec_clear(&back);
    bson_destroy(&d);

    bson_t arr = BSON_INITIALIZER;
    fc_image_rec img = {.image_path = "b.jpg", .ok = 0, .reason = "cannot decode"};
    fc_mongo_image_append(&arr, "0", &img);
    CHECK(bson_is(&arr, "{\"0\":{\"image_path\":\"b.jpg\",\"ok\":false,\"n_faces\":" I(0)
                        ",\"reason\":\"cannot decode\"}}"));
    bson_destroy(&arr);
    /* a fingerprint is written when known and read back; a document without one (as
       written before it existed, or for an image without one) reads as NULL */
    fc_image_rec fimg = {.image_path = "c.jpg", .ok = 1, .n_faces = 2,
                         .fingerprint = "size=9 etag=\"e\""};
    bson_init(&arr);
    fc_mongo_image_append(&arr, "0", &fimg);
    CHECK(bson_is(&arr, "{\"0\":{\"image_path\":\"c.jpg\",\"ok\":true,\"n_faces\":" I(2)
                        ",\"reason\":null,\"fingerprint\":\"size=9 etag=\\\"e\\\"\"}}"));
    bson_iter_t fit;
    uint32_t flen;
    const uint8_t *fdata;
    bson_t fsub;
    CHECK(bson_iter_init_find(&fit, &arr, "0") && BSON_ITER_HOLDS_DOCUMENT(&fit));
    bson_iter_document(&fit, &flen, &fdata);
    CHECK(bson_init_static(&fsub, fdata, flen));
    fc_image_rec fback = {0};
    CHECK_OK(fc_mongo_image_parse(&fsub, &fback, &err), &err);
    CHECK(fback.ok && fback.n_faces == 2 && !strcmp(fback.fingerprint, fimg.fingerprint));
    fc_image_rec_clear(&fback);
    bson_destroy(&arr);
    bson_t *old_doc = BCON_NEW("image_path", BCON_UTF8("d.jpg"), "ok", BCON_BOOL(true));
    CHECK_OK(fc_mongo_image_parse(old_doc, &fback, &err), &err);
    CHECK(!fback.fingerprint);
    fc_image_rec_clear(&fback);
    bson_destroy(old_doc);

    char *paths[1] = {"a.jpg"}, *ids[1] = {FACE1};
    fc_assignment_rec a = {.similarity = 0.5f, .face_count = 1, .image_paths = paths,
                           .n_image_paths = 1, .face_ids = ids, .n_face_ids = 1};
    snprintf(a.clustering_id, sizeof a.clustering_id, RUN);
    snprintf(a.cluster_id, sizeof a.cluster_id, "person_0");
    snprintf(a.bucket_name, sizeof a.bucket_name, "wedding");
    snprintf(a.sub_bucket, sizeof a.sub_bucket, "day1");
    snprintf(a.user_id, sizeof a.user_id, "alice");
    snprintf(a.strategy, sizeof a.strategy, "centroid");
    fc_mongo_assignment_update(&a, NOW, &d);
    CHECK(bson_is(&d, "{\"$set\":{\"clustering_id\":\"" RUN "\",\"cluster_id\":\"person_0\","
                      "\"bucket_path\":\"wedding/day1\",\"bucket_name\":\"wedding\",\"sub_bucket\":"
                      "\"day1\",\"user_id\":\"alice\",\"similarity\":" D(0.5) ",\"strategy\":"
                      "\"centroid\",\"face_count\":" L(1) ",\"image_paths\":[\"a.jpg\"],\"face_ids\":"
                      "[\"" FACE1 "\"],\"updated_at\":" DATE(1756698132123) "},\"$setOnInsert\":{"
                      "\"created_at\":" DATE(1756698132123) "}}"));
    bson_destroy(&d);
    bson_t *orig = BCON_NEW("clustering_id", BCON_UTF8(RUN), "cluster_id", BCON_UTF8("person_0"),
                            "bucket_path", BCON_UTF8("wedding/day1"), "user_id", BCON_UTF8("bob"),
                            "face_ids", "[", BCON_UTF8(FACE1), BCON_UTF8(FACE2), "]");
    fc_assignment_rec ab = {0};
    CHECK_OK(fc_mongo_assignment_parse(orig, &ab, &err), &err);
    CHECK(!strcmp(ab.bucket_name, "wedding") && !strcmp(ab.sub_bucket, "day1") && ab.n_face_ids == 2);
    fc_assignment_rec_clear(&ab);
    bson_destroy(orig);
    return FC_TEST_PASS;
}

TEST(mongo_retry_classification_and_backoff)
{
    bson_error_t e = {0};
    e.domain = MONGOC_ERROR_STREAM, e.code = MONGOC_ERROR_STREAM_SOCKET;
    CHECK(fc_mongo_transient(&e, NULL));
    e.domain = MONGOC_ERROR_SERVER_SELECTION, e.code = MONGOC_ERROR_SERVER_SELECTION_FAILURE;
    CHECK(fc_mongo_transient(&e, NULL));
    e.domain = MONGOC_ERROR_SERVER, e.code = 10107; /* NotWritablePrimary */
    CHECK(fc_mongo_transient(&e, NULL));
    e.code = 189; /* PrimarySteppedDown */
    CHECK(fc_mongo_transient(&e, NULL));
    e.code = 11000; /* duplicate key: never */
    CHECK(!fc_mongo_transient(&e, NULL));
    e.code = 2; /* BadValue */
    CHECK(!fc_mongo_transient(&e, NULL));
    bson_t *reply = BCON_NEW("ok", BCON_INT32(0), "errorLabels", "[", BCON_UTF8("RetryableWriteError"), "]");
    CHECK(fc_mongo_transient(&e, reply));
    bson_destroy(reply);
    reply = BCON_NEW("errorLabels", "[", BCON_UTF8("NoWritesPerformed"), "]");
    CHECK(!fc_mongo_transient(&e, reply));
    bson_destroy(reply);
    e.domain = MONGOC_ERROR_BSON;
    e.code = 10107;
    CHECK(!fc_mongo_transient(&e, NULL));

    CHECK(fc_mongo_backoff_ms(0, 0) == 25 && fc_mongo_backoff_ms(0, 0.999999) == 49);
    CHECK(fc_mongo_backoff_ms(1, 0) == 50 && fc_mongo_backoff_ms(4, 0) == 400);
    CHECK(fc_mongo_backoff_ms(5, 0) == 800 && fc_mongo_backoff_ms(30, 0) == 800);
    CHECK(fc_mongo_backoff_ms(2, -1) == 100);

    fc_error err = {0};
    e.domain = MONGOC_ERROR_SERVER, e.code = 11000;
    snprintf(e.message, sizeof e.message, "E11000 duplicate key");
    CHECK(fc_mongo_error(&err, "insert", &e) == FC_ERR_ARG && strstr(err.msg, "E11000"));
    e.code = 6;
    CHECK(fc_mongo_error(&err, "insert", &e) == FC_ERR_IO);
    return FC_TEST_PASS;
}
