/* reshape.c - ops that only reinterpret input 0's buffer (Reshape, Flatten, Squeeze,
 * Unsqueeze, Identity, Dropout: alias ops, no kernel) and the shape producers
 * (Shape, Constant, ConstantOfShape). */
#include "nn/ops/ops.h"
#include "nn/ops/common.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Outputs with more elements than this are refused with FC_ERR_LIMIT. */

/* ---- helpers ---------------------------------------------------------------------- */

/* Checks that in[i] is present and holds float32 or int64. */
static fc_status data_input(fc_tensor *const *in, int n_in, int i, fc_error *err)
{
    if (i >= n_in || !in[i])
        return fc_error_set(err, FC_ERR_FORMAT, "input %d is missing", i);
    if (in[i]->dtype != FC_DT_FLOAT && in[i]->dtype != FC_DT_INT64)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input %d has dtype %s", i,
                            fc_dtype_name(in[i]->dtype));
    return fc_op_check_numel(&in[i]->shape, err);
}

/* Output 0 has input 0's dtype and the given shape. */
static fc_status set_alias_out(fc_tensor *const *in, fc_tensor *const *out, const fc_shape *s,
                               fc_error *err)
{
    char a[160], b[160];
    if (fc_shape_numel(s) != fc_shape_numel(&in[0]->shape))
        return fc_error_set(err, FC_ERR_SHAPE, "cannot view %s as %s",
                            fc_shape_str(&in[0]->shape, a, sizeof a), fc_shape_str(s, b, sizeof b));
    out[0]->dtype = in[0]->dtype;
    out[0]->shape = *s;
    return FC_OK;
}

/* ---- Reshape ---------------------------------------------------------------------- */

typedef struct {
    int allowzero; /* opset 14: a 0 in the shape is a real 0, not "copy this dim" */
} reshape_params;

static fc_status reshape_parse(const fc_attrs *at, void **params, fc_error *err)
{
    int64_t allowzero = fc_attr_int(at, "allowzero", 0);
    if (allowzero != 0 && allowzero != 1)
        return fc_error_set(err, FC_ERR_FORMAT, "allowzero must be 0 or 1");
    fc_status rc = fc_op_new_params(params, sizeof(reshape_params), err);
    if (!rc)
        ((reshape_params *)*params)->allowzero = (int)allowzero;
    return rc;
}

/* data (any shape), shape (k,) int64 constant -> data viewed as shape: 0 copies the
 * input dim (unless allowzero), one -1 is inferred. */
static fc_status reshape_shape(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, fc_error *err)
{
    const reshape_params *p = params;
    const int64_t *v;
    int64_t n, known = 1;
    int infer = -1;
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = fc_op_const_ints(in, n_in, 1, "shape", &v, &n, err)))
        return rc;
    if (n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "target rank %lld > %d", (long long)n,
                            FC_MAX_DIMS);
    fc_shape s = {.ndim = (int)n};
    for (int i = 0; i < s.ndim; i++) {
        int64_t d = v[i];
        if (d == 0 && !(p && p->allowzero)) {
            if (i >= in[0]->shape.ndim)
                return fc_error_set(err, FC_ERR_SHAPE, "shape[%d] = 0 but the input has rank %d",
                                    i, in[0]->shape.ndim);
            d = in[0]->shape.d[i];
        }
        if (d == -1 && infer < 0) {
            infer = i;
            continue;
        }
        if (d < 0)
            return fc_error_set(err, FC_ERR_SHAPE, "bad target dim %lld", (long long)d);
        if (fc_mul_overflow(known, d, &known))
            return fc_error_set(err, FC_ERR_LIMIT, "target shape overflows");
        s.d[i] = d;
    }
    if (infer >= 0) {
        int64_t total = fc_shape_numel(&in[0]->shape);
        if (known == 0 || total % known != 0) {
            char a[160];
            return fc_error_set(err, FC_ERR_SHAPE, "cannot infer a -1 dim reshaping %s",
                                fc_shape_str(&in[0]->shape, a, sizeof a));
        }
        s.d[infer] = total / known;
    }
    return set_alias_out(in, out, &s, err);
}

const fc_op_def fc_op_reshape = {
    .name = "Reshape", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .parse = reshape_parse, .shape = reshape_shape, .alias = 1,
};

