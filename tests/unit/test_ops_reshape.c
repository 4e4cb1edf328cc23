/* test_ops_reshape.c - Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Shape,
 * Constant and ConstantOfShape: shapes, opset variants and errors. Semantics were
 * checked against ONNX Runtime 1.30. */
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

/* Runs op with one output. */
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

static int i64_equal(const fc_tensor *t, const int64_t *want, int64_t n)
{
    return t->dtype == FC_DT_INT64 && fc_shape_numel(&t->shape) == n &&
           (n == 0 || memcmp(t->data, want, (size_t)n * sizeof *want) == 0);
}

static void iota(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)i;
}

/* ---- the table rows --------------------------------------------------------------- */

TEST(reshape_ops_table_rows)
{
    const fc_op_def *alias[] = {&fc_op_reshape, &fc_op_flatten, &fc_op_squeeze,
                                &fc_op_unsqueeze, &fc_op_identity, &fc_op_dropout};
    const fc_op_def *kernels[] = {&fc_op_shape, &fc_op_constant, &fc_op_constant_of_shape};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        CHECK(alias[i]->alias == 1 && alias[i]->ref == NULL && alias[i]->shape);
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        CHECK(kernels[i]->alias == 0 && kernels[i]->ref && kernels[i]->shape);
    CHECK(fc_op_dropout.max_outputs == 1);
    CHECK(fc_op_shape.shape_only == 1 && fc_op_constant_of_shape.shape_only == 0);
    return FC_TEST_PASS;
}

/* ---- Reshape ---------------------------------------------------------------------- */

TEST(reshape_copies_zero_and_infers_minus_one)
{
    float xd[24];
    iota(xd, 24);
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 3, 4}, xd), y;
    int64_t sd[][3] = {{0, -1}, {-1}, {3, -1, 4}, {0, 0, 0}};
    int sn[] = {2, 1, 3, 3};
    int64_t want[][3] = {{2, 12}, {24}, {3, 2, 4}, {2, 3, 4}};
    fc_error err = {0};
    for (int i = 0; i < 4; i++) {
        fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){sn[i]}, sd[i]);
        CHECK_OK(run(&fc_op_reshape, NULL, 0, 13, (fc_tensor *[]){&x, &s}, 2, &y, &err), &err);
        CHECK(shape_is(&y, sn[i], want[i]) && y.dtype == FC_DT_FLOAT);
        CHECK(memcmp(y.data, xd, sizeof xd) == 0);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    }
    return FC_TEST_PASS;
}

TEST(reshape_allowzero)
{
    float none[1] = {0};
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 0, 3}, none), y;
    int64_t sd[] = {0, 3};
    fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){2}, sd);
    fc_attr az = attr_int("allowzero", 1);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_reshape, &az, 1, 14, (fc_tensor *[]){&x, &s}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){0, 3}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* without allowzero the 0 copies dim 0 (2): 6 elements from 0 */
    CHECK(run(&fc_op_reshape, NULL, 0, 14, (fc_tensor *[]){&x, &s}, 2, &y, &err) == FC_ERR_SHAPE);
    /* allowzero with a 0 and a -1 cannot infer */
    int64_t bad[] = {0, -1};
    fc_tensor sb = fc_test_tensor_i64(1, (int64_t[]){2}, bad);
    float xd[6] = {0};
    fc_tensor x6 = fc_test_tensor(2, (int64_t[]){2, 3}, xd);
    CHECK(run(&fc_op_reshape, &az, 1, 14, (fc_tensor *[]){&x6, &sb}, 2, &y, &err) == FC_ERR_SHAPE);
    az.i = 2;
    CHECK(run(&fc_op_reshape, &az, 1, 14, (fc_tensor *[]){&x6, &s}, 2, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

TEST(reshape_errors)
{
    float xd[24] = {0};
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 3, 4}, xd), y;
    struct {
        int n;
        int64_t d[9];
        fc_status want;
    } cases[] = {
        {2, {-1, -1}, FC_ERR_SHAPE},             /* two unknowns */
        {2, {5, -1}, FC_ERR_SHAPE},              /* 24 is not a multiple of 5 */
        {2, {4, 5}, FC_ERR_SHAPE},               /* 20 != 24 */
        {2, {-2, 12}, FC_ERR_SHAPE},             /* negative dim */
        {4, {0, 0, 0, 0}, FC_ERR_SHAPE},         /* 0 beyond the input rank */
        {3, {1ll << 40, 1ll << 40, 1ll << 40}, FC_ERR_LIMIT},
        {9, {1, 1, 1, 1, 1, 1, 1, 1, 24}, FC_ERR_UNSUPPORTED},
    };
    fc_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){cases[i].n}, cases[i].d);
        fc_status rc = run(&fc_op_reshape, NULL, 0, 13, (fc_tensor *[]){&x, &s}, 2, &y, &err);
        CHECK_MSG(rc == cases[i].want, "case %zu: %s (%s)", i, fc_strerror(rc), err.msg);
    }
    fc_tensor runtime = fc_test_tensor_i64(1, (int64_t[]){2}, NULL);
    CHECK(run(&fc_op_reshape, NULL, 0, 13, (fc_tensor *[]){&x, &runtime}, 2, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "must be constant"));
    float f[2] = {2, 12};
    fc_tensor fs = fc_test_tensor(1, (int64_t[]){2}, f);
    CHECK(run(&fc_op_reshape, NULL, 0, 13, (fc_tensor *[]){&x, &fs}, 2, &y, &err) == FC_ERR_SHAPE);
    return FC_TEST_PASS;
}

