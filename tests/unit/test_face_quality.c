/* test_face_quality.c - blur falls when a crop is blurred, pose is 1 for a frontal
 * face and falls as the face turns, quality_score is monotone and in [0, 1]. */
#include "test.h"

#include "face/align.h"
#include "face/quality.h"
#include "face_util.h"

#include <string.h>

/* 3x3 box blur of src into dst (same size; borders copied). */
static void box_blur(const fc_image *src, fc_image *dst)
{
    for (int y = 0; y < src->height; y++)
        for (int x = 0; x < 3 * src->width; x++) {
            int c = x % 3, px = x / 3, sum = 0, n = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = px + dx;
                    if (yy < 0 || xx < 0 || yy >= src->height || xx >= src->width)
                        continue;
                    sum += src->rgb[(size_t)yy * src->stride + 3 * (size_t)xx + c];
                    n++;
                }
            dst->rgb[(size_t)y * dst->stride + x] = (uint8_t)(sum / n);
        }
}

TEST(face_quality_blur_monotone)
{
    fc_image *a = fc_face_test_image(112, 112), *b = fc_face_test_image(112, 112),
             *c = fc_face_test_image(112, 112);
    CHECK(a && b && c);
    fc_face_test_fill_noise(a, 42);
    box_blur(a, b);
    box_blur(b, c);
    float sharp = fc_face_blur(a), soft = fc_face_blur(b), softer = fc_face_blur(c);
    int ok = sharp > soft && soft > softer && softer > 0;
    memset(c->rgb, 77, (size_t)c->stride * 112);
    float flat = fc_face_blur(c);
    fc_face_test_image_free(a);
    fc_face_test_image_free(b);
    fc_face_test_image_free(c);
    CHECK_MSG(ok, "blur %g, once blurred %g, twice %g", sharp, soft, softer);
    CHECK(flat == 0);
    return FC_TEST_PASS;
}

TEST(face_quality_pose)
{
    fc_point tpl[5];
    fc_face_template(112, tpl);
    float frontal = fc_face_pose(tpl);
    CHECK_MSG(frontal > 0.97f, "frontal pose %g", frontal);
    /* turning the head: the nose moves towards one eye, the mouth follows */
    fc_point turned[5], profile[5], rolled[5];
    for (int i = 0; i < 5; i++)
        turned[i] = profile[i] = tpl[i];
    turned[2].x += 10;
    profile[2].x = tpl[1].x + 4;
    profile[3].x += 15;
    profile[4].x += 8;
    float t = fc_face_pose(turned), p = fc_face_pose(profile);
    CHECK_MSG(frontal > t && t > p, "frontal %g, turned %g, profile %g", frontal, t, p);
    CHECK(p >= 0 && p < 0.2f);
    /* in-plane rotation does not count */
    for (int i = 0; i < 5; i++)
        rolled[i] = (fc_point){0.8f * tpl[i].x - 0.6f * tpl[i].y, 0.6f * tpl[i].x + 0.8f * tpl[i].y};
    CHECK_NEAR(fc_face_pose(rolled), frontal, 1e-4);
    /* the nose far above the eyes (head tilted back) */
    fc_point tilted[5];
    for (int i = 0; i < 5; i++)
        tilted[i] = tpl[i];
    tilted[2].y = tpl[0].y + 2;
    CHECK(fc_face_pose(tilted) < frontal - 0.3f);
    return FC_TEST_PASS;
}

TEST(face_quality_score)
{
    float base = fc_face_quality_score(60, 80, 0.8f, 0.9f);
    CHECK(base > 0 && base < 1);
    CHECK(fc_face_quality_score(100, 80, 0.8f, 0.9f) > base);
    CHECK(fc_face_quality_score(60, 200, 0.8f, 0.9f) > base);
    CHECK(fc_face_quality_score(60, 80, 0.95f, 0.9f) > base);
    CHECK(fc_face_quality_score(60, 80, 0.8f, 0.99f) > base);
    /* size saturates at 112 px */
    CHECK(fc_face_quality_score(112, 80, 0.8f, 0.9f) == fc_face_quality_score(900, 80, 0.8f, 0.9f));
    CHECK(fc_face_quality_score(1e6f, 1e9f, 1, 1) <= 1);
    CHECK(fc_face_quality_score(0, 0, 0, 0) == 0);
    return FC_TEST_PASS;
}
