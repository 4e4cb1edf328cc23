/* conv.c - Conv and ConvTranspose over 1-D (N,C,L) and 2-D (N,C,H,W) inputs, float32:
 * attribute parsing, output shapes (explicit pads, auto_pad, output_shape) and the
 * scalar reference kernels.
 *
 * A 1-D convolution runs as a 2-D one with H = kH = 1. Conv accumulates one output
 * row at a time so that the innermost loop runs over contiguous output columns;
 * padding is handled by clipping each kernel tap to the output columns it reaches,
 * never by branching inside that loop. */
#include "nn/ops/ops.h"
#include "nn/ops/common.h"
#include "nn/ops/inspect.h"

#include "core/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest attribute value or tensor dim we accept, so that sums and products of
 * a few of them stay far from int64 overflow. */
#define DIM_MAX INT32_MAX
/* Columns of a 1x1 convolution processed per block: a block of outputs stays in L1. */
#define POINTWISE_BLOCK 512

/* Parsed attributes; per-axis arrays are in ONNX order (axis 0 = H, or L for 1-D). */
typedef struct {
    int rank;                 /* spatial rank the list attributes imply; 0: from W */
    fc_pad_mode mode;
    int64_t group;
    int has_kernel;
    int64_t kernel[2];
    int64_t strides[2], dilations[2];
    int64_t pad_begin[2], pad_end[2];
    int64_t out_pad[2];       /* ConvTranspose output_padding */
    int n_out_shape;          /* ConvTranspose output_shape: 0 if absent */
    int64_t out_shape[4];
} conv_params;

/* Everything a kernel loop needs, resolved from attributes and input shapes. */
typedef struct {
    int64_t n, c, m, group;   /* batch, input channels, output channels, groups */
    int64_t ih, iw, oh, ow;   /* input and output planes (1-D: ih = oh = 1) */
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl;           /* top and left pads */
} conv_geom;

/* ---- attributes ---------------------------------------------------------------- */

/* Reads an optional ints attribute holding per_axis values per spatial axis into
 * dst (n values), checking them against *rank (set from the first list seen) and
 * against [lo, DIM_MAX]. An absent or empty list leaves dst alone. */
static fc_status parse_axes(const fc_attrs *at, const char *name, int per_axis, int64_t lo,
                            int *rank, int64_t *dst, fc_error *err)
{
    const int64_t *v;
    int n = fc_attr_ints(at, name, &v);
    if (n < 0 && fc_attr_find(at, name))
        return fc_error_set(err, FC_ERR_FORMAT, "%s must be a list of ints", name);
    if (n <= 0)
        return FC_OK;
    if (*rank && n != *rank * per_axis)
        return fc_error_set(err, FC_ERR_FORMAT, "%s must have %d values, got %d", name,
                            *rank * per_axis, n);
    if (n % per_axis)
        return fc_error_set(err, FC_ERR_FORMAT, "%s must have an even number of values, got %d",
                            name, n);
    if (n / per_axis == 3)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "3-D convolution is not supported");
    if (n / per_axis > 2)
        return fc_error_set(err, FC_ERR_FORMAT, "%s has %d values: not a 1-D or 2-D convolution",
                            name, n);
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > DIM_MAX)
            return fc_error_set(err, FC_ERR_FORMAT, "%s[%d] = %lld is out of range", name, i,
                                (long long)v[i]);
    *rank = n / per_axis;
    memcpy(dst, v, (size_t)n * sizeof *v);
    return FC_OK;
}

