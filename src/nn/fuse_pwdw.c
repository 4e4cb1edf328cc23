/* fuse_pwdw.c - after fuse.c: each chain of fast steps
 *     [depthwise 3x3 Conv | first-layer 3x3 stride-2 Conv ->] 1x1 Conv [-> PRelu]
 *     -> depthwise 3x3 Conv [-> PRelu] [-> 2x2 MaxPool]
 * where every link is the only reader of the value before it becomes one step of
 * the fused kernel (pwdw.h), placed where the 1x1 stood. The values in between are
 * then neither written nor read, so the planner gives them no memory. A MaxPool that
 * shares the depthwise output with other readers joins too, as the step's second
 * output. Chains the kernel does not take (other activations, residual adds, other
 * windows) stay as they are, and so do those too small for the kernel to pay (is_pw).
 * FC_NN_PWDW=0 turns the pass off (to measure it, or to rule it out); FC_NN_PWDW=1
 * fuses every chain the kernel takes, whatever its size (tests). */
#include "nn/fast.h"
#include "nn/pwdw.h"
#include "nn/stem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    fc_nn_ctx *ctx;
    int *n_readers;   /* per value: steps reading it, plus 1 for a graph output */
    int *reader;      /* per value: the last step seen reading it */
    int *producer;    /* per value: the step writing it, or -1 */
    int any_size;     /* FC_NN_PWDW=1 */
    int no_pre;       /* FC_NN_PWDW_PRE=0 */
    int no_stem;      /* FC_NN_PWDW_STEM=0 */
} chains;

static const fc_fast_desc *fast_desc(const fc_step *s)
{
    return s->kind == FC_STEP_FAST && s->fast ? fc_fast_desc_of(s->fast) : NULL;
}

/* The step that alone reads the value step i writes, as its only input, or -1. */
static int sole_next(const chains *c, int i)
{
    const fc_step *s = &c->ctx->steps[i];
    if (s->n_out != 1)
        return -1;
    int v = s->out_ids[0];
    if (c->n_readers[v] != 1)
        return -1;
    int j = c->reader[v];
    const fc_step *t = &c->ctx->steps[j];
    return t->n_in == 1 && t->in_ids[0] == v ? j : -1;
}

/* The conv's post-ops as the kernel's one activation; 0 if it has others. */
static int conv_act(const fc_fast_desc *d, fc_act *a)
{
    *a = (fc_act){.kind = FC_ACT_NONE};
    if (d->n_post == 0)
        return 1;
    if (d->n_post > 1 || d->post[0].kind != FC_POST_ELTWISE)
        return 0;
    const fc_post_op *p = &d->post[0];
    if (p->alg == FC_ELT_RELU)
        *a = (fc_act){.kind = FC_ACT_RELU, .alpha = p->alpha};
    else if (p->alg == FC_ELT_CLIP)
        *a = (fc_act){.kind = FC_ACT_CLIP, .lo = p->alpha, .hi = p->beta};
    else
        return 0;
    return 1;
}

/* A PRelu step j after a conv without activation: takes its slopes. */
static int take_prelu(const chains *c, int *j, fc_act *a)
{
    const fc_fast_desc *d = *j >= 0 ? fast_desc(&c->ctx->steps[*j]) : NULL;
    if (!d || d->kind != FC_FAST_PRELU || a->kind != FC_ACT_NONE || d->slope->dtype != FC_DT_FLOAT)
        return 0;
    *a = (fc_act){.kind = FC_ACT_PRELU, .slope = d->slope->data};
    return 1;
}

/* Where the kernel pays (measured with FC_NN_PROFILE=1 against oneDNN's two or three
 * steps, 1 thread): when the 1x1's output does not fit in cache, it saves the passes
 * over it (YuNet: 16 channels at 320x320, 1.61 -> 0.90 ms; 64 at 160x160 with the
 * pool, 1.70 -> 1.21 ms); on maps that fit, oneDNN's own kernels are as fast or faster
 * (MobileFaceNet: 256 channels at 14x14, 0.09 ms unfused, 0.14 fused), and so they are
 * when the 1x1's weights outgrow the L1 cache. */
enum { PWDW_MIN_BYTES = 1 << 20, PWDW_MAX_WEIGHT_BYTES = 32 << 10 };

