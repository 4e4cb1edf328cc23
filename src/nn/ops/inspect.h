/* inspect.h - what the fast kernels (dnnl.c) need to know of a node's parsed
 * attributes, resolved exactly as the reference kernels use them: the 2-D window
 * of a Conv or pool (auto_pad, ceil_mode and defaults applied), activation
 * constants, BatchNormalization's epsilon. */
#ifndef FC_NN_OPS_INSPECT_H
#define FC_NN_OPS_INSPECT_H

#include "nn/op.h"

typedef struct {
    int64_t kh, kw;   /* kernel */
    int64_t sh, sw;   /* strides */
    int64_t dh, dw;   /* dilations (1 = dense) */
    int64_t pt, pl;   /* top and left pads; bottom/right follow from the output size */
    int64_t group;    /* Conv only */
    int count_include_pad; /* AveragePool only */
} fc_window;

/* For a 2-D Conv (x 4-D) with these params and inputs. */
fc_status fc_conv_window(const void *params, fc_tensor *const *in, int n_in, fc_window *w,
                         fc_error *err);
/* For a 2-D MaxPool or AveragePool on x (4-D). */
fc_status fc_pool_window(const void *params, const fc_tensor *x, fc_window *w, fc_error *err);

/* LeakyRelu's alpha, and Clip's bounds when they are attributes (before opset 11).
 * Returns 1 when Clip takes its bounds from inputs 1 and 2 instead. */
int fc_unary_constants(const void *params, float *alpha, float *lo, float *hi);

float fc_batchnorm_epsilon(const void *params);

/* The axis attribute of Concat, Split or Gather, as written (may be negative). */
int64_t fc_axis_param(const void *params);

/* Transpose's permutation for rank r; FC_ERR_SHAPE unless it is one. */
fc_status fc_transpose_perm(const void *params, int r, int *perm, fc_error *err);

/* A nearest Resize or Upsample of a 4-D x whose result repeats each pixel sh x sw
 * times (integer scales on H and W, asymmetric coordinates rounded down): 1 and the
 * factors, else 0. */
int fc_resize_repeat(const void *params, fc_tensor *const *in, int n_in, int64_t *sh, int64_t *sw);

/* Slice with constant inputs, resolved per axis of x: the first index taken and the
 * step (0 and 1 for axes it does not slice). */
fc_status fc_slice_window(const void *params, fc_tensor *const *in, int n_in, int64_t *start,
                          int64_t *step, fc_error *err);

#endif