/* ---- Flatten ---------------------------------------------------------------------- */

typedef struct {
    int64_t axis;
} flatten_params;

static fc_status flatten_parse(const fc_attrs *at, void **params, fc_error *err)
{
    fc_status rc = fc_op_new_params(params, sizeof(flatten_params), err);
    if (!rc)
        ((flatten_params *)*params)->axis = fc_attr_int(at, "axis", 1);
    return rc;
}

/* (d0..dr-1) -> (d0*..*d(axis-1), daxis*..*dr-1); axis in [-r, r]. */
static fc_status flatten_shape(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, fc_error *err)
{
    const flatten_params *p = params;
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc)
        return rc;
    int r = in[0]->shape.ndim;
    int64_t axis = p ? p->axis : 1;
    if (axis < -r || axis > r)
        return fc_error_set(err, FC_ERR_SHAPE, "axis %lld out of range for rank %d",
                            (long long)axis, r);
    if (axis < 0)
        axis += r;
    fc_shape s = {.ndim = 2, .d = {1, 1}};
    for (int i = 0; i < r; i++) /* a 0 elsewhere lets a part overflow: check */
        if (fc_mul_overflow(s.d[i < axis ? 0 : 1], in[0]->shape.d[i], &s.d[i < axis ? 0 : 1]))
            return fc_error_set(err, FC_ERR_LIMIT, "flattened dims overflow");
    return set_alias_out(in, out, &s, err);
}

const fc_op_def fc_op_flatten = {
    .name = "Flatten", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .parse = flatten_parse, .shape = flatten_shape, .alias = 1,
};

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------- */

typedef struct {
    int from_input; /* opset >= 13: axes come from input 1 */
    int n_axes;     /* -1: no axes attribute */
    int64_t axes[FC_MAX_DIMS];
} axes_params;

static fc_status axes_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const int64_t *axes = NULL;
    int n = at->opset >= 13 ? -1 : fc_attr_ints(at, "axes", &axes);
    if (n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "%d axes > %d", n, FC_MAX_DIMS);
    fc_status rc = fc_op_new_params(params, sizeof(axes_params), err);
    if (rc)
        return rc;
    axes_params *p = *params;
    p->from_input = at->opset >= 13;
    p->n_axes = n;
    for (int i = 0; i < n; i++)
        p->axes[i] = axes[i];
    return FC_OK;
}

/* The axes list of a Squeeze/Unsqueeze node: the attribute, input 1, or none (*n = -1). */
static fc_status get_axes(const axes_params *p, fc_tensor *const *in, int n_in,
                          const int64_t **axes, int64_t *n, fc_error *err)
{
    *n = -1;
    if (p && !p->from_input) {
        *axes = p->axes;
        *n = p->n_axes;
        return FC_OK;
    }
    if (n_in < 2 || !in[1])
        return FC_OK;
    fc_status rc = fc_op_const_ints(in, n_in, 1, "axes", axes, n, err);
    if (!rc && *n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "%lld axes > %d", (long long)*n,
                            FC_MAX_DIMS);
    return rc;
}

/* Marks axes (relative to rank) in mark[]; FC_ERR_SHAPE if out of range, or repeated
 * when that is not allowed (Squeeze tolerates repeats, like ONNX Runtime). */
static fc_status mark_axes(const int64_t *axes, int64_t n, int rank, int repeats, int *mark,
                           fc_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        int k = fc_axis(axes[i], rank);
        if (k < 0 || (mark[k] && !repeats))
            return fc_error_set(err, FC_ERR_SHAPE, "axis %lld is out of range or repeated "
                                "(rank %d)", (long long)axes[i], rank);
        mark[k] = 1;
    }
    return FC_OK;
}

