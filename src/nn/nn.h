/* nn.h - the ONNX executor's public API.
 *
 * A model is loaded once and is then read-only: many threads may share it. Each
 * thread runs it through its own context, which fixes the input shapes, folds what
 * is constant for them, and plans all activation memory in one arena up front, so
 * that a run allocates nothing.
 *
 *   fc_error err = {0};
 *   fc_nn_model *m = fc_nn_load("fr_feature.onnx", &err);
 *   fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);     // declared input shapes
 *   fc_tensor in = {FC_DT_FLOAT, shape, pixels}, out;
 *   fc_nn_run(ctx, &in, &out, &err);                    // out.data lives in ctx
 *   fc_nn_ctx_free(ctx); fc_nn_free(m);
 */
#ifndef FC_NN_NN_H
#define FC_NN_NN_H

#include "core/status.h"
#include "nn/tensor.h"

typedef struct fc_nn_model fc_nn_model;
typedef struct fc_nn_ctx fc_nn_ctx;

/* A graph input or output as declared in the file; unknown dims are -1 and, when
 * the file names them, dim_names[i] says so ("batch", "height"). */
typedef struct {
    const char *name;
    fc_dtype dtype;
    fc_shape shape;
    const char *dim_names[FC_MAX_DIMS];
} fc_nn_io_info;

/* Loads an ONNX model from a file or from memory. Returns NULL and fills err for a
 * file that cannot be read, is not an ONNX model, or uses an operator, opset or
 * data type we do not support (naming the node). Free with fc_nn_free. */
fc_nn_model *fc_nn_load(const char *path, fc_error *err);
fc_nn_model *fc_nn_load_mem(const void *buf, size_t len, fc_error *err);
void fc_nn_free(fc_nn_model *m);

int fc_nn_n_inputs(const fc_nn_model *m);
int fc_nn_n_outputs(const fc_nn_model *m);
const fc_nn_io_info *fc_nn_input_info(const fc_nn_model *m, int i);
const fc_nn_io_info *fc_nn_output_info(const fc_nn_model *m, int i);

/* Model facts for people and tools. */
typedef struct {
    int64_t ir_version;
    int64_t opset;
    const char *producer;  /* "" when absent */
    int n_nodes;
    int64_t n_params;       /* elements in float initializers */
} fc_nn_model_info;
void fc_nn_model_info_get(const fc_nn_model *m, fc_nn_model_info *out);

/* Node count per op type, for --info: calls fn(op_name, count, user) for each op
 * type used, in the op table's order. */
void fc_nn_op_counts(const fc_nn_model *m, void (*fn)(const char *op, int count, void *user),
                     void *user);

/* Creates a context for the given input shapes (one per input, in input order; NULL
 * takes the declared shapes, which must then be fully known). Infers every shape,
 * folds constants, plans the arena and allocates it. NULL + err on failure.
 * Batches: an input declared with a leading dim of 1 accepts N > 1 there (several
 * faces in one call); constant Reshape targets that pin the leading dim to 1 then
 * follow the batch, as they do in exporters' per-sample graphs. */
fc_nn_ctx *fc_nn_ctx_new(const fc_nn_model *m, const fc_shape *input_shapes, fc_error *err);

/* Context options. Zero-initialised means the defaults. */
typedef struct {
    int threads;   /* 0: fc_nn_default_threads() */
    int reference; /* 1: scalar reference kernels only, no oneDNN fast path;
                    * 0: fast path unless FC_NN_BACKEND=ref in the environment */
    int64_t max_tensor_bytes; /* largest input or activation a context accepts
                               * (FC_ERR_LIMIT beyond); 0: 4 GiB */
} fc_nn_ctx_opts;
fc_nn_ctx *fc_nn_ctx_new_opts(const fc_nn_model *m, const fc_shape *input_shapes,
                              const fc_nn_ctx_opts *opts, fc_error *err);
void fc_nn_ctx_free(fc_nn_ctx *ctx);

/* Threads a run of this context uses, fixed at creation (fc_nn_ctx_opts.threads):
 * oneDNN plans each kernel's work split for it. The default is FC_THREADS from the
 * environment, else the number of online cores. */
int fc_nn_ctx_threads(const fc_nn_ctx *ctx);
int fc_nn_default_threads(void);

/* Shape and dtype of output i as planned for this context. */
const fc_tensor *fc_nn_ctx_output(const fc_nn_ctx *ctx, int i);

/* Number of nodes that run per call after folding, and the arena size in bytes. */
int fc_nn_ctx_n_steps(const fc_nn_ctx *ctx);
size_t fc_nn_ctx_arena_bytes(const fc_nn_ctx *ctx);

/* Multiply-adds per run of the Conv, ConvTranspose, Gemm and MatMul nodes at the
 * context's shapes (batch included): the bulk of a face model's arithmetic. */
int64_t fc_nn_ctx_macs(const fc_nn_ctx *ctx);

/* Runs the model. inputs[i] must have the context's shape and dtype for input i.
 * outputs[i] receives dtype, shape and a pointer into the context's memory, valid
 * until the next run or fc_nn_ctx_free. Allocates nothing of its own; on the oneDNN
 * path, oneDNN's primitive execution allocates internally (build/heap_tests counts it). */
fc_status fc_nn_run(fc_nn_ctx *ctx, const fc_tensor *inputs, fc_tensor *outputs, fc_error *err);

#endif
