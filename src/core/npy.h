/* npy.h - NumPy .npy files (format 1.0-3.0, little-endian, C order) for float32 and
 * int64 arrays, so anyone can feed facecluster the same tensors as another runtime. */
#ifndef FC_CORE_NPY_H
#define FC_CORE_NPY_H

#include "core/status.h"
#include "nn/tensor.h"

/* Reads path into out (dtype, shape, data from fc_aligned_alloc: caller frees).
 * '<f4' and '<i8' load as they are; '<f8' becomes float32, '<i4' int64. */
fc_status fc_npy_read(const char *path, fc_tensor *out, fc_error *err);

/* Writes t (float32 or int64) to path in format 1.0. */
fc_status fc_npy_write(const char *path, const fc_tensor *t, fc_error *err);

#endif
