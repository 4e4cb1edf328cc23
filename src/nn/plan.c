/* plan.c - the memory plan: every activation a step writes gets an offset in one
 * arena, planned before the first run. Values whose lifetimes (first write to last
 * read) do not overlap share bytes; alias ops (Reshape, ...) share their input's
 * buffer and stretch its lifetime. Greedy: largest first, lowest free offset. */
#include "nn/ctx.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int value;
    size_t bytes, offset;
    int first, last; /* step indices */
} block;

static int by_size_desc(const void *a, const void *b)
{
    const block *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->value - y->value;
}

/* Lowest offset for b that overlaps no placed block live at the same time. */
static size_t place(const block *placed, int n_placed, const block *b)
{
    size_t offset = 0;
    for (int moved = 1; moved;) {
        moved = 0;
        for (int i = 0; i < n_placed; i++) {
            const block *p = &placed[i];
            int live_together = p->first <= b->last && b->first <= p->last;
            int bytes_overlap = p->offset < offset + b->bytes && offset < p->offset + p->bytes;
            if (live_together && bytes_overlap) {
                offset = fc_align_up(p->offset + p->bytes);
                moved = 1;
            }
        }
    }
    return offset;
}

fc_status fc_ctx_plan(fc_nn_ctx *ctx, fc_error *err)
{
    const fc_nn_model *m = ctx->m;
    fc_status rc = FC_OK;
    int nv = ctx->n_vals;
    int *root = malloc(((size_t)nv + 1) * sizeof *root);
    int *block_of = malloc(((size_t)nv + 1) * sizeof *block_of);
    block *blocks = calloc((size_t)nv + 1, sizeof *blocks);
    int n_blocks = 0;
    size_t scratch = 0, top = 0;
    if (!root || !block_of || !blocks) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "planning memory");
        goto out;
    }
    for (int v = 0; v < nv; v++)
        root[v] = v, block_of[v] = -1;
    /* one block per written, non-alias value; aliases point at their root */
    for (int s = 0; s < ctx->n_steps; s++) {
        const fc_step *st = &ctx->steps[s];
        if (st->kind == FC_STEP_ALIAS) {
            root[st->out_ids[0]] = root[st->in_ids[0]];
            continue;
        }
        for (int o = 0; o < st->n_out; o++) {
            block *b = &blocks[n_blocks];
            b->value = st->out_ids[o];
            b->bytes = fc_align_up((size_t)fc_tensor_bytes(st->out[o]));
            b->first = b->last = s;
            block_of[st->out_ids[o]] = n_blocks++;
        }
        const fc_node *n = st->node;
        if (st->kind == FC_STEP_REF && n->op->scratch) {
            size_t need = n->op->scratch(n->params, st->in, st->n_in, st->out, st->n_out);
            scratch = need > scratch ? need : scratch;
        }
    }
    /* lifetimes: the last step reading a value (or its aliases); outputs live on */
    for (int s = 0; s < ctx->n_steps; s++) {
        const fc_step *st = &ctx->steps[s];
        for (int i = 0; i < st->n_in; i++)
            if (st->in_ids[i] >= 0 && block_of[root[st->in_ids[i]]] >= 0)
                blocks[block_of[root[st->in_ids[i]]]].last = s;
    }
    for (int i = 0; i < m->n_outputs; i++)
        if (block_of[root[m->outputs[i]]] >= 0)
            blocks[block_of[root[m->outputs[i]]]].last = ctx->n_steps;
    qsort(blocks, (size_t)n_blocks, sizeof *blocks, by_size_desc);
    for (int i = 0; i < n_blocks; i++) {
        blocks[i].offset = place(blocks, i, &blocks[i]);
        if (blocks[i].offset + blocks[i].bytes > top)
            top = blocks[i].offset + blocks[i].bytes;
    }
    ctx->scratch_offset = fc_align_up(top);
    ctx->arena_bytes = ctx->scratch_offset + fc_align_up(scratch);
    ctx->arena = fc_aligned_alloc(ctx->arena_bytes);
    if (!ctx->arena) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "arena of %zu bytes", ctx->arena_bytes);
        goto out;
    }
    for (int i = 0; i < n_blocks; i++)
        ctx->vals[blocks[i].value].data = ctx->arena + blocks[i].offset;
    /* aliases of planned values can point there now; aliases of graph inputs are
     * re-pointed by their step on every run */
    for (int s = 0; s < ctx->n_steps; s++) {
        const fc_step *st = &ctx->steps[s];
        if (st->kind == FC_STEP_ALIAS)
            ctx->vals[st->out_ids[0]].data = ctx->vals[st->in_ids[0]].data;
    }
out:
    free(root);
    free(block_of);
    free(blocks);
    return rc;
}