/* Removes the listed 1-dims (all 1-dims when no axes are given). */
static fc_status squeeze_shape(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, fc_error *err)
{
    const int64_t *axes = NULL;
    int64_t n;
    int mark[FC_MAX_DIMS] = {0};
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = get_axes(params, in, n_in, &axes, &n, err)))
        return rc;
    const fc_shape *x = &in[0]->shape;
    if (n == 0)
        n = -1; /* like ONNX Runtime: empty axes squeeze every 1-dim */
    if (n >= 0 && (rc = mark_axes(axes, n, x->ndim, 1, mark, err)))
        return rc;
    fc_shape s = {0};
    for (int i = 0; i < x->ndim; i++) {
        if (n < 0 && x->d[i] == 1)
            continue;
        if (!mark[i]) {
            s.d[s.ndim++] = x->d[i];
        } else if (x->d[i] != 1) {
            char buf[160];
            return fc_error_set(err, FC_ERR_SHAPE, "cannot squeeze axis %d of %s", i,
                                fc_shape_str(x, buf, sizeof buf));
        }
    }
    return set_alias_out(in, out, &s, err);
}

/* Inserts 1-dims at the listed axes of the output. */
static fc_status unsqueeze_shape(const void *params, fc_tensor *const *in, int n_in,
                                 fc_tensor *const *out, int n_out, fc_error *err)
{
    const int64_t *axes = NULL;
    int64_t n;
    int mark[FC_MAX_DIMS] = {0};
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = get_axes(params, in, n_in, &axes, &n, err)))
        return rc;
    if (n < 0)
        return fc_error_set(err, FC_ERR_FORMAT, "axes are required");
    const fc_shape *x = &in[0]->shape;
    if (x->ndim + n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "output rank %lld > %d",
                            (long long)(x->ndim + n), FC_MAX_DIMS);
    fc_shape s = {.ndim = x->ndim + (int)n};
    if ((rc = mark_axes(axes, n, s.ndim, 0, mark, err)))
        return rc;
    for (int i = 0, j = 0; i < s.ndim; i++)
        s.d[i] = mark[i] ? 1 : x->d[j++];
    return set_alias_out(in, out, &s, err);
}

const fc_op_def fc_op_squeeze = {
    .name = "Squeeze", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .parse = axes_parse, .shape = squeeze_shape, .alias = 1,
};

const fc_op_def fc_op_unsqueeze = {
    .name = "Unsqueeze", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .parse = axes_parse, .shape = unsqueeze_shape, .alias = 1,
};

/* ---- Identity / Dropout ----------------------------------------------------------- */

static fc_status identity_shape(const void *params, fc_tensor *const *in, int n_in,
                                fc_tensor *const *out, int n_out, fc_error *err)
{
    FC_UNUSED(params), FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    return rc ? rc : set_alias_out(in, out, &in[0]->shape, err);
}

/* Inference Dropout is Identity; a training_mode input (opset 12) must be a constant 0. */
static fc_status dropout_shape(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, fc_error *err)
{
    if (n_in > 2 && in[2]) {
        const fc_tensor *t = in[2];
        if (!t->data || t->dtype != FC_DT_INT64 || fc_shape_numel(&t->shape) != 1)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "training_mode must be a constant");
        if (*(const int64_t *)t->data != 0)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "training mode is not supported");
    }
    return identity_shape(params, in, n_in, out, n_out, err);
}

const fc_op_def fc_op_identity = {
    .name = "Identity", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .shape = identity_shape, .alias = 1,
};

const fc_op_def fc_op_dropout = {
    .name = "Dropout", .min_inputs = 1, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .shape = dropout_shape, .alias = 1,
};

/* ---- Shape ------------------------------------------------------------------------ */

typedef struct {
    int64_t start, end; /* opset 15; end = INT64_MAX when absent */
} shape_params;

static fc_status shape_parse(const fc_attrs *at, void **params, fc_error *err)
{
    fc_status rc = fc_op_new_params(params, sizeof(shape_params), err);
    if (rc)
        return rc;
    shape_params *p = *params;
    p->start = fc_attr_int(at, "start", 0);
    p->end = fc_attr_int(at, "end", INT64_MAX);
    return FC_OK;
}

/* Clamps a start/end attribute into [0, rank] the ONNX way. */
static int clamp_dim_index(int64_t v, int rank)
{
    if (v < 0)
        v = v < -(int64_t)rank ? 0 : v + rank;
    return v > rank ? rank : (int)v;
}

static void shape_range(const shape_params *p, int rank, int *start, int *end)
{
    *start = clamp_dim_index(p ? p->start : 0, rank);
    *end = clamp_dim_index(p ? p->end : INT64_MAX, rank);
    if (*end < *start)
        *end = *start;
}

