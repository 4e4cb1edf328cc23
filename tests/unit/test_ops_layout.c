/* test_ops_layout.c - Transpose, Concat, Split, Slice and Gather on float and int64
 * data: hand-computed cases, a naive reference for Transpose, and errors. Slice
 * clamping was checked against ONNX Runtime 1.30. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------- */

static fc_attr attr_int(const char *name, int64_t v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INT, .i = v};
}

static fc_attr attr_ints(const char *name, const int64_t *v, size_t n)
{
    return (fc_attr){.name = name, .type = FC_ATTR_INTS, .ints = v, .n = n};
}

static fc_status run(const fc_op_def *op, const fc_attr *at, int n_at, int opset,
                     fc_tensor **in, int n_in, fc_tensor *y, fc_error *err)
{
    return fc_test_run_op(op, at, n_at, opset, in, n_in, &y, 1, err);
}

static int shape_is(const fc_tensor *t, int ndim, const int64_t *d)
{
    fc_shape want = fc_shape_make(ndim, d);
    return fc_shape_equal(&t->shape, &want);
}

static int f32_equal(const fc_tensor *t, const float *want, int64_t n)
{
    return t->dtype == FC_DT_FLOAT && fc_shape_numel(&t->shape) == n &&
           (n == 0 || memcmp(t->data, want, (size_t)n * sizeof *want) == 0);
}

static int i64_equal(const fc_tensor *t, const int64_t *want, int64_t n)
{
    return t->dtype == FC_DT_INT64 && fc_shape_numel(&t->shape) == n &&
           (n == 0 || memcmp(t->data, want, (size_t)n * sizeof *want) == 0);
}

static void iota(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)i;
}

/* y = transpose(x, perm), element by element with divisions: the slow reference. */
static void naive_transpose(const float *x, const fc_shape *xs, const int *perm, float *y)
{
    int64_t st[FC_MAX_DIMS], n = fc_shape_numel(xs), ys[FC_MAX_DIMS];
    fc_shape out = {.ndim = xs->ndim};
    fc_shape_strides(xs, st);
    for (int k = 0; k < xs->ndim; k++)
        out.d[k] = xs->d[perm[k]];
    fc_shape_strides(&out, ys);
    for (int64_t o = 0; o < n; o++) {
        int64_t rem = o, off = 0;
        for (int k = 0; k < out.ndim; k++) {
            off += rem / ys[k] * st[perm[k]];
            rem %= ys[k];
        }
        y[o] = x[off];
    }
}

/* ---- Transpose -------------------------------------------------------------------- */

