/* fuse.c - decides which steps of a context run on oneDNN, fuses what follows a
 * Conv into it, and inserts the NCHW <-> NHWC conversions the fast steps need.
 *
 * Pass 1 walks the steps in order and forms groups: a Conv with its chain (folded
 * BatchNormalization, activations, SiLU, one residual Add, more activations), or a
 * standalone pool / elementwise / PRelu / binary / Concat whose input is already
 * NHWC, or a Transpose to NHWC order of a fast output, which becomes an alias of its
 * NHWC bytes. Each group becomes one fast step, placed where its last node stood
 * (so every input it reads is ready). Pass 2 emits the new step list. Values keep
 * their ONNX (NCHW) meaning under their own ids; an NHWC copy gets a new id. */
#include "nn/fast.h"

#include "nn/ops/ops.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    fc_nn_ctx *ctx;
    int n;              /* steps before the rewrite */
    int *user_start, *users; /* CSR: steps reading each value */
    unsigned char *is_output;
    int *group_of;      /* per step: index of the group that absorbs it, or -1 */
    int *emit_at;       /* per group (indexed by head step): the step it replaces */
    fc_step *built;     /* per group: the fast step */
    int *nhwc_of;       /* per value: id of its NHWC copy, or -1 */
    int *orig_of;       /* per NHWC copy: the value it copies */
    unsigned char *fast_out; /* per value: produced by a fast step (NHWC only so far) */
    int *shuf_src;      /* per value: when it is a channel shuffle that only channel
                         * Slices read, the shuffled value (they gather from it), or -1 */
    int64_t *shuf_g;    /* per value: that shuffle's group count */
    fc_status rc;       /* a failure that leaves the steps inconsistent, */
    fc_error fail;      /* and why */
} fuser;

static int n_users(const fuser *f, int v)
{
    return f->user_start[v + 1] - f->user_start[v] + f->is_output[v];
}

/* The only step reading v, when there is exactly one and v is not a graph output. */
static int sole_user(const fuser *f, int v)
{
    return n_users(f, v) == 1 && !f->is_output[v] ? f->users[f->user_start[v]] : -1;
}

static const fc_step *step(const fuser *f, int i) { return &f->ctx->steps[i]; }

static int is4f(const fc_tensor *t)
{
    return t && t->dtype == FC_DT_FLOAT && t->shape.ndim == 4;
}

static int known(const fuser *f, int v) { return v >= 0 && f->ctx->known[v]; }

/* Maps a unary activation step to an eltwise function; 0 if it is not one. */
static int as_eltwise(const fuser *f, const fc_step *s, fc_elt_alg *alg, float *alpha, float *beta)
{
    const fc_op_def *op = s->node->op;
    float a = 0, lo = -FLT_MAX, hi = FLT_MAX;
    *alpha = 0, *beta = 0;
    if (op == &fc_op_relu)
        *alg = FC_ELT_RELU;
    else if (op == &fc_op_leaky_relu) {
        fc_unary_constants(s->node->params, &a, &lo, &hi);
        *alg = FC_ELT_RELU, *alpha = a;
    } else if (op == &fc_op_sigmoid)
        *alg = FC_ELT_LOGISTIC;
    else if (op == &fc_op_tanh)
        *alg = FC_ELT_TANH;
    else if (op == &fc_op_hard_swish)
        *alg = FC_ELT_HARDSWISH;
    else if (op == &fc_op_exp)
        *alg = FC_ELT_EXP;
    else if (op == &fc_op_sqrt)
        *alg = FC_ELT_SQRT;
    else if (op == &fc_op_clip) {
        if (fc_unary_constants(s->node->params, &a, &lo, &hi)) {
            lo = -FLT_MAX, hi = FLT_MAX;
            for (int i = 1; i < s->n_in && i < 3; i++) {
                if (s->in_ids[i] < 0)
                    continue;
                if (!known(f, s->in_ids[i]) || fc_shape_numel(&s->in[i]->shape) != 1)
                    return 0;
                *(i == 1 ? &lo : &hi) = *(const float *)s->in[i]->data;
            }
        }
        *alg = FC_ELT_CLIP, *alpha = lo, *beta = hi;
    } else
        return 0;
    return is4f(s->in[0]);
}

