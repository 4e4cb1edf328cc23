/* embed.c - embedders: preprocessing per kind, batches through cached executor
 * contexts, L2 normalisation.
 *
 * Channel order of fr_feature.onnx (the default arcface112 model): its package's
 * JavaScript feeds RGB, but on shared/data/celebs_aligned/pairs.tsv BGR is clearly
 * better (see docs/pipeline.md for the numbers), so arcface112 defaults to BGR;
 * EMBED_CHANNELS=rgb switches (and FC_CHANNELS_RGB in the options). */
#include "face/embed.h"

#include "core/alloc.h"
#include "face/tensorize.h"
#include "nn/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_BATCH_SIZES 4 /* 1, 2, 4, 8 */

struct fc_embedder {
    fc_nn_model *model;
    fc_embedder_kind kind;
    int size, dim, nhwc, bgr, flip;
    int nn_threads, max_batch;
    fc_shape in_shape; /* batch 1 */
};

struct fc_embedder_ctx {
    const fc_embedder *e;
    fc_nn_ctx *nn[N_BATCH_SIZES]; /* index k: batch 1 << k */
    float *input;                 /* max_batch crops */
    float *mirrored;              /* with flip: max_batch vectors of the mirrored crops */
};

fc_embedder *fc_embedder_new(const fc_embedder_opts *opts, fc_error *err)
{
    fc_embedder *e = calloc(1, sizeof *e);
    if (!e) {
        fc_error_set(err, FC_ERR_NOMEM, "embedder: out of memory");
        return NULL;
    }
    e->model = fc_nn_load(opts->model_path, err);
    if (!e->model)
        goto out;
    const fc_shape *in = &fc_nn_input_info(e->model, 0)->shape;
    const fc_shape *out = fc_nn_n_outputs(e->model) >= 1 ? &fc_nn_output_info(e->model, 0)->shape : NULL;
    int ok = fc_nn_n_inputs(e->model) == 1 && in->ndim == 4 && out && out->ndim == 2 && out->d[1] > 0;
    if (ok && in->d[1] == 3 && in->d[2] > 0 && in->d[2] == in->d[3]) {
        e->size = (int)in->d[2];
    } else if (ok && in->d[3] == 3 && in->d[1] > 0 && in->d[1] == in->d[2]) {
        e->size = (int)in->d[1];
        e->nhwc = 1;
    } else {
        fc_error_set(err, FC_ERR_UNSUPPORTED,
                     "%s: not a face embedder (one input 1x3xSxS or 1xSxSx3, output 1xD)", opts->model_path);
        goto out;
    }
    e->dim = (int)out->d[1];
    e->kind = opts->kind;
    if (e->kind == FC_EMBEDDER_AUTO)
        e->kind = e->size == 160 ? FC_EMBEDDER_FACENET160 : FC_EMBEDDER_ARCFACE112;
    e->bgr = opts->channels == FC_CHANNELS_BGR ||
             (opts->channels == FC_CHANNELS_DEFAULT && e->kind == FC_EMBEDDER_ARCFACE112);
    e->flip = opts->flip != 0;
    e->nn_threads = opts->nn_threads;
    e->max_batch = opts->max_batch == 1 || opts->max_batch == 2 || opts->max_batch == 4 ? opts->max_batch : 8;
    e->in_shape = *in;
    e->in_shape.d[0] = 1;
    return e;
out:
    fc_embedder_free(e);
    return NULL;
}

void fc_embedder_free(fc_embedder *e)
{
    if (!e)
        return;
    fc_nn_free(e->model);
    free(e);
}

fc_embedder_kind fc_embedder_kind_of(const fc_embedder *e) { return e->kind; }
int fc_embedder_size(const fc_embedder *e) { return e->size; }
int fc_embedder_dim(const fc_embedder *e) { return e->dim; }

fc_embedder_ctx *fc_embedder_ctx_new(const fc_embedder *e, fc_error *err)
{
    fc_embedder_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->input = fc_aligned_alloc((size_t)e->max_batch * 3 * (size_t)e->size * (size_t)e->size * sizeof(float));
        if (e->flip)
            c->mirrored = malloc((size_t)e->max_batch * (size_t)e->dim * sizeof(float));
    }
    if (!c || !c->input || (e->flip && !c->mirrored)) {
        fc_embedder_ctx_free(c);
        fc_error_set(err, FC_ERR_NOMEM, "embedder: out of memory");
        return NULL;
    }
    c->e = e;
    return c;
}

void fc_embedder_ctx_free(fc_embedder_ctx *c)
{
    if (!c)
        return;
    for (int k = 0; k < N_BATCH_SIZES; k++)
        fc_nn_ctx_free(c->nn[k]);
    fc_aligned_free(c->input);
    free(c->mirrored);
    free(c);
}

