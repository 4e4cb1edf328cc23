/* align.c - Umeyama similarity estimation and the alignment warp matrix. */
#include "face/align.h"

#include <math.h>

/* insightface's arcface_src, for 112x112 */
static const fc_point arcface_112[5] = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
    {41.5493f, 92.3655f}, {70.7299f, 92.2041f},
};

void fc_face_template(int size, fc_point out[5])
{
    float s = (float)size / 112.0f;
    for (int i = 0; i < 5; i++)
        out[i] = (fc_point){arcface_112[i].x * s, arcface_112[i].y * s};
}

fc_status fc_face_umeyama(const fc_point *src, const fc_point *dst, int n, float m[6], fc_error *err)
{
    if (n < 2)
        return fc_error_set(err, FC_ERR_ARG, "umeyama: need at least 2 points");
    double msx = 0, msy = 0, mdx = 0, mdy = 0;
    for (int i = 0; i < n; i++) {
        msx += src[i].x;
        msy += src[i].y;
        mdx += dst[i].x;
        mdy += dst[i].y;
    }
    msx /= n;
    msy /= n;
    mdx /= n;
    mdy /= n;
    /* With R = [c -s; s c] (times the scale), the cross-covariance's rotation part
     * gives c and s directly: minimising sum |d - (sR s + t)|^2 over a = scale*cos,
     * b = scale*sin is linear. */
    double var = 0, a = 0, b = 0;
    for (int i = 0; i < n; i++) {
        double sx = src[i].x - msx, sy = src[i].y - msy;
        double dx = dst[i].x - mdx, dy = dst[i].y - mdy;
        var += sx * sx + sy * sy;
        a += sx * dx + sy * dy;
        b += sx * dy - sy * dx;
    }
    if (!(var > 1e-12))
        return fc_error_set(err, FC_ERR_ARG, "umeyama: source points coincide");
    a /= var;
    b /= var;
    m[0] = (float)a;
    m[1] = (float)-b;
    m[2] = (float)(mdx - (a * msx - b * msy));
    m[3] = (float)b;
    m[4] = (float)a;
    m[5] = (float)(mdy - (b * msx + a * msy));
    return FC_OK;
}

fc_status fc_face_affine_invert(const float m[6], float inv[6], fc_error *err)
{
    double det = (double)m[0] * m[4] - (double)m[1] * m[3];
    if (!(fabs(det) > 1e-12) || !isfinite(det))
        return fc_error_set(err, FC_ERR_ARG, "affine matrix is singular");
    double i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
    inv[0] = (float)i0;
    inv[1] = (float)i1;
    inv[2] = (float)(-(i0 * m[2] + i1 * m[5]));
    inv[3] = (float)i3;
    inv[4] = (float)i4;
    inv[5] = (float)(-(i3 * m[2] + i4 * m[5]));
    return FC_OK;
}

fc_status fc_face_align_matrix(const fc_point landmarks[5], int size, float scale, float m[6],
                               fc_error *err)
{
    if (!(scale > 0))
        return fc_error_set(err, FC_ERR_ARG, "align: bad image scale");
    fc_point src[5], tpl[5];
    /* Landmarks are taken in the convention the template was made for (OpenCV's:
     * pixel centres at integers), as the detectors and the landmark model give them;
     * measured: shifting them by half a pixel as if they were edge coordinates costs
     * 0.15% pair accuracy on celebs_aligned (95.08% vs 95.23%). Original-photo
     * centres -> the decoded image's centres: (p + 0.5) / scale - 0.5. */
    for (int i = 0; i < 5; i++)
        src[i] = (fc_point){(landmarks[i].x + 0.5f) / scale - 0.5f, (landmarks[i].y + 0.5f) / scale - 0.5f};
    fc_face_template(size, tpl);
    float fwd[6];
    fc_status rc = fc_face_umeyama(src, tpl, 5, fwd, err);
    if (rc)
        return rc;
    return fc_face_affine_invert(fwd, m, err);
}
