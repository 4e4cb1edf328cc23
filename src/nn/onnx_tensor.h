/* onnx_tensor.h - converts ONNX TensorProtos (initializers, Constant values) into
 * our tensors, distrusting every size in them. */
#ifndef FC_NN_ONNX_TENSOR_H
#define FC_NN_ONNX_TENSOR_H

#include "core/status.h"
#include "nn/tensor.h"
#include "onnx.pb-c.h"

/* Largest tensor the loader accepts, in bytes. */
#define FC_NN_MAX_TENSOR_BYTES ((int64_t)1 << 32)

/* Maps an ONNX element type to the dtype we compute in (FLOAT/DOUBLE -> float32,
 * integer and bool types -> int64); FC_DT_UNDEFINED if unsupported. */
fc_dtype fc_onnx_dtype(int32_t onnx_type);

/* Fills out with a 64-byte aligned copy of tp's data (caller frees out->data with
 * fc_aligned_free). The declared element count must match the bytes present, which
 * is checked before anything is allocated. */
fc_status fc_onnx_tensor(const Onnx__TensorProto *tp, fc_tensor *out, fc_error *err);

#endif