/* ---- Flatten ---------------------------------------------------------------------- */

TEST(flatten_axes)
{
    float xd[24] = {0};
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 3, 4}, xd), y;
    int64_t axes[] = {0, 1, 2, 3, -1, -3};
    int64_t want[][2] = {{1, 24}, {2, 12}, {6, 4}, {24, 1}, {6, 4}, {1, 24}};
    fc_error err = {0};
    for (int i = 0; i < 6; i++) {
        fc_attr a = attr_int("axis", axes[i]);
        CHECK_OK(run(&fc_op_flatten, &a, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err), &err);
        CHECK(shape_is(&y, 2, want[i]));
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    }
    fc_attr bad = attr_int("axis", 4);
    CHECK(run(&fc_op_flatten, &bad, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    bad.i = -4;
    CHECK(run(&fc_op_flatten, &bad, 1, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    fc_tensor scalar = fc_test_tensor(0, NULL, xd);
    CHECK(run(&fc_op_flatten, NULL, 0, 13, (fc_tensor *[]){&scalar}, 1, &y, &err) == FC_ERR_SHAPE);
    fc_attr zero = attr_int("axis", 0);
    CHECK_OK(run(&fc_op_flatten, &zero, 1, 13, (fc_tensor *[]){&scalar}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){1, 1}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------- */

TEST(squeeze_attribute_and_input)
{
    float xd[6] = {0};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 3, 1, 2}, xd), y;
    int64_t ax[] = {0, -2};
    fc_attr a = attr_ints("axes", ax, 2);
    fc_tensor axes = fc_test_tensor_i64(1, (int64_t[]){2}, ax);
    fc_error err = {0};
    CHECK_OK(run(&fc_op_squeeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){3, 2}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_squeeze, NULL, 0, 13, (fc_tensor *[]){&x, &axes}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){3, 2}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* no axes: every 1-dim goes (opset 11 without the attribute, 13 without input 1) */
    CHECK_OK(run(&fc_op_squeeze, NULL, 0, 11, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){3, 2}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_squeeze, NULL, 0, 13, (fc_tensor *[]){&x, NULL}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){3, 2}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    int64_t one[] = {2};
    fc_attr a1 = attr_ints("axes", one, 1);
    CHECK_OK(run(&fc_op_squeeze, &a1, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){1, 3, 2}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(squeeze_errors)
{
    float xd[6] = {0};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 3, 1, 2}, xd), y;
    int64_t bad_dim[] = {1}, bad_axis[] = {4};
    fc_attr a = attr_ints("axes", bad_dim, 1);
    fc_error err = {0};
    CHECK(run(&fc_op_squeeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    CHECK(strstr(err.msg, "[1,3,1,2]"));
    a.ints = bad_axis;
    CHECK(run(&fc_op_squeeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    fc_tensor runtime = fc_test_tensor_i64(1, (int64_t[]){1}, NULL);
    CHECK(run(&fc_op_squeeze, NULL, 0, 13, (fc_tensor *[]){&x, &runtime}, 2, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}

TEST(unsqueeze_attribute_and_input)
{
    float xd[6] = {0};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    struct {
        int n;
        int64_t axes[3];
        int ndim;
        int64_t want[5];
    } cases[] = {
        {1, {0}, 3, {1, 2, 3}},
        {2, {0, 3}, 4, {1, 2, 3, 1}},
        {1, {-1}, 3, {2, 3, 1}},
        {2, {1, -1}, 4, {2, 1, 3, 1}},
        {3, {4, 0, 2}, 5, {1, 2, 1, 3, 1}},
    };
    fc_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_attr a = attr_ints("axes", cases[i].axes, (size_t)cases[i].n);
        CHECK_OK(run(&fc_op_unsqueeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err), &err);
        CHECK_MSG(shape_is(&y, cases[i].ndim, cases[i].want), "case %zu", i);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        fc_tensor axes = fc_test_tensor_i64(1, (int64_t[]){cases[i].n}, cases[i].axes);
        CHECK_OK(run(&fc_op_unsqueeze, NULL, 0, 13, (fc_tensor *[]){&x, &axes}, 2, &y, &err), &err);
        CHECK_MSG(shape_is(&y, cases[i].ndim, cases[i].want), "case %zu", i);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    }
    int64_t sd[] = {3}, zero[] = {0};
    fc_tensor scalar = fc_test_tensor_i64(0, NULL, sd), ax0 = fc_test_tensor_i64(1, (int64_t[]){1}, zero);
    CHECK_OK(run(&fc_op_unsqueeze, NULL, 0, 13, (fc_tensor *[]){&scalar, &ax0}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){1}) && i64_equal(&y, sd, 1));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(unsqueeze_errors)
{
    float xd[6] = {0};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    int64_t out_of_range[] = {4}, repeated[] = {1, 1}, too_negative[] = {-5};
    fc_error err = {0};
    fc_attr a = attr_ints("axes", out_of_range, 1);
    CHECK(run(&fc_op_unsqueeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    a = attr_ints("axes", repeated, 2);
    CHECK(run(&fc_op_unsqueeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    a = attr_ints("axes", too_negative, 1);
    CHECK(run(&fc_op_unsqueeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_SHAPE);
    CHECK(run(&fc_op_unsqueeze, NULL, 0, 11, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_unsqueeze, NULL, 0, 13, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_FORMAT);
    int64_t many[7] = {0, 1, 2, 3, 4, 5, 6};
    a = attr_ints("axes", many, 7);
    CHECK(run(&fc_op_unsqueeze, &a, 1, 11, (fc_tensor *[]){&x}, 1, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}

/* ---- Identity / Dropout ----------------------------------------------------------- */

TEST(identity_and_dropout)
{
    int64_t xd[3] = {4, 5, 6}, off = 0, on = 1;
    fc_tensor x = fc_test_tensor_i64(1, (int64_t[]){3}, xd), y;
    fc_error err = {0};
    CHECK_OK(run(&fc_op_identity, NULL, 0, 13, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(i64_equal(&y, xd, 3));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_dropout, NULL, 0, 7, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(i64_equal(&y, xd, 3));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    fc_tensor t_off = fc_test_tensor_i64(0, NULL, &off), t_on = fc_test_tensor_i64(0, NULL, &on);
    CHECK_OK(run(&fc_op_dropout, NULL, 0, 13, (fc_tensor *[]){&x, NULL, &t_off}, 3, &y, &err),
             &err);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK(run(&fc_op_dropout, NULL, 0, 13, (fc_tensor *[]){&x, NULL, &t_on}, 3, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    return FC_TEST_PASS;
}

/* ---- Shape ------------------------------------------------------------------------ */

TEST(shape_of_runtime_input)
{
    /* the input is an activation: its data is never read */
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 3, 4}, NULL), y;
    fc_error err = {0};
    CHECK_OK(run(&fc_op_shape, NULL, 0, 13, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){3}) && i64_equal(&y, (int64_t[]){2, 3, 4}, 3));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    fc_tensor scalar = fc_test_tensor(0, NULL, NULL);
    CHECK_OK(run(&fc_op_shape, NULL, 0, 13, (fc_tensor *[]){&scalar}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){0}));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(shape_start_end_opset15)
{
    fc_tensor x = fc_test_tensor(3, (int64_t[]){2, 3, 4}, NULL), y;
    struct {
        int n_at;
        int64_t start, end;
        int n;
        int64_t want[3];
    } cases[] = {
        /* n_at: 1 = start only, 2 = end only, 3 = both (results as ONNX Runtime) */
        {1, 1, 0, 2, {3, 4}},     {2, 0, -1, 2, {2, 3}}, {3, -2, 10, 2, {3, 4}},
        {1, 5, 0, 0, {0}},        {3, 2, 1, 0, {0}},     {1, -10, 0, 3, {2, 3, 4}},
        {1, INT64_MIN, 0, 3, {2, 3, 4}},
    };
    fc_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_attr at[2];
        int n = 0;
        if (cases[i].n_at & 1)
            at[n++] = attr_int("start", cases[i].start);
        if (cases[i].n_at & 2)
            at[n++] = attr_int("end", cases[i].end);
        CHECK_OK(run(&fc_op_shape, at, n, 15, (fc_tensor *[]){&x}, 1, &y, &err), &err);
        CHECK_MSG(i64_equal(&y, cases[i].want, cases[i].n), "case %zu", i);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    }
    return FC_TEST_PASS;
}

/* ---- Constant --------------------------------------------------------------------- */

TEST(constant_copies_its_tensor)
{
    float v[4] = {1, 2, 3, 4};
    fc_tensor t = fc_test_tensor(2, (int64_t[]){2, 2}, v), y = {0};
    fc_attr a = {.name = "value", .type = FC_ATTR_TENSOR, .t = &t};
    fc_attrs at = {&a, 1, 13, "c", "Constant"};
    void *params = NULL;
    fc_error err = {0};
    CHECK_OK(fc_op_constant.parse(&at, &params, &err), &err);
    memset(v, 0, sizeof v); /* the loader frees the attribute after parsing */
    float out[4] = {0};
    y.data = out;
    fc_status rc = fc_op_constant.shape(params, NULL, 0, (fc_tensor *[]){&y}, 1, &err);
    if (!rc)
        rc = fc_op_constant.ref(params, NULL, 0, (fc_tensor *[]){&y}, 1, NULL, &err);
    free(params);
    CHECK_OK(rc, &err);
    CHECK(y.dtype == FC_DT_FLOAT && shape_is(&y, 2, (int64_t[]){2, 2}));
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
    return FC_TEST_PASS;
}

TEST(constant_scalar_and_list_attributes)
{
    float floats[3] = {0.5f, 1.5f, 2.5f};
    int64_t ints[2] = {7, -8};
    fc_attr cases[] = {
        {.name = "value_float", .type = FC_ATTR_FLOAT, .f = 2.5f},
        {.name = "value_floats", .type = FC_ATTR_FLOATS, .floats = floats, .n = 3},
        {.name = "value_int", .type = FC_ATTR_INT, .i = 42},
        {.name = "value_ints", .type = FC_ATTR_INTS, .ints = ints, .n = 2},
    };
    fc_tensor y;
    fc_error err = {0};
    CHECK_OK(run(&fc_op_constant, &cases[0], 1, 13, NULL, 0, &y, &err), &err);
    CHECK(y.dtype == FC_DT_FLOAT && y.shape.ndim == 0 && *(float *)y.data == 2.5f);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_constant, &cases[1], 1, 13, NULL, 0, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){3}) && memcmp(y.data, floats, sizeof floats) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_constant, &cases[2], 1, 13, NULL, 0, &y, &err), &err);
    CHECK(y.shape.ndim == 0 && i64_equal(&y, (int64_t[]){42}, 1));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_constant, &cases[3], 1, 13, NULL, 0, &y, &err), &err);
    CHECK(shape_is(&y, 1, (int64_t[]){2}) && i64_equal(&y, ints, 2));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(constant_errors)
{
    fc_attr two[] = {
        {.name = "value_int", .type = FC_ATTR_INT, .i = 1},
        {.name = "value_float", .type = FC_ATTR_FLOAT, .f = 1},
    };
    fc_attr sparse = {.name = "sparse_value", .type = FC_ATTR_OTHER};
    fc_attr str = {.name = "value_string", .type = FC_ATTR_STRING, .s = "x"};
    fc_attr wrong = {.name = "value_int", .type = FC_ATTR_FLOAT, .f = 1};
    fc_tensor y;
    fc_error err = {0};
    CHECK(run(&fc_op_constant, NULL, 0, 13, NULL, 0, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_constant, two, 2, 13, NULL, 0, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_constant, &sparse, 1, 13, NULL, 0, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(&fc_op_constant, &str, 1, 13, NULL, 0, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(&fc_op_constant, &wrong, 1, 13, NULL, 0, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

/* ---- ConstantOfShape -------------------------------------------------------------- */

TEST(constant_of_shape_values)
{
    int64_t sd[] = {2, 3}, seven = 7;
    fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){2}, sd), y;
    fc_error err = {0};
    CHECK_OK(run(&fc_op_constant_of_shape, NULL, 0, 9, (fc_tensor *[]){&s}, 1, &y, &err), &err);
    CHECK(y.dtype == FC_DT_FLOAT && shape_is(&y, 2, sd));
    for (int i = 0; i < 6; i++)
        CHECK(((float *)y.data)[i] == 0.0f);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    fc_tensor v = fc_test_tensor_i64(1, (int64_t[]){1}, &seven);
    fc_attr a = {.name = "value", .type = FC_ATTR_TENSOR, .t = &v};
    CHECK_OK(run(&fc_op_constant_of_shape, &a, 1, 9, (fc_tensor *[]){&s}, 1, &y, &err), &err);
    CHECK(i64_equal(&y, (int64_t[]){7, 7, 7, 7, 7, 7}, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    fc_tensor empty = fc_test_tensor_i64(1, (int64_t[]){0}, sd);
    CHECK_OK(run(&fc_op_constant_of_shape, &a, 1, 9, (fc_tensor *[]){&empty}, 1, &y, &err), &err);
    CHECK(y.shape.ndim == 0 && i64_equal(&y, &seven, 1));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(constant_of_shape_errors)
{
    int64_t neg[] = {2, -3}, huge[] = {1ll << 20, 1ll << 20}, overflow[] = {1ll << 62, 1ll << 62};
    int64_t two[2] = {1, 2};
    fc_tensor y;
    fc_error err = {0};
    fc_tensor s = fc_test_tensor_i64(1, (int64_t[]){2}, neg);
    CHECK(run(&fc_op_constant_of_shape, NULL, 0, 9, (fc_tensor *[]){&s}, 1, &y, &err) ==
          FC_ERR_SHAPE);
    s.data = huge;
    CHECK(run(&fc_op_constant_of_shape, NULL, 0, 9, (fc_tensor *[]){&s}, 1, &y, &err) ==
          FC_ERR_LIMIT);
    s.data = overflow;
    CHECK(run(&fc_op_constant_of_shape, NULL, 0, 9, (fc_tensor *[]){&s}, 1, &y, &err) ==
          FC_ERR_SHAPE);
    s.data = NULL;
    CHECK(run(&fc_op_constant_of_shape, NULL, 0, 9, (fc_tensor *[]){&s}, 1, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    fc_tensor v = fc_test_tensor_i64(1, (int64_t[]){2}, two);
    fc_attr a = {.name = "value", .type = FC_ATTR_TENSOR, .t = &v};
    s.data = two;
    CHECK(run(&fc_op_constant_of_shape, &a, 1, 9, (fc_tensor *[]){&s}, 1, &y, &err) ==
          FC_ERR_FORMAT);
    return FC_TEST_PASS;
}
