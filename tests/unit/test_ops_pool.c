/* test_ops_pool.c - MaxPool, AveragePool and GlobalAveragePool: hand-computed cases,
 * errors, and random cases against naive loops. Cases marked "ORT" were checked
 * against ONNX Runtime 1.30. */
#include "test.h"

#include "nn/ops/ops.h"
#include "op_util.h"

#include <float.h>
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

/* Runs op on x and compares its output with (ndim, dims, want). */
static int expect(int line, const fc_op_def *op, const fc_attr *at, int n_at, fc_tensor *x,
                  int ndim, const int64_t *dims, const float *want)
{
    fc_tensor y, *in[1] = {x}, *out[1] = {&y};
    fc_error err = {0};
    char got_s[96], want_s[96];
    fc_status rc = fc_test_run_op(op, at, n_at, 12, in, 1, out, 1, &err);
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

static int expect_error(int line, const fc_op_def *op, const fc_attr *at, int n_at,
                        fc_tensor *x, fc_status code)
{
    fc_tensor y, *in[1] = {x}, *out[1] = {&y};
    fc_error err = {0};
    fc_status rc = fc_test_run_op(op, at, n_at, 12, in, 1, out, 1, &err);
    if (rc == FC_OK)
        fc_test_free_outputs(out, 1);
    if (rc != code)
        return fc_test_fail(__FILE__, line, "got %s (%s), want %s", fc_strerror(rc), err.msg,
                            fc_strerror(code));
    if (err.msg[0] == '\0')
        return fc_test_fail(__FILE__, line, "no error message");
    return FC_TEST_PASS;
}

#define EXPECT(op, at, x, ndim, dims, want)                                                   \
    do {                                                                                      \
        if (expect(__LINE__, op, at, N_OF(at), x, ndim, dims, want))                        \
            return FC_TEST_FAIL;                                                              \
    } while (0)

#define EXPECT_ERROR(op, at, n_at, x, code)                                                   \
    do {                                                                                      \
        if (expect_error(__LINE__, op, at, n_at, x, code))                                    \
            return FC_TEST_FAIL;                                                              \
    } while (0)

/* ---- MaxPool ----------------------------------------------------------------------- */

TEST(max_pool_2x2_stride2)
{
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, x);
    fc_attr at[] = {a_ints("kernel_shape", 2, (int64_t[]){2, 2}),
                    a_ints("strides", 2, (int64_t[]){2, 2})};
    EXPECT(&fc_op_max_pool, at, &X, 4, ((int64_t[]){1, 1, 2, 2}), ((float[]){5, 7, 13, 15}));
    return FC_TEST_PASS;
}

TEST(max_pool_padding_never_wins)
{
    /* all inputs negative: a zero from the padding must never be the max (ORT) */
    float x[4] = {-1, -2, -3, -4};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, x);
    fc_attr at[] = {a_ints("kernel_shape", 2, (int64_t[]){2, 2}),
                    a_ints("pads", 4, (int64_t[]){1, 1, 1, 1})};
    float want[9] = {-1, -1, -2, -1, -1, -2, -3, -3, -4};
    EXPECT(&fc_op_max_pool, at, &X, 4, ((int64_t[]){1, 1, 3, 3}), want);
    return FC_TEST_PASS;
}

TEST(max_pool_1d_dilation)
{
    float x[6] = {1, 5, 2, 8, 3, 0};
    fc_tensor X = fc_test_tensor(3, (int64_t[]){1, 1, 6}, x);
    fc_attr at[] = {a_ints("kernel_shape", 1, (int64_t[]){2}),
                    a_ints("dilations", 1, (int64_t[]){2})};
    EXPECT(&fc_op_max_pool, at, &X, 3, ((int64_t[]){1, 1, 4}), ((float[]){2, 8, 3, 8}));
    return FC_TEST_PASS;
}

