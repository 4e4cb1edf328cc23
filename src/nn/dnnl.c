/* dnnl.c - fast steps on oneDNN (Debian's libdnnl, C API): primitives built once per
 * context for its shapes, activations in NHWC, weights reordered once into the
 * layout the primitive prefers, post-ops for fused activations and residual adds. */
#include "nn/fast.h"

#include "core/alloc.h"
#include "nn/gather.h"
#include "nn/pwdw.h"
#include "nn/silu.h"

#include <oneapi/dnnl/dnnl.h>
#include <math.h>
#include <omp.h>
#include <xmmintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A step's oneDNN arguments: a conv's weights, bias, source, destination and post-op
 * operands, or a concat's inputs (at most FC_FAST_MAX_IN) and output. */
#define MAX_ARGS (FC_FAST_MAX_POST + 8 + FC_FAST_MAX_IN)

struct fc_fast {
    fc_fast_desc d;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_memory_t mem[MAX_ARGS];
    dnnl_exec_arg_t args[MAX_ARGS];
    int n_args;
    int n_mem;
    void *weights;            /* weights in the primitive's layout, owned */
    fc_gather *gather;        /* CHANNELS: the kernel's plan and map (no primitive), owned */
    int blocked;              /* CONV on channel-blocked activations (Winograd): */
    dnnl_primitive_t to_blk, from_blk; /* reorders NHWC -> blocked -> NHWC around it, */
    int takes_blocked;        /* but none in: it reads the previous step's blk_dst, */
    int keeps_blocked;        /* or none out: its only reader takes blk_dst */
    int64_t blk_dst_floats;
    dnnl_exec_arg_t to_args[2], from_args[2];
    void *blk_src, *blk_dst;  /* the blocked activations, owned */
    dnnl_primitive_desc_t post_pd; /* activations the blocked conv could not take, */
    dnnl_primitive_t post_prim;    /* run in place on blk_dst */
    dnnl_exec_arg_t post_args[2];
    float *folded_w, *folded_b; /* BatchNormalization folded into the conv, owned */
    fc_pwdw *pwdw;            /* PWDW: the fused kernel, owned, */
    const char *label;        /* and what it runs (fc_fast_impl) */
    dnnl_memory_t src_mem;    /* CONV with src_nchw, flat ELTWISE: its input, which
                               * may be a graph input (a new buffer each run) */
    int own_silu;             /* CONV ending in SiLU: silu.c applies it after the
                               * primitive, which is built without it */
};

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
}

static fc_status dnnl_error(fc_error *err, dnnl_status_t st, const char *what)
{
    return fc_error_set(err, st == dnnl_out_of_memory ? FC_ERR_NOMEM : FC_ERR_UNSUPPORTED,
                        "oneDNN %s: status %d", what, (int)st);
}

#define DNNL_TRY(call, what)                                                            \
    do {                                                                                \
        dnnl_status_t st_ = (call);                                                     \
        if (st_ != dnnl_success) {                                                      \
            rc = dnnl_error(err, st_, what);                                            \
            goto out;                                                                   \
        }                                                                               \
    } while (0)

static void md_nhwc(dnnl_memory_desc_t *md, const fc_tensor *t)
{
    dnnl_dims_t dims = {t->shape.d[0], t->shape.d[1], t->shape.d[2], t->shape.d[3]};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc);
}

/* The elements of t in a row, whatever its rank (flat eltwise). */
static void md_flat(dnnl_memory_desc_t *md, const fc_tensor *t)
{
    dnnl_dims_t dims = {fc_shape_numel(&t->shape)};
    dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a);
}

static void md_nchw(dnnl_memory_desc_t *md, const fc_tensor *t)
{
    dnnl_dims_t dims = {t->shape.d[0], t->shape.d[1], t->shape.d[2], t->shape.d[3]};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nchw);
}

/* A broadcast operand of a binary op: [1,C,1,1] (any rank with C at axis -3 or a
 * lone [C,1,1]) or a single value; it reads the same in NCHW and NHWC. */
static void md_operand(dnnl_memory_desc_t *md, const fc_tensor *t, const fc_tensor *like)
{
    int64_t n = fc_shape_numel(&t->shape);
    if (t->shape.ndim == 4 && fc_shape_equal(&t->shape, &like->shape)) {
        md_nhwc(md, t);
        return;
    }
    dnnl_dims_t dims = {1, n == 1 ? 1 : like->shape.d[1], 1, 1};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc);
}

/* Per-channel PReLU slopes for y: {1,C,1,1}, which reads the same in any layout. */
static void slope_md(dnnl_memory_desc_t *md, const fc_tensor *y)
{
    dnnl_dims_t dims = {1, y->shape.d[1], 1, 1};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc);
}

static dnnl_alg_kind_t elt_alg(fc_elt_alg a)
{
    switch (a) {
    case FC_ELT_RELU: return dnnl_eltwise_relu;
    case FC_ELT_LOGISTIC: return dnnl_eltwise_logistic;
    case FC_ELT_TANH: return dnnl_eltwise_tanh;
    case FC_ELT_CLIP: return dnnl_eltwise_clip_v2;
    case FC_ELT_HARDSWISH: return dnnl_eltwise_hardswish;
    case FC_ELT_SWISH: return dnnl_eltwise_swish;
    case FC_ELT_EXP: return dnnl_eltwise_exp;
    case FC_ELT_SQRT: return dnnl_eltwise_sqrt;
    }
    return dnnl_eltwise_relu;
}

static dnnl_alg_kind_t bin_alg(fc_bin_alg a)
{
    switch (a) {
    case FC_BIN_ADD: return dnnl_binary_add;
    case FC_BIN_SUB: return dnnl_binary_sub;
    case FC_BIN_MUL: return dnnl_binary_mul;
    case FC_BIN_DIV: return dnnl_binary_div;
    }
    return dnnl_binary_add;
}

