/* test_ops_unary.c - the elementwise activations, Clip at both opsets, and Cast. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <float.h>
#include <string.h>

/* Runs op on x (and optional Clip bounds) into y; y gets malloc'ed data on success. */
static fc_status run_unary(const fc_op_def *op, const fc_attr *attrs, int n_attrs, int opset,
                           fc_tensor *const *in, int n_in, fc_tensor *y, fc_error *err)
{
    fc_tensor *out[1] = {y};
    return fc_test_run_op(op, attrs, n_attrs, opset, in, n_in, out, 1, err);
}

static fc_attr attr_float(const char *name, float v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_FLOAT, .f = v};
}

static fc_attr attr_int(const char *name, int64_t v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INT, .i = v};
}

/* Runs a float op over xs and compares with want (NaN matches NaN). */
static int check_map(const fc_op_def *op, const fc_attr *attrs, int n_attrs, const float *xs,
                     const float *want, int n, double tol)
{
    float x[16];
    memcpy(x, xs, (size_t)n * sizeof *x);
    fc_tensor tx = fc_test_tensor(1, (int64_t[]){n}, x), y, *in[1] = {&tx};
    fc_error err = {0};
    fc_status rc = run_unary(op, attrs, n_attrs, 13, in, 1, &y, &err);
    if (rc)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", op->name, err.msg);
    const float *got = y.data;
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++) {
        int same = (isnan(got[i]) && isnan(want[i])) || got[i] == want[i];
        if (!same && !(fabs((double)got[i] - want[i]) <= tol))
            bad = i;
    }
    float got_bad = bad >= 0 ? got[bad] : 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    if (bad >= 0)
        return fc_test_fail(__FILE__, __LINE__, "%s(%g) = %.9g, want %.9g", op->name,
                            (double)xs[bad], (double)got_bad, (double)want[bad]);
    return FC_TEST_PASS;
}

#define CHECK_MAP(op, attrs, n_attrs, xs, want, tol)                                        \
    do {                                                                                    \
        if (check_map(op, attrs, n_attrs, xs, want, (int)(sizeof(xs) / sizeof(xs)[0]), tol)) \
            return FC_TEST_FAIL;                                                            \
    } while (0)

TEST(unary_activations)
{
    const float x[] = {-4, -1, -0.5f, 0, 0.5f, 1, 4, NAN};
    const float relu[] = {0, 0, 0, 0, 0.5f, 1, 4, NAN};
    const float leaky[] = {-0.04f, -0.01f, -0.005f, 0, 0.5f, 1, 4, NAN};
    const float leaky_half[] = {-2, -0.5f, -0.25f, 0, 0.5f, 1, 4, NAN};
    /* HardSigmoid max(0, min(1, 0.2x + 0.5)); HardSwish x * max(0, min(1, x/6 + 0.5)) */
    const float hsig[] = {0, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 1, NAN};
    const float hswish[] = {-0.0f, -1.0f / 3, -0.5f * 5 / 12, 0, 0.5f * 7 / 12, 2.0f / 3, 4, NAN};
    const float ex[] = {expf(-4), expf(-1), expf(-0.5f), 1, expf(0.5f), expf(1), expf(4), NAN};
    const float th[] = {tanhf(-4),   tanhf(-1), tanhf(-0.5f), 0,
                        tanhf(0.5f), tanhf(1),  tanhf(4),     NAN};
    fc_attr half = attr_float("alpha", 0.5f);
    CHECK_MAP(&fc_op_relu, NULL, 0, x, relu, 0);
    CHECK_MAP(&fc_op_leaky_relu, NULL, 0, x, leaky, 1e-9);
    CHECK_MAP(&fc_op_leaky_relu, &half, 1, x, leaky_half, 0);
    CHECK_MAP(&fc_op_hard_sigmoid, NULL, 0, x, hsig, 1e-7);
    CHECK_MAP(&fc_op_hard_swish, NULL, 0, x, hswish, 1e-6);
    CHECK_MAP(&fc_op_exp, NULL, 0, x, ex, 1e-6);
    CHECK_MAP(&fc_op_tanh, NULL, 0, x, th, 1e-7);
    fc_attr hs[] = {attr_float("alpha", 0.5f), attr_float("beta", 0)};
    const float x2[] = {-1, 0.5f, 1, 3};
    const float hsig2[] = {0, 0.25f, 0.5f, 1};
    CHECK_MAP(&fc_op_hard_sigmoid, hs, 2, x2, hsig2, 0);
    return FC_TEST_PASS;
}

TEST(unary_sigmoid_and_sqrt_extremes)
{
    /* accurate far into both tails: no NaN, no inf, tiny values kept */
    const float x[] = {-INFINITY, -200, -100, -20, 0, 20, 100, INFINITY};
    const float sig[] = {0, 0, 3.72007598e-44f, 2.06115362e-09f, 0.5f, 1, 1, 1};
    CHECK_MAP(&fc_op_sigmoid, NULL, 0, x, sig, 1e-12);
    const float xs[] = {-1, 0, 2.25f, 16, INFINITY};
    const float sq[] = {NAN, 0, 1.5f, 4, INFINITY};
    CHECK_MAP(&fc_op_sqrt, NULL, 0, xs, sq, 0);
    return FC_TEST_PASS;
}

