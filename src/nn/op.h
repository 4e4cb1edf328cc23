/* op.h - the contract between the executor and an operator.
 *
 * Every ONNX operator is one row of the op table (optable.c): its ONNX name, a parse
 * function that turns the node's attributes into a params struct at load time, a
 * shape function that infers output dtypes and shapes at context creation, and a
 * scalar reference kernel. Kernels never allocate and never write to their inputs.
 */
#ifndef FC_NN_OP_H
#define FC_NN_OP_H

#include "core/status.h"
#include "nn/tensor.h"

#include <stddef.h>

typedef enum {
    FC_ATTR_FLOAT,
    FC_ATTR_INT,
    FC_ATTR_STRING,
    FC_ATTR_TENSOR,
    FC_ATTR_FLOATS,
    FC_ATTR_INTS,
    FC_ATTR_OTHER, /* graphs, strings lists...: present but unusable */
} fc_attr_type;

/* One attribute of a node, as the loader decoded it. Valid only during parse. */
typedef struct {
    const char *name;
    fc_attr_type type;
    float f;
    int64_t i;
    const char *s;          /* NUL-terminated */
    const float *floats;    /* n of them */
    const int64_t *ints;    /* n of them */
    size_t n;
    const fc_tensor *t;     /* FC_ATTR_TENSOR: dtype float or int64 */
} fc_attr;

/* What a parse function sees: the attributes, the model's opset for the default
 * domain (semantics of Slice, Clip, Softmax, ... change with it), and the node. */
typedef struct {
    const fc_attr *a;
    int n;
    int opset;
    const char *node_name;
    const char *op_name;
} fc_attrs;

const fc_attr *fc_attr_find(const fc_attrs *at, const char *name);
int64_t fc_attr_int(const fc_attrs *at, const char *name, int64_t dflt);
float fc_attr_float(const fc_attrs *at, const char *name, float dflt);
const char *fc_attr_str(const fc_attrs *at, const char *name, const char *dflt);
/* Number of ints in a list attribute (setting *out), or -1 if absent. */
int fc_attr_ints(const fc_attrs *at, const char *name, const int64_t **out);
int fc_attr_floats(const fc_attrs *at, const char *name, const float **out);

/* Parses attributes into *params (malloc'ed, or left NULL if the op needs none).
 * Returns FC_ERR_UNSUPPORTED / FC_ERR_FORMAT with a message naming the node and the
 * attribute for values it cannot honour. */
typedef fc_status (*fc_op_parse_fn)(const fc_attrs *at, void **params, fc_error *err);

/* Infers out[i]->dtype and ->shape from the inputs. in[i] is NULL for an absent
 * optional input; in[i]->data is non-NULL only when the input is a constant (an
 * initializer or a folded value), which ops like Reshape need. Leaves out data. */
typedef fc_status (*fc_op_shape_fn)(const void *params, fc_tensor *const *in, int n_in,
                                    fc_tensor *const *out, int n_out, fc_error *err);

/* Computes the outputs. Shapes are those the shape function set; out[i]->data points
 * to planned memory. scratch holds scratch_bytes() bytes. */
typedef fc_status (*fc_op_kernel_fn)(const void *params, fc_tensor *const *in, int n_in,
                                     fc_tensor *const *out, int n_out, void *scratch,
                                     fc_error *err);

/* Scratch bytes a kernel needs for these shapes (NULL in the table: none). */
typedef size_t (*fc_op_scratch_fn)(const void *params, fc_tensor *const *in, int n_in,
                                   fc_tensor *const *out, int n_out);

typedef struct {
    const char *name;        /* ONNX op_type */
    int min_inputs, max_inputs;
    int min_outputs, max_outputs;
    fc_op_parse_fn parse;    /* NULL: the op has no attributes we read */
    void (*free_params)(void *params); /* NULL: free() */
    fc_op_shape_fn shape;
    fc_op_kernel_fn ref;     /* scalar reference kernel */
    fc_op_scratch_fn scratch;
    int alias;               /* 1: output 0 is input 0's data, reinterpreted
                              * (Reshape, Flatten, ...): ref is never called */
    int shape_only;          /* 1: reads only its inputs' shapes (Shape), so it
                              * folds to a constant once input shapes are known */
} fc_op_def;

/* Looks an ONNX op_type up in the table; NULL if we do not implement it. */
const fc_op_def *fc_op_find(const char *op_type);

/* The table, for tools and tests. */
int fc_op_count(void);
const fc_op_def *fc_op_at(int i);

/* Helpers for ops. */
#define FC_UNUSED(x) (void)(x)
/* Errors from parse, shape and kernels give only the reason ("pads must have 4
 * values"); the loader and executor prefix the node's name and op type. */
/* Normalises a possibly negative axis into [0, rank); -1 if out of range. */
int fc_axis(int64_t axis, int rank);

#endif
