/* test_ops_norm.c - BatchNormalization, Softmax (opset 11 and 13 semantics), ReduceMean
 * and ReduceL2. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <string.h>

static fc_attr attr_int(const char *name, int64_t v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INT, .i = v};
}

static fc_attr attr_ints(const char *name, const int64_t *v, size_t n)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INTS, .ints = v, .n = n};
}

/* Runs a one-output op; y gets malloc'ed data on success. */
static fc_status run(const fc_op_def *op, const fc_attr *attrs, int n_attrs, int opset,
                     fc_tensor *const *in, int n_in, fc_tensor *y, fc_error *err)
{
    fc_tensor *out[1] = {y};
    return fc_test_run_op(op, attrs, n_attrs, opset, in, n_in, out, 1, err);
}

/* Checks y has shape dims and values want (within tol), then frees it. */
static int take(fc_tensor *y, int ndim, const int64_t *dims, const float *want, double tol)
{
    fc_shape s = fc_shape_make(ndim, dims);
    int same_shape = fc_shape_equal(&y->shape, &s);
    double diff = same_shape ? fc_test_max_abs_diff(y->data, want, fc_shape_numel(&s)) : 0;
    char got[192];
    fc_shape_str(&y->shape, got, sizeof got);
    fc_test_free_outputs((fc_tensor *[]){y}, 1);
    if (!same_shape)
        return fc_test_fail(__FILE__, __LINE__, "shape %s", got);
    if (!(diff <= tol))
        return fc_test_fail(__FILE__, __LINE__, "max diff %g", diff);
    return FC_TEST_PASS;
}

#define CHECK_TAKE(y, ndim, dims, want, tol)                                                \
    do {                                                                                    \
        if (take(y, ndim, dims, want, tol))                                                 \
            return FC_TEST_FAIL;                                                            \
    } while (0)

/* ---- BatchNormalization ------------------------------------------------------- */

TEST(norm_batchnorm_4d_and_2d)
{
    float x[] = {1, 2, 3, 4}, scale[] = {1, 2}, bias[] = {0, 1}, mean[] = {1, 2};
    float var[] = {4, 0.25f};
    fc_tensor tx = fc_test_tensor(4, (int64_t[]){1, 2, 1, 2}, x);
    fc_tensor ts = fc_test_tensor(1, (int64_t[]){2}, scale);
    fc_tensor tb = fc_test_tensor(1, (int64_t[]){2}, bias);
    fc_tensor tm = fc_test_tensor(1, (int64_t[]){2}, mean);
    fc_tensor tv = fc_test_tensor(1, (int64_t[]){2}, var), y;
    fc_tensor *in[5] = {&tx, &ts, &tb, &tm, &tv};
    fc_attr eps0 = {.name = "epsilon", .type = FC_ATTR_FLOAT, .f = 0};
    fc_error err = {0};
    /* channel 0: (x-1)/2; channel 1: (x-2)/0.5*2 + 1 */
    CHECK_OK(run(&fc_op_batch_normalization, &eps0, 1, 15, in, 5, &y, &err), &err);
    CHECK_TAKE(&y, 4, ((int64_t[]){1, 2, 1, 2}), ((float[]){0, 0.5f, 5, 9}), 1e-6);
    /* (N,C) = (2,2); the default epsilon 1e-5 */
    var[0] = 1 - 1e-5f, var[1] = 0.25f - 1e-5f;
    fc_tensor tx2 = fc_test_tensor(2, (int64_t[]){2, 2}, x);
    in[0] = &tx2;
    CHECK_OK(run(&fc_op_batch_normalization, NULL, 0, 9, in, 5, &y, &err), &err);
    CHECK_TAKE(&y, 2, ((int64_t[]){2, 2}), ((float[]){0, 1, 2, 9}), 1e-5);
    return FC_TEST_PASS;
}

