/* test_vectors_qdrant.c - the Qdrant backend without a server: request bodies
 * compared with the JSON Qdrant's API expects, responses of tests/fixtures/qdrant
 * (sources in SOURCES.md there) parsed, URL, headers, retry and backoff rules. */
#include "test.h"

#include "store/qdrant_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* 1 if body equals the JSON text expected (key order and spacing ignored). */
static int json_is(json_t *body, const char *expected)
{
    json_t *want = json_loads(expected, 0, NULL);
    int same = body && want && json_equal(body, want);
    if (!same) {
        char *got = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        fprintf(stderr, "  got:      %s\n  expected: %s\n", got ? got : "(null)", expected);
        free(got);
    }
    json_decref(want);
    json_decref(body);
    return same;
}

static char *fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/qdrant/%s", fc_test_root(), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

#define FACE "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
#define RUN "66d3e1f4a1b2c3d4e5000001"

TEST(qdrant_request_bodies)
{
    CHECK(json_is(fc_qdrant_body_create(512), "{\"vectors\":{\"size\":512,\"distance\":\"Cosine\"}}"));
    CHECK(json_is(fc_qdrant_body_index("clustering_id"),
                  "{\"field_name\":\"clustering_id\",\"field_schema\":\"keyword\"}"));
    CHECK(!strcmp(fc_qdrant_indexed_fields[0], "clustering_id") &&
          !strcmp(fc_qdrant_indexed_fields[1], "person_id") &&
          !strcmp(fc_qdrant_indexed_fields[2], "bucket_name"));

    fc_vec_filter f = {.clustering_id = RUN, .person_id = "person_1"};
    const char *filter = "{\"must\":[{\"key\":\"clustering_id\",\"match\":{\"value\":\"" RUN "\"}},"
                         "{\"key\":\"person_id\",\"match\":{\"value\":\"person_1\"}}]}";
    char want[1024];
    float q[3] = {0.5f, 0.25f, -1.0f};
    snprintf(want, sizeof want, "{\"vector\":[0.5,0.25,-1.0],\"limit\":7,\"with_payload\":true,"
             "\"with_vector\":false,\"filter\":%s}", filter);
    CHECK(json_is(fc_qdrant_body_search(q, 3, 7, &f), want));
    CHECK(json_is(fc_qdrant_body_search(q, 3, 1, NULL),
                  "{\"vector\":[0.5,0.25,-1.0],\"limit\":1,\"with_payload\":true,\"with_vector\":false}"));

    snprintf(want, sizeof want, "{\"filter\":%s}", filter);
    CHECK(json_is(fc_qdrant_body_delete(&f), want));
    CHECK(fc_qdrant_body_delete(&(fc_vec_filter){0}) == NULL); /* never "delete everything" */
    snprintf(want, sizeof want, "{\"exact\":true,\"filter\":%s}", filter);
    CHECK(json_is(fc_qdrant_body_count(&f), want));
    CHECK(json_is(fc_qdrant_body_count(NULL), "{\"exact\":true}"));

    json_t *off = json_string("7a1f0c3e-1111-4222-8333-944455556666");
    CHECK(json_is(fc_qdrant_body_scroll(NULL, 256, 1, off),
                  "{\"limit\":256,\"with_payload\":true,\"with_vector\":true,"
                  "\"offset\":\"7a1f0c3e-1111-4222-8333-944455556666\"}"));
    json_decref(off);
    fc_vec_filter b = {.bucket_name = "wedding", .sub_bucket = "day1"};
    CHECK(json_is(fc_qdrant_body_scroll(&b, 10, 0, NULL),
                  "{\"limit\":10,\"with_payload\":true,\"with_vector\":false,\"filter\":{\"must\":["
                  "{\"key\":\"bucket_name\",\"match\":{\"value\":\"wedding\"}},"
                  "{\"key\":\"sub_bucket\",\"match\":{\"value\":\"day1\"}}]}}"));
    return FC_TEST_PASS;
}

