/* test_ops_gemm.c - Gemm and MatMul: hand-computed cases (transposes, alpha/beta, C
 * broadcasting, 1-D operands, batch broadcasting), errors, and random cases against
 * naive loops. */
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

static fc_attr a_float(const char *name, float v)
{
    return (fc_attr){.name = name, .type = FC_ATTR_FLOAT, .f = v};
}

/* Runs op and compares its one output with (ndim, dims, want). */
static int expect(int line, const fc_op_def *op, const fc_attr *at, int n_at, fc_tensor *const *in,
                  int n_in, int ndim, const int64_t *dims, const float *want, double tol)
{
    fc_tensor y, *out[1] = {&y};
    fc_error err = {0};
    char got_s[96], want_s[96];
    fc_status rc = fc_test_run_op(op, at, n_at, 13, in, n_in, out, 1, &err);
    if (rc)
        return fc_test_fail(__FILE__, line, "%s failed: %s", op->name, err.msg);
    fc_shape ws = fc_shape_make(ndim, dims);
    int res = FC_TEST_PASS;
    double diff = 0;
    if (!fc_shape_equal(&y.shape, &ws))
        res = fc_test_fail(__FILE__, line, "shape %s, want %s",
                           fc_shape_str(&y.shape, got_s, sizeof got_s),
                           fc_shape_str(&ws, want_s, sizeof want_s));
    else if ((diff = fc_test_max_abs_diff(y.data, want, fc_shape_numel(&ws))) > tol)
        res = fc_test_fail(__FILE__, line, "values differ by %g", diff);
    fc_test_free_outputs(out, 1);
    return res;
}

static int expect_error(int line, const fc_op_def *op, const fc_attr *at, int n_at,
                        fc_tensor *const *in, int n_in, fc_status code)
{
    fc_tensor y, *out[1] = {&y};
    fc_error err = {0};
    fc_status rc = fc_test_run_op(op, at, n_at, 13, in, n_in, out, 1, &err);
    if (rc == FC_OK)
        fc_test_free_outputs(out, 1);
    if (rc != code)
        return fc_test_fail(__FILE__, line, "got %s (%s), want %s", fc_strerror(rc), err.msg,
                            fc_strerror(code));
    if (err.msg[0] == '\0')
        return fc_test_fail(__FILE__, line, "no error message");
    return FC_TEST_PASS;
}

#define EXPECT(op, at, n_at, in, ndim, dims, want)                                            \
    do {                                                                                      \
        if (expect(__LINE__, op, at, n_at, in, N_OF(in), ndim, dims, want, 1e-5))           \
            return FC_TEST_FAIL;                                                              \
    } while (0)

#define EXPECT_ERROR(op, at, n_at, in, code)                                                  \
    do {                                                                                      \
        if (expect_error(__LINE__, op, at, n_at, in, N_OF(in), code))                         \
            return FC_TEST_FAIL;                                                              \
    } while (0)

/* ---- Gemm ------------------------------------------------------------------------------ */

/* A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]: A @ B = [[4,5],[10,11]] */
static float gemm_a[6] = {1, 2, 3, 4, 5, 6}, gemm_at[6] = {1, 4, 2, 5, 3, 6};
static float gemm_b[6] = {1, 0, 0, 1, 1, 1}, gemm_bt[6] = {1, 0, 1, 0, 1, 1};

TEST(gemm_transposes)
{
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 3}, gemm_a);
    fc_tensor At = fc_test_tensor(2, (int64_t[]){3, 2}, gemm_at);
    fc_tensor B = fc_test_tensor(2, (int64_t[]){3, 2}, gemm_b);
    fc_tensor Bt = fc_test_tensor(2, (int64_t[]){2, 3}, gemm_bt);
    fc_attr ta[] = {a_int("transA", 1)}, tb[] = {a_int("transB", 1)};
    fc_attr tab[] = {a_int("transA", 1), a_int("transB", 1)};
    int64_t yd[2] = {2, 2};
    float want[4] = {4, 5, 10, 11};
    EXPECT(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A, &B}), 2, yd, want);
    EXPECT(&fc_op_gemm, ta, 1, ((fc_tensor *[]){&At, &B}), 2, yd, want);
    EXPECT(&fc_op_gemm, tb, 1, ((fc_tensor *[]){&A, &Bt}), 2, yd, want);
    EXPECT(&fc_op_gemm, tab, 2, ((fc_tensor *[]){&At, &Bt}), 2, yd, want);
    return FC_TEST_PASS;
}