static int is_pw(const fc_step *s, const fc_fast_desc *d, int any_size)
{
    const fc_window *v = &d->win;
    const fc_shape *y = &s->out[0]->shape;
    if (d->kind != FC_FAST_CONV)
        return 0;
    if (!any_size && (fc_shape_numel(y) / y->d[0] * (int64_t)sizeof(float) < PWDW_MIN_BYTES ||
                      fc_shape_numel(&d->w->shape) * (int64_t)sizeof(float) > PWDW_MAX_WEIGHT_BYTES))
        return 0;
    return v->kh == 1 && v->kw == 1 && v->sh == 1 && v->sw == 1 &&
           v->pt == 0 && v->pl == 0 && v->group == 1 && v->dh == 1 && v->dw == 1 &&
           s->out[0]->shape.d[2] == s->in[0]->shape.d[2] && s->out[0]->shape.d[3] == s->in[0]->shape.d[3];
}

static int is_dw(const fc_step *s, const fc_fast_desc *d, int64_t ch)
{
    const fc_window *v = &d->win;
    const fc_shape *x = &s->in[0]->shape, *y = &s->out[0]->shape;
    return d->kind == FC_FAST_CONV && v->kh == 3 && v->kw == 3 && v->sh == v->sw && (v->sh == 1 || v->sh == 2) &&
           v->pt == 1 && v->pl == 1 && v->dh == 1 && v->dw == 1 && v->group == ch &&
           d->w->shape.d[0] == ch && d->w->shape.d[1] == 1 && y->d[1] == ch &&
           y->d[2] == (x->d[2] - 1) / v->sh + 1 && y->d[3] == (x->d[3] - 1) / v->sw + 1;
}

static int is_pool(const fc_step *s, const fc_fast_desc *d)
{
    const fc_window *v = &d->win;
    const fc_shape *x = &s->in[0]->shape, *y = &s->out[0]->shape;
    return d->kind == FC_FAST_MAX_POOL && v->kh == 2 && v->kw == 2 && v->sh == 2 && v->sw == 2 &&
           v->pt == 0 && v->pl == 0 && v->dh == 1 && v->dw == 1 &&
           y->d[2] == x->d[2] / 2 && y->d[3] == x->d[3] / 2;
}

/* A 2x2 max pool step (after step last) reading value v, which other steps or the
 * graph's outputs read too, or -1: the kernel can write v and its pool both
 * (FC_PWDW_POOL_TOO), which saves the pool a pass over v (YuNet's backbone feeds its
 * head and its next stage so). */
static int pool_reader(const chains *c, int v, int last, const unsigned char *gone)
{
    for (int q = last + 1; q < c->ctx->n_steps; q++) {
        const fc_step *t = &c->ctx->steps[q];
        const fc_fast_desc *d = fast_desc(t);
        if (!gone[q] && d && t->n_in == 1 && t->in_ids[0] == v && is_pool(t, d))
            return q;
    }
    return -1;
}

/* The depthwise step (stride 1, 16k channels, nothing else reading its output) whose
 * output the 1x1 at step i reads, as the kernel's pre stage, or -1. MobileNet-style
 * detectors put one before each 1x1 (UltraFace, SCRFD). */
static int pre_step(const chains *c, int i, const unsigned char *gone, fc_pwdw_conv *pre)
{
    const fc_step *s = &c->ctx->steps[i];
    int v = s->in_ids[0], p = c->producer[v];
    int64_t cin = s->in[0]->shape.d[1];
    if (p < 0 || gone[p] || c->n_readers[v] != 1 || cin % 16)
        return -1;
    const fc_step *t = &c->ctx->steps[p];
    const fc_fast_desc *d = fast_desc(t);
    if (!d || t->n_in != 1 || !is_dw(t, d, cin) || d->win.sh != 1)
        return -1;
    *pre = (fc_pwdw_conv){d->w, d->b, {d->bn[0], d->bn[1], d->bn[2], d->bn[3]}, d->bn_eps, {0}};
    return conv_act(d, &pre->act) ? p : -1;
}

/* The first-layer conv (3x3, stride 2, pads 1, on the NCHW image: fuse.c's
 * first_layer) whose output alone the 1x1 at step i reads, as the kernel's stem
 * (stem.h), or -1; then x gets the image's shape. */
