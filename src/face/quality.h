/* quality.h - per-face quality measures and the combined quality_score.
 *
 * blur: variance of the 3x3 Laplacian [0 1 0; 1 -4 1; 0 1 0] over the interior of
 *   the grey (BT.601 luma) aligned crop. Measured on the aligned crop (112x112 for
 *   ArcFace models) so it does not depend on the photo's resolution: the same face
 *   gives about the same value in a 4000 px photo and in a 400 px one, while a
 *   face that was blurred (or upscaled from few pixels) gives a low value.
 * pose: frontalness from the 5 landmarks, 1 = frontal (see fc_face_pose).
 * size: min(box w, h) in original pixels.
 * quality_score: see fc_face_quality_score. */
#ifndef FC_FACE_QUALITY_H
#define FC_FACE_QUALITY_H

#include "face/face.h"
#include "image/image.h"

/* Laplacian variance of img's luma (>= 0; 0 for images smaller than 3x3). */
float fc_face_blur(const fc_image *img);

/* Frontalness in [0, 1] from landmarks (left eye, right eye, nose, mouth corners):
 *   yaw   = |t - 0.5| * 2, t the nose's position along the eye line (0 at the left
 *           eye, 1 at the right one; 0.5 when frontal);
 *   pitch = |r - r0| / r0, r the nose's distance below the eye line over the mouth's
 *           (r0 = 0.494, the ArcFace template's value);
 *   pose  = clamp(1 - yaw) * clamp(1 - 0.5 * pitch).
 * In-plane rotation (roll) does not count: alignment removes it. */
float fc_face_pose(const fc_point lm[5]);

/* The combined score in [0, 1], a weighted mean of four terms each in [0, 1]:
 *   0.35 * min(size / 112, 1)            (size saturates at the aligned crop size)
 * + 0.25 * blur / (blur + 100)           (0.5 at a Laplacian variance of 100)
 * + 0.25 * pose
 * + 0.15 * confidence.
 * Size weighs most: small faces make poor embeddings whatever else holds. */
float fc_face_quality_score(float size, float blur, float pose, float confidence);

#endif