TEST(transpose_default_reverses)
{
    float xd[6];
    iota(xd, 6);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    fc_error err = {0};
    CHECK_OK(run(&fc_op_transpose, NULL, 0, 13, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){3, 2}) && f32_equal(&y, (float[]){0, 3, 1, 4, 2, 5}, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    int64_t id[6] = {0, 1, 2, 3, 4, 5};
    fc_tensor xi = fc_test_tensor_i64(2, (int64_t[]){3, 2}, id);
    CHECK_OK(run(&fc_op_transpose, NULL, 0, 13, (fc_tensor *[]){&xi}, 1, &y, &err), &err);
    CHECK(i64_equal(&y, (int64_t[]){0, 2, 4, 1, 3, 5}, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(transpose_matches_naive_reference)
{
    struct {
        int ndim;
        int64_t d[5];
        int64_t perm[5];
    } cases[] = {
        {4, {2, 3, 4, 5}, {0, 2, 3, 1}}, {4, {2, 3, 4, 5}, {0, 3, 1, 2}},
        {4, {2, 3, 4, 5}, {3, 2, 1, 0}}, {4, {1, 64, 37, 45}, {0, 2, 3, 1}},
        {4, {1, 37, 45, 64}, {0, 3, 1, 2}}, {3, {3, 1, 4}, {1, 0, 2}},
        {2, {70, 33}, {1, 0}},           {5, {2, 3, 4, 5, 6}, {4, 0, 3, 1, 2}},
        {1, {7}, {0}},                   {3, {2, 0, 3}, {2, 1, 0}},
        /* planes narrower than a tile: a detector head's boxes, and uneven tiles */
        {4, {1, 12, 30, 40}, {0, 2, 3, 1}}, {4, {2, 5, 7, 9}, {0, 2, 3, 1}},
    };
    fc_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fc_shape s = fc_shape_make(cases[c].ndim, cases[c].d);
        int64_t n = fc_shape_numel(&s);
        int perm[5];
        float *x = malloc((size_t)(n + 1) * sizeof *x), *want = malloc((size_t)(n + 1) * sizeof *x);
        CHECK(x && want);
        fc_test_fill_random(x, n, (unsigned)c, -1, 1);
        for (int k = 0; k < cases[c].ndim; k++)
            perm[k] = (int)cases[c].perm[k];
        naive_transpose(x, &s, perm, want);
        fc_tensor xt = {FC_DT_FLOAT, s, x}, y;
        fc_attr a = attr_ints("perm", cases[c].perm, (size_t)cases[c].ndim);
        fc_status rc = run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&xt}, 1, &y, &err);
        int same = !rc && f32_equal(&y, want, n);
        if (!rc)
            fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        free(x);
        free(want);
        CHECK_OK(rc, &err);
        CHECK_MSG(same, "case %zu differs from the reference", c);
    }
    return FC_TEST_PASS;
}

TEST(transpose_int64_narrow_plane)
{
    enum { N = 3 * 70 * 6 };
    int64_t xd[N], perm[] = {0, 2, 1};
    float xf[N], want[N];
    int iperm[] = {0, 2, 1};
    for (int i = 0; i < N; i++)
        xd[i] = (int64_t)i * 1000003, xf[i] = (float)i;
    fc_tensor x = fc_test_tensor_i64(3, (int64_t[]){3, 6, 70}, xd), y;
    fc_shape xs = x.shape;
    naive_transpose(xf, &xs, iperm, want); /* indices, exact in float */
    fc_attr a = attr_ints("perm", perm, 3);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    int same = shape_is(&y, 3, (int64_t[]){3, 70, 6});
    for (int i = 0; same && i < N; i++)
        same = ((int64_t *)y.data)[i] == (int64_t)want[i] * 1000003;
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(same);
    return FC_TEST_PASS;
}

TEST(transpose_errors)
{
    float xd[6] = {0};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    int64_t dup[] = {0, 0}, short_perm[] = {0}, out_of_range[] = {0, 2}, nine[9] = {0};
    fc_error err = {0};
    fc_attr a = attr_ints("perm", dup, 2);
    CHECK(run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    a = attr_ints("perm", short_perm, 1);
    CHECK(run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    a = attr_ints("perm", out_of_range, 2);
    CHECK(run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    a = attr_ints("perm", nine, 9);
    CHECK(run(&fc_op_transpose, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}

/* ---- Concat ----------------------------------------------------------------------- */

TEST(concat_float_axes)
{
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    fc_tensor ta = fc_test_tensor(2, (int64_t[]){2, 2}, a), tb = fc_test_tensor(2, (int64_t[]){2, 1}, b);
    fc_tensor tc = fc_test_tensor(2, (int64_t[]){1, 2}, b), y;
    fc_attr ax = attr_int("axis", -1);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &tb}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 3}) && f32_equal(&y, (float[]){1, 2, 5, 3, 4, 6}, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    ax.i = 0;
    CHECK_OK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &tc, &ta}, 3, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){5, 2}));
    CHECK(f32_equal(&y, (float[]){1, 2, 3, 4, 5, 6, 1, 2, 3, 4}, 10));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(concat_int64_shape_vectors)
{
    int64_t a[2] = {1, 3}, b[1] = {-1}, e[1] = {0};
    fc_tensor ta = fc_test_tensor_i64(1, (int64_t[]){2}, a), tb = fc_test_tensor_i64(1, (int64_t[]){1}, b);
    fc_tensor te = fc_test_tensor_i64(1, (int64_t[]){0}, e), y;
    fc_attr ax = attr_int("axis", 0);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_concat, &ax, 1, 4, (fc_tensor *[]){&ta, &te, &tb}, 3, &y, &err), &err);
    CHECK(i64_equal(&y, (int64_t[]){1, 3, -1}, 3));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(concat_errors)
{
    float a[6] = {0};
    int64_t ia[2] = {0};
    fc_tensor ta = fc_test_tensor(2, (int64_t[]){2, 3}, a), tb = fc_test_tensor(2, (int64_t[]){3, 2}, a);
    fc_tensor ti = fc_test_tensor_i64(2, (int64_t[]){2, 1}, ia), t3 = fc_test_tensor(3, (int64_t[]){2, 3, 1}, a), y;
    fc_attr ax = attr_int("axis", 1);
    fc_error err = {0};
    CHECK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &tb}, 2, &y, &err) == FC_ERR_SHAPE);
    CHECK(strstr(err.msg, "[2,3]") && strstr(err.msg, "[3,2]"));
    CHECK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &ti}, 2, &y, &err) == FC_ERR_SHAPE);
    CHECK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &t3}, 2, &y, &err) == FC_ERR_SHAPE);
    ax.i = 2;
    CHECK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &ta}, 2, &y, &err) == FC_ERR_SHAPE);
    return FC_TEST_PASS;
}

