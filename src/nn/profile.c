/* profile.c - FC_NN_PROFILE=1: time per step of every run of a context, printed on
 * stderr when the context is freed (slowest first), for people making a model faster.
 * Off, it costs one branch per run. */
#include "nn/ctx.h"
#include "nn/fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_profile_init(fc_nn_ctx *ctx)
{
    const char *env = getenv("FC_NN_PROFILE");
    if (env && strcmp(env, "1") == 0)
        ctx->step_s = calloc((size_t)(ctx->n_steps ? ctx->n_steps : 1), sizeof *ctx->step_s);
}

static const fc_nn_ctx *sort_ctx;

static int slower_first(const void *a, const void *b)
{
    double ta = sort_ctx->step_s[*(const int *)a], tb = sort_ctx->step_s[*(const int *)b];
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

void fc_profile_report(fc_nn_ctx *ctx)
{
    if (!ctx->step_s || ctx->profiled_runs == 0)
        return;
    int *order = malloc((size_t)(ctx->n_steps ? ctx->n_steps : 1) * sizeof *order);
    if (!order)
        return;
    double total = 0;
    for (int s = 0; s < ctx->n_steps; s++)
        order[s] = s, total += ctx->step_s[s];
    sort_ctx = ctx;
    qsort(order, (size_t)ctx->n_steps, sizeof *order, slower_first);
    const double runs = (double)ctx->profiled_runs;
    fprintf(stderr, "profile: %d runs, %.3f ms per run in %d steps\n", ctx->profiled_runs,
            1e3 * total / runs, ctx->n_steps);
    for (int i = 0; i < ctx->n_steps; i++) {
        const fc_step *st = &ctx->steps[order[i]];
        char sh[96];
        fprintf(stderr, "  %8.4f ms %5.1f%%  step %3d %-14s %-24s %s\n", 1e3 * ctx->step_s[order[i]] / runs,
                100 * ctx->step_s[order[i]] / (total > 0 ? total : 1), order[i], st->node->op->name,
                fc_shape_str(&st->out[0]->shape, sh, sizeof sh), st->fast ? fc_fast_impl(st) : "");
    }
    free(order);
}