TEST(max_pool_ceil_mode)
{
    float x[5] = {1, 2, 3, 4, 5};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 1, 5}, x);
    fc_attr floor_at[] = {a_ints("kernel_shape", 2, (int64_t[]){1, 2}),
                          a_ints("strides", 2, (int64_t[]){1, 2})};
    fc_attr ceil_at[] = {a_ints("kernel_shape", 2, (int64_t[]){1, 2}),
                         a_ints("strides", 2, (int64_t[]){1, 2}), a_int("ceil_mode", 1)};
    EXPECT(&fc_op_max_pool, floor_at, &X, 4, ((int64_t[]){1, 1, 1, 2}), ((float[]){2, 4}));
    EXPECT(&fc_op_max_pool, ceil_at, &X, 4, ((int64_t[]){1, 1, 1, 3}), ((float[]){2, 4, 5}));
    /* a last window that would start in the end padding is dropped (ORT): [1,2,3,4]
     * with k 2, s 2, end pad 1 gives 2 outputs, not ceil(3/2)+1 = 3 */
    fc_tensor X4 = fc_test_tensor(3, (int64_t[]){1, 1, 4}, x);
    fc_attr pad_end[] = {a_ints("kernel_shape", 1, (int64_t[]){2}),
                         a_ints("strides", 1, (int64_t[]){2}),
                         a_ints("pads", 2, (int64_t[]){0, 1}), a_int("ceil_mode", 1)};
    EXPECT(&fc_op_max_pool, pad_end, &X4, 3, ((int64_t[]){1, 1, 2}), ((float[]){2, 4}));
    return FC_TEST_PASS;
}

TEST(max_pool_auto_pad)
{
    float x[5] = {3, 1, 4, 1, 5};
    fc_tensor X = fc_test_tensor(3, (int64_t[]){1, 1, 5}, x);
    fc_attr upper[] = {a_ints("kernel_shape", 1, (int64_t[]){2}), a_str("auto_pad", "SAME_UPPER")};
    fc_attr lower[] = {a_ints("kernel_shape", 1, (int64_t[]){2}), a_str("auto_pad", "SAME_LOWER")};
    fc_attr valid[] = {a_ints("kernel_shape", 1, (int64_t[]){2}), a_str("auto_pad", "VALID")};
    EXPECT(&fc_op_max_pool, upper, &X, 3, ((int64_t[]){1, 1, 5}), ((float[]){3, 4, 4, 5, 5}));
    EXPECT(&fc_op_max_pool, lower, &X, 3, ((int64_t[]){1, 1, 5}), ((float[]){3, 3, 4, 4, 5}));
    EXPECT(&fc_op_max_pool, valid, &X, 3, ((int64_t[]){1, 1, 4}), ((float[]){3, 4, 4, 5}));
    return FC_TEST_PASS;
}

/* ---- AveragePool --------------------------------------------------------------------- */

TEST(average_pool_count_include_pad)
{
    float x[4] = {1, 2, 3, 4};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 2, 2}, x);
    fc_attr excl[] = {a_ints("kernel_shape", 2, (int64_t[]){2, 2}),
                      a_ints("pads", 4, (int64_t[]){1, 1, 1, 1})};
    fc_attr incl[] = {a_ints("kernel_shape", 2, (int64_t[]){2, 2}),
                      a_ints("pads", 4, (int64_t[]){1, 1, 1, 1}), a_int("count_include_pad", 1)};
    /* ORT */
    float want_excl[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
    float want_incl[9] = {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1};
    EXPECT(&fc_op_average_pool, excl, &X, 4, ((int64_t[]){1, 1, 3, 3}), want_excl);
    EXPECT(&fc_op_average_pool, incl, &X, 4, ((int64_t[]){1, 1, 3, 3}), want_incl);
    return FC_TEST_PASS;
}

