/* test_heap_nn.c - what an inference run allocates, counted at malloc itself
 * (hook.h), not only at our own allocator (tests/unit/test_nn_exec.c): nothing, on
 * the reference path and on the oneDNN path, at 1 and 2 threads. oneDNN's C API
 * (2.6) builds an argument map on every dnnl_primitive_execute; its C++ allocations
 * come from the context's pool during a run (src/nn/newpool.h). */
#include "face_util.h"
#include "heap/hook.h"
#include "model_util.h"
#include "nn/nn.h"
#include "op_util.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WARMUP = 2, RUNS = 10, SIDE = 320 };

static const char *const models[] = {"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx",
                                     "fr_liveness.onnx"};

typedef struct {
    uint64_t all, outside_onednn; /* allocations during RUNS runs */
} run_allocs;

/* Loads path, makes a context (reference or not, threads) for its declared input
 * shapes (dynamic dims: batch 1, SIDE x SIDE), runs it WARMUP times, then counts the
 * allocations of RUNS runs. FC_TEST_PASS or a failure. */
static int count_run_allocs(const char *path, int reference, int threads, run_allocs *out,
                            fc_error *err)
{
    fc_nn_model *m = fc_nn_load(path, err);
    if (!m)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", path, err->msg);
    enum { MAX_IN = 4, MAX_OUT = 32 };
    fc_shape shapes[MAX_IN];
    fc_tensor in[MAX_IN] = {0}, outs[MAX_OUT];
    int n_in = fc_test_input_shapes(m, SIDE, shapes, MAX_IN);
    int ok = n_in >= 0 && fc_nn_n_outputs(m) <= MAX_OUT;
    for (int i = 0; ok && i < n_in; i++) {
        in[i] = (fc_tensor){FC_DT_FLOAT, shapes[i], malloc((size_t)fc_shape_numel(&shapes[i]) * 4)};
        ok = in[i].data != NULL && fc_nn_input_info(m, i)->dtype == FC_DT_FLOAT;
        if (in[i].data)
            fc_test_fill_random(in[i].data, fc_shape_numel(&shapes[i]), 7 + i, -1, 1);
    }
    fc_nn_ctx_opts o = {.threads = threads, .reference = reference};
    fc_nn_ctx *ctx = ok ? fc_nn_ctx_new_opts(m, shapes, &o, err) : NULL;
    ok = ok && ctx;
    for (int i = 0; ok && i < WARMUP; i++)
        ok = !fc_nn_run(ctx, in, outs, err);
    fc_heap_attribute(1);
    uint64_t before = fc_heap_allocs();
    for (int i = 0; ok && i < RUNS; i++)
        ok = !fc_nn_run(ctx, in, outs, err);
    out->all = fc_heap_allocs() - before;
    fc_heap_attribute(0);
    out->outside_onednn = fc_heap_allocs_outside_onednn();
    int too_many = n_in < 0 || fc_nn_n_outputs(m) > MAX_OUT;
    for (int i = 0; i < n_in; i++)
        free(in[i].data);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    if (!ok)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", path,
                            too_many ? "more inputs or outputs than this test takes"
                            : err->msg[0] ? err->msg : "an input is not float");
    return FC_TEST_PASS;
}

/* Checks that RUNS runs of path on the given path (reference or fast) allocate
 * nothing, at 1 and 2 threads. */
static int check_model(const char *path, int reference)
{
    for (int threads = 1; threads <= 2; threads++) {
        fc_error err = {0};
        run_allocs a;
        int rc = count_run_allocs(path, reference, threads, &a, &err);
        if (rc != FC_TEST_PASS)
            return rc;
        CHECK_MSG(a.all == 0,
                  "%s, %s path, %d thread(s): %llu heap allocations in %d runs (%llu outside oneDNN)",
                  path, reference ? "reference" : "fast", threads, (unsigned long long)a.all, RUNS,
                  (unsigned long long)a.outside_onednn);
        if (getenv("FC_HEAP_VERBOSE"))
            fprintf(stderr, "%s, %s, %d thread(s): %llu heap allocations in %d runs\n", path,
                    reference ? "reference" : "fast", threads, (unsigned long long)a.all, RUNS);
    }
    return FC_TEST_PASS;
}

/* check_model on every default model. */
static int check_default_models(int reference)
{
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        char path[1024];
        if (!fc_face_test_default_model(models[k], path, sizeof path))
            return fc_test_skip("models/%s not present (scripts/setup fetches it)", models[k]);
        int rc = check_model(path, reference);
        if (rc != FC_TEST_PASS)
            return rc;
    }
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
    return check_default_models(1);
}

TEST(heap_fast_run_allocates_nothing)
{
    SKIP_UNHOOKED();
    return check_default_models(0);
}

/* check_model on the fast path (fc_test_model_fn). */
static int check_fast(const char *path, const char *name, void *arg)
{
    (void)name, (void)arg;
    return check_model(path, 0);
}

/* The extra face models of ../shared/models, on the fast path. */
TEST(heap_fast_run_of_shared_models_allocates_nothing)
{
    SKIP_UNHOOKED();
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/models", shared);
    int n = 0;
    int rc = fc_test_each_model(dir, check_fast, NULL, &n);
    if (rc == FC_TEST_PASS && n == 0)
        SKIP("no .onnx file in %s", dir);
    return rc;
}
