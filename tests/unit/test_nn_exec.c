/* test_nn_exec.c - contexts: shape inference, constant folding, the memory plan,
 * runs that allocate nothing, and one model shared by threads. */
#include "test.h"

#include "core/alloc.h"
#include "nn/nn.h"
#include "onnx_build.h"
#include "op_util.h"

#include <pthread.h>
#include <string.h>

/* UltraFace-style exporter chain: Y = Relu(Reshape(X, Concat(Unsqueeze(Gather(Shape(X), 0)), [-1]))) */
static ob_model *shape_chain_model(int64_t h)
{
    ob_model *b = ob_new(9);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 2, h, 4});
    ob_init_i64(b, "zero", 0, NULL, (int64_t[]){0});
    ob_init_i64(b, "minus_one", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_node_add(b, "Shape", "X", "s");
    ob_node *g = ob_node_add(b, "Gather", "s,zero", "n");
    ob_attr_int(b, g, "axis", 0);
    ob_node *u = ob_node_add(b, "Unsqueeze", "n", "n1");
    ob_attr_ints(b, u, "axes", 1, (int64_t[]){0});
    ob_node *c = ob_node_add(b, "Concat", "n1,minus_one", "shape");
    ob_attr_int(b, c, "axis", 0);
    ob_node_add(b, "Reshape", "X,shape", "r");
    ob_node_add(b, "Relu", "r", "Y");
    ob_output(b, "Y");
    return b;
}

TEST(nn_fold_shape_chain)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(shape_chain_model(3), &err);
    CHECK_MSG(m, "%s", err.msg);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    /* Shape, Gather, Unsqueeze and Concat fold away; Reshape (an alias) and Relu run */
    CHECK(fc_nn_ctx_n_steps(ctx) == 2);
    const fc_tensor *o = fc_nn_ctx_output(ctx, 0);
    CHECK(o->shape.ndim == 2 && o->shape.d[0] == 1 && o->shape.d[1] == 24);
    float x[24], want[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)(i - 12), want[i] = x[i] > 0 ? x[i] : 0;
    fc_tensor in = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, 2, 3, 4}), x}, out;
    CHECK_OK(fc_nn_run(ctx, &in, &out, &err), &err);
    CHECK(fc_test_max_abs_diff(out.data, want, 24) == 0);
    CHECK(x[0] == -12); /* inputs are never written */
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return FC_TEST_PASS;
}

TEST(nn_dynamic_input_takes_given_shape)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(shape_chain_model(-1), &err);
    CHECK_MSG(m, "%s", err.msg);
    CHECK(fc_nn_input_info(m, 0)->shape.d[2] == -1);
    CHECK(!fc_nn_ctx_new(m, NULL, &err) && err.code == FC_ERR_SHAPE);
    CHECK(strstr(err.msg, "dynamic"));
    fc_shape s = fc_shape_make(4, (int64_t[]){1, 2, 5, 4});
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, &s, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    CHECK(fc_nn_ctx_output(ctx, 0)->shape.d[1] == 40);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return FC_TEST_PASS;
}

/* Y = Relu^k(X) on [1,1000] floats */
static ob_model *relu_chain(int k)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){1, 1000});
    char in[16] = "X", out[16];
    for (int i = 0; i < k; i++) {
        snprintf(out, sizeof out, i == k - 1 ? "Y" : "a%d", i);
        ob_node_add(b, "Relu", in, out);
        memcpy(in, out, sizeof in);
    }
    ob_output(b, "Y");
    return b;
}

TEST(nn_plan_reuses_memory)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(relu_chain(10), &err);
    CHECK_MSG(m, "%s", err.msg);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    CHECK(fc_nn_ctx_n_steps(ctx) == 10);
    /* ten 4000-byte activations, at most two live at once */
    CHECK_MSG(fc_nn_ctx_arena_bytes(ctx) <= 2 * fc_align_up(4000), "arena %zu",
              fc_nn_ctx_arena_bytes(ctx));
    float x[1000];
    fc_test_fill_random(x, 1000, 3, -1, 1);
    fc_tensor in = {FC_DT_FLOAT, fc_shape_make(2, (int64_t[]){1, 1000}), x}, out;
    CHECK_OK(fc_nn_run(ctx, &in, &out, &err), &err);
    for (int i = 0; i < 1000; i++)
        CHECK(((float *)out.data)[i] == (x[i] > 0 ? x[i] : 0));
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return FC_TEST_PASS;
}

