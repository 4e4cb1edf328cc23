/* fuse_heads.c - after fuse.c: sibling convolutions become one. A detector's heads
 * are several convolutions of one feature map with a few output channels each
 * (SCRFD: 2 scores, 8 box offsets, 20 landmark offsets, 3x3 over 64 channels).
 * oneDNN computes output channels 16 at a time, so 2 + 8 + 20 channels cost 1 + 1 + 2
 * vector blocks, and all three read the map; as one convolution of 30 channels they
 * cost 2 blocks and one read (SCRFD-500m at 80x80, 1 thread: 2.7 ms -> see
 * bench/RESULTS.md). Each head's output is then a channel gather of the merged one
 * (FC_FAST_CHANNELS), which costs little next to a convolution.
 *
 * Siblings: fast Conv steps reading the same value alone (no residual), with the
 * same window, no folded BatchNormalization and no post-ops, merged only when that
 * saves vector blocks. The merged step stands where the first sibling stood, each
 * gather where its conv stood. FC_NN_HEADS=0 turns the pass off. */
#include "nn/fast.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_SIBLINGS = 8 };

static int blocks(int64_t m) { return (int)((m + 15) / 16); }

/* Can step s be a sibling? Its desc, or NULL. */
static const fc_fast_desc *head_desc(const fc_step *s)
{
    if (s->kind != FC_STEP_FAST || !s->fast || s->n_in != 1 || s->n_out != 1)
        return NULL;
    const fc_fast_desc *d = fc_fast_desc_of(s->fast);
    if (d->kind != FC_FAST_CONV || d->n_post || d->bn[0] || d->win.group != 1 || d->w->shape.ndim != 4 ||
        d->w->dtype != FC_DT_FLOAT || (d->b && d->b->dtype != FC_DT_FLOAT))
        return NULL;
    return d;
}

static int same_window(const fc_window *a, const fc_window *b)
{
    return a->kh == b->kh && a->kw == b->kw && a->sh == b->sh && a->sw == b->sw && a->dh == b->dh &&
           a->dw == b->dw && a->pt == b->pt && a->pl == b->pl;
}

/* Builds the merged conv of the n siblings sib[] into *merged (the heads' gathers
 * into gather[]). FC_ERR_UNSUPPORTED leaves the steps as they were. */
static fc_status merge(fc_nn_ctx *ctx, const int *sib, int n, fc_step *merged, fc_step *gather,
                       fc_error *err)
{
    const fc_step *first = &ctx->steps[sib[0]];
    const fc_fast_desc *d0 = fc_fast_desc_of(first->fast);
    const int64_t c = d0->w->shape.d[1], per = c * d0->win.kh * d0->win.kw;
    int64_t m = 0;
    for (int k = 0; k < n; k++)
        m += ctx->steps[sib[k]].out[0]->shape.d[1];
    float *w = fc_aligned_alloc((size_t)(m * per) * sizeof *w), *b = fc_aligned_alloc((size_t)m * sizeof *b);
    if (!w || !b) {
        fc_aligned_free(w);
        fc_aligned_free(b);
        return fc_error_set(err, FC_ERR_NOMEM, "merging heads");
    }
    for (int64_t o = 0, k = 0; k < n; k++) {
        const fc_fast_desc *d = fc_fast_desc_of(ctx->steps[sib[k]].fast);
        int64_t mk = d->w->shape.d[0];
        memcpy(w + o * per, d->w->data, (size_t)(mk * per) * sizeof *w);
        for (int64_t j = 0; j < mk; j++)
            b[o + j] = d->b ? ((const float *)d->b->data)[j] : 0.0f;
        o += mk;
    }
    fc_shape ws = d0->w->shape, bs = fc_shape_make(1, (int64_t[]){m}), ys = first->out[0]->shape;
    ws.d[0] = m;
    ys.d[1] = m;
    int w_id = fc_ctx_add_const(ctx, FC_DT_FLOAT, &ws, w);
    int b_id = fc_ctx_add_const(ctx, FC_DT_FLOAT, &bs, b);
    int y_id = w_id < 0 || b_id < 0 ? -1 : fc_ctx_add_value(ctx, FC_DT_FLOAT, &ys);
    if (y_id < 0) /* the tables are full: leave the heads apart (a constant may stay, unused) */
        return FC_ERR_UNSUPPORTED;
    ctx->nhwc[y_id] = 1;
    fc_fast_desc md = *d0;
    md.w = &ctx->vals[w_id];
    md.b = &ctx->vals[b_id];
    fc_error ignored = {0};
    fc_status rc = fc_step_init(ctx, merged, FC_STEP_FAST, first->node, 1, first->in_ids, 1, &y_id, err);
    if (rc)
        return rc;
    if (fc_fast_create(ctx, merged, &md, &ignored) != FC_OK) {
        fc_step_free(merged);
        return FC_ERR_UNSUPPORTED;
    }
    for (int64_t o = 0, k = 0; k < n; k++) {
        const fc_step *s = &ctx->steps[sib[k]];
        fc_fast_desc gd = {.kind = FC_FAST_CHANNELS, .ch_first = o};
        o += s->out[0]->shape.d[1];
        if ((rc = fc_step_init(ctx, &gather[k], FC_STEP_FAST, s->node, 1, &y_id, 1, s->out_ids, err)) ||
            (rc = fc_fast_create(ctx, &gather[k], &gd, err))) {
            for (int q = 0; q <= k; q++)
                fc_step_free(&gather[q]);
            fc_step_free(merged);
            return rc;
        }
    }
    return FC_OK;
}

