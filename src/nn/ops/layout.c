/* layout.c - ops that move data without arithmetic: Transpose, Concat, Split, Slice,
 * Gather. All work on float32 and int64 alike (they copy 4- or 8-byte elements). */
#include "nn/ops/ops.h"
#include "nn/ops/common.h"
#include "nn/ops/copy.h"
#include "nn/ops/inspect.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------- */

/* Checks that in[i] is present, holds float32 or int64, and no dim exceeds the size
 * limit (so that, with the element count checked, no product of dims overflows). */
static fc_status data_input(fc_tensor *const *in, int n_in, int i, fc_error *err)
{
    if (i >= n_in || !in[i])
        return fc_error_set(err, FC_ERR_FORMAT, "input %d is missing", i);
    if (in[i]->dtype != FC_DT_FLOAT && in[i]->dtype != FC_DT_INT64)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "input %d has dtype %s", i,
                            fc_dtype_name(in[i]->dtype));
    for (int k = 0; k < in[i]->shape.ndim; k++)
        if (in[i]->shape.d[k] > FC_OP_MAX_NUMEL)
            return fc_error_set(err, FC_ERR_LIMIT, "input %d: dim %d is too large", i, k);
    return fc_op_check_numel(&in[i]->shape, err);
}

/* Product of dims [from, to). Callers skip empty tensors, so with every dim at most
 * FC_OP_MAX_NUMEL and the element count checked this does not overflow. */
static int64_t dims_product(const fc_shape *s, int from, int to)
{
    int64_t n = 1;
    for (int i = from; i < to; i++)
        n *= s->d[i];
    return n;
}

typedef struct {
    int64_t axis;
} axis_params;

static fc_status axis_parse(const fc_attrs *at, void **params, fc_error *err)
{
    fc_status rc = fc_op_new_params(params, sizeof(axis_params), err);
    if (!rc)
        ((axis_params *)*params)->axis = fc_attr_int(at, "axis", 0);
    return rc;
}

/* ---- Transpose -------------------------------------------------------------------- */

typedef struct {
    int n_perm; /* -1: reverse the dims */
    int64_t perm[FC_MAX_DIMS];
} transpose_params;

static fc_status transpose_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const int64_t *perm = NULL;
    int n = fc_attr_ints(at, "perm", &perm);
    if (n > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "perm has %d > %d entries", n, FC_MAX_DIMS);
    fc_status rc = fc_op_new_params(params, sizeof(transpose_params), err);
    if (rc)
        return rc;
    transpose_params *p = *params;
    p->n_perm = n;
    for (int i = 0; i < n; i++)
        p->perm[i] = perm[i];
    return FC_OK;
}

/* The permutation for rank r; FC_ERR_SHAPE unless it is one. */
static fc_status transpose_perm(const transpose_params *p, int r, int *perm, fc_error *err)
{
    int seen[FC_MAX_DIMS] = {0};
    if (!p || p->n_perm < 0) {
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
        return FC_OK;
    }
    if (p->n_perm != r)
        return fc_error_set(err, FC_ERR_SHAPE, "perm has %d entries for rank %d", p->n_perm, r);
    for (int i = 0; i < r; i++) {
        int64_t v = p->perm[i];
        if (v < 0 || v >= r || seen[v])
            return fc_error_set(err, FC_ERR_SHAPE, "perm is not a permutation of 0..%d", r - 1);
        seen[v] = 1;
        perm[i] = (int)v;
    }
    return FC_OK;
}

/* x (d0..dr-1) -> y (d[perm[0]]..d[perm[r-1]]) */
static fc_status transpose_shape(const void *params, fc_tensor *const *in, int n_in,
                                 fc_tensor *const *out, int n_out, fc_error *err)
{
    int perm[FC_MAX_DIMS];
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = transpose_perm(params, in[0]->shape.ndim, perm, err)))
        return rc;
    const fc_shape *x = &in[0]->shape;
    out[0]->dtype = in[0]->dtype;
    out[0]->shape.ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++)
        out[0]->shape.d[i] = x->d[perm[i]];
    return FC_OK;
}