/* Is pd oneDNN's reference implementation ("ref:any")? */
static int is_reference(const_dnnl_primitive_desc_t pd)
{
    const char *impl = "";
    return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
           !strncmp(impl, "ref", 3);
}

/* Post-ops of d into a new attr (caller destroys). */
static fc_status make_attr_from(const fc_fast_desc *d, const fc_step *s, int first,
                                dnnl_primitive_attr_t *attr, fc_error *err)
{
    fc_status rc = FC_OK;
    dnnl_post_ops_t po = NULL;
    *attr = NULL;
    DNNL_TRY(dnnl_primitive_attr_create(attr), "attr");
    DNNL_TRY(dnnl_post_ops_create(&po), "post-ops");
    for (int i = first; i < d->n_post; i++) {
        const fc_post_op *p = &d->post[i];
        dnnl_memory_desc_t md;
        switch (p->kind) {
        case FC_POST_ELTWISE:
            DNNL_TRY(dnnl_post_ops_append_eltwise(po, 1.0f, elt_alg(p->alg), p->alpha, p->beta),
                     "eltwise post-op");
            break;
        case FC_POST_ADD:
            md_nhwc(&md, s->in[p->input]);
            DNNL_TRY(dnnl_post_ops_append_binary(po, dnnl_binary_add, &md), "add post-op");
            break;
        }
    }
    DNNL_TRY(dnnl_primitive_attr_set_post_ops(*attr, po), "post-ops");
out:
    if (po)
        dnnl_post_ops_destroy(po);
    return rc;
}

/* Post-ops of d into a new attr (caller destroys). */
static fc_status make_attr(const fc_fast_desc *d, const fc_step *s, dnnl_primitive_attr_t *attr,
                           fc_error *err)
{
    return make_attr_from(d, s, 0, attr, err);
}

/* oneDNN's window arguments for x -> y: strides, 0-based dilations, and begin/end
 * pads. The end pads are the least that yield y's size (never negative), which also
 * covers ceil_mode's extra window. */
static void window_args(const fc_window *v, const fc_tensor *x, const fc_tensor *y,
                        dnnl_dims_t strides, dnnl_dims_t dil, dnnl_dims_t pad_l, dnnl_dims_t pad_r)
{
    int64_t pb = (y->shape.d[2] - 1) * v->sh + (v->kh - 1) * v->dh + 1 - x->shape.d[2] - v->pt;
    int64_t pr = (y->shape.d[3] - 1) * v->sw + (v->kw - 1) * v->dw + 1 - x->shape.d[3] - v->pl;
    strides[0] = v->sh, strides[1] = v->sw;
    dil[0] = v->dh - 1, dil[1] = v->dw - 1;
    pad_l[0] = v->pt, pad_l[1] = v->pl;
    pad_r[0] = pb > 0 ? pb : 0, pad_r[1] = pr > 0 ? pr : 0;
}

/* A convolution on activations in layout `tag` (NHWC, or blocked for Winograd). */
static fc_status conv_desc(const fc_fast_desc *d, const fc_step *s, dnnl_alg_kind_t alg,
                           dnnl_format_tag_t tag, dnnl_convolution_desc_t *cd, fc_error *err)
{
    const fc_tensor *x = s->in[0], *y = s->out[0], *w = d->w;
    const fc_window *v = &d->win;
    int64_t m = w->shape.d[0], g = v->group;
    dnnl_memory_desc_t src, wei, bia, dst;
    dnnl_dims_t xd = {x->shape.d[0], x->shape.d[1], x->shape.d[2], x->shape.d[3]};
    dnnl_dims_t yd = {y->shape.d[0], y->shape.d[1], y->shape.d[2], y->shape.d[3]};
    dnnl_memory_desc_init_by_tag(&src, 4, xd, dnnl_f32, d->src_nchw ? dnnl_nchw : tag);
    /* 16 channels blocked by 16 are the NHWC bytes (fuse.c's first_layer) */
    dnnl_memory_desc_init_by_tag(&dst, 4, yd, dnnl_f32, d->src_nchw ? dnnl_aBcd16b : tag);
    if (g == 1) {
        dnnl_dims_t wd = {m, w->shape.d[1], v->kh, v->kw};
        dnnl_memory_desc_init_by_tag(&wei, 4, wd, dnnl_f32, dnnl_format_tag_any);
    } else {
        dnnl_dims_t wd = {g, m / g, w->shape.d[1], v->kh, v->kw};
        dnnl_memory_desc_init_by_tag(&wei, 5, wd, dnnl_f32, dnnl_format_tag_any);
    }
    dnnl_dims_t bd = {m};
    dnnl_memory_desc_init_by_tag(&bia, 1, bd, dnnl_f32, dnnl_a);
    dnnl_dims_t strides, dil, pl, pr_;
    window_args(v, x, y, strides, dil, pl, pr_);
    int has_bias = d->b || d->bn[0];
    dnnl_status_t st = dnnl_dilated_convolution_forward_desc_init(
        cd, dnnl_forward_inference, alg, &src, &wei, has_bias ? &bia : NULL,
        &dst, strides, dil, pl, pr_);
    return st == dnnl_success ? FC_OK : dnnl_error(err, st, "convolution");
}

