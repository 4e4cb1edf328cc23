/* exec.c - contexts and runs: create (infer + fold + plan), run (one loop over the
 * planned steps, no allocation: oneDNN's own come from the context's newpool), free. */
#include "nn/ctx.h"
#include "nn/fast.h"

#include "core/alloc.h"
#include "core/clock.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* FC_NN_TRACE=1: the context's steps on stderr, for people debugging a model. */
static void trace_steps(const fc_nn_ctx *ctx)
{
    static const char *const kinds[] = {"ref", "alias", "fast", "to_nhwc", "to_nchw"};
    const char *env = getenv("FC_NN_TRACE");
    if (!env || strcmp(env, "1") != 0)
        return;
    for (int i = 0; i < ctx->n_steps; i++) {
        const fc_step *s = &ctx->steps[i];
        char sh[128];
        fprintf(stderr, "step %3d %-7s %-12s %-28s in", i, kinds[s->kind], s->node->op->name,
                s->node->name);
        for (int k = 0; k < s->n_in; k++)
            fprintf(stderr, " %d%s", s->in_ids[k], s->in_ids[k] >= 0 && ctx->nhwc[s->in_ids[k]] ? "h" : "");
        fprintf(stderr, " -> %d%s %s %s\n", s->out_ids[0], ctx->nhwc[s->out_ids[0]] ? "h" : "",
                fc_shape_str(&s->out[0]->shape, sh, sizeof sh), fc_fast_impl(s));
    }
}

static int reference_from_env(void)
{
    const char *b = getenv("FC_NN_BACKEND");
    return b && strcmp(b, "ref") == 0;
}

fc_nn_ctx *fc_nn_ctx_new(const fc_nn_model *m, const fc_shape *input_shapes, fc_error *err)
{
    return fc_nn_ctx_new_opts(m, input_shapes, NULL, err);
}

fc_nn_ctx *fc_nn_ctx_new_opts(const fc_nn_model *m, const fc_shape *input_shapes,
                              const fc_nn_ctx_opts *opts, fc_error *err)
{
    fc_nn_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        fc_error_set(err, FC_ERR_NOMEM, "context");
        return NULL;
    }
    ctx->m = m;
    ctx->n_threads = opts && opts->threads > 0 ? opts->threads : fc_nn_default_threads();
    int reference = (opts && opts->reference) || reference_from_env();
    ctx->max_tensor_bytes = opts && opts->max_tensor_bytes > 0 ? opts->max_tensor_bytes
                                                                : (int64_t)1 << 32;
    /* oneDNN sizes its work split for the thread count current when a primitive is
     * created: set it first (and a context keeps its thread count) */
    if (!reference)
        fc_fast_begin_run(ctx);
    if (fc_ctx_infer(ctx, input_shapes, err)) {
        fc_nn_ctx_free(ctx);
        return NULL;
    }
    ctx->macs = fc_ctx_count_macs(ctx); /* before fusion: one step per node */
    if ((!reference && fc_fast_compile(ctx, err)) || fc_ctx_plan(ctx, err) ||
        (!reference && fc_fast_bind(ctx, err))) {
        fc_nn_ctx_free(ctx);
        return NULL;
    }
    /* FC_NN_NEWPOOL=0: oneDNN's allocations during runs from malloc (to measure or
     * rule out the pool) */
    int pooled = !reference && fc_newpool_enabled() && !fc_fast_switched_off("FC_NN_NEWPOOL");
    if (pooled && !(ctx->newpool = fc_newpool_new())) {
        fc_error_set(err, FC_ERR_NOMEM, "context: pool for oneDNN's allocations");
        fc_nn_ctx_free(ctx);
        return NULL;
    }
    trace_steps(ctx);
    fc_profile_init(ctx);
    return ctx;
}

void fc_step_free(fc_step *s)
{
    fc_fast_free(s->fast);
    free(s->in); /* the block of all four arrays */
    memset(s, 0, sizeof *s);
}

int fc_ctx_is_output(const fc_nn_ctx *ctx, int v)
{
    for (int i = 0; i < ctx->m->n_outputs; i++)
        if (ctx->m->outputs[i] == v)
            return 1;
    return 0;
}

int fc_ctx_sole_reader(const fc_nn_ctx *ctx, int v)
{
    int r = -1;
    if (fc_ctx_is_output(ctx, v))
        return -1;
    for (int i = 0; i < ctx->n_steps; i++)
        for (int k = 0; k < ctx->steps[i].n_in; k++)
            if (ctx->steps[i].in_ids[k] == v) {
                if (r >= 0)
                    return -1;
                r = i;
            }
    return r;
}

void fc_nn_ctx_free(fc_nn_ctx *ctx)
{
    if (!ctx)
        return;
    fc_profile_report(ctx);
    free(ctx->step_s);
    /* steps[n_steps] may hold the arrays of a node whose inference failed */
    for (int s = 0; ctx->steps && s <= ctx->n_steps; s++)
        fc_step_free(&ctx->steps[s]);
    for (int i = 0; i < ctx->n_folded; i++)
        fc_aligned_free(ctx->folded[i]);
    free(ctx->folded);
    free(ctx->steps);
    free(ctx->vals);
    free(ctx->known);
    free(ctx->nhwc);
    fc_aligned_free(ctx->arena);
    fc_newpool_free(ctx->newpool);
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

int fc_nn_ctx_threads(const fc_nn_ctx *ctx) { return ctx->n_threads; }

const fc_tensor *fc_nn_ctx_output(const fc_nn_ctx *ctx, int i)
{
    return i >= 0 && i < ctx->m->n_outputs ? &ctx->vals[ctx->m->outputs[i]] : NULL;
}

int fc_nn_ctx_n_steps(const fc_nn_ctx *ctx) { return ctx->n_steps; }

size_t fc_nn_ctx_arena_bytes(const fc_nn_ctx *ctx) { return ctx->arena_bytes; }

int64_t fc_nn_ctx_macs(const fc_nn_ctx *ctx) { return ctx->macs; }

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
    unsigned fp_state = fc_denormals_off();
    fc_status rc = FC_OK;
    fc_fast_begin_run(ctx);
    fc_newpool *outer_pool = fc_newpool_enter(ctx->newpool);
    double t = ctx->step_s ? fc_now_s() : 0;
    for (int s = 0; s < ctx->n_steps; s++) {
        const fc_step *st = &ctx->steps[s];
        const fc_node *n = st->node;
        switch (st->kind) {
        case FC_STEP_ALIAS:
            st->out[0]->data = st->in[0]->data;
            break;
        case FC_STEP_REF:
            rc = n->op->ref(n->params, st->in, st->n_in, st->out, st->n_out, scratch, err);
            break;
        case FC_STEP_FAST:
            rc = fc_fast_run(st, err);
            break;
        case FC_STEP_TO_NHWC:
        case FC_STEP_TO_NCHW:
            if (st->fast)
                rc = fc_fast_run(st, err);
            else
                fc_layout_convert(st->in[0], st->out[0], st->kind == FC_STEP_TO_NHWC);
            break;
        }
        if (rc) {
            fc_node_error(err, n);
            break;
        }
        if (ctx->step_s) {
            double t1 = fc_now_s();
            ctx->step_s[s] += t1 - t;
            t = t1;
        }
    }
    ctx->profiled_runs += ctx->step_s != NULL;
    fc_newpool_leave(outer_pool);
    fc_fast_end_run(ctx);
    fc_denormals_restore(fp_state);
    for (int i = 0; !rc && i < m->n_outputs; i++)
        outputs[i] = ctx->vals[m->outputs[i]];
    return rc;
}
