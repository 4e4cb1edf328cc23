/* test_face_pipeline.c - the whole pipeline on real photos: exact face counts on the
 * six samples, sane fields, determinism (also across threads), the border retry on
 * a tight crop and on a crop where a part of the face was found, embeddings of
 * batches, YuNet as the detector. */
#include "test.h"

#include "face/pipeline.h"
#include "face_util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const int sample_faces[6] = {3, 3, 3, 4, 5, 4};

/* Runs p on sample i; NULL (and err) on failure. */
static fc_faces *run_sample(fc_pipeline *p, int i, fc_error *err)
{
    size_t len = 0;
    uint8_t *data = fc_face_test_sample(i, &len);
    fc_faces *f = NULL;
    if (!data)
        fc_error_set(err, FC_ERR_IO, "samples/sample%d.jpg missing", i);
    else if (fc_pipeline_run(p, data, len, &f, err))
        f = NULL;
    free(data);
    return f;
}

/* Field sanity for one face of a w x h photo; NULL if fine, else what is wrong. */
static const char *face_problem(const fc_face *f, int w, int h, int dim)
{
    const fc_rect *b = &f->box;
    if (!(b->x1 >= 0 && b->y1 >= 0 && b->x2 <= w && b->y2 <= h && b->x2 > b->x1 && b->y2 > b->y1))
        return "box outside the photo";
    float bw = b->x2 - b->x1, bh = b->y2 - b->y1;
    for (int k = 0; k < 5; k++)
        if (!(f->landmarks[k].x > b->x1 - bw / 4 && f->landmarks[k].x < b->x2 + bw / 4 &&
              f->landmarks[k].y > b->y1 - bh / 4 && f->landmarks[k].y < b->y2 + bh / 4))
            return "landmark far outside the box";
    if (!(f->landmarks[0].x < f->landmarks[1].x))
        return "left eye not left of the right eye";
    if (!(f->score >= 0.7f && f->score <= 1 && f->pose >= 0 && f->pose <= 1 && f->blur > 0 &&
          f->quality_score > 0 && f->quality_score <= 1 && fabsf(f->size - fminf(bw, bh)) < 1e-3f))
        return "score, pose, blur, quality or size out of range";
    double n = 0;
    for (int k = 0; k < dim; k++)
        n += (double)f->embedding[k] * f->embedding[k];
    if (dim && fabs(n - 1) > 1e-4)
        return "embedding not unit length";
    return NULL;
}

TEST(face_pipeline_samples)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err);
    CHECK_MSG(p, "%s", err.msg);
    CHECK(fc_pipeline_dim(p) == 512 && fc_pipeline_embedder_kind(p) == FC_EMBEDDER_ARCFACE112);
    int result = FC_TEST_PASS;
    for (int i = 1; i <= 6 && result == FC_TEST_PASS; i++) {
        fc_faces *f = run_sample(p, i, &err);
        if (!f) {
            result = fc_test_skip("samples/ not present (scripts/setup fetches them): %s", err.msg);
            break;
        }
        if (f->n_faces != sample_faces[i - 1])
            result = fc_test_fail(__FILE__, __LINE__, "sample%d: %d faces, expected %d", i, f->n_faces,
                                  sample_faces[i - 1]);
        if (f->width != 1920 || f->retried)
            result = fc_test_fail(__FILE__, __LINE__, "sample%d: width %d, retried %d", i, f->width, f->retried);
        for (int k = 0; k < f->n_faces && result == FC_TEST_PASS; k++) {
            const char *why = face_problem(&f->faces[k], f->width, f->height, f->dim);
            if (why)
                result = fc_test_fail(__FILE__, __LINE__, "sample%d face %d: %s", i, k, why);
            if (k && f->faces[k].score > f->faces[k - 1].score)
                result = fc_test_fail(__FILE__, __LINE__, "sample%d: faces not best first", i);
        }
        fc_faces_free(f);
    }
    fc_pipeline_free(p);
    return result;
}

/* 1 if a and b hold exactly the same faces (boxes, landmarks, scores, embeddings). */
static int same_faces(const fc_faces *a, const fc_faces *b)
{
    if (a->n_faces != b->n_faces || a->dim != b->dim)
        return 0;
    for (int i = 0; i < a->n_faces; i++) {
        const fc_face *x = &a->faces[i], *y = &b->faces[i];
        if (memcmp(&x->box, &y->box, sizeof x->box) || memcmp(x->landmarks, y->landmarks, sizeof x->landmarks) ||
            x->score != y->score || x->blur != y->blur || x->quality_score != y->quality_score ||
            (a->dim && memcmp(x->embedding, y->embedding, (size_t)a->dim * sizeof(float))))
            return 0;
    }
    return 1;
}