static fc_status pool_desc(const fc_fast_desc *d, const fc_step *s, dnnl_pooling_v2_desc_t *pd,
                           fc_error *err)
{
    const fc_tensor *x = s->in[0], *y = s->out[0];
    fc_window v = d->win;
    if (d->kind == FC_FAST_GLOBAL_AVG_POOL)
        v = (fc_window){.kh = x->shape.d[2], .kw = x->shape.d[3], .sh = 1, .sw = 1, .dh = 1, .dw = 1};
    dnnl_memory_desc_t src, dst;
    md_nhwc(&src, x);
    md_nhwc(&dst, y);
    dnnl_dims_t strides, dil, pl, pr_, kernel = {v.kh, v.kw};
    window_args(&v, x, y, strides, dil, pl, pr_);
    dnnl_alg_kind_t alg = d->kind == FC_FAST_MAX_POOL ? dnnl_pooling_max
                                                       : dnnl_pooling_avg_exclude_padding;
    dnnl_status_t st = dnnl_pooling_v2_forward_desc_init(pd, dnnl_forward_inference, alg, &src,
                                                         &dst, strides, kernel, dil, pl, pr_);
    return st == dnnl_success ? FC_OK : dnnl_error(err, st, "pooling");
}

/* The primitive descriptor for op_desc whose implementation's name contains want,
 * else oneDNN's first choice. */
static dnnl_status_t pd_create_preferring(dnnl_primitive_desc_t *pd, const void *op_desc,
                                          const_dnnl_primitive_attr_t attr, const char *want)
{
    dnnl_primitive_desc_iterator_t it;
    dnnl_status_t st = dnnl_primitive_desc_iterator_create(&it, op_desc, attr, engine, NULL);
    if (st != dnnl_success)
        return st;
    dnnl_primitive_desc_t first = NULL;
    do {
        dnnl_primitive_desc_t cand = dnnl_primitive_desc_iterator_fetch(it);
        const char *impl = "";
        if (!cand)
            continue;
        dnnl_primitive_desc_query(cand, dnnl_query_impl_info_str, 0, &impl);
        if (strstr(impl, want)) {
            if (first)
                dnnl_primitive_desc_destroy(first);
            dnnl_primitive_desc_iterator_destroy(it);
            *pd = cand;
            return dnnl_success;
        }
        if (first)
            dnnl_primitive_desc_destroy(cand);
        else
            first = cand;
    } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
    dnnl_primitive_desc_iterator_destroy(it);
    if (!first)
        return dnnl_unimplemented;
    *pd = first;
    return dnnl_success;
}

/* Winograd F(2x2, 3x3) runs a 3x3 stride-1 convolution with 16+ channel blocks
 * 1.6-2.5x faster than the direct kernels here (measured with oneDNN 2.6 on AVX-512:
 * 64->64 channels at 80x80, 2.49 -> 1.50 ms), on channel-blocked activations, so the
 * step reorders NHWC in and out around it. It does not pay below 32 input
 * channels. oneDNN offers two Winograd kernels on AVX-512 and picks F(2x2, 3x3);
 * F(4x4, 3x3) does 4x fewer multiplies instead of 2.25x and is taken when present:
 * 64->64 at 80x80 alone 1.41 -> 1.02 ms, yolov8-lite at 1 thread 19.5 -> 18.8 ms,
 * RetinaFace 12.99 -> 12.74 ms (A/B, 3 rounds; the same at 2 threads). Both pass
 * the parity bounds against ONNX Runtime. F(2x2) did not pay below 48 output
 * channels (RetinaFace's 64->32 at 80x80: 1.26 ms direct, 1.79 ms), F(4x4) does:
 * on the AMD EPYC (Zen 4) of 2026-11-25, 48 -> 32 took RetinaFace from 16.6 to
 * 15.4 ms and YOLO5Face (32->32 at 40x40: 0.27 -> 0.16 ms) from 4.79 to 4.66 ms
 * at 1 thread, 8.65 -> 8.11 and 3.12 -> 3.06 ms at 2 (A/B, 2 rounds); no other
 * model here has such a convolution. */
static int winograd_fits(const fc_fast_desc *d, const fc_step *s)
{
    const fc_window *v = &d->win;
    int64_t ci = s->in[0]->shape.d[1], co = s->out[0]->shape.d[1];
    for (int i = 0; i < d->n_post; i++)
        if (d->post[i].kind != FC_POST_ELTWISE)
            return 0;
    return v->kh == 3 && v->kw == 3 && v->sh == 1 && v->sw == 1 && v->dh == 1 && v->dw == 1 &&
           v->group == 1 && ci % 16 == 0 && co % 16 == 0 && ci >= 32 && co >= 32 &&
           getenv("FC_NN_NO_WINOGRAD") == NULL;
}

/* The Winograd convolution of f->d, on blocked activations. Its kernel takes Relu
 * post-ops only: other activations run after it as an in-place eltwise primitive
 * (with any further post-ops attached). On failure nothing is left behind. */
static fc_status create_winograd(fc_fast *f, const fc_fast_desc *d, const fc_step *s,
                                 dnnl_primitive_attr_t attr)
{
    fc_error ignored = {0}, *err = &ignored;
    fc_status rc = FC_OK;
    dnnl_convolution_desc_t cd;
    dnnl_eltwise_desc_t ed;
    dnnl_primitive_attr_t plain = NULL, rest = NULL;
    int relu_only = 1;
    for (int i = 0; i < d->n_post; i++)
        relu_only &= d->post[i].alg == FC_ELT_RELU && d->post[i].alpha == 0.0f;
    if ((rc = conv_desc(d, s, dnnl_convolution_winograd, dnnl_nChw16c, &cd, err)))
        return rc;
    if (!relu_only)
        DNNL_TRY(dnnl_primitive_attr_create(&plain), "attr");
    DNNL_TRY(pd_create_preferring(&f->pd, &cd, relu_only ? attr : plain, "wino_4x3"), "winograd");
    if (!relu_only) {
        const fc_post_op *p = &d->post[0];
        const dnnl_memory_desc_t *y = dnnl_primitive_desc_query_md(f->pd, dnnl_query_dst_md, 0);
        if ((rc = make_attr_from(d, s, 1, &rest, err)))
            goto out;
        DNNL_TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, elt_alg(p->alg), y,
                                                p->alpha, p->beta), "eltwise");
        DNNL_TRY(dnnl_primitive_desc_create(&f->post_pd, &ed, rest, engine, NULL), "eltwise");
        DNNL_TRY(dnnl_primitive_create(&f->post_prim, f->post_pd), "eltwise");
    }
