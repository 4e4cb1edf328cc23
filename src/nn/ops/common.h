/* common.h - small helpers the data-movement ops (layout.c, reshape.c, resize.c)
 * share. */
#ifndef FC_NN_OPS_COMMON_H
#define FC_NN_OPS_COMMON_H

#include "nn/op.h"

/* Largest element count a data-movement op produces. */
#define FC_OP_MAX_NUMEL ((int64_t)1 << 31)

/* *params = a zeroed block of size bytes (freed with free). */
fc_status fc_op_new_params(void **params, size_t size, fc_error *err);

/* A shape that is well formed and holds at most FC_OP_MAX_NUMEL elements. */
fc_status fc_op_check_numel(const fc_shape *s, fc_error *err);

#endif
