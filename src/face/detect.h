/* detect.h - face detectors: one model (shared read-only by threads) behind a head
 * that knows its pre- and post-processing (UltraFace, YOLO-face, YuNet), and one
 * per-thread context holding the executor context and the input buffer.
 *
 *   fc_detector *d = fc_detector_new(&opts, &err);          // once
 *   fc_detector_ctx *c = fc_detector_ctx_new(d, &err);      // per thread
 *   fc_detection dets[64]; int n;
 *   fc_detector_run(c, img, NULL, dets, 64, &n, &err);      // boxes in img pixels
 */
#ifndef FC_FACE_DETECT_H
#define FC_FACE_DETECT_H

#include "core/status.h"
#include "face/face.h"
#include "face/tensorize.h"
#include "image/image.h"
#include "nn/nn.h"

typedef struct fc_detector fc_detector;
typedef struct fc_detector_ctx fc_detector_ctx;

typedef struct {
    const char *model_path;
    fc_detector_kind kind;  /* AUTO: from the model's shapes */
    float score_threshold;  /* 0: the head's default (UltraFace 0.7, YOLO 0.5, YuNet 0.7) */
    float nms_iou;          /* 0: the head's default (UltraFace 0.3, YOLO 0.45, YuNet 0.3) */
    int input_long_side;    /* dynamic-size models (YuNet): 0 = 640 */
    int nn_threads;         /* executor threads per context; 0 = its default */
} fc_detector_opts;

/* Loads the model and picks its head. NULL + err when the file cannot be loaded or
 * its shapes fit no head (or not the requested one). Free with fc_detector_free. */
fc_detector *fc_detector_new(const fc_detector_opts *opts, fc_error *err);
void fc_detector_free(fc_detector *d);

fc_detector_kind fc_detector_kind_of(const fc_detector *d);
/* 1 if every detection comes with 5 landmarks (YuNet, YOLO pose exports). */
int fc_detector_has_landmarks(const fc_detector *d);
/* The input size the model sees (for choosing a decode resolution). */
void fc_detector_input_size(const fc_detector *d, int *width, int *height);
/* The NMS IoU threshold in use (for merging detections of several runs). */
float fc_detector_nms_iou(const fc_detector *d);

/* A context for one thread at a time. Free with fc_detector_ctx_free. */
fc_detector_ctx *fc_detector_ctx_new(const fc_detector *d, fc_error *err);
void fc_detector_ctx_free(fc_detector_ctx *c);

/* Detects faces in img. border >= 0 adds a virtual black border of border * the
 * image's long side on every side before the model sees it, which helps with crops
 * where the face fills the frame. Writes up to cap detections, best first,
 * with boxes (and landmarks, when the head has them) in img pixels, clipped to the
 * image, to out; *n_out says how many. Deterministic for the same input. */
fc_status fc_detector_run(fc_detector_ctx *c, const fc_image *img, float border,
                          fc_detection *out, int cap, int *n_out, fc_error *err);

/* --- for the heads (detect_*.c) and their tests --- */

/* A head: how to recognise its model, feed it and read its outputs. */
typedef struct {
    fc_detector_kind kind;
    float score_threshold, nms_iou;
    /* 1 if the model's declared inputs/outputs fit this head. */
    int (*match)(const fc_nn_model *m);
    /* 1 if the model (which matched) gives 5 landmarks per face. */
    int (*has_landmarks)(const fc_nn_model *m);
    /* The input size for an image of img_w x img_h (fixed models ignore it) and
     * the pixel normalisation. */
    void (*input)(const fc_nn_model *m, int long_side, int img_w, int img_h, int *w, int *h,
                  fc_pixel_norm *norm);
    /* How the image (of img_w x img_h, already including any border) goes into the
     * w x h input: stretch (UltraFace) or letterbox (YOLO, YuNet). */
    void (*place)(int img_w, int img_h, int w, int h, fc_place *pl);
    /* Candidates with score >= threshold, boxes in input pixels; at most cap, which
     * are the highest scoring ones if there are more. Returns how many. */
    int (*decode)(const fc_nn_model *m, const fc_tensor *outs, int in_w, int in_h,
                  float threshold, fc_detection *cand, int cap);
} fc_detect_head;

extern const fc_detect_head fc_detect_head_ultraface;
extern const fc_detect_head fc_detect_head_yolo;
extern const fc_detect_head fc_detect_head_yunet;

/* Keeps the best cap candidates: when *n == cap, a candidate replaces the lowest
 * scoring one if it scores higher. Used by the heads while decoding. */
void fc_detect_push(fc_detection *cand, int cap, int *n, const fc_detection *d);

#endif