out:
    if (plain)
        dnnl_primitive_attr_destroy(plain);
    if (rest)
        dnnl_primitive_attr_destroy(rest);
    if (rc) {
        if (f->post_pd)
            dnnl_primitive_desc_destroy(f->post_pd);
        if (f->pd)
            dnnl_primitive_desc_destroy(f->pd);
        f->post_pd = NULL, f->pd = NULL;
    }
    return rc;
}

/* The CHANNELS gather map (see fc_fast_desc), checked against the input's channels,
 * and its plan. */
static fc_status channel_map(fc_fast *f, const fc_step *s, fc_error *err)
{
    int64_t ci = s->in[0]->shape.d[1], co = s->out[0]->shape.d[1], g = f->d.ch_groups;
    if (g < 0 || (g > 0 && ci % g) || f->d.ch_first < 0 || f->d.ch_first + co > ci)
        return fc_error_set(err, FC_ERR_INTERNAL, "bad channel gather");
    int *map = malloc((size_t)co * sizeof *map), *zero = calloc((size_t)co, sizeof *zero);
    if (map && zero) {
        for (int64_t j = 0; j < co; j++) {
            int64_t c = f->d.ch_first + j;
            map[j] = (int)(g > 0 ? (c % g) * (ci / g) + c / g : c);
        }
        f->gather = fc_gather_plan(zero, map, (int)co, &ci, 1);
    }
    free(map);
    free(zero);
    return f->gather ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "channel map");
}

fc_status fc_fast_create(fc_nn_ctx *ctx, fc_step *s, const fc_fast_desc *d, fc_error *err)
{
    (void)ctx;
    fc_status rc = FC_OK;
    dnnl_primitive_attr_t attr = NULL;
    fc_fast *f = calloc(1, sizeof *f);
    if (!f)
        return fc_error_set(err, FC_ERR_NOMEM, "fast step");
    pthread_once(&engine_once, engine_init);
    if (!engine) {
        rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "oneDNN has no CPU engine");
        goto out;
    }
    f->d = *d;
    if (d->kind == FC_FAST_CHANNELS) {
        rc = channel_map(f, s, err);
        goto out;
    }
    if (d->kind == FC_FAST_REPEAT)
        goto out; /* own kernel, nothing to build */
    /* a conv's final SiLU runs on silu.c's kernel, 3x quicker than oneDNN's (silu.h) */
    fc_fast_desc built = *d;
    const fc_post_op *last = d->n_post ? &d->post[d->n_post - 1] : NULL;
    f->own_silu = d->kind == FC_FAST_CONV && last && last->kind == FC_POST_ELTWISE &&
                  last->alg == FC_ELT_SWISH && last->alpha == 1.0f && !fc_fast_switched_off("FC_NN_SILU");
    built.n_post -= f->own_silu;
    d = &built;
    if ((rc = make_attr(d, s, &attr, err)))
        goto out;
    union {
        dnnl_convolution_desc_t conv;
        dnnl_pooling_v2_desc_t pool;
        dnnl_eltwise_desc_t elt;
        dnnl_binary_desc_t bin;
        dnnl_prelu_desc_t prelu;
    } op;
    dnnl_memory_desc_t a, b, y, srcs[FC_FAST_MAX_IN];
    switch (d->kind) {
    case FC_FAST_CONV:
        if (winograd_fits(d, s) && create_winograd(f, d, s, attr) == FC_OK) {
            f->blocked = 1;
            break;
        }
        if ((rc = conv_desc(d, s, dnnl_convolution_direct, dnnl_nhwc, &op.conv, err)))
            goto out;
        DNNL_TRY(dnnl_primitive_desc_create(&f->pd, &op.conv, attr, engine, NULL), "convolution");
        if (d->src_nchw && is_reference(f->pd)) {
            /* without AVX-512 oneDNN has no jit kernel for NCHW in, 16-blocked out
             * (valgrind's CPU: ref:any, 1000x slower); fuse.c converts instead */
            rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "no fast first-layer kernel");
            goto out;
        }
        break;
    case FC_FAST_MAX_POOL:
    case FC_FAST_AVG_POOL:
    case FC_FAST_GLOBAL_AVG_POOL:
        if ((rc = pool_desc(d, s, &op.pool, err)))
            goto out;
        DNNL_TRY(dnnl_primitive_desc_create(&f->pd, &op.pool, attr, engine, NULL), "pooling");
        break;
    case FC_FAST_ELTWISE:
        (d->flat ? md_flat : md_nhwc)(&a, s->in[0]);
        DNNL_TRY(dnnl_eltwise_forward_desc_init(&op.elt, dnnl_forward_inference, elt_alg(d->elt), &a,
                                                d->alpha, d->beta), "eltwise");
        DNNL_TRY(dnnl_primitive_desc_create(&f->pd, &op.elt, attr, engine, NULL), "eltwise");
        break;
    case FC_FAST_BINARY:
        md_nhwc(&a, s->in[0]);
        md_operand(&b, s->in[1], s->in[0]);
        md_nhwc(&y, s->out[0]);
        DNNL_TRY(dnnl_binary_desc_init(&op.bin, bin_alg(d->bin), &a, &b, &y), "binary");
        DNNL_TRY(dnnl_primitive_desc_create(&f->pd, &op.bin, attr, engine, NULL), "binary");
        break;
    case FC_FAST_PRELU:
        md_nhwc(&a, s->in[0]);
        slope_md(&b, s->out[0]);
        DNNL_TRY(dnnl_prelu_forward_desc_init(&op.prelu, dnnl_forward_inference, &a, &b), "prelu");
        DNNL_TRY(dnnl_primitive_desc_create(&f->pd, &op.prelu, attr, engine, NULL), "prelu");
        break;
    case FC_FAST_TO_NHWC:
    case FC_FAST_TO_NCHW:
        (d->kind == FC_FAST_TO_NHWC ? md_nchw : md_nhwc)(&a, s->in[0]);
        (d->kind == FC_FAST_TO_NHWC ? md_nhwc : md_nchw)(&y, s->out[0]);
        DNNL_TRY(dnnl_reorder_primitive_desc_create(&f->pd, &a, engine, &y, engine, attr), "reorder");
        break;
    case FC_FAST_CONCAT:
        if (s->n_in > FC_FAST_MAX_IN) {
            rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "concat of %d inputs", s->n_in);
            goto out;
        }
        for (int i = 0; i < s->n_in; i++)
            md_nhwc(&srcs[i], s->in[i]);
        md_nhwc(&y, s->out[0]);
        DNNL_TRY(dnnl_concat_primitive_desc_create(&f->pd, &y, s->n_in, 1, srcs, attr, engine),
                 "concat");
        break;
    case FC_FAST_CHANNELS:
    case FC_FAST_REPEAT:
    case FC_FAST_PWDW:
        break;
    }
    DNNL_TRY(dnnl_primitive_create(&f->prim, f->pd), "primitive");
    DNNL_TRY(dnnl_stream_create(&f->stream, engine, dnnl_stream_default_flags), "stream");
