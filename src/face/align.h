/* align.h - 5-point similarity alignment to the ArcFace template: Umeyama's least
 * squares, the template at any crop size, and the matrices a warp needs. */
#ifndef FC_FACE_ALIGN_H
#define FC_FACE_ALIGN_H

#include "core/status.h"
#include "face/face.h"

/* The standard ArcFace 112x112 template (left eye, right eye, nose, left and right
 * mouth corner as seen in the image), in pixel-centre coordinates, scaled to a
 * size x size crop. */
void fc_face_template(int size, fc_point out[5]);

/* Least-squares similarity (rotation, uniform scale, translation; no reflection)
 * taking src[i] to dst[i] (Umeyama 1991; in 2-D the SVD reduces to a closed form).
 * m is the 2x3 matrix: dst.x = m[0] x + m[1] y + m[2], dst.y = m[3] x + m[4] y + m[5].
 * FC_ERR_ARG when n < 2 or the source points coincide. Exact for exact data. */
fc_status fc_face_umeyama(const fc_point *src, const fc_point *dst, int n, float m[6], fc_error *err);

/* Inverse of an invertible 2x3 affine matrix; FC_ERR_ARG if it is singular. */
fc_status fc_face_affine_invert(const float m[6], float inv[6], fc_error *err);

/* The warp matrix for a size x size aligned crop: maps each crop pixel (centre
 * coordinates) to the point to sample in an image whose pixel (x, y) covers the
 * original photo's [x*scale, (x+1)*scale) (image->scale); landmarks are in
 * original-photo pixel-centre coordinates (OpenCV's convention, the template's). */
fc_status fc_face_align_matrix(const fc_point landmarks[5], int size, float scale, float m[6],
                               fc_error *err);

#endif
