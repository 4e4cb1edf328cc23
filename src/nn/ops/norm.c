/* norm.c - normalisation and reductions: BatchNormalization (inference), Softmax,
 * ReduceMean and ReduceL2. */
#include "nn/ops/ops.h"
#include "nn/ops/inspect.h"

#include <math.h>
#include <stdlib.h>

/* ---- BatchNormalization ------------------------------------------------------- */

typedef struct {
    float epsilon;
} bn_params;

static fc_status bn_parse(const fc_attrs *at, void **params, fc_error *err)
{
    if (fc_attr_int(at, "training_mode", 0) != 0)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "training_mode=1 is not supported");
    if (fc_attr_int(at, "spatial", 1) != 1)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "spatial=0 is not supported");
    bn_params *p = malloc(sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->epsilon = fc_attr_float(at, "epsilon", 1e-5f);
    *params = p;
    return FC_OK;
}

/* X (N,C,...) float32; scale, B, mean, var (C) float32 -> Y like X. */
static fc_status bn_shape(const void *params, fc_tensor *const *in, int n_in,
                          fc_tensor *const *out, int n_out, fc_error *err)
{
    static const char *const names[] = {"X", "scale", "B", "mean", "var"};
    char sx[192], sp[192];
    FC_UNUSED(params), FC_UNUSED(n_out);
    for (int i = 0; i < 5; i++) {
        if (i >= n_in || !in[i])
            return fc_error_set(err, FC_ERR_FORMAT, "missing input %s", names[i]);
        if (in[i]->dtype != FC_DT_FLOAT)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "%s of type %s is not supported",
                                names[i], fc_dtype_name(in[i]->dtype));
    }
    const fc_shape *x = &in[0]->shape;
    if (x->ndim < 2)
        return fc_error_set(err, FC_ERR_SHAPE, "X %s needs rank >= 2",
                            fc_shape_str(x, sx, sizeof sx));
    for (int i = 1; i < 5; i++) {
        const fc_shape *s = &in[i]->shape;
        if (s->ndim != 1 || s->d[0] != x->d[1])
            return fc_error_set(err, FC_ERR_SHAPE, "%s %s does not match the channels of X %s",
                                names[i], fc_shape_str(s, sp, sizeof sp),
                                fc_shape_str(x, sx, sizeof sx));
    }
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = *x;
    return FC_OK;
}

/* y = (x - mean) / sqrt(var + eps) * scale + B, folded per channel into y = x*a + b
 * and applied over each (n, c) plane of `plane` contiguous values. */
static fc_status bn_ref(const void *params, fc_tensor *const *in, int n_in,
                        fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const bn_params *p = params;
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    const fc_shape *s = &in[0]->shape;
    const float *x = in[0]->data, *scale = in[1]->data, *bias = in[2]->data,
                *mean = in[3]->data, *var = in[4]->data;
    float *y = out[0]->data;
    int64_t batch = s->d[0], channels = s->d[1], plane = 1;
    for (int i = 2; i < s->ndim; i++)
        plane *= s->d[i];
    for (int64_t n = 0; n < batch; n++) {
        for (int64_t c = 0; c < channels; c++) {
            float a = scale[c] / sqrtf(var[c] + p->epsilon), b = bias[c] - mean[c] * a;
            const float *xp = x + (n * channels + c) * plane;
            float *yp = y + (n * channels + c) * plane;
            for (int64_t i = 0; i < plane; i++)
                yp[i] = xp[i] * a + b;
        }
    }
    return FC_OK;
}

/* ---- Softmax ------------------------------------------------------------------ */

typedef struct {
    int64_t axis;
    int flatten; /* opset < 13: softmax over the flattened dims [axis, rank) */
} softmax_params;

