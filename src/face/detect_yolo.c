/* detect_yolo.c - the YOLOv8/YOLO11-face head (Ultralytics ONNX export): input
 * 1x3xHxW (640x640) RGB x/255, letterboxed (aspect kept, centred, grey 114); one
 * output 1x5xN (cx, cy, w, h, score) or, for pose variants, 1x20xN (+ 5 keypoints
 * x, y, visibility), all in input pixels, N = 8400 at 640. A transposed 1xNx5 /
 * 1xNx20 output is read too. Confidence 0.5, IoU-NMS 0.45. */
#include "face/detect.h"

#include <math.h>

/* Rows per anchor (5 or 20) and whether the output is anchor-major (1xNxC). */
static int layout(const fc_nn_model *m, int *rows, int *transposed)
{
    if (fc_nn_n_inputs(m) != 1 || fc_nn_n_outputs(m) != 1)
        return -1;
    const fc_shape *in = &fc_nn_input_info(m, 0)->shape;
    if (in->ndim != 4 || in->d[1] != 3)
        return -1;
    const fc_shape *s = &fc_nn_output_info(m, 0)->shape;
    if (s->ndim != 3)
        return -1;
    for (int t = 0; t < 2; t++) {
        int64_t c = s->d[t ? 2 : 1], n = s->d[t ? 1 : 2];
        if ((c == 5 || c == 20) && (n > 20 || n < 0)) {
            *rows = (int)c;
            *transposed = t;
            return 0;
        }
    }
    return -1;
}

static int yolo_match(const fc_nn_model *m)
{
    int rows, t;
    return layout(m, &rows, &t) == 0;
}

static int yolo_has_landmarks(const fc_nn_model *m)
{
    int rows, t;
    return layout(m, &rows, &t) == 0 && rows == 20;
}

static void yolo_input(const fc_nn_model *m, int long_side, int img_w, int img_h, int *w, int *h,
                       fc_pixel_norm *norm)
{
    (void)img_w;
    (void)img_h;
    const fc_shape *s = &fc_nn_input_info(m, 0)->shape;
    *h = s->d[2] > 0 ? (int)s->d[2] : long_side;
    *w = s->d[3] > 0 ? (int)s->d[3] : long_side;
    *norm = (fc_pixel_norm){.mean = 0, .scale = 1.0f / 255.0f, .pad = 114.0f};
}

/* Ultralytics' LetterBox: scale to fit, round the new size, centre the padding. */
static void yolo_place(int img_w, int img_h, int w, int h, fc_place *pl)
{
    double r = fmin((double)w / img_w, (double)h / img_h);
    int nw = (int)lround(img_w * r), nh = (int)lround(img_h * r);
    double dw = (w - nw) / 2.0, dh = (h - nh) / 2.0;
    *pl = (fc_place){(float)nw / (float)img_w, (float)nh / (float)img_h,
                     (float)lround(dw - 0.1), (float)lround(dh - 0.1)};
}

static int yolo_decode(const fc_nn_model *m, const fc_tensor *outs, int in_w, int in_h,
                       float threshold, fc_detection *cand, int cap)
{
    (void)in_w;
    (void)in_h;
    int rows, t, n = 0;
    if (layout(m, &rows, &t))
        return 0;
    const float *o = outs[0].data;
    int64_t count = outs[0].shape.d[t ? 1 : 2];
    /* element (row r, anchor j) */
#define AT(r, j) (t ? o[(j) * rows + (r)] : o[(int64_t)(r) * count + (j)])
    for (int64_t j = 0; j < count; j++) {
        float s = AT(4, j);
        if (!(s >= threshold))
            continue;
        float cx = AT(0, j), cy = AT(1, j), bw = AT(2, j), bh = AT(3, j);
        fc_detection d = {{cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2}, s, rows == 20, {{0, 0}}};
        for (int k = 0; rows == 20 && k < 5; k++)
            d.landmarks[k] = (fc_point){AT(5 + 3 * k, j), AT(6 + 3 * k, j)};
        fc_detect_push(cand, cap, &n, &d);
    }
#undef AT
    return n;
}

const fc_detect_head fc_detect_head_yolo = {
    .kind = FC_DETECTOR_YOLO,
    .score_threshold = 0.5f,
    .nms_iou = 0.45f,
    .match = yolo_match,
    .has_landmarks = yolo_has_landmarks,
    .input = yolo_input,
    .place = yolo_place,
    .decode = yolo_decode,
};
