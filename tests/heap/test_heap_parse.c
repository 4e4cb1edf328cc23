/* test_heap_parse.c - out of memory at every step (sweep.h) in the parsers of what
 * other services answer and of files we read: S3's ListObjectsV2 pages and <Error>
 * documents (libxml2), Qdrant's responses (jansson), .npy arrays. A run that
 * succeeds must give what a run without a failure gives: a parser that loses part
 * of its input to a failed allocation must say so, not return less. */
#include "core/alloc.h"
#include "core/npy.h"
#include "heap/hook.h"
#include "heap/sweep.h"
#include "image_util.h"
#include "source/s3.h"
#include "store/qdrant_int.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- S3 (after the examples of AWS's ListObjectsV2 API reference) ------------- */

static const char list_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>bucket</Name>\n  <Prefix>photos/</Prefix>\n"
    "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\n"
    "  <KeyCount>3</KeyCount>\n  <MaxKeys>3</MaxKeys>\n  <IsTruncated>true</IsTruncated>\n"
    "  <Contents><Key>photos/happyface.jpg</Key><Size>11</Size></Contents>\n"
    "  <Contents><Key>photos/a &amp; b.jpg</Key><Size>11</Size></Contents>\n"
    "  <Contents><Key>photos/notes.txt</Key><Size>11</Size></Contents>\n"
    "</ListBucketResult>";

static int parse_list(const void *user, fc_error *err)
{
    (void)user;
    fc_s3_list_page p;
    fc_status rc = fc_s3_parse_list(list_page, strlen(list_page), &p, err);
    if (!rc && !(p.keys.n == 3 && p.truncated && p.next_token &&
                 !strcmp(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") &&
                 !strcmp(p.keys.keys[1], "photos/a & b.jpg")))
        fc_heap_wrong("a page of %zu keys, truncated %d, token %s", p.keys.n, p.truncated,
                      p.next_token ? p.next_token : "(none)");
    if (!rc)
        fc_s3_list_page_free(&p);
    if (rc == FC_ERR_FORMAT)
        fc_heap_wrong("a good page called malformed: %s", err->msg);
    return rc == FC_OK;
}

static const char error_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
    "<Message>The specified key does not exist.</Message><Key>a.jpg</Key></Error>";

/* fc_s3_parse_error reports nothing: what it cannot read stays "", and the caller
 * then names the HTTP status alone. What it fills must be right. */
static int parse_error_doc(const void *user, fc_error *err)
{
    (void)user, (void)err;
    char code[32], msg[64];
    fc_s3_parse_error(error_doc, strlen(error_doc), code, sizeof code, msg, sizeof msg);
    int partial = fc_heap_failure_happened();
    if ((code[0] || !partial) && strcmp(code, "NoSuchKey") != 0)
        fc_heap_wrong("code \"%s\"", code);
    if ((msg[0] || !partial) && strcmp(msg, "The specified key does not exist.") != 0)
        fc_heap_wrong("message \"%s\"", msg);
    return 1;
}

TEST(heap_s3_xml_survives_each_allocation_failing)
{
    int rc = fc_heap_sweep("parsing a ListObjectsV2 page", parse_list, NULL);
    if (rc == FC_TEST_PASS)
        rc = fc_heap_sweep("parsing an S3 <Error> document", parse_error_doc, NULL);
    return rc;
}

/* ---- Qdrant (tests/fixtures/qdrant: recorded responses) ----------------------- */

static char *fixture(const char *name)
{
    char path[1024];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/tests/fixtures/qdrant/%s", fc_test_root(), name);
    char *text = (char *)tu_read_file(path, &len);
    if (text)
        text[len] = '\0'; /* tu_read_file leaves room for it */
    return text;
}

#define FACE "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"

/* Reading an answer (fc_qdrant_parse, i.e. jansson's json_loads): nothing may leak
 * and a failure must say why, but the result is not compared. jansson cannot keep
 * it right with an allocation failing (akheron/jansson#362, open): its lexer drops
 * a character when its token buffer cannot grow (lex_save ignores the failure), so
 * a point id of 36 characters comes back with 35 (allocation 10 of search.json,
 * then "not a UUID"), and it reports a failed string copy as a syntax error, which
 * reads as Qdrant's "unexpected response". */
static int read_answer(const void *user, fc_error *err)
{
    json_t *res = NULL;
    fc_status rc = fc_qdrant_parse("search", 200, user, &res, err);
    json_decref(res);
    return rc == FC_OK;
}

/* An error answer is the expected outcome here: it must name the HTTP status. */
static int read_not_found(const void *user, fc_error *err)
{
    json_t *res = NULL;
    fc_status rc = fc_qdrant_parse("get collection", 404, user, &res, err);
    json_decref(res);
    if (rc == FC_ERR_IO && strstr(err->msg, "HTTP 404") && strstr(err->msg, "doesn't exist"))
        return 1;
    if (!rc)
        fc_heap_wrong("a 404 answer taken for a result");
    return 0;
}

/* What we make of a read answer (a result parsed beforehand), compared with what a
 * run without a failure gives; a failure must not blame Qdrant (FC_ERR_FORMAT).
 * fc_qdrant_parse_dim and _count allocate nothing. */
static int answer_done(fc_status rc, const fc_error *err)
{
    if (rc == FC_ERR_FORMAT)
        fc_heap_wrong("a good answer blamed on Qdrant: %s", err->msg);
    return rc == FC_OK;
}

static int search_points(const void *user, fc_error *err)
{
    fc_vec_list hits = {0};
    fc_status rc = fc_qdrant_parse_points(user, &hits, err);
    if (!rc && !(hits.n == 2 && !strcmp(hits.items[0].payload.face_id, FACE) &&
                 hits.items[0].payload.image_path &&
                 !strcmp(hits.items[1].payload.image_path, "wedding/day1/IMG_0002.jpg") &&
                 hits.items[0].payload.bbox[3] == 130))
        fc_heap_wrong("%zu hits, not the 2 recorded", hits.n);
    fc_vec_list_free(&hits);
    return answer_done(rc, err);
}

static int scroll_page(const void *user, fc_error *err)
{
    json_t *next = NULL;
    fc_vec_list page = {0};
    fc_status rc = fc_qdrant_parse_scroll(user, &page, &next, err);
    if (!rc && !(page.n == 1 && page.items[0].dim == 3 && page.items[0].vector &&
                 !strcmp(json_string_value(next) ? json_string_value(next) : "",
                         "7a1f0c3e-1111-4222-8333-944455556666")))
        fc_heap_wrong("a page of %zu points, %s", page.n,
                      next ? "a next offset" : "no next offset (the last page)");
    fc_vec_list_free(&page);
    json_decref(next);
    return answer_done(rc, err);
}

TEST(heap_qdrant_responses_survive_each_allocation_failing)
{
    static const struct {
        const char *file, *what;
        fc_heap_op read, parsed; /* parsed: on the result read beforehand */
        const char *parsed_what;
    } cases[] = {
        {"search.json", "reading a Qdrant search answer", read_answer, search_points,
         "the points of a Qdrant search answer"},
        {"scroll_page.json", "reading a Qdrant scroll page", read_answer, scroll_page,
         "the points and offset of a Qdrant scroll page"},
        {"collection_info.json", "reading Qdrant collection info", read_answer, NULL, NULL},
        {"count.json", "reading a Qdrant count", read_answer, NULL, NULL},
        {"collection_not_found.json", "reading a Qdrant 404 answer", read_not_found, NULL, NULL},
    };
    int rc = FC_TEST_PASS;
    for (size_t i = 0; rc == FC_TEST_PASS && i < sizeof cases / sizeof cases[0]; i++) {
        char *body = fixture(cases[i].file);
        if (!body)
            return fc_test_fail(__FILE__, __LINE__, "tests/fixtures/qdrant/%s missing",
                                cases[i].file);
        rc = fc_heap_sweep(cases[i].what, cases[i].read, body);
        json_t *res = NULL;
        fc_error err = {0};
        if (rc == FC_TEST_PASS && cases[i].parsed) {
            if (fc_qdrant_parse("search", 200, body, &res, &err))
                rc = fc_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].file, err.msg);
            else
                rc = fc_heap_sweep(cases[i].parsed_what, cases[i].parsed, res);
        }
        json_decref(res);
        free(body);
    }
    return rc;
}

