/* nhwc.c - layout conversions between ONNX's NCHW and the fast path's NHWC. The
 * inner loops run over the contiguous side of each copy. */
#include "nn/fast.h"

#include <string.h>

void fc_layout_convert(const fc_tensor *in, fc_tensor *out, int to_nhwc)
{
    const int64_t n = in->shape.d[0], c = in->shape.d[1], hw = in->shape.d[2] * in->shape.d[3];
    const float *x = in->data;
    float *y = out->data;
    for (int64_t b = 0; b < n; b++, x += c * hw, y += c * hw) {
        if (to_nhwc) {
            for (int64_t p = 0; p < hw; p++)
                for (int64_t k = 0; k < c; k++)
                    y[p * c + k] = x[k * hw + p];
        } else {
            for (int64_t k = 0; k < c; k++)
                for (int64_t p = 0; p < hw; p++)
                    y[k * hw + p] = x[p * c + k];
        }
    }
}

void fc_repeat_pixels(const fc_tensor *in, fc_tensor *out, int64_t rh, int64_t rw)
{
    const int64_t n = in->shape.d[0], c = in->shape.d[1], h = in->shape.d[2], w = in->shape.d[3];
    const size_t px = (size_t)c * sizeof(float);
    const float *x = in->data;
    float *y = out->data;
    for (int64_t b = 0; b < n * h; b++, x += w * c) {
        float *row = y;
        for (int64_t i = 0; i < w; i++)
            for (int64_t k = 0; k < rw; k++, y += c)
                memcpy(y, x + i * c, px);
        for (int64_t k = 1; k < rh; k++, y += w * rw * c)
            memcpy(y, row, px * (size_t)(w * rw));
    }
}