/* The attributes Conv and ConvTranspose share. */
static fc_status parse_common(const fc_attrs *at, conv_params *p, fc_error *err)
{
    int64_t pads[4] = {0};
    fc_status rc;
    p->strides[0] = p->strides[1] = p->dilations[0] = p->dilations[1] = 1;
    if ((rc = fc_op_parse_auto_pad(at, &p->mode, err)))
        return rc;
    p->group = fc_attr_int(at, "group", 1);
    if (p->group < 1 || p->group > DIM_MAX)
        return fc_error_set(err, FC_ERR_FORMAT, "group = %lld is out of range",
                            (long long)p->group);
    if ((rc = parse_axes(at, "kernel_shape", 1, 1, &p->rank, p->kernel, err)))
        return rc;
    p->has_kernel = p->rank > 0;
    if ((rc = parse_axes(at, "strides", 1, 1, &p->rank, p->strides, err)) ||
        (rc = parse_axes(at, "dilations", 1, 1, &p->rank, p->dilations, err)) ||
        (rc = parse_axes(at, "pads", 2, 0, &p->rank, pads, err)))
        return rc;
    for (int i = 0; i < p->rank; i++) {
        p->pad_begin[i] = pads[i];
        p->pad_end[i] = pads[p->rank + i];
    }
    return FC_OK;
}

static fc_status conv_parse(const fc_attrs *at, void **params, fc_error *err)
{
    conv_params *p = calloc(1, sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    fc_status rc = parse_common(at, p, err);
    if (rc)
        goto out;
    /* ONNX Runtime rejects this too (ConvTranspose it does support). */
    for (int i = 0; i < p->rank; i++)
        if (p->dilations[i] != 1 && (p->mode == FC_PAD_SAME_UPPER || p->mode == FC_PAD_SAME_LOWER)) {
            rc = fc_error_set(err, FC_ERR_UNSUPPORTED,
                              "dilations with auto_pad SAME_* are not supported");
            goto out;
        }
    *params = p;
    p = NULL;
out:
    free(p);
    return rc;
}

static fc_status conv_transpose_parse(const fc_attrs *at, void **params, fc_error *err)
{
    conv_params *p = calloc(1, sizeof *p);
    const int64_t *v;
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    fc_status rc = parse_common(at, p, err);
    if (rc || (rc = parse_axes(at, "output_padding", 1, 0, &p->rank, p->out_pad, err)))
        goto out;
    int n = fc_attr_ints(at, "output_shape", &v);
    if (n > 4) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "output_shape has %d values", n);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (v[i] < 1 || v[i] > DIM_MAX) {
            rc = fc_error_set(err, FC_ERR_FORMAT, "output_shape[%d] = %lld is out of range", i,
                              (long long)v[i]);
            goto out;
        }
    p->n_out_shape = n > 0 ? n : 0;
    if (n > 0)
        memcpy(p->out_shape, v, (size_t)n * sizeof *v);
    *params = p;
    p = NULL;
out:
    free(p);
    return rc;
}

/* ---- shapes -------------------------------------------------------------------- */

static fc_status check_input(const fc_tensor *t, const char *name, fc_error *err)
{
    char buf[96];
    if (t->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "%s must be float32, got %s", name,
                            fc_dtype_name(t->dtype));
    for (int i = 0; i < t->shape.ndim; i++) {
        if (t->shape.d[i] < 0)
            return fc_error_set(err, FC_ERR_SHAPE, "%s has an unknown dim: %s", name,
                                fc_shape_str(&t->shape, buf, sizeof buf));
        if (t->shape.d[i] > DIM_MAX)
            return fc_error_set(err, FC_ERR_LIMIT, "%s has a dim too large: %s", name,
                                fc_shape_str(&t->shape, buf, sizeof buf));
    }
    return FC_OK;
}

/* FC_ERR_SHAPE (or code) with the reason followed by the shapes of X and W. */
static fc_status xw_error(fc_status code, const char *why, const fc_tensor *x,
                          const fc_tensor *w, fc_error *err)
{
    char xs[96], ws[96];
    return fc_error_set(err, code, "%s: X %s, W %s", why, fc_shape_str(&x->shape, xs, sizeof xs),
                        fc_shape_str(&w->shape, ws, sizeof ws));
}

