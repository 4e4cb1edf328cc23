/* ir.h - the executor's graph IR, shared by the loader (onnx.c), the graph checks
 * (graph.c), shape inference and folding (infer.c), the memory plan (plan.c) and
 * the runner (exec.c). A model is immutable once loaded. */
#ifndef FC_NN_IR_H
#define FC_NN_IR_H

#include "nn/nn.h"
#include "nn/op.h"

typedef enum {
    FC_VALUE_ACTIVATION = 0, /* produced by a node */
    FC_VALUE_INPUT,          /* a graph input, fed at run time */
    FC_VALUE_CONST,          /* an initializer: data owned by the model */
    FC_VALUE_ABSENT,         /* the empty name: an omitted optional input */
} fc_value_kind;

/* A named tensor edge of the graph. */
typedef struct {
    char *name;
    fc_value_kind kind;
    fc_tensor t;   /* CONST: dtype, shape, data (64-byte aligned, owned);
                    * INPUT: declared dtype and shape (-1 = unknown dim) */
    int producer;  /* node index, or -1 */
} fc_value;

typedef struct {
    const fc_op_def *op;
    char *name;    /* the node's name, or "<op_type>_<index>" when it has none */
    int n_in, n_out;
    int *in;       /* value indices */
    int *out;
    void *params;  /* parsed attributes, owned */
} fc_node;

struct fc_nn_model {
    fc_value *values;
    int n_values;
    fc_node *nodes; /* in topological order */
    int n_nodes;
    int *inputs, *outputs; /* value indices of graph inputs / outputs */
    int n_inputs, n_outputs;
    fc_nn_io_info *in_info, *out_info;
    int64_t ir_version, opset;
    char *producer;
};

/* graph.c: orders m->nodes topologically (Kahn); FC_ERR_FORMAT naming a node on a
 * cycle or an input that nothing produces. */
fc_status fc_graph_toposort(fc_nn_model *m, fc_error *err);

/* Frees everything a model owns (also a half-built one). */
void fc_model_destroy(fc_nn_model *m);

#endif
