/* orient.c - the 8 EXIF orientations: the transform that turns stored pixels into
 * displayed ones. Display pixel (dx, dy) reads stored pixel
 *   1 (dx, dy)            2 (W-1-dx, dy)        3 (W-1-dx, H-1-dy)    4 (dx, H-1-dy)
 *   5 (dy, dx)            6 (dy, H-1-dx)        7 (W-1-dy, H-1-dx)    8 (W-1-dy, dx)
 * (W x H stored; 5..8 display H x W). Each case is a start pointer plus a byte step
 * per display column and per display row; the copy goes in 64x64 tiles so the
 * transposing cases stay in cache. */
#include "image/codec.h"

#include <string.h>

#define TILE 64

fc_image *fc_image_orient(const fc_image *src, int orientation, fc_error *err)
{
    if (!src || !src->rgb || orientation < 1 || orientation > 8) {
        fc_error_set(err, FC_ERR_ARG, "fc_image_orient: bad image or orientation %d",
                     orientation);
        return NULL;
    }
    int w = src->width, h = src->height;
    int swap = orientation >= 5;
    fc_image *dst = fc_image_alloc_checked("orient", swap ? h : w, swap ? w : h, NULL, err);
    if (!dst)
        return NULL;
    dst->scale = src->scale;
    dst->full_width = swap ? src->full_height : src->full_width;
    dst->full_height = swap ? src->full_width : src->full_height;

    /* Byte offsets in src of stored (x, y) = y*stride + 3*x. */
    ptrdiff_t s = src->stride, right = 3, down = s;
    ptrdiff_t x_end = 3 * (ptrdiff_t)(w - 1), y_end = s * (ptrdiff_t)(h - 1);
    ptrdiff_t start, step_col, step_row; /* per display column / display row */
    switch (orientation) {
    case 1: start = 0, step_col = right, step_row = down; break;
    case 2: start = x_end, step_col = -right, step_row = down; break;
    case 3: start = x_end + y_end, step_col = -right, step_row = -down; break;
    case 4: start = y_end, step_col = right, step_row = -down; break;
    case 5: start = 0, step_col = down, step_row = right; break;
    case 6: start = y_end, step_col = -down, step_row = right; break;
    case 7: start = x_end + y_end, step_col = -down, step_row = -right; break;
    default: start = x_end, step_col = down, step_row = -right; break;
    }
    if (orientation == 1) {
        for (int y = 0; y < h; y++)
            memcpy(dst->rgb + (size_t)y * dst->stride, src->rgb + (size_t)y * s,
                   3 * (size_t)w);
        return dst;
    }
    const uint8_t *base = src->rgb + start;
    for (int ty = 0; ty < dst->height; ty += TILE) {
        int y1 = ty + TILE < dst->height ? ty + TILE : dst->height;
        for (int tx = 0; tx < dst->width; tx += TILE) {
            int x1 = tx + TILE < dst->width ? tx + TILE : dst->width;
            for (int y = ty; y < y1; y++) {
                const uint8_t *restrict p = base + step_row * y + step_col * tx;
                uint8_t *restrict q = dst->rgb + (size_t)y * dst->stride + 3 * (size_t)tx;
                for (int x = tx;;) {
                    q[0] = p[0];
                    q[1] = p[1];
                    q[2] = p[2];
                    if (++x == x1)
                        break; /* p never steps outside the image */
                    p += step_col;
                    q += 3;
                }
            }
        }
    }
    return dst;
}
