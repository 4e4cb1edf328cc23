/* fuzz_responses.c - libFuzzer target for the parsers of bytes that come from
 * servers or from user files: S3 ListObjectsV2 pages and <Error> documents
 * (libxml2, src/source/s3_xml.c), Qdrant responses (an HTTP status + JSON body,
 * then the collection's dim, a count, search points or a scroll page,
 * src/store/qdrant_json.c), .npy files (src/core/npy.c, read from a memfd, and a
 * file that loads is written back and must read back the same) and MongoDB
 * documents turned into records (src/store/mongo_docs.c). Any bytes must give a
 * result or an error, never a crash, leak or out-of-bounds access; results are
 * checked (strings ended within their fields, counts and dims consistent and
 * within bounds, timestamps valid or empty, a failure says why) and a violation
 * abort()s.
 *
 * Input: byte 0 picks the parser (mod 5: S3 listing, S3 error, Qdrant, .npy,
 * MongoDB); for S3 error, Qdrant and MongoDB byte 1 picks a variant (buffer sizes,
 * HTTP status and result kind, record type); the rest is the document.
 * Seeds: fuzz/response_seeds.py. */
#define _GNU_SOURCE /* memfd_create */
#include "core/alloc.h"
#include "core/npy.h"
#include "source/s3.h"
#include "store/mongo_int.h"
#include "store/qdrant_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { IN_S3_LIST, IN_S3_ERROR, IN_QDRANT, IN_NPY, IN_MONGO, N_INPUTS };

/* 1 if the fixed-size field holds a NUL (a C string that ends inside it). */
#define ENDED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure must say why. */
static void check_failure(fc_status rc, const fc_error *err)
{
    if (rc <= FC_OK || rc >= FC_STATUS_COUNT || err->code != rc || !err->msg[0] ||
        !memchr(err->msg, '\0', sizeof err->msg))
        abort();
}

/* Every byte of s, up to its NUL, is readable; returns its length. */
static size_t touch(const char *s)
{
    size_t n = strlen(s);
    volatile char edges = n ? (char)(s[0] ^ s[n - 1]) : 0;
    (void)edges;
    return n;
}

static void check_time(const char *t, size_t cap)
{
    if (!memchr(t, '\0', cap) || (t[0] && !fc_timestamp_valid(t)))
        abort();
}

/* A float array and its length: both set or both empty, within bounds. */
static void check_floats(const float *v, int n)
{
    if ((v == NULL) != (n == 0) || n < 0 || n > 65536)
        abort();
    volatile float sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    (void)sum;
}

/* ---- S3 -------------------------------------------------------------------------- */

static void run_s3_list(const uint8_t *d, size_t n)
{
    fc_s3_list_page page;
    fc_error err = {0};
    fc_status rc = fc_s3_parse_list((const char *)d, n, &page, &err);
    if (rc) {
        check_failure(rc, &err);
        if (page.keys.n || page.keys.keys || page.next_token || page.truncated)
            abort(); /* nothing half-filled is handed back */
        return;
    }
    if (page.keys.n > page.keys.cap || (page.keys.n && !page.keys.keys))
        abort();
    for (size_t i = 0; i < page.keys.n; i++) {
        if (!page.keys.keys[i])
            abort();
        touch(page.keys.keys[i]);
    }
    if (page.truncated && (!page.next_token || !page.next_token[0]))
        abort();
    if (page.next_token && !touch(page.next_token))
        abort();
    fc_s3_list_page_free(&page);
    if (page.next_token || page.truncated)
        abort();
}

static void run_s3_error(unsigned variant, const uint8_t *d, size_t n)
{
    /* exact-size heap buffers: a write past the cap is caught */
    size_t code_cap = 1 + (variant & 15) * 4, msg_cap = 1 + (variant >> 4) * 16;
    char *code = malloc(code_cap), *msg = malloc(msg_cap);
    if (code && msg) {
        memset(code, 'x', code_cap);
        memset(msg, 'x', msg_cap);
        fc_s3_parse_error((const char *)d, n, code, code_cap, msg, msg_cap);
        if (!memchr(code, '\0', code_cap) || !memchr(msg, '\0', msg_cap))
            abort();
    }
    free(code);
    free(msg);
}

