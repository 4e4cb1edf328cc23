/* test_ops_conv.c - Conv and ConvTranspose: hand-computed cases, attribute and shape
 * errors, and random cases against naive loops written here. Cases marked "ORT" were
 * checked against ONNX Runtime 1.30. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <stdlib.h>
#include <string.h>

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static fc_attr a_int(const char *name, int64_t v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INT, .i = v};
}

static fc_attr a_ints(const char *name, int n, const int64_t *v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INTS, .ints = v, .n = (size_t)n};
}

static fc_attr a_str(const char *name, const char *s)
{
    return (fc_attr){.name = name, .type = FC_ATTR_STRING, .s = s};
}

/* Runs op and compares its one output with (ndim, dims, want). */
static int expect(int line, const fc_op_def *op, const fc_attr *at, int n_at, fc_tensor *const *in,
                  int n_in, int ndim, const int64_t *dims, const float *want)
{
    fc_tensor y;
    fc_tensor *out[1] = {&y};
    fc_error err = {0};
    char got_s[96], want_s[96];
    fc_status rc = fc_test_run_op(op, at, n_at, 11, in, n_in, out, 1, &err);
    if (rc)
        return fc_test_fail(__FILE__, line, "%s failed: %s", op->name, err.msg);
    fc_shape ws = fc_shape_make(ndim, dims);
    int res = FC_TEST_PASS;
    double diff = 0;
    if (!fc_shape_equal(&y.shape, &ws))
        res = fc_test_fail(__FILE__, line, "shape %s, want %s",
                           fc_shape_str(&y.shape, got_s, sizeof got_s),
                           fc_shape_str(&ws, want_s, sizeof want_s));
    else if ((diff = fc_test_max_abs_diff(y.data, want, fc_shape_numel(&ws))) > 1e-5)
        res = fc_test_fail(__FILE__, line, "values differ by %g", diff);
    fc_test_free_outputs(out, 1);
    return res;
}

/* Runs op and checks that it fails with code. */
static int expect_error(int line, const fc_op_def *op, const fc_attr *at, int n_at,
                        fc_tensor *const *in, int n_in, fc_status code)
{
    fc_tensor y;
    fc_tensor *out[1] = {&y};
    fc_error err = {0};
    fc_status rc = fc_test_run_op(op, at, n_at, 11, in, n_in, out, 1, &err);
    if (rc == FC_OK)
        fc_test_free_outputs(out, 1);
    if (rc != code)
        return fc_test_fail(__FILE__, line, "got %s (%s), want %s", fc_strerror(rc), err.msg,
                            fc_strerror(code));
    if (err.msg[0] == '\0')
        return fc_test_fail(__FILE__, line, "no error message");
    return FC_TEST_PASS;
}

#define EXPECT(op, at, in, ndim, dims, want)                                                  \
    do {                                                                                      \
        if (expect(__LINE__, op, at, N_OF(at), in, N_OF(in), ndim, dims, want))             \
            return FC_TEST_FAIL;                                                              \
    } while (0)

#define EXPECT_ERROR(op, at, n_at, in, code)                                                  \
    do {                                                                                      \
        if (expect_error(__LINE__, op, at, n_at, in, N_OF(in), code))                         \
            return FC_TEST_FAIL;                                                              \
    } while (0)

/* ---- Conv: hand-computed ---------------------------------------------------------- */

TEST(conv_3x3_pad1_bias)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, b[1] = {1};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 3, 3}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 3, 3}, w);
    fc_tensor B = fc_test_tensor(1, (int64_t[]){1}, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr at[] = {a_ints("pads", 4, (int64_t[]){1, 1, 1, 1})};
    /* neighbourhood sums + 1 */
    float want[9] = {13, 22, 17, 28, 46, 34, 25, 40, 29};
    EXPECT(&fc_op_conv, at, in, 4, ((int64_t[]){1, 1, 3, 3}), want);
    return FC_TEST_PASS;
}

