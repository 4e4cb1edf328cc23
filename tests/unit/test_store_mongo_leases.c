/* test_store_mongo_leases.c - shared runs on MongoDB without a server: the work
 * list documents, indexes, the shared-run upsert and the write commands of claim,
 * heartbeat, complete, release and the finish claim (mongo_lease_docs.c), compared
 * with expected canonical extended JSON. What the server does with them is checked
 * by fc_conformance_leases when MONGODB_URL is set (test_backends_live.c). */
#include "test.h"

#include "store/mongo_int.h"

#include <stdio.h>
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

/* The canonical extended JSON of the value at a dotted path of doc ("" if none). */
static int value_is(const bson_t *doc, const char *path, const char *expected)
{
    bson_iter_t it, v;
    bson_t holder = BSON_INITIALIZER;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &v))
        bson_append_iter(&holder, "v", -1, &v);
    char want[512];
    snprintf(want, sizeof want, "{\"v\":%s}", expected);
    int same = bson_is(&holder, want);
    bson_destroy(&holder);
    return same;
}

#define I(x) "{\"$numberInt\":\"" #x "\"}"
#define L(x) "{\"$numberLong\":\"" #x "\"}"
#define DATE(x) "{\"$date\":{\"$numberLong\":\"" #x "\"}}"
#define NOW 1756698132123LL
#define RUN "66d3e1f4a1b2c3d4e5000001"
#define OID "{\"$oid\":\"" RUN "\"}"
#define W1 "host:1:1:aaaa"
#define TOK "66d3e1f4a1b2c3d4e5000009"
#define RUNS "person_clustering_w_d"
#define WORK "run_work_w_d"
#define UNTIL(key) "\"" key "\":{\"$add\":[\"$$NOW\"," L(3000) "]}"

TEST(mongo_lease_ops_in_table)
{
    CHECK(fc_store_mongo.run_open_shared && fc_store_mongo.lease_claim &&
          fc_store_mongo.lease_heartbeat && fc_store_mongo.lease_complete &&
          fc_store_mongo.lease_release && fc_store_mongo.run_claim_finish);
    return FC_TEST_PASS;
}

TEST(mongo_lease_work_list_and_indexes)
{
    char work[FC_MONGO_COLL_MAX];
    fc_mongo_work_of(RUNS, work);
    CHECK(!strcmp(work, WORK));
    bson_t c;
    CHECK(fc_mongo_lease_index_command(work, &c) == 0);
    CHECK(bson_is(&c, "{\"createIndexes\":\"" WORK "\",\"indexes\":[{\"key\":{\"clustering_id\":"
                      I(1) ",\"image_path\":" I(1) "},\"name\":\"clustering_id_image_path_unique\","
                      "\"unique\":true},{\"key\":{\"clustering_id\":" I(1) ",\"state\":" I(1)
                      ",\"image_path\":" I(1) "},\"name\":\"clustering_id_state_image_path\"}]}"));
    bson_destroy(&c);
    CHECK(fc_mongo_lease_index_command(RUNS, &c) == 0);
    CHECK(bson_is(&c, "{\"createIndexes\":\"" RUNS "\",\"indexes\":[{\"key\":{\"shared\":" I(1)
                      "},\"name\":\"one_shared_running\",\"unique\":true,"
                      "\"partialFilterExpression\":{\"shared\":true,\"status\":\"running\"}}]}"));
    bson_destroy(&c);
    CHECK(fc_mongo_lease_index_command("person_faces_w_d", &c) == -1);

    bson_t d;
    fc_mongo_work_doc(RUN, "a.jpg", &d);
    CHECK(bson_is(&d, "{\"clustering_id\":\"" RUN "\",\"image_path\":\"a.jpg\",\"state\":\"free\","
                      "\"worker\":null,\"claim\":null,\"lease_until\":" DATE(0) ",\"attempts\":"
                      I(0) "}"));
    bson_destroy(&d);
    return FC_TEST_PASS;
}

TEST(mongo_lease_shared_upsert)
{
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, RUN);
    snprintf(run.bucket, sizeof run.bucket, "w");
    snprintf(run.sub, sizeof run.sub, "d");
    snprintf(run.timestamp, sizeof run.timestamp, "2025-09-01T03:42:12.123000");
    bson_t c;
    fc_mongo_shared_upsert(RUNS, &run, NOW, &c);
    CHECK(value_is(&c, "findAndModify", "\"" RUNS "\""));
    CHECK(value_is(&c, "query", "{\"shared\":true,\"status\":\"running\"}"));
    CHECK(value_is(&c, "upsert", "true") && value_is(&c, "new", "true"));
    CHECK(value_is(&c, "update.$setOnInsert._id", OID));
    CHECK(value_is(&c, "update.$setOnInsert.status", "\"running\""));
    CHECK(value_is(&c, "update.$setOnInsert.shared", "true"));
    CHECK(value_is(&c, "update.$setOnInsert.work_ready", "false"));
    CHECK(value_is(&c, "update.$setOnInsert.timestamp", DATE(1756698132123)));
    bson_iter_t it, v;
    CHECK(bson_iter_init(&it, &c) && !bson_iter_find_descendant(&it, "update.$setOnInsert.owner", &v));
    bson_destroy(&c);
    return FC_TEST_PASS;
}

