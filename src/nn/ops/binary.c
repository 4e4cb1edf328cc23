/* binary.c - Add, Sub, Mul, Div, Pow and PRelu: one numpy-broadcasting engine, with a
 * row of per-dtype inner loops for each op. */
#include "nn/ops/ops.h"

#include <math.h>
#include <stdlib.h>

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_PRELU, BIN_COUNT } binary_kind;

typedef struct {
    binary_kind kind;
} binary_params;

/* One inner run: y[i] = a[i*sa] op b[i*sb] for i < n, where sa and sb are 0 (the
 * operand repeats) or 1 (it is contiguous). */
typedef void (*binary_run_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *y,
                              int64_t n);

/* Element functions. int64 arithmetic wraps on overflow (as two's complement
 * hardware and ONNX Runtime do) instead of being undefined. */
static inline int64_t add_i64(int64_t x, int64_t w) { return (int64_t)((uint64_t)x + (uint64_t)w); }
static inline int64_t sub_i64(int64_t x, int64_t w) { return (int64_t)((uint64_t)x - (uint64_t)w); }
static inline int64_t mul_i64(int64_t x, int64_t w) { return (int64_t)((uint64_t)x * (uint64_t)w); }

/* Truncating division as C does it. Division by zero has no ONNX result (ONNX
 * Runtime fails the run); we define x / 0 = 0 so a kernel never traps. INT64_MIN / -1
 * wraps to INT64_MIN. */
static inline int64_t div_i64(int64_t x, int64_t w)
{
    if (w == 0)
        return 0;
    if (w == -1)
        return (int64_t)(0 - (uint64_t)x);
    return x / w;
}

/* Exact integer power by squaring, wrapping on overflow. A negative exponent gives the
 * truncated quotient 1 / x^-e: 1 for x = 1, +-1 for x = -1, and 0 otherwise - also for
 * x = 0, where the real result is infinite. */
static inline int64_t pow_i64(int64_t x, int64_t e)
{
    if (e < 0)
        return x == 1 ? 1 : x == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, base = (uint64_t)x;
    for (uint64_t k = (uint64_t)e; k; k >>= 1) {
        if (k & 1)
            r *= base;
        base *= base;
    }
    return (int64_t)r;
}

/* double -> int64 truncating toward zero. NaN and values outside int64's range give
 * INT64_MIN, which is what x86's cvttsd2si (and so ONNX Runtime on x86) produces. */
static inline int64_t f64_to_i64(double v)
{
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)v;
}

/* x^2 is the one power detectors use (YOLO's box decoding): x * x is the same
 * correctly rounded value as powf(x, 2), without the call. */
static inline float pow_f32(float x, float e) { return e == 2.0f ? x * x : powf(x, e); }
static inline float pow_f32_i64(float x, int64_t e) { return (float)pow(x, (double)e); }
static inline int64_t pow_i64_f32(int64_t x, float e) { return f64_to_i64(pow((double)x, e)); }
/* max(x, 0) + slope * min(x, 0): exact, and unlike x < 0 ? x * slope : x it vectorises */
static inline float prelu_f32(float x, float slope)
{
    return (x < 0 ? 0 : x) + slope * (x > 0 ? 0 : x);
}

/* for (i = 0; i < n; i++) body, as blocks of 8 and then the rest. gcc -O2 vectorises
 * only code that needs neither a scalar remainder nor a run-time aliasing check: a
 * block, with its count fixed, over restrict pointers is such code. The results are
 * the same, element by element. */
#define FOR_BLOCKS_OF_8(i, n, body)                                                      \
    for (int64_t blk_ = 0; blk_ < ((n) & ~(int64_t)7); blk_ += 8)                        \
        for (int64_t i = blk_; i < blk_ + 8; i++)                                        \
            body                                                                         \
    for (int64_t i = (n) & ~(int64_t)7; i < (n); i++)                                   \
        body

/* Defines a binary_run_fn computing y = expr from x (an a element) and w (a b element),
 * with one plain loop per stride pattern so the compiler can vectorise each. The
 * engine's plan makes at least one of sa, sb 1. y never overlaps a or b: the memory
 * plan gives a step's output bytes no input of the step holds. */
#define BINARY_RUN(name, TA, TB, TY, expr)                                              \
    static void name(const void *restrict va, int64_t sa, const void *restrict vb,      \
                     int64_t sb, void *restrict vy, int64_t n)                           \
    {                                                                                    \
        const TA *a = va;                                                                \
        const TB *b = vb;                                                                \
        TY *y = vy;                                                                      \
        if (sa && sb) {                                                                  \
            FOR_BLOCKS_OF_8(i, n, {                                                      \
                TA x = a[i];                                                             \
                TB w = b[i];                                                             \
                y[i] = (expr);                                                           \
            })                                                                           \
        } else if (sa) {                                                                 \
            TB w = b[0];                                                                 \
            FOR_BLOCKS_OF_8(i, n, {                                                      \
                TA x = a[i];                                                             \
                y[i] = (expr);                                                           \
            })                                                                           \
        } else {                                                                         \
            TA x = a[0];                                                                 \
            FOR_BLOCKS_OF_8(i, n, {                                                      \
                TB w = b[i];                                                             \
                y[i] = (expr);                                                           \
            })                                                                           \
        }                                                                                \
    }

