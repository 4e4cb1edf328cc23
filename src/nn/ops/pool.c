/* pool.c - MaxPool, AveragePool (1-D and 2-D windows) and GlobalAveragePool, float32:
 * attribute parsing, output shapes (pads, auto_pad, ceil_mode) and the scalar
 * reference kernels.
 *
 * A 1-D pool runs as a 2-D one with H = kH = 1. Each output clips its window to the
 * taps that fall inside the input, so padding never enters a max and never needs a
 * branch in the inner loop. */
#include "nn/ops/ops.h"
#include "nn/ops/common.h"
#include "nn/ops/inspect.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest attribute value or tensor dim we accept, so that sums and products of a
 * few of them stay far from int64 overflow. */
#define DIM_MAX INT32_MAX

/* Parsed attributes; per-axis arrays are in ONNX order (axis 0 = H, or L for 1-D). */
typedef struct {
    int rank;                 /* spatial rank: the length of kernel_shape */
    fc_pad_mode mode;
    int ceil_mode, count_include_pad;
    int64_t kernel[2], strides[2], dilations[2];
    int64_t pad_begin[2], pad_end[2];
} pool_params;

/* A pool resolved against its input: planes = N*C of (ih,iw) -> (oh,ow). */
typedef struct {
    int64_t planes, ih, iw, oh, ow;
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;   /* pads: top, left, bottom, right */
} pool_geom;

/* ---- attributes ---------------------------------------------------------------- */

/* Reads an optional ints attribute of rank*per_axis values in [lo, DIM_MAX] into
 * dst; an absent or empty list leaves dst alone. */
static fc_status parse_axes(const fc_attrs *at, const char *name, int per_axis, int64_t lo,
                            int rank, int64_t *dst, fc_error *err)
{
    const int64_t *v;
    int n = fc_attr_ints(at, name, &v);
    if (n < 0 && fc_attr_find(at, name))
        return fc_error_set(err, FC_ERR_FORMAT, "%s must be a list of ints", name);
    if (n <= 0)
        return FC_OK;
    if (n != rank * per_axis)
        return fc_error_set(err, FC_ERR_FORMAT, "%s must have %d values, got %d", name,
                            rank * per_axis, n);
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > DIM_MAX)
            return fc_error_set(err, FC_ERR_FORMAT, "%s[%d] = %lld is out of range", name, i,
                                (long long)v[i]);
    memcpy(dst, v, (size_t)n * sizeof *v);
    return FC_OK;
}

/* kernel_shape: required, 1 or 2 values in [1, DIM_MAX]; sets p->rank. */
static fc_status parse_kernel(const fc_attrs *at, pool_params *p, fc_error *err)
{
    const int64_t *v;
    int n = fc_attr_ints(at, "kernel_shape", &v);
    if (n <= 0)
        return fc_error_set(err, FC_ERR_FORMAT, "kernel_shape is required");
    if (n == 3)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "3-D pooling is not supported");
    if (n > 3)
        return fc_error_set(err, FC_ERR_FORMAT, "kernel_shape has %d values", n);
    p->rank = n;
    return parse_axes(at, "kernel_shape", 1, 1, n, p->kernel, err);
}

/* The pad list, split into begin and end; each pad must be smaller than the kernel
 * (as ONNX Runtime requires), so no window lies wholly in the padding. */
static fc_status parse_pads(const fc_attrs *at, pool_params *p, fc_error *err)
{
    int64_t pads[4] = {0};
    fc_status rc = parse_axes(at, "pads", 2, 0, p->rank, pads, err);
    if (rc)
        return rc;
    for (int i = 0; i < p->rank; i++) {
        p->pad_begin[i] = pads[i];
        p->pad_end[i] = pads[p->rank + i];
        if (pads[i] >= p->kernel[i] || pads[p->rank + i] >= p->kernel[i])
            return fc_error_set(err, FC_ERR_FORMAT, "pads must be smaller than kernel_shape");
    }
    return FC_OK;
}