/* ---- Qdrant ---------------------------------------------------------------------- */

static void check_points(const fc_vec_list *l, size_t from)
{
    if (l->n && !l->items)
        abort();
    for (size_t i = from; i < l->n; i++) {
        const fc_vec_point *p = &l->items[i];
        const fc_vec_payload *pl = &p->payload;
        if (!fc_uuid_valid(pl->face_id, 0) || !ENDED(pl->clustering_id) ||
            !ENDED(pl->person_id) || !ENDED(pl->bucket_name) || !ENDED(pl->sub_bucket))
            abort();
        if (pl->image_path)
            touch(pl->image_path);
        check_floats(p->vector, p->dim);
    }
}

/* What the backend does with each kind of response (vec_qdrant.c). */
static void run_qdrant(unsigned variant, const uint8_t *d, size_t n)
{
    static const long statuses[8] = {200, 201, 404, 400, 500, 502, 199, 300};
    long status = statuses[(variant >> 3) & 7];
    unsigned kind = variant & 7;
    char *body = malloc(n + 1);
    if (!body)
        return;
    memcpy(body, d, n);
    body[n] = '\0';
    json_t *res = NULL;
    fc_error err = {0};
    fc_status rc = fc_qdrant_parse("fuzz", status, body, &res, &err);
    free(body);
    if (rc) {
        check_failure(rc, &err);
        if (res || rc != FC_ERR_IO)
            abort();
        return;
    }
    if (!res || status < 200 || status >= 300)
        abort();
    if (kind == 1 || kind >= 5) {
        int dim = -1;
        rc = fc_qdrant_parse_dim(res, &dim, &err);
        if (rc)
            check_failure(rc, &err);
        else if (dim < 1 || dim > 65536)
            abort();
    }
    if (kind == 2 || kind >= 5) {
        int64_t count = -1;
        rc = fc_qdrant_parse_count(res, &count, &err);
        if (rc)
            check_failure(rc, &err);
        else if (count < 0)
            abort();
    }
    if (kind == 3 || kind >= 5) {
        fc_vec_list hits = {0};
        rc = fc_qdrant_parse_points(res, &hits, &err);
        if (rc)
            check_failure(rc, &err);
        else
            check_points(&hits, 0);
        fc_vec_list_free(&hits);
    }
    if (kind == 4 || kind >= 5) {
        /* a second page appends to the first, as qd_get does */
        fc_vec_list all = {0};
        json_t *next = NULL;
        rc = fc_qdrant_parse_scroll(res, &all, &next, &err);
        if (rc) {
            check_failure(rc, &err);
            if (next)
                abort();
        } else {
            check_points(&all, 0);
            if (next && json_is_null(next))
                abort();
            size_t first = all.n;
            json_t *next2 = NULL;
            rc = fc_qdrant_parse_scroll(res, &all, &next2, &err);
            if (rc || all.n != 2 * first || (next == NULL) != (next2 == NULL) ||
                (next && !json_equal(next, next2)))
                abort(); /* the same page parses the same way twice */
            check_points(&all, first);
            json_decref(next2);
            if (next) {
                json_t *body2 = fc_qdrant_body_scroll(NULL, FC_QDRANT_BATCH, 1, next);
                char *text = body2 ? fc_qdrant_dump(body2) : NULL;
                free(text);
                json_decref(body2);
            }
        }
        json_decref(next);
        fc_vec_list_free(&all);
    }
    json_decref(res);
}

/* ---- .npy -------------------------------------------------------------------------- */

/* A file that reads back what fc_npy_read is given: a memfd (reopened through
 * /proc/self/fd), or a per-process file under /tmp. */
typedef struct {
    int fd;
    char path[64];
} scratch;