static fc_status softmax_parse(const fc_attrs *at, void **params, fc_error *err)
{
    softmax_params *p = malloc(sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->flatten = at->opset < 13;
    p->axis = fc_attr_int(at, "axis", p->flatten ? 1 : -1);
    *params = p;
    return FC_OK;
}

/* The softmax as outer x len x inner: it runs over len values spaced inner apart. */
typedef struct {
    int64_t outer, len, inner;
} softmax_dims;

static int softmax_split(const softmax_params *p, const fc_shape *s, softmax_dims *sd)
{
    int axis = fc_axis(p->axis, s->ndim);
    if (axis < 0)
        return -1;
    *sd = (softmax_dims){1, 1, 1};
    for (int i = 0; i < s->ndim; i++) {
        if (i < axis)
            sd->outer *= s->d[i];
        else if (i == axis || p->flatten)
            sd->len *= s->d[i];
        else
            sd->inner *= s->d[i];
    }
    return 0;
}

static fc_status softmax_shape(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, fc_error *err)
{
    const softmax_params *p = params;
    softmax_dims sd;
    char s[192];
    FC_UNUSED(n_out);
    if (n_in < 1 || !in[0])
        return fc_error_set(err, FC_ERR_FORMAT, "missing input");
    if (in[0]->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input of type %s is not supported",
                            fc_dtype_name(in[0]->dtype));
    if (softmax_split(p, &in[0]->shape, &sd) != 0)
        return fc_error_set(err, FC_ERR_SHAPE, "axis %lld is out of range for input %s",
                            (long long)p->axis, fc_shape_str(&in[0]->shape, s, sizeof s));
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = in[0]->shape;
    return FC_OK;
}

/* Scratch: a running max and sum per inner position when the axis is not innermost. */
static size_t softmax_scratch(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out)
{
    softmax_dims sd;
    FC_UNUSED(n_in), FC_UNUSED(out), FC_UNUSED(n_out);
    if (softmax_split(params, &in[0]->shape, &sd) != 0 || sd.inner == 1)
        return 0;
    return 2 * (size_t)sd.inner * sizeof(float);
}

/* Softmax of one contiguous row x (len) -> y, less its max so exp cannot overflow. */
static void softmax_row(const float *x, float *y, int64_t len)
{
    float max = x[0], sum = 0;
    for (int64_t i = 1; i < len; i++)
        max = x[i] > max ? x[i] : max;
    for (int64_t i = 0; i < len; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    for (int64_t i = 0; i < len; i++)
        y[i] /= sum;
}

/* softmax_row over rows of 2 (the two class scores of a detector's anchors), giving
 * the same floats: the larger value's term expf(x - x) is 1, or NaN when x is
 * infinite or NaN, which is exactly 1 + (x - x). So one expf per row, no loops. */
static void softmax_pairs(const float *x, float *y, int64_t rows)
{
    for (int64_t r = 0; r < rows; r++, x += 2, y += 2) {
        int hi = x[1] > x[0], lo = !hi;
        float e_hi = 1 + (x[hi] - x[hi]), e_lo = expf(x[lo] - x[hi]);
        float sum = e_lo + e_hi;
        y[hi] = e_hi / sum;
        y[lo] = e_lo / sum;
    }
}

/* Softmax of x (len, inner) along len for every inner position at once, so each pass
 * reads whole contiguous rows. max and sum hold inner floats each. */
static void softmax_strided(const float *x, float *y, int64_t len, int64_t inner,
                            float *max, float *sum)
{
    for (int64_t j = 0; j < inner; j++)
        max[j] = x[j], sum[j] = 0;
    for (int64_t k = 1; k < len; k++)
        for (int64_t j = 0; j < inner; j++)
            max[j] = x[k * inner + j] > max[j] ? x[k * inner + j] : max[j];
    for (int64_t k = 0; k < len; k++) {
        for (int64_t j = 0; j < inner; j++) {
            y[k * inner + j] = expf(x[k * inner + j] - max[j]);
            sum[j] += y[k * inner + j];
        }
    }
    for (int64_t k = 0; k < len; k++)
        for (int64_t j = 0; j < inner; j++)
            y[k * inner + j] /= sum[j];
}

static fc_status softmax_ref(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    softmax_dims sd;
    FC_UNUSED(n_in), FC_UNUSED(n_out);
    if (softmax_split(params, &in[0]->shape, &sd) != 0)
        return fc_error_set(err, FC_ERR_INTERNAL, "softmax run with an unchecked axis");
    const float *x = in[0]->data;
    float *y = out[0]->data, *max = scratch, *sum = sd.inner > 1 ? max + sd.inner : NULL;
    if (sd.len == 0)
        return FC_OK;
    if (sd.len == 2 && sd.inner == 1) {
        softmax_pairs(x, y, sd.outer);
        return FC_OK;
    }
    for (int64_t o = 0; o < sd.outer; o++) {
        const float *xo = x + o * sd.len * sd.inner;
        float *yo = y + o * sd.len * sd.inner;
        if (sd.inner == 1)
            softmax_row(xo, yo, sd.len);
        else
            softmax_strided(xo, yo, sd.len, sd.inner, max, sum);
    }
    return FC_OK;
}

/* ---- ReduceMean, ReduceL2 ------------------------------------------------------ */

typedef enum { REDUCE_MEAN, REDUCE_L2 } reduce_kind;

typedef struct {
    reduce_kind kind;
    int keepdims;
    int n_axes; /* -1: all axes */
    int64_t axes[FC_MAX_DIMS];
} reduce_params;

static fc_status reduce_parse(reduce_kind kind, const fc_attrs *at, void **params,
                              fc_error *err)
{
    const int64_t *axes = NULL;
    int n = fc_attr_ints(at, "axes", &axes);
    if (n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_FORMAT, "%d axes, more than the %d dims we support",
                            n, FC_MAX_DIMS);
    reduce_params *p = malloc(sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->kind = kind;
    p->keepdims = fc_attr_int(at, "keepdims", 1) != 0;
    p->n_axes = n > 0 ? n : -1; /* before opset 18 an empty list also means all */
    for (int i = 0; i < n; i++)
        p->axes[i] = axes[i];
    *params = p;
    return FC_OK;
}

static fc_status reduce_mean_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return reduce_parse(REDUCE_MEAN, at, params, err);
}
static fc_status reduce_l2_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return reduce_parse(REDUCE_L2, at, params, err);
}

/* Marks reduced[i] for each dim of a rank-`rank` input; -1 if an axis is out of range.
 * A repeated axis counts once, as in ONNX Runtime. */
static int reduce_mark(const reduce_params *p, int rank, int *reduced)
{
    for (int i = 0; i < rank; i++)
        reduced[i] = p->n_axes < 0;
    for (int i = 0; i < p->n_axes; i++) {
        int a = fc_axis(p->axes[i], rank);
        if (a < 0)
            return -1;
        reduced[a] = 1;
    }
    return 0;
}

/* Output: the input's dims with reduced ones set to 1 (keepdims) or dropped. */
static fc_status reduce_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    const reduce_params *p = params;
    int reduced[FC_MAX_DIMS];
    char s[192];
    FC_UNUSED(n_out);
    if (n_in < 1 || !in[0])
        return fc_error_set(err, FC_ERR_FORMAT, "missing input");
    const fc_shape *x = &in[0]->shape;
    if (in[0]->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input of type %s is not supported",
                            fc_dtype_name(in[0]->dtype));
    if (reduce_mark(p, x->ndim, reduced) != 0)
        return fc_error_set(err, FC_ERR_SHAPE, "axes out of range for input %s",
                            fc_shape_str(x, s, sizeof s));
    fc_shape y = {0};
    for (int i = 0; i < x->ndim; i++)
        if (!reduced[i] || p->keepdims)
            y.d[y.ndim++] = reduced[i] ? 1 : x->d[i];
    out[0]->dtype = FC_DT_FLOAT;
    out[0]->shape = y;
    return FC_OK;
}

