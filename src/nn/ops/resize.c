/* resize.c - Resize and Upsample (nearest and bilinear, with ONNX Runtime's coordinate
 * and rounding rules) and Pad (constant, reflect, edge; negative pads crop). */
#include "nn/ops/ops.h"
#include "nn/ops/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Outputs with more elements than this are refused with FC_ERR_LIMIT. */
/* A name that we recognise but do not implement. */
#define UNSUPPORTED_NAME (-1)

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int value;
} name_value;

/* Maps the string attribute attr (default dflt) through table into *out. */
static fc_status lookup(const fc_attrs *at, const char *attr, const char *dflt,
                        const name_value *table, size_t n, int *out, fc_error *err)
{
    const char *s = fc_attr_str(at, attr, dflt);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, s) != 0)
            continue;
        if (table[i].value == UNSUPPORTED_NAME)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "%s '%s' is not supported", attr, s);
        *out = table[i].value;
        return FC_OK;
    }
    return fc_error_set(err, FC_ERR_FORMAT, "unknown %s '%s'", attr, s);
}

/* Checks that in[0] is present, float32 or int64, and no dim exceeds the size limit. */
static fc_status data_input(fc_tensor *const *in, int n_in, fc_error *err)
{
    if (n_in < 1 || !in[0])
        return fc_error_set(err, FC_ERR_FORMAT, "input 0 is missing");
    if (in[0]->dtype != FC_DT_FLOAT && in[0]->dtype != FC_DT_INT64)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input has dtype %s",
                            fc_dtype_name(in[0]->dtype));
    for (int k = 0; k < in[0]->shape.ndim; k++)
        if (in[0]->shape.d[k] > FC_OP_MAX_NUMEL)
            return fc_error_set(err, FC_ERR_LIMIT, "input dim %d is too large", k);
    return fc_op_check_numel(&in[0]->shape, err);
}

/* in[i] when present and not empty, else NULL. */
static const fc_tensor *optional_input(fc_tensor *const *in, int n_in, int i)
{
    if (i >= n_in || !in[i] || fc_shape_numel(&in[i]->shape) == 0)
        return NULL;
    return in[i];
}

/* Checks that t is a constant 1-D tensor of n values of dtype dt. */
static fc_status const_vector(const fc_tensor *t, fc_dtype dt, int64_t n, const char *what,
                              fc_error *err)
{
    char buf[160];
    if (t->dtype != dt || t->shape.ndim != 1 || t->shape.d[0] != n)
        return fc_error_set(err, FC_ERR_SHAPE, "'%s' must be %s [%lld], not %s %s", what,
                            fc_dtype_name(dt), (long long)n, fc_dtype_name(t->dtype),
                            fc_shape_str(&t->shape, buf, sizeof buf));
    if (!t->data)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "shape input '%s' must be constant", what);
    return FC_OK;
}

/* Copies one element of es (4 or 8) bytes. */
static inline void copy_elem(unsigned char *dst, const unsigned char *src, int64_t es)
{
    if (es == 4)
        memcpy(dst, src, 4);
    else
        memcpy(dst, src, 8);
}

/* ---- Resize / Upsample: attributes ------------------------------------------------ */

enum { MODE_NEAREST, MODE_LINEAR };
enum { COORD_HALF_PIXEL, COORD_ASYMMETRIC, COORD_ALIGN_CORNERS, COORD_PYTORCH_HALF_PIXEL,
       COORD_TF_HALF_PIXEL_FOR_NN };
/* NEAREST_LEGACY is ONNX Runtime's rule for Upsample and Resize-10: floor when
 * upsampling an axis, ceil when downsampling it. */
enum { NEAREST_ROUND_PREFER_FLOOR, NEAREST_ROUND_PREFER_CEIL, NEAREST_FLOOR, NEAREST_CEIL,
       NEAREST_LEGACY };

