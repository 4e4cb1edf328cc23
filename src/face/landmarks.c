/* landmarks.c - the 68-point landmark model: box crop, grey 64x64, run, map back. */
#include "face/landmarks.h"

#include "core/alloc.h"
#include "face/tensorize.h"
#include "nn/nn.h"

#include <stdlib.h>

struct fc_landmarker {
    fc_nn_model *model;
    int size; /* input side */
    int nn_threads;
};

struct fc_landmarker_ctx {
    const fc_landmarker *l;
    fc_nn_ctx *nn;
    float *input;
};

fc_landmarker *fc_landmarker_new(const char *path, int nn_threads, fc_error *err)
{
    fc_landmarker *l = calloc(1, sizeof *l);
    if (!l) {
        fc_error_set(err, FC_ERR_NOMEM, "landmarks: out of memory");
        return NULL;
    }
    l->model = fc_nn_load(path, err);
    if (!l->model)
        goto out;
    const fc_shape *in = &fc_nn_input_info(l->model, 0)->shape;
    const fc_shape *out = fc_nn_n_outputs(l->model) == 1 ? &fc_nn_output_info(l->model, 0)->shape : NULL;
    if (fc_nn_n_inputs(l->model) != 1 || in->ndim != 4 || in->d[1] != 1 || in->d[2] <= 0 ||
        in->d[2] != in->d[3] || !out || out->ndim != 2 || out->d[1] != 136) {
        fc_error_set(err, FC_ERR_UNSUPPORTED, "%s: not a 68-point landmark model (1x1xSxS -> 1x136)", path);
        goto out;
    }
    l->size = (int)in->d[2];
    l->nn_threads = nn_threads;
    return l;
out:
    fc_landmarker_free(l);
    return NULL;
}

void fc_landmarker_free(fc_landmarker *l)
{
    if (!l)
        return;
    fc_nn_free(l->model);
    free(l);
}

fc_landmarker_ctx *fc_landmarker_ctx_new(const fc_landmarker *l, fc_error *err)
{
    fc_landmarker_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fc_error_set(err, FC_ERR_NOMEM, "landmarks: out of memory");
        return NULL;
    }
    c->l = l;
    fc_nn_ctx_opts o = {.threads = l->nn_threads};
    c->nn = fc_nn_ctx_new_opts(l->model, NULL, &o, err);
    c->input = fc_aligned_alloc((size_t)l->size * (size_t)l->size * sizeof(float));
    if (!c->nn || !c->input) {
        if (c->nn)
            fc_error_set(err, FC_ERR_NOMEM, "landmarks: out of memory");
        fc_landmarker_ctx_free(c);
        return NULL;
    }
    return c;
}

void fc_landmarker_ctx_free(fc_landmarker_ctx *c)
{
    if (!c)
        return;
    fc_nn_ctx_free(c->nn);
    fc_aligned_free(c->input);
    free(c);
}

void fc_landmarks_68_to_5(const fc_point p[68], fc_point five[5])
{
    fc_point l = {0, 0}, r = {0, 0};
    for (int i = 0; i < 6; i++) {
        l.x += p[36 + i].x / 6;
        l.y += p[36 + i].y / 6;
        r.x += p[42 + i].x / 6;
        r.y += p[42 + i].y / 6;
    }
    five[0] = l;
    five[1] = r;
    five[2] = p[30];
    five[3] = p[48];
    five[4] = p[54];
}

fc_status fc_landmarker_run(fc_landmarker_ctx *c, const fc_image *img, const fc_rect *box,
                            fc_point five[5], fc_point *pts68, fc_error *err)
{
    const int s = c->l->size;
    float sw = box->x2 - box->x1, sh = box->y2 - box->y1;
    if (!(sw >= 1 && sh >= 1))
        return fc_error_set(err, FC_ERR_ARG, "landmarks: empty box");
    float x0 = box->x1, y0 = box->y1;
    fc_place pl = {(float)s / sw, (float)s / sh, -x0 * (float)s / sw, -y0 * (float)s / sh};
    fc_pixel_norm norm = {.grey = 1, .mean = 0, .scale = 1.0f / 256.0f, .pad = 0};
    fc_status rc = fc_face_tensorize(img, &pl, s, s, &norm, c->input, err);
    if (rc)
        return rc;
    fc_shape shape = fc_shape_make(4, (int64_t[]){1, 1, s, s});
    fc_tensor in = {FC_DT_FLOAT, shape, c->input}, out;
    rc = fc_nn_run(c->nn, &in, &out, err);
    if (rc)
        return rc;
    const float *o = out.data;
    fc_point p[68];
    for (int i = 0; i < 68; i++)
        p[i] = (fc_point){x0 + o[2 * i] * sw, y0 + o[2 * i + 1] * sh};
    fc_landmarks_68_to_5(p, five);
    for (int i = 0; pts68 && i < 68; i++)
        pts68[i] = p[i];
    return FC_OK;
}
