/* op_util.c - see op_util.h. */
#include "op_util.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fc_status fc_test_run_op(const fc_op_def *op, const fc_attr *attrs, int n_attrs, int opset,
                         fc_tensor *const *in, int n_in, fc_tensor *const *out, int n_out,
                         fc_error *err)
{
    fc_attrs at = {attrs, n_attrs, opset, "test_node", op->name};
    void *params = NULL, *scratch = NULL;
    fc_status rc = FC_OK;
    for (int i = 0; i < n_out; i++)
        out[i]->data = NULL;
    if (op->parse && (rc = op->parse(&at, &params, err)))
        goto out;
    if ((rc = op->shape(params, in, n_in, out, n_out, err)))
        goto out;
    for (int i = 0; i < n_out; i++) {
        int64_t bytes = fc_tensor_bytes(out[i]);
        if (bytes < 0) {
            rc = fc_error_set(err, FC_ERR_SHAPE, "output %d has a bad shape", i);
            goto out;
        }
        out[i]->data = fc_aligned_alloc((size_t)bytes);
    }
    if (op->alias) {
        memcpy(out[0]->data, in[0]->data, (size_t)fc_tensor_bytes(out[0]));
        goto out;
    }
    size_t sbytes = op->scratch ? op->scratch(params, in, n_in, out, n_out) : 0;
    scratch = fc_aligned_alloc(sbytes);
    rc = op->ref(params, in, n_in, out, n_out, scratch, err);
out:
    fc_aligned_free(scratch);
    if (params)
        (op->free_params ? op->free_params : free)(params);
    if (rc)
        fc_test_free_outputs(out, n_out);
    return rc;
}

void fc_test_free_outputs(fc_tensor *const *out, int n_out)
{
    for (int i = 0; i < n_out; i++) {
        fc_aligned_free(out[i]->data);
        out[i]->data = NULL;
    }
}

fc_tensor fc_test_tensor(int ndim, const int64_t *dims, float *data)
{
    return (fc_tensor){FC_DT_FLOAT, fc_shape_make(ndim, dims), data};
}

fc_tensor fc_test_tensor_i64(int ndim, const int64_t *dims, int64_t *data)
{
    return (fc_tensor){FC_DT_INT64, fc_shape_make(ndim, dims), data};
}

double fc_test_max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || isnan(d))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

void fc_test_fill_random(float *x, int64_t n, unsigned seed, float lo, float hi)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)((s >> 11) * (1.0 / 9007199254740992.0));
    }
}