TEST(average_pool_ceil_mode_divisor)
{
    /* k 3, s 2, pads 1,1, ceil: windows start at -1, 1, 3, 5. The last runs past the
     * padded end (positions 5, 6, 7 of [-1, 7)): with count_include_pad it divides by
     * the 2 positions inside input + pads, not by 3 (ORT: 6/2 = 3). */
    float x[6] = {1, 2, 3, 4, 5, 6};
    fc_tensor X = fc_test_tensor(3, (int64_t[]){1, 1, 6}, x);
    fc_attr incl[] = {a_ints("kernel_shape", 1, (int64_t[]){3}), a_ints("strides", 1, (int64_t[]){2}),
                      a_ints("pads", 2, (int64_t[]){1, 1}), a_int("ceil_mode", 1),
                      a_int("count_include_pad", 1)};
    fc_attr excl[] = {a_ints("kernel_shape", 1, (int64_t[]){3}), a_ints("strides", 1, (int64_t[]){2}),
                      a_ints("pads", 2, (int64_t[]){1, 1}), a_int("ceil_mode", 1)};
    EXPECT(&fc_op_average_pool, incl, &X, 3, ((int64_t[]){1, 1, 4}), ((float[]){1, 3, 5, 3}));
    EXPECT(&fc_op_average_pool, excl, &X, 3, ((int64_t[]){1, 1, 4}), ((float[]){1.5f, 3, 5, 6}));
    return FC_TEST_PASS;
}

TEST(average_pool_same_upper_stride2)
{
    /* 4x4 -> 2x2, total pad (2-1)*2+3-4 = 1 at the end: last windows hold 2x2 inputs */
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, x);
    fc_attr at[] = {a_ints("kernel_shape", 2, (int64_t[]){3, 3}),
                    a_ints("strides", 2, (int64_t[]){2, 2}), a_str("auto_pad", "SAME_UPPER")};
    float want[4] = {5, 6.5f, 11, 12.5f};
    EXPECT(&fc_op_average_pool, at, &X, 4, ((int64_t[]){1, 1, 2, 2}), want);
    return FC_TEST_PASS;
}

/* ---- random against naive pooling ------------------------------------------------------ */

static unsigned rnd_state = 777;

static int rnd(int lo, int hi) /* uniform in [lo, hi] */
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return lo + (int)((rnd_state >> 16) % (unsigned)(hi - lo + 1));
}

/* Plain per-window loops with bounds checks. mode: 0 max, 1 average over the input,
 * 2 average over input + pads. */
static void naive_pool(int mode, const int64_t *xd, const float *x, const int64_t *k,
                       const int64_t *s, const int64_t *d, const int64_t *pb, const int64_t *pe,
                       const int64_t *yd, float *y)
{
    for (int64_t p = 0; p < xd[0] * xd[1]; p++)
        for (int64_t oy = 0; oy < yd[2]; oy++)
            for (int64_t ox = 0; ox < yd[3]; ox++) {
                float m = -FLT_MAX, sum = 0;
                int64_t n = 0, n_pad = 0;
                for (int64_t ky = 0; ky < k[0]; ky++)
                    for (int64_t kx = 0; kx < k[1]; kx++) {
                        int64_t iy = oy * s[0] - pb[0] + ky * d[0];
                        int64_t ix = ox * s[1] - pb[1] + kx * d[1];
                        if (iy >= -pb[0] && iy < xd[2] + pe[0] && ix >= -pb[1] && ix < xd[3] + pe[1])
                            n_pad++;
                        if (iy < 0 || iy >= xd[2] || ix < 0 || ix >= xd[3])
                            continue;
                        float v = x[(p * xd[2] + iy) * xd[3] + ix];
                        m = v > m ? v : m, sum += v, n++;
                    }
                y[(p * yd[2] + oy) * yd[3] + ox] =
                    mode == 0 ? m : sum / (float)(mode == 1 ? n : n_pad);
            }
}