TEST(conv_stride2_pad1)
{
    float x[16], w[9];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    for (int i = 0; i < 9; i++)
        w[i] = 1;
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 3, 3}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr at[] = {a_ints("pads", 4, (int64_t[]){1, 1, 1, 1}),
                    a_ints("strides", 2, (int64_t[]){2, 2}),
                    a_ints("kernel_shape", 2, (int64_t[]){3, 3})};
    float want[4] = {10, 24, 51, 90};
    EXPECT(&fc_op_conv, at, in, 4, ((int64_t[]){1, 1, 2, 2}), want);
    return FC_TEST_PASS;
}

TEST(conv_dilation2)
{
    float x[25], w[4] = {1, 1, 1, 1}, want[9];
    for (int i = 0; i < 25; i++)
        x[i] = (float)i;
    /* taps at (i,j), (i,j+2), (i+2,j), (i+2,j+2): 4*(5i+j) + 24 */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            want[i * 3 + j] = (float)(4 * (5 * i + j) + 24);
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 5, 5}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr at[] = {a_ints("dilations", 2, (int64_t[]){2, 2})};
    EXPECT(&fc_op_conv, at, in, 4, ((int64_t[]){1, 1, 3, 3}), want);
    return FC_TEST_PASS;
}

TEST(conv_groups)
{
    /* 2 groups, 2 output channels each, 1x1 kernels: channel c of group g scales x_g */
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w[4] = {2, -1, 3, 10}, b[4] = {0, 1, 0, 0};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 2, 2, 2}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){4, 1, 1, 1}, w);
    fc_tensor B = fc_test_tensor(1, (int64_t[]){4}, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr at[] = {a_int("group", 2)};
    float want[16] = {2, 4, 6, 8, 0, -1, -2, -3, 15, 18, 21, 24, 50, 60, 70, 80};
    EXPECT(&fc_op_conv, at, in, 4, ((int64_t[]){1, 4, 2, 2}), want);
    return FC_TEST_PASS;
}

TEST(conv_depthwise_3x3)
{
    /* group == C: each channel with its own 3x3 kernel; channel 1 is constant 1 and
     * its kernel all 2s, so each output counts the in-bounds taps times 2. */
    float x[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    float w[18] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 2, 3, 3}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){2, 1, 3, 3}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr at[] = {a_int("group", 2), a_ints("pads", 4, (int64_t[]){1, 1, 1, 1})};
    float want[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 12, 8, 12, 18, 12, 8, 12, 8};
    EXPECT(&fc_op_conv, at, in, 4, ((int64_t[]){1, 2, 3, 3}), want);
    return FC_TEST_PASS;
}

TEST(conv_auto_pad_same_upper_lower_valid)
{
    /* even kernel: SAME_UPPER pads the end, SAME_LOWER the start */
    float x[4] = {1, 2, 3, 4}, w[2] = {1, 10};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 1, 4}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 1, 2}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr upper[] = {a_str("auto_pad", "SAME_UPPER")};
    fc_attr lower[] = {a_str("auto_pad", "SAME_LOWER")};
    fc_attr valid[] = {a_str("auto_pad", "VALID")};
    EXPECT(&fc_op_conv, upper, in, 4, ((int64_t[]){1, 1, 1, 4}), ((float[]){21, 32, 43, 4}));
    EXPECT(&fc_op_conv, lower, in, 4, ((int64_t[]){1, 1, 1, 4}), ((float[]){10, 21, 32, 43}));
    EXPECT(&fc_op_conv, valid, in, 4, ((int64_t[]){1, 1, 1, 3}), ((float[]){21, 32, 43}));
    /* SAME_UPPER, stride 2, kernel 3 over 5: 3 outputs, total pad 2*2+3-5 = 2, one
     * each side, so the windows start at -1, 1, 3 */
    float x5[5] = {1, 2, 3, 4, 5}, w3[3] = {1, 1, 1};
    fc_tensor X5 = fc_test_tensor(4, (int64_t[]){1, 1, 1, 5}, x5);
    fc_tensor W3 = fc_test_tensor(4, (int64_t[]){1, 1, 1, 3}, w3);
    fc_tensor *in5[] = {&X5, &W3};
    fc_attr same_s2[] = {a_str("auto_pad", "SAME_UPPER"), a_ints("strides", 2, (int64_t[]){1, 2})};
    EXPECT(&fc_op_conv, same_s2, in5, 4, ((int64_t[]){1, 1, 1, 3}), ((float[]){3, 9, 9}));
    return FC_TEST_PASS;
}