/* data (any) -> (end - start,) int64 dims. Does not read input data. */
static fc_status shape_shape(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out, fc_error *err)
{
    int start, end;
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc)
        return rc;
    shape_range(params, in[0]->shape.ndim, &start, &end);
    out[0]->dtype = FC_DT_INT64;
    out[0]->shape = (fc_shape){.ndim = 1, .d = {end - start}};
    return FC_OK;
}

static fc_status shape_ref(const void *params, fc_tensor *const *in, int n_in,
                           fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    int start, end;
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    shape_range(params, in[0]->shape.ndim, &start, &end);
    int64_t *y = out[0]->data;
    for (int i = start; i < end; i++)
        y[i - start] = in[0]->shape.d[i];
    return FC_OK;
}

const fc_op_def fc_op_shape = {
    .name = "Shape", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .parse = shape_parse, .shape = shape_shape, .ref = shape_ref, .shape_only = 1,
};

/* ---- Constant --------------------------------------------------------------------- */

typedef struct {
    fc_dtype dtype;
    fc_shape shape;
    int64_t bytes;
    int64_t data[]; /* bytes of element data, 8-byte aligned */
} constant_params;

/* The attribute names Constant understands (the others are unsupported). */
static const char *const constant_names[] = {
    "value", "value_float", "value_floats", "value_int", "value_ints",
};
static const char *const constant_unsupported[] = {
    "sparse_value", "value_string", "value_strings",
};

/* Views a Constant attribute as a tensor. */
static fc_status constant_view(const fc_attr *a, fc_tensor *t, fc_error *err)
{
    int ok = 1;
    if (strcmp(a->name, "value") == 0) {
        ok = a->type == FC_ATTR_TENSOR && a->t;
        if (ok)
            *t = *a->t;
    } else if (strcmp(a->name, "value_float") == 0) {
        ok = a->type == FC_ATTR_FLOAT;
        *t = (fc_tensor){FC_DT_FLOAT, {0}, (void *)&a->f};
    } else if (strcmp(a->name, "value_floats") == 0) {
        ok = a->type == FC_ATTR_FLOATS && a->n <= (size_t)FC_OP_MAX_NUMEL;
        *t = (fc_tensor){FC_DT_FLOAT, {.ndim = 1, .d = {(int64_t)a->n}}, (void *)a->floats};
    } else if (strcmp(a->name, "value_int") == 0) {
        ok = a->type == FC_ATTR_INT;
        *t = (fc_tensor){FC_DT_INT64, {0}, (void *)&a->i};
    } else {
        ok = a->type == FC_ATTR_INTS && a->n <= (size_t)FC_OP_MAX_NUMEL;
        *t = (fc_tensor){FC_DT_INT64, {.ndim = 1, .d = {(int64_t)a->n}}, (void *)a->ints};
    }
    if (!ok)
        return fc_error_set(err, FC_ERR_FORMAT, "attribute '%s' has the wrong type", a->name);
    if (t->dtype != FC_DT_FLOAT && t->dtype != FC_DT_INT64)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "value has dtype %s",
                            fc_dtype_name(t->dtype));
    return fc_op_check_numel(&t->shape, err);
}

/* Finds the one value attribute of a Constant node. */
static fc_status constant_find(const fc_attrs *at, const fc_attr **found, fc_error *err)
{
    size_t n_names = sizeof constant_names / sizeof constant_names[0];
    size_t n_unsup = sizeof constant_unsupported / sizeof constant_unsupported[0];
    *found = NULL;
    for (int i = 0; i < at->n; i++) {
        for (size_t k = 0; k < n_unsup; k++)
            if (strcmp(at->a[i].name, constant_unsupported[k]) == 0)
                return fc_error_set(err, FC_ERR_UNSUPPORTED, "attribute '%s'", at->a[i].name);
        for (size_t k = 0; k < n_names; k++) {
            if (strcmp(at->a[i].name, constant_names[k]) != 0)
                continue;
            if (*found)
                return fc_error_set(err, FC_ERR_FORMAT, "more than one value attribute");
            *found = &at->a[i];
        }
    }
    return *found ? FC_OK : fc_error_set(err, FC_ERR_FORMAT, "no value attribute");
}