static fc_status transpose_ref(const void *params, fc_tensor *const *in, int n_in,
                               fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    int perm[FC_MAX_DIMS];
    int64_t xs[FC_MAX_DIMS];
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = transpose_perm(params, in[0]->shape.ndim, perm, err);
    if (rc || fc_shape_numel(&in[0]->shape) == 0)
        return rc;
    fc_shape_strides(&in[0]->shape, xs);
    fc_copy_walk w = {.ndim = out[0]->shape.ndim};
    for (int i = 0; i < w.ndim; i++) {
        w.d[i] = out[0]->shape.d[i];
        w.st[i] = xs[perm[i]];
    }
    fc_copy_strided(out[0]->data, in[0]->data, w, (int64_t)fc_dtype_size(in[0]->dtype));
    return FC_OK;
}

const fc_op_def fc_op_transpose = {
    .name = "Transpose", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .parse = transpose_parse, .shape = transpose_shape, .ref = transpose_ref,
};

/* ---- Concat ----------------------------------------------------------------------- */

/* n inputs, equal but for dim axis -> their concatenation along axis. */
static fc_status concat_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    const axis_params *p = params;
    char a[160], b[160];
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc)
        return rc;
    fc_shape s = in[0]->shape;
    int axis = fc_axis(p ? p->axis : 0, s.ndim);
    if (axis < 0)
        return fc_error_set(err, FC_ERR_SHAPE, "axis %lld out of range for %s",
                            (long long)(p ? p->axis : 0), fc_shape_str(&s, a, sizeof a));
    for (int i = 1; i < n_in; i++) {
        if ((rc = data_input(in, n_in, i, err)))
            return rc;
        const fc_shape *t = &in[i]->shape;
        int same = t->ndim == s.ndim && in[i]->dtype == in[0]->dtype;
        for (int k = 0; same && k < s.ndim; k++)
            same = k == axis || t->d[k] == s.d[k];
        if (!same)
            return fc_error_set(err, FC_ERR_SHAPE, "cannot concat %s %s and %s %s on axis %d",
                                fc_dtype_name(in[0]->dtype), fc_shape_str(&s, a, sizeof a),
                                fc_dtype_name(in[i]->dtype), fc_shape_str(t, b, sizeof b), axis);
        if (t->d[axis] > FC_OP_MAX_NUMEL - s.d[axis])
            return fc_error_set(err, FC_ERR_LIMIT, "concatenated axis too long");
        s.d[axis] += t->d[axis];
    }
    out[0]->dtype = in[0]->dtype;
    out[0]->shape = s;
    return fc_op_check_numel(&s, err);
}

static fc_status concat_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const axis_params *p = params;
    const fc_shape *s = &out[0]->shape;
    int axis = fc_axis(p ? p->axis : 0, s->ndim);
    int64_t es = (int64_t)fc_dtype_size(out[0]->dtype);
    unsigned char *y = out[0]->data;
    FC_UNUSED(n_out), FC_UNUSED(scratch), FC_UNUSED(err);
    if (fc_shape_numel(s) == 0)
        return FC_OK;
    int64_t outer = dims_product(s, 0, axis), inner = dims_product(s, axis + 1, s->ndim);
    int64_t row = s->d[axis] * inner * es; /* bytes of y per outer index */
    for (int i = 0; i < n_in; i++) {
        int64_t chunk = in[i]->shape.d[axis] * inner * es;
        fc_copy_rows(y, row, in[i]->data, chunk, outer, chunk);
        y += chunk;
    }
    return FC_OK;
}

const fc_op_def fc_op_concat = {
    .name = "Concat", .min_inputs = 1, .max_inputs = 1024, .min_outputs = 1, .max_outputs = 1,
    .parse = axis_parse, .shape = concat_shape, .ref = concat_ref,
};