static const name_value resize_modes[] = {
    {"nearest", MODE_NEAREST}, {"linear", MODE_LINEAR}, {"cubic", UNSUPPORTED_NAME},
};
static const name_value coord_modes[] = {
    {"half_pixel", COORD_HALF_PIXEL},
    {"asymmetric", COORD_ASYMMETRIC},
    {"align_corners", COORD_ALIGN_CORNERS},
    {"pytorch_half_pixel", COORD_PYTORCH_HALF_PIXEL},
    {"tf_half_pixel_for_nn", COORD_TF_HALF_PIXEL_FOR_NN},
    {"tf_crop_and_resize", UNSUPPORTED_NAME},
};
static const name_value nearest_modes[] = {
    {"round_prefer_floor", NEAREST_ROUND_PREFER_FLOOR},
    {"round_prefer_ceil", NEAREST_ROUND_PREFER_CEIL},
    {"floor", NEAREST_FLOOR},
    {"ceil", NEAREST_CEIL},
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    int upsample;     /* Upsample: scales must be >= 1 */
    int scales_input; /* input holding the scales; -1: the scales attribute (Upsample-7) */
    int sizes_input;  /* input holding the sizes (Resize-11+), else -1 */
    int mode, coord, nearest;
    int n_scales;
    float scales[FC_MAX_DIMS];
} resize_params;

static fc_status resize_parse(const fc_attrs *at, void **params, fc_error *err)
{
    resize_params p = {0, 1, -1, MODE_NEAREST, COORD_ASYMMETRIC, NEAREST_LEGACY, 0, {0}};
    fc_status rc = lookup(at, "mode", "nearest", resize_modes, N_OF(resize_modes), &p.mode, err);
    if (!rc && at->opset >= 11) {
        p.scales_input = 2, p.sizes_input = 3;
        rc = lookup(at, "coordinate_transformation_mode", "half_pixel", coord_modes,
                    N_OF(coord_modes), &p.coord, err);
        if (!rc)
            rc = lookup(at, "nearest_mode", "round_prefer_floor", nearest_modes,
                        N_OF(nearest_modes), &p.nearest, err);
    }
    if (rc)
        return rc;
    if (!(*params = malloc(sizeof p)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    memcpy(*params, &p, sizeof p);
    return FC_OK;
}

static fc_status upsample_parse(const fc_attrs *at, void **params, fc_error *err)
{
    resize_params p = {1, 1, -1, MODE_NEAREST, COORD_ASYMMETRIC, NEAREST_LEGACY, 0, {0}};
    fc_status rc = lookup(at, "mode", "nearest", resize_modes, N_OF(resize_modes), &p.mode, err);
    if (rc)
        return rc;
    if (at->opset < 9) {
        const float *scales;
        int n = fc_attr_floats(at, "scales", &scales);
        if (n < 0)
            return fc_error_set(err, FC_ERR_FORMAT, "scales attribute is required");
        if (n > FC_MAX_DIMS)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "%d scales > %d", n, FC_MAX_DIMS);
        p.scales_input = -1;
        p.n_scales = n;
        memcpy(p.scales, scales, (size_t)n * sizeof *scales);
    }
    if (!(*params = malloc(sizeof p)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    memcpy(*params, &p, sizeof p);
    return FC_OK;
}

/* ---- Resize / Upsample: shapes ---------------------------------------------------- */

/* Output dim for one axis from a scale: floor(d * scale), in float like ONNX Runtime. */
static fc_status scaled_dim(const resize_params *p, int64_t d, float scale, int64_t *out,
                            fc_error *err)
{
    if (!(scale > 0.0f) || isinf(scale))
        return fc_error_set(err, FC_ERR_FORMAT, "bad scale %g", (double)scale);
    if (p->upsample && scale < 1.0f)
        return fc_error_set(err, FC_ERR_FORMAT, "Upsample scale %g < 1", (double)scale);
    float y = (float)d * scale;
    if (y >= (float)FC_OP_MAX_NUMEL)
        return fc_error_set(err, FC_ERR_LIMIT, "scaled dim %lld * %g is too large",
                            (long long)d, (double)scale);
    *out = (int64_t)y;
    return FC_OK;
}

/* Output dim from a size; the coordinate scale is then size / d. */
static fc_status sized_dim(int64_t d, int64_t size, int64_t *out, float *scale, fc_error *err)
{
    if (size < 0 || size > FC_OP_MAX_NUMEL)
        return fc_error_set(err, FC_ERR_SHAPE, "bad size %lld", (long long)size);
    if (d == 0 && size != 0)
        return fc_error_set(err, FC_ERR_SHAPE, "cannot resize an empty axis to %lld",
                            (long long)size);
    *out = size;
    *scale = d ? (float)size / (float)d : 1.0f;
    return FC_OK;
}

/* The output shape and the per-axis scales the coordinate mapping uses, from the
 * scales attribute, or the scales or sizes input (exactly one of them). */
static fc_status resize_plan(const resize_params *p, fc_tensor *const *in, int n_in,
                             fc_shape *y, float *scales, fc_error *err)
{
    const fc_shape *x = &in[0]->shape;
    const fc_tensor *ts = NULL, *tz = NULL;
    int r = x->ndim;
    fc_status rc = FC_OK;
    *y = *x;
    if (p->scales_input < 0) {
        if (p->n_scales != r)
            return fc_error_set(err, FC_ERR_SHAPE, "%d scales for rank %d", p->n_scales, r);
        memcpy(scales, p->scales, (size_t)r * sizeof *scales);
    } else {
        ts = optional_input(in, n_in, p->scales_input);
        tz = p->sizes_input >= 0 ? optional_input(in, n_in, p->sizes_input) : NULL;
        if (!ts == !tz)
            return fc_error_set(err, FC_ERR_FORMAT, "exactly one of scales and sizes is needed");
        if ((rc = ts ? const_vector(ts, FC_DT_FLOAT, r, "scales", err)
                     : const_vector(tz, FC_DT_INT64, r, "sizes", err)))
            return rc;
        if (ts)
            memcpy(scales, ts->data, (size_t)r * sizeof *scales);
    }
    for (int k = 0; k < r && !rc; k++) {
        if (tz)
            rc = sized_dim(x->d[k], ((const int64_t *)tz->data)[k], &y->d[k], &scales[k], err);
        else
            rc = scaled_dim(p, x->d[k], scales[k], &y->d[k], err);
    }
    return rc ? rc : fc_op_check_numel(y, err);
}

static fc_status resize_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    const resize_params *p = params;
    float scales[FC_MAX_DIMS];
    char a[160], b[160];
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, err);
    if (rc || (rc = resize_plan(p, in, n_in, &out[0]->shape, scales, err)))
        return rc;
    out[0]->dtype = in[0]->dtype;
    if (p->mode != MODE_LINEAR)
        return FC_OK;
    if (in[0]->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "linear resize of %s",
                            fc_dtype_name(in[0]->dtype));
    for (int k = 0; k + 2 < in[0]->shape.ndim; k++)
        if (out[0]->shape.d[k] != in[0]->shape.d[k] || scales[k] != 1.0f)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "linear resize %s -> %s: only the "
                                "last two axes may be scaled",
                                fc_shape_str(&in[0]->shape, a, sizeof a),
                                fc_shape_str(&out[0]->shape, b, sizeof b));
    return FC_OK;
}