/* The input as its fewest dims: size-1 dims dropped, neighbours both reduced or both
 * kept merged. ystride is the output stride of a kept dim, 0 for a reduced one. */
typedef struct {
    int ndim;
    int64_t d[FC_MAX_DIMS], ystride[FC_MAX_DIMS];
    int reduced[FC_MAX_DIMS];
} reduce_plan;

static void reduce_plan_make(const fc_shape *x, const int *reduced, reduce_plan *pl)
{
    int n = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (x->d[i] == 1)
            continue;
        if (n > 0 && pl->reduced[n - 1] == reduced[i]) {
            pl->d[n - 1] *= x->d[i];
        } else {
            pl->d[n] = x->d[i];
            pl->reduced[n++] = reduced[i];
        }
    }
    if (n == 0)
        pl->d[n] = 1, pl->reduced[n++] = 0;
    int64_t st = 1;
    for (int i = n - 1; i >= 0; i--) {
        pl->ystride[i] = pl->reduced[i] ? 0 : st;
        st *= pl->reduced[i] ? 1 : pl->d[i];
    }
    pl->ndim = n;
}

/* Adds f(x) for one contiguous input run of len values into y: into y[0] when the
 * run is reduced, elementwise into y[0..len) when it is kept. f is x or x*x. */
static void reduce_run(const float *x, float *y, int64_t len, int run_reduced, int square)
{
    if (run_reduced) {
        float acc = 0;
        if (square)
            for (int64_t i = 0; i < len; i++)
                acc += x[i] * x[i];
        else
            for (int64_t i = 0; i < len; i++)
                acc += x[i];
        y[0] += acc;
    } else if (square) {
        for (int64_t i = 0; i < len; i++)
            y[i] += x[i] * x[i];
    } else {
        for (int64_t i = 0; i < len; i++)
            y[i] += x[i];
    }
}