TEST(norm_batchnorm_errors)
{
    float x[8] = {0}, c2[2] = {1, 1}, c3[3] = {1, 1, 1};
    fc_tensor tx = fc_test_tensor(4, (int64_t[]){1, 2, 2, 2}, x);
    fc_tensor tc = fc_test_tensor(1, (int64_t[]){2}, c2);
    fc_tensor t3 = fc_test_tensor(1, (int64_t[]){3}, c3);
    fc_tensor tx1 = fc_test_tensor(1, (int64_t[]){2}, x), y;
    fc_error err = {0};
    fc_tensor *ok_in[5] = {&tx, &tc, &tc, &tc, &tc}, *bad_scale[5] = {&tx, &t3, &tc, &tc, &tc},
              *rank1[5] = {&tx1, &tc, &tc, &tc, &tc};
    fc_attr training = attr_int("training_mode", 1), spatial = attr_int("spatial", 0);
    const fc_op_def *bn = &fc_op_batch_normalization;
    CHECK(run(bn, &training, 1, 15, ok_in, 5, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(bn, &spatial, 1, 7, ok_in, 5, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(&fc_op_batch_normalization, NULL, 0, 15, bad_scale, 5, &y, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[3]") && strstr(err.msg, "[1,2,2,2]"), "message: %s", err.msg);
    CHECK(run(&fc_op_batch_normalization, NULL, 0, 15, rank1, 5, &y, &err) == FC_ERR_SHAPE);
    CHECK(fc_op_batch_normalization.max_outputs == 1);
    return FC_TEST_PASS;
}

/* ---- Softmax ------------------------------------------------------------------ */

/* x (2,2,2) chosen so the results are exact fractions: exp(ln 3) = 3, exp(ln 4) = 4. */
#define LN3 1.0986122886681098f
#define LN4 1.3862943611198906f

TEST(norm_softmax_opset11_vs_13)
{
    float x[] = {0, 0, LN3, 0, LN4, 0, 0, 0};
    const int64_t dims[] = {2, 2, 2};
    fc_tensor tx = fc_test_tensor(3, dims, x), y, *in[1] = {&tx};
    fc_attr axis1 = attr_int("axis", 1), axis_m2 = attr_int("axis", -2);
    fc_error err = {0};
    /* opset 11, axis 1: each batch's 4 values are one softmax */
    const float flat[] = {1.0f / 6, 1.0f / 6, 0.5f,     1.0f / 6,
                          4.0f / 7, 1.0f / 7, 1.0f / 7, 1.0f / 7};
    CHECK_OK(run(&fc_op_softmax, &axis1, 1, 11, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, dims, flat, 1e-6);
    CHECK_OK(run(&fc_op_softmax, NULL, 0, 11, in, 1, &y, &err), &err); /* default axis 1 */
    CHECK_TAKE(&y, 3, dims, flat, 1e-6);
    CHECK_OK(run(&fc_op_softmax, &axis_m2, 1, 11, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, dims, flat, 1e-6);
    /* opset 13, axis 1: along the middle axis only, pairs (x[b,0,j], x[b,1,j]) */
    const float mid[] = {0.25f, 0.5f, 0.75f, 0.5f, 0.8f, 0.5f, 0.2f, 0.5f};
    CHECK_OK(run(&fc_op_softmax, &axis1, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, dims, mid, 1e-6);
    /* opset 13 default axis -1: along the last axis */
    const float last[] = {0.5f, 0.5f, 0.75f, 0.25f, 0.8f, 0.2f, 0.5f, 0.5f};
    CHECK_OK(run(&fc_op_softmax, NULL, 0, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, dims, last, 1e-6);
    return FC_TEST_PASS;
}

TEST(norm_softmax_stable_and_errors)
{
    /* large inputs: the max is subtracted, so no inf/inf */
    float x[] = {1000, 1001, -1000, -1000};
    fc_tensor tx = fc_test_tensor(2, (int64_t[]){2, 2}, x), y, *in[1] = {&tx};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_softmax, NULL, 0, 13, in, 1, &y, &err), &err);
    const float want[] = {0.268941421f, 0.731058579f, 0.5f, 0.5f};
    CHECK_TAKE(&y, 2, ((int64_t[]){2, 2}), want, 1e-7);
    fc_attr axis2 = attr_int("axis", 2);
    CHECK(run(&fc_op_softmax, &axis2, 1, 13, in, 1, &y, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2,2]"), "message: %s", err.msg);
    int64_t xi[2] = {0};
    fc_tensor ti = fc_test_tensor_i64(1, (int64_t[]){2}, xi), *in_i[1] = {&ti};
    CHECK(run(&fc_op_softmax, NULL, 0, 13, in_i, 1, &y, &err) == FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}

/* Softmax of each row of len values, by the definition: expf(x - max) / sum. */
static void naive_softmax_rows(const float *x, float *y, int64_t rows, int64_t len)
{
    for (int64_t r = 0; r < rows; r++, x += len, y += len) {
        float max = x[0], sum = 0;
        for (int64_t i = 1; i < len; i++)
            max = x[i] > max ? x[i] : max;
        for (int64_t i = 0; i < len; i++)
            sum += y[i] = expf(x[i] - max);
        for (int64_t i = 0; i < len; i++)
            y[i] /= sum;
    }
}

/* 1 if a and b hold the same n floats bit for bit, NaN matching any NaN. */
static int same_floats(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0 && !(isnan(a[i]) && isnan(b[i])))
            return 0;
    return 1;
}

/* Rows of 1, 2 and 5 on the last axis, random and special values: the same floats as
 * the definition, bit for bit (rows of 2 take their own loop). */
TEST(norm_softmax_short_rows_exact)
{
    enum { ROWS = 41, MAX_LEN = 5 };
    static float x[ROWS * MAX_LEN], want[ROWS * MAX_LEN];
    const float special[][2] = {
        {3, 3}, {-2, 5}, {5, -2}, {80, -80}, {-80, 80}, {INFINITY, 1}, {1, INFINITY},
        {-INFINITY, 0}, {0, -INFINITY}, {-0.0f, 0}, {1e-30f, -1e-30f},
    };
    const int64_t lens[] = {1, 2, 5};
    fc_error err = {0};
    for (int k = 0; k < 3; k++) {
        int64_t len = lens[k], dims[] = {1, ROWS, len};
        fc_test_fill_random(x, ROWS * len, (unsigned)len, -8, 8);
        for (size_t i = 0; len == 2 && i < sizeof special / sizeof special[0]; i++)
            x[2 * i] = special[i][0], x[2 * i + 1] = special[i][1];
        naive_softmax_rows(x, want, ROWS, len);
        fc_tensor tx = fc_test_tensor(3, dims, x), y, *in[1] = {&tx};
        CHECK_OK(run(&fc_op_softmax, NULL, 0, 13, in, 1, &y, &err), &err);
        int same = same_floats(y.data, want, ROWS * len);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(same, "rows of %lld differ from the definition", (long long)len);
    }
    return FC_TEST_PASS;
}

/* Pairs along a middle axis (inner > 1) are not rows of 2: x (3, 2, 4), axis 1. */
TEST(norm_softmax_pairs_on_a_middle_axis)
{
    float x[24], xt[24], want_t[24], want[24];
    fc_test_fill_random(x, 24, 7, -4, 4);
    for (int b = 0; b < 3; b++) /* x as (3, 4, 2): each pair a row */
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++)
                xt[(b * 4 + j) * 2 + k] = x[(b * 2 + k) * 4 + j];
    naive_softmax_rows(xt, want_t, 12, 2);
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++)
                want[(b * 2 + k) * 4 + j] = want_t[(b * 4 + j) * 2 + k];
    const int64_t dims[] = {3, 2, 4};
    fc_tensor tx = fc_test_tensor(3, dims, x), y, *in[1] = {&tx};
    fc_attr axis1 = attr_int("axis", 1);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_softmax, &axis1, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, dims, want, 1e-6);
    return FC_TEST_PASS;
}

/* ---- ReduceMean, ReduceL2 ------------------------------------------------------ */

TEST(norm_reduce_mean_axes_and_keepdims)
{
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)i; /* x[i][j][k] = 12i + 4j + k */
    fc_tensor tx = fc_test_tensor(3, (int64_t[]){2, 3, 4}, x), y, *in[1] = {&tx};
    fc_error err = {0};
    fc_attr keep0 = attr_int("keepdims", 0);

    /* all axes */
    CHECK_OK(run(&fc_op_reduce_mean, NULL, 0, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, ((int64_t[]){1, 1, 1}), ((float[]){11.5f}), 1e-6);
    CHECK_OK(run(&fc_op_reduce_mean, &keep0, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 0, NULL, ((float[]){11.5f}), 1e-6);

    /* the last axis, negative, without keepdims */
    const int64_t last[] = {-1};
    fc_attr a_last[] = {attr_ints("axes", last, 1), keep0};
    CHECK_OK(run(&fc_op_reduce_mean, a_last, 2, 13, in, 1, &y, &err), &err);
    const float row_means[] = {1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f};
    CHECK_TAKE(&y, 2, ((int64_t[]){2, 3}), row_means, 1e-6);

    /* outer and inner axes: mean of 12i + 4j + k over i, k is 4j + 7.5 */
    const int64_t outer_inner[] = {0, 2};
    fc_attr a_oi = attr_ints("axes", outer_inner, 2);
    CHECK_OK(run(&fc_op_reduce_mean, &a_oi, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, ((int64_t[]){1, 3, 1}), ((float[]){7.5f, 11.5f, 15.5f}), 1e-6);

    /* the middle axis: kept inner runs accumulate elementwise */
    const int64_t mid[] = {-2};
    fc_attr a_mid = attr_ints("axes", mid, 1);
    CHECK_OK(run(&fc_op_reduce_mean, &a_mid, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, ((int64_t[]){2, 1, 4}), ((float[]){4, 5, 6, 7, 16, 17, 18, 19}), 1e-6);

    /* a repeated axis counts once, as ONNX Runtime accepts it */
    const int64_t twice[] = {2, -1};
    fc_attr a_twice = attr_ints("axes", twice, 2);
    CHECK_OK(run(&fc_op_reduce_mean, &a_twice, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, ((int64_t[]){2, 3, 1}), row_means, 1e-6);

    /* an empty axes list still means all axes before opset 18 */
    fc_attr a_empty = attr_ints("axes", NULL, 0);
    CHECK_OK(run(&fc_op_reduce_mean, &a_empty, 1, 13, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 3, ((int64_t[]){1, 1, 1}), ((float[]){11.5f}), 1e-6);
    return FC_TEST_PASS;
}

TEST(norm_reduce_l2)
{
    float x[] = {3, 4, 6, 8};
    fc_tensor tx = fc_test_tensor(2, (int64_t[]){2, 2}, x), y, *in[1] = {&tx};
    fc_error err = {0};
    const int64_t ax1[] = {1}, ax0[] = {0};
    fc_attr a1[] = {attr_ints("axes", ax1, 1), attr_int("keepdims", 0)};
    CHECK_OK(run(&fc_op_reduce_l2, a1, 2, 11, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 1, ((int64_t[]){2}), ((float[]){5, 10}), 1e-6);
    fc_attr a0 = attr_ints("axes", ax0, 1);
    CHECK_OK(run(&fc_op_reduce_l2, &a0, 1, 11, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 2, ((int64_t[]){1, 2}), ((float[]){sqrtf(45), sqrtf(80)}), 1e-6);
    CHECK_OK(run(&fc_op_reduce_l2, NULL, 0, 11, in, 1, &y, &err), &err);
    CHECK_TAKE(&y, 2, ((int64_t[]){1, 1}), ((float[]){sqrtf(125)}), 1e-5);
    return FC_TEST_PASS;
}

TEST(norm_reduce_errors)
{
    float x[6] = {0};
    int64_t xi[6] = {0};
    fc_tensor tx = fc_test_tensor(2, (int64_t[]){2, 3}, x);
    fc_tensor ti = fc_test_tensor_i64(2, (int64_t[]){2, 3}, xi), y;
    fc_tensor *in[1] = {&tx}, *in_i[1] = {&ti};
    fc_error err = {0};
    const int64_t out_of_range[] = {2}, too_many[9] = {0};
    fc_attr a_oor = attr_ints("axes", out_of_range, 1), a_many = attr_ints("axes", too_many, 9);
    CHECK(run(&fc_op_reduce_mean, &a_oor, 1, 13, in, 1, &y, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2,3]"), "message: %s", err.msg);
    CHECK(run(&fc_op_reduce_mean, &a_many, 1, 13, in, 1, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_reduce_mean, NULL, 0, 13, in_i, 1, &y, &err) == FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}