/* ---- Resize / Upsample: kernels --------------------------------------------------- */

/* Input coordinate of output coordinate x along an axis (ONNX Runtime's float math;
 * like it, an axis with scale 1 maps straight through whatever the mode). */
static float resize_coord(int mode, float x, float scale, float len_out, float len_in)
{
    if (scale == 1.0f)
        return x;
    switch (mode) {
    case COORD_HALF_PIXEL: return (x + 0.5f) / scale - 0.5f;
    case COORD_PYTORCH_HALF_PIXEL: return len_out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case COORD_ALIGN_CORNERS: return len_out == 1 ? 0.0f : x * (len_in - 1) / (len_out - 1);
    case COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5f) / scale;
    default: return x / scale;
    }
}

/* Nearest input index of coordinate c, clamped into [0, d). */
static int64_t resize_nearest(int mode, float c, float scale, int64_t d)
{
    float f = floorf(c), v;
    switch (mode) {
    case NEAREST_ROUND_PREFER_FLOOR: v = c == f + 0.5f ? f : roundf(c); break;
    case NEAREST_ROUND_PREFER_CEIL: v = c == f + 0.5f ? f + 1.0f : roundf(c); break;
    case NEAREST_CEIL: v = ceilf(c); break;
    case NEAREST_LEGACY: v = scale < 1.0f ? ceilf(c) : f; break;
    default: v = f; break;
    }
    if (v < 0.0f)
        return 0;
    return v >= (float)d ? d - 1 : (int64_t)v;
}

