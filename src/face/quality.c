/* quality.c - blur (Laplacian variance), pose (frontalness) and quality_score. */
#include "face/quality.h"

#include <math.h>

float fc_face_blur(const fc_image *img)
{
    const int w = img->width, h = img->height;
    if (w < 3 || h < 3)
        return 0;
    /* luma of three rows at a time would save memory; crops are small, so one pass
     * computing luma on the fly per neighbour is simplest */
#define LUMA(x, y)                                                                      \
    (0.299f * img->rgb[(size_t)(y) * img->stride + 3 * (size_t)(x)] +                   \
     0.587f * img->rgb[(size_t)(y) * img->stride + 3 * (size_t)(x) + 1] +               \
     0.114f * img->rgb[(size_t)(y) * img->stride + 3 * (size_t)(x) + 2])
    double sum = 0, sum2 = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            double l = LUMA(x, y - 1) + LUMA(x - 1, y) + LUMA(x + 1, y) + LUMA(x, y + 1) -
                       4.0 * LUMA(x, y);
            sum += l;
            sum2 += l * l;
        }
#undef LUMA
    double n = (double)(w - 2) * (h - 2), mean = sum / n;
    double var = sum2 / n - mean * mean;
    return var > 0 ? (float)var : 0;
}

static float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

float fc_face_pose(const fc_point lm[5])
{
    const float ex = lm[1].x - lm[0].x, ey = lm[1].y - lm[0].y;
    const float d2 = ex * ex + ey * ey;
    if (!(d2 > 1e-6f))
        return 0;
    const float d = sqrtf(d2);
    /* nose along the eye line, 0..1 */
    const float t = ((lm[2].x - lm[0].x) * ex + (lm[2].y - lm[0].y) * ey) / d2;
    /* signed distances below the eye line (normal pointing "down" the face) */
    const float nx = -ey / d, ny = ex / d;
    const float mx = (lm[3].x + lm[4].x) / 2, my = (lm[3].y + lm[4].y) / 2;
    const float nose = (lm[2].x - lm[0].x) * nx + (lm[2].y - lm[0].y) * ny;
    const float mouth = (mx - lm[0].x) * nx + (my - lm[0].y) * ny;
    const float yaw = fabsf(t - 0.5f) * 2;
    const float r0 = 0.494f;
    const float pitch = mouth > 1e-6f ? fabsf(nose / mouth - r0) / r0 : 2;
    return clamp01(1 - yaw) * clamp01(1 - 0.5f * pitch);
}

float fc_face_quality_score(float size, float blur, float pose, float confidence)
{
    float s = clamp01(size / 112.0f);
    float b = blur > 0 ? blur / (blur + 100.0f) : 0;
    return clamp01(0.35f * s + 0.25f * b + 0.25f * clamp01(pose) + 0.15f * clamp01(confidence));
}
