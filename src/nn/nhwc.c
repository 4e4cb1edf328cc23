/* nhwc.c - layout conversions between ONNX's NCHW and the fast path's NHWC. The
 * inner loops run over the contiguous side of each copy. */
#include "nn/fast.h"

#include <immintrin.h>
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

/* y[k] = a[k] + x[k] for one pixel of c channels. */
static void add_pixel(float *y, const float *a, const float *x, int64_t c)
{
    for (int64_t k = 0; k < c; k++)
        y[k] = a[k] + x[k];
}

__attribute__((target("avx512f"))) static void add_pixel_avx512(float *y, const float *a, const float *x,
                                                                int64_t c)
{
    int64_t k = 0;
    for (; k + 16 <= c; k += 16)
        _mm512_storeu_ps(y + k, _mm512_add_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(x + k)));
    add_pixel(y + k, a + k, x + k, c - k); /* the last c % 16 */
}

void fc_repeat_pixels(const fc_tensor *in, const fc_tensor *add, fc_tensor *out, int64_t rh, int64_t rw)
{
    const int64_t n = in->shape.d[0], c = in->shape.d[1], h = in->shape.d[2], w = in->shape.d[3];
    const size_t px = (size_t)c * sizeof(float);
    const float *x = in->data, *a = add ? add->data : NULL;
    float *y = out->data;
    void (*add_px)(float *, const float *, const float *, int64_t) =
        __builtin_cpu_supports("avx512f") ? add_pixel_avx512 : add_pixel;
    for (int64_t b = 0; b < n * h; b++, x += w * c) {
        float *row = y;
        for (int64_t k = 0; k < rh; k++) {
            if (!a && k > 0) { /* the row again */
                memcpy(y, row, px * (size_t)(w * rw));
                y += w * rw * c;
                continue;
            }
            for (int64_t i = 0; i < w; i++)
                for (int64_t r = 0; r < rw; r++, y += c) {
                    if (a) {
                        add_px(y, a, x + i * c, c);
                        a += c;
                    } else {
                        memcpy(y, x + i * c, px);
                    }
                }
        }
    }
}