TEST(unary_float_only)
{
    int64_t xi[] = {1, -2};
    fc_tensor tx = fc_test_tensor_i64(1, (int64_t[]){2}, xi), y, *in[1] = {&tx};
    fc_error err = {0};
    const fc_op_def *ops[] = {&fc_op_relu, &fc_op_sigmoid, &fc_op_exp, &fc_op_clip};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        CHECK_MSG(run_unary(ops[i], NULL, 0, 13, in, 1, &y, &err) == FC_ERR_UNSUPPORTED, "%s",
                  ops[i]->name);
    return FC_TEST_PASS;
}

/* Clip x with the given inputs at an opset; compares with want. */
static int check_clip(int opset, const fc_attr *attrs, int n_attrs, fc_tensor *lo, fc_tensor *hi,
                      int n_in, const float *want)
{
    float x[] = {-INFINITY, -3, -1, 0, 1, 3, NAN};
    fc_tensor tx = fc_test_tensor(1, (int64_t[]){7}, x), y, *in[3] = {&tx, lo, hi};
    fc_error err = {0};
    fc_status rc = run_unary(&fc_op_clip, attrs, n_attrs, opset, in, n_in, &y, &err);
    if (rc)
        return fc_test_fail(__FILE__, __LINE__, "opset %d: %s", opset, err.msg);
    const float *got = y.data;
    int ok = 1;
    for (int i = 0; i < 7; i++)
        ok &= (isnan(got[i]) && isnan(want[i])) || got[i] == want[i];
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return ok ? FC_TEST_PASS : fc_test_fail(__FILE__, __LINE__, "opset %d: wrong values", opset);
}

TEST(unary_clip_both_opsets)
{
    float lo[] = {-1}, hi[] = {2}, bad_lo[] = {5};
    fc_tensor tlo = fc_test_tensor(0, NULL, lo), thi = fc_test_tensor(0, NULL, hi);
    fc_tensor tlo1 = fc_test_tensor(1, (int64_t[]){1}, lo), tbad = fc_test_tensor(0, NULL, bad_lo);
    const float both[] = {-1, -1, -1, 0, 1, 2, NAN};
    const float no_min[] = {-FLT_MAX, -3, -1, 0, 1, 2, NAN};
    const float no_max[] = {-1, -1, -1, 0, 1, 3, NAN};
    const float none[] = {-FLT_MAX, -3, -1, 0, 1, 3, NAN};
    const float min_above_max[] = {2, 2, 2, 2, 2, 2, NAN}; /* max wins, as in ONNX */

    /* opset 6: attributes, absent ones default to +-FLT_MAX */
    fc_attr mm[] = {attr_float("min", -1), attr_float("max", 2)};
    CHECK(check_clip(6, mm, 2, NULL, NULL, 1, both) == FC_TEST_PASS);
    CHECK(check_clip(6, &mm[1], 1, NULL, NULL, 1, no_min) == FC_TEST_PASS);
    CHECK(check_clip(6, mm, 1, NULL, NULL, 1, no_max) == FC_TEST_PASS);
    /* opset 11+: inputs, read at run time; absent is NULL or not passed */
    CHECK(check_clip(13, NULL, 0, &tlo, &thi, 3, both) == FC_TEST_PASS);
    CHECK(check_clip(11, NULL, 0, &tlo1, &thi, 3, both) == FC_TEST_PASS);
    CHECK(check_clip(13, NULL, 0, NULL, &thi, 3, no_min) == FC_TEST_PASS);
    CHECK(check_clip(13, NULL, 0, &tlo, NULL, 2, no_max) == FC_TEST_PASS);
    CHECK(check_clip(13, NULL, 0, NULL, NULL, 1, none) == FC_TEST_PASS);
    CHECK(check_clip(13, NULL, 0, &tbad, &thi, 3, min_above_max) == FC_TEST_PASS);
    /* opset 11+ ignores the old attributes */
    CHECK(check_clip(13, mm, 2, NULL, NULL, 1, none) == FC_TEST_PASS);
    return FC_TEST_PASS;
}

