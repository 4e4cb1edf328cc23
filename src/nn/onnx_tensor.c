/* onnx_tensor.c - TensorProto -> fc_tensor: raw_data or typed fields, widened to
 * float32 / int64. */
#include "nn/onnx_tensor.h"

#include "core/alloc.h"

#include <string.h>

enum {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5,
    ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_BOOL = 9, ONNX_DOUBLE = 11, ONNX_UINT32 = 12,
    ONNX_UINT64 = 13,
};

/* Bytes per element as stored in raw_data; 0 for types we cannot read. */
static size_t stored_size(int32_t t)
{
    switch (t) {
    case ONNX_UINT8: case ONNX_INT8: case ONNX_BOOL: return 1;
    case ONNX_UINT16: case ONNX_INT16: return 2;
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_INT64: case ONNX_DOUBLE: case ONNX_UINT64: return 8;
    default: return 0;
    }
}

fc_dtype fc_onnx_dtype(int32_t t)
{
    if (t == ONNX_FLOAT || t == ONNX_DOUBLE)
        return FC_DT_FLOAT;
    return stored_size(t) ? FC_DT_INT64 : FC_DT_UNDEFINED;
}

/* Element i of little-endian raw bytes of ONNX type t, as double / int64. */
static double raw_f(const uint8_t *p, int32_t t, int64_t i)
{
    if (t == ONNX_DOUBLE) {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return d;
    }
    float f;
    memcpy(&f, p + 4 * i, 4);
    return f;
}

static int64_t raw_i(const uint8_t *p, int32_t t, int64_t i)
{
    switch (t) {
    case ONNX_UINT8: case ONNX_BOOL: return p[i];
    case ONNX_INT8: return (int8_t)p[i];
    case ONNX_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case ONNX_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case ONNX_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case ONNX_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    default: { int64_t v; memcpy(&v, p + 8 * i, 8); return v; }
    }
}

/* The typed field that holds t's data, and its length. */
static size_t typed_count(const Onnx__TensorProto *tp, int32_t t)
{
    switch (t) {
    case ONNX_FLOAT: return tp->n_float_data;
    case ONNX_DOUBLE: return tp->n_double_data;
    case ONNX_INT64: return tp->n_int64_data;
    case ONNX_UINT32: case ONNX_UINT64: return tp->n_uint64_data;
    default: return tp->n_int32_data;
    }
}

static void copy_typed(const Onnx__TensorProto *tp, int32_t t, fc_tensor *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (out->dtype == FC_DT_FLOAT)
            ((float *)out->data)[i] = t == ONNX_FLOAT ? tp->float_data[i] : (float)tp->double_data[i];
        else if (t == ONNX_INT64)
            ((int64_t *)out->data)[i] = tp->int64_data[i];
        else if (t == ONNX_UINT32 || t == ONNX_UINT64)
            ((int64_t *)out->data)[i] = (int64_t)tp->uint64_data[i];
        else
            ((int64_t *)out->data)[i] = tp->int32_data[i];
    }
}

fc_status fc_onnx_tensor(const Onnx__TensorProto *tp, fc_tensor *out, fc_error *err)
{
    const char *name = tp->name ? tp->name : "";
    int32_t t = tp->has_data_type ? tp->data_type : 0;
    memset(out, 0, sizeof *out);
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fc_error_set(err, FC_ERR_UNSUPPORTED,
                            "tensor '%s' keeps its data in an external file", name);
    out->dtype = fc_onnx_dtype(t);
    if (out->dtype == FC_DT_UNDEFINED)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "tensor '%s' has element type %d",
                            name, (int)t);
    if (tp->n_dims > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "tensor '%s' has %zu dims (max %d)",
                            name, tp->n_dims, FC_MAX_DIMS);
    out->shape.ndim = (int)tp->n_dims;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return fc_error_set(err, FC_ERR_FORMAT, "tensor '%s' has a negative dim", name);
        out->shape.d[i] = tp->dims[i];
    }
    int64_t n = fc_shape_numel(&out->shape), bytes = fc_tensor_bytes(out), stored;
    if (n < 0 || bytes < 0 || bytes > FC_NN_MAX_TENSOR_BYTES)
        return fc_error_set(err, FC_ERR_LIMIT, "tensor '%s' declares too many elements", name);
    if (tp->has_raw_data) {
        stored = n * (int64_t)stored_size(t);
        if ((uint64_t)stored != tp->raw_data.len)
            return fc_error_set(err, FC_ERR_FORMAT,
                                "tensor '%s' declares %lld elements (%lld bytes) but holds %zu bytes",
                                name, (long long)n, (long long)stored, tp->raw_data.len);
    } else if ((uint64_t)n != typed_count(tp, t)) {
        return fc_error_set(err, FC_ERR_FORMAT,
                            "tensor '%s' declares %lld elements but holds %zu values", name,
                            (long long)n, typed_count(tp, t));
    }
    out->data = fc_aligned_alloc((size_t)bytes);
    if (!out->data)
        return fc_error_set(err, FC_ERR_NOMEM, "tensor '%s': %lld bytes", name, (long long)bytes);
    if (!tp->has_raw_data) {
        copy_typed(tp, t, out, n);
    } else if ((t == ONNX_FLOAT || t == ONNX_INT64) && bytes > 0) {
        memcpy(out->data, tp->raw_data.data, (size_t)bytes);
    } else if (t != ONNX_FLOAT && t != ONNX_INT64) {
        for (int64_t i = 0; i < n; i++) {
            if (out->dtype == FC_DT_FLOAT)
                ((float *)out->data)[i] = (float)raw_f(tp->raw_data.data, t, i);
            else
                ((int64_t *)out->data)[i] = raw_i(tp->raw_data.data, t, i);
        }
    }
    return FC_OK;
}
