/* test_nn_fast.c - fast-path rewrites (fuse.c, dnnl.c) against the reference
 * kernels on small graphs: the same model run both ways must agree. */
#include "test.h"

#include "nn/nn.h"
#include "nn/ctx.h"
#include "nn/fast.h"
#include "nn/pwdw.h"
#include "onnx_build.h"
#include "op_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A built model, its fast context (threads) and its reference context for xs. */
typedef struct {
    fc_nn_model *m;
    fc_nn_ctx *fast, *ref;
} pair;

/* Loads b and makes both contexts; 0 with err when any step fails (pair_close still
 * frees what was made). */
static int pair_open(pair *p, ob_model *b, const fc_shape *xs, int threads, fc_error *err)
{
    fc_nn_ctx_opts fast_opts = {.threads = threads}, ref_opts = {.threads = 1, .reference = 1};
    *p = (pair){0};
    return (p->m = ob_load(b, err)) && (p->fast = fc_nn_ctx_new_opts(p->m, xs, &fast_opts, err)) &&
           (p->ref = fc_nn_ctx_new_opts(p->m, xs, &ref_opts, err));
}

static void pair_close(pair *p)
{
    fc_nn_ctx_free(p->fast);
    fc_nn_ctx_free(p->ref);
    fc_nn_free(p->m);
}

enum { PAIR_MAX_OUTPUTS = 4 }; /* outputs of the test models, at most */

/* Runs both contexts on in: outputs into a (fast) and r (reference), arrays with
 * room for the model's outputs. */
static fc_status pair_run(const pair *p, const fc_tensor *in, fc_tensor *a, fc_tensor *r, fc_error *err)
{
    fc_status rc = fc_nn_run(p->fast, in, a, err);
    return rc ? rc : fc_nn_run(p->ref, in, r, err);
}

/* The largest absolute difference between two float outputs, -1 if their shapes differ. */
static double max_diff(const fc_tensor *a, const fc_tensor *r)
{
    if (!fc_shape_equal(&a->shape, &r->shape))
        return -1;
    return fc_test_max_abs_diff(a->data, r->data, fc_shape_numel(&a->shape));
}

/* Runs both contexts of p on x (numel(xs) floats) filled at random from seed in
 * [lo, hi): the largest absolute difference of their outputs (all of them), -1 if
 * shapes differ, -2 (the error printed) if a run fails. */
static double random_diff(const pair *p, const fc_shape *xs, float *x, uint32_t seed, float lo, float hi,
                          fc_error *err)
{
    fc_test_fill_random(x, (size_t)fc_shape_numel(xs), seed, lo, hi);
    fc_tensor in = {FC_DT_FLOAT, *xs, x}, a[PAIR_MAX_OUTPUTS], r[PAIR_MAX_OUTPUTS];
    const int n_out = fc_nn_n_outputs(p->m);
    if (n_out > PAIR_MAX_OUTPUTS || pair_run(p, &in, a, r, err)) {
        fprintf(stderr, "run failed: %s\n", n_out > PAIR_MAX_OUTPUTS ? "too many outputs" : err->msg);
        return -2;
    }
    double worst = 0;
    for (int o = 0; o < n_out; o++) {
        double d = max_diff(&a[o], &r[o]);
        if (d < 0)
            return d;
        worst = d > worst ? d : worst;
    }
    return worst;
}

/* A detector head: Y = Reshape(Transpose(Conv(X), perm), [1, -1, 4]), perm (0,2,3,1)
 * or SCRFD's (2,3,0,1), and Z = Relu(Conv(X)) read in NCHW as well when `also_nchw`. */
static ob_model *conv_transpose_head(int also_nchw, int scrfd)
{
    ob_model *b = ob_new(13);
    float w[4 * 8 * 3 * 3], bias[4];
    fc_test_fill_random(w, 4 * 8 * 9, 21, -0.5f, 0.5f);
    fc_test_fill_random(bias, 4, 22, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 8, 6, 10});
    ob_init_f32(b, "W", 4, (int64_t[]){4, 8, 3, 3}, w);
    ob_init_f32(b, "B", 1, (int64_t[]){4}, bias);
    ob_init_i64(b, "shape", 1, (int64_t[]){3}, (int64_t[]){1, -1, 4});
    ob_node *c = ob_node_add(b, "Conv", "X,W,B", "c");
    ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_node *t = ob_node_add(b, "Transpose", "c", "t");
    if (scrfd)
        ob_attr_ints(b, t, "perm", 4, (int64_t[]){2, 3, 0, 1});
    else
        ob_attr_ints(b, t, "perm", 4, (int64_t[]){0, 2, 3, 1});
    ob_node_add(b, "Reshape", "t,shape", "Y");
    ob_output(b, "Y");
    if (also_nchw) {
        ob_node_add(b, "Relu", "c", "Z");
        ob_output(b, "Z");
    }
    return b;
}

/* The Transpose reads the Conv's NHWC output in place: no conversion, no copy. */
TEST(nn_fast_transpose_of_nhwc_is_a_view)
{
    for (int also_nchw = 0; also_nchw < 2; also_nchw++)
    for (int scrfd = 0; scrfd < 2; scrfd++) {
        fc_error err = {0};
        fc_shape xs = fc_shape_make(4, (int64_t[]){1, 8, 6, 10});
        pair p;
        CHECK_MSG(pair_open(&p, conv_transpose_head(also_nchw, scrfd), &xs, 1, &err), "%s", err.msg);
        float x[8 * 6 * 10];
        fc_test_fill_random(x, 8 * 6 * 10, 5, -1, 1);
        /* to_nhwc, conv, transpose (alias), reshape (alias) [, to_nchw, relu] */
        CHECK_MSG(fc_nn_ctx_n_steps(p.fast) == (also_nchw ? 6 : 4), "%d steps",
                  fc_nn_ctx_n_steps(p.fast));
        fc_tensor in = {FC_DT_FLOAT, xs, x}, a[2], r[2];
        CHECK_OK(pair_run(&p, &in, a, r, &err), &err);
        for (int o = 0; o < 1 + also_nchw; o++) {
            double d = max_diff(&a[o], &r[o]);
            CHECK_MSG(d >= 0 && d < 1e-5, "output %d: max diff %g (-1: shapes differ)", o, d);
        }
        pair_close(&p);
    }
    return FC_TEST_PASS;
}

