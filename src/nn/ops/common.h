/* common.h - small helpers several op files share: params allocation, element
 * count limits, constant int64 inputs (layout.c, reshape.c, resize.c) and the
 * auto_pad attribute (conv.c, pool.c). */
#ifndef FC_NN_OPS_COMMON_H
#define FC_NN_OPS_COMMON_H

#include "nn/op.h"

/* Largest element count a data-movement op produces. */
#define FC_OP_MAX_NUMEL ((int64_t)1 << 31)

/* *params = a zeroed block of size bytes (freed with free). */
fc_status fc_op_new_params(void **params, size_t size, fc_error *err);

/* A shape that is well formed and holds at most FC_OP_MAX_NUMEL elements. */
fc_status fc_op_check_numel(const fc_shape *s, fc_error *err);

/* Reads the constant int64 vector (or scalar) in[i] into *vals / *n; FC_ERR_UNSUPPORTED
 * when it is a run-time value, since output shapes depend on it. what names it. */
fc_status fc_op_const_ints(fc_tensor *const *in, int n_in, int i, const char *what,
                           const int64_t **vals, int64_t *n, fc_error *err);

typedef enum { FC_PAD_NOTSET, FC_PAD_SAME_UPPER, FC_PAD_SAME_LOWER, FC_PAD_VALID } fc_pad_mode;

/* The auto_pad attribute (absent or "" means NOTSET). */
fc_status fc_op_parse_auto_pad(const fc_attrs *at, fc_pad_mode *mode, fc_error *err);

#endif