/* ---- Split ------------------------------------------------------------------------ */

/* Splits x (2, 6) = 0..11 on axis 1 into parts of the given widths and checks them. */
static int check_split(const fc_attr *at, int n_at, int opset, fc_tensor *split, int n,
                       const int64_t *widths)
{
    float xd[12];
    iota(xd, 12);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 6}, xd), ys[4], *outs[4];
    fc_error err = {0};
    for (int i = 0; i < n; i++)
        outs[i] = &ys[i];
    fc_status rc = fc_test_run_op(&fc_op_split, at, n_at, opset, (fc_tensor *[]){&x, split},
                                  split ? 2 : 1, outs, n, &err);
    CHECK_OK(rc, &err);
    int ok = 1;
    for (int i = 0, col = 0; i < n; col += (int)widths[i], i++) {
        ok = ok && shape_is(&ys[i], 2, (int64_t[]){2, widths[i]});
        for (int r = 0; ok && r < 2; r++)
            for (int c = 0; c < widths[i]; c++)
                ok = ok && ((float *)ys[i].data)[r * widths[i] + c] == xd[r * 6 + col + c];
    }
    fc_test_free_outputs(outs, n);
    CHECK(ok);
    return FC_TEST_PASS;
}

TEST(split_sizes_and_equal_parts)
{
    int64_t w123[] = {1, 2, 3}, w222[] = {2, 2, 2}, w402[] = {4, 0, 2};
    fc_attr at[2] = {attr_int("axis", 1), attr_ints("split", w123, 3)};
    CHECK(check_split(at, 2, 11, NULL, 3, w123) == FC_TEST_PASS);
    CHECK(check_split(at, 1, 11, NULL, 3, w222) == FC_TEST_PASS);
    at[0].i = -1;
    fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){3}, w402);
    CHECK(check_split(at, 1, 13, &s, 3, w402) == FC_TEST_PASS);
    CHECK(check_split(at, 1, 13, NULL, 3, w222) == FC_TEST_PASS);
    return FC_TEST_PASS;
}

