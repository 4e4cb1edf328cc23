/* fuse_concat_conv.c - after fuse.c: a 1x1 convolution of a two-input channel
 * Concat is the sum of two 1x1 convolutions, one per input, with the weights' input
 * channels split: W [a | b] (x_a ; x_b) = W_a x_a + W_b x_b. So the Concat is not
 * copied: the first conv writes W_a x_a + bias, the second adds W_b x_b to it (a
 * fused residual add) and applies the conv's activation. The YOLO stem concatenates
 * a conv and a max pool, 2 x 16 channels at 160x160 in yolov8-lite, then runs a 1x1
 * over them; oneDNN's concat alone took 0.50 ms there.
 *
 * Taken only with two inputs (more would write the output once per input), a 1x1
 * stride-1 ungrouped conv whose output has no other post-op than activations, and
 * when the Concat's only reader is that conv. FC_NN_CONCAT_CONV=0 turns it off. */
#include "nn/fast.h"

#include "core/alloc.h"

#include <string.h>

/* Is conv d a 1x1, stride 1, unpadded, ungrouped float conv followed by activations only? */
static int pointwise(const fc_fast_desc *d)
{
    const fc_window *v = &d->win;
    if (d->src_nchw || v->kh != 1 || v->kw != 1 || v->sh != 1 || v->sw != 1 ||
        v->group != 1 || v->pt || v->pl || d->w->dtype != FC_DT_FLOAT || (d->b && d->b->dtype != FC_DT_FLOAT))
        return 0;
    for (int i = 0; i < d->n_post; i++)
        if (d->post[i].kind != FC_POST_ELTWISE)
            return 0;
    return 1;
}

/* New constant: columns [first, first + c) of the folded weights w (m x ci). */
static int weight_slice(fc_nn_ctx *ctx, const float *w, int64_t m, int64_t ci, int64_t first, int64_t c)
{
    float *part = fc_aligned_alloc((size_t)(m * c) * sizeof *part);
    if (!part)
        return -1;
    for (int64_t o = 0; o < m; o++)
        memcpy(part + o * c, w + o * ci + first, (size_t)c * sizeof *part);
    fc_shape s = fc_shape_make(4, (int64_t[]){m, c, 1, 1});
    return fc_ctx_add_const(ctx, FC_DT_FLOAT, &s, part);
}

/* Builds the two convs replacing Concat step ci and conv step vi into a and b.
 * FC_ERR_UNSUPPORTED leaves them as they were. */
static fc_status split(fc_nn_ctx *ctx, int ci, int vi, fc_step *a, fc_step *b, fc_error *err)
{
    const fc_step *cat = &ctx->steps[ci], *conv = &ctx->steps[vi];
    const fc_fast_desc *d = fc_fast_desc_of(conv->fast);
    const int64_t m = d->w->shape.d[0], c_all = d->w->shape.d[1], c0 = cat->in[0]->shape.d[1];
    float *w = fc_aligned_alloc((size_t)(m * c_all) * sizeof *w), *bias = fc_aligned_alloc((size_t)m * sizeof *bias);
    if (!w || !bias) {
        fc_aligned_free(w);
        fc_aligned_free(bias);
        return fc_error_set(err, FC_ERR_NOMEM, "splitting a conv");
    }
    fc_fold_conv(d->w, d->b, d->bn, d->bn_eps, w, bias);
    fc_shape bs = fc_shape_make(1, (int64_t[]){m});
    int w0 = weight_slice(ctx, w, m, c_all, 0, c0), w1 = weight_slice(ctx, w, m, c_all, c0, c_all - c0);
    int b_id = fc_ctx_add_const(ctx, FC_DT_FLOAT, &bs, bias);
    fc_aligned_free(w);
    int t = w0 < 0 || w1 < 0 || b_id < 0 ? -1 : fc_ctx_add_value(ctx, FC_DT_FLOAT, &conv->out[0]->shape);
    if (t < 0) /* a table is full (constants made so far stay, unused) */
        return FC_ERR_UNSUPPORTED;
    ctx->nhwc[t] = 1;
    fc_fast_desc da = *d, db = *d;
    da.w = &ctx->vals[w0], da.b = &ctx->vals[b_id], da.n_post = 0;
    db.w = &ctx->vals[w1], db.b = NULL;
    memset(da.bn, 0, sizeof da.bn);
    memset(db.bn, 0, sizeof db.bn);
    if (db.n_post == FC_FAST_MAX_POST)
        return FC_ERR_UNSUPPORTED;
    memmove(&db.post[1], &db.post[0], (size_t)db.n_post * sizeof db.post[0]);
    db.post[0] = (fc_post_op){.kind = FC_POST_ADD, .input = 1};
    db.n_post++;
    int b_in[2] = {cat->in_ids[1], t};
    fc_error ignored = {0};
    fc_status rc = fc_step_init(ctx, a, FC_STEP_FAST, cat->node, 1, &cat->in_ids[0], 1, &t, err);
    if (!rc)
        rc = fc_step_init(ctx, b, FC_STEP_FAST, conv->node, 2, b_in, 1, conv->out_ids, err);
    if (!rc && (fc_fast_create(ctx, a, &da, &ignored) || fc_fast_create(ctx, b, &db, &ignored)))
        rc = FC_ERR_UNSUPPORTED;
    if (rc) {
        fc_step_free(a);
        fc_step_free(b);
    }
    return rc;
}

fc_status fc_fast_fuse_concat_conv(fc_nn_ctx *ctx, fc_error *err)
{
    if (fc_fast_switched_off("FC_NN_CONCAT_CONV"))
        return FC_OK;
    for (int i = 0; i < ctx->n_steps; i++) {
        const fc_step *cat = &ctx->steps[i];
        if (!fc_step_is_fast(cat, FC_FAST_CONCAT) || cat->n_in != 2 || cat->in_ids[0] == cat->in_ids[1])
            continue;
        int v = fc_ctx_sole_reader(ctx, cat->out_ids[0]);
        const fc_step *conv = v >= 0 ? &ctx->steps[v] : NULL;
        if (!conv || !fc_step_is_fast(conv, FC_FAST_CONV) || conv->n_in != 1 || !pointwise(fc_fast_desc_of(conv->fast)))
            continue;
        fc_step a = {0}, b = {0};
        fc_status rc = split(ctx, i, v, &a, &b, err);
        if (rc == FC_ERR_UNSUPPORTED)
            continue;
        if (rc)
            return rc;
        fc_step_free(&ctx->steps[i]);
        fc_step_free(&ctx->steps[v]);
        ctx->steps[i] = a;
        ctx->steps[v] = b;
    }
    return FC_OK;
}