TEST(conv_1d)
{
    float x[10] = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5}, w[2] = {1, -1}, b[1] = {0.5f};
    fc_tensor X = fc_test_tensor(3, (int64_t[]){2, 1, 5}, x);
    fc_tensor W = fc_test_tensor(3, (int64_t[]){1, 1, 2}, w);
    fc_tensor B = fc_test_tensor(1, (int64_t[]){1}, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr at[] = {a_ints("pads", 2, (int64_t[]){1, 0}), a_ints("strides", 1, (int64_t[]){2})};
    /* windows start at -1, 1, 3: (0 - x0), (x1 - x2), (x3 - x4), plus 0.5 */
    float want[6] = {-0.5f, -0.5f, -0.5f, 1.5f, 1.5f, 1.5f};
    EXPECT(&fc_op_conv, at, in, 3, ((int64_t[]){2, 1, 3}), want);
    fc_attr same[] = {a_str("auto_pad", "SAME_LOWER")};
    /* 5 outputs, one pad at the start: y[i] = x[i-1] - x[i] + 0.5 */
    float want_same[10] = {-0.5f, -0.5f, -0.5f, -0.5f, -0.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f};
    EXPECT(&fc_op_conv, same, in, 3, ((int64_t[]){2, 1, 5}), want_same);
    return FC_TEST_PASS;
}

TEST(conv_pointwise)
{
    float x[8] = {1, 2, 3, 4, 10, 20, 30, 40}, w[6] = {1, 0, 0, 1, 1, -1}, b[3] = {0, 0, 0.5f};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 2, 2, 2}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){3, 2, 1, 1}, w);
    fc_tensor B = fc_test_tensor(1, (int64_t[]){3}, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr none[1] = {a_int("group", 1)};
    float want[12] = {1, 2, 3, 4, 10, 20, 30, 40, -8.5f, -17.5f, -26.5f, -35.5f};
    EXPECT(&fc_op_conv, none, in, 4, ((int64_t[]){1, 3, 2, 2}), want);
    return FC_TEST_PASS;
}

TEST(conv_weights_need_not_be_constant)
{
    /* The shape function must not read W or B: give it shapes only. */
    fc_tensor X = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, 4, 8, 8}), NULL};
    fc_tensor W = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){6, 2, 3, 3}), NULL};
    fc_tensor B = {FC_DT_FLOAT, fc_shape_make(1, (int64_t[]){6}), NULL}, Y = {0};
    fc_tensor *in[] = {&X, &W, &B}, *out[] = {&Y};
    fc_attr at[] = {a_int("group", 2), a_ints("strides", 2, (int64_t[]){2, 2})};
    fc_attrs attrs = {at, N_OF(at), 11, "n", "Conv"};
    void *params = NULL;
    fc_error err = {0};
    CHECK_OK(fc_op_conv.parse(&attrs, &params, &err), &err);
    fc_status rc = fc_op_conv.shape(params, in, 3, out, 1, &err);
    free(params);
    CHECK_OK(rc, &err);
    fc_shape want = fc_shape_make(4, (int64_t[]){1, 6, 3, 3});
    CHECK(fc_shape_equal(&Y.shape, &want));
    CHECK(Y.dtype == FC_DT_FLOAT);
    return FC_TEST_PASS;
}

/* ---- Conv: errors ------------------------------------------------------------------ */

