/* infer.c - shape inference and constant folding for a context. Shapes propagate in
 * topological order; a node whose inputs are all known (initializers, folded values,
 * or only the shapes of its inputs for shape_only ops) runs right here, once, and its
 * outputs become constants; the others become the context's steps. This is what
 * removes exporters' Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains. */
#include "nn/ctx.h"

#include "core/alloc.h"
#include "nn/ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fc_status fc_node_error(fc_error *err, const fc_node *node)
{
    if (!err)
        return FC_ERR_INTERNAL;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return fc_error_set(err, err->code, "node '%s' (%s): %s", node->name, node->op->name, msg);
}

static fc_status bind_inputs(fc_nn_ctx *ctx, const fc_shape *shapes, fc_error *err)
{
    const fc_nn_model *m = ctx->m;
    for (int i = 0; i < m->n_inputs; i++) {
        const fc_nn_io_info *info = &m->in_info[i];
        fc_tensor *t = &ctx->vals[m->inputs[i]];
        const fc_shape *want = &info->shape;
        fc_shape got = shapes ? shapes[i] : *want;
        char a[128], b[128];
        int ok = got.ndim >= 0 && got.ndim <= FC_MAX_DIMS && (want->ndim == 0 || got.ndim == want->ndim);
        for (int d = 0; ok && d < got.ndim; d++)
            ok = got.d[d] > 0 && (d >= want->ndim || want->d[d] < 0 || want->d[d] == got.d[d] ||
                                  (d == 0 && want->d[0] == 1)); /* a batch of several */
        if (ok && got.ndim > 0 && want->ndim > 0 && want->d[0] == 1 && got.d[0] > 1)
            ctx->batch = got.d[0];
        if (!ok)
            return fc_error_set(err, FC_ERR_SHAPE, "input '%s' expects shape %s, got %s%s",
                                info->name, fc_shape_str(want, a, sizeof a),
                                fc_shape_str(&got, b, sizeof b),
                                shapes ? "" : " (give the dynamic dims a size)");
        t->dtype = info->dtype;
        t->shape = got;
        t->data = NULL;
        fc_tensor probe = *t;
        int64_t bytes = fc_tensor_bytes(&probe);
        if (bytes < 0 || bytes > ctx->max_tensor_bytes)
            return fc_error_set(err, FC_ERR_LIMIT, "input '%s' of shape %s is too large",
                                info->name, b);
    }
    return FC_OK;
}

fc_status fc_step_init(fc_nn_ctx *ctx, fc_step *s, fc_step_kind kind, const fc_node *node,
                       int n_in, const int *in_ids, int n_out, const int *out_ids, fc_error *err)
{
    size_t n = (size_t)(n_in + n_out);
    void *block = calloc(1, n * (sizeof(int) + sizeof(fc_tensor *)) + 1);
    if (!block)
        return fc_error_set(err, FC_ERR_NOMEM, "context");
    s->kind = kind;
    s->node = node;
    s->n_in = n_in;
    s->n_out = n_out;
    s->in = block; /* pointers first: they need the stricter alignment */
    s->out = s->in + n_in;
    s->in_ids = (int *)(s->out + n_out);
    s->out_ids = s->in_ids + n_in;
    s->fast = NULL;
    for (int i = 0; i < n_in; i++) {
        s->in_ids[i] = in_ids[i];
        s->in[i] = in_ids[i] >= 0 ? &ctx->vals[in_ids[i]] : NULL;
    }
    for (int o = 0; o < n_out; o++) {
        s->out_ids[o] = out_ids[o];
        s->out[o] = &ctx->vals[out_ids[o]];
    }
    return FC_OK;
}

int fc_ctx_add_value(fc_nn_ctx *ctx, fc_dtype dtype, const fc_shape *shape)
{
    if (ctx->n_vals == ctx->cap_vals)
        return -1;
    fc_tensor *t = &ctx->vals[ctx->n_vals];
    t->dtype = dtype;
    t->shape = *shape;
    t->data = NULL;
    return ctx->n_vals++;
}

int fc_ctx_add_const(fc_nn_ctx *ctx, fc_dtype dtype, const fc_shape *shape, void *buf)
{
    int v = ctx->n_folded < ctx->cap_folded ? fc_ctx_add_value(ctx, dtype, shape) : -1;
    if (v < 0) {
        fc_aligned_free(buf);
        return -1;
    }
    ctx->folded[ctx->n_folded++] = buf;
    ctx->vals[v].data = buf;
    ctx->known[v] = 1;
    return v;
}

/* A model exported for batch 1 runs at batch N (ctx->batch): a constant Reshape
 * target that pins the leading dim to 1 while its input leads with N follows the
 * batch ([1,-1] becomes [N,-1]), as exporters meant. The step reads a copy. */
