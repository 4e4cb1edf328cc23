/* fuse_gather.c - after fuse.c: channel gathers read through what only gathers read.
 * A ShuffleNet block (yolo5face, yolov8-lite) ends in Concat(x1, branch), a channel
 * shuffle and two channel Slices. fuse.c makes each shuffle-and-slice one gather
 * (FC_FAST_CHANNELS), but the Concat still copies every channel once, and the slice
 * that becomes the next block's x1 is only copied on into the next Concat. Here such
 * a Concat or gather (a step whose output nothing but gathers reads, and which is not
 * a graph output) is dropped, and its readers gather straight from its inputs: per
 * output channel, which input and which of its channels. Per block, only the
 * branch's input is still copied. FC_NN_GATHER=0 turns the pass off. */
#include "nn/fast.h"

#include "nn/gather.h"

#include <stdlib.h>
#include <string.h>

/* A gather reads at most this many inputs (a ShuffleNet stage of n blocks gives n + 1). */
enum { MAX_SOURCES = FC_GATHER_MAX_IN };

/* A gather as a map: output channel j is channel ch[j] of value id[j]. */
typedef struct {
    int *id, *ch;
    int n;
} chan_map;

/* The map of step s (a gather or a channel Concat); 0 on success. */
static int map_of(const fc_step *s, chan_map *m)
{
    int co = (int)s->out[0]->shape.d[1];
    m->id = malloc((size_t)co * sizeof *m->id);
    m->ch = malloc((size_t)co * sizeof *m->ch);
    m->n = co;
    if (!m->id || !m->ch)
        return -1;
    if (fc_step_is_fast(s, FC_FAST_CONCAT)) {
        for (int k = 0, j = 0; k < s->n_in; k++)
            for (int64_t c = 0; c < s->in[k]->shape.d[1]; c++, j++)
                m->id[j] = s->in_ids[k], m->ch[j] = (int)c;
        return 0;
    }
    const int *src, *map = fc_fast_gather_map(s->fast, &src);
    for (int j = 0; j < co; j++)
        m->id[j] = s->in_ids[src[j]], m->ch[j] = map[j];
    return 0;
}

static void map_free(chan_map *m)
{
    free(m->id);
    free(m->ch);
}

/* The steps reading value v (each once) into readers[], if there are 1 to max of
 * them, all gathers, and v is not a graph output; else 0. */
static int gather_readers(const fc_nn_ctx *ctx, int v, int *readers, int max)
{
    int n = 0;
    if (fc_ctx_is_output(ctx, v))
        return 0;
    for (int i = 0; i < ctx->n_steps; i++)
        for (int k = 0; k < ctx->steps[i].n_in; k++)
            if (ctx->steps[i].in_ids[k] == v) {
                if (!fc_step_is_fast(&ctx->steps[i], FC_FAST_CHANNELS) || n == max)
                    return 0;
                readers[n++] = i;
                break;
            }
    return n;
}

/* Rebuilds gather step s reading through p (whose map is pm) into *out.
 * FC_ERR_UNSUPPORTED: it would read too many inputs. */
static fc_status reroute(fc_nn_ctx *ctx, const fc_step *s, const fc_step *p, const chan_map *pm,
                         fc_step *out, fc_error *err)
{
    chan_map sm;
    int ids[MAX_SOURCES], n_ids = 0;
    fc_status rc = FC_OK;
    if (map_of(s, &sm)) {
        map_free(&sm);
        return fc_error_set(err, FC_ERR_NOMEM, "channel gather");
    }
    int *src = malloc((size_t)sm.n * sizeof *src), *map = malloc((size_t)sm.n * sizeof *map);
    if (!src || !map)
        rc = fc_error_set(err, FC_ERR_NOMEM, "channel gather");
    for (int j = 0; !rc && j < sm.n; j++) {
        int id = sm.id[j], ch = sm.ch[j];
        if (id == p->out_ids[0])
            id = pm->id[ch], ch = pm->ch[ch];
        int k = 0;
        while (k < n_ids && ids[k] != id)
            k++;
        if (k == n_ids && n_ids == MAX_SOURCES)
            rc = FC_ERR_UNSUPPORTED;
        else if (k == n_ids)
            ids[n_ids++] = id;
        src[j] = k, map[j] = ch;
    }
    int co = sm.n;
    map_free(&sm);
    if (!rc)
        rc = fc_step_init(ctx, out, FC_STEP_FAST, s->node, n_ids, ids, 1, s->out_ids, err);
    if (!rc) {
        int64_t channels[MAX_SOURCES];
        for (int k = 0; k < n_ids; k++)
            channels[k] = ctx->vals[ids[k]].shape.d[1];
        if (!(out->fast = fc_fast_wrap_gather(src, map, co, channels, n_ids, err))) {
            fc_step_free(out);
            rc = err->code;
        }
    }
    free(src);
    free(map);
    return rc;
}

/* Drops step i if only gathers read it, rerouting them. */
static fc_status fold(fc_nn_ctx *ctx, int i, fc_error *err)
{
    const fc_step *p = &ctx->steps[i];
    int readers[64], n;
    if (!(fc_step_is_fast(p, FC_FAST_CHANNELS) || fc_step_is_fast(p, FC_FAST_CONCAT)) || p->n_out != 1 ||
        !(n = gather_readers(ctx, p->out_ids[0], readers, 64)))
        return FC_OK;
    chan_map pm;
    fc_step *now = calloc((size_t)n + 1, sizeof *now);
    fc_status rc = now && !map_of(p, &pm) ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "channel gather");
    int made = 0;
    while (!rc && made < n && !(rc = reroute(ctx, &ctx->steps[readers[made]], p, &pm, &now[made], err)))
        made++;
    for (int k = 0; !rc && k < n; k++) /* reading through p must keep each gather's vectors */
        if (fc_fast_gather_scalar_blocks(now[k].fast) > fc_fast_gather_scalar_blocks(ctx->steps[readers[k]].fast))
            rc = FC_ERR_UNSUPPORTED;
    if (!rc) {
        for (int k = 0; k < n; k++) {
            fc_step_free(&ctx->steps[readers[k]]);
            ctx->steps[readers[k]] = now[k];
        }
        fc_step_free(&ctx->steps[i]);
        memmove(&ctx->steps[i], &ctx->steps[i + 1], (size_t)(ctx->n_steps - i - 1) * sizeof *ctx->steps);
        ctx->n_steps--;
        memset(&ctx->steps[ctx->n_steps], 0, sizeof *ctx->steps); /* fc_nn_ctx_free looks there */
    }
    for (int k = 0; rc && k < made; k++)
        fc_step_free(&now[k]);
    if (now)
        map_free(&pm);
    free(now);
    return rc == FC_ERR_UNSUPPORTED ? FC_OK : rc;
}

fc_status fc_fast_fuse_gather(fc_nn_ctx *ctx, fc_error *err)
{
    if (fc_fast_switched_off("FC_NN_GATHER"))
        return FC_OK;
    /* last first: dropping a step makes its inputs' readers gathers, and its inputs
     * come before it */
    for (int i = ctx->n_steps - 1; i >= 0; i--) {
        fc_status rc = fold(ctx, i, err);
        if (rc)
            return rc;
    }
    return FC_OK;
}