/* Checks dtypes and ranks of X, W and the optional B; *rank gets the spatial rank. */
static fc_status check_inputs(const conv_params *p, fc_tensor *const *in, int n_in, int *rank,
                              fc_error *err)
{
    const fc_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    fc_status rc;
    if ((rc = check_input(x, "X", err)) || (rc = check_input(w, "W", err)) ||
        (b && (rc = check_input(b, "B", err))))
        return rc;
    if (x->shape.ndim == 5)
        return xw_error(FC_ERR_UNSUPPORTED, "3-D convolution is not supported", x, w, err);
    if (x->shape.ndim < 3 || x->shape.ndim > 4 || w->shape.ndim != x->shape.ndim)
        return xw_error(FC_ERR_SHAPE, "X and W must both be 3-D or 4-D", x, w, err);
    *rank = x->shape.ndim - 2;
    if (p->rank && p->rank != *rank)
        return xw_error(FC_ERR_SHAPE, p->rank == 1 ? "attributes are for a 1-D convolution"
                                                   : "attributes are for a 2-D convolution",
                        x, w, err);
    for (int i = 0; p->has_kernel && i < *rank; i++)
        if (p->kernel[i] != w->shape.d[2 + i])
            return xw_error(FC_ERR_SHAPE, "kernel_shape does not match W", x, w, err);
    for (int i = 2; i < w->shape.ndim; i++)
        if (w->shape.d[i] < 1)
            return xw_error(FC_ERR_SHAPE, "W has an empty kernel", x, w, err);
    return FC_OK;
}

/* Conv along one axis: output size and begin pad; -1 if the output would be empty. */
static int64_t conv_axis(const conv_params *p, int axis, int64_t in, int64_t k, int64_t *pad)
{
    int64_t s = p->strides[axis], dk = (k - 1) * p->dilations[axis] + 1;
    if (p->mode == FC_PAD_SAME_UPPER || p->mode == FC_PAD_SAME_LOWER) {
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + dk - in;
        if (total < 0)
            total = 0;
        *pad = p->mode == FC_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        return out > 0 ? out : -1;
    }
    int64_t span = in - dk;
    *pad = 0;
    if (p->mode == FC_PAD_NOTSET) {
        *pad = p->pad_begin[axis];
        span += p->pad_begin[axis] + p->pad_end[axis];
    }
    return span >= 0 ? span / s + 1 : -1;
}

/* ConvTranspose along one axis: output size and begin pad; -1 if empty. The padding
 * that output_shape or SAME implies is split as ONNX says (and ONNX Runtime does):
 * SAME_UPPER puts the smaller half first, NOTSET and SAME_LOWER the larger. SAME
 * aims at in * stride but never pads below zero. */
static int64_t deconv_axis(const conv_params *p, int axis, int rank, int64_t in, int64_t k,
                           int64_t *pad)
{
    int64_t s = p->strides[axis];
    int64_t full = s * (in - 1) + p->out_pad[axis] + (k - 1) * p->dilations[axis] + 1, out;
    *pad = 0;
    if (p->n_out_shape)
        out = p->out_shape[p->n_out_shape - rank + axis];
    else if (p->mode == FC_PAD_SAME_UPPER || p->mode == FC_PAD_SAME_LOWER)
        out = in * s < full ? in * s : full;
    else if (p->mode == FC_PAD_VALID)
        return full;
    else {
        *pad = p->pad_begin[axis];
        full -= p->pad_begin[axis] + p->pad_end[axis];
        return full > 0 ? full : -1;
    }
    int64_t total = full - out > 0 ? full - out : 0;
    *pad = p->mode == FC_PAD_SAME_UPPER ? total / 2 : total - total / 2;
    return out > 0 ? out : -1;
}

/* Fills the spatial part of g from per-axis sizes, mapping 1-D onto the W axis. */
static void set_spatial(conv_geom *g, const conv_params *p, int rank, const int64_t *in,
                        const int64_t *k, const int64_t *out, const int64_t *pad)
{
    int a = rank - 1; /* the axis that becomes W */
    g->ih = rank == 2 ? in[0] : 1, g->iw = in[a];
    g->oh = rank == 2 ? out[0] : 1, g->ow = out[a];
    g->kh = rank == 2 ? k[0] : 1, g->kw = k[a];
    g->sh = rank == 2 ? p->strides[0] : 1, g->sw = p->strides[a];
    g->dh = rank == 2 ? p->dilations[0] : 1, g->dw = p->dilations[a];
    g->pt = rank == 2 ? pad[0] : 0, g->pl = pad[a];
}