static fc_status follow_batch(fc_nn_ctx *ctx, fc_step *s, fc_error *err)
{
    const fc_tensor *x = s->in[0], *t = s->n_in > 1 ? s->in[1] : NULL;
    if (ctx->batch <= 1 || s->node->op != &fc_op_reshape || !t || !ctx->known[s->in_ids[1]] ||
        t->dtype != FC_DT_INT64 || t->shape.ndim != 1 || t->shape.d[0] < 1 || x->shape.ndim < 1 ||
        x->shape.d[0] != ctx->batch || ((const int64_t *)t->data)[0] != 1)
        return FC_OK;
    int64_t *copy = fc_aligned_alloc((size_t)fc_tensor_bytes(t));
    if (copy) {
        memcpy(copy, t->data, (size_t)fc_tensor_bytes(t));
        copy[0] = ctx->batch;
    }
    int v = copy ? fc_ctx_add_const(ctx, FC_DT_INT64, &t->shape, copy) : -1;
    if (v < 0)
        return fc_error_set(err, FC_ERR_NOMEM, "context");
    s->in_ids[1] = v;
    s->in[1] = &ctx->vals[v];
    return FC_OK;
}

static int all_inputs_known(const fc_nn_ctx *ctx, const fc_node *n)
{
    if (n->op->shape_only)
        return 1;
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !ctx->known[n->in[i]])
            return 0;
    return 1;
}

/* Runs a node now and keeps its outputs as constants of this context. */
static fc_status fold(fc_nn_ctx *ctx, const fc_node *n, fc_tensor **in, fc_tensor **out,
                      fc_error *err)
{
    fc_status rc = FC_OK;
    void *scratch = NULL;
    if (n->op->alias) {
        out[0]->data = in[0]->data;
    } else {
        for (int o = 0; o < n->n_out; o++) {
            void *buf = fc_aligned_alloc((size_t)fc_tensor_bytes(out[o]));
            if (!buf)
                return fc_error_set(err, FC_ERR_NOMEM, "folding node '%s'", n->name);
            ctx->folded[ctx->n_folded++] = buf;
            out[o]->data = buf;
        }
        size_t sbytes = n->op->scratch ? n->op->scratch(n->params, in, n->n_in, out, n->n_out) : 0;
        if (!(scratch = fc_aligned_alloc(sbytes)))
            return fc_error_set(err, FC_ERR_NOMEM, "folding node '%s'", n->name);
        rc = n->op->ref(n->params, in, n->n_in, out, n->n_out, scratch, err);
        fc_aligned_free(scratch);
        if (rc)
            return fc_node_error(err, n);
    }
    for (int o = 0; o < n->n_out; o++)
        ctx->known[n->out[o]] = 1;
    return rc;
}

fc_status fc_ctx_infer(fc_nn_ctx *ctx, const fc_shape *input_shapes, fc_error *err)
{
    const fc_nn_model *m = ctx->m;
    int n_outs = 0;
    for (int k = 0; k < m->n_nodes; k++)
        n_outs += m->nodes[k].n_out;
    /* room for the temporaries fast steps may add: one layout copy per value */
    ctx->cap_vals = 2 * m->n_values + 1;
    ctx->n_vals = m->n_values;
    ctx->vals = calloc((size_t)ctx->cap_vals, sizeof *ctx->vals);
    ctx->known = calloc((size_t)ctx->cap_vals, 1);
    ctx->nhwc = calloc((size_t)ctx->cap_vals, 1);
    ctx->cap_folded = n_outs + m->n_nodes + 1;
    ctx->folded = calloc((size_t)ctx->cap_folded, sizeof *ctx->folded);
    ctx->steps = calloc((size_t)m->n_nodes + 1, sizeof *ctx->steps);
    if (!ctx->vals || !ctx->known || !ctx->nhwc || !ctx->folded || !ctx->steps)
        return fc_error_set(err, FC_ERR_NOMEM, "context");
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].kind == FC_VALUE_CONST) {
            ctx->vals[v] = m->values[v].t;
            ctx->known[v] = 1;
        }
    fc_status rc = bind_inputs(ctx, input_shapes, err);
    for (int k = 0; !rc && k < m->n_nodes; k++) {
        const fc_node *n = &m->nodes[k];
        fc_step *s = &ctx->steps[ctx->n_steps];
        /* the slot owns the arrays from here; the next node reuses it if this folds */
        if ((rc = fc_step_init(ctx, s, n->op->alias ? FC_STEP_ALIAS : FC_STEP_REF, n, n->n_in,
                               n->in, n->n_out, n->out, err)))
            break;
        fc_tensor **in = s->in, **out = s->out;
        if ((rc = follow_batch(ctx, s, err)))
            break;
        if ((rc = n->op->shape(n->params, in, n->n_in, out, n->n_out, err))) {
            rc = fc_node_error(err, n);
            break;
        }
        for (int o = 0; o < n->n_out && !rc; o++) {
            int64_t bytes = fc_tensor_bytes(out[o]);
            if (bytes < 0 || bytes > ctx->max_tensor_bytes) {
                char sh[128];
                rc = fc_error_set(err, FC_ERR_LIMIT, "output '%s' of shape %s is too large",
                                  m->values[n->out[o]].name, fc_shape_str(&out[o]->shape, sh, sizeof sh));
                rc = fc_node_error(err, n);
            }
        }
        if (rc)
            break;
        if (all_inputs_known(ctx, n)) {
            rc = fold(ctx, n, in, out, err);
            fc_step_free(s);
        } else {
            ctx->n_steps++;
        }
    }
    return rc;
}
