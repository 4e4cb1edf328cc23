/* test_heap_nn.c - what an inference run allocates, counted at malloc itself
 * (hook.h), not only at our own allocator (tests/unit/test_nn_exec.c): on the
 * reference path nothing at all; on the oneDNN path nothing outside oneDNN, whose
 * C API (2.6) builds an argument map on every dnnl_primitive_execute call. */
#include "face_util.h"
#include "heap/hook.h"
#include "nn/nn.h"
#include "op_util.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

enum { WARMUP = 2, RUNS = 10 };

static const char *const models[] = {"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx"};

typedef struct {
    uint64_t all, outside_onednn; /* allocations during RUNS runs */
} run_allocs;

/* Loads models/<file>, makes a context (reference or not, threads) for its declared
 * input shape, runs it WARMUP times, then counts the allocations of RUNS runs.
 * Returns FC_TEST_PASS, or FC_TEST_SKIP when scripts/setup has not fetched it. */
static int count_run_allocs(const char *file, int reference, int threads, run_allocs *out,
                            fc_error *err)
{
    char path[1024];
    if (!fc_face_test_default_model(file, path, sizeof path))
        return fc_test_skip("models/%s not present (scripts/setup fetches it)", file);
    fc_nn_model *m = fc_nn_load(path, err);
    if (!m)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", file, err->msg);
    fc_nn_ctx_opts o = {.threads = threads, .reference = reference};
    fc_nn_ctx *ctx = fc_nn_ctx_new_opts(m, NULL, &o, err);
    const fc_shape *shape = &fc_nn_input_info(m, 0)->shape;
    int64_t n = fc_shape_numel(shape);
    float *x = malloc((size_t)n * sizeof *x);
    int ok = ctx && x;
    if (x)
        fc_test_fill_random(x, n, 7, -1, 1);
    fc_tensor in = {FC_DT_FLOAT, *shape, x}, outs[4];
    for (int i = 0; ok && i < WARMUP; i++)
        ok = !fc_nn_run(ctx, &in, outs, err);
    fc_heap_attribute(1);
    uint64_t before = fc_heap_allocs();
    for (int i = 0; ok && i < RUNS; i++)
        ok = !fc_nn_run(ctx, &in, outs, err);
    out->all = fc_heap_allocs() - before;
    fc_heap_attribute(0);
    out->outside_onednn = fc_heap_allocs_outside_onednn();
    free(x);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    if (!ok)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", file, err->msg);
    return FC_TEST_PASS;
}

#define SKIP_UNHOOKED()                                                                 \
    do {                                                                                \
        if (!fc_heap_hooked())                                                          \
            SKIP("malloc is not hooked in this build (AddressSanitizer owns the heap)"); \
    } while (0)

TEST(heap_reference_run_allocates_nothing)
{
    SKIP_UNHOOKED();
    for (size_t k = 0; k < sizeof models / sizeof *models; k++)
        for (int threads = 1; threads <= 2; threads++) {
            fc_error err = {0};
            run_allocs a;
            int rc = count_run_allocs(models[k], 1, threads, &a, &err);
            if (rc != FC_TEST_PASS)
                return rc;
            CHECK_MSG(a.all == 0, "%s, reference path, %d thread(s): %llu heap allocations in %d runs",
                      models[k], threads, (unsigned long long)a.all, RUNS);
        }
    return FC_TEST_PASS;
}

TEST(heap_fast_run_allocates_only_inside_onednn)
{
    SKIP_UNHOOKED();
    for (size_t k = 0; k < sizeof models / sizeof *models; k++)
        for (int threads = 1; threads <= 2; threads++) {
            fc_error err = {0};
            run_allocs a;
            int rc = count_run_allocs(models[k], 0, threads, &a, &err);
            if (rc != FC_TEST_PASS)
                return rc;
            CHECK_MSG(a.outside_onednn == 0,
                      "%s, %d thread(s): %llu of %llu heap allocations in %d runs outside oneDNN",
                      models[k], threads, (unsigned long long)a.outside_onednn,
                      (unsigned long long)a.all, RUNS);
            if (getenv("FC_HEAP_VERBOSE"))
                fprintf(stderr, "%s, %d thread(s): %.1f heap allocations per run, all in oneDNN\n",
                        models[k], threads, (double)a.all / RUNS);
        }
    return FC_TEST_PASS;
}
