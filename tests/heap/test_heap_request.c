/* test_heap_request.c - out of memory at every step (sweep.h) while the server takes
 * in a request, in the order server.c does: the route matched against the path, the
 * query string split, the body parsed (a two-part multipart/form-data body, or an
 * urlencoded form) and every value validated against the route's schema. Out of
 * memory must be answered 500; any other answer must be the one a run without a
 * failure gives, byte for byte. */
#include "api/internal.h"
#include "heap/sweep.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *method, *path, *query;
    const char *content_type, *body; /* NULL: no body */
    size_t piece;                    /* the body is fed in pieces of this many bytes */
    int want_status;                 /* after validation: 0 (valid) or 400/422 */
    const char *want_body;           /* the answer's body when want_status != 0 */
    int (*check)(const fc_api_request *req); /* what the request holds after */
} request_job;

/* The server's intake of one request; the answer goes to res (status 0: valid). */
static int take_request(const request_job *j, fc_api_request *req, fc_api_response *res)
{
    fc_error err = {0};
    req->method = j->method;
    req->path = j->path;
    req->query = j->query ? j->query : "";
    switch (fc_api_route_match(fc_api_routes, fc_api_n_routes, j->method, j->path,
                               &req->match)) {
    case FC_API_MATCH_OK:
        break;
    case FC_API_MATCH_NOMEM:
        fc_api_res_detail(res, 500, "out of memory");
        return 500;
    default:
        fc_api_res_detail(res, 404, "Not Found");
        return 404;
    }
    if (fc_api_req_parse_query(req, &err)) {
        fc_api_res_detail(res, 500, "%s", err.msg);
        return 500;
    }
    if (j->body) {
        fc_api_body b;
        int st = fc_api_body_begin(&b, req, j->content_type, 1 << 20, 2 << 20);
        size_t len = strlen(j->body);
        for (size_t at = 0; !st && at < len; at += j->piece)
            fc_api_body_feed(&b, j->body + at, len - at < j->piece ? len - at : j->piece);
        if (!st)
            st = fc_api_body_end(&b);
        if (st)
            fc_api_res_detail(res, st, "%s", b.detail);
        fc_api_body_free(&b);
        if (st)
            return st;
    }
    return fc_api_validate(req, res);
}

static int request(const void *user, fc_error *err)
{
    const request_job *j = user;
    fc_api_request req;
    fc_api_response res;
    fc_api_req_init(&req);
    fc_api_res_init(&res);
    int st = take_request(j, &req, &res);
    int ok = st == j->want_status;
    if (st == 500) {
        fc_error_set(err, FC_ERR_NOMEM, "answered 500: %.*s", (int)res.len,
                     res.body ? res.body : "(no body)");
    } else if (!ok) {
        fc_heap_wrong("answered %d, not %d: %.*s", st, j->want_status, (int)res.len,
                      res.body ? res.body : "");
    } else if (st && (!res.body || res.len != strlen(j->want_body) ||
                      memcmp(res.body, j->want_body, res.len) != 0)) {
        fc_heap_wrong("answered %d with %.*s", st, (int)res.len, res.body ? res.body : "");
    } else if (j->check && !j->check(&req)) {
        fc_heap_wrong("the request's values differ from a run without a failure");
    }
    fc_api_req_clear(&req);
    fc_api_res_clear(&res);
    return ok && st != 500;
}

/* ---- POST /detect-face: a two-part multipart body, and an urlencoded one ------ */

static int detect_face_values(const fc_api_request *req)
{
    const fc_api_upload *f = fc_api_req_file(req, "file");
    return !strcmp(fc_api_req_str(req, "user_id"), "bob@example") &&
           fc_api_req_int(req, "min_face_size") == 30 && f && f->size == 8 &&
           !memcmp(f->data, "JPEGDATA", 8) && !strcmp(f->filename, "f.jpg") &&
           !strcmp(f->content_type, "image/jpeg");
}

TEST(heap_multipart_request_survives_each_allocation_failing)
{
    static const char body[] =
        "--q\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nbob@example\r\n"
        "--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\nJPEGDATA\r\n--q--\r\n";
    request_job j = {"POST", "/detect-face", NULL, "multipart/form-data; boundary=q", body, 7,
                     0, NULL, detect_face_values};
    return fc_heap_sweep("POST /detect-face with a two-part multipart body", request, &j);
}

/* The declared fields kept, decoded; the undeclared one dropped. */
static int urlencoded_fields(const fc_api_request *req)
{
    return req->n_parts == 2 && !strcmp(req->parts[0].name, "user_id") &&
           !strcmp((const char *)req->parts[0].data, "a b") &&
           !strcmp((const char *)req->parts[1].data, "3");
}

/* The form lacks its file: validation answers 422. */
TEST(heap_urlencoded_request_survives_each_allocation_failing)
{
    static const char want[] =
        "{\"detail\":[{\"loc\":[\"body\",\"file\"],\"msg\":\"field required\","
        "\"type\":\"value_error.missing\"}]}";
    request_job j = {"POST", "/detect-face", NULL, "application/x-www-form-urlencoded",
                     "user_id=a+b&min_face_size=3&other=%41", 5, 422, want, urlencoded_fields};
    return fc_heap_sweep("POST /detect-face with an urlencoded form", request, &j);
}

/* ---- query strings: a valid request and one with four errors ----------------- */

static int assignment_values(const fc_api_request *req)
{
    return !strcmp(fc_api_req_str(req, "strategy"), "vote") &&
           fc_api_req_float(req, "threshold") == 0.5 &&
           !strcmp(fc_api_req_str(req, "bucket_name"), "b") && fc_api_req_has(req, "clustering_id");
}

TEST(heap_query_request_survives_each_allocation_failing)
{
    request_job valid = {"POST", "/assignments/b/s",
                         "clustering_id=64f0c0ffee0123456789abcd&strategy=vote&threshold=0.5",
                         NULL, NULL, 0, 0, NULL, assignment_values};
    static const char want[] =
        "{\"detail\":["
        "{\"loc\":[\"query\",\"max_images\"],\"msg\":\"value is not a valid integer\",\"type\":\"type_error.integer\"},"
        "{\"loc\":[\"query\",\"batch_size\"],\"msg\":\"ensure this value is greater than or equal to 1\",\"type\":\"value_error.number.not_ge\",\"ctx\":{\"limit_value\":1}},"
        "{\"loc\":[\"query\",\"max_concurrent\"],\"msg\":\"ensure this value is less than or equal to 20\",\"type\":\"value_error.number.not_le\",\"ctx\":{\"limit_value\":20}},"
        "{\"loc\":[\"query\",\"wait\"],\"msg\":\"value could not be parsed to a boolean\",\"type\":\"type_error.bool\"}]}";
    request_job invalid = {"POST", "/cluster-bucket-persons/b/s",
                           "batch_size=0&max_concurrent=21&wait=maybe&max_images=1.5", NULL,
                           NULL, 0, 422, want, NULL};
    int rc = fc_heap_sweep("POST /assignments/b/s with a valid query", request, &valid);
    if (rc == FC_TEST_PASS)
        rc = fc_heap_sweep("POST /cluster-bucket-persons/b/s with four errors (422)", request,
                           &invalid);
    return rc;
}