/* Resolves a Conv or ConvTranspose (transpose != 0) from params and input shapes. */
static fc_status geom_get(const conv_params *p, int transpose, fc_tensor *const *in, int n_in,
                          conv_geom *g, fc_error *err)
{
    const fc_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    int64_t out[2], pad[2], per_group = 0;
    int rank = 0;
    char why[64];
    fc_status rc = check_inputs(p, in, n_in, &rank, err);
    if (rc)
        return rc;
    g->n = x->shape.d[0], g->c = x->shape.d[1], g->group = p->group;
    g->m = transpose ? w->shape.d[1] * p->group : w->shape.d[0];
    int fits = transpose ? g->c == w->shape.d[0] && g->c % p->group == 0
                         : !fc_mul_overflow(w->shape.d[1], p->group, &per_group) &&
                               g->c == per_group && g->m % p->group == 0;
    if (!fits) {
        snprintf(why, sizeof why, "channels do not fit with group %lld", (long long)p->group);
        return xw_error(FC_ERR_SHAPE, why, x, w, err);
    }
    if (transpose && p->n_out_shape && p->n_out_shape != rank && p->n_out_shape != rank + 2)
        return xw_error(FC_ERR_FORMAT, "output_shape has the wrong number of values", x, w, err);
    if (b && (b->shape.ndim != 1 || b->shape.d[0] != g->m)) {
        char bs[96];
        return fc_error_set(err, FC_ERR_SHAPE, "B %s must be [%lld]",
                            fc_shape_str(&b->shape, bs, sizeof bs), (long long)g->m);
    }
    for (int i = 0; i < rank; i++) {
        int64_t in_i = x->shape.d[2 + i], k = w->shape.d[2 + i];
        out[i] = transpose ? deconv_axis(p, i, rank, in_i, k, &pad[i])
                           : conv_axis(p, i, in_i, k, &pad[i]);
        if (out[i] < 1)
            return xw_error(FC_ERR_SHAPE, "output would be empty", x, w, err);
    }
    set_spatial(g, p, rank, x->shape.d + 2, w->shape.d + 2, out, pad);
    return FC_OK;
}

static fc_status shape_common(const void *params, int transpose, fc_tensor *const *in,
                              int n_in, fc_tensor *const *out, fc_error *err)
{
    conv_geom g;
    fc_status rc = geom_get(params, transpose, in, n_in, &g, err);
    if (rc)
        return rc;
    fc_shape s = in[0]->shape;
    s.d[1] = g.m;
    if (s.ndim == 4)
        s.d[2] = g.oh;
    s.d[s.ndim - 1] = g.ow;
    if (fc_shape_numel(&s) < 0)
        return fc_error_set(err, FC_ERR_LIMIT, "output is too large");
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = s;
    return FC_OK;
}

static fc_status conv_shape(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, fc_error *err)
{
    FC_UNUSED(n_out);
    return shape_common(params, 0, in, n_in, out, err);
}

static fc_status conv_transpose_shape(const void *params, fc_tensor *const *in, int n_in,
                                      fc_tensor *const *out, int n_out, fc_error *err)
{
    FC_UNUSED(n_out);
    return shape_common(params, 1, in, n_in, out, err);
}

/* ---- kernels ------------------------------------------------------------------- */

/* The indices t in [0, count) with 0 <= t*step + off < n: [*lo, *hi). Maps kernel
 * taps to the outputs they reach, and pooling-style windows to their valid taps. */
static inline void tap_range(int64_t off, int64_t step, int64_t n, int64_t count, int64_t *lo,
                             int64_t *hi)
{
    int64_t a = 0, b = 0;
    if (off < 0)
        a = step == 1 ? -off : (-off + step - 1) / step;
    if (n - off > 0)
        b = step == 1 ? n - off : (n - 1 - off) / step + 1;
    if (b > count)
        b = count;
    *lo = a < b ? a : b;
    *hi = b;
}

