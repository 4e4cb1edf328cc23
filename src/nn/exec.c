/* exec.c - contexts and runs: create (infer + fold + plan), run (one loop over the
 * planned steps, no allocation), free. */
#include "nn/ctx.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fc_nn_ctx *fc_nn_ctx_new(const fc_nn_model *m, const fc_shape *input_shapes, fc_error *err)
{
    fc_nn_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        fc_error_set(err, FC_ERR_NOMEM, "context");
        return NULL;
    }
    ctx->m = m;
    ctx->n_threads = fc_nn_default_threads();
    if (fc_ctx_infer(ctx, input_shapes, err) || fc_ctx_plan(ctx, err)) {
        fc_nn_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void fc_nn_ctx_free(fc_nn_ctx *ctx)
{
    if (!ctx)
        return;
    /* steps[n_steps] may hold the arrays of a node whose inference failed */
    for (int s = 0; ctx->steps && s <= ctx->n_steps; s++)
        free(ctx->steps[s].in);
    for (int i = 0; i < ctx->n_folded; i++)
        fc_aligned_free(ctx->folded[i]);
    free(ctx->folded);
    free(ctx->steps);
    free(ctx->vals);
    free(ctx->known);
    fc_aligned_free(ctx->arena);
    free(ctx);
}

int fc_nn_default_threads(void)
{
    const char *env = getenv("FC_THREADS");
    if (env && *env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n >= 1 && n <= 1024)
            return (int)n;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 1 ? (int)cores : 1;
}

void fc_nn_ctx_set_threads(fc_nn_ctx *ctx, int n_threads)
{
    ctx->n_threads = n_threads >= 1 ? n_threads : 1;
}

int fc_nn_ctx_threads(const fc_nn_ctx *ctx) { return ctx->n_threads; }

const fc_tensor *fc_nn_ctx_output(const fc_nn_ctx *ctx, int i)
{
    return i >= 0 && i < ctx->m->n_outputs ? &ctx->vals[ctx->m->outputs[i]] : NULL;
}

int fc_nn_ctx_n_steps(const fc_nn_ctx *ctx) { return ctx->n_steps; }

size_t fc_nn_ctx_arena_bytes(const fc_nn_ctx *ctx) { return ctx->arena_bytes; }

fc_status fc_nn_run(fc_nn_ctx *ctx, const fc_tensor *inputs, fc_tensor *outputs, fc_error *err)
{
    const fc_nn_model *m = ctx->m;
    for (int i = 0; i < m->n_inputs; i++) {
        fc_tensor *t = &ctx->vals[m->inputs[i]];
        char a[128], b[128];
        if (inputs[i].dtype != t->dtype || !fc_shape_equal(&inputs[i].shape, &t->shape) ||
            !inputs[i].data)
            return fc_error_set(err, FC_ERR_SHAPE,
                                "input '%s': context expects %s %s, got %s %s%s", m->in_info[i].name,
                                fc_dtype_name(t->dtype), fc_shape_str(&t->shape, a, sizeof a),
                                fc_dtype_name(inputs[i].dtype),
                                fc_shape_str(&inputs[i].shape, b, sizeof b),
                                inputs[i].data ? "" : " without data");
        t->data = inputs[i].data;
    }
    void *scratch = ctx->arena + ctx->scratch_offset;
    for (int s = 0; s < ctx->n_steps; s++) {
        const fc_step *st = &ctx->steps[s];
        const fc_node *n = st->node;
        if (n->op->alias) {
            st->out[0]->data = st->in[0]->data;
            continue;
        }
        fc_status rc = n->op->ref(n->params, st->in, n->n_in, st->out, n->n_out, scratch, err);
        if (rc)
            return fc_node_error(err, n);
    }
    for (int i = 0; i < m->n_outputs; i++)
        outputs[i] = ctx->vals[m->outputs[i]];
    return FC_OK;
}