typedef struct {
    fc_pipeline *p;
    int first, result;
    fc_faces *faces[6];
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    fc_error err = {0};
    for (int k = 0; k < 6; k++) {
        int i = 1 + (j->first + k) % 6;
        if (!(j->faces[i - 1] = run_sample(j->p, i, &err)))
            j->result = -1;
    }
    return NULL;
}

TEST(face_pipeline_deterministic_across_threads)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    cfg.workers = 2;
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err);
    CHECK_MSG(p, "%s", err.msg);
    thread_job seq = {p, 0, 0, {0}}, par[2] = {{p, 0, 0, {0}}, {p, 3, 0, {0}}};
    thread_main(&seq);
    int result = FC_TEST_PASS;
    if (seq.result) {
        result = fc_test_skip("samples/ not present (scripts/setup fetches them)");
    } else {
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            pthread_create(&t[k], NULL, thread_main, &par[k]);
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
        for (int i = 0; i < 6 && result == FC_TEST_PASS; i++)
            for (int k = 0; k < 2; k++)
                if (par[k].result || !same_faces(seq.faces[i], par[k].faces[i]))
                    result = fc_test_fail(__FILE__, __LINE__, "sample%d differs between runs", i + 1);
    }
    for (int i = 0; i < 6; i++) {
        fc_faces_free(seq.faces[i]);
        fc_faces_free(par[0].faces[i]);
        fc_faces_free(par[1].faces[i]);
    }
    fc_pipeline_free(p);
    return result;
}

TEST(face_pipeline_batch_equals_single)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    fc_error err = {0};
    cfg.max_batch = 8; /* 5 faces: a batch of 4 and one of 1 */
    fc_pipeline *batched = fc_pipeline_new(&cfg, &err);
    cfg.max_batch = 1;
    fc_pipeline *single = batched ? fc_pipeline_new(&cfg, &err) : NULL;
    int result = FC_TEST_PASS;
    fc_faces *a = single ? run_sample(batched, 5, &err) : NULL, *b = a ? run_sample(single, 5, &err) : NULL;
    if (!b)
        result = fc_test_skip("%s", err.msg);
    else if (a->n_faces != 5 || b->n_faces != 5)
        result = fc_test_fail(__FILE__, __LINE__, "%d and %d faces", a->n_faces, b->n_faces);
    for (int i = 0; result == FC_TEST_PASS && i < a->n_faces; i++) {
        double cs = 0;
        for (int k = 0; k < a->dim; k++)
            cs += (double)a->faces[i].embedding[k] * b->faces[i].embedding[k];
        if (cs < 0.99999)
            result = fc_test_fail(__FILE__, __LINE__, "face %d: cos(batch of 5, one by one) = %.7f", i, cs);
    }
    fc_faces_free(a);
    fc_faces_free(b);
    fc_pipeline_free(batched);
    fc_pipeline_free(single);
    return result;
}

/* Runs the shared-data image rel through a pipeline of cfg (*with) and one of cfg as
 * changed by `off` (*without). FC_OK, or the failure in err (the caller frees what was
 * made either way). */
static fc_status run_with_and_without(const char *shared, const char *rel, fc_pipeline_config cfg,
                                      void (*off)(fc_pipeline_config *), fc_faces **with,
                                      fc_faces **without, fc_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/%s", shared, rel);
    size_t len = 0;
    uint8_t *data = fc_face_test_read(path, &len);
    if (!data)
        return fc_error_set(err, FC_ERR_IO, "%s: cannot read", path);
    fc_pipeline *p = fc_pipeline_new(&cfg, err);
    off(&cfg);
    fc_pipeline *q = p ? fc_pipeline_new(&cfg, err) : NULL;
    fc_status rc = !q ? err->code : fc_pipeline_run(p, data, len, with, err);
    if (!rc)
        rc = fc_pipeline_run(q, data, len, without, err);
    fc_pipeline_free(p);
    fc_pipeline_free(q);
    free(data);
    return rc;
}

static void no_retry(fc_pipeline_config *cfg) { cfg->retry_border = 0; }
static void no_crop_search(fc_pipeline_config *cfg) { cfg->crop_fill = 0; }

TEST(face_pipeline_border_retry)
{
    /* a tight 112x112 aligned crop where UltraFace finds nothing until a border is
     * added (one of 19 such crops in celebs_aligned, see docs/pipeline.md) */
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    fc_error err = {0};
    fc_faces *with = NULL, *without = NULL;
    int result = FC_TEST_PASS;
    if (run_with_and_without(shared, "celebs_aligned/Barack_Obama/23.png", cfg, no_retry, &with,
                             &without, &err))
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    else if (without->n_faces != 0 || with->n_faces != 1 || !with->retried)
        result = fc_test_fail(__FILE__, __LINE__, "without retry %d faces, with %d (retried %d)",
                              without->n_faces, with->n_faces, with->retried);
    else if (!(with->faces[0].box.x1 >= 0 && with->faces[0].box.x2 <= 112 && with->faces[0].size > 60))
        result = fc_test_fail(__FILE__, __LINE__, "box not mapped back into the crop");
    fc_faces_free(with);
    fc_faces_free(without);
    return result;
}

