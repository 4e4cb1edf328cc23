/* unary.c - elementwise ops of one tensor (Relu, LeakyRelu, Sigmoid, HardSigmoid,
 * HardSwish, Tanh, Clip, Exp, Sqrt) and Cast. All share one parse, one shape and one
 * kernel function, driven by the op kind their parse wrapper records. */
#include "nn/ops/ops.h"
#include "nn/ops/inspect.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

typedef enum {
    UN_RELU, UN_LEAKY_RELU, UN_SIGMOID, UN_HARD_SIGMOID, UN_HARD_SWISH,
    UN_TANH, UN_CLIP, UN_EXP, UN_SQRT, UN_CAST, UN_COUNT
} unary_kind;

/* How Cast narrows an integer result to its ONNX type (we store it as int64). */
typedef enum {
    NARROW_NONE, NARROW_BOOL, NARROW_I8, NARROW_U8, NARROW_I16, NARROW_U16, NARROW_I32,
    NARROW_U32
} cast_narrow;

typedef struct {
    unary_kind kind;
    float alpha, beta;      /* LeakyRelu alpha; HardSigmoid alpha and beta */
    float lo, hi;           /* Clip before opset 11: the min and max attributes;
                             * Relu and LeakyRelu: 0 and +inf */
    int bounds_from_inputs; /* Clip from opset 11: min and max are inputs 1 and 2 */
    fc_dtype to;            /* Cast: the dtype we compute the result in */
    cast_narrow narrow;     /* Cast to a narrower integer type or bool */
} unary_params;

/* Cast targets by ONNX TensorProto.DataType. The executor has float32 and int64
 * only: floating types become float32 (without rounding to half precision); integer
 * types and bool become int64 holding the value the narrower type would hold. */
static const struct {
    int64_t onnx;
    fc_dtype dtype;
    cast_narrow narrow;
} cast_targets[] = {
    {1, FC_DT_FLOAT, NARROW_NONE},  /* FLOAT */
    {10, FC_DT_FLOAT, NARROW_NONE}, /* FLOAT16 */
    {11, FC_DT_FLOAT, NARROW_NONE}, /* DOUBLE */
    {16, FC_DT_FLOAT, NARROW_NONE}, /* BFLOAT16 */
    {7, FC_DT_INT64, NARROW_NONE},  /* INT64 */
    {13, FC_DT_INT64, NARROW_NONE}, /* UINT64: same bits */
    {6, FC_DT_INT64, NARROW_I32},   /* INT32 */
    {12, FC_DT_INT64, NARROW_U32},  /* UINT32 */
    {5, FC_DT_INT64, NARROW_I16},   /* INT16 */
    {4, FC_DT_INT64, NARROW_U16},   /* UINT16 */
    {3, FC_DT_INT64, NARROW_I8},    /* INT8 */
    {2, FC_DT_INT64, NARROW_U8},    /* UINT8 */
    {9, FC_DT_INT64, NARROW_BOOL},  /* BOOL */
};

static fc_status cast_parse_to(const fc_attrs *at, unary_params *p, fc_error *err)
{
    const fc_attr *to = fc_attr_find(at, "to");
    if (!to || to->type != FC_ATTR_INT)
        return fc_error_set(err, FC_ERR_FORMAT, "needs an integer attribute 'to'");
    for (size_t i = 0; i < sizeof cast_targets / sizeof cast_targets[0]; i++) {
        if (cast_targets[i].onnx == to->i) {
            p->to = cast_targets[i].dtype;
            p->narrow = cast_targets[i].narrow;
            return FC_OK;
        }
    }
    return fc_error_set(err, FC_ERR_UNSUPPORTED, "cast to ONNX type %lld is not supported",
                        (long long)to->i);
}

/* Reads the attributes of op `kind` into a new unary_params (freed with free()). */
static fc_status unary_parse(unary_kind kind, const fc_attrs *at, void **params,
                             fc_error *err)
{
    unary_params *p = calloc(1, sizeof *p);
    fc_status rc = FC_OK;
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->kind = kind;
    switch (kind) {
    case UN_RELU:
        p->lo = 0, p->hi = INFINITY;
        break;
    case UN_LEAKY_RELU:
        p->lo = 0, p->hi = INFINITY;
        p->alpha = fc_attr_float(at, "alpha", 0.01f);
        break;
    case UN_HARD_SIGMOID:
        p->alpha = fc_attr_float(at, "alpha", 0.2f);
        p->beta = fc_attr_float(at, "beta", 0.5f);
        break;
    case UN_CLIP:
        p->bounds_from_inputs = at->opset >= 11;
        p->lo = fc_attr_float(at, "min", -FLT_MAX);
        p->hi = fc_attr_float(at, "max", FLT_MAX);
        break;
    case UN_CAST:
        rc = cast_parse_to(at, p, err);
        break;
    default:
        break;
    }
    if (rc)
        free(p);
    else
        *params = p;
    return rc;
}