/* Sums (of squares, for L2) in one pass over x in memory order, an index counter
 * tracking where each run lands in y; then the mean or the square root. */
static fc_status reduce_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const reduce_params *p = params;
    int reduced[FC_MAX_DIMS];
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    const fc_shape *xs = &in[0]->shape;
    int64_t nx = fc_shape_numel(xs), ny = fc_shape_numel(&out[0]->shape);
    if (nx < 0 || ny < 0 || reduce_mark(p, xs->ndim, reduced) != 0)
        return fc_error_set(err, FC_ERR_INTERNAL, "reduce run with unchecked shapes");
    const float *x = in[0]->data;
    float *y = out[0]->data;
    for (int64_t i = 0; i < ny; i++)
        y[i] = 0;
    reduce_plan pl;
    reduce_plan_make(xs, reduced, &pl);
    int inner = pl.ndim - 1, square = p->kind == REDUCE_L2;
    int64_t len = pl.d[inner], idx[FC_MAX_DIMS] = {0}, oy = 0;
    for (int64_t ox = 0; ox < nx; ox += len) {
        reduce_run(x + ox, y + oy, len, pl.reduced[inner], square);
        for (int k = inner - 1; k >= 0; k--) {
            oy += pl.ystride[k];
            if (++idx[k] < pl.d[k])
                break;
            oy -= pl.ystride[k] * pl.d[k];
            idx[k] = 0;
        }
    }
    /* the count of inputs per output; 0 when a reduced dim is empty: mean NaN, L2 0 */
    float count = ny > 0 ? (float)(nx / ny) : 0;
    for (int64_t i = 0; i < ny; i++)
        y[i] = square ? sqrtf(y[i]) : y[i] / count;
    return FC_OK;
}

const fc_op_def fc_op_batch_normalization = {
    .name = "BatchNormalization",
    .min_inputs = 5, .max_inputs = 5,
    .min_outputs = 1, .max_outputs = 1, /* training outputs are not supported */
    .parse = bn_parse,
    .shape = bn_shape,
    .ref = bn_ref,
};

const fc_op_def fc_op_softmax = {
    .name = "Softmax",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .parse = softmax_parse,
    .shape = softmax_shape,
    .ref = softmax_ref,
    .scratch = softmax_scratch,
};

const fc_op_def fc_op_reduce_mean = {
    .name = "ReduceMean",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .parse = reduce_mean_parse,
    .shape = reduce_shape,
    .ref = reduce_ref,
};

const fc_op_def fc_op_reduce_l2 = {
    .name = "ReduceL2",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .parse = reduce_l2_parse,
    .shape = reduce_shape,
    .ref = reduce_ref,
};

float fc_batchnorm_epsilon(const void *params) { return ((const bn_params *)params)->epsilon; }