void fc_face_prewhiten(float *x, size_t n)
{
    if (!n)
        return;
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sum2 += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(sum2 / (double)n), floor_sd = 1.0 / sqrt((double)n);
    double inv = 1.0 / (sd > floor_sd ? sd : floor_sd);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((x[i] - mean) * inv);
}

void fc_face_l2_normalize(float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    if (!(s > 0))
        return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < n; i++)
        v[i] *= inv;
}

/* Embeds 1 << k crops already in c->input. */
static fc_status run_batch(fc_embedder_ctx *c, int k, float *out, fc_error *err)
{
    const fc_embedder *e = c->e;
    const int b = 1 << k;
    fc_shape shape = e->in_shape;
    shape.d[0] = b;
    if (!c->nn[k]) {
        fc_nn_ctx_opts o = {.threads = e->nn_threads};
        c->nn[k] = fc_nn_ctx_new_opts(e->model, &shape, &o, err);
        if (!c->nn[k])
            return err ? err->code : FC_ERR_INTERNAL;
    }
    fc_tensor in = {FC_DT_FLOAT, shape, c->input}, o[4];
    if (fc_nn_n_outputs(e->model) > 4)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "embedder: too many outputs");
    fc_status rc = fc_nn_run(c->nn[k], &in, o, err);
    if (rc)
        return rc;
    if (fc_shape_numel(&o[0].shape) != (int64_t)b * e->dim)
        return fc_error_set(err, FC_ERR_SHAPE, "embedder: output has %lld values, expected %d x %d",
                            (long long)fc_shape_numel(&o[0].shape), b, e->dim);
    memcpy(out, o[0].data, (size_t)b * (size_t)e->dim * sizeof(float));
    for (int i = 0; i < b; i++)
        fc_face_l2_normalize(out + (size_t)i * (size_t)e->dim, e->dim);
    return FC_OK;
}

/* Mirrors one tensorized S x S crop left to right, in place (NCHW: each row of
 * each plane reversed; NHWC: the pixels of each row reversed, channels kept). */
static void mirror(float *x, int s, int nhwc)
{
    const int px = nhwc ? 3 : 1, rows = nhwc ? s : 3 * s;
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * (size_t)s * (size_t)px;
        for (int a = 0, b = s - 1; a < b; a++, b--)
            for (int ch = 0; ch < px; ch++) {
                float t = row[a * px + ch];
                row[a * px + ch] = row[b * px + ch];
                row[b * px + ch] = t;
            }
    }
}

/* Adds the vectors of the b mirrored crops to dst's and normalises the sums. */
static fc_status add_mirrored(fc_embedder_ctx *c, int k, float *dst, fc_error *err)
{
    const fc_embedder *e = c->e;
    const int b = 1 << k;
    for (int i = 0; i < b; i++)
        mirror(c->input + (size_t)i * 3 * (size_t)e->size * (size_t)e->size, e->size, e->nhwc);
    fc_status rc = run_batch(c, k, c->mirrored, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < (size_t)b * (size_t)e->dim; i++)
        dst[i] += c->mirrored[i];
    for (int i = 0; i < b; i++)
        fc_face_l2_normalize(dst + (size_t)i * (size_t)e->dim, e->dim);
    return FC_OK;
}

fc_status fc_embedder_run(fc_embedder_ctx *c, const fc_image *const *crops, int n, float *out,
                          fc_error *err)
{
    const fc_embedder *e = c->e;
    const size_t per = 3 * (size_t)e->size * (size_t)e->size;
    const fc_place identity = {1, 1, 0, 0};
    const fc_pixel_norm norm = e->kind == FC_EMBEDDER_FACENET160
                                   ? (fc_pixel_norm){.bgr = e->bgr, .nhwc = e->nhwc, .mean = 0, .scale = 1}
                                   : (fc_pixel_norm){.bgr = e->bgr, .nhwc = e->nhwc, .mean = 127.0f, .scale = 1.0f / 128.0f};
    int done = 0;
    while (done < n) {
        int k = 3;
        while ((1 << k) > e->max_batch || (1 << k) > n - done)
            k--;
        const int b = 1 << k;
        for (int i = 0; i < b; i++) {
            const fc_image *crop = crops[done + i];
            if (crop->width != e->size || crop->height != e->size)
                return fc_error_set(err, FC_ERR_ARG, "embedder: crop is %dx%d, expected %dx%d",
                                    crop->width, crop->height, e->size, e->size);
            float *slot = c->input + (size_t)i * per;
            fc_status rc = fc_face_tensorize(crop, &identity, e->size, e->size, &norm, slot, err);
            if (rc)
                return rc;
            if (e->kind == FC_EMBEDDER_FACENET160)
                fc_face_prewhiten(slot, per);
        }
        float *dst = out + (size_t)done * (size_t)e->dim;
        fc_status rc = run_batch(c, k, dst, err);
        if (!rc && e->flip)
            rc = add_mirrored(c, k, dst, err);
        if (rc)
            return rc;
        done += b;
    }
    return FC_OK;
}