/* y[i] += w * x[i * sx], i < n. Kept out of line, with the contiguous loop run to a
 * multiple of 8 first: GCC's -O2 vectoriser only takes a loop whose trip count it
 * can see divides evenly, and inlined copies lose that (measured: 4 -> 12 GFLOP/s). */
__attribute__((noinline)) static void axpy(float *restrict y, const float *restrict x,
                                           int64_t sx, float w, int64_t n)
{
    int64_t i = 0, n8 = n & ~(int64_t)7;
    if (sx != 1) {
        for (; i < n; i++)
            y[i] += w * x[i * sx];
        return;
    }
    for (; i < n8; i++)
        y[i] += w * x[i];
    for (; i < n; i++)
        y[i] += w * x[i];
}

static void fill(float *y, float v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = v;
}

/* One output row: yrow (ow) += the kernel row wrow (kw) over the input row xrow (iw). */
static void conv_row(const conv_geom *g, const float *xrow, const float *wrow, float *yrow)
{
    for (int64_t kx = 0; kx < g->kw; kx++) {
        int64_t off = kx * g->dw - g->pl, lo, hi;
        tap_range(off, g->sw, g->iw, g->ow, &lo, &hi);
        if (lo < hi)
            axpy(yrow + lo, xrow + lo * g->sw + off, g->sw, wrow[kx], hi - lo);
    }
}

/* One output channel: y (oh,ow) = bias + x (cg,ih,iw) convolved with w (cg,kh,kw). */
static void conv_channel(const conv_geom *g, const float *x, const float *w, float bias,
                         float *y)
{
    int64_t cg = g->c / g->group;
    for (int64_t oy = 0; oy < g->oh; oy++) {
        float *yrow = y + oy * g->ow;
        fill(yrow, bias, g->ow);
        for (int64_t ic = 0; ic < cg; ic++)
            for (int64_t ky = 0; ky < g->kh; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy >= 0 && iy < g->ih)
                    conv_row(g, x + (ic * g->ih + iy) * g->iw, w + (ic * g->kh + ky) * g->kw,
                             yrow);
            }
    }
}

/* A 1x1, stride-1, unpadded convolution of one group is a matrix product:
 * y (mg,P) = b (mg) + w (mg,cg) @ x (cg,P), in i-k-j order over blocks of columns. */
static void conv_pointwise(const conv_geom *g, const float *x, const float *w, const float *b,
                           float *y)
{
    int64_t cg = g->c / g->group, mg = g->m / g->group, np = g->oh * g->ow;
    for (int64_t p0 = 0; p0 < np; p0 += POINTWISE_BLOCK) {
        int64_t len = np - p0 < POINTWISE_BLOCK ? np - p0 : POINTWISE_BLOCK;
        for (int64_t j = 0; j < mg; j++) {
            float *yrow = y + j * np + p0;
            fill(yrow, b ? b[j] : 0.0f, len);
            for (int64_t ic = 0; ic < cg; ic++)
                axpy(yrow, x + ic * np + p0, 1, w[j * cg + ic], len);
        }
    }
}

/* X (n,c,ih,iw) conv W (m,c/group,kh,kw) + B (m) -> Y (n,m,oh,ow) */
static fc_status conv_ref(const void *params, fc_tensor *const *in, int n_in,
                          fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    conv_geom g;
    FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = geom_get(params, 0, in, n_in, &g, err);
    if (rc)
        return rc;
    const float *x = in[0]->data, *w = in[1]->data;
    const float *b = n_in > 2 && in[2] ? in[2]->data : NULL;
    float *y = out[0]->data;
    int64_t cg = g.c / g.group, mg = g.m / g.group, wsize = cg * g.kh * g.kw;
    int64_t xplane = g.ih * g.iw, yplane = g.oh * g.ow;
    int pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 &&
                    g.pl == 0 && g.oh == g.ih && g.ow == g.iw;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t gr = 0; gr < g.group; gr++) {
            const float *xg = x + (n * g.c + gr * cg) * xplane;
            const float *wg = w + gr * mg * wsize, *bg = b ? b + gr * mg : NULL;
            float *yg = y + (n * g.m + gr * mg) * yplane;
            if (pointwise) {
                conv_pointwise(&g, xg, wg, bg, yg);
                continue;
            }
            for (int64_t j = 0; j < mg; j++)
                conv_channel(&g, xg, wg + j * wsize, bg ? bg[j] : 0.0f, yg + j * yplane);
        }
    return FC_OK;
}