TEST(qdrant_upsert_body_has_typed_payload)
{
    float v[2] = {0.75f, -0.5f};
    fc_vec_point p = {.vector = v, .dim = 2};
    snprintf(p.payload.face_id, sizeof p.payload.face_id, FACE);
    snprintf(p.payload.clustering_id, sizeof p.payload.clustering_id, RUN);
    snprintf(p.payload.bucket_name, sizeof p.payload.bucket_name, "wedding");
    snprintf(p.payload.sub_bucket, sizeof p.payload.sub_bucket, "day1");
    p.payload.image_path = "wedding/day1/a.jpg";
    p.payload.is_owner_face = 1;
    p.payload.bbox[0] = 10, p.payload.bbox[1] = 20, p.payload.bbox[2] = 30, p.payload.bbox[3] = 40;
    p.payload.confidence = 0.5f, p.payload.quality_score = 0.25f, p.payload.cluster_confidence = 1;
    CHECK(json_is(fc_qdrant_body_upsert(&p, 1),
                  "{\"points\":[{\"id\":\"" FACE "\",\"vector\":[0.75,-0.5],\"payload\":{"
                  "\"face_id\":\"" FACE "\",\"image_path\":\"wedding/day1/a.jpg\",\"person_id\":null,"
                  "\"is_owner_face\":true,\"clustering_id\":\"" RUN "\",\"bucket_name\":\"wedding\","
                  "\"sub_bucket\":\"day1\",\"bbox\":[10,20,30,40],\"confidence\":0.5,"
                  "\"quality_score\":0.25,\"cluster_confidence\":1.0}}]}"));
    /* the text sent: floats short enough to read, exact for float32 */
    json_t *body = fc_qdrant_body_upsert(&p, 1);
    char *text = fc_qdrant_dump(body);
    CHECK(text && strstr(text, "\"vector\":[0.75,-0.5]") && strstr(text, "\"is_owner_face\":true"));
    free(text);
    json_decref(body);
    return FC_TEST_PASS;
}

/* A file name that is not UTF-8 (Qdrant refuses such a payload string) goes as its
 * Latin-1 reading plus its real bytes in hex, and comes back byte for byte. */
TEST(qdrant_payload_latin1_path_round_trip)
{
    float v[2] = {1, 0};
    fc_vec_point p = {.vector = v, .dim = 2};
    snprintf(p.payload.face_id, sizeof p.payload.face_id, FACE);
    p.payload.image_path = "b/s/caf\xe9 \xff.jpg";
    json_t *body = fc_qdrant_body_upsert(&p, 1);
    CHECK_MSG(body, "a Latin-1 file name made no upsert body");
    json_t *points = json_object_get(body, "points");
    json_t *pl = json_object_get(json_array_get(points, 0), "payload");
    CHECK(!strcmp(json_string_value(json_object_get(pl, "image_path")),
                  "b/s/caf\xc3\xa9 \xc3\xbf.jpg"));
    CHECK(!strcmp(json_string_value(json_object_get(pl, "image_path_bytes_hex")),
                  "622f732f636166e920ff2e6a7067"));
    char *text = fc_qdrant_dump(body);
    CHECK(text != NULL);
    free(text);

    fc_vec_list got = {0};
    fc_error err = {0};
    CHECK_OK(fc_qdrant_parse_points(points, &got, &err), &err);
    CHECK(got.n == 1 && !strcmp(got.items[0].payload.image_path, "b/s/caf\xe9 \xff.jpg"));
    fc_vec_list_free(&got);

    /* a UTF-8 name has no hex field; a broken hex field is an error, not a wrong path */
    p.payload.image_path = "b/s/caf\xc3\xa9.jpg";
    json_decref(body);
    body = fc_qdrant_body_upsert(&p, 1);
    points = json_object_get(body, "points");
    pl = json_object_get(json_array_get(points, 0), "payload");
    CHECK(json_object_get(pl, "image_path_bytes_hex") == NULL);
    json_object_set_new(pl, "image_path_bytes_hex", json_string("e9f"));
    CHECK(fc_qdrant_parse_points(points, &got, &err) == FC_ERR_FORMAT);
    CHECK(strstr(err.msg, "image_path_bytes_hex") != NULL);
    fc_vec_list_free(&got);
    json_decref(body);
    return FC_TEST_PASS;
}