/* A per-channel constant of c floats laid out as [c,1,1] or [1,c,1,1]. */
static int per_channel(const fuser *f, int v, int64_t c)
{
    if (!known(f, v))
        return 0;
    const fc_shape *s = &f->ctx->vals[v].shape;
    int r = s->ndim;
    return f->ctx->vals[v].dtype == FC_DT_FLOAT && r >= 3 && s->d[r - 3] == c && s->d[r - 2] == 1 &&
           s->d[r - 1] == 1 && fc_shape_numel(s) == c;
}

/* When s is an Add of cur and another value of its shape (4-D float): that value,
 * which a step ending in cur can add as it writes (a residual); else -1. */
static int addend(const fc_step *s, int cur)
{
    if (!s || s->node->op != &fc_op_add || s->in_ids[0] == s->in_ids[1] || !is4f(s->in[0]) ||
        !fc_shape_equal(&s->in[0]->shape, &s->in[1]->shape))
        return -1;
    return s->in_ids[0] == cur ? s->in_ids[1] : s->in_ids[0];
}

/* A REPEAT (nearest upsampling) whose output only an Add reads takes the Add in, as
 * its one post-op: the upsample-and-add of a feature pyramid (YuNet) then writes the
 * sum straight away, without the upsampled map (fc_repeat_pixels). */
static void take_add(fuser *f, int g, int *cur, fc_fast_desc *d, int *residual)
{
    int u = sole_user(f, *cur);
    const fc_step *s = u >= 0 && f->group_of[u] < 0 ? step(f, u) : NULL;
    if ((*residual = addend(s, *cur)) < 0)
        return;
    d->post[d->n_post++] = (fc_post_op){.kind = FC_POST_ADD};
    f->group_of[u] = g;
    f->emit_at[g] = u;
    *cur = s->out_ids[0];
}

/* Extends group g (whose current output is *cur) with the steps that follow it.
 * conv: also BatchNormalization (first only), SiLU and one residual Add. */
static void extend_chain(fuser *f, int g, int *cur, int conv, fc_fast_desc *d, int *residual)
{
    int bn_allowed = conv;
    for (;;) {
        int u = sole_user(f, *cur);
        const fc_step *s = u >= 0 && f->group_of[u] < 0 ? step(f, u) : NULL;
        if (d->n_post == FC_FAST_MAX_POST - 1)
            return;
        fc_post_op *p = &d->post[d->n_post];
        if (s && s->kind == FC_STEP_REF && s->node->op == &fc_op_batch_normalization && bn_allowed &&
            d->n_post == 0 && !d->bn[0]) {
            int ok = 1;
            for (int i = 1; i < 5; i++)
                ok &= per_channel(f, s->in_ids[i], s->in[0]->shape.d[1]) ||
                      (known(f, s->in_ids[i]) && s->in[i]->shape.ndim == 1 &&
                       s->in[i]->shape.d[0] == s->in[0]->shape.d[1]);
            if (!ok)
                return;
            for (int i = 0; i < 4; i++)
                d->bn[i] = s->in[i + 1];
            d->bn_eps = fc_batchnorm_epsilon(s->node->params);
        } else if (s && s->kind == FC_STEP_REF && as_eltwise(f, s, &p->alg, &p->alpha, &p->beta)) {
            p->kind = FC_POST_ELTWISE;
            d->n_post++;
        } else if (conv && *residual < 0 && (*residual = addend(s, *cur)) >= 0) {
            p->kind = FC_POST_ADD; /* p->input is set when the step is built */
            d->n_post++;
        } else if (conv && n_users(f, *cur) == 2 && !f->is_output[*cur]) {
            /* SiLU: y * Sigmoid(y) */
            int a = f->users[f->user_start[*cur]], b = f->users[f->user_start[*cur] + 1];
            const fc_step *sg = step(f, a)->node->op == &fc_op_sigmoid ? step(f, a) : step(f, b);
            const fc_step *mu = sg == step(f, a) ? step(f, b) : step(f, a);
            u = (int)(mu - f->ctx->steps);
            int sg_i = (int)(sg - f->ctx->steps);
            if (sg->node->op != &fc_op_sigmoid || mu->node->op != &fc_op_mul ||
                sole_user(f, sg->out_ids[0]) != u || f->group_of[sg_i] >= 0 || f->group_of[u] >= 0)
                return;
            p->kind = FC_POST_ELTWISE, p->alg = FC_ELT_SWISH, p->alpha = 1.0f, p->beta = 0;
            d->n_post++;
            f->group_of[sg_i] = g;
            s = mu;
        } else {
            return;
        }
        bn_allowed = 0;
        f->group_of[u] = g;
        f->emit_at[g] = u;
        *cur = s->out_ids[0];
    }
}