TEST(conv_bad_attributes)
{
    float x[16] = {0}, w[9] = {0};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 3, 3}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr pads3[] = {a_ints("pads", 3, (int64_t[]){1, 1, 1})};
    fc_attr pads_vs_strides[] = {a_ints("strides", 2, (int64_t[]){1, 1}),
                                 a_ints("pads", 2, (int64_t[]){1, 1})};
    fc_attr bad_mode[] = {a_str("auto_pad", "SAME")};
    fc_attr stride0[] = {a_ints("strides", 2, (int64_t[]){0, 1})};
    fc_attr neg_pad[] = {a_ints("pads", 4, (int64_t[]){0, -1, 0, 0})};
    fc_attr huge_pad[] = {a_ints("pads", 4, (int64_t[]){0, 1ll << 40, 0, 0})};
    fc_attr group0[] = {a_int("group", 0)};
    fc_attr conv3d[] = {a_ints("kernel_shape", 3, (int64_t[]){3, 3, 3})};
    fc_attr pads_not_list[] = {a_int("pads", 1)};
    fc_attr same_dilated[] = {a_str("auto_pad", "SAME_UPPER"),
                              a_ints("dilations", 2, (int64_t[]){2, 2})};
    EXPECT_ERROR(&fc_op_conv, pads3, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, pads_vs_strides, 2, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, bad_mode, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, stride0, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, neg_pad, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, huge_pad, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, group0, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, conv3d, 1, in, FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_conv, pads_not_list, 1, in, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv, same_dilated, 2, in, FC_ERR_UNSUPPORTED);
    /* the reason names the attribute and the counts */
    fc_error err = {0};
    fc_attrs attrs = {pads3, 1, 11, "n", "Conv"};
    void *params = NULL;
    CHECK(fc_op_conv.parse(&attrs, &params, &err) == FC_ERR_FORMAT && !params);
    CHECK_MSG(strstr(err.msg, "pads") && strstr(err.msg, "3"), "message: %s", err.msg);
    return FC_TEST_PASS;
}

TEST(conv_bad_shapes)
{
    static float data[4 * 4 * 4 * 4 * 4];
    int64_t i64[16] = {0};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 4, 4, 4}, data);
    fc_tensor W_c = fc_test_tensor(4, (int64_t[]){2, 3, 3, 3}, data);   /* C != 3*group */
    fc_tensor W_m = fc_test_tensor(4, (int64_t[]){3, 2, 3, 3}, data);   /* M % group */
    fc_tensor W_big = fc_test_tensor(4, (int64_t[]){2, 4, 5, 5}, data); /* output empty */
    fc_tensor W_rank = fc_test_tensor(3, (int64_t[]){2, 4, 3}, data);
    fc_tensor W_ok = fc_test_tensor(4, (int64_t[]){2, 4, 3, 3}, data);
    fc_tensor B_bad = fc_test_tensor(1, (int64_t[]){3}, data);
    fc_tensor X_i64 = fc_test_tensor_i64(4, (int64_t[]){1, 1, 4, 4}, i64);
    fc_tensor W_1 = fc_test_tensor(4, (int64_t[]){1, 1, 1, 1}, data);
    fc_tensor X_3d = fc_test_tensor(5, (int64_t[]){1, 4, 4, 4, 4}, data);
    fc_tensor W_3d = fc_test_tensor(5, (int64_t[]){1, 4, 1, 1, 1}, data);
    fc_tensor X_2 = fc_test_tensor(2, (int64_t[]){1, 4}, data);
    fc_tensor W_2 = fc_test_tensor(2, (int64_t[]){1, 4}, data);
    fc_tensor X_unknown = fc_test_tensor(4, (int64_t[]){1, 4, -1, 4}, data);
    fc_attr g2[] = {a_int("group", 2)};
    fc_attr k5[] = {a_ints("kernel_shape", 2, (int64_t[]){5, 5})};
    fc_attr one_d[] = {a_ints("strides", 1, (int64_t[]){1})};
    EXPECT_ERROR(&fc_op_conv, g2, 1, ((fc_tensor *[]){&X, &W_c}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, g2, 1, ((fc_tensor *[]){&X, &W_m}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X, &W_big}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X, &W_rank}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X, &W_ok, &B_bad}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, k5, 1, ((fc_tensor *[]){&X, &W_ok}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, one_d, 1, ((fc_tensor *[]){&X, &W_ok}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X_i64, &W_1}), FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X_3d, &W_3d}), FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X_2, &W_2}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv, NULL, 0, ((fc_tensor *[]){&X_unknown, &W_ok}), FC_ERR_SHAPE);
    /* the reason shows the shapes */
    fc_tensor y, *out[] = {&y}, *in[] = {&X, &W_c};
    fc_error err = {0};
    CHECK(fc_test_run_op(&fc_op_conv, g2, 1, 11, in, 2, out, 1, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[1,4,4,4]") && strstr(err.msg, "[2,3,3,3]"), "message: %s",
              err.msg);
    return FC_TEST_PASS;
}

/* ---- Conv: random against a naive convolution ------------------------------------- */