out:
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (rc) {
        fc_fast_free(f);
        return rc;
    }
    s->fast = f;
    return FC_OK;
}

fc_status fc_fast_create_convert(fc_nn_ctx *ctx, fc_step *s, fc_error *err)
{
    fc_fast_desc d = {.kind = s->kind == FC_STEP_TO_NHWC ? FC_FAST_TO_NHWC : FC_FAST_TO_NCHW};
    return fc_fast_create(ctx, s, &d, err);
}

/* A memory object over data (which must outlive the context), destroyed with f. */
static fc_status new_mem(fc_fast *f, const dnnl_memory_desc_t *md, void *data, dnnl_memory_t *mem,
                         fc_error *err)
{
    fc_status rc = FC_OK;
    if (f->n_mem == MAX_ARGS)
        return fc_error_set(err, FC_ERR_INTERNAL, "too many oneDNN arguments");
    DNNL_TRY(dnnl_memory_create(mem, md, engine, data), "memory");
    f->mem[f->n_mem++] = *mem;
out:
    return rc;
}

/* Adds an argument backed by data (which must outlive the context). */
static fc_status add_arg(fc_fast *f, int arg, const dnnl_memory_desc_t *md, void *data,
                         fc_error *err)
{
    dnnl_memory_t mem;
    fc_status rc = new_mem(f, md, data, &mem, err);
    if (!rc)
        f->args[f->n_args++] = (dnnl_exec_arg_t){arg, mem};
    return rc;
}

/* A reorder primitive from md a to md b. */
static fc_status new_reorder(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b,
                             dnnl_primitive_t *prim, fc_error *err)
{
    fc_status rc = FC_OK;
    dnnl_primitive_desc_t pd = NULL;
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&pd, a, engine, b, engine, NULL), "reorder");
    DNNL_TRY(dnnl_primitive_create(prim, pd), "reorder");
out:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    return rc;
}

/* A blocked convolution's own activations, and the reorders from and to NHWC. */
static fc_status bind_blocked(fc_fast *f, const fc_step *s, fc_error *err)
{
    const dnnl_memory_desc_t *bsrc = dnnl_primitive_desc_query_md(f->pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *bdst = dnnl_primitive_desc_query_md(f->pd, dnnl_query_dst_md, 0);
    dnnl_memory_desc_t x, y;
    dnnl_memory_t xm, ym;
    md_nhwc(&x, s->in[0]);
    md_nhwc(&y, s->out[0]);
    f->blk_dst_floats = (int64_t)(dnnl_memory_desc_get_size(bdst) / sizeof(float));
    f->blk_src = fc_aligned_alloc(dnnl_memory_desc_get_size(bsrc));
    f->blk_dst = fc_aligned_alloc(dnnl_memory_desc_get_size(bdst));
    if (!f->blk_src || !f->blk_dst)
        return fc_error_set(err, FC_ERR_NOMEM, "blocked activations");
    fc_status rc = add_arg(f, DNNL_ARG_SRC, bsrc, f->blk_src, err);
    if (!rc)
        rc = add_arg(f, DNNL_ARG_DST, bdst, f->blk_dst, err);
    if (!rc)
        rc = new_mem(f, &x, s->in[0]->data, &xm, err);
    if (!rc)
        rc = new_mem(f, &y, s->out[0]->data, &ym, err);
    if (!rc)
        rc = new_reorder(&x, bsrc, &f->to_blk, err);
    if (!rc)
        rc = new_reorder(bdst, &y, &f->from_blk, err);
    if (rc)
        return rc;
    f->to_args[0] = (dnnl_exec_arg_t){DNNL_ARG_FROM, xm};
    f->to_args[1] = (dnnl_exec_arg_t){DNNL_ARG_TO, f->args[f->n_args - 2].memory};
    f->from_args[0] = (dnnl_exec_arg_t){DNNL_ARG_FROM, f->args[f->n_args - 1].memory};
    f->from_args[1] = (dnnl_exec_arg_t){DNNL_ARG_TO, ym};
    f->post_args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, f->from_args[0].memory};
    f->post_args[1] = (dnnl_exec_arg_t){DNNL_ARG_DST, f->from_args[0].memory};
    return FC_OK;
}