/* Output Y = [MaxPool 2x2 of] Relu(depthwise Conv 3x3 (weights W2, bias B2; pads 1,
 * stride st) of x, C channels); pool 2: the Relu's output is an output too. */
static void dw_relu_pool(ob_model *b, const char *x, int64_t C, int st, int pool)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%s,W2,B2", x);
    ob_node *d = ob_node_add(b, "Conv", ins, "d");
    ob_attr_ints(b, d, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_ints(b, d, "strides", 2, (int64_t[]){st, st});
    ob_attr_int(b, d, "group", C);
    ob_node_add(b, "Relu", "d", pool ? "da" : "Y");
    if (pool == 2) /* the depthwise output is read besides the pool: an output too */
        ob_output(b, "da");
    if (pool) {
        ob_node *m = ob_node_add(b, "MaxPool", "da", "Y");
        ob_attr_ints(b, m, "kernel_shape", 2, (int64_t[]){2, 2});
        ob_attr_ints(b, m, "strides", 2, (int64_t[]){2, 2});
    }
    ob_output(b, "Y");
}

/* A mobile block: [depthwise Conv 3x3 -> Relu ->] Conv 1x1 (cin -> C) -> PRelu or
 * Relu -> depthwise Conv 3x3 (pads 1, stride st) -> Relu [-> MaxPool 2x2]; pool 2:
 * the Relu's output is an output too, beside the pool's. Odd sizes, so the kernel's
 * edges, its pixel tails and the pool's dropped last row all run; C <= 64, a
 * multiple of 16 or not; cin 16 with the first depthwise (pre), else 5. */
static ob_model *mobile_block(int64_t n, int st, int prelu, int pool, int64_t C, int pre)
{
    const int64_t CIN = pre ? 16 : 5;
    ob_model *b = ob_new(13);
    float w1[64 * 16], b1[64], slope[64], w2[64 * 9], b2[64], w0[16 * 9], b0[16];
    fc_test_fill_random(w1, C * CIN, 31, -0.5f, 0.5f);
    fc_test_fill_random(b1, C, 32, -0.5f, 0.5f);
    fc_test_fill_random(slope, C, 33, 0.0f, 0.5f);
    fc_test_fill_random(w2, C * 9, 34, -0.5f, 0.5f);
    fc_test_fill_random(b2, C, 35, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, CIN, 11, 13});
    if (pre) {
        fc_test_fill_random(w0, 16 * 9, 36, -0.5f, 0.5f);
        fc_test_fill_random(b0, 16, 37, -0.5f, 0.5f);
        ob_init_f32(b, "W0", 4, (int64_t[]){16, 1, 3, 3}, w0);
        ob_init_f32(b, "B0", 1, (int64_t[]){16}, b0);
        ob_node *q = ob_node_add(b, "Conv", "X,W0,B0", "q");
        ob_attr_ints(b, q, "pads", 4, (int64_t[]){1, 1, 1, 1});
        ob_attr_int(b, q, "group", 16);
        ob_node_add(b, "Relu", "q", "qa");
    }
    ob_init_f32(b, "W1", 4, (int64_t[]){C, CIN, 1, 1}, w1);
    ob_init_f32(b, "B1", 1, (int64_t[]){C}, b1);
    ob_init_f32(b, "S", 3, (int64_t[]){C, 1, 1}, slope);
    ob_init_f32(b, "W2", 4, (int64_t[]){C, 1, 3, 3}, w2);
    ob_init_f32(b, "B2", 1, (int64_t[]){C}, b2);
    ob_node_add(b, "Conv", pre ? "qa,W1,B1" : "X,W1,B1", "p");
    ob_node_add(b, prelu ? "PRelu" : "Relu", prelu ? "p,S" : "p", "pa");
    dw_relu_pool(b, "pa", C, st, pool);
    return b;
}

/* The fused (depthwise ->) 1x1 -> depthwise (-> pool) kernel (pwdw.c) agrees with
 * the reference kernels: with and without the first depthwise, strides 1 and 2,
 * PRelu and Relu, without the pool, with it, or with it beside the depthwise output,
 * 24, 32, 40 and 64 channels, batch 1 and 2, one and two threads. Where the CPU has AVX-512 the chain is one step
 * (FC_NN_PWDW=1: these maps are smaller than the kernel's default minimum). */
static int check_pw_dw_pool(void);

/* check() with FC_NN_PWDW=1 (the fused kernel at any map size), then the variable as
 * it was. */
static int with_pwdw_any_size(int (*check)(void))
{
    const char *was = getenv("FC_NN_PWDW");
    char *saved = was ? strdup(was) : NULL;
    setenv("FC_NN_PWDW", "1", 1);
    int result = check();
    if (saved)
        setenv("FC_NN_PWDW", saved, 1);
    else
        unsetenv("FC_NN_PWDW");
    free(saved);
    return result;
}

TEST(nn_fast_pw_dw_pool_fused) { return with_pwdw_any_size(check_pw_dw_pool); }

