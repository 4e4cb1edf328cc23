/* detect.c - the detector around its head: model loading and head choice, the
 * per-thread context, and the run (tensorize -> executor -> decode -> NMS -> map
 * back to image pixels). */
#include "face/detect.h"

#include "core/alloc.h"
#include "face/nms.h"

#include <stdlib.h>
#include <string.h>

/* Candidates kept before NMS (the best ones, if a picture has more above threshold). */
#define MAX_CANDIDATES 4096

static const fc_detect_head *const heads[] = {
    &fc_detect_head_ultraface,
    &fc_detect_head_yolo,
    &fc_detect_head_yunet,
};

struct fc_detector {
    fc_nn_model *model;
    const fc_detect_head *head;
    float score_threshold, nms_iou;
    int long_side, nn_threads;
};

struct fc_detector_ctx {
    const fc_detector *d;
    fc_nn_ctx *nn;
    int in_w, in_h;          /* the input size nn was planned for */
    int nhwc;                /* the model takes H x W x C */
    fc_shape in_shape;
    float *input;            /* in_w * in_h * channels floats */
    fc_detection *cand;      /* MAX_CANDIDATES */
};

fc_detector *fc_detector_new(const fc_detector_opts *opts, fc_error *err)
{
    fc_detector *d = calloc(1, sizeof *d);
    if (!d) {
        fc_error_set(err, FC_ERR_NOMEM, "detector: out of memory");
        return NULL;
    }
    d->model = fc_nn_load(opts->model_path, err);
    if (!d->model)
        goto out;
    for (size_t i = 0; i < sizeof heads / sizeof heads[0] && !d->head; i++) {
        if (opts->kind != FC_DETECTOR_AUTO && heads[i]->kind != opts->kind)
            continue;
        if (heads[i]->match(d->model))
            d->head = heads[i];
    }
    if (!d->head) {
        fc_error_set(err, FC_ERR_UNSUPPORTED,
                     "%s: the model's inputs/outputs fit no %s detector head (ultraface: "
                     "scores 1xNx2 + boxes 1xNx4; yolo: 1x5xN or 1x20xN; yunet: cls/obj/bbox/kps_8/16/32)",
                     opts->model_path, opts->kind ? fc_detector_kind_name(opts->kind) : "known");
        goto out;
    }
    d->score_threshold = opts->score_threshold > 0 ? opts->score_threshold : d->head->score_threshold;
    d->nms_iou = opts->nms_iou > 0 ? opts->nms_iou : d->head->nms_iou;
    d->long_side = opts->input_long_side > 0 ? opts->input_long_side : 640;
    d->nn_threads = opts->nn_threads;
    return d;
out:
    fc_detector_free(d);
    return NULL;
}

void fc_detector_free(fc_detector *d)
{
    if (!d)
        return;
    fc_nn_free(d->model);
    free(d);
}

fc_detector_kind fc_detector_kind_of(const fc_detector *d)
{
    return d->head->kind;
}

int fc_detector_has_landmarks(const fc_detector *d)
{
    return d->head->has_landmarks(d->model);
}

void fc_detector_input_size(const fc_detector *d, int *width, int *height)
{
    fc_pixel_norm norm;
    /* a 4:3 landscape photo stands in for "typical" with dynamic-size models */
    d->head->input(d->model, d->long_side, 4000, 3000, width, height, &norm);
}

float fc_detector_nms_iou(const fc_detector *d)
{
    return d->nms_iou;
}

fc_detector_ctx *fc_detector_ctx_new(const fc_detector *d, fc_error *err)
{
    fc_detector_ctx *c = calloc(1, sizeof *c);
    if (c)
        c->cand = malloc(MAX_CANDIDATES * sizeof *c->cand);
    if (!c || !c->cand) {
        fc_detector_ctx_free(c);
        fc_error_set(err, FC_ERR_NOMEM, "detector: out of memory");
        return NULL;
    }
    c->d = d;
    return c;
}

void fc_detector_ctx_free(fc_detector_ctx *c)
{
    if (!c)
        return;
    fc_nn_ctx_free(c->nn);
    fc_aligned_free(c->input);
    free(c->cand);
    free(c);
}