/* The NHWC id of value v, creating the temporary the first time. */
static int nhwc_id(fuser *f, int v)
{
    if (f->nhwc_of[v] < 0) {
        f->nhwc_of[v] = fc_ctx_add_value(f->ctx, FC_DT_FLOAT, &f->ctx->vals[v].shape);
        if (f->nhwc_of[v] >= 0) {
            f->ctx->nhwc[f->nhwc_of[v]] = 1;
            f->orig_of[f->nhwc_of[v]] = v;
        }
    }
    return f->nhwc_of[v];
}

/* A broadcast operand that reads the same in both layouts. */
static int layout_free(const fc_tensor *t, const fc_tensor *like)
{
    int64_t n = fc_shape_numel(&t->shape);
    if (n == 1)
        return 1;
    int r = t->shape.ndim;
    return n == like->shape.d[1] && r >= 3 && t->shape.d[r - 3] == n;
}

/* Builds the fast step of group g: inputs are value ids (ONNX meaning), mapped to
 * their NHWC copies except layout-free broadcast operands. */
static fc_status build(fuser *f, int g, const fc_fast_desc *d, int n_in, const int *in, int out,
                       fc_error *err)
{
    int ids[FC_FAST_MAX_IN], out_id = nhwc_id(f, out);
    if (n_in > FC_FAST_MAX_IN || out_id < 0)
        return FC_ERR_UNSUPPORTED;
    for (int i = 0; i < n_in; i++) {
        const fc_tensor *t = &f->ctx->vals[in[i]];
        int free_layout = i > 0 && d->kind == FC_FAST_BINARY && !fc_shape_equal(&t->shape, &f->ctx->vals[in[0]].shape);
        if ((free_layout && !f->fast_out[in[i]]) || (i == 0 && d->src_nchw))
            ids[i] = in[i];
        else if ((ids[i] = nhwc_id(f, in[i])) < 0)
            return FC_ERR_UNSUPPORTED;
    }
    fc_step *s = &f->built[g];
    fc_status rc = fc_step_init(f->ctx, s, FC_STEP_FAST, step(f, g)->node, n_in, ids, 1, &out_id, err);
    if (rc)
        return rc;
    fc_fast_desc dd = *d;
    for (int i = 0; i < dd.n_post; i++)
        if (dd.post[i].kind == FC_POST_ADD)
            dd.post[i].input = n_in - 1;
    return fc_fast_create(f->ctx, s, &dd, err);
}

static void ungroup(fuser *f, int g)
{
    for (int i = g; i < f->n; i++)
        if (f->group_of[i] == g)
            f->group_of[i] = -1;
    fc_step_free(&f->built[g]);
}

/* A channel shuffle starting at step i: Reshape [N,C,H,W] -> [N,g,C/g,H,W], Transpose
 * (0,2,1,3,4), Reshape back to [N,C,H,W]. Returns the last step and g, or -1. */