BINARY_RUN(run_add_f32, float, float, float, x + w)
BINARY_RUN(run_sub_f32, float, float, float, x - w)
BINARY_RUN(run_mul_f32, float, float, float, x * w)
BINARY_RUN(run_div_f32, float, float, float, x / w)
BINARY_RUN(run_pow_f32, float, float, float, pow_f32(x, w))
BINARY_RUN(run_prelu_f32, float, float, float, prelu_f32(x, w))
BINARY_RUN(run_add_i64, int64_t, int64_t, int64_t, add_i64(x, w))
BINARY_RUN(run_sub_i64, int64_t, int64_t, int64_t, sub_i64(x, w))
BINARY_RUN(run_mul_i64, int64_t, int64_t, int64_t, mul_i64(x, w))
BINARY_RUN(run_div_i64, int64_t, int64_t, int64_t, div_i64(x, w))
BINARY_RUN(run_pow_i64, int64_t, int64_t, int64_t, pow_i64(x, w))
BINARY_RUN(run_pow_f32_i64, float, int64_t, float, pow_f32_i64(x, w))
BINARY_RUN(run_pow_i64_f32, int64_t, float, int64_t, pow_i64_f32(x, w))

/* The inner loops of each op by the dtypes of (a, b); NULL where ONNX or we do not
 * allow the combination. The output has a's dtype. This table is also the dtype
 * check of the shape function. */
static const struct {
    binary_run_fn f32_f32, i64_i64, f32_i64, i64_f32;
} binary_runs[BIN_COUNT] = {
    [BIN_ADD] = {run_add_f32, run_add_i64, NULL, NULL},
    [BIN_SUB] = {run_sub_f32, run_sub_i64, NULL, NULL},
    [BIN_MUL] = {run_mul_f32, run_mul_i64, NULL, NULL},
    [BIN_DIV] = {run_div_f32, run_div_i64, NULL, NULL},
    [BIN_POW] = {run_pow_f32, run_pow_i64, run_pow_f32_i64, run_pow_i64_f32},
    [BIN_PRELU] = {run_prelu_f32, NULL, NULL, NULL},
};

static binary_run_fn binary_pick(binary_kind kind, fc_dtype a, fc_dtype b)
{
    if (a == FC_DT_FLOAT)
        return b == FC_DT_FLOAT ? binary_runs[kind].f32_f32
             : b == FC_DT_INT64 ? binary_runs[kind].f32_i64 : NULL;
    if (a == FC_DT_INT64)
        return b == FC_DT_INT64 ? binary_runs[kind].i64_i64
             : b == FC_DT_FLOAT ? binary_runs[kind].i64_f32 : NULL;
    return NULL;
}

/* Parses nothing but the op kind: from opset 7 these ops have no attributes. Opset
 * 1-6 had an `axis` attribute for a broadcast that numpy's rules cannot express. */
static fc_status binary_parse(binary_kind kind, const fc_attrs *at, void **params,
                              fc_error *err)
{
    if (fc_attr_find(at, "axis"))
        return fc_error_set(err, FC_ERR_UNSUPPORTED,
                            "legacy broadcast with an axis attribute (opset < 7)");
    binary_params *p = malloc(sizeof *p);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->kind = kind;
    *params = p;
    return FC_OK;
}

static fc_status add_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_ADD, at, params, err);
}
static fc_status sub_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_SUB, at, params, err);
}
static fc_status mul_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_MUL, at, params, err);
}
static fc_status div_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_DIV, at, params, err);
}
static fc_status pow_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_POW, at, params, err);
}
static fc_status prelu_parse(const fc_attrs *at, void **params, fc_error *err)
{
    return binary_parse(BIN_PRELU, at, params, err);
}

/* Output: numpy broadcast of the two shapes, with a's dtype. PRelu's slope should
 * broadcast unidirectionally to X, but ONNX Runtime (checked with 1.30, opsets 7-16)
 * applies the same multidirectional rule as Add - X (N,C) with slope (C,1,1) gives
 * (C,N,C) - so we do too and stay comparable with it. */
static fc_status binary_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    const binary_params *p = params;
    FC_UNUSED(n_out);
    if (n_in < 2 || !in[0] || !in[1])
        return fc_error_set(err, FC_ERR_FORMAT, "needs two inputs");
    const fc_tensor *a = in[0], *b = in[1];
    if (!binary_pick(p->kind, a->dtype, b->dtype))
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "inputs of types %s and %s are not supported",
                            fc_dtype_name(a->dtype), fc_dtype_name(b->dtype));
    if (fc_shape_broadcast(&a->shape, &b->shape, &out[0]->shape) != 0) {
        char sa[192], sb[192];
        return fc_error_set(err, FC_ERR_SHAPE, "cannot broadcast %s with %s",
                            fc_shape_str(&a->shape, sa, sizeof sa),
                            fc_shape_str(&b->shape, sb, sizeof sb));
    }
    out[0]->dtype = a->dtype;
    return FC_OK;
}

