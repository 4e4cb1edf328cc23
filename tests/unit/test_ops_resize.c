/* test_ops_resize.c - Resize (opsets 10, 11, 13), Upsample (7, 9) and Pad (2, 11, 13):
 * coordinate modes, nearest rounding, bilinear weights, reflect/edge/constant padding
 * with negative pads, and errors. Expected values come from ONNX Runtime 1.30. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <stdint.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------- */

static fc_attr attr_str(const char *name, const char *v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_STRING, .s = v};
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

/* Float output close to want (ONNX Runtime values printed with 7 digits). */
static int f32_near(const fc_tensor *t, const float *want, int64_t n)
{
    return t->dtype == FC_DT_FLOAT && fc_shape_numel(&t->shape) == n &&
           fc_test_max_abs_diff(t->data, want, n) <= 2e-6;
}

static void iota(float *x, int64_t n, float first)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = first + (float)i;
}

/* ---- Resize, opset 11 / 13 -------------------------------------------------------- */

/* x = [1, 2, 3, 4, 5] as (1, 1, 1, 5), resized on the last axis by 1.5 (-> 7) and
 * 0.6 (-> 3) with every coordinate mode and rounding; values from ONNX Runtime. */
static const struct {
    const char *coord, *mode;
    float scale;
    int n;
    float want[7];
} resize_table[] = {
    {"half_pixel", "round_prefer_floor", 1.5f, 7, {1, 1, 2, 3, 3, 4, 5}},
    {"half_pixel", "round_prefer_floor", 0.6f, 3, {1, 3, 5}},
    {"half_pixel", "round_prefer_ceil", 1.5f, 7, {1, 2, 2, 3, 4, 4, 5}},
    {"half_pixel", "round_prefer_ceil", 0.6f, 3, {1, 3, 5}},
    {"half_pixel", "floor", 1.5f, 7, {1, 1, 2, 2, 3, 4, 4}},
    {"half_pixel", "floor", 0.6f, 3, {1, 3, 4}},
    {"half_pixel", "ceil", 1.5f, 7, {1, 2, 3, 3, 4, 5, 5}},
    {"half_pixel", "ceil", 0.6f, 3, {2, 3, 5}},
    {"half_pixel", "linear", 1.5f, 7, {1, 1.5f, 2.166667f, 2.833333f, 3.5f, 4.166667f, 4.833333f}},
    {"half_pixel", "linear", 0.6f, 3, {1.333333f, 3, 4.666667f}},
    {"asymmetric", "round_prefer_floor", 1.5f, 7, {1, 2, 2, 3, 4, 4, 5}},
    {"asymmetric", "round_prefer_floor", 0.6f, 3, {1, 3, 4}},
    {"asymmetric", "round_prefer_ceil", 1.5f, 7, {1, 2, 2, 3, 4, 4, 5}},
    {"asymmetric", "round_prefer_ceil", 0.6f, 3, {1, 3, 4}},
    {"asymmetric", "floor", 1.5f, 7, {1, 1, 2, 3, 3, 4, 5}},
    {"asymmetric", "floor", 0.6f, 3, {1, 2, 4}},
    {"asymmetric", "ceil", 1.5f, 7, {1, 2, 3, 3, 4, 5, 5}},
    {"asymmetric", "ceil", 0.6f, 3, {1, 3, 5}},
    {"asymmetric", "linear", 1.5f, 7, {1, 1.666667f, 2.333333f, 3, 3.666667f, 4.333333f, 5}},
    {"asymmetric", "linear", 0.6f, 3, {1, 2.666667f, 4.333333f}},
    {"align_corners", "round_prefer_floor", 1.5f, 7, {1, 2, 2, 3, 4, 4, 5}},
    {"align_corners", "round_prefer_floor", 0.6f, 3, {1, 3, 5}},
    {"align_corners", "floor", 1.5f, 7, {1, 1, 2, 3, 3, 4, 5}},
    {"align_corners", "ceil", 1.5f, 7, {1, 2, 3, 3, 4, 5, 5}},
    {"align_corners", "linear", 1.5f, 7, {1, 1.666667f, 2.333333f, 3, 3.666667f, 4.333333f, 5}},
    {"align_corners", "linear", 0.6f, 3, {1, 3, 5}},
    {"pytorch_half_pixel", "round_prefer_floor", 1.5f, 7, {1, 1, 2, 3, 3, 4, 5}},
    {"pytorch_half_pixel", "floor", 0.6f, 3, {1, 3, 4}},
    {"pytorch_half_pixel", "ceil", 0.6f, 3, {2, 3, 5}},
    {"pytorch_half_pixel", "linear", 1.5f, 7, {1, 1.5f, 2.166667f, 2.833333f, 3.5f, 4.166667f, 4.833333f}},
    {"pytorch_half_pixel", "linear", 0.6f, 3, {1.333333f, 3, 4.666667f}},
};