void fc_fold_conv(const fc_tensor *w, const fc_tensor *b, const fc_tensor *const bn[4], float eps,
                  float *w_out, float *b_out)
{
    const int64_t m = w->shape.d[0], per = fc_shape_numel(&w->shape) / m;
    const float *w0 = w->data, *b0 = b ? b->data : NULL;
    for (int64_t o = 0; o < m; o++) {
        float k = 1, shift = b0 ? b0[o] : 0.0f;
        if (bn[0]) {
            const float *scale = bn[0]->data, *beta = bn[1]->data, *mean = bn[2]->data, *var = bn[3]->data;
            k = scale[o] / sqrtf(var[o] + eps);
            shift = (shift - mean[o]) * k + beta[o];
        }
        for (int64_t i = 0; i < per; i++)
            w_out[o * per + i] = w0[o * per + i] * k;
        b_out[o] = shift;
    }
}

/* The conv's weights and bias with its BatchNormalization folded in, owned by f. */
static fc_status fold_batchnorm(fc_fast *f, fc_error *err)
{
    const fc_fast_desc *d = &f->d;
    int64_t m = d->w->shape.d[0];
    f->folded_w = fc_aligned_alloc((size_t)fc_shape_numel(&d->w->shape) * sizeof(float));
    f->folded_b = fc_aligned_alloc((size_t)m * sizeof(float));
    if (!f->folded_w || !f->folded_b)
        return fc_error_set(err, FC_ERR_NOMEM, "folding BatchNormalization");
    fc_fold_conv(d->w, d->b, d->bn, d->bn_eps, f->folded_w, f->folded_b);
    return FC_OK;
}

/* Weights into the layout the convolution chose, once. */
static fc_status bind_weights(fc_fast *f, fc_error *err)
{
    fc_status rc = FC_OK;
    const fc_fast_desc *d = &f->d;
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(f->pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t user;
    int64_t m = d->w->shape.d[0], g = d->win.group;
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    if (d->bn[0] && (rc = fold_batchnorm(f, err)))
        return rc;
    void *src = f->folded_w ? (void *)f->folded_w : d->w->data;
    if (g == 1) {
        dnnl_dims_t wd = {m, d->w->shape.d[1], d->win.kh, d->win.kw};
        dnnl_memory_desc_init_by_tag(&user, 4, wd, dnnl_f32, dnnl_oihw);
    } else {
        dnnl_dims_t wd = {g, m / g, d->w->shape.d[1], d->win.kh, d->win.kw};
        dnnl_memory_desc_init_by_tag(&user, 5, wd, dnnl_f32, dnnl_goihw);
    }
    f->weights = fc_aligned_alloc(dnnl_memory_desc_get_size(want));
    if (!f->weights)
        return fc_error_set(err, FC_ERR_NOMEM, "conv weights");
    DNNL_TRY(dnnl_memory_create(&from, &user, engine, src), "memory");
    DNNL_TRY(dnnl_memory_create(&to, want, engine, f->weights), "memory");
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, &user, engine, want, engine, NULL), "reorder");
    DNNL_TRY(dnnl_primitive_create(&reorder, rpd), "reorder");
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DNNL_TRY(dnnl_primitive_execute(reorder, f->stream, 2, args), "reorder");
    DNNL_TRY(dnnl_stream_wait(f->stream), "reorder");
    rc = add_arg(f, DNNL_ARG_WEIGHTS, want, f->weights, err);
    if (!rc && (d->b || d->bn[0])) {
        dnnl_dims_t bd = {m};
        dnnl_memory_desc_t bmd;
        dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a);
        rc = add_arg(f, DNNL_ARG_BIAS, &bmd, f->folded_b ? (void *)f->folded_b : d->b->data, err);
    }
out:
    if (reorder)
        dnnl_primitive_destroy(reorder);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    if (from)
        dnnl_memory_destroy(from);
    if (to)
        dnnl_memory_destroy(to);
    return rc;
}

static fc_status bind_post_ops(fc_fast *f, const fc_step *s, fc_error *err)
{
    fc_status rc = FC_OK;
    for (int i = 0; !rc && i < f->d.n_post; i++) {
        const fc_post_op *p = &f->d.post[i];
        dnnl_memory_desc_t md;
        if (p->kind == FC_POST_ADD) {
            md_nhwc(&md, s->in[p->input]);
            rc = add_arg(f, DNNL_ARG_ATTR_MULTIPLE_POST_OP(i) | DNNL_ARG_SRC_1, &md,
                         s->in[p->input]->data, err);
        }
    }
    return rc;
}

