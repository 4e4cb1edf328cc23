/* test_face_align.c - Umeyama similarity estimation recovers known transforms
 * exactly, inversion, and the alignment matrix lands landmarks on the template. */
#include "test.h"

#include "face/align.h"

#include <math.h>

static void apply(const float m[6], fc_point p, fc_point *out)
{
    out->x = m[0] * p.x + m[1] * p.y + m[2];
    out->y = m[3] * p.x + m[4] * p.y + m[5];
}

TEST(face_umeyama_exact_recovery)
{
    const fc_point src[5] = {{30.5f, 40.0f}, {80.0f, 42.5f}, {55.0f, 70.0f}, {35.0f, 95.0f}, {75.0f, 93.0f}};
    const struct {
        double angle, scale, tx, ty;
    } cases[] = {
        {0, 1, 0, 0}, {0.3, 1.7, 12.5, -40}, {-1.2, 0.25, 300, 200}, {3.0, 4.0, -7, 9}, {M_PI / 2, 0.5, 1, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double a = cases[c].scale * cos(cases[c].angle), b = cases[c].scale * sin(cases[c].angle);
        float truth[6] = {(float)a, (float)-b, (float)cases[c].tx, (float)b, (float)a, (float)cases[c].ty};
        fc_point dst[5];
        for (int i = 0; i < 5; i++)
            apply(truth, src[i], &dst[i]);
        float m[6];
        fc_error err = {0};
        CHECK_OK(fc_face_umeyama(src, dst, 5, m, &err), &err);
        for (int k = 0; k < 6; k++)
            CHECK_NEAR(m[k], truth[k], 1e-4 * (1 + fabs(truth[k])));
    }
    return FC_TEST_PASS;
}

static double sse(const float m[6], const fc_point *src, const fc_point *dst, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++) {
        fc_point q;
        apply(m, src[i], &q);
        e += (q.x - dst[i].x) * (q.x - dst[i].x) + (q.y - dst[i].y) * (q.y - dst[i].y);
    }
    return e;
}

TEST(face_umeyama_least_squares_and_errors)
{
    /* noisy points: the estimate minimises the squared error over similarities, so a
     * small step in any of its 4 parameters (a, b, tx, ty) makes the error grow */
    const fc_point src[5] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}, {4, 7}};
    const fc_point dst[5] = {{1, 0}, {20, 1}, {19, 20}, {0, 21}, {9, 13}};
    float m[6];
    fc_error err = {0};
    CHECK_OK(fc_face_umeyama(src, dst, 5, m, &err), &err);
    CHECK(m[0] == m[4] && m[1] == -m[3]); /* a similarity */
    double best = sse(m, src, dst, 5);
    for (int p = 0; p < 4; p++)
        for (int sign = -1; sign <= 1; sign += 2) {
            float t[6] = {m[0], m[1], m[2], m[3], m[4], m[5]};
            float h = 1e-2f * (float)sign;
            if (p == 0) {
                t[0] += h;
                t[4] += h;
            } else if (p == 1) {
                t[3] += h;
                t[1] -= h;
            } else {
                t[p == 2 ? 2 : 5] += h;
            }
            CHECK_MSG(sse(t, src, dst, 5) > best, "parameter %d step %g lowers the error", p, h);
        }
    /* degenerate input */
    const fc_point same[3] = {{1, 1}, {1, 1}, {1, 1}};
    CHECK(fc_face_umeyama(same, dst, 3, m, &err) == FC_ERR_ARG);
    CHECK(fc_face_umeyama(src, dst, 1, m, &err) == FC_ERR_ARG);
    return FC_TEST_PASS;
}

TEST(face_affine_invert)
{
    const float m[6] = {1.5f, -0.4f, 10, 0.4f, 1.5f, -3};
    float inv[6];
    fc_error err = {0};
    CHECK_OK(fc_face_affine_invert(m, inv, &err), &err);
    fc_point p = {17, -5}, q, r;
    apply(m, p, &q);
    apply(inv, q, &r);
    CHECK_NEAR(r.x, p.x, 1e-4);
    CHECK_NEAR(r.y, p.y, 1e-4);
    const float singular[6] = {1, 2, 0, 2, 4, 0};
    CHECK(fc_face_affine_invert(singular, inv, &err) == FC_ERR_ARG);
    return FC_TEST_PASS;
}

TEST(face_align_matrix_maps_template_to_landmarks)
{
    /* landmarks = the template rotated, scaled by 3 and moved, in original pixels of
     * an image decoded at scale 2: crop pixel t_i must sample image point
     * (l_i + 0.5)/2 - 0.5 (pixel centres at integers in both) */
    fc_point tpl[5], lm[5];
    fc_face_template(112, tpl);
    double a = 3 * cos(0.2), b = 3 * sin(0.2);
    for (int i = 0; i < 5; i++)
        lm[i] = (fc_point){(float)(a * tpl[i].x - b * tpl[i].y + 500), (float)(b * tpl[i].x + a * tpl[i].y + 300)};
    float m[6];
    fc_error err = {0};
    CHECK_OK(fc_face_align_matrix(lm, 112, 2.0f, m, &err), &err);
    for (int i = 0; i < 5; i++) {
        fc_point s;
        apply(m, tpl[i], &s);
        CHECK_NEAR(s.x, (lm[i].x + 0.5) / 2 - 0.5, 1e-3);
        CHECK_NEAR(s.y, (lm[i].y + 0.5) / 2 - 0.5, 1e-3);
    }
    /* the template scales with the crop size */
    fc_point t160[5];
    fc_face_template(160, t160);
    CHECK_NEAR(t160[2].x, 56.0252 * 160 / 112, 1e-3);
    return FC_TEST_PASS;
}