TEST(split_errors)
{
    float xd[10] = {0};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){5, 2}, xd), ys[3];
    fc_tensor *outs[3] = {&ys[0], &ys[1], &ys[2]};
    int64_t bad_sum[] = {2, 2}, neg[] = {6, -1}, three[] = {1, 1, 3};
    fc_error err = {0};
    /* 5 rows in 2 equal parts */
    CHECK(fc_test_run_op(&fc_op_split, NULL, 0, 13, (fc_tensor *[]){&x}, 1, outs, 2, &err) ==
          FC_ERR_SHAPE);
    fc_attr a = attr_ints("split", bad_sum, 2);
    CHECK(fc_test_run_op(&fc_op_split, &a, 1, 11, (fc_tensor *[]){&x}, 1, outs, 2, &err) ==
          FC_ERR_SHAPE);
    a = attr_ints("split", neg, 2);
    CHECK(fc_test_run_op(&fc_op_split, &a, 1, 11, (fc_tensor *[]){&x}, 1, outs, 2, &err) ==
          FC_ERR_SHAPE);
    a = attr_ints("split", three, 3);
    CHECK(fc_test_run_op(&fc_op_split, &a, 1, 11, (fc_tensor *[]){&x}, 1, outs, 2, &err) ==
          FC_ERR_SHAPE);
    fc_tensor runtime = fc_test_tensor_i64(1, (int64_t[]){2}, NULL);
    CHECK(fc_test_run_op(&fc_op_split, NULL, 0, 13, (fc_tensor *[]){&x, &runtime}, 2, outs, 2,
                         &err) == FC_ERR_UNSUPPORTED);
    fc_attr ax = attr_int("axis", 2);
    CHECK(fc_test_run_op(&fc_op_split, &ax, 1, 13, (fc_tensor *[]){&x}, 1, outs, 1, &err) ==
          FC_ERR_SHAPE);
    return FC_TEST_PASS;
}

/* ---- Slice ------------------------------------------------------------------------ */

#define I64_MAX INT64_MAX
#define I64_MIN INT64_MIN

TEST(slice_clamping_on_a_vector)
{
    /* x = 0..9; expected values as ONNX Runtime computes them */
    struct {
        int64_t start, end, step;
        int n;
        float want[10];
    } cases[] = {
        {2, 7, 1, 5, {2, 3, 4, 5, 6}},
        {-3, I64_MAX, 1, 3, {7, 8, 9}},
        {8, 1, -2, 4, {8, 6, 4, 2}},
        {-1, I64_MIN, -1, 10, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
        {1, I64_MAX, -1, 2, {1, 0}}, /* ONNX Runtime: INT64_MAX is "to the end" */
        {20, 30, 1, 0, {0}},
        {-20, 3, 1, 3, {0, 1, 2}},
        {9, -20, -3, 4, {9, 6, 3, 0}},
        {0, 10, I64_MAX, 1, {0}},
        {9, -11, I64_MIN, 1, {9}},
        {5, 5, 1, 0, {0}},
        {I64_MAX, I64_MIN, -4, 3, {9, 5, 1}},
        {I64_MIN, I64_MAX, 4, 3, {0, 4, 8}},
        {3, 8, -1, 0, {0}},
    };
    float xd[10];
    iota(xd, 10);
    fc_tensor x = fc_test_tensor(1, (int64_t[]){10}, xd), y;
    fc_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_tensor st = fc_test_tensor_i64(1, (int64_t[]){1}, &cases[i].start);
        fc_tensor en = fc_test_tensor_i64(1, (int64_t[]){1}, &cases[i].end);
        fc_tensor sp = fc_test_tensor_i64(1, (int64_t[]){1}, &cases[i].step);
        fc_status rc = run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &st, &en, NULL, &sp}, 5,
                           &y, &err);
        CHECK_MSG(rc == FC_OK, "case %zu: %s", i, err.msg);
        int same = shape_is(&y, 1, (int64_t[]){cases[i].n}) && f32_equal(&y, cases[i].want, cases[i].n);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(same, "case %zu", i);
    }
    return FC_TEST_PASS;
}