TEST(gemm_alpha_beta_c_broadcast)
{
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 3}, gemm_a);
    fc_tensor Bt = fc_test_tensor(2, (int64_t[]){2, 3}, gemm_bt);
    float c_row[2] = {10, 20}, c_col[2] = {10, 20}, c_one[1] = {3}, c_full[4] = {1, 2, 3, 4};
    fc_tensor C_row = fc_test_tensor(1, (int64_t[]){2}, c_row);
    fc_tensor C_row2 = fc_test_tensor(2, (int64_t[]){1, 2}, c_row);
    fc_tensor C_col = fc_test_tensor(2, (int64_t[]){2, 1}, c_col);
    fc_tensor C_scalar = fc_test_tensor(0, NULL, c_one);
    fc_tensor C_1 = fc_test_tensor(1, (int64_t[]){1}, c_one);
    fc_tensor C_11 = fc_test_tensor(2, (int64_t[]){1, 1}, c_one);
    fc_tensor C_full = fc_test_tensor(2, (int64_t[]){2, 2}, c_full);
    fc_attr ab[] = {a_int("transB", 1), a_float("alpha", 2), a_float("beta", 0.5f)};
    fc_attr plain[] = {a_int("transB", 1)};
    int64_t yd[2] = {2, 2};
    /* 2 * [[4,5],[10,11]] + 0.5 * C */
    EXPECT(&fc_op_gemm, ab, 3, ((fc_tensor *[]){&A, &Bt, &C_row}), 2, yd,
           ((float[]){13, 20, 25, 32}));
    EXPECT(&fc_op_gemm, ab, 3, ((fc_tensor *[]){&A, &Bt, &C_row2}), 2, yd,
           ((float[]){13, 20, 25, 32}));
    EXPECT(&fc_op_gemm, ab, 3, ((fc_tensor *[]){&A, &Bt, &C_col}), 2, yd,
           ((float[]){13, 15, 30, 32}));
    float plus3[4] = {7, 8, 13, 14};
    EXPECT(&fc_op_gemm, plain, 1, ((fc_tensor *[]){&A, &Bt, &C_scalar}), 2, yd, plus3);
    EXPECT(&fc_op_gemm, plain, 1, ((fc_tensor *[]){&A, &Bt, &C_1}), 2, yd, plus3);
    EXPECT(&fc_op_gemm, plain, 1, ((fc_tensor *[]){&A, &Bt, &C_11}), 2, yd, plus3);
    EXPECT(&fc_op_gemm, plain, 1, ((fc_tensor *[]){&A, &Bt, &C_full}), 2, yd,
           ((float[]){5, 7, 13, 15}));
    return FC_TEST_PASS;
}

TEST(gemm_beta_zero_ignores_c)
{
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 3}, gemm_a);
    fc_tensor B = fc_test_tensor(2, (int64_t[]){3, 2}, gemm_b);
    float c[1] = {NAN};
    fc_tensor C = fc_test_tensor(1, (int64_t[]){1}, c);
    fc_attr beta0[] = {a_float("beta", 0)};
    EXPECT(&fc_op_gemm, beta0, 1, ((fc_tensor *[]){&A, &B, &C}), 2, ((int64_t[]){2, 2}),
           ((float[]){4, 5, 10, 11}));
    /* an absent optional C */
    EXPECT(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A, &B, NULL}), 2, ((int64_t[]){2, 2}),
           ((float[]){4, 5, 10, 11}));
    return FC_TEST_PASS;
}

static unsigned rnd_state = 4242;