static int match_shuffle(const fuser *f, int i, int64_t *groups)
{
    const fc_step *a = step(f, i);
    int perm[FC_MAX_DIMS];
    fc_error ignored = {0};
    if (a->node->op != &fc_op_reshape || !is4f(a->in[0]) || a->out[0]->shape.ndim != 5)
        return -1;
    const fc_shape *x = &a->in[0]->shape, *r = &a->out[0]->shape;
    if (r->d[0] != x->d[0] || r->d[1] * r->d[2] != x->d[1] || r->d[3] != x->d[2] ||
        r->d[4] != x->d[3])
        return -1;
    int t = sole_user(f, a->out_ids[0]);
    if (t < 0 || f->group_of[t] >= 0 || step(f, t)->node->op != &fc_op_transpose ||
        fc_transpose_perm(step(f, t)->node->params, 5, perm, &ignored) || perm[0] != 0 ||
        perm[1] != 2 || perm[2] != 1 || perm[3] != 3 || perm[4] != 4)
        return -1;
    int b = sole_user(f, step(f, t)->out_ids[0]);
    if (b < 0 || f->group_of[b] >= 0 || step(f, b)->node->op != &fc_op_reshape ||
        !fc_shape_equal(&step(f, b)->out[0]->shape, x))
        return -1;
    *groups = r->d[1];
    return b;
}

/* A Slice of a 4-D float along channels only, step 1: its first channel, or -1. */
static int64_t channel_slice(const fuser *f, const fc_step *s)
{
    int64_t start[FC_MAX_DIMS], st[FC_MAX_DIMS];
    fc_error ignored = {0};
    if (s->node->op != &fc_op_slice || !is4f(s->in[0]) || !is4f(s->out[0]))
        return -1;
    for (int k = 1; k < s->n_in; k++)
        if (s->in_ids[k] >= 0 && !known(f, s->in_ids[k]))
            return -1;
    if (fc_slice_window(s->node->params, s->in, s->n_in, start, st, &ignored))
        return -1;
    const fc_shape *x = &s->in[0]->shape, *y = &s->out[0]->shape;
    for (int k = 0; k < 4; k++)
        if (st[k] != 1 || (k != 1 && (start[k] != 0 || y->d[k] != x->d[k])))
            return -1;
    return start[1];
}

/* A shuffle (steps i..last) of a fast output x: when only channel Slices read it,
 * drop it and let them gather from x; otherwise one CHANNELS step. */
static void try_shuffle(fuser *f, int i, int last, int64_t g)
{
    fc_error ignored = {0};
    int x = step(f, i)->in_ids[0], y = step(f, last)->out_ids[0], t = sole_user(f, step(f, i)->out_ids[0]);
    int only_slices = !f->is_output[y] && n_users(f, y) > 0;
    if (!f->fast_out[x])
        return;
    for (int k = f->user_start[y]; k < f->user_start[y + 1]; k++)
        only_slices &= channel_slice(f, step(f, f->users[k])) >= 0 && f->group_of[f->users[k]] < 0;
    f->group_of[i] = f->group_of[t] = f->group_of[last] = i;
    if (only_slices) {
        f->emit_at[i] = -1; /* never emitted: the Slices read x */
        f->shuf_src[y] = x, f->shuf_g[y] = g;
        return;
    }
    fc_fast_desc d = {.kind = FC_FAST_CHANNELS, .ch_groups = g};
    f->emit_at[i] = last;
    if (build(f, i, &d, 1, &x, y, &ignored) != FC_OK) {
        ungroup(f, i);
        return;
    }
    f->fast_out[y] = 1;
}

/* Add(b, x) and Mul(b, x) with a broadcast b first become Add(x, b), Mul(x, b): the
 * fast binary op broadcasts its second operand only. Exact for floats. */
static void put_full_operand_first(fc_step *s)
{
    const fc_op_def *op = s->node->op;
    if ((op != &fc_op_add && op != &fc_op_mul) || s->n_in != 2 || !s->in[0] || !s->in[1] ||
        fc_shape_equal(&s->in[0]->shape, &s->out[0]->shape) ||
        !fc_shape_equal(&s->in[1]->shape, &s->out[0]->shape))
        return;
    fc_tensor *t = s->in[0];
    int id = s->in_ids[0];
    s->in[0] = s->in[1], s->in_ids[0] = s->in_ids[1];
    s->in[1] = t, s->in_ids[1] = id;
}