static fc_status relu_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_RELU, at, params, err);
}
static fc_status leaky_relu_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_LEAKY_RELU, at, params, err);
}
static fc_status sigmoid_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_SIGMOID, at, params, err);
}
static fc_status hard_sigmoid_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_HARD_SIGMOID, at, params, err);
}
static fc_status hard_swish_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_HARD_SWISH, at, params, err);
}
static fc_status tanh_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_TANH, at, params, err);
}
static fc_status clip_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_CLIP, at, params, err);
}
static fc_status exp_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_EXP, at, params, err);
}
static fc_status sqrt_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_SQRT, at, params, err);
}
static fc_status cast_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return unary_parse(UN_CAST, at, params, err);
}

/* Clip's optional min / max inputs: absent, or a float32 holding one value. */
static fc_status clip_bound_check(const fc_tensor *t, const char *which, fc_error *err)
{
    char s[192];
    if (!t)
        return FC_OK;
    if (t->dtype != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "%s of type %s is not supported",
                            which, fc_dtype_name(t->dtype));
    if (fc_shape_numel(&t->shape) != 1)
        return fc_error_set(err, FC_ERR_SHAPE, "%s must be a scalar, not %s", which,
                            fc_shape_str(&t->shape, s, sizeof s));
    return FC_OK;
}

/* Output: the input's shape; float32 for all but Cast, whose dtype comes from `to`. */
static fc_status unary_shape(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out, fc_error *err)
{
    const unary_params *p = params;
    fc_status rc;
    FC_UNUSED(n_out);
    if (n_in < 1 || !in[0])
        return fc_error_set(err, FC_ERR_FORMAT, "missing input");
    fc_dtype dt = in[0]->dtype;
    if (p->kind == UN_CAST ? dt != FC_DT_FLOAT && dt != FC_DT_INT64 : dt != FC_DT_FLOAT)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input of type %s is not supported",
                            fc_dtype_name(dt));
    if (p->kind == UN_CLIP && !p->bounds_from_inputs && n_in > 1)
        return fc_error_set(err, FC_ERR_FORMAT, "before opset 11 Clip takes one input");
    if (p->kind == UN_CLIP && p->bounds_from_inputs &&
        ((rc = clip_bound_check(n_in > 1 ? in[1] : NULL, "min", err)) ||
         (rc = clip_bound_check(n_in > 2 ? in[2] : NULL, "max", err))))
        return rc;
    out[0]->dtype = p->kind == UN_CAST ? p->to : FC_DT_FLOAT;
    out[0]->shape = in[0]->shape;
    return FC_OK;
}

/* max(0, min(1, v)), passing NaN through. */
static inline float clamp01(float v)
{
    v = v > 1 ? 1 : v;
    return v < 0 ? 0 : v;
}

/* exp of a non-positive number cannot overflow, so this is finite and accurate for
 * any finite x (1/(1+exp(-x)) loses the tiny values of large negative x). */
static inline float sigmoid(float x)
{
    float e = expf(-fabsf(x));
    return (x >= 0 ? 1 : e) / (1 + e);
}

/* y = f(x) over n floats, one loop per op. lo and hi are Clip's bounds, and 0 and +inf
 * for Relu (which is Clip(0, inf)) and LeakyRelu. Comparing with them rather than a
 * literal 0 lets gcc -O2 emit branch-free maxss/minss instead of a branch that
 * mispredicts on activations of random sign. */
static void unary_f32(const unary_params *p, float lo, float hi, const float *x, float *y,
                      int64_t n)
{
    const float alpha = p->alpha, beta = p->beta;
    switch (p->kind) {
    case UN_RELU:
    case UN_CLIP: /* min(max(x, lo), hi): hi wins when lo > hi, as in ONNX; NaN stays */
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] < lo ? lo : x[i];
            y[i] = v > hi ? hi : v;
        }
        break;
    case UN_LEAKY_RELU: /* max(x, 0) + alpha * min(x, 0), which is exact */
        for (int64_t i = 0; i < n; i++)
            y[i] = (x[i] < lo ? lo : x[i]) + alpha * (x[i] > lo ? lo : x[i]);
        break;
    case UN_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = sigmoid(x[i]);
        break;
    case UN_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = clamp01(alpha * x[i] + beta);
        break;
    case UN_HARD_SWISH:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * clamp01(x[i] * (1.0f / 6) + 0.5f);
        break;
    case UN_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        break;
    case UN_EXP:
        for (int64_t i = 0; i < n; i++)
            y[i] = expf(x[i]);
        break;
    case UN_SQRT:
        for (int64_t i = 0; i < n; i++)
            y[i] = sqrtf(x[i]);
        break;
    default:
        break;
    }
}

/* float -> integer, truncating toward zero. NaN and out-of-range values give what
 * x86's cvttss2si gives, and so ONNX Runtime there: INT32_MIN for int32 and the
 * narrower targets (converted through int32, then narrowed), INT64_MIN for int64,
 * uint32 and uint64. */