TEST(resize_coordinate_and_nearest_modes)
{
    float xd[5];
    iota(xd, 5, 1);
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 1, 1, 5}, xd), y;
    fc_error err = {0};
    for (size_t i = 0; i < sizeof resize_table / sizeof resize_table[0]; i++) {
        int linear = strcmp(resize_table[i].mode, "linear") == 0;
        fc_attr at[3] = {attr_str("coordinate_transformation_mode", resize_table[i].coord),
                         attr_str("mode", linear ? "linear" : "nearest"),
                         attr_str("nearest_mode", resize_table[i].mode)};
        float sd[4] = {1, 1, 1, resize_table[i].scale};
        fc_tensor s = fc_test_tensor(1, (int64_t[]){4}, sd);
        for (int opset = 11; opset <= 13; opset += 2) {
            float roi_d[1];
            fc_tensor roi = fc_test_tensor(1, (int64_t[]){0}, roi_d);
            fc_status rc = opset == 11
                ? run(&fc_op_resize, at, linear ? 2 : 3, 11, (fc_tensor *[]){&x, &roi, &s}, 3, &y, &err)
                : run(&fc_op_resize, at, linear ? 2 : 3, 13, (fc_tensor *[]){&x, NULL, &s}, 3, &y, &err);
            CHECK_MSG(rc == FC_OK, "row %zu: %s", i, err.msg);
            int ok = shape_is(&y, 4, (int64_t[]){1, 1, 1, resize_table[i].n}) &&
                     f32_near(&y, resize_table[i].want, resize_table[i].n);
            fc_test_free_outputs((fc_tensor *[]){&y}, 1);
            CHECK_MSG(ok, "row %zu (%s, %s, %g), opset %d", i, resize_table[i].coord,
                      resize_table[i].mode, (double)resize_table[i].scale, opset);
        }
    }
    return FC_TEST_PASS;
}