TEST(nn_run_allocates_nothing)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(shape_chain_model(3), &err);
    CHECK_MSG(m, "%s", err.msg);
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    float x[24] = {0};
    fc_tensor in = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, 2, 3, 4}), x}, out;
    uint64_t before = fc_alloc_count();
    for (int i = 0; i < 10; i++)
        CHECK_OK(fc_nn_run(ctx, &in, &out, &err), &err);
    CHECK(fc_alloc_count() == before);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return FC_TEST_PASS;
}

typedef struct {
    const fc_nn_model *m;
    float scale;
    int ok;
} thread_job;

static void *run_many(void *arg)
{
    thread_job *job = arg;
    fc_error err = {0};
    fc_nn_ctx *ctx = fc_nn_ctx_new(job->m, NULL, &err);
    float x[1000];
    job->ok = ctx != NULL;
    for (int r = 0; job->ok && r < 200; r++) {
        for (int i = 0; i < 1000; i++)
            x[i] = job->scale * (float)(i - 500 + r);
        fc_tensor in = {FC_DT_FLOAT, fc_shape_make(2, (int64_t[]){1, 1000}), x}, out;
        if (fc_nn_run(ctx, &in, &out, &err)) {
            job->ok = 0;
            break;
        }
        for (int i = 0; i < 1000; i++)
            if (((float *)out.data)[i] != (x[i] > 0 ? x[i] : 0))
                job->ok = 0;
    }
    fc_nn_ctx_free(ctx);
    return NULL;
}

TEST(nn_one_model_many_threads)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(relu_chain(4), &err);
    CHECK_MSG(m, "%s", err.msg);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){m, i % 2 ? 1.0f : -1.0f, 0};
        CHECK(pthread_create(&th[i], NULL, run_many, &jobs[i]) == 0);
    }
    int all_ok = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        all_ok &= jobs[i].ok;
    }
    fc_nn_free(m);
    CHECK(all_ok);
    return FC_TEST_PASS;
}

/* X [N,4,8,8] -> Conv (group 2) -> c; c -> ConvTranspose -> T; c -> Flatten -> Gemm -> MatMul -> Y */
static ob_model *macs_model(void)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){-1, 4, 8, 8});
    float w[6 * 2 * 9], wt[6 * 2 * 4], g[96 * 5], mm[5 * 2];
    fc_test_fill_random(w, 6 * 2 * 9, 1, -1, 1);
    fc_test_fill_random(wt, 6 * 2 * 4, 2, -1, 1);
    fc_test_fill_random(g, 96 * 5, 3, -1, 1);
    fc_test_fill_random(mm, 5 * 2, 4, -1, 1);
    ob_init_f32(b, "W", 4, (int64_t[]){6, 2, 3, 3}, w);
    ob_init_f32(b, "WT", 4, (int64_t[]){6, 2, 2, 2}, wt);
    ob_init_f32(b, "G", 2, (int64_t[]){96, 5}, g);
    ob_init_f32(b, "M", 2, (int64_t[]){5, 2}, mm);
    ob_node *c = ob_node_add(b, "Conv", "X,W", "c");
    ob_attr_int(b, c, "group", 2);
    ob_attr_ints(b, c, "strides", 2, (int64_t[]){2, 2});
    ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_node *t = ob_node_add(b, "ConvTranspose", "c,WT", "T");
    ob_attr_ints(b, t, "strides", 2, (int64_t[]){2, 2});
    ob_node_add(b, "Flatten", "c", "f");
    ob_node_add(b, "Gemm", "f,G", "g");
    ob_node_add(b, "MatMul", "g,M", "Y");
    ob_output(b, "T");
    ob_output(b, "Y");
    return b;
}

TEST(nn_ctx_counts_multiply_adds)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(macs_model(), &err);
    CHECK_MSG(m, "%s", err.msg);
    for (int ref = 0; ref <= 1; ref++) {
        fc_shape s = fc_shape_make(4, (int64_t[]){3, 4, 8, 8});
        fc_nn_ctx_opts opts = {.threads = 1, .reference = ref};
        fc_nn_ctx *ctx = fc_nn_ctx_new_opts(m, &s, &opts, &err);
        CHECK_MSG(ctx, "%s", err.msg);
        /* Conv: 3*6*4*4 outputs x 2*3*3; ConvTranspose: 3*6*4*4 inputs x 2*2*2;
         * Gemm: 3*5 outputs x 96; MatMul: 3*2 outputs x 5 */
        int64_t want = 288 * 18 + 288 * 8 + 15 * 96 + 6 * 5;
        CHECK_MSG(fc_nn_ctx_macs(ctx) == want, "%s path: %lld multiply-adds, want %lld",
                  ref ? "reference" : "fast", (long long)fc_nn_ctx_macs(ctx), (long long)want);
        fc_nn_ctx_free(ctx);
    }
    fc_nn_free(m);
    return FC_TEST_PASS;
}