/* Nearest needs one table of source offsets per output axis; linear needs, for the
 * last two axes, two source indices and two weights per output coordinate. */
static size_t resize_scratch(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out)
{
    const resize_params *p = params;
    const fc_shape *y = &out[0]->shape;
    int64_t n = 0;
    FC_UNUSED(in), FC_UNUSED(n_in), FC_UNUSED(n_out);
    if (fc_shape_numel(y) == 0) /* no kernel work; dims may be huge beside a 0 */
        return 0;
    if (p->mode == MODE_LINEAR)
        return (size_t)(y->d[y->ndim - 1] + (y->ndim > 1 ? y->d[y->ndim - 2] : 1)) *
               2 * (sizeof(int64_t) + sizeof(float));
    for (int k = 0; k < y->ndim; k++)
        n += y->d[k];
    return (size_t)n * sizeof(int64_t);
}

/* y[i0..ik] = x[tab0[i0] + .. + tabk[ik]] over every output element. */
static void nearest_copy(const resize_params *p, const fc_tensor *x, fc_tensor *y,
                         const float *scales, int64_t *tab)
{
    const fc_shape *xs = &x->shape, *ys = &y->shape;
    int64_t st[FC_MAX_DIMS], idx[FC_MAX_DIMS] = {0}, es = (int64_t)fc_dtype_size(x->dtype);
    const int64_t *t[FC_MAX_DIMS + 1];
    int r = ys->ndim;
    fc_shape_strides(xs, st);
    t[0] = tab;
    for (int k = 0; k < r; k++) {
        for (int64_t j = 0; j < ys->d[k]; j++) {
            float c = resize_coord(p->coord, (float)j, scales[k], (float)ys->d[k], (float)xs->d[k]);
            tab[j] = resize_nearest(p->nearest, c, scales[k], xs->d[k]) * st[k];
        }
        tab += ys->d[k];
        t[k + 1] = tab;
    }
    const unsigned char *src = x->data;
    unsigned char *dst = y->data;
    int64_t n = fc_shape_numel(ys), inner = r ? ys->d[r - 1] : 1;
    for (int64_t o = 0; o < n; o += inner) {
        int64_t base = 0;
        for (int k = 0; k + 1 < r; k++)
            base += t[k][idx[k]];
        for (int64_t j = 0; j < inner; j++)
            copy_elem(dst + (o + j) * es, src + (base + (r ? t[r - 1][j] : 0)) * es, es);
        for (int k = r - 2; k >= 0 && ++idx[k] == ys->d[k]; k--)
            idx[k] = 0;
    }
}

/* Bilinear taps along one axis: for each output coordinate the two source indices
 * and their weights, clamped at the borders as ONNX Runtime does. */
static void linear_taps(int coord, float scale, int64_t n_out, int64_t n_in, int64_t *i1,
                        int64_t *i2, float *w1, float *w2)
{
    for (int64_t j = 0; j < n_out; j++) {
        float c = resize_coord(coord, (float)j, scale, (float)n_out, (float)n_in);
        c = c < 0.0f ? 0.0f : c > (float)(n_in - 1) ? (float)(n_in - 1) : c;
        i1[j] = (int64_t)c < n_in - 1 ? (int64_t)c : n_in - 1;
        i2[j] = i1[j] + 1 < n_in - 1 ? i1[j] + 1 : n_in - 1;
        w1[j] = fabsf(c - (float)i1[j]); /* weight of i2 */
        w2[j] = fabsf(c - (float)i2[j]); /* weight of i1 */
        if (i1[j] == i2[j])
            w1[j] = w2[j] = 0.5f;
    }
}

