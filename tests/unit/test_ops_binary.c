/* test_ops_binary.c - Add, Sub, Mul, Div, Pow, PRelu: broadcasting, int64 arithmetic,
 * dtype rules and errors. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <string.h>

/* Runs a two-input op at opset 13; y gets malloc'ed data on success. */
static fc_status run2(const fc_op_def *op, fc_tensor *a, fc_tensor *b, fc_tensor *y,
                      fc_error *err)
{
    fc_tensor *in[2] = {a, b}, *out[1] = {y};
    return fc_test_run_op(op, NULL, 0, 13, in, 2, out, 1, err);
}

/* Checks y's shape against n dims. */
static int shape_is(const fc_tensor *y, int n, const int64_t *dims)
{
    fc_shape want = fc_shape_make(n, dims);
    return fc_shape_equal(&y->shape, &want);
}

TEST(binary_same_shape_float)
{
    float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30, 40, 50, 60};
    fc_tensor ta = fc_test_tensor(2, (int64_t[]){2, 3}, a);
    fc_tensor tb = fc_test_tensor(2, (int64_t[]){2, 3}, b), y;
    fc_error err = {0};
    const struct {
        const fc_op_def *op;
        float want[6];
    } cases[] = {
        {&fc_op_add, {11, 22, 33, 44, 55, 66}},
        {&fc_op_sub, {-9, -18, -27, -36, -45, -54}},
        {&fc_op_mul, {10, 40, 90, 160, 250, 360}},
        {&fc_op_div, {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK_OK(run2(cases[c].op, &ta, &tb, &y, &err), &err);
        int ok = y.dtype == FC_DT_FLOAT && shape_is(&y, 2, (int64_t[]){2, 3});
        double diff = fc_test_max_abs_diff(y.data, cases[c].want, 6);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(ok && diff < 1e-6, "%s: diff %g", cases[c].op->name, diff);
    }
    return FC_TEST_PASS;
}

TEST(binary_scalar_and_rank_mismatch)
{
    float a[] = {1, 2, 3, 4, 5, 6}, s[] = {2}, col[] = {10, 20}, row[] = {1, 2, 3};
    fc_tensor ta = fc_test_tensor(2, (int64_t[]){2, 3}, a), ts = fc_test_tensor(0, NULL, s), y;
    fc_error err = {0};

    /* (2,3) - scalar and scalar - (2,3): the operand order matters for Sub */
    CHECK_OK(run2(&fc_op_sub, &ta, &ts, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 3}));
    CHECK(fc_test_max_abs_diff(y.data, (float[]){-1, 0, 1, 2, 3, 4}, 6) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run2(&fc_op_sub, &ts, &ta, &y, &err), &err);
    CHECK(fc_test_max_abs_diff(y.data, (float[]){1, 0, -1, -2, -3, -4}, 6) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);

    /* (3) + (2,1) -> (2,3): both operands broadcast */
    fc_tensor tr = fc_test_tensor(1, (int64_t[]){3}, row);
    fc_tensor tc = fc_test_tensor(2, (int64_t[]){2, 1}, col);
    CHECK_OK(run2(&fc_op_add, &tr, &tc, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 3}));
    CHECK(fc_test_max_abs_diff(y.data, (float[]){11, 12, 13, 21, 22, 23}, 6) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);

    /* scalar + scalar -> scalar */
    CHECK_OK(run2(&fc_op_mul, &ts, &ts, &y, &err), &err);
    CHECK(y.shape.ndim == 0 && ((float *)y.data)[0] == 4);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(binary_per_channel)
{
    /* x (2,3,2,1) * s (1,3,1,1): each channel c scaled by s[c] */
    float x[12], s[] = {1, 10, 100}, want[12];
    for (int i = 0; i < 12; i++) {
        x[i] = (float)(i + 1);
        want[i] = x[i] * s[(i / 2) % 3];
    }
    fc_tensor tx = fc_test_tensor(4, (int64_t[]){2, 3, 2, 1}, x);
    fc_tensor ts = fc_test_tensor(4, (int64_t[]){1, 3, 1, 1}, s), y;
    fc_error err = {0};
    CHECK_OK(run2(&fc_op_mul, &tx, &ts, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){2, 3, 2, 1}));
    double diff = fc_test_max_abs_diff(y.data, want, 12);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(diff == 0);
    /* and with the per-channel operand first */
    CHECK_OK(run2(&fc_op_mul, &ts, &tx, &y, &err), &err);
    diff = fc_test_max_abs_diff(y.data, want, 12);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(diff == 0);
    return FC_TEST_PASS;
}