static fc_status bind_step(fc_step *s, fc_error *err)
{
    fc_fast *f = s->fast;
    fc_status rc = FC_OK;
    dnnl_memory_desc_t md;
    switch (f->d.kind) {
    case FC_FAST_CONV:
        if ((rc = bind_weights(f, err)))
            return rc;
        if (f->blocked)
            return bind_blocked(f, s, err); /* eltwise post-ops only: no more arguments */
        (f->d.src_nchw ? md_nchw : md_nhwc)(&md, s->in[0]);
        if ((rc = add_arg(f, DNNL_ARG_SRC, &md, s->in[0]->data, err)))
            return rc;
        f->src_mem = f->d.src_nchw ? f->args[f->n_args - 1].memory : NULL;
        break;
    case FC_FAST_BINARY:
        md_nhwc(&md, s->in[0]);
        if ((rc = add_arg(f, DNNL_ARG_SRC_0, &md, s->in[0]->data, err)))
            return rc;
        md_operand(&md, s->in[1], s->in[0]);
        if ((rc = add_arg(f, DNNL_ARG_SRC_1, &md, s->in[1]->data, err)))
            return rc;
        break;
    case FC_FAST_CONCAT:
        for (int i = 0; !rc && i < s->n_in; i++) {
            md_nhwc(&md, s->in[i]);
            rc = add_arg(f, DNNL_ARG_MULTIPLE_SRC + i, &md, s->in[i]->data, err);
        }
        break;
    case FC_FAST_PRELU:
        md_nhwc(&md, s->in[0]);
        if ((rc = add_arg(f, DNNL_ARG_SRC, &md, s->in[0]->data, err)))
            return rc;
        slope_md(&md, s->out[0]);
        rc = add_arg(f, DNNL_ARG_WEIGHTS, &md, f->d.slope->data, err);
        break;
    case FC_FAST_CHANNELS:
    case FC_FAST_REPEAT:
    case FC_FAST_PWDW:
        return FC_OK; /* reads s->in, s->out at run time */
    case FC_FAST_TO_NHWC:
    case FC_FAST_TO_NCHW:
        (f->d.kind == FC_FAST_TO_NHWC ? md_nchw : md_nhwc)(&md, s->in[0]);
        if ((rc = add_arg(f, DNNL_ARG_FROM, &md, s->in[0]->data, err)))
            return rc;
        (f->d.kind == FC_FAST_TO_NHWC ? md_nhwc : md_nchw)(&md, s->out[0]);
        return add_arg(f, DNNL_ARG_TO, &md, s->out[0]->data, err);
    default:
        (f->d.flat ? md_flat : md_nhwc)(&md, s->in[0]);
        rc = add_arg(f, DNNL_ARG_SRC, &md, s->in[0]->data, err);
        f->src_mem = f->d.flat && !rc ? f->args[f->n_args - 1].memory : NULL; /* may be a graph input */
        break;
    }
    (f->d.flat ? md_flat : md_nhwc)(&md, s->out[0]);
    if (!rc)
        rc = add_arg(f, DNNL_ARG_DST, &md, s->out[0]->data, err);
    if (!rc)
        rc = bind_post_ops(f, s, err);
    return rc;
}

/* Consecutive convolutions on blocked activations (Winograd) hand the blocked
 * tensor on: the first skips its reorder to NHWC, the second its reorder from NHWC
 * (yolov8-lite's heads: 64 and 48 channels at 80x80, two 1.6 MB passes per pair). */
static void chain_blocked(fc_nn_ctx *ctx)
{
    for (int i = 0; i < ctx->n_steps; i++) {
        fc_fast *f = ctx->steps[i].fast;
        int ri = f && f->blocked ? fc_ctx_sole_reader(ctx, ctx->steps[i].out_ids[0]) : -1;
        fc_step *r = ri >= 0 ? &ctx->steps[ri] : NULL;
        fc_fast *g = r && r->fast && r->fast->blocked && r->in_ids[0] == ctx->steps[i].out_ids[0] ? r->fast : NULL;
        if (!g || !dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(f->pd, dnnl_query_dst_md, 0),
                                          dnnl_primitive_desc_query_md(g->pd, dnnl_query_src_md, 0)))
            continue;
        for (int a = 0; a < g->n_args; a++)
            if (g->args[a].arg == DNNL_ARG_SRC &&
                dnnl_memory_set_data_handle(g->args[a].memory, f->blk_dst) == dnnl_success) {
                f->keeps_blocked = 1;
                g->takes_blocked = 1;
            }
    }
}

fc_status fc_fast_bind(fc_nn_ctx *ctx, fc_error *err)
{
    for (int i = 0; i < ctx->n_steps; i++) {
        fc_step *s = &ctx->steps[i];
        if (!s->fast)
            continue;
        fc_status rc = bind_step(s, err);
        if (rc)
            return fc_node_error(err, s->node);
    }
    if (!fc_fast_switched_off("FC_NN_CHAIN"))
        chain_blocked(ctx);
    return FC_OK;
}

fc_status fc_fast_run(const fc_step *s, fc_error *err)
{
    fc_fast *f = s->fast;
    dnnl_status_t st = dnnl_success;
    if (f->d.kind == FC_FAST_CHANNELS) {
        fc_gather_run(f->gather, s->in, s->out[0]);
        return FC_OK;
    }
    if (f->d.kind == FC_FAST_REPEAT) {
        fc_repeat_pixels(s->in[0], f->d.n_post ? s->in[f->d.post[0].input] : NULL, s->out[0], f->d.rep_h,
                         f->d.rep_w);
        return FC_OK;
    }
    if (f->d.kind == FC_FAST_PWDW) {
        fc_pwdw_run(f->pwdw, s->in[0]->data, s->out[0]->data, s->n_out > 1 ? s->out[1]->data : NULL);
        return FC_OK;
    }
    /* a conversion may read a graph input, whose buffer the caller gives each run */
    if (f->d.kind == FC_FAST_TO_NHWC || f->d.kind == FC_FAST_TO_NCHW || f->src_mem) {
        dnnl_memory_t in = f->src_mem ? f->src_mem : f->mem[0];
        void *now = NULL;
        if (dnnl_memory_get_data_handle(in, &now) == dnnl_success && now != s->in[0]->data)
            st = dnnl_memory_set_data_handle(in, s->in[0]->data);
    }
    if (st == dnnl_success && f->blocked && !f->takes_blocked)
        st = dnnl_primitive_execute(f->to_blk, f->stream, 2, f->to_args);
    if (st == dnnl_success)
        st = dnnl_primitive_execute(f->prim, f->stream, f->n_args, f->args);
    if (st == dnnl_success && f->post_prim)
        st = dnnl_primitive_execute(f->post_prim, f->stream, 2, f->post_args);
    if (st == dnnl_success && f->own_silu && f->blocked) { /* on the blocked result */
        if ((st = dnnl_stream_wait(f->stream)) == dnnl_success)
            fc_silu_inplace(f->blk_dst, f->blk_dst_floats, omp_get_max_threads());
    }
    if (st == dnnl_success && f->blocked && !f->keeps_blocked)
        st = dnnl_primitive_execute(f->from_blk, f->stream, 2, f->from_args);
    if (st == dnnl_success)
        st = dnnl_stream_wait(f->stream);
    if (st == dnnl_success && f->own_silu && !f->blocked)
        fc_silu_inplace(s->out[0]->data, fc_shape_numel(&s->out[0]->shape), omp_get_max_threads());
    return st == dnnl_success ? FC_OK : dnnl_error(err, st, "execute");
}