/* x (.., h, w) -> y (.., oh, ow), bilinear over the last two axes. */
static void linear_resize(const resize_params *p, const fc_tensor *x, fc_tensor *y,
                          const float *scales, void *scratch)
{
    int r = x->shape.ndim;
    int64_t h = r > 1 ? x->shape.d[r - 2] : 1, w = x->shape.d[r - 1];
    int64_t oh = r > 1 ? y->shape.d[r - 2] : 1, ow = y->shape.d[r - 1];
    int64_t planes = fc_shape_numel(&y->shape) / (oh * ow);
    int64_t *y1 = scratch, *y2 = y1 + oh, *x1 = y2 + oh, *x2 = x1 + ow;
    float *dy1 = (float *)(x2 + ow), *dy2 = dy1 + oh, *dx1 = dy2 + oh, *dx2 = dx1 + ow;
    linear_taps(p->coord, r > 1 ? scales[r - 2] : 1.0f, oh, h, y1, y2, dy1, dy2);
    linear_taps(p->coord, scales[r - 1], ow, w, x1, x2, dx1, dx2);
    const float *src = x->data;
    float *dst = y->data;
    for (int64_t c = 0; c < planes; c++, src += h * w) {
        for (int64_t i = 0; i < oh; i++) {
            const float *r1 = src + y1[i] * w, *r2 = src + y2[i] * w;
            for (int64_t j = 0; j < ow; j++)
                *dst++ = dx2[j] * dy2[i] * r1[x1[j]] + dx1[j] * dy2[i] * r1[x2[j]] +
                         dx2[j] * dy1[i] * r2[x1[j]] + dx1[j] * dy1[i] * r2[x2[j]];
        }
    }
}

static fc_status resize_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const resize_params *p = params;
    float scales[FC_MAX_DIMS];
    fc_shape y;
    FC_UNUSED(n_out);
    fc_status rc = resize_plan(p, in, n_in, &y, scales, err);
    if (rc || fc_shape_numel(&out[0]->shape) == 0)
        return rc;
    if (fc_shape_equal(&in[0]->shape, &out[0]->shape)) /* ONNX Runtime copies these too */
        memcpy(out[0]->data, in[0]->data, (size_t)fc_tensor_bytes(out[0]));
    else if (p->mode == MODE_LINEAR)
        linear_resize(p, in[0], out[0], scales, scratch);
    else
        nearest_copy(p, in[0], out[0], scales, scratch);
    return FC_OK;
}

const fc_op_def fc_op_resize = {
    .name = "Resize", .min_inputs = 1, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1,
    .parse = resize_parse, .shape = resize_shape, .ref = resize_ref, .scratch = resize_scratch,
};

const fc_op_def fc_op_upsample = {
    .name = "Upsample", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .parse = upsample_parse, .shape = resize_shape, .ref = resize_ref,
    .scratch = resize_scratch,
};

/* ---- Pad -------------------------------------------------------------------------- */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

static const name_value pad_modes[] = {
    {"constant", PAD_CONSTANT}, {"reflect", PAD_REFLECT}, {"edge", PAD_EDGE},
    {"wrap", UNSUPPORTED_NAME},
};

typedef struct {
    int from_inputs; /* opset >= 11: pads and constant_value are inputs 1 and 2 */
    int mode;
    float value;     /* opset < 11 */
    int n_pads;
    int64_t pads[2 * FC_MAX_DIMS];
} pad_params;

