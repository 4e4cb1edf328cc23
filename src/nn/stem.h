/* stem.h - the first convolution of YuNet-style detectors as a stage of the pw+dw
 * kernel (pwdw.h): a 3x3 convolution, stride 2, pads 1, on the image as ONNX gives it
 * (NCHW, 1 to 4 channels), made one output row at a time into a channels-last row
 * that the kernel's 1x1 reads at once from cache. Unfused, oneDNN writes its 16
 * channels at 240x320 (4.9 MB) and the next step reads them back from L3.
 *
 * Bias, folded BatchNormalization and activation as pwdw.h's fc_pwdw_conv, but not
 * PRelu (fuse_pwdw.c hands it a conv's own ReLU, LeakyReLU or Clip); output channels a
 * multiple of 16. AVX-512F (the kernel's own condition). */
#ifndef FC_NN_STEM_H
#define FC_NN_STEM_H

#include "nn/pwdw.h"

typedef struct fc_stem fc_stem;

/* The stage for images of c channels, h x w (its rows are (w - 1) / 2 + 1 pixels;
 * there are (h - 1) / 2 + 1 of them). NULL with err set when out of memory or the
 * shapes are not these. */
fc_stem *fc_stem_new(const fc_pwdw_conv *cv, int64_t c, int64_t h, int64_t w, fc_error *err);
void fc_stem_free(fc_stem *s);

/* Floats of one image (c x h x w). */
int64_t fc_stem_image_size(const fc_stem *s);

/* Output row oy of image img into out ((w - 1) / 2 + 1 pixels of the output channels). */
void fc_stem_row(const fc_stem *s, const float *img, int64_t oy, float *out);

#endif