static unsigned rnd_state = 12345;

static int rnd(int lo, int hi) /* uniform in [lo, hi] */
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return lo + (int)((rnd_state >> 16) % (unsigned)(hi - lo + 1));
}

/* x (n,c,h,w) conv w (m,c/group,kh,kw) + b -> y (n,m,oh,ow), seven plain loops. */
static void naive_conv(const int64_t *xd, const float *x, const int64_t *wd, const float *w,
                       const float *b, int group, const int64_t *s, const int64_t *d,
                       const int64_t *pad, const int64_t *yd, float *y)
{
    int64_t cg = wd[1], mg = wd[0] / group;
    for (int64_t n = 0; n < yd[0]; n++)
        for (int64_t m = 0; m < yd[1]; m++)
            for (int64_t oy = 0; oy < yd[2]; oy++)
                for (int64_t ox = 0; ox < yd[3]; ox++) {
                    double acc = b ? b[m] : 0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t ky = 0; ky < wd[2]; ky++)
                            for (int64_t kx = 0; kx < wd[3]; kx++) {
                                int64_t iy = oy * s[0] - pad[0] + ky * d[0];
                                int64_t ix = ox * s[1] - pad[1] + kx * d[1];
                                if (iy < 0 || iy >= xd[2] || ix < 0 || ix >= xd[3])
                                    continue;
                                int64_t ci = m / mg * cg + c;
                                acc += (double)x[((n * xd[1] + ci) * xd[2] + iy) * xd[3] + ix] *
                                       w[((m * cg + c) * wd[2] + ky) * wd[3] + kx];
                            }
                    y[((n * yd[1] + m) * yd[2] + oy) * yd[3] + ox] = (float)acc;
                }
}

/* One random Conv (2-D, or 1-D when one_d) checked against naive_conv. */
static int random_conv_case(int one_d, int big)
{
    int group = rnd(0, 3) == 0 ? rnd(2, 4) : 1, cg = rnd(1, 3), mg = rnd(1, 3);
    if (rnd(0, 4) == 0)
        cg = 1, mg = 1, group = rnd(2, 6); /* depthwise */
    int64_t k[2], s[2], d[2], pb[2], pe[2], in_sz[2], out_sz[2];
    for (int i = 0; i < 2; i++) {
        int flat = one_d && i == 0;
        k[i] = flat ? 1 : rnd(1, 4), s[i] = flat ? 1 : rnd(1, 3), d[i] = flat ? 1 : rnd(1, 2);
        pb[i] = flat ? 0 : rnd(0, 2), pe[i] = flat ? 0 : rnd(0, 2);
        int64_t dk = (k[i] - 1) * d[i] + 1, min_in = dk - pb[i] - pe[i];
        in_sz[i] = flat ? 1 : rnd(min_in > 1 ? (int)min_in : 1, big ? 40 : 9);
        out_sz[i] = (in_sz[i] + pb[i] + pe[i] - dk) / s[i] + 1;
    }
    int64_t n = rnd(1, 2), c = cg * group, m = mg * group;
    int64_t xd[4] = {n, c, in_sz[0], in_sz[1]}, wd[4] = {m, cg, k[0], k[1]};
    int64_t yd[4] = {n, m, out_sz[0], out_sz[1]};
    int64_t nx = n * c * in_sz[0] * in_sz[1], nw = m * cg * k[0] * k[1];
    int64_t ny = n * m * out_sz[0] * out_sz[1];
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)m * 4);
    float *want = malloc((size_t)ny * 4);
    fc_test_fill_random(x, nx, rnd_state, -1, 1);
    fc_test_fill_random(w, nw, rnd_state + 1, -1, 1);
    fc_test_fill_random(b, m, rnd_state + 2, -1, 1);
    int with_bias = rnd(0, 1);
    naive_conv(xd, x, wd, w, with_bias ? b : NULL, group, s, d, pb, yd, want);
    /* 1-D: drop the H axis from tensors and attributes */
    int r = one_d ? 1 : 2, o = one_d ? 1 : 0;
    int64_t xd1[3] = {n, c, in_sz[1]}, wd1[3] = {m, cg, k[1]}, yd1[3] = {n, m, out_sz[1]};
    int64_t pads[4] = {pb[0], pb[1], pe[0], pe[1]}, pads1[2] = {pb[1], pe[1]};
    fc_tensor X = fc_test_tensor(one_d ? 3 : 4, one_d ? xd1 : xd, x);
    fc_tensor W = fc_test_tensor(one_d ? 3 : 4, one_d ? wd1 : wd, w);
    fc_tensor B = fc_test_tensor(1, &m, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr at[] = {a_ints("pads", 2 * r, one_d ? pads1 : pads), a_ints("strides", r, s + o),
                    a_ints("dilations", r, d + o), a_int("group", group)};
    int res = expect(__LINE__, &fc_op_conv, at, 4, in, with_bias ? 3 : 2, one_d ? 3 : 4,
                     one_d ? yd1 : yd, want);
    free(x), free(w), free(b), free(want);
    if (res) {
        char xs[96], ws[96];
        return fc_test_fail(__FILE__, __LINE__, "X %s W %s group %d s %lld,%lld d %lld,%lld "
                            "pads %lld,%lld,%lld,%lld: output differs",
                            fc_shape_str(&X.shape, xs, sizeof xs),
                            fc_shape_str(&W.shape, ws, sizeof ws), group, (long long)s[0],
                            (long long)s[1], (long long)d[0], (long long)d[1], (long long)pb[0],
                            (long long)pb[1], (long long)pe[0], (long long)pe[1]);
    }
    return FC_TEST_PASS;
}

