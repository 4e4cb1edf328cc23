/* op_util.h - runs one op outside a graph, for op unit tests: parse -> shape ->
 * allocate outputs -> reference kernel. */
#ifndef FC_TESTS_OP_UTIL_H
#define FC_TESTS_OP_UTIL_H

#include "nn/op.h"

/* Runs op on inputs (in[i] may be NULL for an absent optional input; inputs that
 * shape functions must read, like Reshape's shape, just carry data). On success the
 * outputs have dtype, shape and malloc'ed data: release with fc_test_free_outputs. */
fc_status fc_test_run_op(const fc_op_def *op, const fc_attr *attrs, int n_attrs, int opset,
                         fc_tensor *const *in, int n_in, fc_tensor *const *out, int n_out,
                         fc_error *err);
void fc_test_free_outputs(fc_tensor *const *out, int n_out);

/* A float tensor view over caller data. */
fc_tensor fc_test_tensor(int ndim, const int64_t *dims, float *data);
fc_tensor fc_test_tensor_i64(int ndim, const int64_t *dims, int64_t *data);

/* Max |a-b| over n floats. */
double fc_test_max_abs_diff(const float *a, const float *b, int64_t n);

/* Deterministic pseudo-random floats in [lo, hi). */
void fc_test_fill_random(float *x, int64_t n, unsigned seed, float lo, float hi);

#endif