/* Does a Transpose by perm lay out [N,C,H,W] as its NHWC bytes? (0,2,3,1) does; with
 * one image, so do (2,3,0,1) and (2,3,1,0), SCRFD's heads ([H,W,N,C]). */
static int nhwc_order(const int *perm, int64_t n)
{
    if (perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1)
        return 1;
    return n == 1 && perm[0] == 2 && perm[1] == 3 && ((perm[2] == 0 && perm[3] == 1) || (perm[2] == 1 && perm[3] == 0));
}

/* A Transpose of a fast output x to NHWC order (nhwc_order): its bytes are x's NHWC
 * copy, so the step becomes an alias of that copy (detector heads: Conv, Transpose,
 * Reshape), and x needs no conversion back to NCHW for it. Returns 1 when it did. */
static int try_nhwc_view(fuser *f, int i)
{
    const fc_step *s = step(f, i);
    int perm[FC_MAX_DIMS], x = s->in_ids[0], id;
    fc_error ignored = {0};
    if (s->kind != FC_STEP_REF || s->node->op != &fc_op_transpose || !is4f(s->in[0]) ||
        !f->fast_out[x] || fc_transpose_perm(s->node->params, 4, perm, &ignored) ||
        !nhwc_order(perm, s->in[0]->shape.d[0]) || (id = nhwc_id(f, x)) < 0 ||
        fc_step_init(f->ctx, &f->built[i], FC_STEP_ALIAS, s->node, 1, &id, 1, s->out_ids, &ignored))
        return 0;
    f->group_of[i] = i;
    f->emit_at[i] = i;
    return 1;
}

/* A first layer oneDNN runs on the NCHW image itself: 3 (or 4) input channels, 16
 * output channels, whose 16-channel-blocked layout (its first-layer kernels' output)
 * is byte for byte NHWC. Saves converting the input: YuNet at 640x640, 0.39 ms of a
 * 7 ms run. With other output counts oneDNN 2.6 has only its reference kernel for
 * NCHW in, NHWC out (measured: 1.6 s), so they keep the conversion. */
static int first_layer(const fc_step *s, const fc_fast_desc *d)
{
    return !fc_fast_switched_off("FC_NN_NCHW_FIRST") && s->in[0]->shape.d[1] <= 4 &&
           s->out[0]->shape.d[1] == 16 && d->win.group == 1;
}