TEST(resize_bilinear_2x2)
{
    float xd[4] = {1, 2, 3, 4}, sd[4] = {1, 1, 2, 2};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, xd), y;
    fc_tensor s = fc_test_tensor(1, (int64_t[]){4}, sd);
    fc_attr at[2] = {attr_str("mode", "linear"), attr_str("coordinate_transformation_mode", "half_pixel")};
    const float half_pixel[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                                  2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    const float corners[16] = {1, 1.333333f, 1.666667f, 2, 1.666667f, 2, 2.333333f, 2.666667f,
                               2.333333f, 2.666667f, 3, 3.333333f, 3, 3.333333f, 3.666667f, 4};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_resize, at, 2, 13, (fc_tensor *[]){&x, NULL, &s}, 3, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 1, 4, 4}) && f32_near(&y, half_pixel, 16));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    at[1].s = "align_corners";
    CHECK_OK(run(&fc_op_resize, at, 2, 13, (fc_tensor *[]){&x, NULL, &s}, 3, &y, &err), &err);
    CHECK(f32_near(&y, corners, 16));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(resize_sizes_input)
{
    float xd[12];
    iota(xd, 12, 0);
    int64_t sizes[4] = {1, 2, 3, 4};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 2, 2, 3}, xd), y;
    fc_tensor sz = fc_test_tensor_i64(1, (int64_t[]){4}, sizes);
    fc_attr at[2] = {attr_str("mode", "nearest"), attr_str("coordinate_transformation_mode", "asymmetric")};
    /* scales become 3/2 and 4/3: rows 0 1 1, columns 0 1 1 2 (ONNX Runtime) */
    const float want[24] = {0, 1, 1, 2, 3, 4, 4, 5, 3, 4, 4, 5,
                            6, 7, 7, 8, 9, 10, 10, 11, 9, 10, 10, 11};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_resize, at, 2, 13, (fc_tensor *[]){&x, NULL, NULL, &sz}, 4, &y, &err), &err);
    CHECK(shape_is(&y, 4, sizes) && f32_near(&y, want, 24));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    float empty_d[1];
    fc_tensor empty = fc_test_tensor(1, (int64_t[]){0}, empty_d);
    CHECK_OK(run(&fc_op_resize, at, 2, 11, (fc_tensor *[]){&x, &empty, &empty, &sz}, 4, &y, &err),
             &err);
    CHECK(f32_near(&y, want, 24));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(resize_same_shape_and_int64)
{
    /* ONNX Runtime copies the input when the output shape equals it, whatever the scale */
    float xd[7], sd[1] = {1.1f};
    iota(xd, 7, 0);
    fc_tensor x = fc_test_tensor(1, (int64_t[]){7}, xd), s = fc_test_tensor(1, (int64_t[]){1}, sd), y;
    fc_attr floor_mode[2] = {attr_str("coordinate_transformation_mode", "asymmetric"),
                             attr_str("nearest_mode", "floor")};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_resize, floor_mode, 2, 13, (fc_tensor *[]){&x, NULL, &s}, 3, &y, &err), &err);
    CHECK(f32_near(&y, xd, 7));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    int64_t xi[4] = {10, 20, 30, 40};
    float s2[2] = {1, 2};
    fc_tensor ti = fc_test_tensor_i64(2, (int64_t[]){2, 2}, xi), ts = fc_test_tensor(1, (int64_t[]){2}, s2);
    CHECK_OK(run(&fc_op_resize, NULL, 0, 13, (fc_tensor *[]){&ti, NULL, &ts}, 3, &y, &err), &err);
    CHECK(y.dtype == FC_DT_INT64 && shape_is(&y, 2, (int64_t[]){2, 4}));
    /* half_pixel, round_prefer_floor on 2 -> 4: 0 0 1 1 */
    CHECK(memcmp(y.data, (int64_t[]){10, 10, 20, 20, 30, 30, 40, 40}, 8 * sizeof(int64_t)) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(resize_errors)
{
    float xd[16] = {0}, s_ok[4] = {1, 1, 2, 2}, s_c[4] = {1, 2, 2, 2}, s_short[3] = {1, 2, 2};
    float s_huge[4] = {1, 1, 1e9f, 1e9f}, s_neg[4] = {1, 1, -2, 2}, s_nan[4] = {1, 1, NAN, 2};
    int64_t sz[4] = {1, 1, 4, 4};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, xd), y;
    fc_tensor ok = fc_test_tensor(1, (int64_t[]){4}, s_ok), sizes = fc_test_tensor_i64(1, (int64_t[]){4}, sz);
    fc_tensor rt = fc_test_tensor(1, (int64_t[]){4}, NULL);
    fc_attr cubic = attr_str("mode", "cubic"), crop = attr_str("coordinate_transformation_mode", "tf_crop_and_resize");
    fc_attr bogus = attr_str("mode", "bogus"), bogus_round = attr_str("nearest_mode", "nearest");
    fc_attr linear = attr_str("mode", "linear");
    fc_error err = {0};
    struct {
        const fc_attr *at;
        fc_tensor *scales, *sizes;
        fc_status want;
    } cases[] = {
        {&cubic, &ok, NULL, FC_ERR_UNSUPPORTED},
        {&crop, &ok, NULL, FC_ERR_UNSUPPORTED},
        {&bogus, &ok, NULL, FC_ERR_FORMAT},
        {&bogus_round, &ok, NULL, FC_ERR_FORMAT},
        {NULL, &ok, &sizes, FC_ERR_FORMAT},  /* both */
        {NULL, NULL, NULL, FC_ERR_FORMAT},   /* neither */
        {NULL, &rt, NULL, FC_ERR_UNSUPPORTED},
        {&linear, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {4}}, s_c}, NULL, FC_ERR_UNSUPPORTED},
        {NULL, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {3}}, s_short}, NULL, FC_ERR_SHAPE},
        {NULL, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {4}}, s_huge}, NULL, FC_ERR_LIMIT},
        {NULL, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {4}}, s_neg}, NULL, FC_ERR_FORMAT},
        {NULL, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {4}}, s_nan}, NULL, FC_ERR_FORMAT},
        {NULL, NULL, &(fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {4}}, s_ok}, FC_ERR_SHAPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_status rc = run(&fc_op_resize, cases[i].at, cases[i].at ? 1 : 0, 13,
                           (fc_tensor *[]){&x, NULL, cases[i].scales, cases[i].sizes}, 4, &y, &err);
        CHECK_MSG(rc == cases[i].want, "case %zu: %s (%s)", i, fc_strerror(rc), err.msg);
    }
    int64_t xi[4] = {0};
    fc_tensor ti = fc_test_tensor_i64(4, (int64_t[]){1, 1, 2, 2}, xi);
    CHECK(run(&fc_op_resize, &linear, 1, 13, (fc_tensor *[]){&ti, NULL, &ok}, 3, &y, &err) ==
          FC_ERR_UNSUPPORTED);
    int64_t grow[4] = {1, 1, 3, 3};
    fc_tensor empty = fc_test_tensor(4, (int64_t[]){1, 1, 0, 2}, xd);
    sizes.data = grow;
    CHECK(run(&fc_op_resize, NULL, 0, 13, (fc_tensor *[]){&empty, NULL, NULL, &sizes}, 4, &y, &err) ==
          FC_ERR_SHAPE);
    return FC_TEST_PASS;
}

