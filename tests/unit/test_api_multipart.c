/* test_api_multipart.c - the streaming multipart parser (any split of the input
 * gives the same parts), its errors, boundaries, percent-decoding, urlencoded
 * forms, and the body intake that keeps declared form fields within limits. */
#include "api/internal.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SEEN 8

/* What the callbacks saw. */
typedef struct {
    int n;
    char name[MAX_SEEN][64], filename[MAX_SEEN][64], ctype[MAX_SEEN][64];
    int has_filename[MAX_SEEN], ended[MAX_SEEN];
    unsigned char data[MAX_SEEN][512];
    size_t len[MAX_SEEN];
    size_t data_limit; /* on_data fails with FC_ERR_LIMIT past this (0: none) */
} seen;

static fc_status on_part(void *ctx, const fc_multipart_part *p, fc_error *err)
{
    seen *s = ctx;
    (void)err;
    if (s->n == MAX_SEEN)
        return FC_ERR_LIMIT;
    snprintf(s->name[s->n], 64, "%s", p->name);
    snprintf(s->filename[s->n], 64, "%s", p->filename ? p->filename : "");
    snprintf(s->ctype[s->n], 64, "%s", p->content_type ? p->content_type : "");
    s->has_filename[s->n] = p->filename != NULL;
    s->n++;
    return FC_OK;
}

static fc_status on_data(void *ctx, const unsigned char *d, size_t n, fc_error *err)
{
    seen *s = ctx;
    size_t *len = &s->len[s->n - 1];
    if ((s->data_limit && *len + n > s->data_limit) || *len + n > sizeof s->data[0])
        return fc_error_set(err, FC_ERR_LIMIT, "too big");
    memcpy(s->data[s->n - 1] + *len, d, n);
    *len += n;
    return FC_OK;
}

static fc_status on_end(void *ctx, fc_error *err)
{
    seen *s = ctx;
    (void)err;
    s->ended[s->n - 1] = 1;
    return FC_OK;
}

/* Parses body split into pieces of `step` bytes (0: one piece). */
static fc_status parse(const char *boundary, const void *body, size_t len, size_t step, seen *s)
{
    fc_multipart_callbacks cb = {on_part, on_data, on_end, s};
    fc_multipart *mp = fc_multipart_new(boundary, &cb);
    fc_error err = {0};
    fc_status st = mp ? FC_OK : FC_ERR_NOMEM;
    for (size_t at = 0; !st && at < len; at += step ? step : len) {
        size_t n = step && len - at > step ? step : len - at;
        st = fc_multipart_feed(mp, (const char *)body + at, n, &err);
    }
    if (!st)
        st = fc_multipart_finish(mp, &err);
    fc_multipart_free(mp);
    return st;
}

