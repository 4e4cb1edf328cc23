/* ctx.h - a context: one model bound to concrete input shapes, with folded
 * constants, a list of steps to run and one planned arena. Private to src/nn. */
#ifndef FC_NN_CTX_H
#define FC_NN_CTX_H

#include "nn/ir.h"
#include "nn/newpool.h"

#include <stdint.h>

typedef enum {
    FC_STEP_REF,     /* the node's reference kernel */
    FC_STEP_ALIAS,   /* output 0 reinterprets input 0's buffer: nothing to compute */
    FC_STEP_FAST,    /* a oneDNN primitive, possibly several nodes fused (dnnl.c) */
    FC_STEP_TO_NHWC, /* layout conversions around fast steps (NCHW <-> NHWC) */
    FC_STEP_TO_NCHW,
} fc_step_kind;

typedef struct fc_fast fc_fast;

/* One unit of work, with its argument arrays prebuilt. in_ids/out_ids are value
 * indices (-1: an absent optional input); in/out point at ctx->vals (NULL when
 * absent). node is the node it runs (the first one when fused; for a conversion,
 * the node that needed it). */
typedef struct {
    fc_step_kind kind;
    const fc_node *node;
    int n_in, n_out;
    int *in_ids, *out_ids;
    fc_tensor **in, **out;
    fc_fast *fast;
} fc_step;

struct fc_nn_ctx {
    const fc_nn_model *m;
    fc_tensor *vals;        /* per value: dtype, shape, data (when known); the model's
                             * values first, then temporaries the context adds */
    unsigned char *known;   /* per value: 1 if constant for this context */
    unsigned char *nhwc;    /* per value: 1 if stored channels-last (fast steps) */
    int n_vals, cap_vals;
    void **folded;          /* buffers of values folded at creation, owned */
    int n_folded, cap_folded;
    fc_step *steps;
    int n_steps;
    fc_tensor **args;       /* storage behind the steps' in/out arrays */
    unsigned char *arena;   /* activations, then scratch */
    size_t arena_bytes, scratch_offset;
    int n_threads;
    int64_t max_tensor_bytes;
    int64_t batch;          /* > 1: inputs declared with batch 1 run with this batch */
    int64_t macs;           /* multiply-adds per run (macs.c) */
    fc_newpool *newpool;    /* oneDNN's C++ allocations during a run (newpool.h) */
    double *step_s;         /* FC_NN_PROFILE=1: seconds per step over all runs */
    int profiled_runs;
};

/* profile.c: FC_NN_PROFILE=1 timing per step (init after planning; report on free). */
void fc_profile_init(fc_nn_ctx *ctx);
void fc_profile_report(fc_nn_ctx *ctx);

/* infer.c: shapes of every value for ctx's input shapes; folds nodes whose inputs
 * are all known, and lists the rest as steps. */
fc_status fc_ctx_infer(fc_nn_ctx *ctx, const fc_shape *input_shapes, fc_error *err);

/* macs.c: the multiply-adds of the steps' Conv, ConvTranspose, Gemm and MatMul
 * nodes; call after fc_ctx_infer, before fusion. */
int64_t fc_ctx_count_macs(const fc_nn_ctx *ctx);

/* Allocates a step's four arrays in one block (freed with free(step->in)). */
fc_status fc_step_init(fc_nn_ctx *ctx, fc_step *s, fc_step_kind kind, const fc_node *node,
                       int n_in, const int *in_ids, int n_out, const int *out_ids, fc_error *err);
/* exec.c: frees what a step owns (its arrays, its fast step) and zeroes it. */
void fc_step_free(fc_step *s);
/* exec.c: is value v one of the graph's outputs? */
int fc_ctx_is_output(const fc_nn_ctx *ctx, int v);
/* exec.c: the index of the only step reading value v, reading it once; -1 when no
 * step or several do, or v is a graph output. */
int fc_ctx_sole_reader(const fc_nn_ctx *ctx, int v);

/* A new temporary value of the given dtype and shape; -1 when the table is full. */
int fc_ctx_add_value(fc_nn_ctx *ctx, fc_dtype dtype, const fc_shape *shape);
/* A new constant value over buf (fc_aligned_alloc'd), which the context then owns;
 * -1 when a table is full, buf then freed. */
int fc_ctx_add_const(fc_nn_ctx *ctx, fc_dtype dtype, const fc_shape *shape, void *buf);

/* plan.c: lifetimes of the step values, their arena offsets (values that are never
 * live at once share memory), scratch, and the arena itself. */
fc_status fc_ctx_plan(fc_nn_ctx *ctx, fc_error *err);

/* Rewrites err->msg as "node 'name' (Op): msg"; returns err->code. */
fc_status fc_node_error(fc_error *err, const fc_node *node);

#endif