/* Copies the value attribute into params (the attribute is freed after parsing). */
static fc_status constant_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const fc_attr *a;
    fc_tensor t;
    fc_status rc = constant_find(at, &a, err);
    if (rc || (rc = constant_view(a, &t, err)))
        return rc;
    int64_t bytes = fc_tensor_bytes(&t);
    if (bytes > 0 && !t.data)
        return fc_error_set(err, FC_ERR_FORMAT, "value has no data");
    size_t words = ((size_t)bytes + 7) / 8;
    constant_params *p = malloc(sizeof *p + words * sizeof p->data[0]);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->dtype = t.dtype;
    p->shape = t.shape;
    p->bytes = bytes;
    if (bytes > 0)
        memcpy(p->data, t.data, (size_t)bytes);
    *params = p;
    return FC_OK;
}

static fc_status constant_shape(const void *params, fc_tensor *const *in, int n_in,
                                fc_tensor *const *out, int n_out, fc_error *err)
{
    const constant_params *p = params;
    FC_UNUSED(in), FC_UNUSED(n_in), FC_UNUSED(n_out);
    if (!p)
        return fc_error_set(err, FC_ERR_INTERNAL, "Constant without params");
    out[0]->dtype = p->dtype;
    out[0]->shape = p->shape;
    return FC_OK;
}

static fc_status constant_ref(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const constant_params *p = params;
    FC_UNUSED(in), FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    if (p->bytes > 0)
        memcpy(out[0]->data, p->data, (size_t)p->bytes);
    return FC_OK;
}

const fc_op_def fc_op_constant = {
    .name = "Constant", .min_inputs = 0, .max_inputs = 0, .min_outputs = 1, .max_outputs = 1,
    .parse = constant_parse, .shape = constant_shape, .ref = constant_ref,
};

/* ---- ConstantOfShape -------------------------------------------------------------- */

typedef struct {
    fc_dtype dtype;
    float f;
    int64_t i;
} fill_params;

static fc_status fill_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const fc_attr *a = fc_attr_find(at, "value");
    fill_params v = {FC_DT_FLOAT, 0.0f, 0};
    if (a) {
        const fc_tensor *t = a->type == FC_ATTR_TENSOR ? a->t : NULL;
        if (!t || fc_shape_numel(&t->shape) != 1 || !t->data)
            return fc_error_set(err, FC_ERR_FORMAT, "value must be a 1-element tensor");
        if (t->dtype == FC_DT_FLOAT)
            v.f = *(const float *)t->data;
        else if (t->dtype == FC_DT_INT64)
            v.i = *(const int64_t *)t->data;
        else
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "value has dtype %s",
                                fc_dtype_name(t->dtype));
        v.dtype = t->dtype;
    }
    fc_status rc = fc_op_new_params(params, sizeof v, err);
    if (!rc)
        *(fill_params *)*params = v;
    return rc;
}

/* shape (k,) int64 constant -> tensor of that shape filled with value. */
static fc_status fill_shape(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, fc_error *err)
{
    const fill_params *p = params;
    const int64_t *v;
    int64_t n;
    FC_UNUSED(n_out);
    fc_status rc = fc_op_const_ints(in, n_in, 0, "input", &v, &n, err);
    if (rc)
        return rc;
    if (n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "output rank %lld > %d", (long long)n,
                            FC_MAX_DIMS);
    fc_shape s = fc_shape_make((int)n, v);
    if ((rc = fc_op_check_numel(&s, err)))
        return rc;
    out[0]->dtype = p ? p->dtype : FC_DT_FLOAT;
    out[0]->shape = s;
    return FC_OK;
}

static fc_status fill_ref(const void *params, fc_tensor *const *in, int n_in,
                          fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const fill_params *p = params;
    int64_t n = fc_shape_numel(&out[0]->shape);
    FC_UNUSED(in), FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    if (out[0]->dtype == FC_DT_INT64) {
        int64_t *y = out[0]->data;
        for (int64_t i = 0; i < n; i++)
            y[i] = p->i;
    } else {
        float *y = out[0]->data;
        for (int64_t i = 0; i < n; i++)
            y[i] = p ? p->f : 0.0f;
    }
    return FC_OK;
}

const fc_op_def fc_op_constant_of_shape = {
    .name = "ConstantOfShape", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = fill_parse, .shape = fill_shape, .ref = fill_ref,
};