static fc_status pool_parse(const fc_attrs *at, void **params, fc_error *err)
{
    pool_params *p = calloc(1, sizeof *p);
    fc_status rc;
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->strides[0] = p->strides[1] = p->dilations[0] = p->dilations[1] = 1;
    p->ceil_mode = fc_attr_int(at, "ceil_mode", 0) != 0;
    p->count_include_pad = fc_attr_int(at, "count_include_pad", 0) != 0;
    if (fc_attr_int(at, "storage_order", 0) != 0) {
        rc = fc_error_set(err, FC_ERR_UNSUPPORTED, "storage_order = 1 is not supported");
        goto out;
    }
    if ((rc = fc_op_parse_auto_pad(at, &p->mode, err)) || (rc = parse_kernel(at, p, err)) ||
        (rc = parse_axes(at, "strides", 1, 1, p->rank, p->strides, err)) ||
        (rc = parse_axes(at, "dilations", 1, 1, p->rank, p->dilations, err)) ||
        (rc = parse_pads(at, p, err)))
        goto out;
    /* ONNX Runtime pads these with the undilated kernel, against the spec. */
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

/* ---- shapes -------------------------------------------------------------------- */

static fc_status check_x(const fc_tensor *x, int min_rank, int max_rank, fc_error *err)
{
    char buf[96];
    if (x->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "X must be float32, got %s",
                            fc_dtype_name(x->dtype));
    if (x->shape.ndim < min_rank || x->shape.ndim > max_rank)
        return fc_error_set(err, FC_ERR_SHAPE, "X %s must have rank %d to %d",
                            fc_shape_str(&x->shape, buf, sizeof buf), min_rank, max_rank);
    for (int i = 0; i < x->shape.ndim; i++)
        if (x->shape.d[i] < 0 || x->shape.d[i] > DIM_MAX)
            return fc_error_set(err, FC_ERR_SHAPE, "X %s has an unknown or too large dim",
                                fc_shape_str(&x->shape, buf, sizeof buf));
    return FC_OK;
}

/* One axis: output size and begin/end pads; -1 if the output would be empty.
 * With ceil_mode the last window must start inside the input or the begin pad. */
static int64_t pool_axis(const pool_params *p, int axis, int64_t in, int64_t *pb, int64_t *pe)
{
    int64_t s = p->strides[axis], dk = (p->kernel[axis] - 1) * p->dilations[axis] + 1;
    *pb = *pe = 0;
    if (p->mode == FC_PAD_SAME_UPPER || p->mode == FC_PAD_SAME_LOWER) {
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + dk - in;
        if (total < 0)
            total = 0;
        *pb = p->mode == FC_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        *pe = total - *pb;
        return out > 0 ? out : -1;
    }
    if (p->mode == FC_PAD_NOTSET)
        *pb = p->pad_begin[axis], *pe = p->pad_end[axis];
    int64_t span = in + *pb + *pe - dk;
    if (span < 0)
        return -1;
    int64_t out = (p->ceil_mode ? span + s - 1 : span) / s + 1;
    if (p->ceil_mode && (out - 1) * s >= in + *pb)
        out--;
    return out;
}

static fc_status pool_geom_get(const pool_params *p, const fc_tensor *x, pool_geom *g,
                               fc_error *err)
{
    int64_t out[2], pb[2], pe[2];
    char buf[96];
    fc_status rc = check_x(x, p->rank + 2, p->rank + 2, err);
    if (rc)
        return rc;
    for (int i = 0; i < p->rank; i++) {
        out[i] = pool_axis(p, i, x->shape.d[2 + i], &pb[i], &pe[i]);
        if (out[i] < 1)
            return fc_error_set(err, FC_ERR_SHAPE, "output would be empty for X %s",
                                fc_shape_str(&x->shape, buf, sizeof buf));
    }
    int a = p->rank - 1, two = p->rank == 2; /* axis a becomes W; H only if 2-D */
    g->planes = x->shape.d[0] * x->shape.d[1];
    g->ih = two ? x->shape.d[2] : 1, g->iw = x->shape.d[2 + a];
    g->oh = two ? out[0] : 1, g->ow = out[a];
    g->kh = two ? p->kernel[0] : 1, g->kw = p->kernel[a];
    g->sh = two ? p->strides[0] : 1, g->sw = p->strides[a];
    g->dh = two ? p->dilations[0] : 1, g->dw = p->dilations[a];
    g->pt = two ? pb[0] : 0, g->pl = pb[a];
    g->pb = two ? pe[0] : 0, g->pr = pe[a];
    return FC_OK;
}

static fc_status pool_shape(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, fc_error *err)
{
    const pool_params *p = params;
    pool_geom g;
    FC_UNUSED(n_in), FC_UNUSED(n_out);
    fc_status rc = pool_geom_get(p, in[0], &g, err);
    if (rc)
        return rc;
    fc_shape s = in[0]->shape;
    if (p->rank == 2)
        s.d[2] = g.oh;
    s.d[s.ndim - 1] = g.ow;
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = s;
    return FC_OK;
}

/* ---- kernels ------------------------------------------------------------------- */

/* The indices t in [0, count) with 0 <= t*step + off < n: [*lo, *hi). For a window
 * starting at off, these are the taps that fall inside an axis of n elements. */
static inline void tap_range(int64_t off, int64_t step, int64_t n, int64_t count, int64_t *lo,
                             int64_t *hi)
{
    int64_t a = 0, b = 0;
    if (off < 0)
        a = (-off + step - 1) / step;
    if (n - off > 0)
        b = (n - 1 - off) / step + 1;
    if (b > count)
        b = count;
    *lo = a < b ? a : b;
    *hi = b;
}

/* Max over the valid taps [ky0,ky1) x [kx0,kx1) of the window at (y0,x0) of plane x. */
static float window_max(const pool_geom *g, const float *x, int64_t y0, int64_t x0,
                        const int64_t *ky, const int64_t *kx)
{
    float m = -FLT_MAX;
    for (int64_t i = ky[0]; i < ky[1]; i++) {
        const float *row = x + (y0 + i * g->dh) * g->iw + x0;
        for (int64_t j = kx[0]; j < kx[1]; j++)
            if (row[j * g->dw] > m)
                m = row[j * g->dw];
    }
    return m;
}

static float window_sum(const pool_geom *g, const float *x, int64_t y0, int64_t x0,
                        const int64_t *ky, const int64_t *kx)
{
    float s = 0.0f;
    for (int64_t i = ky[0]; i < ky[1]; i++) {
        const float *row = x + (y0 + i * g->dh) * g->iw + x0;
        for (int64_t j = kx[0]; j < kx[1]; j++)
            s += row[j * g->dw];
    }
    return s;
}

/* Pools every plane of x (planes,ih,iw) into y (planes,oh,ow). avg: 0 max, 1 average
 * over the taps inside the input, 2 average over the taps inside input + pads. */
static void pool_planes(const pool_geom *g, int avg, const float *x, float *y)
{
    for (int64_t plane = 0; plane < g->planes; plane++) {
        const float *xp = x + plane * g->ih * g->iw;
        for (int64_t oy = 0; oy < g->oh; oy++) {
            int64_t y0 = oy * g->sh - g->pt, ky[2], pky[2];
            tap_range(y0, g->dh, g->ih, g->kh, &ky[0], &ky[1]);
            tap_range(y0 + g->pt, g->dh, g->ih + g->pt + g->pb, g->kh, &pky[0], &pky[1]);
            float *yrow = y + (plane * g->oh + oy) * g->ow;
            for (int64_t ox = 0; ox < g->ow; ox++) {
                int64_t x0 = ox * g->sw - g->pl, kx[2], pkx[2];
                tap_range(x0, g->dw, g->iw, g->kw, &kx[0], &kx[1]);
                if (!avg) {
                    yrow[ox] = window_max(g, xp, y0, x0, ky, kx);
                    continue;
                }
                tap_range(x0 + g->pl, g->dw, g->iw + g->pl + g->pr, g->kw, &pkx[0], &pkx[1]);
                int64_t count = avg == 1 ? (ky[1] - ky[0]) * (kx[1] - kx[0])
                                         : (pky[1] - pky[0]) * (pkx[1] - pkx[0]);
                float sum = window_sum(g, xp, y0, x0, ky, kx);
                yrow[ox] = count > 0 ? sum / (float)count : 0.0f;
            }
        }
    }
}

static fc_status pool_run(const void *params, int avg, fc_tensor *const *in,
                          fc_tensor *const *out, fc_error *err)
{
    const pool_params *p = params;
    pool_geom g;
    fc_status rc = pool_geom_get(p, in[0], &g, err);
    if (rc)
        return rc;
    if (avg && p->count_include_pad)
        avg = 2;
    pool_planes(&g, avg, in[0]->data, out[0]->data);
    return FC_OK;
}

/* X (n,c,ih,iw) -> Y (n,c,oh,ow): max over each window */
static fc_status max_pool_ref(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    return pool_run(params, 0, in, out, err);
}

/* X (n,c,ih,iw) -> Y (n,c,oh,ow): mean over each window */
static fc_status average_pool_ref(const void *params, fc_tensor *const *in, int n_in,
                                  fc_tensor *const *out, int n_out, void *scratch,
                                  fc_error *err)
{
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    return pool_run(params, 1, in, out, err);
}

/* ---- GlobalAveragePool ------------------------------------------------------------ */

static fc_status global_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    char buf[96];
    FC_UNUSED(params), FC_UNUSED(n_in), FC_UNUSED(n_out);
    fc_status rc = check_x(in[0], 3, FC_MAX_DIMS, err);
    if (rc)
        return rc;
    fc_shape s = in[0]->shape;
    for (int i = 2; i < s.ndim; i++) {
        if (s.d[i] == 0)
            return fc_error_set(err, FC_ERR_SHAPE, "X %s has an empty spatial dim",
                                fc_shape_str(&s, buf, sizeof buf));
        s.d[i] = 1;
    }
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = s;
    return FC_OK;
}

