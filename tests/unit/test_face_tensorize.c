/* test_face_tensorize.c - pixels into model inputs: normalisation, channel order,
 * layouts, box-filter shrinking, letterbox padding, grey. */
#include "test.h"

#include "face/tensorize.h"
#include "face_util.h"

#include <stdlib.h>

static void set_px(fc_image *img, int x, int y, int r, int g, int b)
{
    uint8_t *p = img->rgb + (size_t)y * img->stride + 3 * (size_t)x;
    p[0] = (uint8_t)r;
    p[1] = (uint8_t)g;
    p[2] = (uint8_t)b;
}

TEST(face_tensorize_identity_layouts)
{
    fc_image *img = fc_face_test_image(2, 1);
    CHECK(img);
    set_px(img, 0, 0, 255, 127, 0);
    set_px(img, 1, 0, 10, 20, 30);
    float out[6];
    fc_error err = {0};
    fc_place id = {1, 1, 0, 0};
    fc_pixel_norm nchw = {.mean = 127, .scale = 1.0f / 128};
    CHECK_OK(fc_face_tensorize(img, &id, 2, 1, &nchw, out, &err), &err);
    /* planes R, G, B */
    CHECK_NEAR(out[0], 1.0, 1e-6);
    CHECK_NEAR(out[1], (10 - 127) / 128.0, 1e-6);
    CHECK_NEAR(out[2], 0.0, 1e-6);
    CHECK_NEAR(out[4], -127 / 128.0, 1e-6);
    fc_pixel_norm bgr_nhwc = {.bgr = 1, .nhwc = 1, .mean = 0, .scale = 1};
    CHECK_OK(fc_face_tensorize(img, &id, 2, 1, &bgr_nhwc, out, &err), &err);
    CHECK(out[0] == 0 && out[1] == 127 && out[2] == 255 && out[3] == 30 && out[4] == 20 && out[5] == 10);
    fc_pixel_norm grey = {.grey = 1, .mean = 0, .scale = 1};
    CHECK_OK(fc_face_tensorize(img, &id, 2, 1, &grey, out, &err), &err);
    CHECK_NEAR(out[0], 0.299 * 255 + 0.587 * 127, 1e-3);
    fc_face_test_image_free(img);
    return FC_TEST_PASS;
}

TEST(face_tensorize_shrink_and_letterbox)
{
    /* 4x2 image shrunk by 2 into the middle of a 2x3 destination: row 0 and 2 are
     * padding, row 1 holds the means of the 2x2 blocks */
    fc_image *img = fc_face_test_image(4, 2);
    CHECK(img);
    int v[2][4] = {{0, 100, 200, 40}, {20, 80, 60, 100}};
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            set_px(img, x, y, v[y][x], v[y][x], v[y][x]);
    fc_place pl = {0.5f, 0.5f, 0, 1};
    fc_pixel_norm n = {.mean = 0, .scale = 1, .pad = 114};
    float out[3 * 6];
    fc_error err = {0};
    CHECK_OK(fc_face_tensorize(img, &pl, 2, 3, &n, out, &err), &err);
    CHECK(out[0] == 114 && out[1] == 114 && out[4] == 114 && out[5] == 114);
    CHECK_NEAR(out[2], 50, 1e-4);  /* (0+100+20+80)/4 */
    CHECK_NEAR(out[3], 100, 1e-4); /* (200+40+60+100)/4 */
    /* a crop: negative offset, 2x enlargement is bilinear between pixel centres:
     * destination pixel 0 samples source x = 1.75 (centres at integers), pixel 1
     * samples 2.25 */
    fc_place crop = {2, 2, -4, 0};
    float big[3 * 16];
    CHECK_OK(fc_face_tensorize(img, &crop, 4, 4, &n, big, &err), &err);
    CHECK_NEAR(big[0], 0.25 * 100 + 0.75 * 200, 1e-3);
    CHECK_NEAR(big[1], 0.75 * 200 + 0.25 * 40, 1e-3);
    CHECK(fc_face_tensorize(img, &(fc_place){0, 1, 0, 0}, 2, 2, &n, out, &err) == FC_ERR_ARG);
    fc_face_test_image_free(img);
    return FC_TEST_PASS;
}