/* One output channel of a transposed convolution: y (oh,ow) = bias + the scatter of
 * every input pixel of x (cg,ih,iw) through its kernel w (cg,.,kh,kw), whose input
 * channels lie w_stride floats apart. */
static void deconv_channel(const conv_geom *g, const float *x, const float *w, int64_t w_stride,
                           float bias, float *y)
{
    int64_t cg = g->c / g->group;
    fill(y, bias, g->oh * g->ow);
    for (int64_t ic = 0; ic < cg; ic++)
        for (int64_t iy = 0; iy < g->ih; iy++) {
            const float *xrow = x + (ic * g->ih + iy) * g->iw;
            for (int64_t ky = 0; ky < g->kh; ky++) {
                int64_t oy = iy * g->sh - g->pt + ky * g->dh;
                if (oy < 0 || oy >= g->oh)
                    continue;
                float *yrow = y + oy * g->ow;
                const float *wrow = w + ic * w_stride + ky * g->kw;
                for (int64_t kx = 0; kx < g->kw; kx++) {
                    int64_t off = kx * g->dw - g->pl, lo, hi;
                    tap_range(off, g->sw, g->ow, g->iw, &lo, &hi);
                    for (int64_t ix = lo; ix < hi; ix++)
                        yrow[ix * g->sw + off] += wrow[kx] * xrow[ix];
                }
            }
        }
}

/* X (n,c,ih,iw) conv^T W (c,m/group,kh,kw) + B (m) -> Y (n,m,oh,ow) */
static fc_status conv_transpose_ref(const void *params, fc_tensor *const *in, int n_in,
                                    fc_tensor *const *out, int n_out, void *scratch,
                                    fc_error *err)
{
    conv_geom g;
    FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = geom_get(params, 1, in, n_in, &g, err);
    if (rc)
        return rc;
    const float *x = in[0]->data, *w = in[1]->data;
    const float *b = n_in > 2 && in[2] ? in[2]->data : NULL;
    float *y = out[0]->data;
    int64_t cg = g.c / g.group, mg = g.m / g.group, ksize = g.kh * g.kw;
    int64_t xplane = g.ih * g.iw, yplane = g.oh * g.ow;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t gr = 0; gr < g.group; gr++)
            for (int64_t j = 0; j < mg; j++) {
                int64_t oc = gr * mg + j;
                deconv_channel(&g, x + (n * g.c + gr * cg) * xplane,
                               w + (gr * cg * mg + j) * ksize, mg * ksize, b ? b[oc] : 0.0f,
                               y + (n * g.m + oc) * yplane);
            }
    return FC_OK;
}

const fc_op_def fc_op_conv = {
    .name = "Conv",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = conv_parse,
    .shape = conv_shape,
    .ref = conv_ref,
};

const fc_op_def fc_op_conv_transpose = {
    .name = "ConvTranspose",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = conv_transpose_parse,
    .shape = conv_transpose_shape,
    .ref = conv_transpose_ref,
};

fc_status fc_conv_window(const void *params, fc_tensor *const *in, int n_in, fc_window *w,
                         fc_error *err)
{
    conv_geom g;
    if (in[0]->shape.ndim != 4)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "not a 2-D convolution");
    fc_status rc = geom_get(params, 0, in, n_in, &g, err);
    if (rc)
        return rc;
    *w = (fc_window){.kh = g.kh, .kw = g.kw, .sh = g.sh, .sw = g.sw, .dh = g.dh, .dw = g.dw,
                     .pt = g.pt, .pl = g.pl, .group = g.group};
    return FC_OK;
}