/* a - b by the textbook rule: each output index maps to an index of a and of b with
 * broadcast dims pinned to 0. */
static void naive_sub(const fc_shape *sa, const float *a, const fc_shape *sb, const float *b,
                      const fc_shape *sy, float *y)
{
    int64_t n = fc_shape_numel(sy);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, ia = 0, ib = 0, st_a = 1, st_b = 1;
        for (int k = sy->ndim - 1; k >= 0; k--) {
            int64_t idx = rem % sy->d[k];
            rem /= sy->d[k];
            int ka = k - (sy->ndim - sa->ndim), kb = k - (sy->ndim - sb->ndim);
            if (ka >= 0) {
                ia += (sa->d[ka] == 1 ? 0 : idx) * st_a;
                st_a *= sa->d[ka];
            }
            if (kb >= 0) {
                ib += (sb->d[kb] == 1 ? 0 : idx) * st_b;
                st_b *= sb->d[kb];
            }
        }
        y[i] = a[ia] - b[ib];
    }
}

TEST(binary_general_broadcast_matches_naive)
{
    const struct {
        int na, nb;
        int64_t a[5], b[5];
    } cases[] = {
        {4, 3, {2, 3, 4, 5}, {3, 1, 5}},
        {1, 2, {1}, {2, 3}},
        {3, 4, {4, 1, 3}, {2, 1, 1, 1}},
        {4, 4, {2, 1, 3, 1}, {1, 4, 1, 5}},
        {5, 2, {2, 1, 3, 1, 2}, {3, 1}},
        {3, 3, {1, 1, 1}, {1, 1, 1}},
        {3, 1, {3, 2, 7}, {7}},
        {2, 2, {5, 1}, {1, 5}},
    };
    static float a[720], b[720], y[720], want[720];
    fc_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fc_tensor ta = fc_test_tensor(cases[c].na, cases[c].a, a);
        fc_tensor tb = fc_test_tensor(cases[c].nb, cases[c].b, b), ty;
        fc_test_fill_random(a, fc_shape_numel(&ta.shape), (unsigned)c, -2, 2);
        fc_test_fill_random(b, fc_shape_numel(&tb.shape), (unsigned)c + 100, -2, 2);
        CHECK_OK(run2(&fc_op_sub, &ta, &tb, &ty, &err), &err);
        int64_t n = fc_shape_numel(&ty.shape);
        memcpy(y, ty.data, (size_t)n * sizeof(float));
        naive_sub(&ta.shape, a, &tb.shape, b, &ty.shape, want);
        fc_test_free_outputs((fc_tensor *[]){&ty}, 1);
        double diff = fc_test_max_abs_diff(y, want, n);
        CHECK_MSG(diff == 0, "case %zu: diff %g", c, diff);
    }
    return FC_TEST_PASS;
}

/* y = a op b, one element at a time, for the four float ops. */
static float naive_op(const fc_op_def *op, float x, float w)
{
    return op == &fc_op_add ? x + w : op == &fc_op_sub ? x - w : op == &fc_op_mul ? x * w : x / w;
}

/* Runs of 1 to 19 elements (blocks of 8 and their remainders), with a, b or neither
 * repeating, for Add, Sub, Mul and Div: the same floats as one element at a time. */
