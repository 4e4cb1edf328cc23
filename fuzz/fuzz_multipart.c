/* fuzz_multipart.c - libFuzzer target for the request parsers of src/api: the
 * streaming multipart parser (fed in pieces of every size, with its callbacks'
 * contract checked), the body intake of POST /detect-face (form fields kept within
 * limits, urlencoded forms), Content-Type boundaries, and path + query matching and
 * validation against the route table. Any bytes must give parts or an error, never
 * a crash, leak or out-of-bounds access.
 *
 * Input: byte 0 picks the mode and the piece size, byte 1 the Content-Type, the
 * rest is the body: raw, or (odd mode) a recipe where small byte values stand for
 * multipart tokens ("--B", CRLF, Content-Disposition lines...), so the fuzzer
 * reaches deep states without a seed corpus. */
#include "api/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (1 << 17)

static const char *const tokens[] = {
    "--B",
    "\r\n",
    "--B--",
    "\r\n--B\r\n",
    "\r\n--B--\r\n",
    "Content-Disposition: form-data; name=\"user_id\"\r\n",
    "Content-Disposition: form-data; name=\"file\"; filename=\"f.jpg\"\r\n",
    "Content-Disposition: form-data; name=\"min_face_size\"\r\n",
    "Content-Disposition: form-data; name=\"other\"\r\n",
    "content-disposition: form-data; name=file; filename=\"a\\\"b\"\r\n",
    "Content-Type: image/jpeg\r\n",
    "\r\n\r\n",
    "\r\n--",
    "\r\n--B",
    "alice",
    "0123456789abcdef0123456789abcdef",
    "  \t",
    "%2e%2e",
    "user_id=a&file=b&min_face_size=",
};
#define N_TOKENS (sizeof tokens / sizeof tokens[0])

static const char *const content_types[] = {
    "multipart/form-data; boundary=B",
    "multipart/form-data; boundary=\"B\"",
    "Multipart/Form-Data; charset=utf-8; boundary=B",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded",
    "application/json",
};
#define N_TYPES (sizeof content_types / sizeof content_types[0])

/* The multipart callbacks' contract: data only inside a part, parts end once. */
typedef struct {
    int in_part;
    size_t fed, emitted;
} contract;

static fc_status on_part(void *ctx, const fc_multipart_part *p, fc_error *err)
{
    contract *c = ctx;
    (void)err;
    if (c->in_part || !p->name)
        abort();
    c->in_part = 1;
    return FC_OK;
}

static fc_status on_data(void *ctx, const unsigned char *d, size_t n, fc_error *err)
{
    contract *c = ctx;
    (void)err;
    if (!c->in_part || !n)
        abort();
    volatile unsigned char edges = d[0] ^ d[n - 1]; /* the bytes must be readable */
    (void)edges;
    c->emitted += n;
    if (c->emitted > c->fed)
        abort();
    return FC_OK;
}

static fc_status on_part_end(void *ctx, fc_error *err)
{
    contract *c = ctx;
    (void)err;
    if (!c->in_part)
        abort();
    c->in_part = 0;
    return FC_OK;
}

static void run_parser(const unsigned char *body, size_t n, size_t piece)
{
    contract c = {0};
    fc_multipart_callbacks cb = {on_part, on_data, on_part_end, &c};
    fc_multipart *mp = fc_multipart_new("B", &cb);
    fc_error err = {0};
    if (!mp)
        return;
    fc_status st = FC_OK;
    for (size_t at = 0; !st && at < n; at += piece) {
        size_t len = n - at < piece ? n - at : piece;
        c.fed += len;
        st = fc_multipart_feed(mp, body + at, len, &err);
    }
    if (!st && fc_multipart_finish(mp, &err) == FC_OK && c.in_part)
        abort(); /* a finished body has no open part */
    fc_multipart_free(mp);
}

static void run_intake(const char *method, const char *path, const char *content_type,
                       const unsigned char *body, size_t n, size_t piece)
{
    fc_api_request req;
    fc_api_response res;
    fc_api_body intake;
    fc_api_req_init(&req);
    fc_api_res_init(&res);
    req.method = method;
    req.path = path;
    if (fc_api_route_match(fc_api_routes, fc_api_n_routes, method, path, &req.match) ==
        FC_API_MATCH_OK) {
        if (!fc_api_body_begin(&intake, &req, content_type, 4096, 65536)) {
            for (size_t at = 0; at < n; at += piece)
                fc_api_body_feed(&intake, body + at, n - at < piece ? n - at : piece);
            if (!fc_api_body_end(&intake))
                fc_api_validate(&req, &res);
        }
        fc_api_body_free(&intake);
    }
    fc_api_res_clear(&res);
    fc_api_req_clear(&req);
}

/* The body's first line as "METHOD-digit path?query": matched and validated. */
static void run_request_line(const unsigned char *body, size_t n)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
    size_t len = 0;
    while (len < n && len < 4096 && body[len] != '\n')
        len++;
    if (len < 2)
        return;
    char *line = malloc(len);
    if (!line)
        return;
    memcpy(line, body + 1, len - 1);
    line[len - 1] = '\0';
    fc_api_request req;
    fc_api_response res;
    fc_api_req_init(&req);
    fc_api_res_init(&res);
    req.method = methods[body[0] % 6];
    char *q = strchr(line, '?');
    if (q) {
        *q = '\0';
        req.query = q + 1;
    }
    req.path = line;
    if (fc_api_route_match(fc_api_routes, fc_api_n_routes, req.method, line, &req.match) ==
            FC_API_MATCH_OK &&
        fc_api_req_parse_query(&req, NULL) == FC_OK)
        fc_api_validate(&req, &res);
    fc_api_res_clear(&res);
    fc_api_req_clear(&req);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0], variant = data[1];
    data += 2, size -= 2;
    unsigned char *body = malloc(MAX_BODY);
    if (!body)
        return 0;
    size_t n = 0;
    if (mode & 1) {
        for (size_t i = 0; i < size; i++) {
            const char *t = data[i] < N_TOKENS ? tokens[data[i]] : NULL;
            size_t len = t ? strlen(t) : 1;
            if (n + len > MAX_BODY)
                break;
            if (t)
                memcpy(body + n, t, len);
            else
                body[n] = data[i];
            n += len;
        }
    } else {
        n = size < MAX_BODY ? size : MAX_BODY;
        memcpy(body, data, n);
    }
    size_t piece = 1 + (mode >> 1) % 64;
    if ((mode >> 1) % 64 == 63)
        piece = n ? n : 1;
    /* the Content-Type: one of the list, or the body's first line */
    char line[256];
    size_t line_len = 0;
    while (line_len < n && line_len + 1 < sizeof line && body[line_len] != '\n')
        line_len++;
    memcpy(line, body, line_len);
    line[line_len] = '\0';
    const char *ctype = variant % (N_TYPES + 1) < N_TYPES ? content_types[variant % (N_TYPES + 1)] : line;
    char boundary[FC_MULTIPART_MAX_BOUNDARY + 1];
    fc_multipart_boundary(ctype, boundary, sizeof boundary);

    run_parser(body, n, piece);
    run_intake("POST", "/detect-face", ctype, body, n, piece);
    if (variant & 0x80)
        run_intake("PUT", "/update-face/u%40x", content_types[(variant >> 3) % N_TYPES], body, n,
                   piece);
    if (mode & 0x80)
        run_request_line(body, n);
    free(body);
    return 0;
}