/* ---- Resize-10 and Upsample: asymmetric, floor up / ceil down --------------------- */

TEST(resize10_legacy_rounding)
{
    float xd[10];
    iota(xd, 10, 1);
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 1, 1, 10}, xd), y;
    float down[4] = {1, 1, 1, 0.6f}, up[4] = {1, 1, 1, 1.7f};
    fc_tensor sd = fc_test_tensor(1, (int64_t[]){4}, down), su = fc_test_tensor(1, (int64_t[]){4}, up);
    fc_attr linear = attr_str("mode", "linear");
    /* ONNX Runtime: ceil when downsampling, floor when upsampling */
    const float near_down[6] = {1, 3, 5, 6, 8, 10};
    const float near_up[17] = {1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 8, 9, 9, 10};
    const float lin_down[6] = {1, 2.666667f, 4.333333f, 6, 7.666667f, 9.333333f};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_resize, NULL, 0, 10, (fc_tensor *[]){&x, &sd}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 1, 1, 6}) && f32_near(&y, near_down, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_resize, NULL, 0, 10, (fc_tensor *[]){&x, &su}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 1, 1, 17}) && f32_near(&y, near_up, 17));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_resize, &linear, 1, 10, (fc_tensor *[]){&x, &sd}, 2, &y, &err), &err);
    CHECK(f32_near(&y, lin_down, 6));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(upsample_opset7_and_9)
{
    float xd[4] = {0, 1, 2, 3}, sc[4] = {1, 1, 2, 2};
    fc_tensor x = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, xd), y;
    fc_tensor s = fc_test_tensor(1, (int64_t[]){4}, sc);
    fc_attr at7[2] = {{.name = "scales", .type = FC_ATTR_FLOATS, .floats = sc, .n = 4},
                      attr_str("mode", "linear")};
    const float nearest[16] = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3};
    const float linear[16] = {0, 0.5f, 1, 1, 1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 2, 2.5f, 3, 3};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_upsample, at7, 1, 7, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 1, 4, 4}) && f32_near(&y, nearest, 16));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_upsample, at7, 2, 7, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(f32_near(&y, linear, 16));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    CHECK_OK(run(&fc_op_upsample, &at7[1], 1, 9, (fc_tensor *[]){&x, &s}, 2, &y, &err), &err);
    CHECK(f32_near(&y, linear, 16));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* scales below 1 are invalid for Upsample; the attribute is required in opset 7 */
    float half[4] = {1, 1, 0.5f, 0.5f};
    fc_tensor sh = fc_test_tensor(1, (int64_t[]){4}, half);
    CHECK(run(&fc_op_upsample, NULL, 0, 9, (fc_tensor *[]){&x, &sh}, 2, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_upsample, NULL, 0, 7, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

/* ---- Pad -------------------------------------------------------------------------- */

TEST(pad_modes_with_negative_pads)
{
    /* x = [1, 2, 3, 4] as (1, 4); pads (0, before, 0, after); values from ONNX Runtime */
    static const struct {
        const char *mode;
        int64_t before, after;
        int n;
        float want[10];
    } cases[] = {
        {"reflect", 2, 3, 9, {3, 2, 1, 2, 3, 4, 3, 2, 1}},
        {"reflect", 3, 3, 10, {4, 3, 2, 1, 2, 3, 4, 3, 2, 1}},
        {"reflect", -1, 2, 5, {2, 3, 4, 3, 2}},
        {"reflect", 2, -1, 5, {3, 2, 1, 2, 3}},
        {"edge", 2, 3, 9, {1, 1, 1, 2, 3, 4, 4, 4, 4}},
        {"edge", -3, 2, 3, {4, 4, 4}},
        {"edge", 1, -3, 2, {1, 1}},
        {"constant", -1, 3, 6, {2, 3, 4, 0, 0, 0}},
        {"constant", -5, 2, 1, {0}},
        {"constant", 1, -3, 2, {0, 1}},
    };
    float xd[4] = {1, 2, 3, 4};
    fc_tensor x = fc_test_tensor(2, (int64_t[]){1, 4}, xd), y;
    fc_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t pads[4] = {0, cases[i].before, 0, cases[i].after};
        fc_tensor tp = fc_test_tensor_i64(1, (int64_t[]){4}, pads);
        fc_attr at[2] = {attr_str("mode", cases[i].mode), attr_ints("pads", pads, 4)};
        CHECK_OK(run(&fc_op_pad, at, 1, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err), &err);
        int ok = shape_is(&y, 2, (int64_t[]){1, cases[i].n}) && f32_near(&y, cases[i].want, cases[i].n);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(ok, "opset 13 case %zu", i);
        CHECK_OK(run(&fc_op_pad, at, 2, 2, (fc_tensor *[]){&x}, 1, &y, &err), &err);
        ok = f32_near(&y, cases[i].want, cases[i].n);
        fc_test_free_outputs((fc_tensor *[]){&y}, 1);
        CHECK_MSG(ok, "opset 2 case %zu", i);
    }
    return FC_TEST_PASS;
}

TEST(pad_values_and_2d_reflect)
{
    float xd[6];
    iota(xd, 6, 0);
    fc_tensor x = fc_test_tensor(2, (int64_t[]){2, 3}, xd), y;
    int64_t pads[4] = {1, 2, 1, 0};
    fc_tensor tp = fc_test_tensor_i64(1, (int64_t[]){4}, pads);
    fc_attr reflect = attr_str("mode", "reflect");
    const float want[20] = {5, 4, 3, 4, 5, 2, 1, 0, 1, 2, 5, 4, 3, 4, 5, 2, 1, 0, 1, 2};
    fc_error err = {0};
    CHECK_OK(run(&fc_op_pad, &reflect, 1, 11, (fc_tensor *[]){&x, &tp}, 2, &y, &err), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){4, 5}) && f32_near(&y, want, 20));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* constant_value input (opset 11) and the value attribute (opset 2) */
    int64_t p1[4] = {0, 1, 0, 1};
    float cv = 1.5f;
    fc_tensor tp1 = fc_test_tensor_i64(1, (int64_t[]){4}, p1), tcv = fc_test_tensor(0, NULL, &cv);
    CHECK_OK(run(&fc_op_pad, NULL, 0, 11, (fc_tensor *[]){&x, &tp1, &tcv}, 3, &y, &err), &err);
    CHECK(f32_near(&y, (float[]){1.5f, 0, 1, 2, 1.5f, 1.5f, 3, 4, 5, 1.5f}, 10));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    fc_attr v2[2] = {attr_ints("pads", p1, 4), {.name = "value", .type = FC_ATTR_FLOAT, .f = -2}};
    CHECK_OK(run(&fc_op_pad, v2, 2, 2, (fc_tensor *[]){&x}, 1, &y, &err), &err);
    CHECK(f32_near(&y, (float[]){-2, 0, 1, 2, -2, -2, 3, 4, 5, -2}, 10));
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    /* int64 data with an int64 constant */
    int64_t xi[2] = {8, 9}, seven = 7, p2[2] = {1, 2};
    fc_tensor ti = fc_test_tensor_i64(1, (int64_t[]){2}, xi), tp2 = fc_test_tensor_i64(1, (int64_t[]){2}, p2);
    fc_tensor t7 = fc_test_tensor_i64(1, (int64_t[]){1}, &seven);
    CHECK_OK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&ti, &tp2, &t7}, 3, &y, &err), &err);
    CHECK(y.dtype == FC_DT_INT64 &&
          memcmp(y.data, (int64_t[]){7, 8, 9, 7, 7}, 5 * sizeof(int64_t)) == 0);
    fc_test_free_outputs((fc_tensor *[]){&y}, 1);
    return FC_TEST_PASS;
}