TEST(binary_runs_around_blocks)
{
    const fc_op_def *ops[] = {&fc_op_add, &fc_op_sub, &fc_op_mul, &fc_op_div};
    float a[19], b[19], want[19];
    fc_error err = {0};
    for (int64_t n = 1; n < 19; n++) {
        for (int pattern = 0; pattern < 3; pattern++) { /* same shape, b scalar, a scalar */
            int64_t na = pattern == 2 ? 1 : n, nb = pattern == 1 ? 1 : n;
            fc_test_fill_random(a, na, (unsigned)(n * 3 + pattern), -3, 3);
            fc_test_fill_random(b, nb, (unsigned)(n * 3 + pattern + 100), 0.5f, 3);
            fc_tensor ta = fc_test_tensor(1, &na, a), tb = fc_test_tensor(1, &nb, b), y;
            for (int o = 0; o < 4; o++) {
                for (int64_t i = 0; i < n; i++)
                    want[i] = naive_op(ops[o], a[na == 1 ? 0 : i], b[nb == 1 ? 0 : i]);
                CHECK_OK(run2(ops[o], &ta, &tb, &y, &err), &err);
                int same = fc_shape_numel(&y.shape) == n &&
                           memcmp(y.data, want, (size_t)n * sizeof *want) == 0;
                fc_test_free_outputs((fc_tensor *[]){&y}, 1);
                CHECK_MSG(same, "%s of %lld elements, pattern %d", ops[o]->name, (long long)n,
                          pattern);
            }
        }
    }
    return FC_TEST_PASS;
}