static int scratch_open(scratch *s, const char *tag)
{
    if (s->path[0])
        return 0;
    s->fd = memfd_create(tag, 0);
    if (s->fd >= 0) {
        snprintf(s->path, sizeof s->path, "/proc/self/fd/%d", s->fd);
        if (access(s->path, R_OK) == 0)
            return 0;
        close(s->fd);
    }
    s->fd = -1;
    snprintf(s->path, sizeof s->path, "/tmp/fuzz_responses.%ld.%s", (long)getpid(), tag);
    return 0;
}

static int scratch_write(scratch *s, const uint8_t *d, size_t n)
{
    if (s->fd < 0) {
        FILE *f = fopen(s->path, "wb");
        int ok = f && fwrite(d, 1, n, f) == n;
        if (f && fclose(f) != 0)
            ok = 0;
        return ok ? 0 : -1;
    }
    if (ftruncate(s->fd, 0) != 0)
        return -1;
    for (size_t at = 0; at < n;) {
        ssize_t w = pwrite(s->fd, d + at, n - at, (off_t)at);
        if (w <= 0)
            return -1;
        at += (size_t)w;
    }
    return 0;
}

static void check_tensor(const fc_tensor *t)
{
    if ((t->dtype != FC_DT_FLOAT && t->dtype != FC_DT_INT64) || t->shape.ndim < 0 ||
        t->shape.ndim > FC_MAX_DIMS || !t->data)
        abort();
    for (int i = 0; i < t->shape.ndim; i++)
        if (t->shape.d[i] < 0)
            abort();
    int64_t bytes = fc_tensor_bytes(t);
    if (bytes < 0)
        abort();
    const unsigned char *p = t->data;
    volatile unsigned char sum = 0;
    for (int64_t i = 0; i < bytes; i++)
        sum ^= p[i];
    (void)sum;
}

static void run_npy(const uint8_t *d, size_t n)
{
    static scratch in, back;
    if (scratch_open(&in, "in.npy") || scratch_write(&in, d, n))
        return;
    fc_tensor t;
    fc_error err = {0};
    fc_status rc = fc_npy_read(in.path, &t, &err);
    if (rc) {
        check_failure(rc, &err);
        if (t.data)
            abort();
        return;
    }
    check_tensor(&t);
    /* written back, it reads back the same */
    fc_tensor again;
    if (!scratch_open(&back, "back.npy") && fc_npy_write(back.path, &t, &err) == FC_OK) {
        rc = fc_npy_read(back.path, &again, &err);
        if (rc || again.dtype != t.dtype || !fc_shape_equal(&again.shape, &t.shape) ||
            memcmp(again.data, t.data, (size_t)fc_tensor_bytes(&t)) != 0)
            abort();
        fc_aligned_free(again.data);
    }
    fc_aligned_free(t.data);
}

/* ---- MongoDB ------------------------------------------------------------------------ */

static void check_strv(char *const *v, size_t n)
{
    if (n && !v)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            abort();
        touch(v[i]);
    }
}

