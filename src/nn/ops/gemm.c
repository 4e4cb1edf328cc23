/* gemm.c - Gemm (Y = alpha * A' @ B' + beta * C) and MatMul (numpy matmul, with 1-D
 * operands and broadcast batch dims), float32: shapes and scalar reference kernels.
 *
 * Products run in i-k-j order, so the inner loop streams a row of B into a row of Y;
 * Gemm with transB instead takes dot products of contiguous rows. */
#include "nn/ops/ops.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct {
    float alpha, beta;
    int trans_a, trans_b;
} gemm_params;

/* A MatMul resolved against its inputs. */
typedef struct {
    int64_t m, k, n;
    int nb;                         /* batch dims of the output */
    int64_t batch[FC_MAX_DIMS];     /* their sizes */
    int64_t a_step[FC_MAX_DIMS];    /* elements of A per batch index; 0: broadcast */
    int64_t b_step[FC_MAX_DIMS];
    fc_shape out;
} matmul_geom;

/* ---- shared helpers ------------------------------------------------------------ */

static fc_status check_float(const fc_tensor *t, const char *name, fc_error *err)
{
    char buf[96];
    if (t->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "%s must be float32, got %s", name,
                            fc_dtype_name(t->dtype));
    for (int i = 0; i < t->shape.ndim; i++)
        if (t->shape.d[i] < 0)
            return fc_error_set(err, FC_ERR_SHAPE, "%s has an unknown dim: %s", name,
                                fc_shape_str(&t->shape, buf, sizeof buf));
    return FC_OK;
}

static fc_status ab_error(const char *why, const fc_tensor *a, const fc_tensor *b,
                          fc_error *err)
{
    char as[96], bs[96];
    return fc_error_set(err, FC_ERR_SHAPE, "%s: A %s, B %s", why,
                        fc_shape_str(&a->shape, as, sizeof as),
                        fc_shape_str(&b->shape, bs, sizeof bs));
}

/* y[i] += w * x[i], i < n. Out of line and run to a multiple of 8 first, so that
 * GCC vectorises it at -O2 (see conv.c). */
__attribute__((noinline)) static void axpy(float *restrict y, const float *restrict x, float w,
                                           int64_t n)
{
    int64_t i = 0, n8 = n & ~(int64_t)7;
    for (; i < n8; i++)
        y[i] += w * x[i];
    for (; i < n; i++)
        y[i] += w * x[i];
}

/* sum of a[i * sa] * b[i], i < n; eight partial sums when a is contiguous */
static float dot(const float *a, int64_t sa, const float *b, int64_t n)
{
    float part[8] = {0}, tail = 0.0f;
    int64_t i = 0;
    if (sa == 1)
        for (; i + 8 <= n; i += 8)
            for (int l = 0; l < 8; l++)
                part[l] += a[i + l] * b[i + l];
    for (; i < n; i++)
        tail += a[i * sa] * b[i];
    return ((part[0] + part[1]) + (part[2] + part[3])) +
           ((part[4] + part[5]) + (part[6] + part[7])) + tail;
}

/* y (m,n) = a (m,k) @ b (k,n), with a(i,p) at a[i*ars + p*acs] and b dense. */
static void matmul_ikj(const float *a, int64_t ars, int64_t acs, const float *b, float *y,
                       int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++) {
        float *yrow = y + i * n;
        for (int64_t j = 0; j < n; j++)
            yrow[j] = 0.0f;
        for (int64_t p = 0; p < k; p++)
            axpy(yrow, b + p * n, a[i * ars + p * acs], n);
    }
}

/* y (m,n) = a (m,k) @ bt (n,k)^T, with a(i,p) at a[i*ars + p*acs] and bt dense. */
static void matmul_dot(const float *a, int64_t ars, int64_t acs, const float *bt, float *y,
                       int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            y[i * n + j] = dot(a + i * ars, acs, bt + j * k, k);
}

/* ---- Gemm ---------------------------------------------------------------------- */