TEST(binary_int64_arithmetic)
{
    int64_t a[] = {7, -7, 7, -7, 5, INT64_MIN, INT64_MAX}, b[] = {2, 2, -2, -2, 0, -1, 1};
    fc_tensor ta = fc_test_tensor_i64(1, (int64_t[]){7}, a);
    fc_tensor tb = fc_test_tensor_i64(1, (int64_t[]){7}, b), y;
    fc_error err = {0};
    const struct {
        const fc_op_def *op;
        int64_t want[7];
    } cases[] = {
        /* overflow wraps, as in ONNX Runtime */
        {&fc_op_add, {9, -5, 5, -9, 5, INT64_MAX, INT64_MIN}},
        {&fc_op_sub, {5, -9, 9, -5, 5, INT64_MIN + 1, INT64_MAX - 1}},
        {&fc_op_mul, {14, -14, -14, 14, 0, INT64_MIN, INT64_MAX}},
        /* truncation toward zero; x / 0 is defined as 0; INT64_MIN / -1 wraps */
        {&fc_op_div, {3, -3, -3, 3, 0, INT64_MIN, INT64_MAX}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK_OK(run2(cases[c].op, &ta, &tb, &y, &err), &err);
        int ok = y.dtype == FC_DT_INT64 && memcmp(y.data, cases[c].want, sizeof cases[c].want) == 0;
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(ok, "%s", cases[c].op->name);
    }
    /* 11 elements: a block of 8 and a remainder of 3, wrapping in both */
    int64_t la[11], lb[11], lwant[11];
    for (int i = 0; i < 11; i++) {
        la[i] = i % 2 ? INT64_MAX - i : i * 1000;
        lb[i] = i + 1;
        lwant[i] = i % 2 ? INT64_MIN : i * 1000 + i + 1; /* MAX - i + i + 1 wraps */
    }
    fc_tensor tla = fc_test_tensor_i64(1, (int64_t[]){11}, la);
    fc_tensor tlb = fc_test_tensor_i64(1, (int64_t[]){11}, lb);
    CHECK_OK(run2(&fc_op_add, &tla, &tlb, &y, &err), &err);
    int long_ok = memcmp(y.data, lwant, sizeof lwant) == 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(long_ok);
    /* int64 with a broadcast scalar */
    int64_t s[] = {3};
    fc_tensor ts = fc_test_tensor_i64(0, NULL, s);
    CHECK_OK(run2(&fc_op_mul, &ta, &ts, &y, &err), &err);
    CHECK(((int64_t *)y.data)[1] == -21);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(binary_pow_dtypes)
{
    fc_error err = {0};
    fc_tensor y;
    /* float ^ float */
    float fa[] = {2, 4, -8, 0, -2}, fb[] = {3, 0.5f, 1.0f / 3, -1, 2};
    fc_tensor ta = fc_test_tensor(1, (int64_t[]){5}, fa);
    fc_tensor tb = fc_test_tensor(1, (int64_t[]){5}, fb);
    CHECK_OK(run2(&fc_op_pow, &ta, &tb, &y, &err), &err);
    float *f = y.data;
    int ok = f[0] == 8 && f[1] == 2 && isnan(f[2]) && isinf(f[3]) && f[4] == 4;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok);

    /* int64 ^ int64: exact; negative exponents truncate (0 ^ -1 defined as 0) */
    int64_t ia[] = {2, -2, 3, 0, -1, -1, 0, 3}, ib[] = {10, 3, -1, 0, -3, -2, -1, 39};
    fc_tensor tia = fc_test_tensor_i64(1, (int64_t[]){8}, ia);
    fc_tensor tib = fc_test_tensor_i64(1, (int64_t[]){8}, ib);
    CHECK_OK(run2(&fc_op_pow, &tia, &tib, &y, &err), &err);
    int64_t want_i[] = {1024, -8, 0, 1, -1, 1, 0, 4052555153018976267};
    ok = y.dtype == FC_DT_INT64 && memcmp(y.data, want_i, sizeof want_i) == 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok);

    /* float ^ int64 -> float; int64 ^ float -> int64 (truncated), as ONNX Runtime */
    int64_t e[] = {3, 3, -1, 0, 2};
    fc_tensor te = fc_test_tensor_i64(1, (int64_t[]){5}, e);
    CHECK_OK(run2(&fc_op_pow, &ta, &te, &y, &err), &err);
    CHECK(y.dtype == FC_DT_FLOAT);
    CHECK(fc_test_max_abs_diff(y.data, (float[]){8, 64, -0.125f, 1, 4}, 5) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    int64_t base[] = {2, 4, 10, 7, -2};
    float fe[] = {0.5f, 0.5f, -1, 2, 2.5f};
    fc_tensor tbase = fc_test_tensor_i64(1, (int64_t[]){5}, base);
    fc_tensor tfe = fc_test_tensor(1, (int64_t[]){5}, fe);
    CHECK_OK(run2(&fc_op_pow, &tbase, &tfe, &y, &err), &err);
    /* (-2)^2.5 is NaN, which converts to INT64_MIN as on x86 */
    int64_t want_m[] = {1, 2, 0, 49, INT64_MIN};
    ok = y.dtype == FC_DT_INT64 && memcmp(y.data, want_m, sizeof want_m) == 0;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok);

    /* x ^ 2 (computed as x * x) is powf(x, 2) bit for bit, over many magnitudes */
    enum { NSQ = 4096 };
    static float sq[NSQ], two[NSQ];
    for (int i = 0; i < NSQ; i++) {
        sq[i] = (float)((i % 2 ? -1 : 1) * ldexp(1.0 + (i * 0.618034) - floor(i * 0.618034), i % 300 - 150));
        two[i] = 2;
    }
    sq[0] = INFINITY, sq[1] = -INFINITY, sq[2] = NAN, sq[3] = -0.0f, sq[4] = 3e38f;
    fc_tensor tsq = fc_test_tensor(1, (int64_t[]){NSQ}, sq), ttwo = fc_test_tensor(1, (int64_t[]){NSQ}, two);
    CHECK_OK(run2(&fc_op_pow, &tsq, &ttwo, &y, &err), &err);
    ok = 1;
    for (int i = 0; i < NSQ; i++) {
        float got = ((float *)y.data)[i], want = powf(sq[i], 2.0f);
        ok &= (isnan(got) && isnan(want)) || memcmp(&got, &want, sizeof got) == 0;
    }
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok);
    return FC_TEST_PASS;
}