static int check_pw_dw_pool(void)
{
    static const struct { int st, prelu, pool, c, pre; } cases[] = {
        {1, 1, 1, 32, 0}, {1, 0, 0, 40, 0}, {2, 1, 0, 32, 0}, {2, 0, 1, 40, 0}, {1, 1, 0, 24, 0},
        {1, 0, 1, 32, 1}, {2, 1, 0, 40, 1}, {1, 0, 1, 64, 0}, {1, 1, 0, 64, 0},
        {1, 0, 2, 32, 0}, {1, 1, 2, 24, 0}, {2, 0, 2, 40, 0}, {1, 0, 2, 64, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int64_t n = 1; n <= 2; n++)
            for (int threads = 1; threads <= 2; threads++) {
                fc_error err = {0};
                const int64_t cin = cases[k].pre ? 16 : 5;
                fc_shape xs = fc_shape_make(4, (int64_t[]){n, cin, 11, 13});
                pair p;
                CHECK_MSG(pair_open(&p, mobile_block(n, cases[k].st, cases[k].prelu, cases[k].pool, cases[k].c,
                                                     cases[k].pre), &xs, threads, &err), "%s", err.msg);
                static float x[2 * 16 * 11 * 13];
                if (fc_pwdw_available()) /* to_nhwc, the fused step, to_nchw (one per output) */
                    CHECK_MSG(fc_nn_ctx_n_steps(p.fast) == 3 + (cases[k].pool == 2), "case %zu: %d steps", k,
                              fc_nn_ctx_n_steps(p.fast));
                double d = random_diff(&p, &xs, x, 7 + (uint32_t)k, -1, 1, &err);
                CHECK_MSG(d >= 0 && d < 1e-5, "case %zu, batch %lld, %d threads: max diff %g (-1: shapes differ)",
                          k, (long long)n, threads, d);
                pair_close(&p);
            }
    return FC_TEST_PASS;
}

/* YuNet's stem and first block: Relu(Conv 3x3 stride 2 pads 1, 3 -> 16, of the
 * image, with a BatchNormalization) -> Conv 1x1 16 -> 16 -> depthwise 3x3 -> Relu
 * [-> MaxPool 2x2]. */
static ob_model *stem_block(int64_t n, int64_t h, int64_t w, int pool)
{
    ob_model *b = ob_new(13);
    float w0[16 * 27], b0[16], bn[4][16], w1[16 * 16], b1[16], w2[16 * 9], b2[16];
    fc_test_fill_random(w0, 16 * 27, 81, -0.5f, 0.5f);
    fc_test_fill_random(b0, 16, 82, -0.5f, 0.5f);
    fc_test_fill_random(bn[0], 16, 83, 0.5f, 1.5f);
    fc_test_fill_random(bn[1], 16, 84, -0.5f, 0.5f);
    fc_test_fill_random(bn[2], 16, 85, -0.5f, 0.5f);
    fc_test_fill_random(bn[3], 16, 86, 0.5f, 1.5f);
    fc_test_fill_random(w1, 16 * 16, 87, -0.5f, 0.5f);
    fc_test_fill_random(b1, 16, 88, -0.5f, 0.5f);
    fc_test_fill_random(w2, 16 * 9, 89, -0.5f, 0.5f);
    fc_test_fill_random(b2, 16, 90, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, 3, h, w});
    ob_init_f32(b, "W0", 4, (int64_t[]){16, 3, 3, 3}, w0);
    ob_init_f32(b, "B0", 1, (int64_t[]){16}, b0);
    static const char *bn_names[4] = {"S", "T", "MU", "V"};
    for (int k = 0; k < 4; k++)
        ob_init_f32(b, bn_names[k], 1, (int64_t[]){16}, bn[k]);
    ob_init_f32(b, "W1", 4, (int64_t[]){16, 16, 1, 1}, w1);
    ob_init_f32(b, "B1", 1, (int64_t[]){16}, b1);
    ob_init_f32(b, "W2", 4, (int64_t[]){16, 1, 3, 3}, w2);
    ob_init_f32(b, "B2", 1, (int64_t[]){16}, b2);
    ob_node *c = ob_node_add(b, "Conv", "X,W0,B0", "c");
    ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_ints(b, c, "strides", 2, (int64_t[]){2, 2});
    ob_node_add(b, "BatchNormalization", "c,S,T,MU,V", "cb");
    ob_node_add(b, "Relu", "cb", "ca");
    ob_node_add(b, "Conv", "ca,W1,B1", "p");
    dw_relu_pool(b, "p", 16, 1, pool);
    return b;
}

/* The stem joins the fused kernel (stem.c): one step reads the NCHW image, then the
 * conversion of the output; it agrees with the reference kernels at odd and even
 * sizes (the last row's and column's windows run past the image, or not), rows of
 * whole 16-pixel tiles and a remainder, with and without the pool, batch 1 and 2,
 * one and two threads, and with a new input buffer each run. FC_NN_PWDW_STEM=0
 * leaves the stem a step of its own with the same outputs. */
static int check_stem(void);

TEST(nn_fast_stem_fused) { return with_pwdw_any_size(check_stem); }