/* ---- Split ------------------------------------------------------------------------ */

typedef struct {
    int64_t axis;
    int from_input; /* opset >= 13: sizes come from optional input 1 */
    int n_split;    /* -1: equal parts */
    int64_t split[];
} split_params;

static fc_status split_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const int64_t *split = NULL;
    int n = at->opset >= 13 ? -1 : fc_attr_ints(at, "split", &split);
    split_params *p = calloc(1, sizeof *p + (size_t)(n > 0 ? n : 0) * sizeof p->split[0]);
    if (!p)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    p->axis = fc_attr_int(at, "axis", 0);
    p->from_input = at->opset >= 13;
    p->n_split = n;
    for (int i = 0; i < n; i++)
        p->split[i] = split[i];
    *params = p;
    return FC_OK;
}

/* x -> n_out parts along axis: sizes from the attribute / input, else equal parts. */
static fc_status split_shape(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out, fc_error *err)
{
    const split_params *p = params;
    const int64_t *sizes = p->n_split > 0 ? p->split : NULL;
    int64_t n = p->n_split, sum = 0;
    char buf[160];
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc)
        return rc;
    if (p->from_input && n_in > 1 && in[1] && fc_shape_numel(&in[1]->shape) != 0 &&
        (rc = fc_op_const_ints(in, n_in, 1, "split", &sizes, &n, err)))
        return rc;
    const fc_shape *x = &in[0]->shape;
    int axis = fc_axis(p->axis, x->ndim);
    if (axis < 0)
        return fc_error_set(err, FC_ERR_SHAPE, "axis %lld out of range for %s",
                            (long long)p->axis, fc_shape_str(x, buf, sizeof buf));
    if (sizes && n != n_out)
        return fc_error_set(err, FC_ERR_SHAPE, "split has %lld sizes for %d outputs",
                            (long long)n, n_out);
    if (!sizes && x->d[axis] % n_out != 0)
        return fc_error_set(err, FC_ERR_SHAPE, "cannot split %s in %d equal parts on axis %d",
                            fc_shape_str(x, buf, sizeof buf), n_out, axis);
    for (int i = 0; i < n_out; i++) {
        int64_t d = sizes ? sizes[i] : x->d[axis] / n_out;
        if (d < 0 || d > x->d[axis] - sum)
            return fc_error_set(err, FC_ERR_SHAPE, "split sizes do not add up to %lld",
                                (long long)x->d[axis]);
        sum += d;
        out[i]->dtype = in[0]->dtype;
        out[i]->shape = *x;
        out[i]->shape.d[axis] = d;
    }
    if (sum != x->d[axis])
        return fc_error_set(err, FC_ERR_SHAPE, "split sizes do not add up to %lld",
                            (long long)x->d[axis]);
    return FC_OK;
}

/* The sizes are read back from the output shapes. */
static fc_status split_ref(const void *params, fc_tensor *const *in, int n_in,
                           fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const split_params *p = params;
    const fc_shape *s = &in[0]->shape;
    int axis = fc_axis(p->axis, s->ndim);
    int64_t es = (int64_t)fc_dtype_size(in[0]->dtype);
    const unsigned char *x = in[0]->data;
    FC_UNUSED(n_in), FC_UNUSED(scratch), FC_UNUSED(err);
    if (fc_shape_numel(s) == 0)
        return FC_OK;
    int64_t outer = dims_product(s, 0, axis), inner = dims_product(s, axis + 1, s->ndim);
    int64_t row = s->d[axis] * inner * es; /* bytes of x per outer index */
    for (int i = 0; i < n_out; i++) {
        int64_t chunk = out[i]->shape.d[axis] * inner * es;
        fc_copy_rows(out[i]->data, chunk, x, row, outer, chunk);
        x += chunk;
    }
    return FC_OK;
}

