/* tensorize.c - separable resampling of RGB8 into normalised float planes: per axis a
 * table of (first source index, weights), a vertical pass into one float row, then
 * a horizontal pass that normalises and writes the destination layout. */
#include "face/tensorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Taps of one destination index along one axis; count 0 means "outside: pad". */
typedef struct {
    int first, count;
    int w; /* offset of the first weight in the weight array */
} axis_taps;

typedef struct {
    axis_taps *taps;
    float *w;
} axis_table;

/* Builds the taps for n destination indices of an axis whose source has size len,
 * scale s and offset o. max_taps bounds count. */
static void axis_build(axis_table *t, int n, int len, float s, float o, int max_taps)
{
    int used = 0;
    for (int i = 0; i < n; i++) {
        axis_taps *a = &t->taps[i];
        a->first = 0;
        a->count = 0;
        a->w = used;
        double centre = ((double)i + 0.5 - o) / s; /* source point, edges at integers */
        if (centre < 0 || centre >= len)
            continue;
        if (s < 1) { /* box filter over the covered source interval */
            double lo = ((double)i - o) / s, hi = ((double)i + 1 - o) / s;
            if (lo < 0)
                lo = 0;
            if (hi > len)
                hi = len;
            int first = (int)floor(lo), last = (int)ceil(hi) - 1;
            if (last >= len)
                last = len - 1;
            if (last - first + 1 > max_taps)
                last = first + max_taps - 1;
            double total = 0;
            for (int k = first; k <= last; k++) {
                double a0 = k > lo ? k : lo, a1 = k + 1 < hi ? k + 1 : hi;
                double wk = a1 > a0 ? a1 - a0 : 0;
                t->w[used + (k - first)] = (float)wk;
                total += wk;
            }
            for (int k = first; k <= last; k++)
                t->w[used + (k - first)] = total > 0 ? (float)(t->w[used + (k - first)] / total) : 0;
            a->first = first;
            a->count = last - first + 1;
        } else { /* bilinear between the two nearest pixel centres, clamped */
            double c = centre - 0.5;
            int k0 = (int)floor(c);
            double f = c - k0;
            if (k0 < 0) {
                k0 = 0;
                f = 0;
            }
            if (k0 >= len - 1) {
                k0 = len - 1;
                f = 0;
            }
            a->first = k0;
            a->count = f > 0 ? 2 : 1;
            t->w[used] = (float)(1 - f);
            t->w[used + 1] = (float)f;
        }
        used += a->count > 2 ? a->count : 2;
    }
}

static int axis_max_taps(float s)
{
    return s < 1 ? (int)ceil(1.0 / s) + 2 : 2;
}

fc_status fc_face_tensorize(const fc_image *src, const fc_place *pl, int dw, int dh,
                            const fc_pixel_norm *norm, float *dst, fc_error *err)
{
    if (!src || !src->rgb || src->width <= 0 || src->height <= 0 || dw <= 0 || dh <= 0 ||
        !(pl->sx > 0) || !(pl->sy > 0) || !isfinite(pl->ox) || !isfinite(pl->oy))
        return fc_error_set(err, FC_ERR_ARG, "tensorize: bad image, size or placement");
    fc_status rc = FC_OK;
    int tx = axis_max_taps(pl->sx), ty = axis_max_taps(pl->sy);
    axis_table ax = {calloc((size_t)dw, sizeof(axis_taps)), malloc((size_t)dw * (size_t)tx * sizeof(float))};
    axis_table ay = {calloc((size_t)dh, sizeof(axis_taps)), malloc((size_t)dh * (size_t)ty * sizeof(float))};
    float *row = malloc((size_t)src->width * 3 * sizeof(float));
    if (!ax.taps || !ax.w || !ay.taps || !ay.w || !row) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "tensorize: out of memory");
        goto out;
    }
    axis_build(&ax, dw, src->width, pl->sx, pl->ox, tx);
    axis_build(&ay, dh, src->height, pl->sy, pl->oy, ty);
    /* the source columns any destination pixel reads: a crop reads few of them */
    int col_lo = src->width, col_hi = 0;
    for (int x = 0; x < dw; x++)
        if (ax.taps[x].count) {
            if (ax.taps[x].first < col_lo)
                col_lo = ax.taps[x].first;
            if (ax.taps[x].first + ax.taps[x].count > col_hi)
                col_hi = ax.taps[x].first + ax.taps[x].count;
        }

    const int nch = norm->grey ? 1 : 3;
    const float sc = norm->scale, padv = (norm->pad - norm->mean) * norm->scale;
    /* source channel feeding each output channel */
    const int ch[3] = {norm->bgr ? 2 : 0, 1, norm->bgr ? 0 : 2};
    const size_t plane = (size_t)dw * (size_t)dh;
    for (int y = 0; y < dh; y++) {
        const axis_taps *ty_ = &ay.taps[y];
        if (ty_->count && col_hi > col_lo) {
            const float *wy = ay.w + ty_->w;
            const uint8_t *r0 = src->rgb + (size_t)ty_->first * (size_t)src->stride;
            const int lo = 3 * col_lo, hi = 3 * col_hi;
            for (int i = lo; i < hi; i++)
                row[i] = wy[0] * r0[i];
            for (int k = 1; k < ty_->count; k++) {
                const uint8_t *rk = r0 + (size_t)k * (size_t)src->stride;
                const float wk = wy[k];
                for (int i = lo; i < hi; i++)
                    row[i] += wk * rk[i];
            }
        }
        for (int x = 0; x < dw; x++) {
            const axis_taps *tx_ = &ax.taps[x];
            float v[3] = {padv, padv, padv};
            if (ty_->count && tx_->count) {
                const float *wx = ax.w + tx_->w;
                float acc[3] = {0, 0, 0};
                const float *p = row + (size_t)tx_->first * 3;
                for (int k = 0; k < tx_->count; k++, p += 3) {
                    acc[0] += wx[k] * p[0];
                    acc[1] += wx[k] * p[1];
                    acc[2] += wx[k] * p[2];
                }
                if (norm->grey) {
                    v[0] = (0.299f * acc[0] + 0.587f * acc[1] + 0.114f * acc[2] - norm->mean) * sc;
                } else {
                    for (int c = 0; c < 3; c++)
                        v[c] = (acc[ch[c]] - norm->mean) * sc;
                }
            }
            size_t at = (size_t)y * (size_t)dw + (size_t)x;
            if (norm->nhwc)
                for (int c = 0; c < nch; c++)
                    dst[at * (size_t)nch + (size_t)c] = v[c];
            else
                for (int c = 0; c < nch; c++)
                    dst[(size_t)c * plane + at] = v[c];
        }
    }
out:
    free(ax.taps);
    free(ax.w);
    free(ay.taps);
    free(ay.w);
    free(row);
    return rc;
}