static int check_stem(void)
{
    static const int64_t sizes[][2] = {{9, 45}, {12, 14}, {4, 3}};
    for (int off = 0; off < 2; off++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (int pool = 0; pool < 2; pool++)
                for (int64_t n = 1; n <= 2; n++)
                    for (int threads = 1; threads <= 2; threads++) {
                        const int64_t h = sizes[k][0], w = sizes[k][1];
                        if (off)
                            setenv("FC_NN_PWDW_STEM", "0", 1);
                        fc_error err = {0};
                        fc_shape xs = fc_shape_make(4, (int64_t[]){n, 3, h, w});
                        pair p;
                        int opened = pair_open(&p, stem_block(n, h, w, pool), &xs, threads, &err);
                        unsetenv("FC_NN_PWDW_STEM");
                        CHECK_MSG(opened, "%s", err.msg);
                        /* the fused step (with the stem, or after it), to_nchw */
                        if (fc_pwdw_available())
                            CHECK_MSG(fc_nn_ctx_n_steps(p.fast) == 2 + off, "%lldx%lld, pool %d: %d steps",
                                      (long long)h, (long long)w, pool, fc_nn_ctx_n_steps(p.fast));
                        static float x[2][2 * 3 * 12 * 45];
                        for (int run = 0; run < 2; run++) {
                            double d = random_diff(&p, &xs, x[run], 90 + (uint32_t)run, -1, 1, &err);
                            CHECK_MSG(d >= 0 && d < 1e-5,
                                      "%lldx%lld, pool %d, batch %lld, %d threads, stem %s, run %d: max diff %g",
                                      (long long)h, (long long)w, pool, (long long)n, threads, off ? "off" : "on",
                                      run, d);
                        }
                        pair_close(&p);
                    }
    return FC_TEST_PASS;
}

/* Detector heads: three 3x3 convs of one map with m[0..2] output channels. */
static ob_model *three_heads(const int64_t *m)
{
    ob_model *b = ob_new(13);
    static const char *w_names[3] = {"W0", "W1", "W2"}, *b_names[3] = {"B0", "B1", "B2"},
                      *y_names[3] = {"Y0", "Y1", "Y2"};
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 16, 9, 7});
    for (int k = 0; k < 3; k++) {
        float w[32 * 16 * 9], bias[32];
        fc_test_fill_random(w, (size_t)(m[k] * 16 * 9), 40 + (uint32_t)k, -0.5f, 0.5f);
        fc_test_fill_random(bias, (size_t)m[k], 50 + (uint32_t)k, -0.5f, 0.5f);
        ob_init_f32(b, w_names[k], 4, (int64_t[]){m[k], 16, 3, 3}, w);
        ob_init_f32(b, b_names[k], 1, (int64_t[]){m[k]}, bias);
        char ins[16];
        snprintf(ins, sizeof ins, "X,%s,%s", w_names[k], b_names[k]);
        ob_node *c = ob_node_add(b, "Conv", ins, y_names[k]);
        ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
        ob_output(b, y_names[k]);
    }
    return b;
}

/* Heads of 2, 8 and 20 channels (4 vector blocks apart, 2 merged) run as one conv and
 * three gathers; 16 + 16 + 16 would save nothing and stay apart. Either way the
 * outputs are the reference kernels'. */
TEST(nn_fast_sibling_heads_merged)
{
    static const int64_t cases[2][3] = {{2, 8, 20}, {16, 16, 16}};
    for (int k = 0; k < 2; k++) {
        fc_error err = {0};
        fc_shape xs = fc_shape_make(4, (int64_t[]){1, 16, 9, 7});
        pair p;
        CHECK_MSG(pair_open(&p, three_heads(cases[k]), &xs, 1, &err), "%s", err.msg);
        float x[16 * 9 * 7];
        fc_test_fill_random(x, 16 * 9 * 7, 9, -1, 1);
        /* to_nhwc, [merged conv, 3 gathers | 3 convs], 3 to_nchw */
        int want = k == 0 ? 8 : 7;
        CHECK_MSG(fc_nn_ctx_n_steps(p.fast) == want, "case %d: %d steps, expected %d", k,
                  fc_nn_ctx_n_steps(p.fast), want);
        fc_tensor in = {FC_DT_FLOAT, xs, x}, a[3], r[3];
        CHECK_OK(pair_run(&p, &in, a, r, &err), &err);
        for (int o = 0; o < 3; o++) {
            double d = max_diff(&a[o], &r[o]);
            CHECK(a[o].shape.d[1] == cases[k][o]);
            CHECK_MSG(d >= 0 && d < 1e-5, "case %d, output %d: max diff %g (-1: shapes differ)", k, o, d);
        }
        pair_close(&p);
    }
    return FC_TEST_PASS;
}

/* A first layer: Relu(Conv 3x3 stride 2 of a 3-channel image), M output channels. */
static ob_model *first_layer(int64_t n, int64_t m)
{
    ob_model *b = ob_new(13);
    float w[32 * 3 * 9], bias[32];
    fc_test_fill_random(w, (size_t)(m * 27), 61, -0.5f, 0.5f);
    fc_test_fill_random(bias, (size_t)m, 62, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, 3, 9, 11});
    ob_init_f32(b, "W", 4, (int64_t[]){m, 3, 3, 3}, w);
    ob_init_f32(b, "B", 1, (int64_t[]){m}, bias);
    ob_node *c = ob_node_add(b, "Conv", "X,W,B", "c");
    ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_ints(b, c, "strides", 2, (int64_t[]){2, 2});
    ob_node_add(b, "Relu", "c", "Y");
    ob_output(b, "Y");
    return b;
}

/* With 16 output channels the first conv reads the NCHW image in place (no
 * conversion step before it; AVX-512 CPUs) and agrees with the reference kernels,
 * batch 1 and 2; with 32 it keeps the conversion. The input buffer changes between
 * runs. */
TEST(nn_fast_first_layer_reads_nchw)
{
    static const int64_t ms[2] = {16, 32};
    for (int k = 0; k < 2; k++)
        for (int64_t n = 1; n <= 2; n++) {
            fc_error err = {0};
            fc_shape xs = fc_shape_make(4, (int64_t[]){n, 3, 9, 11});
            pair p;
            CHECK_MSG(pair_open(&p, first_layer(n, ms[k]), &xs, 1, &err), "%s", err.msg);
            static float x[2][2 * 3 * 9 * 11];
            /* [to_nhwc,] conv, to_nchw; without AVX-512 (valgrind's CPU) oneDNN has no
             * fast kernel for NCHW in, and the input is converted as for 32 */
            int in_place = k == 0 && fc_pwdw_available();
            CHECK_MSG(fc_nn_ctx_n_steps(p.fast) == (in_place ? 2 : 3), "%lld channels: %d steps",
                      (long long)ms[k], fc_nn_ctx_n_steps(p.fast));
            for (int run = 0; run < 2; run++) {
                double d = random_diff(&p, &xs, x[run], 70 + (uint32_t)run, -1, 1, &err);
                CHECK_MSG(d >= 0 && d < 1e-5, "%lld channels, batch %lld, run %d: max diff %g (-1: shapes differ)",
                          (long long)ms[k], (long long)n, run, d);
            }
            pair_close(&p);
        }
    return FC_TEST_PASS;
}