static int rnd(int lo, int hi) /* uniform in [lo, hi] */
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return lo + (int)((rnd_state >> 16) % (unsigned)(hi - lo + 1));
}

TEST(gemm_random_vs_naive)
{
    for (int t = 0; t < 100; t++) {
        int64_t m = rnd(1, 9), k = rnd(1, 40), n = rnd(1, 9);
        int ta = rnd(0, 1), tb = rnd(0, 1), c_kind = rnd(0, 2);
        float alpha = (float)rnd(-4, 4) / 2, beta = (float)rnd(-4, 4) / 2;
        float *a = malloc((size_t)(m * k) * 4), *b = malloc((size_t)(k * n) * 4);
        float *c = malloc((size_t)(m * n) * 4), *want = malloc((size_t)(m * n) * 4);
        fc_test_fill_random(a, m * k, (unsigned)t, -1, 1);
        fc_test_fill_random(b, k * n, (unsigned)t + 1000, -1, 1);
        fc_test_fill_random(c, m * n, (unsigned)t + 2000, -1, 1);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = 0;
                for (int64_t p = 0; p < k; p++)
                    acc += (double)(ta ? a[p * m + i] : a[i * k + p]) *
                           (tb ? b[j * k + p] : b[p * n + j]);
                double cv = c_kind == 0 ? 0 : c_kind == 1 ? c[j] : c[i * n + j];
                want[i * n + j] = (float)(alpha * acc + beta * cv);
            }
        fc_tensor A = fc_test_tensor(2, ta ? (int64_t[]){k, m} : (int64_t[]){m, k}, a);
        fc_tensor B = fc_test_tensor(2, tb ? (int64_t[]){n, k} : (int64_t[]){k, n}, b);
        fc_tensor C = c_kind == 1 ? fc_test_tensor(1, &n, c)
                                  : fc_test_tensor(2, (int64_t[]){m, n}, c);
        fc_tensor *in[] = {&A, &B, &C};
        fc_attr at[] = {a_int("transA", ta), a_int("transB", tb), a_float("alpha", alpha),
                        a_float("beta", beta)};
        int res = expect(__LINE__, &fc_op_gemm, at, 4, in, c_kind ? 3 : 2, 2,
                         (int64_t[]){m, n}, want, 1e-4);
        free(a), free(b), free(c), free(want);
        if (res)
            return fc_test_fail(__FILE__, __LINE__, "m %lld k %lld n %lld transA %d transB %d "
                                "C kind %d: output differs", (long long)m, (long long)k,
                                (long long)n, ta, tb, c_kind);
    }
    return FC_TEST_PASS;
}

TEST(gemm_errors)
{
    static float data[64];
    int64_t i64[6] = {0};
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 3}, data);
    fc_tensor B_k = fc_test_tensor(2, (int64_t[]){4, 2}, data);
    fc_tensor B = fc_test_tensor(2, (int64_t[]){3, 2}, data);
    fc_tensor A_3d = fc_test_tensor(3, (int64_t[]){1, 2, 3}, data);
    fc_tensor C_bad = fc_test_tensor(1, (int64_t[]){3}, data);
    fc_tensor C_3d = fc_test_tensor(3, (int64_t[]){1, 2, 2}, data);
    fc_tensor A_i64 = fc_test_tensor_i64(2, (int64_t[]){2, 3}, i64);
    fc_attr ta[] = {a_int("transA", 1)};
    EXPECT_ERROR(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A, &B_k}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_gemm, ta, 1, ((fc_tensor *[]){&A, &B}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A_3d, &B}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A, &B, &C_bad}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A, &B, &C_3d}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_gemm, NULL, 0, ((fc_tensor *[]){&A_i64, &B}), FC_ERR_UNSUPPORTED);
    fc_tensor y, *out[] = {&y}, *in[] = {&A, &B_k};
    fc_error err = {0};
    CHECK(fc_test_run_op(&fc_op_gemm, NULL, 0, 13, in, 2, out, 1, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2,3]") && strstr(err.msg, "[4,2]"), "message: %s", err.msg);
    return FC_TEST_PASS;
}

