/* macs.c - how much arithmetic a context does per run: the multiply-adds of its
 * Conv, ConvTranspose, Gemm and MatMul nodes for the context's shapes (batch
 * included), counted once after shape inference, before fusion. The other ops do
 * one or a few operations per element, little next to a convolution's hundreds.
 * `facecluster nn --bench` divides it by the median time, which tells how close a
 * model runs to the CPU's multiply-add rate. */
#include "core/alloc.h"
#include "nn/ctx.h"
#include "nn/ops/ops.h"

/* numel(s) / d: the elements per slice along one dimension; 0 when unknown. */
static int64_t per(const fc_shape *s, int64_t d)
{
    int64_t n = fc_shape_numel(s);
    return d > 0 && n > 0 ? n / d : 0;
}

/* numel(s) * k, 0 when unknown or past int64. */
static int64_t times(const fc_shape *s, int64_t k)
{
    int64_t n = fc_shape_numel(s), out;
    return n > 0 && k > 0 && !fc_mul_overflow(n, k, &out) ? out : 0;
}

static int64_t step_macs(const fc_step *st)
{
    const fc_op_def *op = st->node->op;
    if (st->n_in < 2 || st->n_out < 1 || !st->in[0] || !st->in[1] || !st->out[0])
        return 0;
    const fc_shape *x = &st->in[0]->shape, *w = &st->in[1]->shape, *y = &st->out[0]->shape;
    if (op == &fc_op_conv && w->ndim >= 1) /* W [M, C/group, k...] */
        return times(y, per(w, w->d[0]));
    if (op == &fc_op_conv_transpose && w->ndim >= 1) /* W [C, M/group, k...] */
        return times(x, per(w, w->d[0]));
    if (op == &fc_op_gemm && y->ndim == 2) /* A [M, K] or [K, M] */
        return times(y, per(x, y->d[0]));
    if (op == &fc_op_matmul && x->ndim >= 1) /* A [..., M, K] */
        return times(y, x->d[x->ndim - 1]);
    return 0;
}

int64_t fc_ctx_count_macs(const fc_nn_ctx *ctx)
{
    int64_t total = 0;
    for (int s = 0; s < ctx->n_steps; s++)
        if (ctx->steps[s].kind == FC_STEP_REF) {
            int64_t n = step_macs(&ctx->steps[s]);
            total = n > INT64_MAX - total ? INT64_MAX : total + n;
        }
    return total;
}