const fc_op_def fc_op_split = {
    .name = "Split", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1024,
    .parse = split_parse, .shape = split_shape, .ref = split_ref,
};

/* ---- Slice ------------------------------------------------------------------------ */

typedef struct {
    int from_inputs; /* opset >= 10: starts, ends, axes, steps are inputs 1..4 */
    int n;           /* opset < 10: the attributes (axes default to 0..n-1) */
    int64_t starts[FC_MAX_DIMS], ends[FC_MAX_DIMS], axes[FC_MAX_DIMS];
} slice_params;

static fc_status slice_parse(const fc_attrs *at, void **params, fc_error *err)
{
    const int64_t *starts = NULL, *ends = NULL, *axes = NULL;
    int n = 0, n_axes = -1;
    if (at->opset < 10) {
        n = fc_attr_ints(at, "starts", &starts);
        n_axes = fc_attr_ints(at, "axes", &axes);
        if (n < 0 || fc_attr_ints(at, "ends", &ends) != n || (n_axes >= 0 && n_axes != n))
            return fc_error_set(err, FC_ERR_FORMAT, "starts, ends and axes must have one "
                                "entry per sliced axis");
        if (n > FC_MAX_DIMS)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "%d sliced axes > %d", n, FC_MAX_DIMS);
    }
    fc_status rc = fc_op_new_params(params, sizeof(slice_params), err);
    if (rc)
        return rc;
    slice_params *p = *params;
    p->from_inputs = at->opset >= 10;
    p->n = n;
    for (int i = 0; i < n; i++) {
        p->starts[i] = starts[i];
        p->ends[i] = ends[i];
        p->axes[i] = n_axes >= 0 ? axes[i] : i;
    }
    return FC_OK;
}

/* The per-axis arguments of a Slice node; axes and steps NULL when absent. */
typedef struct {
    const int64_t *starts, *ends, *axes, *steps;
    int64_t n;
} slice_args;

static fc_status slice_get_args(const slice_params *p, fc_tensor *const *in, int n_in,
                                slice_args *a, fc_error *err)
{
    static const char *const names[] = {"starts", "ends", "axes", "steps"};
    const int64_t **dst[] = {&a->starts, &a->ends, &a->axes, &a->steps};
    *a = (slice_args){p->starts, p->ends, p->axes, NULL, p->n};
    if (!p->from_inputs)
        return FC_OK;
    for (int i = 0; i < 4; i++) {
        int64_t n;
        *dst[i] = NULL;
        if (i >= 2 && (i + 1 >= n_in || !in[i + 1]))
            continue; /* axes and steps are optional */
        fc_status rc = fc_op_const_ints(in, n_in, i + 1, names[i], dst[i], &n, err);
        if (rc)
            return rc;
        if (i > 0 && n != a->n)
            return fc_error_set(err, FC_ERR_SHAPE, "'%s' has %lld entries, 'starts' %lld",
                                names[i], (long long)n, (long long)a->n);
        a->n = n;
    }
    return FC_OK;
}

/* Where a sliced axis starts, its step, and its length. */
typedef struct {
    int64_t start[FC_MAX_DIMS], step[FC_MAX_DIMS];
    fc_shape shape;
} slice_plan;

/* ONNX clamping for one axis of length d: negative starts/ends count from the end,
 * then clamp to [0, d] (step > 0) or [0, d-1] / [-1, d-1] (step < 0). Like ONNX
 * Runtime, an end of INT64_MAX or INT32_MAX means "to the end" for negative steps too. */
