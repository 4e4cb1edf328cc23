/* warp.c - bilinear affine warp (face alignment crops). Each destination pixel
 * samples the source at m * (x, y, 1); a neighbour outside the source counts as
 * black, so edges fade over one pixel and points further out are black. */
#include "image/image.h"

#include <math.h>

/* One channel triple at integer (x, y), or black outside. */
static inline const uint8_t *px_or_black(const fc_image *src, int x, int y)
{
    static const uint8_t black[3] = {0, 0, 0};
    if (x < 0 || y < 0 || x >= src->width || y >= src->height)
        return black;
    return src->rgb + (size_t)y * (size_t)src->stride + 3 * (size_t)x;
}

void fc_image_warp_affine(const fc_image *src, const float m[6], fc_image *dst)
{
    if (!src || !src->rgb || !dst || !dst->rgb || !m)
        return;
    const float w = (float)src->width, h = (float)src->height;
    for (int y = 0; y < dst->height; y++) {
        uint8_t *out = dst->rgb + (size_t)y * (size_t)dst->stride;
        float row_x = m[1] * (float)y + m[2], row_y = m[4] * (float)y + m[5];
        for (int x = 0; x < dst->width; x++, out += 3) {
            float sx = m[0] * (float)x + row_x, sy = m[3] * (float)x + row_y;
            /* also false for NaN */
            if (!(sx > -1.0f && sx < w && sy > -1.0f && sy < h)) {
                out[0] = out[1] = out[2] = 0;
                continue;
            }
            int x0 = (int)floorf(sx), y0 = (int)floorf(sy);
            float fx = sx - (float)x0, fy = sy - (float)y0;
            const uint8_t *p00 = px_or_black(src, x0, y0), *p01 = px_or_black(src, x0 + 1, y0);
            const uint8_t *p10 = px_or_black(src, x0, y0 + 1);
            const uint8_t *p11 = px_or_black(src, x0 + 1, y0 + 1);
            float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy,
                  w11 = fx * fy;
            for (int c = 0; c < 3; c++) {
                float v = w00 * p00[c] + w01 * p01[c] + w10 * p10[c] + w11 * p11[c] + 0.5f;
                out[c] = (uint8_t)(v >= 255.0f ? 255 : v);
            }
        }
    }
}
