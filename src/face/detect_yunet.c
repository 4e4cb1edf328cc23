/* detect_yunet.c - the YuNet head (OpenCV Zoo face_detection_yunet, fixed 640x640 or
 * dynamic HxW): BGR 0..255 unnormalised, the image scaled to fit and anchored
 * top-left (zero padding right/bottom, dims multiples of 32); outputs cls_S, obj_S
 * (Nx1), bbox_S (Nx4: dx, dy, log w, log h in stride units) and kps_S (Nx10) for
 * strides S = 8, 16, 32 on an anchor-free grid; score = sqrt(cls * obj), as
 * OpenCV's FaceDetectorYN decodes them. Default threshold 0.7: on samples/ the real
 * faces score 0.86-0.94 and the one false positive (a dark patch) 0.62. */
#include "face/detect.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const int strides[3] = {8, 16, 32};
static const char *const kinds[4] = {"cls", "obj", "bbox", "kps"};
static const int widths[4] = {1, 1, 4, 10};

/* Output index of kind k at stride index s, or -1. */
static int output_index(const fc_nn_model *m, int k, int s)
{
    char name[16];
    snprintf(name, sizeof name, "%s_%d", kinds[k], strides[s]);
    for (int i = 0; i < fc_nn_n_outputs(m); i++)
        if (!strcmp(fc_nn_output_info(m, i)->name, name))
            return i;
    return -1;
}

static int yunet_match(const fc_nn_model *m)
{
    if (fc_nn_n_inputs(m) != 1 || fc_nn_n_outputs(m) != 12)
        return 0;
    const fc_shape *in = &fc_nn_input_info(m, 0)->shape;
    if (in->ndim != 4 || in->d[1] != 3)
        return 0;
    for (int k = 0; k < 4; k++)
        for (int s = 0; s < 3; s++) {
            int i = output_index(m, k, s);
            if (i < 0)
                return 0;
            const fc_shape *os = &fc_nn_output_info(m, i)->shape;
            if (os->ndim != 3 || os->d[2] != widths[k])
                return 0;
        }
    return 1;
}

static int yunet_has_landmarks(const fc_nn_model *m)
{
    (void)m;
    return 1;
}

static void yunet_input(const fc_nn_model *m, int long_side, int img_w, int img_h, int *w, int *h,
                        fc_pixel_norm *norm)
{
    const fc_shape *s = &fc_nn_input_info(m, 0)->shape;
    *norm = (fc_pixel_norm){.bgr = 1, .mean = 0, .scale = 1, .pad = 0};
    if (s->d[2] > 0 && s->d[3] > 0) {
        *h = (int)s->d[2];
        *w = (int)s->d[3];
        return;
    }
    double r = (double)long_side / (img_w > img_h ? img_w : img_h);
    *w = ((int)ceil(img_w * r) + 31) / 32 * 32;
    *h = ((int)ceil(img_h * r) + 31) / 32 * 32;
}

static void yunet_place(int img_w, int img_h, int w, int h, fc_place *pl)
{
    double r = fmin((double)w / img_w, (double)h / img_h);
    int nw = (int)lround(img_w * r), nh = (int)lround(img_h * r);
    *pl = (fc_place){(float)nw / (float)img_w, (float)nh / (float)img_h, 0, 0};
}

static float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static int yunet_decode(const fc_nn_model *m, const fc_tensor *outs, int in_w, int in_h,
                        float threshold, fc_detection *cand, int cap)
{
    int n = 0;
    for (int si = 0; si < 3; si++) {
        const int st = strides[si], cols = in_w / st, rows = in_h / st;
        const float *o[4];
        for (int k = 0; k < 4; k++) {
            int i = output_index(m, k, si);
            if (i < 0 || outs[i].shape.d[1] != (int64_t)cols * rows)
                return n;
            o[k] = outs[i].data;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int64_t a = (int64_t)r * cols + c;
                float s = sqrtf(clamp01(o[0][a]) * clamp01(o[1][a]));
                if (!(s >= threshold))
                    continue;
                const float *b = o[2] + 4 * a, *kp = o[3] + 10 * a;
                float cx = (c + b[0]) * st, cy = (r + b[1]) * st;
                float bw = expf(b[2]) * st, bh = expf(b[3]) * st;
                fc_detection d = {{cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2}, s, 1, {{0, 0}}};
                for (int k = 0; k < 5; k++)
                    d.landmarks[k] = (fc_point){(kp[2 * k] + c) * st, (kp[2 * k + 1] + r) * st};
                fc_detect_push(cand, cap, &n, &d);
            }
    }
    return n;
}

const fc_detect_head fc_detect_head_yunet = {
    .kind = FC_DETECTOR_YUNET,
    .score_threshold = 0.7f,
    .nms_iou = 0.3f,
    .match = yunet_match,
    .has_landmarks = yunet_has_landmarks,
    .input = yunet_input,
    .place = yunet_place,
    .decode = yunet_decode,
};
