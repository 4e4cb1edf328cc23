/* detect_ultraface.c - the UltraFace head (Linzaer's RFB/slim, as in fr_detect.onnx):
 * the whole image stretched to the input (320x240 or 640x480), RGB (x-127)/128;
 * outputs scores 1xNx2 (softmaxed, [:,1] = face) and boxes 1xNx4 (x1,y1,x2,y2 in
 * 0..1 of the input). Exports without the in-graph box decoding (no Exp node) are
 * refused: their boxes are raw prior offsets. */
#include "face/detect.h"

#include <string.h>

static void count_exp(const char *op, int count, void *user)
{
    if (!strcmp(op, "Exp"))
        *(int *)user += count;
}

/* Which output is which: scores end in 2, boxes in 4. -1 if the shapes do not fit. */
static int find_outputs(const fc_nn_model *m, int *scores, int *boxes)
{
    *scores = *boxes = -1;
    if (fc_nn_n_inputs(m) != 1 || fc_nn_n_outputs(m) != 2)
        return -1;
    const fc_nn_io_info *in = fc_nn_input_info(m, 0);
    if (in->shape.ndim != 4 || in->shape.d[1] != 3 || in->shape.d[2] <= 0 || in->shape.d[3] <= 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const fc_shape *s = &fc_nn_output_info(m, i)->shape;
        if (s->ndim != 3)
            return -1;
        if (s->d[2] == 2)
            *scores = i;
        else if (s->d[2] == 4)
            *boxes = i;
    }
    if (*scores < 0 || *boxes < 0)
        return -1;
    const fc_shape *ss = &fc_nn_output_info(m, *scores)->shape, *bs = &fc_nn_output_info(m, *boxes)->shape;
    return ss->d[1] == bs->d[1] ? 0 : -1;
}

static int ultraface_match(const fc_nn_model *m)
{
    int s, b, n_exp = 0;
    if (find_outputs(m, &s, &b))
        return 0;
    fc_nn_op_counts(m, count_exp, &n_exp);
    return n_exp > 0;
}

static int ultraface_has_landmarks(const fc_nn_model *m)
{
    (void)m;
    return 0;
}

static void ultraface_input(const fc_nn_model *m, int long_side, int img_w, int img_h, int *w,
                            int *h, fc_pixel_norm *norm)
{
    (void)long_side;
    (void)img_w;
    (void)img_h;
    const fc_shape *s = &fc_nn_input_info(m, 0)->shape;
    *h = (int)s->d[2];
    *w = (int)s->d[3];
    *norm = (fc_pixel_norm){.mean = 127.0f, .scale = 1.0f / 128.0f, .pad = 127.0f};
}

static void ultraface_place(int img_w, int img_h, int w, int h, fc_place *pl)
{
    *pl = (fc_place){(float)w / (float)img_w, (float)h / (float)img_h, 0, 0};
}

static int ultraface_decode(const fc_nn_model *m, const fc_tensor *outs, int in_w, int in_h,
                            float threshold, fc_detection *cand, int cap)
{
    int si, bi, n = 0;
    find_outputs(m, &si, &bi);
    const float *scores = outs[si].data, *boxes = outs[bi].data;
    int64_t count = outs[si].shape.d[1];
    for (int64_t i = 0; i < count; i++) {
        float s = scores[2 * i + 1];
        if (!(s >= threshold))
            continue;
        const float *b = boxes + 4 * i;
        fc_detection d = {{b[0] * (float)in_w, b[1] * (float)in_h, b[2] * (float)in_w, b[3] * (float)in_h}, s, 0, {{0, 0}}};
        fc_detect_push(cand, cap, &n, &d);
    }
    return n;
}

const fc_detect_head fc_detect_head_ultraface = {
    .kind = FC_DETECTOR_ULTRAFACE,
    .score_threshold = 0.7f,
    .nms_iou = 0.3f,
    .match = ultraface_match,
    .has_landmarks = ultraface_has_landmarks,
    .input = ultraface_input,
    .place = ultraface_place,
    .decode = ultraface_decode,
};
