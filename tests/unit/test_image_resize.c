/* test_image_resize.c - area shrink and bilinear enlarge: known values, constant
 * images stay constant, the SSE2 vertical pass equals the scalar reference. */
#include "test.h"

#include "image/image.h"
#include "image/resize.h"
#include "image_util.h"

#include <string.h>

/* A w x 1 (or 1 x h) grey image from values. */
static fc_image *line_of(const int *v, int n, int vertical)
{
    fc_error err = {0};
    fc_image *img = fc_image_new(vertical ? 1 : n, vertical ? n : 1, &err);
    for (int i = 0; img && i < n; i++)
        memset(vertical ? tu_px(img, 0, i) : tu_px(img, i, 0), v[i], 3);
    return img;
}

static int check_line(const int *src, int n, const int *want, int m)
{
    for (int vertical = 0; vertical <= 1; vertical++) {
        fc_error err = {0};
        fc_image *s = line_of(src, n, vertical);
        fc_image *d = fc_image_new(vertical ? 1 : m, vertical ? m : 1, &err);
        fc_image_resize(s, d);
        for (int i = 0; i < m; i++) {
            const uint8_t *p = vertical ? tu_px(d, 0, i) : tu_px(d, i, 0);
            if (p[0] != want[i] || p[1] != want[i] || p[2] != want[i]) {
                int got = p[0];
                fc_image_free(s);
                fc_image_free(d);
                return fc_test_fail(__FILE__, __LINE__, "%d -> %d, vertical %d: [%d] = %d, want %d",
                                    n, m, vertical, i, got, want[i]);
            }
        }
        fc_image_free(s);
        fc_image_free(d);
    }
    return FC_TEST_PASS;
}

TEST(image_resize_known_values)
{
    int r;
    /* area: pairs average; thirds weigh by overlap */
    if ((r = check_line((int[]){10, 20, 30, 40}, 4, (int[]){15, 35}, 2)))
        return r;
    if ((r = check_line((int[]){0, 90, 180}, 3, (int[]){30, 150}, 2)))
        return r;
    if ((r = check_line((int[]){0, 255, 0, 255, 0, 255}, 6, (int[]){128}, 1)))
        return r;
    /* bilinear, pixel centres aligned: 0 and 100 spread over four */
    if ((r = check_line((int[]){0, 100}, 2, (int[]){0, 25, 75, 100}, 4)))
        return r;
    /* same size: a copy */
    if ((r = check_line((int[]){1, 2, 3, 250}, 4, (int[]){1, 2, 3, 250}, 4)))
        return r;
    return FC_TEST_PASS;
}

TEST(image_resize_constant_stays_constant)
{
    static const int sizes[][4] = {{4000, 3000, 320, 240}, {640, 480, 639, 479}, {17, 9, 3, 2},
                                   {5, 7, 50, 70},         {100, 10, 7, 40},     {1, 1, 13, 11},
                                   {13, 11, 1, 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fc_error err = {0};
        fc_image *s = fc_image_new(sizes[i][0], sizes[i][1], &err);
        fc_image *d = fc_image_new(sizes[i][2], sizes[i][3], &err);
        CHECK(s && d);
        for (int y = 0; y < s->height; y++)
            for (int x = 0; x < s->width; x++)
                memcpy(tu_px(s, x, y), (uint8_t[]){201, 7, 255}, 3);
        fc_image_resize(s, d);
        for (int y = 0; y < d->height; y++)
            for (int x = 0; x < d->width; x++) {
                const uint8_t *p = tu_px(d, x, y);
                CHECK_MSG(p[0] == 201 && p[1] == 7 && p[2] == 255, "case %zu (%d,%d): %d %d %d",
                          i, x, y, p[0], p[1], p[2]);
            }
        fc_image_free(s);
        fc_image_free(d);
    }
    return FC_TEST_PASS;
}

TEST(image_resize_fast_equals_scalar_reference)
{
    static const int sizes[][4] = {{1000, 750, 320, 240}, {333, 211, 100, 77}, {64, 48, 65, 49},
                                   {31, 17, 120, 90},     {7, 300, 5, 13},     {300, 7, 13, 5}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fc_error err = {0};
        fc_image *s = tu_noise(sizes[i][0], sizes[i][1], (uint32_t)(i + 1));
        fc_image *a = fc_image_new(sizes[i][2], sizes[i][3], &err);
        fc_image *b = fc_image_new(sizes[i][2], sizes[i][3], &err);
        CHECK(s && a && b);
        fc_image_resize(s, a);
        fc_image_resize_scalar(s, b);
        CHECK_MSG(tu_max_diff(a, b) == 0, "case %zu differs by %d", i, tu_max_diff(a, b));
        fc_image_free(s);
        fc_image_free(a);
        fc_image_free(b);
    }
    return FC_TEST_PASS;
}

TEST(image_resize_box_average_of_blocks)
{
    /* 8x8 flat blocks shrunk by 8: every output pixel is its block's colour */
    fc_image *pat = tu_pattern(80, 48, 8);
    fc_error err = {0};
    fc_image *d = fc_image_new(10, 6, &err);
    fc_image_resize(pat, d);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 10; x++) {
            uint8_t want[3];
            tu_block_rgb(x, y, want);
            CHECK(memcmp(tu_px(d, x, y), want, 3) == 0);
        }
    /* bad arguments are ignored, not a crash */
    fc_image_resize(NULL, d);
    fc_image_resize(pat, NULL);
    fc_image_free(d);
    fc_image_free(pat);
    return FC_TEST_PASS;
}