static void slice_axis(int64_t d, int64_t s, int64_t e, int64_t step, slice_plan *pl, int k)
{
    int64_t lim = d > 0 ? d : 1, len;
    int to_end = step < 0 && (e == INT64_MAX || e == INT32_MAX);
    if (d == 0) {
        pl->start[k] = 0, pl->step[k] = 1, pl->shape.d[k] = 0;
        return;
    }
    if (s < 0)
        s += d;
    if (e < 0)
        e += d;
    if (step > lim) /* a step beyond d takes at most one element either way */
        step = lim;
    if (step < -lim)
        step = -lim;
    if (step > 0) {
        s = s < 0 ? 0 : s > d ? d : s;
        e = e < 0 ? 0 : e > d ? d : e;
        len = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
        s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
        e = to_end || e < -1 ? -1 : e > d - 1 ? d - 1 : e;
        len = s > e ? (s - e - 1) / -step + 1 : 0;
    }
    pl->start[k] = len > 0 ? s : 0;
    pl->step[k] = step;
    pl->shape.d[k] = len;
}

static fc_status slice_make_plan(const slice_params *p, fc_tensor *const *in, int n_in,
                                 slice_plan *pl, fc_error *err)
{
    slice_args a;
    int seen[FC_MAX_DIMS] = {0};
    fc_status rc = slice_get_args(p, in, n_in, &a, err);
    if (rc)
        return rc;
    const fc_shape *x = &in[0]->shape;
    pl->shape = *x;
    for (int k = 0; k < x->ndim; k++)
        pl->start[k] = 0, pl->step[k] = 1;
    for (int64_t i = 0; i < a.n; i++) {
        int k = fc_axis(a.axes ? a.axes[i] : i, x->ndim);
        if (k < 0 || seen[k])
            return fc_error_set(err, FC_ERR_SHAPE, "slice axis %lld out of range or repeated "
                                "(rank %d)", (long long)(a.axes ? a.axes[i] : i), x->ndim);
        int64_t step = a.steps ? a.steps[i] : 1;
        if (step == 0)
            return fc_error_set(err, FC_ERR_SHAPE, "slice step 0");
        seen[k] = 1;
        slice_axis(x->d[k], a.starts[i], a.ends[i], step, pl, k);
    }
    return FC_OK;
}

static fc_status slice_shape(const void *params, fc_tensor *const *in, int n_in,
                             fc_tensor *const *out, int n_out, fc_error *err)
{
    slice_plan pl;
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = slice_make_plan(params, in, n_in, &pl, err)))
        return rc;
    out[0]->dtype = in[0]->dtype;
    out[0]->shape = pl.shape;
    return FC_OK;
}

/* The plan is recomputed from the (constant) inputs: params hold no per-shape state. */
static fc_status slice_ref(const void *params, fc_tensor *const *in, int n_in,
                           fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    slice_plan pl;
    int64_t xs[FC_MAX_DIMS], off = 0, es = (int64_t)fc_dtype_size(in[0]->dtype);
    FC_UNUSED(n_out), FC_UNUSED(scratch);
    fc_status rc = slice_make_plan(params, in, n_in, &pl, err);
    if (rc || fc_shape_numel(&pl.shape) == 0)
        return rc;
    fc_shape_strides(&in[0]->shape, xs);
    fc_copy_walk w = {.ndim = pl.shape.ndim};
    for (int k = 0; k < w.ndim; k++) {
        off += pl.start[k] * xs[k];
        w.d[k] = pl.shape.d[k];
        w.st[k] = pl.step[k] * xs[k];
    }
    fc_copy_strided(out[0]->data, (const unsigned char *)in[0]->data + off * es, w, es);
    return FC_OK;
}

const fc_op_def fc_op_slice = {
    .name = "Slice", .min_inputs = 1, .max_inputs = 5, .min_outputs = 1, .max_outputs = 1,
    .parse = slice_parse, .shape = slice_shape, .ref = slice_ref,
};

/* ---- Gather ----------------------------------------------------------------------- */