/* ---- MatMul ------------------------------------------------------------------------------ */

TEST(matmul_2d_and_1d)
{
    float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, v[2] = {5, 7};
    float p[3] = {1, 2, 3}, q[3] = {4, 5, 6};
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 2}, a);
    fc_tensor B = fc_test_tensor(2, (int64_t[]){2, 2}, b);
    fc_tensor A1 = fc_test_tensor(1, (int64_t[]){2}, a);
    fc_tensor V = fc_test_tensor(1, (int64_t[]){2}, v);
    fc_tensor P = fc_test_tensor(1, (int64_t[]){3}, p), Q = fc_test_tensor(1, (int64_t[]){3}, q);
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A, &B}), 2, ((int64_t[]){2, 2}),
           ((float[]){19, 22, 43, 50}));
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A1, &B}), 1, ((int64_t[]){2}),
           ((float[]){19, 22}));
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A, &V}), 1, ((int64_t[]){2}),
           ((float[]){19, 43}));
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&P, &Q}), 0, NULL, ((float[]){32}));
    return FC_TEST_PASS;
}

TEST(matmul_broadcast_batches)
{
    /* A (2,1,1,2) @ B (3,2,1) -> (2,3,1,1): every row of A dotted with every column of B */
    float a[4] = {1, 2, 3, 4}, b[6] = {1, 0, 0, 1, 1, 1};
    fc_tensor A = fc_test_tensor(4, (int64_t[]){2, 1, 1, 2}, a);
    fc_tensor B = fc_test_tensor(3, (int64_t[]){3, 2, 1}, b);
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A, &B}), 4, ((int64_t[]){2, 3, 1, 1}),
           ((float[]){1, 2, 3, 3, 4, 7}));
    /* a 1-D operand against a batch: (2) @ (3,2,1) -> (3,1); (3,1,2) @ (2) -> (3,1) */
    fc_tensor V = fc_test_tensor(1, (int64_t[]){2}, a + 2); /* [3,4] */
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&V, &B}), 2, ((int64_t[]){3, 1}),
           ((float[]){3, 4, 7}));
    fc_tensor Bt = fc_test_tensor(3, (int64_t[]){3, 1, 2}, b);
    EXPECT(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&Bt, &V}), 2, ((int64_t[]){3, 1}),
           ((float[]){3, 4, 7}));
    return FC_TEST_PASS;
}

/* y = a @ b with numpy batch broadcasting, for ranks >= 2, written out plainly. */
static void naive_matmul(const fc_shape *as, const float *a, const fc_shape *bs, const float *b,
                         const fc_shape *ys, float *y)
{
    int nb = ys->ndim - 2, ra = as->ndim - 2, rb = bs->ndim - 2;
    int64_t m = ys->d[nb], n = ys->d[nb + 1], k = as->d[as->ndim - 1], n_batch = 1;
    for (int j = 0; j < nb; j++)
        n_batch *= ys->d[j];
    for (int64_t bi = 0; bi < n_batch; bi++) {
        int64_t idx[FC_MAX_DIMS], rest = bi, ai = 0, bj = 0;
        for (int j = nb - 1; j >= 0; j--)
            idx[j] = rest % ys->d[j], rest /= ys->d[j];
        for (int j = 0; j < ra; j++) /* row-major index into A's batch dims */
            ai = ai * as->d[j] + (as->d[j] == 1 ? 0 : idx[j + nb - ra]);
        for (int j = 0; j < rb; j++)
            bj = bj * bs->d[j] + (bs->d[j] == 1 ? 0 : idx[j + nb - rb]);
        for (int64_t i = 0; i < m; i++)
            for (int64_t c = 0; c < n; c++) {
                double acc = 0;
                for (int64_t p = 0; p < k; p++)
                    acc += (double)a[(ai * m + i) * k + p] * b[(bj * k + p) * n + c];
                y[(bi * m + i) * n + c] = (float)acc;
            }
    }
}