TEST(pad_errors)
{
    float xd[4] = {0}, fv = 0;
    fc_tensor x = fc_test_tensor(2, (int64_t[]){1, 4}, xd), y;
    int64_t too_far[4] = {0, 4, 0, 0}, crop_all[4] = {0, -4, 0, 2}, negative[4] = {0, -3, 0, -2};
    int64_t three[3] = {0, 1, 0}, huge[4] = {0, INT64_MAX, 0, 0};
    fc_tensor tp = fc_test_tensor_i64(1, (int64_t[]){4}, too_far), rt = fc_test_tensor_i64(1, (int64_t[]){4}, NULL);
    fc_attr reflect = attr_str("mode", "reflect"), edge = attr_str("mode", "edge");
    fc_attr wrap = attr_str("mode", "wrap"), bogus = attr_str("mode", "mirror");
    fc_error err = {0};
    CHECK(run(&fc_op_pad, &reflect, 1, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_SHAPE);
    tp.data = crop_all;
    CHECK(run(&fc_op_pad, &edge, 1, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_SHAPE);
    tp.data = negative;
    CHECK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_SHAPE);
    tp.data = huge;
    CHECK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_LIMIT);
    fc_tensor t3 = fc_test_tensor_i64(1, (int64_t[]){3}, three);
    CHECK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&x, &t3}, 2, &y, &err) == FC_ERR_SHAPE);
    CHECK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&x, &rt}, 2, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(&fc_op_pad, &wrap, 1, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_UNSUPPORTED);
    CHECK(run(&fc_op_pad, &bogus, 1, 13, (fc_tensor *[]){&x, &tp}, 2, &y, &err) == FC_ERR_FORMAT);
    CHECK(run(&fc_op_pad, NULL, 0, 2, (fc_tensor *[]){&x}, 1, &y, &err) == FC_ERR_FORMAT);
    int64_t xi[4] = {0}, ok_pads[4] = {0, 1, 0, 1};
    fc_tensor ti = fc_test_tensor_i64(2, (int64_t[]){1, 4}, xi), tok = fc_test_tensor_i64(1, (int64_t[]){4}, ok_pads);
    fc_tensor tf = fc_test_tensor(0, NULL, &fv);
    CHECK(run(&fc_op_pad, NULL, 0, 13, (fc_tensor *[]){&ti, &tok, &tf}, 3, &y, &err) == FC_ERR_SHAPE);
    return FC_TEST_PASS;
}