/* data (d0..dr-1), indices int64 (any rank) -> data[:axis] + indices + data[axis+1:] */
static fc_status gather_shape(const void *params, fc_tensor *const *in, int n_in,
                              fc_tensor *const *out, int n_out, fc_error *err)
{
    const axis_params *p = params;
    char a[160], b[160];
    FC_UNUSED(n_out);
    fc_status rc = data_input(in, n_in, 0, err);
    if (rc || (rc = data_input(in, n_in, 1, err)))
        return rc;
    const fc_shape *x = &in[0]->shape, *ix = &in[1]->shape;
    int axis = fc_axis(p ? p->axis : 0, x->ndim);
    if (in[1]->dtype != FC_DT_INT64)
        return fc_error_set(err, FC_ERR_SHAPE, "indices must be int64, not %s",
                            fc_dtype_name(in[1]->dtype));
    if (axis < 0)
        return fc_error_set(err, FC_ERR_SHAPE, "axis %lld out of range for %s",
                            (long long)(p ? p->axis : 0), fc_shape_str(x, a, sizeof a));
    if (x->ndim - 1 + ix->ndim > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "gather %s by %s: output rank > %d",
                            fc_shape_str(x, a, sizeof a), fc_shape_str(ix, b, sizeof b),
                            FC_MAX_DIMS);
    fc_shape s = {0};
    for (int i = 0; i < axis; i++)
        s.d[s.ndim++] = x->d[i];
    for (int i = 0; i < ix->ndim; i++)
        s.d[s.ndim++] = ix->d[i];
    for (int i = axis + 1; i < x->ndim; i++)
        s.d[s.ndim++] = x->d[i];
    out[0]->dtype = in[0]->dtype;
    out[0]->shape = s;
    return fc_op_check_numel(&s, err);
}

/* Indices in [-d, d) wrap; others are FC_ERR_ARG, checked before anything is read. */
static fc_status gather_ref(const void *params, fc_tensor *const *in, int n_in,
                            fc_tensor *const *out, int n_out, void *scratch, fc_error *err)
{
    const axis_params *p = params;
    const fc_shape *s = &in[0]->shape;
    int axis = fc_axis(p ? p->axis : 0, s->ndim);
    int64_t d = s->d[axis], n_idx = fc_shape_numel(&in[1]->shape);
    const int64_t *idx = in[1]->data;
    const unsigned char *x = in[0]->data;
    unsigned char *y = out[0]->data;
    FC_UNUSED(n_in), FC_UNUSED(n_out), FC_UNUSED(scratch);
    for (int64_t j = 0; j < n_idx; j++)
        if (idx[j] < -d || idx[j] >= d)
            return fc_error_set(err, FC_ERR_ARG, "index %lld out of range for dim %lld",
                                (long long)idx[j], (long long)d);
    if (fc_shape_numel(&out[0]->shape) == 0)
        return FC_OK;
    int64_t outer = dims_product(s, 0, axis), inner = dims_product(s, axis + 1, s->ndim);
    int64_t chunk = inner * (int64_t)fc_dtype_size(in[0]->dtype);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < n_idx; j++) {
            int64_t v = idx[j] < 0 ? idx[j] + d : idx[j];
            memcpy(y, x + (o * d + v) * chunk, (size_t)chunk);
            y += chunk;
        }
    }
    return FC_OK;
}

const fc_op_def fc_op_gather = {
    .name = "Gather", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .parse = axis_parse, .shape = gather_shape, .ref = gather_ref,
};

int64_t fc_axis_param(const void *params) { return ((const axis_params *)params)->axis; }

fc_status fc_transpose_perm(const void *params, int r, int *perm, fc_error *err)
{
    return transpose_perm(params, r, perm, err);
}

fc_status fc_slice_window(const void *params, fc_tensor *const *in, int n_in, int64_t *start,
                          int64_t *step, fc_error *err)
{
    slice_plan pl;
    fc_status rc = slice_make_plan(params, in, n_in, &pl, err);
    for (int k = 0; !rc && k < in[0]->shape.ndim; k++)
        start[k] = pl.start[k], step[k] = pl.step[k];
    return rc;
}