TEST(conv_random_vs_naive)
{
    for (int i = 0; i < 300; i++)
        if (random_conv_case(i % 4 == 3, i % 25 == 0))
            return FC_TEST_FAIL;
    return FC_TEST_PASS;
}

TEST(conv_pointwise_large_vs_naive)
{
    /* 1x1 convolutions over more columns than one block of the pointwise path */
    int64_t xd[4] = {2, 6, 23, 29}, wd[4] = {4, 3, 1, 1}, yd[4] = {2, 4, 23, 29};
    int64_t one[2] = {1, 1}, zero[2] = {0, 0};
    int64_t nx = 2 * 6 * 23 * 29, ny = 2 * 4 * 23 * 29;
    float *x = malloc((size_t)nx * 4), w[12], b[4], *want = malloc((size_t)ny * 4);
    fc_test_fill_random(x, nx, 7, -1, 1);
    fc_test_fill_random(w, 12, 8, -1, 1);
    fc_test_fill_random(b, 4, 9, -1, 1);
    naive_conv(xd, x, wd, w, b, 2, one, one, zero, yd, want);
    fc_tensor X = fc_test_tensor(4, xd, x), W = fc_test_tensor(4, wd, w);
    fc_tensor B = fc_test_tensor(1, (int64_t[]){4}, b);
    fc_tensor *in[] = {&X, &W, &B};
    fc_attr at[] = {a_int("group", 2)};
    int res = expect(__LINE__, &fc_op_conv, at, 1, in, 3, 4, yd, want);
    free(x), free(want);
    return res;
}

/* ---- ConvTranspose -------------------------------------------------------------------- */

TEST(conv_transpose_stride2_and_stride1)
{
    float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, x);
    fc_tensor W = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, w);
    fc_tensor *in[] = {&X, &W};
    fc_attr s2[] = {a_ints("strides", 2, (int64_t[]){2, 2})};
    float want2[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    EXPECT(&fc_op_conv_transpose, s2, in, 4, ((int64_t[]){1, 1, 4, 4}), want2);
    fc_attr s1[] = {a_ints("strides", 2, (int64_t[]){1, 1})};
    float want1[9] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
    EXPECT(&fc_op_conv_transpose, s1, in, 4, ((int64_t[]){1, 1, 3, 3}), want1);
    fc_attr crop[] = {a_ints("pads", 4, (int64_t[]){0, 0, 1, 1})};
    EXPECT(&fc_op_conv_transpose, crop, in, 4, ((int64_t[]){1, 1, 2, 2}),
           ((float[]){1, 3, 4, 10}));
    /* output_padding adds a last row and column that only the bias reaches */
    float b[1] = {0.5f};
    fc_tensor B = fc_test_tensor(1, (int64_t[]){1}, b);
    fc_tensor *inb[] = {&X, &W, &B};
    fc_attr opad[] = {a_ints("strides", 2, (int64_t[]){2, 2}),
                      a_ints("output_padding", 2, (int64_t[]){1, 1})};
    float want_op[25];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            want_op[i * 5 + j] = 0.5f + (i < 4 && j < 4 ? want2[i * 4 + j] : 0);
    EXPECT(&fc_op_conv_transpose, opad, inb, 4, ((int64_t[]){1, 1, 5, 5}), want_op);
    return FC_TEST_PASS;
}

