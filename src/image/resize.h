/* resize.h - inside the image module: the scalar reference of fc_image_resize, which
 * gives the same bytes as the fast path, for tests and benchmarks. */
#ifndef FC_IMAGE_RESIZE_H
#define FC_IMAGE_RESIZE_H

#include "image/image.h"

/* fc_image_resize with the plain C vertical pass; identical output, slower. */
void fc_image_resize_scalar(const fc_image *src, fc_image *dst);

#endif
