/* landmarks.h - 68-point landmarks (fr_landmark.onnx) reduced to the 5 points the
 * alignment needs, for detectors that give none. The model is shared read-only; a
 * context belongs to one thread at a time.
 *
 * Input 1x1x64x64 grey x/256 of the crop; output 136 values, (x, y) pairs in 0..1 of
 * the crop's width and height. The crop is the detector box as it is (stretched to
 * 64x64). Measured against the box made square (side = box height, as the model's
 * JavaScript post-processes its detector's boxes): through the whole pipeline on
 * celebs_aligned/pairs.tsv the plain box gives 95.1% pair accuracy, the square 94.8%. */
#ifndef FC_FACE_LANDMARKS_H
#define FC_FACE_LANDMARKS_H

#include "core/status.h"
#include "face/face.h"
#include "image/image.h"

typedef struct fc_landmarker fc_landmarker;
typedef struct fc_landmarker_ctx fc_landmarker_ctx;

/* Loads the model; FC_ERR_UNSUPPORTED (NULL) unless it takes 1x1xSxS and gives
 * 1x136. Free with fc_landmarker_free. */
fc_landmarker *fc_landmarker_new(const char *path, int nn_threads, fc_error *err);
void fc_landmarker_free(fc_landmarker *l);

fc_landmarker_ctx *fc_landmarker_ctx_new(const fc_landmarker *l, fc_error *err);
void fc_landmarker_ctx_free(fc_landmarker_ctx *c);

/* Landmarks of the face in box (img pixels, edges at integers). Writes the 5 points
 * to five (img pixels) and, when pts68 is not NULL, all 68 points there. */
fc_status fc_landmarker_run(fc_landmarker_ctx *c, const fc_image *img, const fc_rect *box,
                            fc_point five[5], fc_point *pts68, fc_error *err);

/* The 5 points from the 68 of the iBUG scheme (0-based): eye centres = mean of points
 * 36-41 and 42-47, nose tip 30, mouth corners 48 and 54. */
void fc_landmarks_68_to_5(const fc_point pts68[68], fc_point five[5]);

#endif