void fc_fast_begin_run(const fc_nn_ctx *ctx)
{
    if (omp_get_max_threads() != ctx->n_threads)
        omp_set_num_threads(ctx->n_threads);
    /* oneDNN's worker threads flush denormals too (see fc_denormals_off). With one
     * thread there are none, and libgomp would allocate a team for the region on
     * every run (it keeps teams of two threads or more only). */
    if (ctx->n_threads > 1) {
#pragma omp parallel num_threads(ctx->n_threads)
        {
            fc_denormals_off();
            /* a worker's C++ allocations come from the run's pool too (newpool.h) */
            if (omp_get_thread_num() != 0)
                fc_newpool_enter(ctx->newpool);
        }
    }
}

void fc_fast_end_run(const fc_nn_ctx *ctx)
{
    /* libgomp runs a team of the same size from the same thread on the same workers,
     * so these are the workers that entered the pool */
    if (ctx->n_threads > 1 && ctx->newpool) {
#pragma omp parallel num_threads(ctx->n_threads)
        if (omp_get_thread_num() != 0)
            fc_newpool_leave(NULL);
    }
}

unsigned fc_denormals_off(void)
{
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040); /* FTZ | DAZ */
    return saved;
}

void fc_denormals_restore(unsigned saved) { _mm_setcsr(saved); }

void fc_fast_free(fc_fast *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_mem; i++)
        dnnl_memory_destroy(f->mem[i]);
    if (f->prim)
        dnnl_primitive_destroy(f->prim);
    if (f->pd)
        dnnl_primitive_desc_destroy(f->pd);
    if (f->stream)
        dnnl_stream_destroy(f->stream);
    if (f->post_prim)
        dnnl_primitive_destroy(f->post_prim);
    if (f->post_pd)
        dnnl_primitive_desc_destroy(f->post_pd);
    if (f->to_blk)
        dnnl_primitive_destroy(f->to_blk);
    if (f->from_blk)
        dnnl_primitive_destroy(f->from_blk);
    fc_aligned_free(f->blk_src);
    fc_aligned_free(f->blk_dst);
    fc_aligned_free(f->weights);
    fc_gather_free(f->gather);
    fc_pwdw_free(f->pwdw);
    fc_aligned_free(f->folded_w);
    fc_aligned_free(f->folded_b);
    free(f);
}

const char *fc_fast_impl(const fc_step *s)
{
    const char *impl = "";
    if (s->fast && s->fast->d.kind == FC_FAST_CHANNELS)
        return "own:channels";
    if (s->fast && s->fast->d.kind == FC_FAST_REPEAT)
        return s->fast->d.n_post ? "own:repeat+add" : "own:repeat";
    if (s->fast && s->fast->d.kind == FC_FAST_PWDW)
        return s->fast->label;
    if (s->fast && dnnl_primitive_desc_query(s->fast->pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success)
        impl = "?";
    return impl;
}

const fc_fast_desc *fc_fast_desc_of(const fc_fast *f) { return &f->d; }

fc_fast *fc_fast_wrap_pwdw(fc_pwdw *k, int first, int pool, fc_error *err)
{
    fc_fast *f = calloc(1, sizeof *f);
    if (!f) {
        fc_pwdw_free(k);
        fc_error_set(err, FC_ERR_NOMEM, "pw+dw step");
        return NULL;
    }
    static const char *labels[3][3] = {{"own:pw+dw", "own:pw+dw+pool", "own:pw+dw,pool"},
                                       {"own:dw+pw+dw", "own:dw+pw+dw+pool", "own:dw+pw+dw,pool"},
                                       {"own:stem+pw+dw", "own:stem+pw+dw+pool", "own:stem+pw+dw,pool"}};
    f->d.kind = FC_FAST_PWDW;
    f->label = labels[first][pool];
    f->pwdw = k;
    return f;
}

fc_fast *fc_fast_wrap_gather(const int *src, const int *map, int co, const int64_t *in_channels, int n_in,
                             fc_error *err)
{
    fc_fast *f = calloc(1, sizeof *f);
    if (f && (f->gather = fc_gather_plan(src, map, co, in_channels, n_in))) {
        f->d.kind = FC_FAST_CHANNELS;
        return f;
    }
    free(f);
    fc_error_set(err, FC_ERR_NOMEM, "channel gather");
    return NULL;
}

const int *fc_fast_gather_map(const fc_fast *f, const int **src) { return fc_gather_map(f->gather, src); }

int fc_fast_gather_scalar_blocks(const fc_fast *f) { return fc_gather_scalar_blocks(f->gather); }