TEST(slice_axes_and_steps_2d)
{
    float xd[12];
    iota(xd, 12);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){3, 4}, xd), y;
    int64_t st[] = {3, 0}, en[] = {0, 3}, ax[] = {-1, 0}, sp[] = {-1, 2};
    fc_tensor t_st = fc_test_tensor_i64(1, (int64_t[]){2}, st), t_en = fc_test_tensor_i64(1, (int64_t[]){2}, en);
    fc_tensor t_ax = fc_test_tensor_i64(1, (int64_t[]){2}, ax), t_sp = fc_test_tensor_i64(1, (int64_t[]){2}, sp);
    fc_error err = {0};
    /* rows 0, 2; columns 3, 2, 1 */
    CHECK_OK(run(&fc_op_slice, NULL, 0, 10, (fc_tensor *[]){&x, &t_st, &t_en, &t_ax, &t_sp}, 5,
                 &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 3}) && f32_equal(&y, (float[]){3, 2, 1, 11, 10, 9}, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* without axes and steps: starts/ends apply to axes 0, 1 */
    int64_t st2[] = {1, -3}, en2[] = {I64_MAX, -1};
    fc_tensor s2 = fc_test_tensor_i64(1, (int64_t[]){2}, st2), e2 = fc_test_tensor_i64(1, (int64_t[]){2}, en2);
    CHECK_OK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &s2, &e2}, 3, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 2}) && f32_equal(&y, (float[]){5, 6, 9, 10}, 4));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(slice_opset9_attributes)
{
    float xd[12];
    iota(xd, 12);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){3, 4}, xd), y;
    int64_t st[] = {1, 0}, en[] = {1000, 2}, ax[] = {0, -1};
    fc_attr at[3] = {attr_ints("starts", st, 2), attr_ints("ends", en, 2), attr_ints("axes", ax, 2)};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_slice, at, 3, 9, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 2}) && f32_equal(&y, (float[]){4, 5, 8, 9}, 4));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_slice, at, 2, 9, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){2, 2}) && f32_equal(&y, (float[]){4, 5, 8, 9}, 4));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(run(&fc_op_slice, at, 1, 9, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

TEST(slice_int64_shape_tensor)
{
    int64_t shape[] = {1, 3, 112, 112}, st = -2, en = I64_MAX;
    fc_tensor x = fc_test_tensor_i64(1, (int64_t[]){4}, shape), y;
    fc_tensor t_st = fc_test_tensor_i64(1, (int64_t[]){1}, &st), t_en = fc_test_tensor_i64(1, (int64_t[]){1}, &en);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &t_st, &t_en}, 3, &y, &err), &err);
    CHECK(i64_equal(&y, (int64_t[]){112, 112}, 2));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(slice_errors)
{
    float xd[12] = {0};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){3, 4}, xd), y;
    int64_t zero = 0, one = 1, two[] = {0, 0}, rep[] = {1, -1}, far = 2;
    fc_tensor t0 = fc_test_tensor_i64(1, (int64_t[]){1}, &zero), t1 = fc_test_tensor_i64(1, (int64_t[]){1}, &one);
    fc_tensor t2 = fc_test_tensor_i64(1, (int64_t[]){2}, two), trep = fc_test_tensor_i64(1, (int64_t[]){2}, rep);
    fc_tensor tfar = fc_test_tensor_i64(1, (int64_t[]){1}, &far), rt = fc_test_tensor_i64(1, (int64_t[]){1}, NULL);
    fc_error err = {0};
    /* step 0 */
    CHECK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &t0, &t1, NULL, &t0}, 5, &y, &err) ==
          FC_ERR_SHAPE);
    /* ends has a different length */
    CHECK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &t0, &t2}, 3, &y, &err) == FC_ERR_SHAPE);
    /* axis 1 twice, axis 2 out of range */
    CHECK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &t2, &t2, &trep}, 4, &y, &err) ==
          FC_ERR_SHAPE);
    CHECK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &t0, &t1, &tfar}, 4, &y, &err) ==
          FC_ERR_SHAPE);
    /* starts known only at run time */
    CHECK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&x, &rt, &t1}, 3, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "constant"));
    return FC_TEST_PASS;
}

