/* tensor.h - shapes and tensors: a dtype, a shape (C order, dense) and a data pointer. */
#ifndef FC_NN_TENSOR_H
#define FC_NN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define FC_MAX_DIMS 8

/* Element types. Values are ONNX's TensorProto.DataType codes. The executor
 * computes in float32 and int64 only; integer and bool initializers are widened to
 * int64 on load, doubles narrowed to float32. */
typedef enum {
    FC_DT_UNDEFINED = 0,
    FC_DT_FLOAT = 1,
    FC_DT_INT64 = 7,
} fc_dtype;

/* A shape. A dim of -1 means "not known yet" (only in declared input/output info). */
typedef struct {
    int ndim;
    int64_t d[FC_MAX_DIMS];
} fc_shape;

/* A tensor view: nothing here is owned. */
typedef struct {
    fc_dtype dtype;
    fc_shape shape;
    void *data;
} fc_tensor;

size_t fc_dtype_size(fc_dtype dt);    /* bytes per element, 0 if undefined */
const char *fc_dtype_name(fc_dtype dt); /* "float32", "int64", "undefined" */

/* Number of elements (1 for a scalar); -1 if a dim is negative or it overflows. */
int64_t fc_shape_numel(const fc_shape *s);

int fc_shape_equal(const fc_shape *a, const fc_shape *b);

/* Builds a shape from n dims. */
fc_shape fc_shape_make(int n, const int64_t *dims);

/* Numpy-style broadcast of a and b into out; 0 on success, -1 if incompatible. */
int fc_shape_broadcast(const fc_shape *a, const fc_shape *b, fc_shape *out);

/* Writes "[1,3,240,320]" (with "?" for unknown dims) into buf; returns buf. */
char *fc_shape_str(const fc_shape *s, char *buf, size_t n);

/* Element strides of a dense C-order shape into strides[0..ndim). */
void fc_shape_strides(const fc_shape *s, int64_t *strides);

/* Total bytes of a tensor (numel * dtype size); -1 on overflow or unknown dims. */
int64_t fc_tensor_bytes(const fc_tensor *t);

#endif
