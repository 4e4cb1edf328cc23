/* test_nn_models.c - the default models load, plan and run on the executor with
 * outputs of the documented shapes and finite values (numerical parity with ONNX
 * Runtime is tests/parity/). Skipped when scripts/setup has not fetched them. */
#include "test.h"

#include "core/alloc.h"
#include "nn/nn.h"
#include "op_util.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    const char *file;
    int n_out;
    int64_t out_dims[2][3]; /* expected output shapes (rank 2 or 3, 0 = unused) */
} model_case;

static const model_case cases[] = {
    {"fr_detect.onnx", 2, {{1, 4420, 2}, {1, 4420, 4}}},
    {"fr_landmark.onnx", 1, {{1, 136, 0}}},
    {"fr_feature.onnx", 1, {{1, 512, 0}}},
    {"fr_liveness.onnx", 1, {{1, 3, 0}}},
};

/* Loads models/<file>; NULL (with *skip set) when scripts/setup has not fetched it. */
static fc_nn_model *load_default(const char *file, int *skip, fc_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", fc_test_root(), file);
    FILE *f = fopen(path, "rb");
    *skip = !f;
    if (!f)
        return NULL;
    fclose(f);
    return fc_nn_load(path, err);
}

#define LOAD_DEFAULT_OR_SKIP(m, file, err)                                              \
    do {                                                                                \
        int skip_;                                                                      \
        (m) = load_default((file), &skip_, (err));                                      \
        if (skip_)                                                                      \
            SKIP("models/%s not present (scripts/setup fetches it)", (file));           \
        CHECK_MSG((m), "%s", (err)->msg);                                               \
    } while (0)

static int check_model(const model_case *c)
{
    fc_error err = {0};
    fc_nn_model *m;
    LOAD_DEFAULT_OR_SKIP(m, c->file, &err);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    if (!ctx) {
        fc_nn_free(m);
        return fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    }
    const fc_nn_io_info *ii = fc_nn_input_info(m, 0);
    fc_tensor in = {FC_DT_FLOAT, ii->shape, NULL}, out[2];
    int64_t n = fc_shape_numel(&ii->shape);
    in.data = fc_aligned_alloc((size_t)n * sizeof(float));
    fc_test_fill_random(in.data, n, 7, -1, 1);
    fc_status rc = fc_nn_run(ctx, &in, out, &err);
    int result = FC_TEST_PASS;
    if (rc)
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    for (int o = 0; !rc && o < c->n_out && result == FC_TEST_PASS; o++) {
        int rank = c->out_dims[o][2] ? 3 : 2;
        fc_shape want = fc_shape_make(rank, c->out_dims[o]);
        char a[64], b[64];
        if (!fc_shape_equal(&out[o].shape, &want))
            result = fc_test_fail(__FILE__, __LINE__, "output %d is %s, expected %s", o,
                                  fc_shape_str(&out[o].shape, a, sizeof a), fc_shape_str(&want, b, sizeof b));
        for (int64_t i = 0; result == FC_TEST_PASS && i < fc_shape_numel(&want); i++)
            if (!isfinite(((float *)out[o].data)[i]))
                result = fc_test_fail(__FILE__, __LINE__, "output %d has a non-finite value", o);
    }
    fc_aligned_free(in.data);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return result;
}

TEST(nn_model_fr_detect) { return check_model(&cases[0]); }
TEST(nn_model_fr_landmark) { return check_model(&cases[1]); }
TEST(nn_model_fr_feature) { return check_model(&cases[2]); }
TEST(nn_model_fr_liveness) { return check_model(&cases[3]); }

TEST(nn_model_fr_detect_folds_postprocessing_chain)
{
    fc_error err = {0};
    fc_nn_model *m;
    LOAD_DEFAULT_OR_SKIP(m, "fr_detect.onnx", &err);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    fc_nn_model_info mi;
    fc_nn_model_info_get(m, &mi);
    /* 8 Shape, 8 Gather, 8 Unsqueeze and 14 Constant nodes, plus the Concats that
     * build reshape targets, fold away for a fixed input shape */
    int steps = fc_nn_ctx_n_steps(ctx);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    CHECK_MSG(steps <= mi.n_nodes - 38, "%d of %d nodes still run", steps, mi.n_nodes);
    return FC_TEST_PASS;
}

/* Several faces in one call: a batch of 4 gives each face the embedding it gets alone. */
TEST(nn_model_fr_feature_batch)
{
    fc_error err = {0};
    fc_nn_model *m;
    LOAD_DEFAULT_OR_SKIP(m, "fr_feature.onnx", &err);
    const int64_t per = 3 * 112 * 112;
    fc_shape s4 = fc_shape_make(4, (int64_t[]){4, 3, 112, 112});
    fc_nn_ctx *c4 = fc_nn_ctx_new(m, &s4, &err), *c1 = fc_nn_ctx_new(m, NULL, &err);
    float *x = fc_aligned_alloc((size_t)(4 * per) * sizeof(float));
    fc_test_fill_random(x, 4 * per, 11, -1, 1);
    fc_tensor in4 = {FC_DT_FLOAT, s4, x}, out4, out1;
    int ok = c4 && c1 && !fc_nn_run(c4, &in4, &out4, &err) && out4.shape.d[0] == 4 &&
             out4.shape.d[1] == 512;
    double worst = 0;
    for (int b = 0; ok && b < 4; b++) {
        fc_tensor in1 = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, 3, 112, 112}), x + b * per};
        ok = !fc_nn_run(c1, &in1, &out1, &err);
        double d = ok ? fc_test_max_abs_diff((float *)out4.data + b * 512, out1.data, 512) : 1;
        worst = d > worst ? d : worst;
    }
    fc_aligned_free(x);
    fc_nn_ctx_free(c4);
    fc_nn_ctx_free(c1);
    fc_nn_free(m);
    CHECK_MSG(ok, "%s", err.msg);
    CHECK_MSG(worst < 1e-4, "batch and single runs differ by %g", worst);
    return FC_TEST_PASS;
}

/* The fast path (oneDNN) allocates nothing of ours per run either. */
TEST(nn_model_fr_feature_run_allocates_nothing)
{
    fc_error err = {0};
    fc_nn_model *m;
    LOAD_DEFAULT_OR_SKIP(m, "fr_feature.onnx", &err);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    float *x = fc_aligned_alloc(3 * 112 * 112 * sizeof(float));
    fc_test_fill_random(x, 3 * 112 * 112, 5, -1, 1);
    fc_tensor in = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, 3, 112, 112}), x}, out;
    int ok = ctx && !fc_nn_run(ctx, &in, &out, &err);
    uint64_t before = fc_alloc_count();
    for (int i = 0; ok && i < 5; i++)
        ok = !fc_nn_run(ctx, &in, &out, &err);
    uint64_t after = fc_alloc_count();
    fc_aligned_free(x);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    CHECK_MSG(ok, "%s", err.msg);
    CHECK(after == before);
    return FC_TEST_PASS;
}