static fc_status pad_parse(const fc_attrs *at, void **params, fc_error *err)
{
    pad_params p = {at->opset >= 11, PAD_CONSTANT, fc_attr_float(at, "value", 0.0f), 0, {0}};
    fc_status rc = lookup(at, "mode", "constant", pad_modes, N_OF(pad_modes), &p.mode, err);
    if (rc)
        return rc;
    if (!p.from_inputs) {
        const int64_t *pads;
        int n = fc_attr_ints(at, "pads", &pads);
        if (n < 0)
            return fc_error_set(err, FC_ERR_FORMAT, "pads attribute is required");
        if (n > 2 * FC_MAX_DIMS)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "%d pads > %d", n, 2 * FC_MAX_DIMS);
        p.n_pads = n;
        memcpy(p.pads, pads, (size_t)n * sizeof *pads);
    }
    if (!(*params = malloc(sizeof p)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    memcpy(*params, &p, sizeof p);
    return FC_OK;
}

/* Per axis: the pad before, and the source range [lo, hi) kept after negative pads. */
typedef struct {
    int64_t before[FC_MAX_DIMS], lo[FC_MAX_DIMS], hi[FC_MAX_DIMS];
    fc_shape shape;
} pad_plan;

/* Checks one axis: non-negative output, and enough kept input for edge / reflect. */
static fc_status pad_axis(int mode, int64_t d, int64_t b, int64_t e, pad_plan *pl, int k,
                          fc_error *err)
{
    if (b < -FC_OP_MAX_NUMEL || b > FC_OP_MAX_NUMEL || e < -FC_OP_MAX_NUMEL || e > FC_OP_MAX_NUMEL)
        return fc_error_set(err, FC_ERR_LIMIT, "pads %lld, %lld are too large", (long long)b,
                            (long long)e);
    int64_t lo = b < 0 ? -b : 0, hi = d - (e < 0 ? -e : 0), kept = hi - lo;
    pl->before[k] = b, pl->lo[k] = lo, pl->hi[k] = hi;
    pl->shape.d[k] = d + b + e;
    if (pl->shape.d[k] < 0)
        return fc_error_set(err, FC_ERR_SHAPE, "pads %lld, %lld crop axis %d of length %lld "
                            "below zero", (long long)b, (long long)e, k, (long long)d);
    if (mode != PAD_CONSTANT && (b > 0 || e > 0) && kept < 1)
        return fc_error_set(err, FC_ERR_SHAPE, "cannot pad axis %d with nothing left of it",
                            k);
    if (mode == PAD_REFLECT && (b > 0 || e > 0) && (b > kept - 1 || e > kept - 1))
        return fc_error_set(err, FC_ERR_SHAPE, "reflect pads %lld, %lld exceed axis %d of "
                            "length %lld", (long long)b, (long long)e, k, (long long)kept);
    return FC_OK;
}

static fc_status pad_make_plan(const pad_params *p, fc_tensor *const *in, int n_in,
                               pad_plan *pl, fc_error *err)
{
    const fc_shape *x = &in[0]->shape;
    const int64_t *pads = p->pads;
    int r = x->ndim;
    fc_status rc = FC_OK;
    if (p->from_inputs) {
        if (n_in < 2 || !in[1])
            return fc_error_set(err, FC_ERR_FORMAT, "pads input is missing");
        if ((rc = const_vector(in[1], FC_DT_INT64, 2 * r, "pads", err)))
            return rc;
        pads = in[1]->data;
    } else if (p->n_pads != 2 * r) {
        return fc_error_set(err, FC_ERR_SHAPE, "%d pads for rank %d", p->n_pads, r);
    }
    pl->shape.ndim = r;
    for (int k = 0; k < r && !rc; k++)
        rc = pad_axis(p->mode, x->d[k], pads[k], pads[k + r], pl, k, err);
    return rc ? rc : fc_op_check_numel(&pl->shape, err);
}

static fc_status pad_shape(const void *params, fc_tensor *const *in, int n_in,
                           fc_tensor *const *out, int n_out, fc_error *err)
{
    const pad_params *p = params;
    pad_plan pl;
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, err);
    if (rc || (rc = pad_make_plan(p, in, n_in, &pl, err)))
        return rc;
    const fc_tensor *v = p->from_inputs && n_in > 2 ? in[2] : NULL;
    if (v && (v->dtype != in[0]->dtype || fc_shape_numel(&v->shape) > 1))
        return fc_error_set(err, FC_ERR_SHAPE, "constant_value must be one %s",
                            fc_dtype_name(in[0]->dtype));
    out[0]->dtype = in[0]->dtype;
    out[0]->shape = pl.shape;
    return FC_OK;
}

/* Source index of output index o along an axis, or -1 for the constant. */
static int64_t pad_source(int mode, int64_t o, int64_t before, int64_t lo, int64_t hi)
{
    int64_t s = o - before;
    if (s >= lo && s < hi)
        return s;
    if (mode == PAD_CONSTANT)
        return -1;
    if (mode == PAD_EDGE)
        return s < lo ? lo : hi - 1;
    return s < lo ? 2 * lo - s : 2 * (hi - 1) - s;
}

static size_t pad_scratch(const void *params, fc_tensor *const *in, int n_in,
                          fc_tensor *const *out, int n_out)
{
    int64_t n = 0;
    FC_UNUSED(params), FC_UNUSED(in), FC_UNUSED(n_in), FC_UNUSED(n_out);
    if (fc_shape_numel(&out[0]->shape) == 0)
        return 0;
    for (int k = 0; k < out[0]->shape.ndim; k++)
        n += out[0]->shape.d[k];
    return (size_t)n * sizeof(int64_t);
}