/* ---- Concat, Split and Slice on the last axis ----------------------------------------- */

enum { LAST_AXIS_ROWS = 37, LAST_AXIS_MAX_W = 8 };

/* Element i of a test tensor of dtype dt, as bytes at p. */
static void put_elem(fc_dtype dt, unsigned char *p, int64_t i, int64_t salt)
{
    if (dt == FC_DT_FLOAT) {
        float v = (float)(i * 10 + salt) + 0.25f;
        memcpy(p + 4 * i, &v, 4);
    } else {
        int64_t v = -(i * 1000003 + salt);
        memcpy(p + 8 * i, &v, 8);
    }
}

/* 1 if t has shape (1, rows, w), dtype dt and the bytes want. */
static int bytes_are(const fc_tensor *t, fc_dtype dt, int64_t w, const unsigned char *want)
{
    return t->dtype == dt && shape_is(t, 3, (int64_t[]){1, LAST_AXIS_ROWS, w}) &&
           memcmp(t->data, want, (size_t)(LAST_AXIS_ROWS * w) * fc_dtype_size(dt)) == 0;
}

/* Concat of a (1, rows, wa) and b (1, rows, wb) on the last axis, Split of the result
 * back into a and b, and Slice of each part out of it: rows of 1 to 4 elements take
 * the fixed-size row copies, longer ones the general copy. */
static int check_last_axis(fc_dtype dt, int64_t wa, int64_t wb)
{
    enum { R = LAST_AXIS_ROWS, W = LAST_AXIS_MAX_W };
    static unsigned char a[R * W * 8], b[R * W * 8], ab[R * 2 * W * 8];
    size_t es = fc_dtype_size(dt);
    int64_t w = wa + wb, end = INT64_MAX, last = -1;
    for (int64_t r = 0; r < R; r++) {
        for (int64_t j = 0; j < wa; j++) {
            put_elem(dt, a, r * wa + j, 1);
            memcpy(ab + (r * w + j) * es, a + (r * wa + j) * es, es);
        }
        for (int64_t j = 0; j < wb; j++) {
            put_elem(dt, b, r * wb + j, 2);
            memcpy(ab + (r * w + wa + j) * es, b + (r * wb + j) * es, es);
        }
    }
    fc_tensor ta = {dt, fc_shape_make(3, (int64_t[]){1, R, wa}), a};
    fc_tensor tb = {dt, fc_shape_make(3, (int64_t[]){1, R, wb}), b}, y, parts[2];
    fc_attr ax = attr_int("axis", -1);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_concat, &ax, 1, 13, (fc_tensor *[]){&ta, &tb}, 2, &y, &err), &err);
    int ok = bytes_are(&y, dt, w, ab);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_MSG(ok, "concat of widths %lld and %lld", (long long)wa, (long long)wb);

    fc_tensor tab = {dt, fc_shape_make(3, (int64_t[]){1, R, w}), ab};
    fc_tensor sizes = fc_test_tensor_i64(1, (int64_t[]){2}, (int64_t[]){wa, wb});
    fc_tensor *outs[2] = {&parts[0], &parts[1]};
    CHECK_OK(fc_test_run_op(&fc_op_split, &ax, 1, 13, (fc_tensor *[]){&tab, &sizes}, 2, outs,
                            2, &err), &err);
    ok = bytes_are(&parts[0], dt, wa, a) && bytes_are(&parts[1], dt, wb, b);
    fc_test_free_outputs(outs, 2);
    CHECK_MSG(ok, "split into widths %lld and %lld", (long long)wa, (long long)wb);

    fc_tensor t0 = fc_test_tensor_i64(1, (int64_t[]){1}, (int64_t[]){0});
    fc_tensor twa = fc_test_tensor_i64(1, (int64_t[]){1}, &wa);
    fc_tensor tend = fc_test_tensor_i64(1, (int64_t[]){1}, &end);
    fc_tensor tax = fc_test_tensor_i64(1, (int64_t[]){1}, &last);
    CHECK_OK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&tab, &t0, &twa, &tax}, 4, &y, &err),
             &err);
    ok = bytes_are(&y, dt, wa, a);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_MSG(ok, "slice [0, %lld) of width %lld", (long long)wa, (long long)w);
    CHECK_OK(run(&fc_op_slice, NULL, 0, 13, (fc_tensor *[]){&tab, &twa, &tend, &tax}, 4, &y,
                 &err), &err);
    ok = bytes_are(&y, dt, wb, b);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_MSG(ok, "slice [%lld, end) of width %lld", (long long)wa, (long long)w);
    return FC_TEST_PASS;
}

