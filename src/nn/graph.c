/* graph.c - graph order and lifetime: topological sort with cycle detection,
 * model accessors, and freeing a model. */
#include "nn/ir.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

fc_status fc_graph_toposort(fc_nn_model *m, fc_error *err)
{
    int n = m->n_nodes;
    fc_status rc = FC_OK;
    int *pending = calloc((size_t)n + 1, sizeof *pending);  /* unmet inputs per node */
    int *order = calloc((size_t)n + 1, sizeof *order);
    int *users_start = calloc((size_t)m->n_values + 2, sizeof *users_start);
    int *users = NULL, n_edges = 0;
    fc_node *sorted = NULL;
    if (!pending || !order || !users_start) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "sorting the graph");
        goto out;
    }
    /* CSR list of consuming nodes per value (a node counts once per input slot). */
    for (int k = 0; k < n; k++)
        for (int i = 0; i < m->nodes[k].n_in; i++)
            if (m->nodes[k].in[i] >= 0 && m->values[m->nodes[k].in[i]].producer >= 0) {
                users_start[m->nodes[k].in[i] + 1]++;
                pending[k]++;
                n_edges++;
            }
    for (int v = 0; v < m->n_values; v++)
        users_start[v + 1] += users_start[v];
    users = calloc((size_t)n_edges + 1, sizeof *users);
    int *fill = calloc((size_t)m->n_values + 1, sizeof *fill);
    if (!users || !fill) {
        free(fill);
        rc = fc_error_set(err, FC_ERR_NOMEM, "sorting the graph");
        goto out;
    }
    for (int k = 0; k < n; k++)
        for (int i = 0; i < m->nodes[k].n_in; i++) {
            int v = m->nodes[k].in[i];
            if (v >= 0 && m->values[v].producer >= 0)
                users[users_start[v] + fill[v]++] = k;
        }
    free(fill);
    /* Kahn's algorithm, taking ready nodes in file order. */
    int head = 0, tail = 0;
    for (int k = 0; k < n; k++)
        if (pending[k] == 0)
            order[tail++] = k;
    while (head < tail) {
        const fc_node *nd = &m->nodes[order[head++]];
        for (int o = 0; o < nd->n_out; o++)
            for (int u = users_start[nd->out[o]]; u < users_start[nd->out[o] + 1]; u++)
                if (--pending[users[u]] == 0)
                    order[tail++] = users[u];
    }
    if (tail < n) {
        for (int k = 0; k < n; k++)
            if (pending[k] > 0) {
                rc = fc_error_set(err, FC_ERR_FORMAT, "the graph has a cycle through node '%s' (%s)",
                                  m->nodes[k].name, m->nodes[k].op->name);
                goto out;
            }
    }
    sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    if (!sorted) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "sorting the graph");
        goto out;
    }
    for (int k = 0; k < n; k++)
        sorted[k] = m->nodes[order[k]];
    for (int k = 0; k < n; k++)
        for (int o = 0; o < sorted[k].n_out; o++)
            m->values[sorted[k].out[o]].producer = k;
    free(m->nodes);
    m->nodes = sorted;
out:
    free(pending);
    free(order);
    free(users_start);
    free(users);
    return rc;
}

static void free_io_info(fc_nn_io_info *info, int n)
{
    for (int i = 0; info && i < n; i++)
        for (int d = 0; d < FC_MAX_DIMS; d++)
            free((char *)info[i].dim_names[d]);
    free(info);
}

void fc_model_destroy(fc_nn_model *m)
{
    if (!m)
        return;
    for (int k = 0; k < m->n_nodes; k++) {
        fc_node *n = &m->nodes[k];
        if (n->params)
            (n->op && n->op->free_params ? n->op->free_params : free)(n->params);
        free(n->name);
        free(n->in);
        free(n->out);
    }
    for (int v = 0; v < m->n_values; v++) {
        free(m->values[v].name);
        if (m->values[v].kind == FC_VALUE_CONST)
            fc_aligned_free(m->values[v].t.data);
    }
    /* in_info covers every slot that load_io_info may have filled */
    free_io_info(m->in_info, m->n_inputs + 1);
    free_io_info(m->out_info, m->n_outputs + 1);
    free(m->values);
    free(m->nodes);
    free(m->inputs);
    free(m->outputs);
    free(m->producer);
    free(m);
}

void fc_nn_free(fc_nn_model *m) { fc_model_destroy(m); }

int fc_nn_n_inputs(const fc_nn_model *m) { return m->n_inputs; }
int fc_nn_n_outputs(const fc_nn_model *m) { return m->n_outputs; }

const fc_nn_io_info *fc_nn_input_info(const fc_nn_model *m, int i)
{
    return i >= 0 && i < m->n_inputs ? &m->in_info[i] : NULL;
}

const fc_nn_io_info *fc_nn_output_info(const fc_nn_model *m, int i)
{
    return i >= 0 && i < m->n_outputs ? &m->out_info[i] : NULL;
}

void fc_nn_model_info_get(const fc_nn_model *m, fc_nn_model_info *out)
{
    memset(out, 0, sizeof *out);
    out->ir_version = m->ir_version;
    out->opset = m->opset;
    out->producer = m->producer ? m->producer : "";
    out->n_nodes = m->n_nodes;
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].kind == FC_VALUE_CONST && m->values[v].t.dtype == FC_DT_FLOAT)
            out->n_params += fc_shape_numel(&m->values[v].t.shape);
}

void fc_nn_op_counts(const fc_nn_model *m, void (*fn)(const char *op, int count, void *user),
                     void *user)
{
    for (int i = 0; i < fc_op_count(); i++) {
        int count = 0;
        for (int k = 0; k < m->n_nodes; k++)
            count += m->nodes[k].op == fc_op_at(i);
        if (count)
            fn(fc_op_at(i)->name, count, user);
    }
}