/* Tries to start a group at step i; leaves it ungrouped when nothing fits. */
static void try_group(fuser *f, int i)
{
    fc_error ignored = {0}, *err = &ignored; /* declining to fuse is not an error */
    put_full_operand_first(&f->ctx->steps[i]);
    const fc_step *s = step(f, i);
    const fc_op_def *op = s->node->op;
    fc_fast_desc d = {0};
    int in[FC_FAST_MAX_IN], n_in = 1, cur = s->out_ids[0], residual = -1, conv = 0, needed = 0;
    int64_t groups;
    int last = match_shuffle(f, i, &groups);
    if (last >= 0) {
        try_shuffle(f, i, last, groups);
        return;
    }
    if (try_nhwc_view(f, i))
        return;
    if (s->kind != FC_STEP_REF || !is4f(s->in[0]) || !is4f(s->out[0]))
        return;
    int input_fast = 0;
    for (int k = 0; k < s->n_in; k++)
        input_fast |= s->in_ids[k] >= 0 && f->fast_out[s->in_ids[k]];
    in[0] = s->in_ids[0];
    if (op == &fc_op_conv) {
        if (!known(f, s->in_ids[1]) || (s->n_in > 2 && s->in_ids[2] >= 0 && !known(f, s->in_ids[2])) ||
            fc_conv_window(s->node->params, s->in, s->n_in, &d.win, err))
            return;
        d.kind = FC_FAST_CONV, d.w = s->in[1], d.b = s->n_in > 2 && s->in_ids[2] >= 0 ? s->in[2] : NULL;
        d.src_nchw = !input_fast && first_layer(s, &d);
        conv = 1;
    } else if (op == &fc_op_slice && f->shuf_src[in[0]] >= 0) {
        if ((d.ch_first = channel_slice(f, s)) < 0)
            return;
        d.kind = FC_FAST_CHANNELS, d.ch_groups = f->shuf_g[in[0]];
        in[0] = f->shuf_src[in[0]];
        needed = 1; /* the shuffle it reads was dropped */
    } else if (!input_fast) {
        return; /* a lone op on NCHW data: conversions would cost more than they save */
    } else if (op == &fc_op_slice) {
        if ((d.ch_first = channel_slice(f, s)) < 0)
            return;
        d.kind = FC_FAST_CHANNELS;
    } else if (op == &fc_op_resize || op == &fc_op_upsample) {
        for (int k = 1; k < s->n_in; k++)
            if (s->in_ids[k] >= 0 && !known(f, s->in_ids[k]))
                return;
        if (!fc_resize_repeat(s->node->params, s->in, s->n_in, &d.rep_h, &d.rep_w))
            return;
        d.kind = FC_FAST_REPEAT;
    } else if (op == &fc_op_max_pool || op == &fc_op_average_pool) {
        if (fc_pool_window(s->node->params, s->in[0], &d.win, err) || d.win.count_include_pad)
            return;
        d.kind = op == &fc_op_max_pool ? FC_FAST_MAX_POOL : FC_FAST_AVG_POOL;
    } else if (op == &fc_op_global_average_pool) {
        d.kind = FC_FAST_GLOBAL_AVG_POOL;
    } else if (op == &fc_op_prelu) {
        if (!per_channel(f, s->in_ids[1], s->in[0]->shape.d[1]))
            return;
        d.kind = FC_FAST_PRELU, d.slope = s->in[1];
    } else if (as_eltwise(f, s, &d.elt, &d.alpha, &d.beta)) {
        d.kind = FC_FAST_ELTWISE;
    } else if (op == &fc_op_add || op == &fc_op_sub || op == &fc_op_mul || op == &fc_op_div) {
        const fc_tensor *b = s->in[1];
        if (b->dtype != FC_DT_FLOAT || !fc_shape_equal(&s->in[0]->shape, &s->out[0]->shape) ||
            !(fc_shape_equal(&b->shape, &s->in[0]->shape) || layout_free(b, s->in[0])))
            return;
        d.kind = FC_FAST_BINARY;
        d.bin = op == &fc_op_add ? FC_BIN_ADD : op == &fc_op_sub ? FC_BIN_SUB
              : op == &fc_op_mul ? FC_BIN_MUL : FC_BIN_DIV;
        in[n_in++] = s->in_ids[1];
    } else if (op == &fc_op_concat) {
        int64_t axis = fc_axis_param(s->node->params);
        if ((axis != 1 && axis != -3) || s->n_in > FC_FAST_MAX_IN)
            return;
        for (int k = 0; k < s->n_in; k++)
            if (!is4f(s->in[k]))
                return;
        d.kind = FC_FAST_CONCAT;
        for (n_in = 0; n_in < s->n_in; n_in++)
            in[n_in] = s->in_ids[n_in];
    } else {
        return;
    }
    f->group_of[i] = i;
    f->emit_at[i] = i;
    if (d.kind == FC_FAST_REPEAT && !fc_fast_switched_off("FC_NN_REPEAT_ADD"))
        take_add(f, i, &cur, &d, &residual);
    else if (d.kind != FC_FAST_CONCAT && d.kind != FC_FAST_PRELU && d.kind != FC_FAST_CHANNELS &&
             d.kind != FC_FAST_REPEAT)
        extend_chain(f, i, &cur, conv, &d, &residual);
    if (residual >= 0)
        in[n_in++] = residual;
    fc_status built = build(f, i, &d, n_in, in, cur, err);
    if (built != FC_OK && d.src_nchw) { /* no fast first-layer kernel here: convert */
        fc_step_free(&f->built[i]);
        d.src_nchw = 0;
        built = build(f, i, &d, n_in, in, cur, err);
    }
    if (built != FC_OK) {
        ungroup(f, i);
        if (needed && !f->rc)
            f->rc = fc_error_set(&f->fail, ignored.code ? ignored.code : FC_ERR_INTERNAL,
                                 "channel slice of a shuffle: %s", ignored.msg);
        return;
    }
    f->fast_out[cur] = 1;
}

