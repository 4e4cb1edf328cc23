/* ops.h - the op enum and the op definitions each file in ops/ exports. */
#ifndef FC_NN_OPS_OPS_H
#define FC_NN_OPS_OPS_H

#include "nn/op.h"

typedef enum {
    /* conv.c */
    FC_OP_CONV, FC_OP_CONV_TRANSPOSE,
    /* pool.c */
    FC_OP_MAX_POOL, FC_OP_AVERAGE_POOL, FC_OP_GLOBAL_AVERAGE_POOL,
    /* gemm.c */
    FC_OP_GEMM, FC_OP_MATMUL,
    /* norm.c */
    FC_OP_BATCH_NORMALIZATION, FC_OP_SOFTMAX, FC_OP_REDUCE_MEAN, FC_OP_REDUCE_L2,
    /* unary.c */
    FC_OP_RELU, FC_OP_LEAKY_RELU, FC_OP_SIGMOID, FC_OP_HARD_SIGMOID, FC_OP_HARD_SWISH,
    FC_OP_TANH, FC_OP_CLIP, FC_OP_EXP, FC_OP_SQRT, FC_OP_CAST,
    /* binary.c */
    FC_OP_ADD, FC_OP_SUB, FC_OP_MUL, FC_OP_DIV, FC_OP_POW, FC_OP_PRELU,
    /* resize.c */
    FC_OP_RESIZE, FC_OP_UPSAMPLE, FC_OP_PAD,
    /* reshape.c: ops that only reinterpret a buffer, plus shape producers */
    FC_OP_RESHAPE, FC_OP_FLATTEN, FC_OP_SQUEEZE, FC_OP_UNSQUEEZE, FC_OP_IDENTITY,
    FC_OP_DROPOUT, FC_OP_SHAPE, FC_OP_CONSTANT, FC_OP_CONSTANT_OF_SHAPE,
    /* layout.c: ops that move data */
    FC_OP_TRANSPOSE, FC_OP_CONCAT, FC_OP_SPLIT, FC_OP_SLICE, FC_OP_GATHER,
    FC_OP_COUNT
} fc_op;

extern const fc_op_def fc_op_conv, fc_op_conv_transpose;
extern const fc_op_def fc_op_max_pool, fc_op_average_pool, fc_op_global_average_pool;
extern const fc_op_def fc_op_gemm, fc_op_matmul;
extern const fc_op_def fc_op_batch_normalization, fc_op_softmax, fc_op_reduce_mean,
    fc_op_reduce_l2;
extern const fc_op_def fc_op_relu, fc_op_leaky_relu, fc_op_sigmoid, fc_op_hard_sigmoid,
    fc_op_hard_swish, fc_op_tanh, fc_op_clip, fc_op_exp, fc_op_sqrt, fc_op_cast;
extern const fc_op_def fc_op_add, fc_op_sub, fc_op_mul, fc_op_div, fc_op_pow, fc_op_prelu;
extern const fc_op_def fc_op_resize, fc_op_upsample, fc_op_pad;
extern const fc_op_def fc_op_reshape, fc_op_flatten, fc_op_squeeze, fc_op_unsqueeze,
    fc_op_identity, fc_op_dropout, fc_op_shape, fc_op_constant, fc_op_constant_of_shape;
extern const fc_op_def fc_op_transpose, fc_op_concat, fc_op_split, fc_op_slice, fc_op_gather;

#endif
