/* fuse_flat.c - after fuse.c: a Sigmoid, Exp or Tanh still on its reference kernel
 * (a detector's tail works on Reshaped NCHW tensors: YOLO's [1,3,40,40,16], YuNet's
 * [1,6400,1], UltraFace's boxes) runs as a oneDNN eltwise over its elements as they
 * lie: the layout is the same on both sides, so nothing else changes. oneDNN's
 * vector exp stands in for expf per element (yolo5face's largest Sigmoid: 0.146 ms
 * before, see bench/RESULTS.md for the models). FC_NN_FLAT=0 turns it off. */
#include "nn/fast.h"

#include "nn/ops/ops.h"

#include <stdlib.h>
#include <string.h>

/* Elementwise tails worth it: below this many elements a reference loop is as
 * quick as a primitive call. */
enum { FLAT_MIN_ELEMENTS = 1024 };

static int flat_alg(const fc_step *s, fc_elt_alg *alg)
{
    const fc_op_def *op = s->node->op;
    if (op == &fc_op_sigmoid)
        *alg = FC_ELT_LOGISTIC;
    else if (op == &fc_op_exp)
        *alg = FC_ELT_EXP;
    else if (op == &fc_op_tanh)
        *alg = FC_ELT_TANH;
    else
        return 0;
    return 1;
}

fc_status fc_fast_fuse_flat(fc_nn_ctx *ctx, fc_error *err)
{
    if (fc_fast_switched_off("FC_NN_FLAT"))
        return FC_OK;
    for (int i = 0; i < ctx->n_steps; i++) {
        fc_step *s = &ctx->steps[i];
        fc_fast_desc d = {.kind = FC_FAST_ELTWISE, .flat = 1};
        if (s->kind != FC_STEP_REF || s->n_in != 1 || s->n_out != 1 || !s->in[0] ||
            s->in[0]->dtype != FC_DT_FLOAT || s->out[0]->dtype != FC_DT_FLOAT ||
            ctx->nhwc[s->in_ids[0]] || ctx->nhwc[s->out_ids[0]] ||
            fc_shape_numel(&s->in[0]->shape) < FLAT_MIN_ELEMENTS ||
            !fc_shape_equal(&s->in[0]->shape, &s->out[0]->shape) || !flat_alg(s, &d.elt))
            continue;
        fc_error ignored = {0};
        fc_status rc = fc_fast_create(ctx, s, &d, &ignored);
        if (rc == FC_ERR_NOMEM)
            return fc_error_set(err, rc, "%s", ignored.msg);
        if (rc == FC_OK)
            s->kind = FC_STEP_FAST;
    }
    return FC_OK;
}