/* Appends a conversion step between v and its NHWC copy. */
static fc_status emit_convert(fuser *f, fc_step *out, int *n_out, int v, int to_nhwc,
                              const fc_node *node, fc_error *err)
{
    int from = to_nhwc ? v : f->nhwc_of[v], to = to_nhwc ? f->nhwc_of[v] : v;
    fc_step *s = &out[(*n_out)++];
    fc_status rc = fc_step_init(f->ctx, s, to_nhwc ? FC_STEP_TO_NHWC : FC_STEP_TO_NCHW, node, 1,
                                &from, 1, &to, err);
    fc_error ignored = {0};
    if (!rc && fc_fast_create_convert(f->ctx, s, &ignored) != FC_OK)
        s->fast = NULL; /* no reorder: fc_layout_convert does it */
    return rc;
}

/* Does any step outside fast groups (or the graph's outputs) read v as NCHW? */
static int needs_nchw(const fuser *f, int v)
{
    if (f->is_output[v])
        return 1;
    for (int k = f->user_start[v]; k < f->user_start[v + 1]; k++)
        if (f->group_of[f->users[k]] < 0)
            return 1;
    return 0;
}

static fc_status emit(fuser *f, fc_step *out, int *n_out, fc_error *err)
{
    unsigned char *ready = calloc((size_t)f->ctx->cap_vals + 1, 1); /* NHWC copy exists */
    fc_status rc = ready ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "fusing");
    for (int i = 0; !rc && i < f->n; i++) {
        fc_step *s = &f->ctx->steps[i];
        int g = f->group_of[i];
        if (g < 0) {
            out[(*n_out)++] = *s;
            memset(s, 0, sizeof *s);
            continue;
        }
        fc_step_free(s); /* absorbed into group g */
        if (f->emit_at[g] != i)
            continue;
        fc_step *b = &f->built[g];
        for (int k = 0; !rc && k < b->n_in; k++) {
            int id = b->in_ids[k];
            if (!f->ctx->nhwc[id] || ready[id])
                continue;
            int v = f->orig_of[id];
            if (!f->fast_out[v])
                rc = emit_convert(f, out, n_out, v, 1, b->node, err);
            ready[id] = 1;
        }
        int y = f->orig_of[b->out_ids[0]], view = b->kind == FC_STEP_ALIAS;
        out[(*n_out)++] = *b;
        ready[b->out_ids[0]] = 1;
        memset(b, 0, sizeof *b);
        if (!rc && !view && needs_nchw(f, y))
            rc = emit_convert(f, out, n_out, y, 0, out[*n_out - 1].node, err);
    }
    free(ready);
    return rc;
}