TEST(conv_transpose_output_shape_and_auto_pad)
{
    /* 1-D, full output [1,1,3,2,5,3,3]; cropping one element: NOTSET and SAME_LOWER
     * drop the first, SAME_UPPER the last (ORT) */
    float x[3] = {1, 2, 3}, w[3] = {1, 1, 1};
    fc_tensor X = fc_test_tensor(3, (int64_t[]){1, 1, 3}, x);
    fc_tensor W = fc_test_tensor(3, (int64_t[]){1, 1, 3}, w);
    fc_tensor *in[] = {&X, &W};
    int64_t s2[1] = {2}, six[1] = {6}, six_full[3] = {1, 1, 6};
    fc_attr full[] = {a_ints("strides", 1, s2)};
    fc_attr oshape[] = {a_ints("strides", 1, s2), a_ints("output_shape", 1, six)};
    fc_attr oshape3[] = {a_ints("strides", 1, s2), a_ints("output_shape", 3, six_full)};
    fc_attr oshape_upper[] = {a_ints("strides", 1, s2), a_ints("output_shape", 1, six),
                              a_str("auto_pad", "SAME_UPPER")};
    fc_attr upper[] = {a_ints("strides", 1, s2), a_str("auto_pad", "SAME_UPPER")};
    fc_attr lower[] = {a_ints("strides", 1, s2), a_str("auto_pad", "SAME_LOWER")};
    float head[6] = {1, 1, 3, 2, 5, 3}, tail[6] = {1, 3, 2, 5, 3, 3};
    EXPECT(&fc_op_conv_transpose, full, in, 3, ((int64_t[]){1, 1, 7}),
           ((float[]){1, 1, 3, 2, 5, 3, 3}));
    EXPECT(&fc_op_conv_transpose, oshape, in, 3, ((int64_t[]){1, 1, 6}), tail);
    EXPECT(&fc_op_conv_transpose, oshape3, in, 3, ((int64_t[]){1, 1, 6}), tail);
    EXPECT(&fc_op_conv_transpose, oshape_upper, in, 3, ((int64_t[]){1, 1, 6}), head);
    EXPECT(&fc_op_conv_transpose, upper, in, 3, ((int64_t[]){1, 1, 6}), head);
    EXPECT(&fc_op_conv_transpose, lower, in, 3, ((int64_t[]){1, 1, 6}), tail);
    return FC_TEST_PASS;
}

/* x (n,c,h,w) conv^T w (c,m/group,kh,kw) + b -> y (n,m,oh,ow): every input pixel
 * scattered through its kernel, with plain bounds checks. */
static void naive_conv_transpose(const int64_t *xd, const float *x, const int64_t *wd,
                                 const float *w, const float *b, int group, const int64_t *s,
                                 const int64_t *d, const int64_t *pad, const int64_t *yd,
                                 float *y)
{
    int64_t cg = xd[1] / group, mg = wd[1];
    for (int64_t i = 0; i < yd[0] * yd[1] * yd[2] * yd[3]; i++)
        y[i] = b ? b[i / (yd[2] * yd[3]) % yd[1]] : 0;
    for (int64_t n = 0; n < xd[0]; n++)
        for (int64_t c = 0; c < xd[1]; c++)
            for (int64_t iy = 0; iy < xd[2]; iy++)
                for (int64_t ix = 0; ix < xd[3]; ix++)
                    for (int64_t j = 0; j < mg; j++)
                        for (int64_t ky = 0; ky < wd[2]; ky++)
                            for (int64_t kx = 0; kx < wd[3]; kx++) {
                                int64_t oy = iy * s[0] - pad[0] + ky * d[0];
                                int64_t ox = ix * s[1] - pad[1] + kx * d[1];
                                int64_t m = c / cg * mg + j;
                                if (oy < 0 || oy >= yd[2] || ox < 0 || ox >= yd[3])
                                    continue;
                                y[((n * yd[1] + m) * yd[2] + oy) * yd[3] + ox] +=
                                    x[((n * xd[1] + c) * xd[2] + iy) * xd[3] + ix] *
                                    w[((c * mg + j) * wd[2] + ky) * wd[3] + kx];
                            }
}

