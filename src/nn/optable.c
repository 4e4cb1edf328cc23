/* optable.c - the op table: one row per supported ONNX operator. */
#include "nn/ops/ops.h"

#include <assert.h>
#include <string.h>

static const fc_op_def *const op_table[] = {
    [FC_OP_CONV] = &fc_op_conv,
    [FC_OP_CONV_TRANSPOSE] = &fc_op_conv_transpose,
    [FC_OP_MAX_POOL] = &fc_op_max_pool,
    [FC_OP_AVERAGE_POOL] = &fc_op_average_pool,
    [FC_OP_GLOBAL_AVERAGE_POOL] = &fc_op_global_average_pool,
    [FC_OP_GEMM] = &fc_op_gemm,
    [FC_OP_MATMUL] = &fc_op_matmul,
    [FC_OP_BATCH_NORMALIZATION] = &fc_op_batch_normalization,
    [FC_OP_SOFTMAX] = &fc_op_softmax,
    [FC_OP_REDUCE_MEAN] = &fc_op_reduce_mean,
    [FC_OP_REDUCE_L2] = &fc_op_reduce_l2,
    [FC_OP_RELU] = &fc_op_relu,
    [FC_OP_LEAKY_RELU] = &fc_op_leaky_relu,
    [FC_OP_SIGMOID] = &fc_op_sigmoid,
    [FC_OP_HARD_SIGMOID] = &fc_op_hard_sigmoid,
    [FC_OP_HARD_SWISH] = &fc_op_hard_swish,
    [FC_OP_TANH] = &fc_op_tanh,
    [FC_OP_CLIP] = &fc_op_clip,
    [FC_OP_EXP] = &fc_op_exp,
    [FC_OP_SQRT] = &fc_op_sqrt,
    [FC_OP_CAST] = &fc_op_cast,
    [FC_OP_ADD] = &fc_op_add,
    [FC_OP_SUB] = &fc_op_sub,
    [FC_OP_MUL] = &fc_op_mul,
    [FC_OP_DIV] = &fc_op_div,
    [FC_OP_POW] = &fc_op_pow,
    [FC_OP_PRELU] = &fc_op_prelu,
    [FC_OP_RESIZE] = &fc_op_resize,
    [FC_OP_UPSAMPLE] = &fc_op_upsample,
    [FC_OP_PAD] = &fc_op_pad,
    [FC_OP_RESHAPE] = &fc_op_reshape,
    [FC_OP_FLATTEN] = &fc_op_flatten,
    [FC_OP_SQUEEZE] = &fc_op_squeeze,
    [FC_OP_UNSQUEEZE] = &fc_op_unsqueeze,
    [FC_OP_IDENTITY] = &fc_op_identity,
    [FC_OP_DROPOUT] = &fc_op_dropout,
    [FC_OP_SHAPE] = &fc_op_shape,
    [FC_OP_CONSTANT] = &fc_op_constant,
    [FC_OP_CONSTANT_OF_SHAPE] = &fc_op_constant_of_shape,
    [FC_OP_TRANSPOSE] = &fc_op_transpose,
    [FC_OP_CONCAT] = &fc_op_concat,
    [FC_OP_SPLIT] = &fc_op_split,
    [FC_OP_SLICE] = &fc_op_slice,
    [FC_OP_GATHER] = &fc_op_gather,
};
static_assert(sizeof op_table / sizeof op_table[0] == FC_OP_COUNT, "one row per op");

const fc_op_def *fc_op_find(const char *op_type)
{
    for (int i = 0; i < FC_OP_COUNT; i++)
        if (op_table[i] && strcmp(op_table[i]->name, op_type) == 0)
            return op_table[i];
    return NULL;
}

int fc_op_count(void) { return FC_OP_COUNT; }

const fc_op_def *fc_op_at(int i) { return (i >= 0 && i < FC_OP_COUNT) ? op_table[i] : NULL; }