static fc_status index_users(fuser *f, fc_error *err)
{
    fc_nn_ctx *ctx = f->ctx;
    int nv = ctx->cap_vals, total = 0;
    f->user_start = calloc((size_t)nv + 2, sizeof *f->user_start);
    f->is_output = calloc((size_t)nv + 1, 1);
    if (!f->user_start || !f->is_output)
        return fc_error_set(err, FC_ERR_NOMEM, "fusing");
    for (int i = 0; i < f->n; i++)
        for (int k = 0; k < ctx->steps[i].n_in; k++)
            if (ctx->steps[i].in_ids[k] >= 0)
                f->user_start[ctx->steps[i].in_ids[k] + 1]++, total++;
    for (int v = 0; v < nv; v++)
        f->user_start[v + 1] += f->user_start[v];
    f->users = calloc((size_t)total + 1, sizeof *f->users);
    int *fill = calloc((size_t)nv + 1, sizeof *fill);
    if (!f->users || !fill) {
        free(fill);
        return fc_error_set(err, FC_ERR_NOMEM, "fusing");
    }
    /* a step reading v twice (Mul(x, x)) is listed twice, so it is never a sole user */
    for (int i = 0; i < f->n; i++)
        for (int k = 0; k < ctx->steps[i].n_in; k++) {
            int v = ctx->steps[i].in_ids[k];
            if (v >= 0)
                f->users[f->user_start[v] + fill[v]++] = i;
        }
    free(fill);
    for (int i = 0; i < ctx->m->n_outputs; i++)
        f->is_output[ctx->m->outputs[i]] = 1;
    return FC_OK;
}

int fc_fast_switched_off(const char *name)
{
    const char *v = getenv(name);
    return v && !strcmp(v, "0");
}

fc_status fc_fast_compile(fc_nn_ctx *ctx, fc_error *err)
{
    fuser f = {.ctx = ctx, .n = ctx->n_steps};
    int nv = ctx->cap_vals, n_out = 0;
    fc_step *out = NULL;
    fc_status rc = index_users(&f, err);
    f.group_of = malloc(((size_t)f.n + 1) * sizeof *f.group_of);
    f.emit_at = calloc((size_t)f.n + 1, sizeof *f.emit_at);
    f.built = calloc((size_t)f.n + 1, sizeof *f.built);
    f.nhwc_of = malloc(((size_t)nv + 1) * sizeof *f.nhwc_of);
    f.orig_of = calloc((size_t)nv + 1, sizeof *f.orig_of);
    f.fast_out = calloc((size_t)nv + 1, 1);
    f.shuf_src = malloc(((size_t)nv + 1) * sizeof *f.shuf_src);
    f.shuf_g = calloc((size_t)nv + 1, sizeof *f.shuf_g);
    out = calloc((size_t)(f.n + 2 * nv) + 1, sizeof *out);
    if (!rc && (!f.group_of || !f.emit_at || !f.built || !f.nhwc_of || !f.orig_of || !f.fast_out || !out ||
                !f.shuf_src || !f.shuf_g))
        rc = fc_error_set(err, FC_ERR_NOMEM, "fusing");
    if (rc)
        goto done;
    for (int i = 0; i < f.n; i++)
        f.group_of[i] = -1;
    for (int v = 0; v < nv; v++)
        f.nhwc_of[v] = f.shuf_src[v] = -1;
    for (int i = 0; i < f.n; i++)
        if (f.group_of[i] < 0)
            try_group(&f, i);
    if (f.rc) {
        rc = fc_error_set(err, f.rc, "%s", f.fail.msg);
        goto done;
    }
    if ((rc = emit(&f, out, &n_out, err)))
        goto done;
    free(ctx->steps);
    ctx->steps = out;
    ctx->n_steps = n_out;
    out = NULL;
    rc = fc_fast_fuse_pwdw(ctx, err);
    if (!rc)
        rc = fc_fast_fuse_heads(ctx, err);
    if (!rc)
        rc = fc_fast_fuse_flat(ctx, err);
    if (!rc)
        rc = fc_fast_fuse_concat_conv(ctx, err);
    if (!rc)
        rc = fc_fast_fuse_gather(ctx, err);
done:
    for (int i = 0; out && i < n_out; i++) /* failure: steps moved into out */
        fc_step_free(&out[i]);
    for (int g = 0; f.built && g < f.n; g++)
        fc_step_free(&f.built[g]);
    free(out);
    free(f.user_start);
    free(f.users);
    free(f.is_output);
    free(f.group_of);
    free(f.emit_at);
    free(f.built);
    free(f.nhwc_of);
    free(f.orig_of);
    free(f.fast_out);
    free(f.shuf_src);
    free(f.shuf_g);
    return rc;
}