TEST(layout_last_axis_short_rows)
{
    const fc_dtype dts[] = {FC_DT_FLOAT, FC_DT_INT64};
    const int64_t widths[] = {1, 2, 3, 5};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                CHECK_MSG(check_last_axis(dts[d], widths[i], widths[j]) == FC_TEST_PASS,
                          "%s, widths %lld and %lld", fc_dtype_name(dts[d]),
                          (long long)widths[i], (long long)widths[j]);
    return FC_TEST_PASS;
}

/* ---- Gather ----------------------------------------------------------------------- */

TEST(gather_axes_and_index_ranks)
{
    float xd[6];
    iota(xd, 6);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    int64_t idx2[] = {2, -3, 1, 1};
    fc_tensor ix = fc_test_tensor_i64(2, (int64_t[]){2, 2}, idx2);
    fc_attr ax = attr_int("axis", 1);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_gather, &ax, 1, 13, (fc_tensor *[]){&x, &ix}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){2, 2, 2}));
    CHECK(f32_equal(&y, (float[]){2, 0, 1, 1, 5, 3, 4, 4}, 8));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    int64_t last = -1;
    fc_tensor scalar = fc_test_tensor_i64(0, NULL, &last);
    CHECK_OK(run(&fc_op_gather, NULL, 0, 13, (fc_tensor *[]){&x, &scalar}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){3}) && f32_equal(&y, (float[]){3, 4, 5}, 3));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(gather_int64_shape_element)
{
    int64_t shape[] = {1, 3, 224, 224}, two = 2;
    fc_tensor x = fc_test_tensor_i64(1, (int64_t[]){4}, shape), y;
    fc_tensor i = fc_test_tensor_i64(0, NULL, &two);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_gather, NULL, 0, 13, (fc_tensor *[]){&x, &i}, 2, &y, &err), &err);
    CHECK(y.shape.ndim == 0 && i64_equal(&y, (int64_t[]){224}, 1));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(gather_errors)
{
    float xd[6] = {0}, fi = 0;
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    int64_t bad[] = {0, 3}, neg = -4;
    fc_tensor ib = fc_test_tensor_i64(1, (int64_t[]){2}, bad), in = fc_test_tensor_i64(0, NULL, &neg);
    fc_tensor ifl = fc_test_tensor(0, NULL, &fi);
    fc_attr ax = attr_int("axis", 1);
    fc_error err = {0};
    /* out of range at run time: the kernel refuses before reading anything */
    CHECK(run(&fc_op_gather, &ax, 1, 13, (fc_tensor *[]){&x, &ib}, 2, &y, &err) == FC_ERR_ARG);
    CHECK(run(&fc_op_gather, &ax, 1, 13, (fc_tensor *[]){&x, &in}, 2, &y, &err) == FC_ERR_ARG);
    CHECK(run(&fc_op_gather, &ax, 1, 13, (fc_tensor *[]){&x, &ifl}, 2, &y, &err) == FC_ERR_SHAPE);
    ax.i = 2;
    CHECK(run(&fc_op_gather, &ax, 1, 13, (fc_tensor *[]){&x, &in}, 2, &y, &err) == FC_ERR_SHAPE);
    return FC_TEST_PASS;
}