static int random_pool_case(int mode)
{
    int64_t k[2], s[2], d[2], pb[2], pe[2], in_sz[2], out_sz[2];
    int ceil_mode = rnd(0, 1);
    for (int i = 0; i < 2; i++) {
        k[i] = rnd(1, 4), s[i] = rnd(1, 3), d[i] = mode == 0 ? rnd(1, 2) : 1;
        pb[i] = rnd(0, (int)k[i] - 1), pe[i] = rnd(0, (int)k[i] - 1);
        int64_t dk = (k[i] - 1) * d[i] + 1, min_in = dk - pb[i] - pe[i];
        in_sz[i] = rnd(min_in > 1 ? (int)min_in : 1, 10);
        int64_t span = in_sz[i] + pb[i] + pe[i] - dk;
        out_sz[i] = (ceil_mode ? span + s[i] - 1 : span) / s[i] + 1;
        if (ceil_mode && (out_sz[i] - 1) * s[i] >= in_sz[i] + pb[i])
            out_sz[i]--;
    }
    int64_t xd[4] = {rnd(1, 2), rnd(1, 3), in_sz[0], in_sz[1]};
    int64_t yd[4] = {xd[0], xd[1], out_sz[0], out_sz[1]};
    int64_t nx = xd[0] * xd[1] * in_sz[0] * in_sz[1], ny = yd[0] * yd[1] * out_sz[0] * out_sz[1];
    float *x = malloc((size_t)nx * 4), *want = malloc((size_t)ny * 4);
    fc_test_fill_random(x, nx, rnd_state, -1, 1);
    naive_pool(mode, xd, x, k, s, d, pb, pe, yd, want);
    fc_tensor X = fc_test_tensor(4, xd, x);
    int64_t pads[4] = {pb[0], pb[1], pe[0], pe[1]};
    fc_attr at[] = {a_ints("kernel_shape", 2, k), a_ints("strides", 2, s),
                    a_ints("dilations", 2, d), a_ints("pads", 4, pads),
                    a_int("ceil_mode", ceil_mode), a_int("count_include_pad", mode == 2)};
    int res = expect(__LINE__, mode == 0 ? &fc_op_max_pool : &fc_op_average_pool, at, 6, &X, 4,
                     yd, want);
    free(x), free(want);
    if (res)
        return fc_test_fail(__FILE__, __LINE__,
                            "mode %d k %lld,%lld s %lld,%lld d %lld,%lld pads %lld,%lld,%lld,%lld "
                            "ceil %d, in %lldx%lld: output differs",
                            mode, (long long)k[0], (long long)k[1], (long long)s[0],
                            (long long)s[1], (long long)d[0], (long long)d[1], (long long)pb[0],
                            (long long)pb[1], (long long)pe[0], (long long)pe[1], ceil_mode,
                            (long long)in_sz[0], (long long)in_sz[1]);
    return FC_TEST_PASS;
}

TEST(pool_random_vs_naive)
{
    for (int i = 0; i < 300; i++)
        if (random_pool_case(i % 3))
            return FC_TEST_FAIL;
    return FC_TEST_PASS;
}

/* ---- GlobalAveragePool ----------------------------------------------------------------- */

TEST(global_average_pool_ranks)
{
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    fc_tensor X4 = fc_test_tensor(4, (int64_t[]){1, 2, 2, 4}, x);
    fc_tensor X3 = fc_test_tensor(3, (int64_t[]){2, 2, 4}, x);
    fc_tensor X5 = fc_test_tensor(5, (int64_t[]){1, 2, 2, 2, 2}, x);
    fc_attr none[1] = {a_int("unused", 0)};
    EXPECT(&fc_op_global_average_pool, none, &X4, 4, ((int64_t[]){1, 2, 1, 1}),
           ((float[]){3.5f, 11.5f}));
    EXPECT(&fc_op_global_average_pool, none, &X3, 3, ((int64_t[]){2, 2, 1}),
           ((float[]){1.5f, 5.5f, 9.5f, 13.5f}));
    EXPECT(&fc_op_global_average_pool, none, &X5, 5, ((int64_t[]){1, 2, 1, 1, 1}),
           ((float[]){3.5f, 11.5f}));
    return FC_TEST_PASS;
}