TEST(face_pipeline_crop_searched_with_border)
{
    /* an 88x110 msceleb crop: without the border UltraFace boxes part of the face
     * (41x40 px); as the box covers >= CROP_FILL of the image, the bordered search runs
     * and finds the whole face (docs/pipeline.md, "Crops are searched with the border") */
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    CHECK(cfg.crop_fill > 0);
    fc_error err = {0};
    fc_faces *with = NULL, *without = NULL;
    int result = FC_TEST_PASS;
    if (run_with_and_without(shared,
                             "insightface/msceleb_retina_crop/Lydia_Shum/"
                             "170d7c9cea5a1c22e6480b8620903e5b88fb9b9d.jpg",
                             cfg, no_crop_search, &with, &without, &err))
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    else if (without->n_faces != 1 || without->retried || without->faces[0].size > 50)
        result = fc_test_fail(__FILE__, __LINE__, "without: %d faces, retried %d, size %.1f",
                              without->n_faces, without->retried,
                              without->n_faces ? without->faces[0].size : 0.0);
    else if (with->n_faces != 1 || !with->retried || with->faces[0].size < 75)
        result = fc_test_fail(__FILE__, __LINE__, "with: %d faces, retried %d, size %.1f",
                              with->n_faces, with->retried, with->n_faces ? with->faces[0].size : 0.0);
    fc_faces_free(with);
    fc_faces_free(without);
    return result;
}

TEST(face_pipeline_yunet_samples)
{
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    snprintf(cfg.detect_model, sizeof cfg.detect_model, "%s/models/face_detection_yunet_2023mar.onnx", shared);
    cfg.detector = FC_DETECTOR_YUNET;
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err);
    CHECK_MSG(p && fc_pipeline_detector_kind(p) == FC_DETECTOR_YUNET, "%s", err.msg);
    int result = FC_TEST_PASS;
    for (int i = 1; i <= 6 && result == FC_TEST_PASS; i++) {
        fc_faces *f = run_sample(p, i, &err);
        if (!f)
            result = fc_test_skip("%s", err.msg);
        else if (f->n_faces != sample_faces[i - 1])
            result = fc_test_fail(__FILE__, __LINE__, "sample%d: YuNet finds %d faces, expected %d", i,
                                  f->n_faces, sample_faces[i - 1]);
        for (int k = 0; f && k < f->n_faces && result == FC_TEST_PASS; k++) {
            const char *why = face_problem(&f->faces[k], f->width, f->height, f->dim);
            if (why || f->faces[k].landmarks_from != 0)
                result = fc_test_fail(__FILE__, __LINE__, "sample%d face %d: %s", i, k,
                                      why ? why : "landmarks not from the detector");
        }
        fc_faces_free(f);
    }
    fc_pipeline_free(p);
    return result;
}

TEST(face_pipeline_full_resolution_alignment)
{
    /* sample decoded at 1/2 for detection; with realign_below huge, every face is
     * aligned from a second, full-resolution decode: same boxes, close embeddings
     * to the all-full-resolution run */
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    fc_error err = {0};
    cfg.realign_below = 1e9f;
    fc_pipeline *scaled = fc_pipeline_new(&cfg, &err);
    cfg.decode_long_side = -1;
    fc_pipeline *full = scaled ? fc_pipeline_new(&cfg, &err) : NULL;
    CHECK_MSG(full, "%s", err.msg);
    fc_faces *a = run_sample(scaled, 1, &err), *b = a ? run_sample(full, 1, &err) : NULL;
    int result = FC_TEST_PASS;
    if (!b)
        result = fc_test_skip("%s", err.msg);
    else if (a->n_faces != 3 || b->n_faces != 3)
        result = fc_test_fail(__FILE__, __LINE__, "%d and %d faces", a->n_faces, b->n_faces);
    for (int i = 0; result == FC_TEST_PASS && i < 3; i++) {
        int j = fc_face_test_match(b, &a->faces[i].box);
        double cs = 0;
        for (int k = 0; j >= 0 && k < a->dim; k++)
            cs += (double)a->faces[i].embedding[k] * b->faces[j].embedding[k];
        if (j < 0 || cs < 0.9)
            result = fc_test_fail(__FILE__, __LINE__, "face %d: match %d, cosine %.4f", i, j, cs);
    }
    fc_faces_free(a);
    fc_faces_free(b);
    fc_pipeline_free(scaled);
    fc_pipeline_free(full);
    return result;
}