fc_status fc_fast_fuse_heads(fc_nn_ctx *ctx, fc_error *err)
{
    if (fc_fast_switched_off("FC_NN_HEADS"))
        return FC_OK;
    const int ns = ctx->n_steps;
    int *group = malloc(((size_t)ns + 1) * sizeof *group); /* per step: its group's first step, or -1 */
    fc_step *merged = calloc((size_t)ns + 1, sizeof *merged); /* per first step */
    fc_step *out = calloc((size_t)(2 * ns) + 2, sizeof *out);
    fc_status rc = group && merged && out ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "merging heads");
    int n_merged = 0;
    for (int i = 0; !rc && i < ns; i++)
        group[i] = -1;
    for (int i = 0; !rc && i < ns; i++) {
        const fc_fast_desc *d = group[i] < 0 ? head_desc(&ctx->steps[i]) : NULL;
        if (!d)
            continue;
        int sib[MAX_SIBLINGS], n = 0, v = ctx->steps[i].in_ids[0], apart = 0;
        int64_t m = 0;
        for (int j = i; j < ns && n < MAX_SIBLINGS; j++) {
            const fc_step *t = &ctx->steps[j];
            const fc_fast_desc *e = group[j] < 0 && t->in_ids[0] == v ? head_desc(t) : NULL;
            if (!e || !same_window(&e->win, &d->win) || e->w->shape.d[1] != d->w->shape.d[1] ||
                !fc_shape_equal(&t->in[0]->shape, &ctx->steps[i].in[0]->shape) ||
                t->out[0]->shape.d[2] != ctx->steps[i].out[0]->shape.d[2] ||
                t->out[0]->shape.d[3] != ctx->steps[i].out[0]->shape.d[3])
                continue;
            sib[n++] = j;
            m += t->out[0]->shape.d[1];
            apart += blocks(t->out[0]->shape.d[1]);
        }
        if (n < 2 || blocks(m) >= apart)
            continue;
        fc_step *gather = calloc((size_t)n, sizeof *gather);
        if (!gather) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "merging heads");
            break;
        }
        rc = merge(ctx, sib, n, &merged[i], gather, err);
        if (rc == FC_ERR_UNSUPPORTED) {
            rc = FC_OK;
            free(gather);
            continue;
        }
        if (rc) {
            free(gather);
            break;
        }
        for (int k = 0; k < n; k++) { /* each conv becomes its gather */
            fc_step *s = &ctx->steps[sib[k]];
            fc_step_free(s);
            *s = gather[k];
            group[sib[k]] = i;
        }
        free(gather);
        n_merged++;
    }
    if (!rc && n_merged) {
        int w = 0;
        for (int i = 0; i < ns; i++) {
            if (merged[i].fast)
                out[w++] = merged[i];
            out[w++] = ctx->steps[i];
        }
        free(ctx->steps);
        ctx->steps = out;
        ctx->n_steps = w;
        out = NULL;
    }
    for (int i = 0; rc && merged && i < ns; i++) /* failed: the merged steps never joined */
        fc_step_free(&merged[i]);
    free(out);
    free(group);
    free(merged);
    return rc;
}