TEST(qdrant_parse_recorded_responses)
{
    fc_error err = {0};
    json_t *res = NULL;
    char *body = fixture("collection_info.json");
    CHECK_MSG(body, "tests/fixtures/qdrant/collection_info.json missing");
    CHECK_OK(fc_qdrant_parse("get collection", 200, body, &res, &err), &err);
    int dim = 0;
    CHECK_OK(fc_qdrant_parse_dim(res, &dim, &err), &err);
    CHECK(dim == 512);
    json_decref(res);
    free(body);

    body = fixture("collection_not_found.json");
    CHECK(fc_qdrant_parse("get collection", 404, body, &res, &err) == FC_ERR_IO && !res);
    CHECK(strstr(err.msg, "HTTP 404") && strstr(err.msg, "doesn't exist"));
    free(body);
    body = fixture("bad_request.json");
    CHECK(fc_qdrant_parse("upsert", 400, body, &res, &err) == FC_ERR_IO);
    CHECK(strstr(err.msg, "Vector dimension error"));
    free(body);
    CHECK(fc_qdrant_parse("upsert", 502, "<html>Bad Gateway</html>", &res, &err) == FC_ERR_IO);
    CHECK(strstr(err.msg, "unexpected response") && strstr(err.msg, "Bad Gateway"));
    CHECK(fc_qdrant_parse("upsert", 200, NULL, &res, &err) == FC_ERR_IO);

    body = fixture("upsert_ok.json");
    CHECK_OK(fc_qdrant_parse("upsert", 200, body, &res, &err), &err);
    CHECK(!strcmp(json_string_value(json_object_get(res, "status")), "completed"));
    json_decref(res);
    free(body);

    body = fixture("count.json");
    int64_t n = 0;
    CHECK_OK(fc_qdrant_parse("count", 200, body, &res, &err), &err);
    CHECK_OK(fc_qdrant_parse_count(res, &n, &err), &err);
    CHECK(n == 3811);
    json_decref(res);
    free(body);

    body = fixture("search.json");
    fc_vec_list hits = {0};
    CHECK_OK(fc_qdrant_parse("search", 200, body, &res, &err), &err);
    CHECK_OK(fc_qdrant_parse_points(res, &hits, &err), &err);
    CHECK(hits.n == 2);
    fc_vec_point *h = &hits.items[0];
    CHECK(!strcmp(h->payload.face_id, FACE) && !strcmp(h->payload.clustering_id, RUN));
    CHECK(!strcmp(h->payload.person_id, "person_0") && h->payload.is_owner_face);
    CHECK(!strcmp(h->payload.image_path, "wedding/day1/IMG_0001.jpg"));
    CHECK(h->payload.bbox[2] == 110 && h->vector == NULL);
    CHECK_NEAR(h->score, 0.9977, 1e-6);
    CHECK_NEAR(h->payload.quality_score, 0.75, 1e-6);
    CHECK(hits.items[1].payload.person_id[0] == '\0' && !hits.items[1].payload.is_owner_face);
    fc_vec_list_free(&hits);
    json_decref(res);
    free(body);

    body = fixture("scroll_page.json");
    json_t *next = NULL;
    CHECK_OK(fc_qdrant_parse("scroll", 200, body, &res, &err), &err);
    CHECK_OK(fc_qdrant_parse_scroll(res, &hits, &next, &err), &err);
    CHECK(hits.n == 1 && hits.items[0].dim == 3 && hits.items[0].vector);
    CHECK_NEAR(hits.items[0].vector[1], 0.8, 1e-6);
    CHECK(json_is_string(next));
    json_decref(next);
    fc_vec_list_free(&hits);
    json_decref(res);
    free(body);

    body = fixture("scroll_int_ids.json");
    CHECK_OK(fc_qdrant_parse("scroll", 200, body, &res, &err), &err);
    CHECK(fc_qdrant_parse_scroll(res, &hits, &next, &err) == FC_ERR_FORMAT);
    fc_vec_list_free(&hits);
    json_decref(next);
    json_decref(res);
    free(body);
    return FC_TEST_PASS;
}

/* Found by fuzz/fuzz_responses.c: a point id of 36 characters that is not a UUID
 * ("0,8e3f9a-...") was taken as a face_id, since only the length was checked. */
TEST(qdrant_parse_rejects_point_ids_that_are_not_uuids)
{
    static const char *const bad[] = {
        "0,8e3f9a-3b1c-4d2e-9f00-aa11bb22cc33", "0f8e8f9a-3b1c-4d2e-9f00-aa11bb22cc3",
        "0f8e8f9a_3b1c_4d2e_9f00_aa11bb22cc33", "../../../../../../../../../../etc/xx",
    };
    fc_error err = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *points = json_pack("[{s:s, s:{}}]", "id", bad[i], "payload");
        fc_vec_list hits = {0};
        CHECK(points);
        CHECK_MSG(fc_qdrant_parse_points(points, &hits, &err) == FC_ERR_FORMAT, "accepted %s", bad[i]);
        CHECK(strstr(err.msg, "not a UUID"));
        fc_vec_list_free(&hits);
        json_decref(points);
    }
    json_t *points = json_pack("[{s:s}]", "id", FACE);
    fc_vec_list hits = {0};
    CHECK_OK(fc_qdrant_parse_points(points, &hits, &err), &err);
    CHECK(hits.n == 1 && !strcmp(hits.items[0].payload.face_id, FACE));
    fc_vec_list_free(&hits);
    json_decref(points);
    return FC_TEST_PASS;
}