TEST(binary_prelu)
{
    fc_error err = {0};
    fc_tensor y;
    /* X (1,2,2,2) with slope (2,1,1): per channel */
    float x[] = {-1, 2, -3, 4, -1, 2, -3, 4}, s[] = {0.5f, 0.25f};
    fc_tensor tx = fc_test_tensor(4, (int64_t[]){1, 2, 2, 2}, x);
    fc_tensor ts = fc_test_tensor(3, (int64_t[]){2, 1, 1}, s);
    CHECK_OK(run2(&fc_op_prelu, &tx, &ts, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 2, 2, 2}));
    const float per_channel[] = {-0.5f, 2, -1.5f, 4, -0.25f, 2, -0.75f, 4};
    CHECK(fc_test_max_abs_diff(y.data, per_channel, 8) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);

    /* X (N,C) = (2,3) with slope (C) */
    float x2[] = {-1, -2, 3, -4, 5, -6}, s2[] = {0.1f, 0.2f, 0.3f};
    fc_tensor tx2 = fc_test_tensor(2, (int64_t[]){2, 3}, x2);
    fc_tensor ts2 = fc_test_tensor(1, (int64_t[]){3}, s2);
    CHECK_OK(run2(&fc_op_prelu, &tx2, &ts2, &y, &err), &err);
    int ok = shape_is(&y, 2, (int64_t[]){2, 3});
    double diff = fc_test_max_abs_diff(y.data, (float[]){-0.1f, -0.4f, 3, -0.4f, 5, -1.8f}, 6);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(ok && diff < 1e-6);

    /* X (2,3) with slope (3,1,1): ONNX Runtime 1.30 broadcasts both ways, giving
     * (3,2,3) where block i uses slope[i]; we match it (values from ONNX Runtime). */
    fc_tensor ts3 = fc_test_tensor(3, (int64_t[]){3, 1, 1}, s2);
    CHECK_OK(run2(&fc_op_prelu, &tx2, &ts3, &y, &err), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){3, 2, 3}));
    float want[] = {-0.1f, -0.2f, 3, -0.4f, 5, -0.6f, -0.2f, -0.4f, 3,
                    -0.8f, 5, -1.2f, -0.3f, -0.6f, 3, -1.2f, 5, -1.8f};
    diff = fc_test_max_abs_diff(y.data, want, 18);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(diff < 1e-6);
    return FC_TEST_PASS;
}

TEST(binary_empty_tensor)
{
    float one[3] = {1, 2, 3};
    fc_tensor ta = fc_test_tensor(3, (int64_t[]){2, 0, 3}, NULL);
    fc_tensor tb = fc_test_tensor(2, (int64_t[]){1, 3}, one), y;
    fc_error err = {0};
    CHECK_OK(run2(&fc_op_add, &ta, &tb, &y, &err), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){2, 0, 3}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(binary_errors)
{
    float a[6] = {0}, b[4] = {0};
    int64_t ia[6] = {0};
    fc_tensor ta = fc_test_tensor(2, (int64_t[]){2, 3}, a);
    fc_tensor tb = fc_test_tensor(1, (int64_t[]){4}, b);
    fc_tensor tia = fc_test_tensor_i64(2, (int64_t[]){2, 3}, ia), y;
    fc_error err = {0};
    /* incompatible shapes: an error naming both, not a crash */
    CHECK(run2(&fc_op_add, &ta, &tb, &y, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2,3]") && strstr(err.msg, "[4]"), "message: %s", err.msg);
    /* mixed dtypes are only allowed for Pow */
    CHECK(run2(&fc_op_add, &ta, &tia, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run2(&fc_op_prelu, &tia, &tia, &y, &err) == FC_ERR_UNSUPPORTED);
    /* a missing input */
    CHECK(run2(&fc_op_mul, &ta, NULL, &y, &err) == FC_ERR_FORMAT);
    /* the legacy (opset < 7) broadcast axis */
    fc_attr axis = {.name = "axis", .type = FC_ATTR_INT, .i = 1};
    fc_tensor *in[2] = {&ta, &ta}, *out[1] = {&y};
    CHECK(fc_test_run_op(&fc_op_add, &axis, 1, 6, in, 2, out, 1, &err) == FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}