/* ---- errors ------------------------------------------------------------------------------- */

TEST(pool_errors)
{
    static float data[64];
    int64_t i64[16] = {0};
    fc_tensor X = fc_test_tensor(4, (int64_t[]){1, 1, 4, 4}, data);
    fc_tensor X_i64 = fc_test_tensor_i64(4, (int64_t[]){1, 1, 4, 4}, i64);
    fc_tensor X_2d = fc_test_tensor(2, (int64_t[]){4, 4}, data);
    fc_tensor X_empty = fc_test_tensor(4, (int64_t[]){1, 1, 0, 4}, data);
    int64_t k2[2] = {2, 2};
    fc_attr no_kernel[] = {a_ints("strides", 2, k2)};
    fc_attr storage[] = {a_ints("kernel_shape", 2, k2), a_int("storage_order", 1)};
    fc_attr pads3[] = {a_ints("kernel_shape", 2, k2), a_ints("pads", 3, (int64_t[]){0, 0, 0})};
    fc_attr pad_ge_k[] = {a_ints("kernel_shape", 2, k2), a_ints("pads", 4, (int64_t[]){2, 0, 0, 0})};
    fc_attr k3d[] = {a_ints("kernel_shape", 3, (int64_t[]){2, 2, 2})};
    fc_attr k1d[] = {a_ints("kernel_shape", 1, (int64_t[]){2})};
    fc_attr k_big[] = {a_ints("kernel_shape", 2, (int64_t[]){5, 5})};
    fc_attr bad_mode[] = {a_ints("kernel_shape", 2, k2), a_str("auto_pad", "FULL")};
    fc_attr stride0[] = {a_ints("kernel_shape", 2, k2), a_ints("strides", 2, (int64_t[]){1, 0})};
    fc_attr same_dil[] = {a_ints("kernel_shape", 2, k2), a_ints("dilations", 2, (int64_t[]){2, 2}),
                          a_str("auto_pad", "SAME_LOWER")};
    EXPECT_ERROR(&fc_op_max_pool, no_kernel, 1, &X, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_max_pool, storage, 2, &X, FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_max_pool, pads3, 2, &X, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_average_pool, pad_ge_k, 2, &X, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_max_pool, k3d, 1, &X, FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_max_pool, k1d, 1, &X, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_max_pool, k_big, 1, &X, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_max_pool, bad_mode, 2, &X, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_average_pool, stride0, 2, &X, FC_ERR_FORMAT);
    EXPECT_ERROR(&fc_op_max_pool, same_dil, 3, &X, FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_max_pool, storage, 1, &X_i64, FC_ERR_UNSUPPORTED); /* kernel only */
    EXPECT_ERROR(&fc_op_global_average_pool, NULL, 0, &X_2d, FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_global_average_pool, NULL, 0, &X_i64, FC_ERR_UNSUPPORTED);
    EXPECT_ERROR(&fc_op_global_average_pool, NULL, 0, &X_empty, FC_ERR_SHAPE);
    /* the Indices output of MaxPool is not offered */
    CHECK(fc_op_max_pool.max_outputs == 1);
    /* the reason gives the counts */
    fc_error err = {0};
    fc_attrs attrs = {pads3, 2, 12, "n", "MaxPool"};
    void *params = NULL;
    CHECK(fc_op_max_pool.parse(&attrs, &params, &err) == FC_ERR_FORMAT && !params);
    CHECK_MSG(strstr(err.msg, "pads must have 4 values, got 3"), "message: %s", err.msg);
    return FC_TEST_PASS;
}
