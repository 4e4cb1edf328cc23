/* copy.h - the copies the layout ops (layout.c) are made of: runs of equal rows, and
 * a strided walk that gathers any view of a tensor into a dense one. Pure byte
 * copies, so results are bit-identical to the source elements. */
#ifndef FC_NN_OPS_COPY_H
#define FC_NN_OPS_COPY_H

#include "nn/tensor.h"

#include <stdint.h>

/* rows rows of row_bytes bytes: row r of dst (at r * dst_stride bytes) = row r of src
 * (at r * src_stride bytes). Rows of a few elements, as in the boxes and scores of a
 * detector ([N, 4420, 2]), cost a few moves each rather than a memcpy call. */
void fc_copy_rows(void *dst, int64_t dst_stride, const void *src, int64_t src_stride,
                  int64_t rows, int64_t row_bytes);

/* A walk over a dense destination: its dims, and the source stride (in elements) of
 * each dim. A Transpose and a Slice are each one walk. */
typedef struct {
    int ndim;
    int64_t d[FC_MAX_DIMS], st[FC_MAX_DIMS];
} fc_copy_walk;

/* dst[i0..ik] (dense) = src[i0*st0 + .. + ik*stk], for elements of es (4 or 8) bytes.
 * Does nothing when a dim is 0. */
void fc_copy_strided(void *dst, const void *src, fc_copy_walk w, int64_t es);

#endif