static int stem_step(const chains *c, int i, const unsigned char *gone, fc_pwdw_conv *stem, fc_shape *x)
{
    const fc_step *s = &c->ctx->steps[i];
    int v = s->in_ids[0], p = c->producer[v];
    if (p < 0 || gone[p] || c->n_readers[v] != 1)
        return -1;
    const fc_step *t = &c->ctx->steps[p];
    const fc_fast_desc *d = fast_desc(t);
    if (!d || t->n_in != 1 || d->kind != FC_FAST_CONV || !d->src_nchw)
        return -1;
    const fc_window *w = &d->win;
    const fc_shape *in = &t->in[0]->shape, *out = &t->out[0]->shape;
    if (w->kh != 3 || w->kw != 3 || w->sh != 2 || w->sw != 2 || w->pt != 1 || w->pl != 1 || w->dh != 1 ||
        w->dw != 1 || w->group != 1 || out->d[2] != (in->d[2] - 1) / 2 + 1 || out->d[3] != (in->d[3] - 1) / 2 + 1)
        return -1;
    *stem = (fc_pwdw_conv){d->w, d->b, {d->bn[0], d->bn[1], d->bn[2], d->bn[3]}, d->bn_eps, {0}};
    *x = *in;
    return conv_act(d, &stem->act) ? p : -1;
}

/* The stem (image img) of kernel k, whose input is x. */
static fc_status add_stem(fc_pwdw *k, const fc_pwdw_conv *stem, const fc_shape *img, const fc_shape *x,
                          fc_error *err)
{
    fc_stem *s = fc_stem_new(stem, img->d[1], img->d[2], img->d[3], err);
    return s ? fc_pwdw_set_stem(k, s, x->d[2], x->d[3], x->d[1], err) : err->code;
}

/* Tries the chain that starts at step i; on success steps[i] is the fused step and
 * the others of the chain are marked in gone. */
static fc_status try_chain(chains *c, int i, unsigned char *gone, fc_error *err)
{
    fc_step *steps = c->ctx->steps;
    const fc_fast_desc *pd = fast_desc(&steps[i]);
    if (!pd || !is_pw(&steps[i], pd, c->any_size))
        return FC_OK;
    fc_pwdw_conv pw = {pd->w, pd->b, {pd->bn[0], pd->bn[1], pd->bn[2], pd->bn[3]}, pd->bn_eps, {0}};
    if (!conv_act(pd, &pw.act))
        return FC_OK;
    int chain[6], n = 0, j = sole_next(c, i);
    if (take_prelu(c, &j, &pw.act))
        chain[n++] = j, j = sole_next(c, j);
    const int64_t ch = steps[i].out[0]->shape.d[1];
    const fc_fast_desc *dd = j >= 0 ? fast_desc(&steps[j]) : NULL;
    if (!dd || !is_dw(&steps[j], dd, ch))
        return FC_OK;
    fc_pwdw_conv dw = {dd->w, dd->b, {dd->bn[0], dd->bn[1], dd->bn[2], dd->bn[3]}, dd->bn_eps, {0}};
    if (!conv_act(dd, &dw.act))
        return FC_OK;
    const int stride = (int)dd->win.sh;
    chain[n++] = j;
    int last = j;
    j = sole_next(c, j);
    if (take_prelu(c, &j, &dw.act))
        chain[n++] = j, last = j, j = sole_next(c, j);
    const fc_fast_desc *od = j >= 0 ? fast_desc(&steps[j]) : NULL;
    fc_pwdw_pool pool = od && is_pool(&steps[j], od) ? FC_PWDW_POOL : FC_PWDW_NO_POOL;
    int pool_step = -1; /* with FC_PWDW_POOL_TOO */
    if (pool)
        chain[n++] = j, last = j;
    else if ((pool_step = pool_reader(c, steps[last].out_ids[0], last, gone)) >= 0)
        pool = FC_PWDW_POOL_TOO, chain[n++] = pool_step;
    fc_pwdw_conv pre, stem;
    fc_shape img = {0};
    const int p = c->no_pre ? -1 : pre_step(c, i, gone, &pre);
    int q0 = p >= 0 || c->no_stem ? -1 : stem_step(c, i, gone, &stem, &img);
    const fc_shape *x = &steps[i].in[0]->shape;
    fc_error ignored = {0};
    fc_pwdw *k = fc_pwdw_new(p >= 0 ? &pre : NULL, &pw, &dw, stride, pool, x->d[0], x->d[2], x->d[3],
                             x->d[1], c->ctx->n_threads, &ignored);
    if (k && q0 >= 0 && add_stem(k, &stem, &img, x, &ignored)) {
        if (ignored.code == FC_ERR_NOMEM) {
            fc_pwdw_free(k);
            k = NULL;
        } else {
            q0 = -1; /* a stem the stage does not take stays a step of its own */
        }
    }
    if (!k)
        return ignored.code == FC_ERR_NOMEM ? fc_error_set(err, FC_ERR_NOMEM, "%s", ignored.msg) : FC_OK;
    const int first = p >= 0 ? p : q0; /* the step whose input the kernel reads */
    if (first >= 0)
        chain[n++] = first;
    fc_fast *f = fc_fast_wrap_pwdw(k, p >= 0 ? FC_PWDW_FIRST_PRE : q0 >= 0 ? FC_PWDW_FIRST_STEM : 0, pool, err);
    if (!f)
        return FC_ERR_NOMEM;
    fc_step fused;
    int outs[2] = {steps[last].out_ids[0], pool_step >= 0 ? steps[pool_step].out_ids[0] : -1};
    fc_status rc = fc_step_init(c->ctx, &fused, FC_STEP_FAST, steps[i].node, 1,
                                first >= 0 ? steps[first].in_ids : steps[i].in_ids, 1 + (pool_step >= 0), outs,
                                err);
    if (rc) {
        fc_fast_free(f);
        return rc;
    }
    fused.fast = f;
    fc_step_free(&steps[i]);
    steps[i] = fused;
    for (int q = 0; q < n; q++)
        gone[chain[q]] = 1;
    return FC_OK;
}