/* A detector tail: Reshape [1,3,40,40] -> [1,4800,1], then op. */
static ob_model *tail(const char *op)
{
    ob_model *b = ob_new(13);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 3, 40, 40});
    ob_init_i64(b, "shape", 1, (int64_t[]){3}, (int64_t[]){1, -1, 1});
    ob_node_add(b, "Reshape", "X,shape", "r");
    ob_node_add(b, op, "r", "Y");
    ob_output(b, "Y");
    return b;
}

/* Sigmoid, Exp and Tanh on a reshaped NCHW tensor run as flat oneDNN eltwise steps
 * and agree with the reference kernels to float rounding; the input buffer changes
 * between runs. */
TEST(nn_fast_flat_eltwise_tail)
{
    static const char *ops[3] = {"Sigmoid", "Exp", "Tanh"};
    for (int k = 0; k < 3; k++) {
        fc_error err = {0};
        fc_shape xs = fc_shape_make(4, (int64_t[]){1, 3, 40, 40});
        pair p;
        CHECK_MSG(pair_open(&p, tail(ops[k]), &xs, 1, &err), "%s", err.msg);
        int n_fast = 0;
        for (int i = 0; i < p.fast->n_steps; i++)
            n_fast += p.fast->steps[i].kind == FC_STEP_FAST;
        CHECK_MSG(n_fast == 1, "%s: %d fast steps", ops[k], n_fast);
        static float x[2][4800];
        for (int run = 0; run < 2; run++) {
            fc_test_fill_random(x[run], 4800, 80 + (uint32_t)(k * 2 + run), -8, 8);
            fc_tensor in = {FC_DT_FLOAT, xs, x[run]}, a, r;
            CHECK_OK(pair_run(&p, &in, &a, &r, &err), &err);
            double worst = 0;
            for (int i = 0; i < 4800; i++) {
                float u = ((float *)a.data)[i], v = ((float *)r.data)[i];
                double rel = fabs(u - v) / (fabs(v) > 1e-6 ? fabs(v) : 1e-6);
                worst = rel > worst ? rel : worst;
            }
            CHECK_MSG(worst < 1e-5, "%s, run %d: relative difference %g", ops[k], run, worst);
        }
        pair_close(&p);
    }
    return FC_TEST_PASS;
}

/* A ShuffleNet stage of c channels (yolo5face's blocks): a 1x1 conv, then `blocks`
 * times: channel shuffle (Reshape, Transpose, Reshape), x1 and x2 the two halves
 * (Slice), Concat(x1, Relu(Conv 1x1 of x2)); a Relu reads the stage. */
static ob_model *shuffle_stage(int64_t c, int blocks)
{
    ob_model *b = ob_new(13);
    const int64_t h = 5, w = 7, half = c / 2;
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){-1, c, h, w});
    ob_init_i64(b, "split", 1, (int64_t[]){5}, (int64_t[]){0, 2, half, h, w});
    ob_init_i64(b, "merge", 1, (int64_t[]){4}, (int64_t[]){0, c, h, w});
    ob_init_i64(b, "axis", 1, (int64_t[]){1}, (int64_t[]){1});
    ob_init_i64(b, "zero", 1, (int64_t[]){1}, (int64_t[]){0});
    ob_init_i64(b, "half", 1, (int64_t[]){1}, (int64_t[]){half});
    ob_init_i64(b, "all", 1, (int64_t[]){1}, (int64_t[]){c});
    static float wt[6][48 * 48], bias[6][48];
    for (int k = 0; k < blocks + 1; k++) {
        char name[16];
        int64_t ci = k == 0 ? c : half, co = ci;
        fc_test_fill_random(wt[k], (size_t)(ci * co), 90 + (uint32_t)k, -0.5f, 0.5f);
        fc_test_fill_random(bias[k], (size_t)co, 100 + (uint32_t)k, -0.5f, 0.5f);
        snprintf(name, sizeof name, "W%d", k);
        ob_init_f32(b, name, 4, (int64_t[]){co, ci, 1, 1}, wt[k]);
        snprintf(name, sizeof name, "B%d", k);
        ob_init_f32(b, name, 1, (int64_t[]){co}, bias[k]);
    }
    ob_node_add(b, "Conv", "X,W0,B0", "c0");
    ob_node_add(b, "Relu", "c0", "y0");
    char ins[64], out[16];
    for (int k = 0; k < blocks; k++) {
        char s[16], t[16], u[16], x1[16], x2[16], cv[16], r[16];
        snprintf(s, sizeof s, "s%d", k), snprintf(t, sizeof t, "t%d", k), snprintf(u, sizeof u, "u%d", k);
        snprintf(x1, sizeof x1, "a%d", k), snprintf(x2, sizeof x2, "b%d", k);
        snprintf(cv, sizeof cv, "v%d", k), snprintf(r, sizeof r, "r%d", k);
        snprintf(ins, sizeof ins, "y%d,split", k);
        ob_node_add(b, "Reshape", ins, s);
        ob_attr_ints(b, ob_node_add(b, "Transpose", s, t), "perm", 5, (int64_t[]){0, 2, 1, 3, 4});
        snprintf(ins, sizeof ins, "%s,merge", t);
        ob_node_add(b, "Reshape", ins, u);
        snprintf(ins, sizeof ins, "%s,zero,half,axis", u);
        ob_node_add(b, "Slice", ins, x1);
        snprintf(ins, sizeof ins, "%s,half,all,axis", u);
        ob_node_add(b, "Slice", ins, x2);
        snprintf(ins, sizeof ins, "%s,W%d,B%d", x2, k + 1, k + 1);
        ob_node_add(b, "Conv", ins, cv);
        ob_node_add(b, "Relu", cv, r);
        snprintf(ins, sizeof ins, "%s,%s", x1, r);
        snprintf(out, sizeof out, "y%d", k + 1);
        ob_attr_int(b, ob_node_add(b, "Concat", ins, out), "axis", 1);
    }
    snprintf(ins, sizeof ins, "y%d", blocks);
    ob_node_add(b, "Relu", ins, "Y");
    ob_output(b, "Y");
    return b;
}