TEST(mongo_lease_claim_and_heartbeat_commands)
{
    bson_t c;
    fc_mongo_claim_command(WORK, RUN, W1, TOK, 3000, &c);
    CHECK(bson_is(&c, "{\"findAndModify\":\"" WORK "\",\"query\":{\"clustering_id\":\"" RUN "\","
                      "\"state\":{\"$ne\":\"done\"},\"$or\":[{\"worker\":null},{\"$expr\":{\"$lte\":"
                      "[\"$lease_until\",\"$$NOW\"]}},{\"worker\":\"" W1 "\",\"claim\":{\"$ne\":\""
                      TOK "\"}}]},\"sort\":{\"image_path\":" I(1) "},\"update\":[{\"$set\":{"
                      "\"state\":\"leased\",\"worker\":{\"$literal\":\"" W1 "\"},\"claim\":{"
                      "\"$literal\":\"" TOK "\"},\"attempts\":{\"$add\":[{\"$ifNull\":["
                      "\"$attempts\"," I(0) "]}," I(1) "]}," UNTIL("lease_until") "}}],"
                      "\"new\":false,\"fields\":{\"image_path\":" I(1) ",\"worker\":" I(1) "}}"));
    bson_destroy(&c);
    fc_mongo_heartbeat_command(WORK, RUN, W1, 3000, &c);
    CHECK(bson_is(&c, "{\"update\":\"" WORK "\",\"updates\":[{\"q\":{\"clustering_id\":\"" RUN
                      "\",\"state\":\"leased\",\"worker\":\"" W1 "\"},\"u\":[{\"$set\":{"
                      UNTIL("lease_until") "}}],\"multi\":true}]}"));
    bson_destroy(&c);
    fc_mongo_finish_heartbeat_command(RUNS, RUN, W1, 3000, &c);
    CHECK(bson_is(&c, "{\"update\":\"" RUNS "\",\"updates\":[{\"q\":{\"_id\":" OID ",\"status\":"
                      "\"running\",\"finisher\":\"" W1 "\"},\"u\":[{\"$set\":{" UNTIL("finish_until")
                      "}}],\"multi\":false}]}"));
    bson_destroy(&c);
    return FC_TEST_PASS;
}

TEST(mongo_lease_complete_release_and_finish_commands)
{
    bson_t c;
    fc_mongo_done_command(WORK, RUN, W1, "a.jpg", &c);
    CHECK(bson_is(&c, "{\"update\":\"" WORK "\",\"updates\":[{\"q\":{\"clustering_id\":\"" RUN
                      "\",\"image_path\":\"a.jpg\",\"state\":\"leased\",\"worker\":\"" W1 "\"},"
                      "\"u\":{\"$set\":{\"state\":\"done\"}},\"multi\":false}]}"));
    bson_destroy(&c);
#define FREE_U "\"u\":{\"$set\":{\"state\":\"free\",\"worker\":null,\"claim\":null,\"lease_until\":" \
               DATE(0) "}}"
    fc_mongo_free_command(WORK, RUN, W1, "leased", NULL, &c);
    CHECK(bson_is(&c, "{\"update\":\"" WORK "\",\"updates\":[{\"q\":{\"clustering_id\":\"" RUN
                      "\",\"state\":\"leased\",\"worker\":\"" W1 "\"}," FREE_U ",\"multi\":true}]}"));
    bson_destroy(&c);
    fc_mongo_free_command(WORK, RUN, W1, "done", "a.jpg", &c);
    CHECK(bson_is(&c, "{\"update\":\"" WORK "\",\"updates\":[{\"q\":{\"clustering_id\":\"" RUN
                      "\",\"state\":\"done\",\"worker\":\"" W1 "\",\"image_path\":\"a.jpg\"},"
                      FREE_U ",\"multi\":false}]}"));
    bson_destroy(&c);
    fc_mongo_unclaim_finish_command(RUNS, RUN, W1, &c);
    CHECK(bson_is(&c, "{\"update\":\"" RUNS "\",\"updates\":[{\"q\":{\"_id\":" OID ",\"finisher\":\""
                      W1 "\"},\"u\":{\"$set\":{\"finisher\":null,\"finish_until\":" DATE(0) "},"
                      "\"$unset\":{\"owner\":\"\"}},\"multi\":false}]}"));
    bson_destroy(&c);
    fc_mongo_claim_finish_command(RUNS, RUN, W1, "boot:1:2:h1", 3000, &c);
    CHECK(bson_is(&c, "{\"update\":\"" RUNS "\",\"updates\":[{\"q\":{\"_id\":" OID ",\"status\":"
                      "\"running\",\"shared\":true,\"$or\":[{\"finisher\":null},{\"finisher\":\"" W1
                      "\"},{\"$expr\":{\"$lte\":[\"$finish_until\",\"$$NOW\"]}}]},\"u\":[{\"$set\":{"
                      "\"finisher\":{\"$literal\":\"" W1 "\"},\"owner\":{\"$literal\":\"boot:1:2:h1\"},"
                      UNTIL("finish_until") "}}],\"multi\":false}]}"));
    bson_destroy(&c);

    /* a face of a shared run says which worker wrote it */
    float e[2] = {1, 0};
    fc_face_rec f = {.image_path = "a.jpg", .embedding = e, .dim = 2};
    snprintf(f.face_id, sizeof f.face_id, "5c56c793-69f3-4fbf-87e6-c4bf54c28c26");
    fc_mongo_lease_face_doc(&f, RUN, W1, NOW, &c);
    CHECK(value_is(&c, "worker", "\"" W1 "\"") && value_is(&c, "clustering_id", "\"" RUN "\""));
    fc_face_rec back = {0};
    fc_error err = {0};
    CHECK_OK(fc_mongo_face_parse(&c, &back, &err), &err); /* the extra field is ignored */
    CHECK(!strcmp(back.image_path, "a.jpg"));
    fc_face_rec_clear(&back);
    bson_destroy(&c);
    return FC_TEST_PASS;
}