/* (Re)plans the executor context when the input size changes (dynamic models). */
static fc_status ensure_ctx(fc_detector_ctx *c, int w, int h, int channels, fc_error *err)
{
    if (c->nn && c->in_w == w && c->in_h == h)
        return FC_OK;
    fc_nn_ctx_free(c->nn);
    c->nn = NULL;
    fc_aligned_free(c->input);
    c->input = NULL;
    const fc_nn_io_info *in = fc_nn_input_info(c->d->model, 0);
    fc_shape shape = in->shape;
    int nhwc = shape.ndim == 4 && shape.d[3] == channels && shape.d[1] != channels;
    shape.d[0] = 1;
    shape.d[nhwc ? 1 : 2] = h;
    shape.d[nhwc ? 2 : 3] = w;
    shape.d[nhwc ? 3 : 1] = channels;
    c->nhwc = nhwc;
    c->in_shape = shape;
    /* the thread count goes in at creation: oneDNN primitives are made for it */
    fc_nn_ctx_opts o = {.threads = c->d->nn_threads};
    c->nn = fc_nn_ctx_new_opts(c->d->model, &shape, &o, err);
    if (!c->nn)
        return err ? err->code : FC_ERR_INTERNAL;
    c->input = fc_aligned_alloc((size_t)w * (size_t)h * (size_t)channels * sizeof(float));
    if (!c->input)
        return fc_error_set(err, FC_ERR_NOMEM, "detector: out of memory");
    c->in_w = w;
    c->in_h = h;
    return FC_OK;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

fc_status fc_detector_run(fc_detector_ctx *c, const fc_image *img, float border,
                          fc_detection *out, int cap, int *n_out, fc_error *err)
{
    const fc_detector *d = c->d;
    *n_out = 0;
    if (!img || img->width <= 0 || img->height <= 0 || !(border >= 0) || border > 4)
        return fc_error_set(err, FC_ERR_ARG, "detector: bad image or border");
    /* the canvas: the image plus a black border of border x its long side on each
     * side (50% black recovers every tight crop measured: docs/calibration.md) */
    const int long_side = img->width > img->height ? img->width : img->height;
    const int pad = (int)(border * (float)long_side + 0.5f);
    const int cw = img->width + 2 * pad, ch = img->height + 2 * pad;
    const float bx = (float)pad, by = (float)pad;

    int w, h;
    fc_pixel_norm norm;
    d->head->input(d->model, d->long_side, cw, ch, &w, &h, &norm);
    fc_status rc = ensure_ctx(c, w, h, norm.grey ? 1 : 3, err);
    if (rc)
        return rc;
    norm.nhwc = c->nhwc;
    if (pad > 0)
        norm.pad = 0; /* black */

    fc_place pl;
    d->head->place(cw, ch, w, h, &pl);
    fc_place pi = {pl.sx, pl.sy, pl.ox + bx * pl.sx, pl.oy + by * pl.sy}; /* the image itself */
    rc = fc_face_tensorize(img, &pi, w, h, &norm, c->input, err);
    if (rc)
        return rc;

    fc_tensor in = {FC_DT_FLOAT, c->in_shape, c->input};
    fc_tensor outs[16];
    if (fc_nn_n_outputs(d->model) > 16)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "detector: too many outputs");
    rc = fc_nn_run(c->nn, &in, outs, err);
    if (rc)
        return rc;

    int n = d->head->decode(d->model, outs, w, h, d->score_threshold, c->cand, MAX_CANDIDATES);
    n = fc_face_nms(c->cand, n, d->nms_iou);

    const float iw = (float)img->width, ih = (float)img->height;
    int kept = 0;
    for (int i = 0; i < n && kept < cap; i++) {
        fc_detection det = c->cand[i];
        fc_rect *b = &det.box;
        b->x1 = clampf(fc_place_src_x(&pi, b->x1), 0, iw);
        b->x2 = clampf(fc_place_src_x(&pi, b->x2), 0, iw);
        b->y1 = clampf(fc_place_src_y(&pi, b->y1), 0, ih);
        b->y2 = clampf(fc_place_src_y(&pi, b->y2), 0, ih);
        if (!(b->x2 - b->x1 >= 1 && b->y2 - b->y1 >= 1))
            continue; /* nothing of it inside the image (a border-only box) */
        for (int k = 0; det.has_landmarks && k < 5; k++) {
            det.landmarks[k].x = fc_place_src_x(&pi, det.landmarks[k].x);
            det.landmarks[k].y = fc_place_src_y(&pi, det.landmarks[k].y);
        }
        out[kept++] = det;
    }
    *n_out = kept;
    return FC_OK;
}

void fc_detect_push(fc_detection *cand, int cap, int *n, const fc_detection *d)
{
    if (*n < cap) {
        cand[(*n)++] = *d;
        return;
    }
    int low = 0;
    for (int i = 1; i < cap; i++)
        if (cand[i].score < cand[low].score)
            low = i;
    if (d->score > cand[low].score)
        cand[low] = *d;
}