/* X (n,c,spatial...) -> Y (n,c,1...): mean over each plane, summed in double */
static fc_status global_average_pool_ref(const void *params, fc_tensor *const *in, int n_in,
                                         fc_tensor *const *out, int n_out, void *scratch,
                                         fc_error *err)
{
    const fc_shape *s = &in[0]->shape;
    const float *x = in[0]->data;
    float *y = out[0]->data;
    FC_UNUSED(params), FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    int64_t planes = s->d[0] * s->d[1], size = 1;
    for (int i = 2; i < s->ndim; i++)
        size *= s->d[i];
    for (int64_t p = 0; p < planes; p++) {
        double sum = 0.0;
        for (int64_t i = 0; i < size; i++)
            sum += x[p * size + i];
        y[p] = (float)(sum / (double)size);
    }
    return FC_OK;
}

const fc_op_def fc_op_max_pool = {
    .name = "MaxPool",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, /* the Indices output is not supported */
    .parse = pool_parse,
    .shape = pool_shape,
    .ref = max_pool_ref,
};

const fc_op_def fc_op_average_pool = {
    .name = "AveragePool",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .parse = pool_parse,
    .shape = pool_shape,
    .ref = average_pool_ref,
};

const fc_op_def fc_op_global_average_pool = {
    .name = "GlobalAveragePool",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .parse = NULL,
    .shape = global_shape,
    .ref = global_average_pool_ref,
};

fc_status fc_pool_window(const void *params, const fc_tensor *x, fc_window *w, fc_error *err)
{
    const pool_params *p = params;
    pool_geom g;
    if (x->shape.ndim != 4 || p->rank != 2)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "not a 2-D pool");
    fc_status rc = pool_geom_get(p, x, &g, err);
    if (rc)
        return rc;
    *w = (fc_window){.kh = g.kh, .kw = g.kw, .sh = g.sh, .sw = g.sw, .dh = g.dh, .dw = g.dw,
                     .pt = g.pt, .pl = g.pl, .group = 1, .count_include_pad = p->count_include_pad};
    return FC_OK;
}