TEST(matmul_random_broadcast_vs_naive)
{
    for (int t = 0; t < 100; t++) {
        int ra = rnd(2, 5), rb = rnd(2, 5), ry = ra > rb ? ra : rb;
        int64_t m = rnd(1, 5), k = rnd(1, 12), n = rnd(1, 5);
        fc_shape as = {.ndim = ra}, bs = {.ndim = rb}, ys = {.ndim = ry};
        for (int j = 0; j < ry - 2; j++) { /* aligned from the right */
            int64_t dim = rnd(1, 3);
            int ja = j - (ry - ra), jb = j - (ry - rb), ones = rnd(0, 3);
            int64_t da = ja >= 0 ? (ones == 1 ? 1 : dim) : 1;
            int64_t db = jb >= 0 ? (ones == 2 ? 1 : dim) : 1;
            if (ja >= 0)
                as.d[ja] = da;
            if (jb >= 0)
                bs.d[jb] = db;
            ys.d[j] = da == 1 ? db : da;
        }
        as.d[ra - 2] = m, as.d[ra - 1] = k, bs.d[rb - 2] = k, bs.d[rb - 1] = n;
        ys.d[ry - 2] = m, ys.d[ry - 1] = n;
        int64_t na = fc_shape_numel(&as), nbe = fc_shape_numel(&bs), ny = fc_shape_numel(&ys);
        float *a = malloc((size_t)na * 4), *b = malloc((size_t)nbe * 4);
        float *want = malloc((size_t)ny * 4);
        fc_test_fill_random(a, na, (unsigned)t, -1, 1);
        fc_test_fill_random(b, nbe, (unsigned)t + 500, -1, 1);
        naive_matmul(&as, a, &bs, b, &ys, want);
        fc_tensor A = {FC_DT_FLOAT, as, a}, B = {FC_DT_FLOAT, bs, b};
        fc_tensor *in[] = {&A, &B};
        int res = expect(__LINE__, &fc_op_matmul, NULL, 0, in, 2, ys.ndim, ys.d, want, 1e-4);
        free(a), free(b), free(want);
        if (res) {
            char s1[96], s2[96];
            return fc_test_fail(__FILE__, __LINE__, "A %s @ B %s: output differs",
                                fc_shape_str(&as, s1, sizeof s1), fc_shape_str(&bs, s2, sizeof s2));
        }
    }
    return FC_TEST_PASS;
}

TEST(matmul_errors)
{
    static float data[64];
    int64_t i64[4] = {0};
    fc_tensor A = fc_test_tensor(2, (int64_t[]){2, 3}, data);
    fc_tensor B_k = fc_test_tensor(2, (int64_t[]){2, 3}, data);
    fc_tensor A_b = fc_test_tensor(3, (int64_t[]){2, 2, 3}, data);
    fc_tensor B_b = fc_test_tensor(3, (int64_t[]){3, 3, 4}, data);
    fc_tensor S = fc_test_tensor(0, NULL, data);
    fc_tensor V = fc_test_tensor(1, (int64_t[]){4}, data);
    fc_tensor A_i64 = fc_test_tensor_i64(2, (int64_t[]){2, 2}, i64);
    EXPECT_ERROR(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A, &B_k}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A_b, &B_b}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&S, &A}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A, &V}), FC_ERR_SHAPE);
    EXPECT_ERROR(&fc_op_matmul, NULL, 0, ((fc_tensor *[]){&A_i64, &A_i64}), FC_ERR_UNSUPPORTED);
    fc_tensor y, *out[] = {&y}, *in[] = {&A_b, &B_b};
    fc_error err = {0};
    CHECK(fc_test_run_op(&fc_op_matmul, NULL, 0, 13, in, 2, out, 1, &err) == FC_ERR_SHAPE);
    CHECK_MSG(strstr(err.msg, "[2,2,3]") && strstr(err.msg, "[3,3,4]"), "message: %s", err.msg);
    return FC_TEST_PASS;
}