static inline int64_t f32_to_int(float v, cast_narrow narrow)
{
    if (narrow != NARROW_NONE && narrow != NARROW_U32) {
        if (!(v >= -2147483648.0f && v < 2147483648.0f))
            return INT32_MIN;
        return (int32_t)v;
    }
    if (!(v >= -9223372036854775808.0f && v < 9223372036854775808.0f))
        return INT64_MIN;
    return (int64_t)v;
}

/* The value an integer has after conversion to the narrower type: modular, as ONNX
 * Runtime's static_cast gives. */
static inline int64_t narrow_i64(int64_t v, cast_narrow narrow)
{
    switch (narrow) {
    case NARROW_I8: return (int8_t)(uint8_t)v;
    case NARROW_U8: return (uint8_t)v;
    case NARROW_I16: return (int16_t)(uint16_t)v;
    case NARROW_U16: return (uint16_t)v;
    case NARROW_I32: return (int32_t)(uint32_t)v;
    case NARROW_U32: return (uint32_t)v;
    default: return v;
    }
}

/* Cast between float32 and int64, either way. Bool is "nonzero" of the input value
 * (so Cast(-0.5) to BOOL is 1); other integer targets truncate toward zero. */
static void cast_run(const unary_params *p, const fc_tensor *x, fc_tensor *y, int64_t n)
{
    if (x->dtype == FC_DT_FLOAT && y->dtype == FC_DT_FLOAT) {
        const float *src = x->data;
        float *dst = y->data;
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i];
    } else if (x->dtype == FC_DT_INT64 && y->dtype == FC_DT_FLOAT) {
        const int64_t *src = x->data;
        float *dst = y->data;
        for (int64_t i = 0; i < n; i++)
            dst[i] = (float)src[i];
    } else if (x->dtype == FC_DT_FLOAT) {
        const float *src = x->data;
        int64_t *dst = y->data;
        for (int64_t i = 0; i < n; i++)
            dst[i] = p->narrow == NARROW_BOOL ? src[i] != 0
                                             : narrow_i64(f32_to_int(src[i], p->narrow), p->narrow);
    } else {
        const int64_t *src = x->data;
        int64_t *dst = y->data;
        for (int64_t i = 0; i < n; i++)
            dst[i] = p->narrow == NARROW_BOOL ? src[i] != 0 : narrow_i64(src[i], p->narrow);
    }
}

/* The one kernel: Cast, or a float32 map with Clip's bounds read from its inputs. */
static fc_status unary_ref(const void *params, fc_tensor *const *in, int n_in,
                           fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const unary_params *p = params;
    FC_UNUSED(n_out), FC_UNUSED(scratch);
    int64_t n = fc_shape_numel(&in[0]->shape);
    if (n < 0)
        return fc_error_set(err, FC_ERR_INTERNAL, "unary op run with an unknown shape");
    if (p->kind == UN_CAST) {
        cast_run(p, in[0], out[0], n);
        return FC_OK;
    }
    float lo = p->lo, hi = p->hi;
    if (p->kind == UN_CLIP && p->bounds_from_inputs) {
        lo = n_in > 1 && in[1] ? *(const float *)in[1]->data : -FLT_MAX;
        hi = n_in > 2 && in[2] ? *(const float *)in[2]->data : FLT_MAX;
    }
    unary_f32(p, lo, hi, in[0]->data, out[0]->data, n);
    return FC_OK;
}

/* Every row shares unary_shape and unary_ref; the parse function sets the kind. */
#define UNARY_DEF(NAME, PARSE, MAX_INPUTS)                                              \
    {                                                                                   \
        .name = NAME, .min_inputs = 1, .max_inputs = MAX_INPUTS, .min_outputs = 1,      \
        .max_outputs = 1, .parse = PARSE, .shape = unary_shape, .ref = unary_ref,       \
    }

const fc_op_def fc_op_relu = UNARY_DEF("Relu", relu_parse, 1);
const fc_op_def fc_op_leaky_relu = UNARY_DEF("LeakyRelu", leaky_relu_parse, 1);
const fc_op_def fc_op_sigmoid = UNARY_DEF("Sigmoid", sigmoid_parse, 1);
const fc_op_def fc_op_hard_sigmoid = UNARY_DEF("HardSigmoid", hard_sigmoid_parse, 1);
const fc_op_def fc_op_hard_swish = UNARY_DEF("HardSwish", hard_swish_parse, 1);
const fc_op_def fc_op_tanh = UNARY_DEF("Tanh", tanh_parse, 1);
const fc_op_def fc_op_clip = UNARY_DEF("Clip", clip_parse, 3); /* opset 11: min, max */
const fc_op_def fc_op_exp = UNARY_DEF("Exp", exp_parse, 1);
const fc_op_def fc_op_sqrt = UNARY_DEF("Sqrt", sqrt_parse, 1);
const fc_op_def fc_op_cast = UNARY_DEF("Cast", cast_parse, 1);

int fc_unary_constants(const void *params, float *alpha, float *lo, float *hi)
{
    const unary_params *p = params;
    *alpha = p->alpha;
    *lo = p->lo;
    *hi = p->hi;
    return p->bounds_from_inputs;
}