static fc_status gemm_parse(const fc_attrs *at, void **params, fc_error *err)
{
    gemm_params *p = calloc(1, sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->alpha = fc_attr_float(at, "alpha", 1.0f);
    p->beta = fc_attr_float(at, "beta", 1.0f);
    p->trans_a = fc_attr_int(at, "transA", 0) != 0;
    p->trans_b = fc_attr_int(at, "transB", 0) != 0;
    *params = p;
    return FC_OK;
}

/* Checks A, B and the optional C of a Gemm; *m, *k, *n get the product's sizes. */
static fc_status gemm_dims(const gemm_params *p, fc_tensor *const *in, int n_in, int64_t *m,
                           int64_t *k, int64_t *n, fc_error *err)
{
    const fc_tensor *a = in[0], *b = in[1], *c = n_in > 2 ? in[2] : NULL;
    fc_status rc;
    if ((rc = check_float(a, "A", err)) || (rc = check_float(b, "B", err)) ||
        (c && (rc = check_float(c, "C", err))))
        return rc;
    if (a->shape.ndim != 2 || b->shape.ndim != 2)
        return ab_error("A and B must be 2-D", a, b, err);
    *m = a->shape.d[p->trans_a ? 1 : 0], *k = a->shape.d[p->trans_a ? 0 : 1];
    *n = b->shape.d[p->trans_b ? 0 : 1];
    if (b->shape.d[p->trans_b ? 1 : 0] != *k)
        return ab_error(p->trans_a || p->trans_b ? "A' and B' do not multiply (transposed)"
                                                 : "A and B do not multiply",
                        a, b, err);
    if (!c)
        return FC_OK;
    const fc_shape *cs = &c->shape;
    int ok = cs->ndim <= 2;
    if (cs->ndim >= 1)
        ok = ok && (cs->d[cs->ndim - 1] == 1 || cs->d[cs->ndim - 1] == *n);
    if (cs->ndim == 2)
        ok = ok && (cs->d[0] == 1 || cs->d[0] == *m);
    if (!ok) {
        char buf[96];
        return fc_error_set(err, FC_ERR_SHAPE, "C %s does not broadcast to [%lld,%lld]",
                            fc_shape_str(cs, buf, sizeof buf), (long long)*m, (long long)*n);
    }
    return FC_OK;
}

static fc_status gemm_shape(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, fc_error *err)
{
    int64_t m, k, n;
    FC_UNUSED(n_out);
    fc_status rc = gemm_dims(params, in, n_in, &m, &k, &n, err);
    if (rc)
        return rc;
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = fc_shape_make(2, (int64_t[]){m, n});
    if (fc_shape_numel(&out[0]->shape) < 0)
        return fc_error_set(err, FC_ERR_LIMIT, "output is too large");
    return FC_OK;
}

/* Y = alpha * Y + beta * C, with C (rank <= 2) broadcast to Y (m,n). */
static void gemm_finish(const gemm_params *p, const fc_tensor *c, float *y, int64_t m,
                        int64_t n)
{
    const float *cd = c && p->beta != 0.0f ? c->data : NULL;
    const fc_shape *cs = cd ? &c->shape : NULL;
    int64_t col_step = cs && cs->ndim >= 1 && cs->d[cs->ndim - 1] == n && n != 1 ? 1 : 0;
    int64_t row_step = cs && cs->ndim == 2 && cs->d[0] == m && m != 1 ? cs->d[1] : 0;
    for (int64_t i = 0; i < m; i++) {
        float *yrow = y + i * n;
        if (!cd) {
            for (int64_t j = 0; j < n; j++)
                yrow[j] *= p->alpha;
            continue;
        }
        const float *crow = cd + i * row_step;
        for (int64_t j = 0; j < n; j++)
            yrow[j] = p->alpha * yrow[j] + p->beta * crow[j * col_step];
    }
}

/* A (m,k) or (k,m) @ B (k,n) or (n,k) -> Y (m,n), then alpha/beta/C */
static fc_status gemm_ref(const void *params, fc_tensor *const *in, int n_in,
                          fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const gemm_params *p = params;
    int64_t m, k, n;
    FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = gemm_dims(p, in, n_in, &m, &k, &n, err);
    if (rc)
        return rc;
    const float *a = in[0]->data, *b = in[1]->data;
    float *y = out[0]->data;
    int64_t ars = p->trans_a ? 1 : k, acs = p->trans_a ? m : 1;
    if (p->trans_b)
        matmul_dot(a, ars, acs, b, y, m, k, n);
    else
        matmul_ikj(a, ars, acs, b, y, m, k, n);
    gemm_finish(p, n_in > 2 ? in[2] : NULL, y, m, n);
    return FC_OK;
}

/* ---- MatMul -------------------------------------------------------------------- */

/* Broadcasts the batch dims of A and B (all but their last two; none for 1-D) into g. */
static fc_status matmul_batch(const fc_tensor *a, const fc_tensor *b, matmul_geom *g,
                              fc_error *err)
{
    int ra = a->shape.ndim > 2 ? a->shape.ndim - 2 : 0;
    int rb = b->shape.ndim > 2 ? b->shape.ndim - 2 : 0;
    int64_t sa = g->m * g->k, sb = g->k * g->n; /* elements per batch entry */
    g->nb = ra > rb ? ra : rb;
    for (int i = g->nb - 1; i >= 0; i--) {
        int ia = i - (g->nb - ra), ib = i - (g->nb - rb);
        int64_t da = ia >= 0 ? a->shape.d[ia] : 1, db = ib >= 0 ? b->shape.d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ab_error("batch dims do not broadcast", a, b, err);
        g->batch[i] = da == 1 ? db : da;
        g->a_step[i] = da == 1 ? 0 : sa;
        g->b_step[i] = db == 1 ? 0 : sb;
        sa *= da, sb *= db; /* cannot overflow: at most the numel of A or B */
    }
    return FC_OK;
}

static fc_status matmul_geom_get(fc_tensor *const *in, matmul_geom *g, fc_error *err)
{
    const fc_tensor *a = in[0], *b = in[1];
    fc_status rc;
    if ((rc = check_float(a, "A", err)) || (rc = check_float(b, "B", err)))
        return rc;
    int ra = a->shape.ndim, rb = b->shape.ndim;
    if (ra < 1 || rb < 1)
        return ab_error("MatMul needs operands of rank >= 1", a, b, err);
    g->m = ra == 1 ? 1 : a->shape.d[ra - 2];
    g->k = a->shape.d[ra - 1];
    g->n = rb == 1 ? 1 : b->shape.d[rb - 1];
    if (b->shape.d[rb == 1 ? 0 : rb - 2] != g->k)
        return ab_error("A and B do not multiply", a, b, err);
    if ((rc = matmul_batch(a, b, g, err)))
        return rc;
    g->out = fc_shape_make(g->nb, g->batch);
    if (ra > 1)
        g->out.d[g->out.ndim++] = g->m;
    if (rb > 1)
        g->out.d[g->out.ndim++] = g->n;
    if (fc_shape_numel(&g->out) < 0)
        return fc_error_set(err, FC_ERR_LIMIT, "output is too large");
    return FC_OK;
}

static fc_status matmul_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    matmul_geom g;
    FC_UNUSED(params), FC_UNUSED(n_in), FC_UNUSED(n_out);
    fc_status rc = matmul_geom_get(in, &g, err);
    if (rc)
        return rc;
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = g.out;
    return FC_OK;
}