TEST(unary_clip_errors)
{
    float x[3] = {0}, two[2] = {0, 1};
    int64_t ilo[1] = {0};
    fc_tensor tx = fc_test_tensor(1, (int64_t[]){3}, x), y;
    fc_tensor tvec = fc_test_tensor(1, (int64_t[]){2}, two);
    fc_tensor tint = fc_test_tensor_i64(0, NULL, ilo);
    fc_error err = {0};
    fc_tensor *in_vec[2] = {&tx, &tvec}, *in_int[2] = {&tx, &tint};
    CHECK(run_unary(&fc_op_clip, NULL, 0, 13, in_vec, 2, &y, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2]"), "message: %s", err.msg);
    CHECK(run_unary(&fc_op_clip, NULL, 0, 13, in_int, 2, &y, &err) == FC_ERR_UNSUPPORTED);
    /* before opset 11 the bounds cannot come as inputs */
    CHECK(run_unary(&fc_op_clip, NULL, 0, 6, in_vec, 2, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

/* Casts x (float32 or int64) with `to`, checking the output dtype and int64 values. */
static int check_cast_to_i64(fc_tensor *x, int64_t to, const int64_t *want, int n)
{
    fc_attr a = attr_int("to", to);
    fc_tensor y, *in[1] = {x};
    fc_error err = {0};
    fc_status rc = run_unary(&fc_op_cast, &a, 1, 13, in, 1, &y, &err);
    if (rc)
        return fc_test_fail(__FILE__, __LINE__, "to=%lld: %s", (long long)to, err.msg);
    int ok = y.dtype == FC_DT_INT64 && memcmp(y.data, want, (size_t)n * sizeof *want) == 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return ok ? FC_TEST_PASS : fc_test_fail(__FILE__, __LINE__, "to=%lld", (long long)to);
}

TEST(unary_cast_float_to_integers)
{
    float x[] = {-300.7f, -2.7f, -0.5f, 0, 0.5f, 2.7f, 300.7f, NAN};
    fc_tensor tx = fc_test_tensor(1, (int64_t[]){8}, x);
    /* truncation toward zero; NaN -> INT64_MIN as x86 (and ONNX Runtime there) gives */
    const int64_t i64[] = {-300, -2, 0, 0, 0, 2, 300, INT64_MIN};
    /* narrower types go through int32 and wrap, like ONNX Runtime's static_cast on
     * x86 (values checked against it) */
    const int64_t i8[] = {-44, -2, 0, 0, 0, 2, 44, 0};
    const int64_t u8[] = {212, 254, 0, 0, 0, 2, 44, 0};
    const int64_t i32[] = {-300, -2, 0, 0, 0, 2, 300, INT32_MIN};
    const int64_t boolean[] = {1, 1, 1, 0, 1, 1, 1, 1}; /* nonzero, before truncation */
    CHECK(check_cast_to_i64(&tx, 7, i64, 8) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 3, i8, 8) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 2, u8, 8) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 6, i32, 8) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 9, boolean, 8) == FC_TEST_PASS);
    return FC_TEST_PASS;
}

TEST(unary_cast_int64)
{
    int64_t x[] = {-300, -1, 0, 1, 300, (int64_t)1 << 40};
    fc_tensor tx = fc_test_tensor_i64(1, (int64_t[]){6}, x), y, *in[1] = {&tx};
    const int64_t u8[] = {212, 255, 0, 1, 44, 0};
    const int64_t u32[] = {4294966996, 4294967295, 0, 1, 300, 0};
    const int64_t boolean[] = {1, 1, 0, 1, 1, 1};
    CHECK(check_cast_to_i64(&tx, 2, u8, 6) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 12, u32, 6) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 9, boolean, 6) == FC_TEST_PASS);
    CHECK(check_cast_to_i64(&tx, 7, x, 6) == FC_TEST_PASS);
    /* int64 -> FLOAT, DOUBLE and FLOAT16 all give float32 */
    const int64_t float_types[] = {1, 11, 10};
    for (size_t k = 0; k < 3; k++) {
        fc_attr a = attr_int("to", float_types[k]);
        fc_error err = {0};
        CHECK_OK(run_unary(&fc_op_cast, &a, 1, 13, in, 1, &y, &err), &err);
        const float want[] = {-300, -1, 0, 1, 300, 1099511627776.0f};
        int ok = y.dtype == FC_DT_FLOAT && fc_test_max_abs_diff(y.data, want, 6) == 0;
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK(ok);
    }
    /* float -> float is a copy */
    float xf[] = {1.5f, -2};
    fc_tensor txf = fc_test_tensor(1, (int64_t[]){2}, xf), *inf[1] = {&txf};
    fc_attr a = attr_int("to", 1);
    fc_error err = {0};
    CHECK_OK(run_unary(&fc_op_cast, &a, 1, 13, inf, 1, &y, &err), &err);
    int ok = y.dtype == FC_DT_FLOAT && fc_test_max_abs_diff(y.data, xf, 2) == 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok);
    return FC_TEST_PASS;
}

TEST(unary_cast_errors)
{
    float x[1] = {0};
    fc_tensor tx = fc_test_tensor(1, (int64_t[]){1}, x), y, *in[1] = {&tx};
    fc_error err = {0};
    fc_attr str = attr_int("to", 8); /* STRING */
    CHECK(run_unary(&fc_op_cast, &str, 1, 13, in, 1, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run_unary(&fc_op_cast, NULL, 0, 13, in, 1, &y, &err) == FC_ERR_FORMAT);
    fc_attr wrong_type = attr_float("to", 1);
    CHECK(run_unary(&fc_op_cast, &wrong_type, 1, 13, in, 1, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}