fc_status fc_fast_fuse_pwdw(fc_nn_ctx *ctx, fc_error *err)
{
    if (fc_fast_switched_off("FC_NN_PWDW") || !fc_pwdw_available())
        return FC_OK;
    const int nv = ctx->cap_vals, ns = ctx->n_steps;
    const char *env = getenv("FC_NN_PWDW");
    chains c = {.ctx = ctx, .any_size = env && !strcmp(env, "1"), .no_pre = fc_fast_switched_off("FC_NN_PWDW_PRE"),
             .no_stem = fc_fast_switched_off("FC_NN_PWDW_STEM")};
    c.n_readers = calloc((size_t)nv + 1, sizeof *c.n_readers);
    c.reader = calloc((size_t)nv + 1, sizeof *c.reader);
    c.producer = malloc(((size_t)nv + 1) * sizeof *c.producer);
    unsigned char *gone = calloc((size_t)ns + 1, 1);
    fc_status rc = c.n_readers && c.reader && c.producer && gone ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "fusing");
    for (int v = 0; !rc && v < nv; v++)
        c.producer[v] = -1;
    for (int i = 0; !rc && i < ns; i++) {
        for (int o = 0; o < ctx->steps[i].n_out; o++)
            if (ctx->steps[i].out_ids[o] >= 0)
                c.producer[ctx->steps[i].out_ids[o]] = i;
    }
    for (int i = 0; !rc && i < ns; i++)
        for (int k = 0; k < ctx->steps[i].n_in; k++) {
            int v = ctx->steps[i].in_ids[k];
            if (v >= 0)
                c.n_readers[v]++, c.reader[v] = i;
        }
    for (int o = 0; !rc && o < ctx->m->n_outputs; o++)
        c.n_readers[ctx->m->outputs[o]]++;
    for (int i = 0; !rc && i < ns; i++)
        if (!gone[i])
            rc = try_chain(&c, i, gone, err);
    if (!rc) {
        int w = 0;
        for (int i = 0; i < ns; i++) {
            if (gone[i]) {
                fc_step_free(&ctx->steps[i]);
                continue;
            }
            ctx->steps[w++] = ctx->steps[i];
        }
        /* the context frees steps[0..n_steps], one past the end included */
        memset(ctx->steps + w, 0, (size_t)(ns + 1 - w) * sizeof *ctx->steps);
        ctx->n_steps = w;
    }
    free(c.n_readers);
    free(c.reader);
    free(c.producer);
    free(gone);
    return rc;
}
