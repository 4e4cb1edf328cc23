/* test_heap_oom.c - out of memory at every step (sweep.h) while loading a model and
 * running it on the reference path (decoders: test_heap_image.c). None may crash
 * (ASan and valgrind runs cover the memory errors). */
#include "face_util.h"
#include "heap/sweep.h"
#include "image_util.h"
#include "nn/nn.h"
#include "test.h"

#include <stdlib.h>

typedef struct {
    uint8_t *data;
    size_t len;
} bytes;

static int read_model(const char *file, bytes *b)
{
    char path[1024];
    b->data = fc_face_test_default_model(file, path, sizeof path) ? tu_read_file(path, &b->len) : NULL;
    return b->data != NULL;
}

static int load_model(const void *user, fc_error *err)
{
    const bytes *b = user;
    fc_nn_model *m = fc_nn_load_mem(b->data, b->len, err);
    fc_nn_free(m);
    return m != NULL;
}

TEST(heap_onnx_load_survives_each_allocation_failing)
{
    bytes b;
    if (!read_model("fr_landmark.onnx", &b))
        SKIP("models/fr_landmark.onnx not present (scripts/setup fetches it)");
    int rc = fc_heap_sweep("loading fr_landmark.onnx", load_model, &b);
    free(b.data);
    return rc;
}

typedef struct {
    const fc_nn_model *m;
    const float *x;
} ctx_job;

/* A reference-path context on one thread (no oneDNN: its C++ code would meet a
 * failed allocation as an exception), one run, freed. */
static int make_context_and_run(const void *user, fc_error *err)
{
    const ctx_job *j = user;
    fc_nn_ctx_opts o = {.threads = 1, .reference = 1};
    fc_nn_ctx *ctx = fc_nn_ctx_new_opts(j->m, NULL, &o, err);
    fc_tensor in = {FC_DT_FLOAT, fc_nn_input_info(j->m, 0)->shape, (void *)j->x}, out;
    int ok = ctx && !fc_nn_run(ctx, &in, &out, err);
    fc_nn_ctx_free(ctx);
    return ok;
}

TEST(heap_reference_context_survives_each_allocation_failing)
{
    bytes b;
    if (!read_model("fr_landmark.onnx", &b))
        SKIP("models/fr_landmark.onnx not present (scripts/setup fetches it)");
    fc_error err = {0};
    fc_nn_model *m = fc_nn_load_mem(b.data, b.len, &err);
    free(b.data);
    CHECK_MSG(m, "%s", err.msg);
    float *x = calloc((size_t)fc_shape_numel(&fc_nn_input_info(m, 0)->shape), sizeof *x);
    ctx_job j = {m, x};
    int rc = x ? fc_heap_sweep("a reference context for fr_landmark.onnx, and a run", make_context_and_run, &j)
               : FC_TEST_FAIL;
    free(x);
    fc_nn_free(m);
    return rc;
}