/* With jansson's first allocation (its lexer's buffer) failing, a good answer is out
 * of memory, not Qdrant's "unexpected response". */
TEST(heap_qdrant_answer_without_memory_is_nomem)
{
    if (!fc_heap_hooked())
        SKIP("malloc is not hooked in this build (AddressSanitizer owns the heap)");
    char *body = fixture("count.json");
    CHECK_MSG(body, "tests/fixtures/qdrant/count.json missing");
    json_t *res = NULL;
    fc_error err = {0};
    fc_heap_fail_nth(1);
    fc_status rc = fc_qdrant_parse("count", 200, body, &res, &err);
    int failed = fc_heap_failure_happened();
    fc_heap_fail_nth(0);
    json_decref(res);
    free(body);
    CHECK_MSG(failed && rc == FC_ERR_NOMEM, "%s", err.msg);
    return FC_TEST_PASS;
}

/* ---- .npy --------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const fc_tensor *want;
} npy_job;

static int read_npy(const void *user, fc_error *err)
{
    const npy_job *j = user;
    fc_tensor t;
    fc_status rc = fc_npy_read(j->path, &t, err);
    if (!rc && (t.dtype != j->want->dtype || !fc_shape_equal(&t.shape, &j->want->shape) ||
                memcmp(t.data, j->want->data, (size_t)fc_tensor_bytes(&t)) != 0))
        fc_heap_wrong("the array read differs from the one written");
    if (!rc)
        fc_aligned_free(t.data);
    if (rc == FC_ERR_FORMAT)
        fc_heap_wrong("a good file called malformed: %s", err->msg);
    return rc == FC_OK;
}

TEST(heap_npy_read_survives_each_allocation_failing)
{
    float v[2 * 3 * 4];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i * 0.25f - 2.0f;
    fc_tensor t = {FC_DT_FLOAT, fc_shape_make(3, (int64_t[]){2, 3, 4}), v};
    char path[600];
    snprintf(path, sizeof path, "%s/heap.npy", fc_test_tmpdir());
    fc_error err = {0};
    CHECK_OK(fc_npy_write(path, &t, &err), &err);
    npy_job j = {path, &t};
    return fc_heap_sweep("reading a 2x3x4 float32 .npy file", read_npy, &j);
}