/* Steps of ctx that are fast steps of the given kind. */
static int count_fast(const fc_nn_ctx *ctx, fc_fast_kind kind)
{
    int n = 0;
    for (int i = 0; i < ctx->n_steps; i++)
        n += fc_step_is_fast(&ctx->steps[i], kind);
    return n;
}

/* A ShuffleNet stage: the Concats that only channel gathers read are gone (the
 * gathers read their inputs; the last one, read by a Relu, stays), and the outputs
 * are the reference kernels', for 32 and 48 channels (halves of 16 and 24: gathers
 * across vector blocks), batch 1 and 2, 1 and 2 threads. */
TEST(nn_fast_gather_through_concat)
{
    static const int64_t cs[2] = {32, 48};
    for (int k = 0; k < 2; k++)
        for (int64_t n = 1; n <= 2; n++) {
            fc_error err = {0};
            fc_shape xs = fc_shape_make(4, (int64_t[]){n, cs[k], 5, 7});
            pair p;
            CHECK_MSG(pair_open(&p, shuffle_stage(cs[k], 4), &xs, (int)n, &err), "%s", err.msg);
            CHECK_MSG(count_fast(p.fast, FC_FAST_CONCAT) == 1, "%lld channels: %d concats left",
                      (long long)cs[k], count_fast(p.fast, FC_FAST_CONCAT));
            static float x[2 * 48 * 5 * 7];
            double d = random_diff(&p, &xs, x, 110 + (uint32_t)k, -1, 1, &err);
            CHECK_MSG(d >= 0 && d < 1e-4, "%lld channels, batch %lld: max diff %g (-1: shapes differ)",
                      (long long)cs[k], (long long)n, d);
            pair_close(&p);
        }
    return FC_TEST_PASS;
}

/* SiLU after a conv, as YOLO exports it: Mul(c, Sigmoid(c)); a 3x3 conv of ci -> co
 * channels (32 -> 48 runs as Winograd on blocked activations, 8 -> 24 direct). */
static ob_model *conv_silu(int64_t ci, int64_t co)
{
    ob_model *b = ob_new(13);
    static float w[48 * 32 * 9], bias[48];
    fc_test_fill_random(w, (size_t)(co * ci * 9), 130, -0.3f, 0.3f);
    fc_test_fill_random(bias, (size_t)co, 131, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, ci, 12, 10});
    ob_init_f32(b, "W", 4, (int64_t[]){co, ci, 3, 3}, w);
    ob_init_f32(b, "B", 1, (int64_t[]){co}, bias);
    ob_attr_ints(b, ob_node_add(b, "Conv", "X,W,B", "c"), "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_node_add(b, "Sigmoid", "c", "s");
    ob_node_add(b, "Mul", "c,s", "Y");
    ob_output(b, "Y");
    return b;
}

/* A conv's SiLU, which silu.c applies after the oneDNN primitive, agrees with the
 * reference kernels, direct and Winograd, on 1 and 2 threads. */
TEST(nn_fast_conv_silu)
{
    static const int64_t shapes[2][2] = {{32, 48}, {8, 24}};
    for (int k = 0; k < 2; k++)
        for (int threads = 1; threads <= 2; threads++) {
            fc_error err = {0};
            fc_shape xs = fc_shape_make(4, (int64_t[]){1, shapes[k][0], 12, 10});
            pair p;
            CHECK_MSG(pair_open(&p, conv_silu(shapes[k][0], shapes[k][1]), &xs, threads, &err), "%s", err.msg);
            static float x[32 * 12 * 10];
            double d = random_diff(&p, &xs, x, 132, -2, 2, &err);
            CHECK_MSG(d >= 0 && d < 1e-4, "%lld -> %lld channels, %d threads: max diff %g", (long long)shapes[k][0],
                      (long long)shapes[k][1], threads, d);
            pair_close(&p);
        }
    return FC_TEST_PASS;
}

/* Two 3x3 convs in a row, 32 -> 48 -> 48 channels (both Winograd, on blocked
 * activations), each followed by act ("Relu" or SiLU as Mul(c, Sigmoid(c))). */
static ob_model *two_convs(const char *act, int64_t n)
{
    ob_model *b = ob_new(13);
    static float w1[48 * 32 * 9], w2[48 * 48 * 9], b1[48], b2[48];
    fc_test_fill_random(w1, 48 * 32 * 9, 140, -0.2f, 0.2f);
    fc_test_fill_random(w2, 48 * 48 * 9, 141, -0.2f, 0.2f);
    fc_test_fill_random(b1, 48, 142, -0.5f, 0.5f);
    fc_test_fill_random(b2, 48, 143, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, 32, 12, 10});
    ob_init_f32(b, "W1", 4, (int64_t[]){48, 32, 3, 3}, w1);
    ob_init_f32(b, "W2", 4, (int64_t[]){48, 48, 3, 3}, w2);
    ob_init_f32(b, "B1", 1, (int64_t[]){48}, b1);
    ob_init_f32(b, "B2", 1, (int64_t[]){48}, b2);
    ob_attr_ints(b, ob_node_add(b, "Conv", "X,W1,B1", "c1"), "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_ints(b, ob_node_add(b, "Conv", "a1,W2,B2", "c2"), "pads", 4, (int64_t[]){1, 1, 1, 1});
    if (!strcmp(act, "Relu")) {
        ob_node_add(b, "Relu", "c1", "a1");
        ob_node_add(b, "Relu", "c2", "Y");
    } else {
        ob_node_add(b, "Sigmoid", "c1", "s1");
        ob_node_add(b, "Mul", "c1,s1", "a1");
        ob_node_add(b, "Sigmoid", "c2", "s2");
        ob_node_add(b, "Mul", "c2,s2", "Y");
    }
    ob_output(b, "Y");
    return b;
}