/* A broadcast reduced to its fewest dims: size-1 output dims are dropped and
 * neighbours where a and b each either vary or repeat alike are merged, so
 * (N,C,H,W) op (1,C,1,1) becomes (N, C, H*W) with b strides (0, 1, 0). Strides are
 * in elements; 0 means the operand repeats along that dim. */
typedef struct {
    int ndim;
    int64_t d[FC_MAX_DIMS], sa[FC_MAX_DIMS], sb[FC_MAX_DIMS];
} binary_plan;

/* 1 if operand shape s (right-aligned to rank n) varies along output dim i. */
static int varies(const fc_shape *s, int n, int i)
{
    int k = i - (n - s->ndim);
    return k >= 0 && s->d[k] != 1;
}

static void binary_plan_make(const fc_shape *a, const fc_shape *b, const fc_shape *y,
                             binary_plan *pl)
{
    int n = 0, prev_a = -1, prev_b = -1;
    for (int i = 0; i < y->ndim; i++) {
        if (y->d[i] == 1)
            continue;
        int va = varies(a, y->ndim, i), vb = varies(b, y->ndim, i);
        if (n > 0 && va == prev_a && vb == prev_b) {
            pl->d[n - 1] *= y->d[i];
        } else {
            pl->d[n] = y->d[i];
            pl->sa[n] = va, pl->sb[n] = vb; /* flags for now, strides below */
            n++;
        }
        prev_a = va, prev_b = vb;
    }
    if (n == 0) { /* every dim is 1: one element */
        pl->d[0] = 1, pl->sa[0] = 1, pl->sb[0] = 1;
        n = 1;
    }
    int64_t st_a = 1, st_b = 1;
    for (int i = n - 1; i >= 0; i--) {
        int va = (int)pl->sa[i], vb = (int)pl->sb[i];
        pl->sa[i] = va ? st_a : 0;
        pl->sb[i] = vb ? st_b : 0;
        st_a *= va ? pl->d[i] : 1;
        st_b *= vb ? pl->d[i] : 1;
    }
    pl->ndim = n;
}

/* y = a op b: walks the outer dims of the plan with an index counter and runs the
 * inner dim as one contiguous loop. */
static fc_status binary_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const binary_params *p = params;
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    const fc_tensor *a = in[0], *b = in[1];
    fc_tensor *y = out[0];
    binary_run_fn run = binary_pick(p->kind, a->dtype, b->dtype);
    int64_t total = fc_shape_numel(&y->shape);
    if (!run || total < 0)
        return fc_error_set(err, FC_ERR_INTERNAL, "binary op run with unchecked inputs");
    if (total == 0)
        return FC_OK;
    binary_plan pl;
    binary_plan_make(&a->shape, &b->shape, &y->shape, &pl);
    size_t ea = fc_dtype_size(a->dtype), eb = fc_dtype_size(b->dtype),
           ey = fc_dtype_size(y->dtype);
    int inner = pl.ndim - 1;
    int64_t len = pl.d[inner], idx[FC_MAX_DIMS] = {0}, oa = 0, ob = 0;
    const char *pa = a->data, *pb = b->data;
    char *py = y->data;
    for (int64_t oy = 0; oy < total; oy += len) {
        run(pa + oa * (int64_t)ea, pl.sa[inner], pb + ob * (int64_t)eb, pl.sb[inner],
            py + oy * (int64_t)ey, len);
        for (int k = inner - 1; k >= 0; k--) {
            oa += pl.sa[k], ob += pl.sb[k];
            if (++idx[k] < pl.d[k])
                break;
            oa -= pl.sa[k] * pl.d[k], ob -= pl.sb[k] * pl.d[k];
            idx[k] = 0;
        }
    }
    return FC_OK;
}

/* Every row shares binary_shape and binary_ref; the parse function sets the kind. */
#define BINARY_DEF(NAME, PARSE)                                                         \
    {                                                                                   \
        .name = NAME, .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,              \
        .max_outputs = 1, .parse = PARSE, .shape = binary_shape, .ref = binary_ref,     \
    }

const fc_op_def fc_op_add = BINARY_DEF("Add", add_parse);
const fc_op_def fc_op_sub = BINARY_DEF("Sub", sub_parse);
const fc_op_def fc_op_mul = BINARY_DEF("Mul", mul_parse);
const fc_op_def fc_op_div = BINARY_DEF("Div", div_parse);
const fc_op_def fc_op_pow = BINARY_DEF("Pow", pow_parse);
const fc_op_def fc_op_prelu = BINARY_DEF("PRelu", prelu_parse);