static void run_mongo(unsigned variant, const uint8_t *d, size_t n)
{
    bson_t doc;
    size_t offset;
    if (n > UINT32_MAX || !bson_init_static(&doc, d, n) ||
        !bson_validate(&doc, BSON_VALIDATE_NONE, &offset))
        return;
    fc_error err = {0};
    fc_status rc;
    switch (variant % 6) {
    case 0: {
        fc_profile_rec *p = calloc(1, sizeof *p);
        if (!p)
            return;
        rc = fc_mongo_profile_parse(&doc, p, &err);
        if (rc)
            check_failure(rc, &err);
        else
            check_floats(p->embedding, p->dim);
        if (!ENDED(p->user_id) || !ENDED(p->embedding_model) || (p->has_bbox & ~1))
            abort();
        check_time(p->created_at, sizeof p->created_at);
        check_time(p->updated_at, sizeof p->updated_at);
        fc_profile_rec_clear(p);
        free(p);
        break;
    }
    case 1: {
        fc_run_rec *r = calloc(1, sizeof *r);
        if (!r)
            return;
        rc = fc_mongo_run_parse(&doc, r, &err);
        if (rc) {
            check_failure(rc, &err);
        } else {
            if (strlen(r->clustering_id) != FC_OBJECTID_LEN || !ENDED(r->bucket) ||
                !ENDED(r->sub) || !ENDED(r->norm) ||
                (r->status != FC_RUN_RUNNING && r->status != FC_RUN_DONE &&
                 r->status != FC_RUN_FAILED))
                abort();
            check_time(r->timestamp, sizeof r->timestamp);
            check_time(r->finished_at, sizeof r->finished_at);
            const char *texts[] = {r->error, r->image_overlap_stats, r->processing_stats,
                                   r->params};
            for (int i = 0; i < 4; i++)
                if (texts[i])
                    touch(texts[i]);
        }
        fc_run_rec_clear(r);
        free(r);
        break;
    }
    case 2: {
        fc_image_rec *img = calloc(1, sizeof *img);
        if (!img)
            return;
        rc = fc_mongo_image_parse(&doc, img, &err);
        if (rc)
            check_failure(rc, &err);
        else if (!img->image_path || (img->ok & ~1))
            abort();
        else
            touch(img->image_path);
        if (img->reason)
            touch(img->reason);
        fc_image_rec_clear(img);
        free(img);
        break;
    }
    case 3: {
        fc_person_rec *p = calloc(1, sizeof *p);
        if (!p)
            return;
        rc = fc_mongo_person_parse(&doc, p, &err);
        if (rc) {
            check_failure(rc, &err);
        } else {
            if (!ENDED(p->person_id) || !ENDED(p->cluster_id) || !ENDED(p->owner_face_id) ||
                p->dim < 0 || p->dim > 65536 || (!p->owner_embedding && !p->centroid && p->dim) ||
                ((p->owner_embedding || p->centroid) && !p->dim))
                abort();
            check_floats(p->owner_embedding, p->owner_embedding ? p->dim : 0);
            check_floats(p->centroid, p->centroid ? p->dim : 0);
        }
        fc_person_rec_clear(p);
        free(p);
        break;
    }
    case 4: {
        fc_face_rec *f = calloc(1, sizeof *f);
        if (!f)
            return;
        rc = fc_mongo_face_parse(&doc, f, &err);
        if (rc)
            check_failure(rc, &err);
        else
            check_floats(f->embedding, f->dim);
        if (!ENDED(f->face_id) || !ENDED(f->clustering_id) || !ENDED(f->person_id) ||
            (f->n_landmarks != 0 && f->n_landmarks != FC_FACE_LANDMARKS) || (f->is_owner_face & ~1))
            abort();
        check_time(f->timestamp, sizeof f->timestamp);
        if (f->image_path)
            touch(f->image_path);
        fc_face_rec_clear(f);
        free(f);
        break;
    }
    default: {
        fc_assignment_rec *a = calloc(1, sizeof *a);
        if (!a)
            return;
        rc = fc_mongo_assignment_parse(&doc, a, &err);
        if (rc)
            check_failure(rc, &err);
        else if (!ENDED(a->clustering_id) || !ENDED(a->cluster_id) || !ENDED(a->bucket_name) ||
                 !ENDED(a->sub_bucket) || !ENDED(a->user_id) || !ENDED(a->strategy))
            abort();
        check_strv(a->image_paths, a->n_image_paths);
        check_strv(a->face_ids, a->n_face_ids);
        check_time(a->created_at, sizeof a->created_at);
        check_time(a->updated_at, sizeof a->updated_at);
        fc_assignment_rec_clear(a);
        free(a);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % N_INPUTS;
    unsigned variant = size > 1 ? data[1] : 0;
    switch (which) {
    case IN_S3_LIST:
        run_s3_list(data + 1, size - 1);
        break;
    case IN_S3_ERROR:
        if (size > 1)
            run_s3_error(variant, data + 2, size - 2);
        break;
    case IN_QDRANT:
        if (size > 1)
            run_qdrant(variant, data + 2, size - 2);
        break;
    case IN_NPY:
        run_npy(data + 1, size - 1);
        break;
    default:
        if (size > 1)
            run_mongo(variant, data + 2, size - 2);
        break;
    }
    return 0;
}