/* The first conv hands its blocked result straight to the second (no reorders in
 * between); the output is the reference kernels', with Relu and SiLU, batch 1 and 2,
 * on a new input each run. */
TEST(nn_fast_blocked_convs_chained)
{
    static const char *acts[2] = {"Relu", "SiLU"};
    for (int k = 0; k < 2; k++)
        for (int64_t n = 1; n <= 2; n++) {
            fc_error err = {0};
            fc_shape xs = fc_shape_make(4, (int64_t[]){n, 32, 12, 10});
            pair p;
            CHECK_MSG(pair_open(&p, two_convs(acts[k], n), &xs, 1, &err), "%s", err.msg);
            static float x[2][2 * 32 * 12 * 10];
            for (int run = 0; run < 2; run++) {
                double d = random_diff(&p, &xs, x[run], 144 + (uint32_t)run, -1, 1, &err);
                CHECK_MSG(d >= 0 && d < 1e-4, "%s, batch %lld, run %d: max diff %g", acts[k], (long long)n, run, d);
            }
            pair_close(&p);
        }
    return FC_TEST_PASS;
}

/* A feature pyramid's top-down step: A = 1x1 conv of X (C channels, 12x10), a coarser
 * map from A's 2x2 max pool and another 1x1 conv, upsampled back (Resize, nearest,
 * scales 1, 1, 2, 2) and added to A. */
static ob_model *upsample_add(int64_t n, int64_t C)
{
    ob_model *b = ob_new(13);
    static float w1[24 * 8], b1[24], w2[24 * 24], b2[24];
    fc_test_fill_random(w1, (size_t)(C * 8), 160, -0.5f, 0.5f);
    fc_test_fill_random(b1, (size_t)C, 161, -0.5f, 0.5f);
    fc_test_fill_random(w2, (size_t)(C * C), 162, -0.3f, 0.3f);
    fc_test_fill_random(b2, (size_t)C, 163, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, 8, 12, 10});
    ob_init_f32(b, "W1", 4, (int64_t[]){C, 8, 1, 1}, w1);
    ob_init_f32(b, "B1", 1, (int64_t[]){C}, b1);
    ob_init_f32(b, "W2", 4, (int64_t[]){C, C, 1, 1}, w2);
    ob_init_f32(b, "B2", 1, (int64_t[]){C}, b2);
    ob_init_f32(b, "S", 1, (int64_t[]){4}, (float[]){1, 1, 2, 2});
    ob_node_add(b, "Conv", "X,W1,B1", "a");
    ob_node *p = ob_node_add(b, "MaxPool", "a", "p");
    ob_attr_ints(b, p, "kernel_shape", 2, (int64_t[]){2, 2});
    ob_attr_ints(b, p, "strides", 2, (int64_t[]){2, 2});
    ob_node_add(b, "Conv", "p,W2,B2", "c");
    ob_node *r = ob_node_add(b, "Resize", "c,,S", "u");
    ob_attr_str(b, r, "mode", "nearest");
    ob_attr_str(b, r, "coordinate_transformation_mode", "asymmetric");
    ob_attr_str(b, r, "nearest_mode", "floor");
    ob_node_add(b, "Add", "a,u", "Y");
    ob_output(b, "Y");
    return b;
}

/* The Add takes in the upsampling (one REPEAT step adding as it writes, no Add step
 * left), at 16 and 24 channels (a vector and a tail), batch 1 and 2, and agrees
 * with the reference kernels; with FC_NN_REPEAT_ADD=0 the Add stays a step. */
TEST(nn_fast_upsample_add)
{
    for (int off = 0; off <= 1; off++)
        for (int64_t C = 16; C <= 24; C += 8)
            for (int64_t n = 1; n <= 2; n++) {
                if (off)
                    setenv("FC_NN_REPEAT_ADD", "0", 1);
                fc_error err = {0};
                fc_shape xs = fc_shape_make(4, (int64_t[]){n, 8, 12, 10});
                pair p;
                int opened = pair_open(&p, upsample_add(n, C), &xs, 1, &err);
                unsetenv("FC_NN_REPEAT_ADD");
                CHECK_MSG(opened, "%s", err.msg);
                CHECK_MSG(count_fast(p.fast, FC_FAST_REPEAT) == 1 && count_fast(p.fast, FC_FAST_BINARY) == off,
                          "off %d, %lld channels: %d repeat, %d binary steps", off, (long long)C,
                          count_fast(p.fast, FC_FAST_REPEAT), count_fast(p.fast, FC_FAST_BINARY));
                static float x[2 * 8 * 12 * 10];
                double d = random_diff(&p, &xs, x, 164, -1, 1, &err);
                CHECK_MSG(d >= 0 && d < 1e-5, "off %d, %lld channels, batch %lld: max diff %g", off,
                          (long long)C, (long long)n, d);
                pair_close(&p);
            }
    return FC_TEST_PASS;
}

/* A stem: Concat(Conv 3x3 of X, MaxPool of X) [16 + 8 channels], then a 1x1 conv to
 * 24 channels (with a BatchNormalization when bn), then SiLU. */
