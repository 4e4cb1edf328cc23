/* test_image_warp.c - bilinear affine warp and the 8 orientations. */
#include "test.h"

#include "image/image.h"
#include "image_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

TEST(image_warp_identity_is_a_copy)
{
    fc_image *src = tu_noise(29, 17, 3);
    fc_error err = {0};
    fc_image *dst = fc_image_new(29, 17, &err);
    fc_image_warp_affine(src, (const float[6]){1, 0, 0, 0, 1, 0}, dst);
    CHECK(tu_max_diff(src, dst) == 0);
    fc_image_free(dst);
    fc_image_free(src);
    return FC_TEST_PASS;
}

TEST(image_warp_translation_and_outside_black)
{
    fc_image *src = tu_noise(20, 10, 4);
    fc_error err = {0};
    fc_image *dst = fc_image_new(20, 10, &err);
    /* dst (x, y) = src (x + 5, y + 3) */
    fc_image_warp_affine(src, (const float[6]){1, 0, 5, 0, 1, 3}, dst);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 20; x++) {
            const uint8_t *p = tu_px(dst, x, y);
            if (x + 5 < 20 && y + 3 < 10)
                CHECK(memcmp(p, tu_px(src, x + 5, y + 3), 3) == 0);
            else
                CHECK_MSG(p[0] == 0 && p[1] == 0 && p[2] == 0, "(%d,%d) not black", x, y);
        }
    /* half a pixel: the average of neighbours */
    fc_image_warp_affine(src, (const float[6]){1, 0, 0.5f, 0, 1, 0}, dst);
    for (int c = 0; c < 3; c++) {
        int want = (tu_px(src, 3, 2)[c] + tu_px(src, 4, 2)[c] + 1) / 2;
        CHECK(abs(tu_px(dst, 3, 2)[c] - want) <= 1);
    }
    /* the last column blends half with the black outside */
    int last = tu_px(dst, 19, 0)[0], want = (tu_px(src, 19, 0)[0] + 1) / 2;
    CHECK_MSG(abs(last - want) <= 1, "%d vs %d", last, want);
    /* far away and NaN: black */
    fc_image_warp_affine(src, (const float[6]){1, 0, 1000, 0, 1, -1000}, dst);
    fc_image_warp_affine(src, (const float[6]){NAN, 0, 0, 0, 1, 0}, dst);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 60; x++)
            CHECK(tu_px(dst, 0, y)[x] == 0);
    fc_image_free(dst);
    fc_image_free(src);
    return FC_TEST_PASS;
}

TEST(image_warp_scale_and_rotate)
{
    /* a 2x zoom of a flat-block pattern keeps block centres */
    fc_image *src = tu_pattern(32, 32, 8);
    fc_error err = {0};
    fc_image *dst = fc_image_new(64, 64, &err);
    fc_image_warp_affine(src, (const float[6]){0.5f, 0, 0, 0, 0.5f, 0}, dst);
    CHECK(memcmp(tu_px(dst, 8, 8), tu_px(src, 4, 4), 3) == 0);
    CHECK(memcmp(tu_px(dst, 40, 24), tu_px(src, 20, 12), 3) == 0);
    /* a quarter turn: dst (x, y) = src (y, 31 - x), as orientation 6 */
    fc_image *rot = fc_image_new(32, 32, &err);
    fc_image_warp_affine(src, (const float[6]){0, 1, 0, -1, 0, 31}, rot);
    fc_image *want = fc_image_orient(src, 6, &err);
    CHECK(tu_max_diff(rot, want) == 0);
    fc_image_free(want);
    fc_image_free(rot);
    fc_image_free(dst);
    fc_image_free(src);
    return FC_TEST_PASS;
}

TEST(image_orient_all_eight)
{
    enum { W = 70, H = 45 }; /* larger than a 64-pixel tile */
    fc_image *src = tu_noise(W, H, 9);
    for (int o = 1; o <= 8; o++) {
        fc_error err = {0};
        fc_image *d = fc_image_orient(src, o, &err);
        CHECK_MSG(d, "%s", err.msg);
        CHECK(d->width == (o >= 5 ? H : W) && d->height == (o >= 5 ? W : H));
        for (int dy = 0; dy < d->height; dy++)
            for (int dx = 0; dx < d->width; dx++) {
                /* EXIF: where the stored row 0 and column 0 are displayed */
                int sx = dx, sy = dy;
                switch (o) {
                case 2: sx = W - 1 - dx; break;
                case 3: sx = W - 1 - dx, sy = H - 1 - dy; break;
                case 4: sy = H - 1 - dy; break;
                case 5: sx = dy, sy = dx; break;
                case 6: sx = dy, sy = H - 1 - dx; break;
                case 7: sx = W - 1 - dy, sy = H - 1 - dx; break;
                case 8: sx = W - 1 - dy, sy = dx; break;
                }
                CHECK_MSG(memcmp(tu_px(d, dx, dy), tu_px(src, sx, sy), 3) == 0,
                          "orientation %d at (%d,%d)", o, dx, dy);
            }
        fc_image_free(d);
    }
    fc_error err = {0};
    CHECK(fc_image_orient(src, 0, &err) == NULL && err.code == FC_ERR_ARG);
    CHECK(fc_image_orient(src, 9, &err) == NULL);
    fc_image_free(src);
    return FC_TEST_PASS;
}