TEST(conv_transpose_random_vs_naive)
{
    for (int t = 0; t < 100; t++) {
        int group = rnd(1, 2);
        int64_t cg = rnd(1, 3), mg = rnd(1, 3), n = rnd(1, 2), k[2], s[2], d[2], pb[2], pe[2];
        int64_t in_sz[2], out_sz[2];
        for (int i = 0; i < 2; i++) {
            k[i] = rnd(1, 4), s[i] = rnd(1, 3), d[i] = rnd(1, 2), in_sz[i] = rnd(1, 6);
            pb[i] = rnd(0, 1), pe[i] = rnd(0, 1);
            int64_t full = s[i] * (in_sz[i] - 1) + (k[i] - 1) * d[i] + 1;
            if (full - pb[i] - pe[i] < 1)
                pb[i] = pe[i] = 0;
            out_sz[i] = full - pb[i] - pe[i];
        }
        int64_t c = cg * group, m = mg * group;
        int64_t xd[4] = {n, c, in_sz[0], in_sz[1]}, wd[4] = {c, mg, k[0], k[1]};
        int64_t yd[4] = {n, m, out_sz[0], out_sz[1]};
        int64_t nx = n * c * in_sz[0] * in_sz[1], nw = c * mg * k[0] * k[1];
        int64_t ny = n * m * out_sz[0] * out_sz[1];
        float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4);
        float *b = malloc((size_t)m * 4), *want = malloc((size_t)ny * 4);
        fc_test_fill_random(x, nx, (unsigned)t, -1, 1);
        fc_test_fill_random(w, nw, (unsigned)t + 100, -1, 1);
        fc_test_fill_random(b, m, (unsigned)t + 200, -1, 1);
        naive_conv_transpose(xd, x, wd, w, b, group, s, d, pb, yd, want);
        fc_tensor X = fc_test_tensor(4, xd, x), W = fc_test_tensor(4, wd, w);
        fc_tensor B = fc_test_tensor(1, &m, b);
        fc_tensor *in[] = {&X, &W, &B};
        int64_t pads[4] = {pb[0], pb[1], pe[0], pe[1]};
        fc_attr at[] = {a_ints("pads", 4, pads), a_ints("strides", 2, s),
                        a_ints("dilations", 2, d), a_int("group", group)};
        int res = expect(__LINE__, &fc_op_conv_transpose, at, 4, in, 3, 4, yd, want);
        free(x), free(w), free(b), free(want);
        if (res)
            return res;
    }
    return FC_TEST_PASS;
}

TEST(conv_transpose_errors)
{
    static float data[256];
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 4, 3, 3}, data);
    fc_tensor W_c = fc_test_tensor(4, (int64_t[]){3, 2, 3, 3}, data); /* W.d0 != C */
    fc_tensor W_ok = fc_test_tensor(4, (int64_t[]){4, 2, 3, 3}, data);
    fc_tensor *bad_c[] = {&X, &W_c}, *ok[] = {&X, &W_ok};
    fc_attr g3[] = {a_int("group", 3)}; /* C % group */
    fc_attr oshape_n[] = {a_ints("output_shape", 3, (int64_t[]){1, 5, 5})};
    fc_attr crop_all[] = {a_ints("pads", 4, (int64_t[]){3, 3, 3, 3})};
    fc_attr bad_opad[] = {a_ints("output_padding", 3, (int64_t[]){1, 1, 1})};
    EXPECT_ERROR(&fc_op_conv_transpose, NULL, 0, bad_c, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv_transpose, g3, 1, ok, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv_transpose, oshape_n, 1, ok, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_conv_transpose, crop_all, 1, ok, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_conv_transpose, bad_opad, 1, ok, FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}