static ob_model *concat_then_pointwise(int64_t n, int bn)
{
    ob_model *b = ob_new(13);
    static float w1[16 * 8 * 9], b1[16], w2[24 * 24], b2[24], scale[24], shift[24], mean[24], var[24];
    fc_test_fill_random(w1, 16 * 8 * 9, 150, -0.3f, 0.3f);
    fc_test_fill_random(b1, 16, 151, -0.5f, 0.5f);
    fc_test_fill_random(w2, 24 * 24, 152, -0.3f, 0.3f);
    fc_test_fill_random(b2, 24, 153, -0.5f, 0.5f);
    fc_test_fill_random(scale, 24, 154, 0.5f, 1.5f);
    fc_test_fill_random(shift, 24, 155, -0.5f, 0.5f);
    fc_test_fill_random(mean, 24, 156, -0.5f, 0.5f);
    fc_test_fill_random(var, 24, 157, 0.5f, 1.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){n, 8, 12, 10});
    ob_init_f32(b, "W1", 4, (int64_t[]){16, 8, 3, 3}, w1);
    ob_init_f32(b, "B1", 1, (int64_t[]){16}, b1);
    ob_init_f32(b, "W2", 4, (int64_t[]){24, 24, 1, 1}, w2);
    ob_init_f32(b, "B2", 1, (int64_t[]){24}, b2);
    ob_init_f32(b, "scale", 1, (int64_t[]){24}, scale);
    ob_init_f32(b, "shift", 1, (int64_t[]){24}, shift);
    ob_init_f32(b, "mean", 1, (int64_t[]){24}, mean);
    ob_init_f32(b, "var", 1, (int64_t[]){24}, var);
    ob_attr_ints(b, ob_node_add(b, "Conv", "X,W1,B1", "c1"), "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_node *p = ob_node_add(b, "MaxPool", "X", "p");
    ob_attr_ints(b, p, "kernel_shape", 2, (int64_t[]){3, 3});
    ob_attr_ints(b, p, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_int(b, ob_node_add(b, "Concat", "c1,p", "cat"), "axis", 1);
    ob_node_add(b, "Conv", "cat,W2,B2", bn ? "c2" : "z");
    if (bn)
        ob_node_add(b, "BatchNormalization", "c2,scale,shift,mean,var", "z");
    ob_node_add(b, "Sigmoid", "z", "s");
    ob_node_add(b, "Mul", "z,s", "Y");
    ob_output(b, "Y");
    return b;
}

/* The 1x1 conv of the Concat runs as two convs (no Concat step left), with and
 * without a folded BatchNormalization, batch 1 and 2, and agrees with the reference
 * kernels. */
TEST(nn_fast_concat_then_pointwise_split)
{
    for (int bn = 0; bn <= 1; bn++)
        for (int64_t n = 1; n <= 2; n++) {
            fc_error err = {0};
            fc_shape xs = fc_shape_make(4, (int64_t[]){n, 8, 12, 10});
            pair p;
            CHECK_MSG(pair_open(&p, concat_then_pointwise(n, bn), &xs, 1, &err), "%s", err.msg);
            CHECK_MSG(count_fast(p.fast, FC_FAST_CONCAT) == 0, "bn %d: %d concats left", bn,
                      count_fast(p.fast, FC_FAST_CONCAT));
            static float x[2 * 8 * 12 * 10];
            double d = random_diff(&p, &xs, x, 158, -1, 1, &err);
            CHECK_MSG(d >= 0 && d < 1e-4, "bn %d, batch %lld: max diff %g", bn, (long long)n, d);
            pair_close(&p);
        }
    return FC_TEST_PASS;
}

/* Y = Concat(Relu(Conv 3x3 of X) n_in times) on channels: a Concat of n_in fast inputs. */
static ob_model *wide_concat(int n_in)
{
    ob_model *b = ob_new(13);
    float w[4 * 3 * 9], bias[4];
    char ins[64 * 2] = "";
    fc_test_fill_random(w, 4 * 3 * 9, 170, -0.5f, 0.5f);
    fc_test_fill_random(bias, 4, 171, -0.5f, 0.5f);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 3, 6, 7});
    ob_init_f32(b, "W", 4, (int64_t[]){4, 3, 3, 3}, w);
    ob_init_f32(b, "B", 1, (int64_t[]){4}, bias);
    ob_attr_ints(b, ob_node_add(b, "Conv", "X,W,B", "c"), "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_node_add(b, "Relu", "c", "r");
    for (int k = 0, len = 0; k < n_in; k++)
        len += snprintf(ins + len, sizeof ins - (size_t)len, "%sr", k ? "," : "");
    ob_attr_int(b, ob_node_add(b, "Concat", ins, "Y"), "axis", 1);
    ob_output(b, "Y");
    return b;
}

/* A Concat of up to 64 fast inputs (what fuse.c and dnnl.c take) runs as one oneDNN
 * concat and agrees with the reference: its step has room for every input and the
 * output as oneDNN arguments (16 inputs or more used to fail the context with "too
 * many oneDNN arguments"). */
TEST(nn_fast_wide_concat)
{
    static const int widths[] = {2, 15, 16, 17, 40, 64};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        fc_error err = {0};
        fc_shape xs = fc_shape_make(4, (int64_t[]){1, 3, 6, 7});
        pair p;
        CHECK_MSG(pair_open(&p, wide_concat(widths[k]), &xs, 1, &err), "%d inputs: %s", widths[k], err.msg);
        CHECK_MSG(count_fast(p.fast, FC_FAST_CONCAT) == 1, "%d inputs: %d fast concats", widths[k],
                  count_fast(p.fast, FC_FAST_CONCAT));
        float x[3 * 6 * 7];
        double d = random_diff(&p, &xs, x, 172, -1, 1, &err);
        CHECK_MSG(d >= 0 && d < 1e-5, "%d inputs: max diff %g", widths[k], d);
        pair_close(&p);
    }
    return FC_TEST_PASS;
}