/* The fill value as es bytes of the data's dtype. */
static void pad_value(const pad_params *p, fc_tensor *const *in, int n_in, unsigned char *v)
{
    const fc_tensor *t = p->from_inputs ? optional_input(in, n_in, 2) : NULL;
    float f = p->from_inputs ? 0.0f : p->value;
    int64_t i = isfinite(f) && fabsf(f) < 9e18f ? (int64_t)f : 0;
    if (t && t->data)
        memcpy(v, t->data, fc_dtype_size(t->dtype));
    else if (in[0]->dtype == FC_DT_INT64)
        memcpy(v, &i, sizeof i);
    else
        memcpy(v, &f, sizeof f);
}

/* Per-axis tables of source offsets (-1: constant), then one walk over the output. */
static fc_status pad_ref(const void *params, fc_tensor *const *in, int n_in,
                         fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const pad_params *p = params;
    const fc_shape *ys = &out[0]->shape;
    int64_t st[FC_MAX_DIMS], idx[FC_MAX_DIMS] = {0}, *t[FC_MAX_DIMS], *tab = scratch;
    int64_t es = (int64_t)fc_dtype_size(in[0]->dtype), n = fc_shape_numel(ys);
    int r = ys->ndim;
    unsigned char v[8];
    pad_plan pl;
    FC_UNUSED(n_out);
    fc_status rc = pad_make_plan(p, in, n_in, &pl, err);
    if (rc || n == 0)
        return rc;
    pad_value(p, in, n_in, v);
    if (fc_shape_numel(&in[0]->shape) == 0) { /* nothing to copy: all padding */
        for (int64_t o = 0; o < n; o++)
            copy_elem((unsigned char *)out[0]->data + o * es, v, es);
        return FC_OK;
    }
    fc_shape_strides(&in[0]->shape, st);
    for (int k = 0; k < r; k++) {
        t[k] = tab;
        for (int64_t j = 0; j < ys->d[k]; j++) {
            int64_t s = pad_source(p->mode, j, pl.before[k], pl.lo[k], pl.hi[k]);
            tab[j] = s < 0 ? -1 : s * st[k];
        }
        tab += ys->d[k];
    }
    const unsigned char *src = in[0]->data;
    unsigned char *dst = out[0]->data;
    int64_t inner = r ? ys->d[r - 1] : 1;
    for (int64_t o = 0; o < n; o += inner) {
        int64_t base = 0;
        for (int k = 0; k + 1 < r && base >= 0; k++)
            base = t[k][idx[k]] < 0 ? -1 : base + t[k][idx[k]];
        for (int64_t j = 0; j < inner; j++) {
            int64_t off = r == 0 ? 0 : t[r - 1][j];
            copy_elem(dst + (o + j) * es, base < 0 || off < 0 ? v : src + (base + off) * es, es);
        }
        for (int k = r - 2; k >= 0 && ++idx[k] == ys->d[k]; k--)
            idx[k] = 0;
    }
    return FC_OK;
}

const fc_op_def fc_op_pad = {
    .name = "Pad", .min_inputs = 1, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .parse = pad_parse, .shape = pad_shape, .ref = pad_ref, .scratch = pad_scratch,
};

int fc_resize_repeat(const void *params, fc_tensor *const *in, int n_in, int64_t *sh, int64_t *sw)
{
    const resize_params *p = params;
    float scales[FC_MAX_DIMS];
    fc_shape y;
    fc_error ignored = {0};
    if (p->mode != MODE_NEAREST || p->coord != COORD_ASYMMETRIC ||
        (p->nearest != NEAREST_FLOOR && p->nearest != NEAREST_LEGACY) || in[0]->shape.ndim != 4 ||
        resize_plan(p, in, n_in, &y, scales, &ignored))
        return 0;
    const fc_shape *x = &in[0]->shape;
    *sh = x->d[2] ? y.d[2] / x->d[2] : 0, *sw = x->d[3] ? y.d[3] / x->d[3] : 0;
    return y.d[0] == x->d[0] && y.d[1] == x->d[1] && *sh >= 1 && *sw >= 1 &&
           y.d[2] == x->d[2] * *sh && y.d[3] == x->d[3] * *sw && scales[0] == 1.0f &&
           scales[1] == 1.0f && scales[2] == (float)*sh && scales[3] == (float)*sw;
}