static const char body_two[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"user_id\"\r\n"
    "\r\n"
    "alice@example\r\n"
    "--XyZ  \r\n" /* transport padding */
    "content-disposition: form-data; name=file; filename=\"a \\\"b\\\".jpg\"\r\n"
    "Content-Type: image/jpeg\r\n"
    "\r\n"
    "\x00\xff\r\n--XyQ\r\r\n-\r\n--Xy\r\n"
    "--XyZ--\r\n"
    "epilogue to ignore";

static int check_two(const seen *s)
{
    static const unsigned char data[] = "\x00\xff\r\n--XyQ\r\r\n-\r\n--Xy";
    CHECK(s->n == 2);
    CHECK(!strcmp(s->name[0], "user_id") && !s->has_filename[0] && !s->ctype[0][0]);
    CHECK(s->len[0] == 13 && !memcmp(s->data[0], "alice@example", 13));
    CHECK(!strcmp(s->name[1], "file") && s->has_filename[1]);
    CHECK(!strcmp(s->filename[1], "a \"b\".jpg"));
    CHECK(!strcmp(s->ctype[1], "image/jpeg"));
    CHECK_MSG(s->len[1] == sizeof data - 1, "file part: %zu bytes", s->len[1]);
    CHECK(!memcmp(s->data[1], data, sizeof data - 1));
    CHECK(s->ended[0] && s->ended[1]);
    return FC_TEST_PASS;
}

TEST(api_multipart_two_parts_any_split)
{
    for (size_t step = 0; step <= 40; step++) {
        seen s = {0};
        fc_status st = parse("XyZ", body_two, sizeof body_two - 1, step, &s);
        CHECK_MSG(st == FC_OK, "step %zu: %s", step, fc_strerror(st));
        int r = check_two(&s);
        if (r != FC_TEST_PASS)
            return r;
    }
    return FC_TEST_PASS;
}

TEST(api_multipart_body_starting_with_boundary)
{
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
    seen s = {0};
    CHECK(parse("b", body, sizeof body - 1, 0, &s) == FC_OK);
    CHECK(s.n == 1 && s.len[0] == 1 && s.data[0][0] == '1');
    return FC_TEST_PASS;
}

TEST(api_multipart_malformed)
{
    static const char *const bodies[] = {
        "", /* empty */
        "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n", /* truncated */
        "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1", /* stops mid-part */
        "--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", /* no disposition */
        "--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\n1\r\n--b--", /* no name */
        "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n1\r\n--b--", /* open quote */
        "--b\r\nno colon here\r\n\r\n1\r\n--b--",
        "--b\r\n folded: x\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=x\n\n1\r\n--b--", /* bare LF */
        "--bX\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", /* junk after */
        "--b\rX",
        "--b-X",
        "--b\r\nContent-Disposition: form-data; name=\"a\"; name2\r\n\r\n1\r\n--b--",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        seen s = {0};
        fc_status st = parse("b", bodies[i], strlen(bodies[i]), 0, &s);
        CHECK_MSG(st == FC_ERR_FORMAT, "body %zu: %s", i, fc_strerror(st));
    }
    return FC_TEST_PASS;
}

TEST(api_multipart_limits)
{
    char *big = malloc(FC_MULTIPART_MAX_HEADERS + 200);
    CHECK(big);
    int n = snprintf(big, 64, "--b\r\nX-Long: ");
    memset(big + n, 'a', FC_MULTIPART_MAX_HEADERS);
    memcpy(big + n + FC_MULTIPART_MAX_HEADERS, "\r\n\r\n", 4);
    seen s = {0};
    fc_status st = parse("b", big, (size_t)n + FC_MULTIPART_MAX_HEADERS + 4, 0, &s);
    free(big);
    CHECK(st == FC_ERR_FORMAT);
    /* a callback's status stops the parser and comes back unchanged */
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=f\r\n\r\n0123456789\r\n--b--";
    seen t = {.data_limit = 4};
    CHECK(parse("b", body, sizeof body - 1, 3, &t) == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}

TEST(api_multipart_boundary_header)
{
    char b[FC_MULTIPART_MAX_BOUNDARY + 1];
    CHECK(fc_multipart_boundary("multipart/form-data; boundary=abc", b, sizeof b) == FC_OK);
    CHECK(!strcmp(b, "abc"));
    CHECK(fc_multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", b,
                                sizeof b) == FC_OK);
    CHECK(!strcmp(b, "a b:c"));
    CHECK(fc_multipart_boundary("multipart/form-data", b, sizeof b) == FC_ERR_FORMAT);
    CHECK(fc_multipart_boundary("multipart/form-data; boundary=", b, sizeof b) == FC_ERR_FORMAT);
    CHECK(fc_multipart_boundary("multipart/form-data; boundary=\"a\rb\"", b, sizeof b) ==
          FC_ERR_FORMAT);
    CHECK(fc_multipart_boundary("multipart/form-data; boundary=x; boundary", b, sizeof b) ==
          FC_ERR_FORMAT);
    char long_b[128] = "multipart/form-data; boundary=";
    memset(long_b + strlen(long_b), 'x', 71);
    CHECK(fc_multipart_boundary(long_b, b, sizeof b) == FC_ERR_FORMAT);
    CHECK(fc_multipart_boundary("application/json", b, sizeof b) == FC_ERR_UNSUPPORTED);
    CHECK(fc_multipart_boundary("multipart/form-datax; boundary=a", b, sizeof b) ==
          FC_ERR_UNSUPPORTED);
    CHECK(!fc_multipart_new("", &(fc_multipart_callbacks){0}));
    CHECK(!fc_multipart_new("a\r\nb", &(fc_multipart_callbacks){0}));
    return FC_TEST_PASS;
}

TEST(api_pct_decode)
{
    char out[64];
    CHECK(fc_pct_decode("a%2Fb%2e%2E", 11, 0, out) == 5 && !strcmp(out, "a/b.."));
    CHECK(fc_pct_decode("a+b%20c", 7, 1, out) == 5 && !strcmp(out, "a b c"));
    CHECK(fc_pct_decode("a+b", 3, 0, out) == 3 && !strcmp(out, "a+b"));
    CHECK(fc_pct_decode("%zz%4", 5, 0, out) == 5 && !strcmp(out, "%zz%4"));
    CHECK(fc_pct_decode("x%00y", 5, 0, out) == 3 && out[1] == '\0' && out[2] == 'y');
    return FC_TEST_PASS;
}

typedef struct {
    int n;
    char text[256];
} joined;

static fc_status join(void *ctx, const char *name, size_t nl, const char *value, size_t vl,
                      fc_error *err)
{
    joined *j = ctx;
    (void)err;
    size_t used = strlen(j->text);
    snprintf(j->text + used, sizeof j->text - used, "[%s|%s|%zu|%zu]", name, value, nl, vl);
    j->n++;
    return FC_OK;
}

TEST(api_urlencoded_parse)
{
    joined j = {0};
    static const char q[] = "a=1&&b=x+y%21&c&d=&=e&a=2";
    CHECK(fc_urlencoded_parse(q, sizeof q - 1, join, &j, NULL) == FC_OK);
    CHECK_MSG(!strcmp(j.text, "[a|1|1|1][b|x y!|1|4][c||1|0][d||1|0][|e|0|1][a|2|1|1]"), "%s",
              j.text);
    return FC_TEST_PASS;
}

/* The body intake of POST /detect-face: declared fields kept, others dropped. */
static const fc_api_route *route_for(const char *method, const char *path, fc_api_match *m)
{
    if (fc_api_route_match(fc_api_routes, fc_api_n_routes, method, path, m) != FC_API_MATCH_OK)
        return NULL;
    return m->route;
}

TEST(api_body_intake_keeps_declared_fields)
{
    static const char body[] =
        "--q\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nbob\r\n"
        "--q\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nignored\r\n"
        "--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\nJPEGDATA\r\n--q--\r\n";
    fc_api_request req;
    fc_api_body b;
    fc_api_req_init(&req);
    CHECK(route_for("POST", "/detect-face", &req.match));
    CHECK(fc_api_body_begin(&b, &req, "multipart/form-data; boundary=q", 1000, 100000) == 0);
    for (size_t i = 0; i < sizeof body - 1; i += 7)
        fc_api_body_feed(&b, body + i, sizeof body - 1 - i < 7 ? sizeof body - 1 - i : 7);
    int st = fc_api_body_end(&b);
    fc_api_body_free(&b);
    int ok = st == 0 && req.n_parts == 2 && !strcmp(req.parts[0].name, "user_id") &&
             !strcmp((char *)req.parts[0].data, "bob") && !req.parts[0].filename &&
             !strcmp(req.parts[1].filename, "f.jpg") && req.parts[1].size == 8 &&
             !strcmp(req.parts[1].content_type, "image/jpeg");
    fc_api_req_clear(&req);
    CHECK_MSG(ok, "status %d", st);
    return FC_TEST_PASS;
}

static int intake_status(const char *content_type, const char *body, size_t max_file)
{
    fc_api_request req;
    fc_api_body b;
    fc_api_req_init(&req);
    if (!route_for("POST", "/detect-face", &req.match))
        return -1;
    int st = fc_api_body_begin(&b, &req, content_type, max_file, 4096);
    if (!st) {
        fc_api_body_feed(&b, body, strlen(body));
        st = fc_api_body_end(&b);
    }
    fc_api_body_free(&b);
    fc_api_req_clear(&req);
    return st;
}

TEST(api_body_intake_errors)
{
    static const char file10[] =
        "--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
        "0123456789\r\n--q--\r\n";
    CHECK(intake_status("multipart/form-data; boundary=q", file10, 10) == 0);
    CHECK(intake_status("multipart/form-data; boundary=q", file10, 9) == 413);
    CHECK(intake_status("multipart/form-data", file10, 10) == 400);        /* no boundary */
    CHECK(intake_status("multipart/form-data; boundary=q", "--q\r\nxx", 10) == 400);
    CHECK(intake_status("multipart/form-data; boundary=q",
                        "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", 10) == 400);
    CHECK(intake_status("application/json", "{\"user_id\":1}", 10) == 0);  /* not a form */
    CHECK(intake_status("application/x-www-form-urlencoded", "user_id=a&min_face_size=3", 10) == 0);
    char *big = malloc(5000);
    CHECK(big);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    int st = intake_status("text/plain", big, 10); /* past max_total (4096) */
    free(big);
    CHECK(st == 413);
    return FC_TEST_PASS;
}