/* A (...,m,k) @ B (...,k,n) -> Y (...,m,n), batch dims broadcast */
static fc_status matmul_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    matmul_geom g;
    FC_UNUSED(params), FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = matmul_geom_get(in, &g, err);
    if (rc)
        return rc;
    const float *a = in[0]->data, *b = in[1]->data;
    float *y = out[0]->data;
    int64_t n_batch = 1, ysize = g.m * g.n;
    for (int i = 0; i < g.nb; i++)
        n_batch *= g.batch[i];
    for (int64_t bi = 0; bi < n_batch; bi++) {
        int64_t rest = bi, off_a = 0, off_b = 0;
        for (int i = g.nb - 1; i >= 0; i--) {
            int64_t idx = rest % g.batch[i];
            rest /= g.batch[i];
            off_a += idx * g.a_step[i], off_b += idx * g.b_step[i];
        }
        matmul_ikj(a + off_a, g.k, 1, b + off_b, y + bi * ysize, g.m, g.k, g.n);
    }
    return FC_OK;
}

const fc_op_def fc_op_gemm = {
    .name = "Gemm",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = gemm_parse,
    .shape = gemm_shape,
    .ref = gemm_ref,
};

const fc_op_def fc_op_matmul = {
    .name = "MatMul",
    .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1,
    .parse = NULL,
    .shape = matmul_shape,
    .ref = matmul_ref,
};
