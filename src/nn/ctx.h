/* ctx.h - a context: one model bound to concrete input shapes, with folded
 * constants, a list of steps to run and one planned arena. Private to src/nn. */
#ifndef FC_NN_CTX_H
#define FC_NN_CTX_H

#include "nn/ir.h"

#include <stdint.h>

/* One node to run, with its argument arrays prebuilt (NULL for absent inputs). */
typedef struct {
    const fc_node *node;
    fc_tensor **in;
    fc_tensor **out;
} fc_step;

struct fc_nn_ctx {
    const fc_nn_model *m;
    fc_tensor *vals;        /* per value: dtype, shape, data (when known) */
    unsigned char *known;   /* per value: 1 if constant for this context */
    void **folded;          /* buffers of values folded at creation, owned */
    int n_folded;
    fc_step *steps;
    int n_steps;
    fc_tensor **args;       /* storage behind the steps' in/out arrays */
    unsigned char *arena;   /* activations, then scratch */
    size_t arena_bytes, scratch_offset;
    int n_threads;
};

/* infer.c: shapes of every value for ctx's input shapes; folds nodes whose inputs
 * are all known, and lists the rest as steps. */
fc_status fc_ctx_infer(fc_nn_ctx *ctx, const fc_shape *input_shapes, fc_error *err);

/* plan.c: lifetimes of the step values, their arena offsets (values that are never
 * live at once share memory), scratch, and the arena itself. */
fc_status fc_ctx_plan(fc_nn_ctx *ctx, fc_error *err);

/* Rewrites err->msg as "node 'name' (Op): msg"; returns err->code. */
fc_status fc_node_error(fc_error *err, const fc_node *node);

#endif