/* Found by fuzz/fuzz_responses.c (UBSan: "4.44444e+111 is outside the range of
 * representable values of type 'int'"): a bbox number beyond int was converted
 * to int. It is a format error now; numbers within int still truncate as before. */
TEST(qdrant_parse_rejects_bbox_beyond_int)
{
    static const char *const bad[] = {
        "[10,20,4.4444444444444444e111,130]", "[10,20,30,2147483648]",
        "[-2147483649,0,1,1]", "[9223372036854775807,0,1,1]",
    };
    fc_error err = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[{\"id\":\"%s\",\"payload\":{\"bbox\":%s}}]", FACE, bad[i]);
        json_t *points = json_loads(text, 0, NULL);
        fc_vec_list hits = {0};
        CHECK(points);
        CHECK_MSG(fc_qdrant_parse_points(points, &hits, &err) == FC_ERR_FORMAT, "accepted %s", bad[i]);
        CHECK(strstr(err.msg, "bbox") && strstr(err.msg, FACE));
        fc_vec_list_free(&hits);
        json_decref(points);
    }
    json_t *points = json_loads("[{\"id\":\"" FACE "\",\"payload\":{\"bbox\":"
                                "[2147483647.9,-2147483648.9,3.5,\"x\"]}}]", 0, NULL);
    fc_vec_list hits = {0};
    CHECK_OK(fc_qdrant_parse_points(points, &hits, &err), &err);
    const int *b = hits.items[0].payload.bbox;
    CHECK(hits.n == 1 && b[0] == INT_MAX && b[1] == INT_MIN && b[2] == 3 && b[3] == 0);
    fc_vec_list_free(&hits);
    json_decref(points);
    return FC_TEST_PASS;
}

TEST(qdrant_http_rules)
{
    char url[128];
    CHECK(!fc_qdrant_url("http://q:6333/", "/collections", url, sizeof url));
    CHECK(!strcmp(url, "http://q:6333/collections"));
    CHECK(!fc_qdrant_url("http://q:6333", "collections/x", url, sizeof url));
    CHECK(!strcmp(url, "http://q:6333/collections/x"));
    CHECK(fc_qdrant_url("http://q:6333", "/collections", url, 10) == -1);

    struct curl_slist *h = fc_qdrant_headers("s3cret");
    int json = 0, key = 0;
    for (struct curl_slist *l = h; l; l = l->next) {
        json |= !strcmp(l->data, "Content-Type: application/json");
        key |= !strcmp(l->data, "api-key: s3cret");
    }
    curl_slist_free_all(h);
    CHECK(json && key);
    h = fc_qdrant_headers(NULL);
    for (struct curl_slist *l = h; l; l = l->next)
        CHECK(strncmp(l->data, "api-key", 7) != 0);
    curl_slist_free_all(h);

    CHECK(fc_qdrant_retryable(CURLE_COULDNT_CONNECT, 0));
    CHECK(fc_qdrant_retryable(CURLE_OPERATION_TIMEDOUT, 0));
    CHECK(fc_qdrant_retryable(CURLE_OK, 503) && fc_qdrant_retryable(CURLE_OK, 429));
    CHECK(!fc_qdrant_retryable(CURLE_OK, 200) && !fc_qdrant_retryable(CURLE_OK, 400));
    CHECK(!fc_qdrant_retryable(CURLE_OK, 404) && !fc_qdrant_retryable(CURLE_URL_MALFORMAT, 0));

    CHECK(fc_qdrant_backoff_ms(0, 0) == 50 && fc_qdrant_backoff_ms(0, 0.999999) == 99);
    CHECK(fc_qdrant_backoff_ms(1, 0) == 100 && fc_qdrant_backoff_ms(3, 0) == 400);
    CHECK(fc_qdrant_backoff_ms(9, 0) == 1600 && fc_qdrant_backoff_ms(2, 7.0) == 200);
    return FC_TEST_PASS;
}

TEST(qdrant_unreachable_server_is_a_startup_error)
{
    /* port 9 on loopback: nothing listens, the connection is refused at once */
    fc_config cfg = {0};
    cfg.db_path = "unused.db";
    cfg.qdrant_url = "http://127.0.0.1:9";
    cfg.qdrant_collection = "face_embeddings";
    fc_error err = {0};
    CHECK(fc_vectors_open(&cfg, &err) == NULL);
    CHECK(err.code == FC_ERR_IO && strstr(err.msg, "does not answer"));
    cfg.qdrant_url = "ftp://127.0.0.1:9";
    CHECK(fc_vectors_open(&cfg, &err) == NULL && err.code == FC_ERR_ARG);
    return FC_TEST_PASS;
}
