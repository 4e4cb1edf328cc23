/* test_heap_json.c - out of memory at every step (sweep.h) in the JSON we write and
 * keep: string arrays stored as text (core/json.c) and Qdrant request bodies. Text
 * written with an allocation failing must be whole or not be at all (jansson's
 * json_dumps could cut part of a key out: fc_json_dump). */
#include "core/json.h"
#include "heap/hook.h"
#include "heap/sweep.h"
#include "store/qdrant_int.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *const paths[] = {"wedding/day1/IMG_0001.jpg", "a \"quoted\" name.jpg",
                              "caf\xc3\xa9/\xe2\x82\xac.png"};
static const char paths_json[] =
    "[\"wedding/day1/IMG_0001.jpg\",\"a \\\"quoted\\\" name.jpg\",\"caf\xc3\xa9/\xe2\x82\xac.png\"]";

static int dump_paths(const void *user, fc_error *err)
{
    (void)user;
    char *text;
    fc_status rc = fc_json_strv_dump(paths, 3, &text, err);
    if (rc && rc != FC_ERR_NOMEM)
        fc_heap_wrong("good strings refused: %s", err->msg);
    else if (text && strcmp(text, paths_json) != 0)
        fc_heap_wrong("wrote %s", text);
    free(text);
    return text != NULL;
}

/* Loading goes through json_loads: leaks and messages only, as jansson can drop a
 * character of a string when memory is short (akheron/jansson#362). */
static int load_paths(const void *user, fc_error *err)
{
    (void)user;
    char **v = NULL;
    size_t n = 0;
    fc_status rc = fc_json_strv_load(paths_json, &v, &n, err);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc == FC_OK;
}

TEST(heap_json_string_arrays_survive_each_allocation_failing)
{
    int rc = fc_heap_sweep("writing a JSON array of 3 strings", dump_paths, NULL);
    if (rc == FC_TEST_PASS)
        rc = fc_heap_sweep("reading a JSON array of 3 strings", load_paths, NULL);
    return rc;
}

/* With jansson's first allocation (its lexer's buffer) failing, a stored array is
 * out of memory, not "not a JSON array of strings". */
TEST(heap_json_string_array_without_memory_is_nomem)
{
    if (!fc_heap_hooked())
        SKIP("malloc is not hooked in this build (AddressSanitizer owns the heap)");
    char **v = NULL;
    size_t n = 0;
    fc_error err = {0};
    fc_heap_fail_nth(1);
    fc_status rc = fc_json_strv_load(paths_json, &v, &n, &err);
    int failed = fc_heap_failure_happened();
    fc_heap_fail_nth(0);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    CHECK_MSG(failed && rc == FC_ERR_NOMEM, "%s", err.msg);
    return FC_TEST_PASS;
}

#define FACE "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"

static const char upsert_json[] =
    "{\"points\":[{\"id\":\"" FACE "\",\"vector\":[0.75,-0.5],\"payload\":{\"face_id\":\"" FACE
    "\",\"image_path\":\"wedding/day1/IMG_0001.jpg\",\"person_id\":\"person_1\","
    "\"is_owner_face\":true,\"clustering_id\":\"66d3e1f4a1b2c3d4e5000001\","
    "\"bucket_name\":\"wedding\",\"sub_bucket\":\"day1\",\"bbox\":[10,20,30,40],"
    "\"confidence\":0.5,\"quality_score\":0.25,\"cluster_confidence\":1.0}}]}";

static int write_upsert(const void *user, fc_error *err)
{
    json_t *body = fc_qdrant_body_upsert(user, 1);
    char *text = body ? fc_qdrant_dump(body) : NULL;
    if (!text)
        fc_error_set(err, FC_ERR_NOMEM, "an upsert body: out of memory");
    else if (strcmp(text, upsert_json) != 0)
        fc_heap_wrong("wrote %s", text);
    free(text);
    json_decref(body);
    return text != NULL;
}

TEST(heap_qdrant_request_body_survives_each_allocation_failing)
{
    float vec[2] = {0.75f, -0.5f};
    fc_vec_point p = {.vector = vec, .dim = 2};
    snprintf(p.payload.face_id, sizeof p.payload.face_id, "%s", FACE);
    snprintf(p.payload.clustering_id, sizeof p.payload.clustering_id, "66d3e1f4a1b2c3d4e5000001");
    snprintf(p.payload.person_id, sizeof p.payload.person_id, "person_1");
    snprintf(p.payload.bucket_name, sizeof p.payload.bucket_name, "wedding");
    snprintf(p.payload.sub_bucket, sizeof p.payload.sub_bucket, "day1");
    p.payload.image_path = "wedding/day1/IMG_0001.jpg";
    p.payload.is_owner_face = 1;
    p.payload.bbox[0] = 10, p.payload.bbox[1] = 20, p.payload.bbox[2] = 30, p.payload.bbox[3] = 40;
    p.payload.confidence = 0.5f, p.payload.quality_score = 0.25f;
    p.payload.cluster_confidence = 1.0f;
    return fc_heap_sweep("writing a Qdrant upsert body", write_upsert, &p);
}
