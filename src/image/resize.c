/* resize.c - separable resize, per axis box (area) averaging when shrinking and
 * bilinear when enlarging. Weights are computed once per axis as 14-bit integers that
 * sum to exactly 1 << 14, so a constant image stays constant and nothing is divided
 * per pixel. Each output row is a vertical pass (source rows -> one row of 16-bit
 * values, 7 fraction bits) then a horizontal pass (-> 8-bit). The vertical pass reads
 * every source byte and dominates; it has an SSE2 kernel next to its scalar reference
 * (tests check they agree exactly). */
#include "image/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WBITS 14 /* weights sum to 1 << WBITS */
#define VFRAC 7  /* fraction bits kept between the passes */

typedef struct {
    int max_taps;
    int *first, *count; /* per output: first source index, number of taps */
    int16_t *w;         /* per output: max_taps weights */
} axis;

typedef void (*vpass_fn)(const uint8_t *const *rows, const int16_t *w, int taps, int n,
                         int16_t *out);

static void axis_free(axis *a)
{
    free(a->first);
    free(a->count);
    free(a->w);
}

/* Rounds one output's weights to integers summing to 1 << WBITS. */
static void quantise(const double *wf, int taps, int16_t *w)
{
    int sum = 0, big = 0;
    for (int t = 0; t < taps; t++) {
        w[t] = (int16_t)lrint(wf[t] * (1 << WBITS));
        sum += w[t];
        if (w[t] > w[big])
            big = t;
    }
    w[big] = (int16_t)(w[big] + ((1 << WBITS) - sum));
}

/* Weights mapping src_len samples to dst_len; -1 on allocation failure. */
static int axis_build(axis *a, int src_len, int dst_len)
{
    double scale = (double)src_len / dst_len;
    int shrink = dst_len < src_len;
    a->max_taps = shrink ? (int)ceil(scale) + 1 : 2;
    a->first = malloc((size_t)dst_len * sizeof *a->first);
    a->count = malloc((size_t)dst_len * sizeof *a->count);
    a->w = calloc((size_t)dst_len * (size_t)a->max_taps, sizeof *a->w);
    double *wf = malloc((size_t)a->max_taps * sizeof *wf);
    if (!a->first || !a->count || !a->w || !wf) {
        free(wf);
        return -1;
    }
    for (int o = 0; o < dst_len; o++) {
        int first, n = 0;
        if (shrink) { /* the source interval [lo, hi) this output covers */
            double lo = o * scale, hi = (o + 1) * scale;
            first = (int)floor(lo);
            int end = (int)ceil(hi);
            if (end > src_len)
                end = src_len;
            for (int i = first; i < end && n < a->max_taps; i++)
                wf[n++] = (fmin(hi, i + 1.0) - fmax(lo, (double)i)) / scale;
        } else { /* pixel centres: output o sits at source (o + 0.5) * scale - 0.5 */
            double c = (o + 0.5) * scale - 0.5;
            if (c < 0)
                c = 0;
            first = (int)floor(c);
            if (first >= src_len - 1) {
                first = src_len - 1;
                wf[n++] = 1.0;
            } else {
                wf[n++] = 1.0 - (c - first);
                wf[n++] = c - first;
            }
        }
        a->first[o] = first;
        a->count[o] = n;
        quantise(wf, n, a->w + (size_t)o * a->max_taps);
    }
    free(wf);
    return 0;
}

/* Vertical pass, reference: out[i] = sum_t w[t] * rows[t][i] >> (WBITS - VFRAC). */
static void vpass_scalar(const uint8_t *const *rows, const int16_t *w, int taps, int n,
                         int16_t *out)
{
    for (int i = 0; i < n; i++) {
        int32_t acc = 1 << (WBITS - VFRAC - 1);
        for (int t = 0; t < taps; t++)
            acc += w[t] * rows[t][i];
        out[i] = (int16_t)(acc >> (WBITS - VFRAC));
    }
}

#ifdef __SSE2__
/* Vertical pass, SSE2: 16 bytes at a time, two rows per multiply-add (pmaddwd on
 * interleaved row pairs), accumulators kept in registers across all taps. */
static void vpass_sse2(const uint8_t *const *rows, const int16_t *w, int taps, int n,
                       int16_t *out)
{
    const __m128i zero = _mm_setzero_si128();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i acc[4];
        for (int k = 0; k < 4; k++)
            acc[k] = _mm_set1_epi32(1 << (WBITS - VFRAC - 1));
        for (int t = 0; t < taps; t += 2) {
            int pair = t + 1 < taps;
            __m128i a = _mm_loadu_si128((const __m128i *)(rows[t] + i));
            __m128i b = pair ? _mm_loadu_si128((const __m128i *)(rows[t + 1] + i)) : zero;
            __m128i wab = _mm_set1_epi32((int32_t)((uint32_t)(uint16_t)w[t] |
                                                   (uint32_t)(pair ? w[t + 1] : 0) << 16));
            __m128i lo = _mm_unpacklo_epi8(a, b), hi = _mm_unpackhi_epi8(a, b);
            acc[0] = _mm_add_epi32(acc[0], _mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), wab));
            acc[1] = _mm_add_epi32(acc[1], _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), wab));
            acc[2] = _mm_add_epi32(acc[2], _mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), wab));
            acc[3] = _mm_add_epi32(acc[3], _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), wab));
        }
        for (int k = 0; k < 4; k++)
            acc[k] = _mm_srai_epi32(acc[k], WBITS - VFRAC);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packs_epi32(acc[0], acc[1]));
        _mm_storeu_si128((__m128i *)(out + i + 8), _mm_packs_epi32(acc[2], acc[3]));
    }
    for (; i < n; i++) {
        int32_t acc = 1 << (WBITS - VFRAC - 1);
        for (int t = 0; t < taps; t++)
            acc += w[t] * rows[t][i];
        out[i] = (int16_t)(acc >> (WBITS - VFRAC));
    }
}
#endif

/* Horizontal pass: one output row of RGB from the vertical pass's values. */
static void hpass(const int16_t *in, const axis *a, int dst_w, uint8_t *out)
{
    const int shift = WBITS + VFRAC;
    for (int x = 0; x < dst_w; x++, out += 3) {
        const int16_t *w = a->w + (size_t)x * a->max_taps;
        const int16_t *p = in + 3 * (size_t)a->first[x];
        int32_t r = 1 << (shift - 1), g = r, b = r;
        for (int t = 0; t < a->count[x]; t++, p += 3) {
            r += w[t] * p[0];
            g += w[t] * p[1];
            b += w[t] * p[2];
        }
        r >>= shift, g >>= shift, b >>= shift;
        out[0] = (uint8_t)(r > 255 ? 255 : r);
        out[1] = (uint8_t)(g > 255 ? 255 : g);
        out[2] = (uint8_t)(b > 255 ? 255 : b);
    }
}

static void resize_with(const fc_image *src, fc_image *dst, vpass_fn vpass)
{
    if (!src || !dst || !src->rgb || !dst->rgb || src->width < 1 || src->height < 1 ||
        dst->width < 1 || dst->height < 1)
        return;
    axis ax = {0}, ay = {0};
    int n = 3 * src->width;
    int16_t *mid = malloc((size_t)n * sizeof *mid);
    int ok = mid && !axis_build(&ax, src->width, dst->width) &&
             !axis_build(&ay, src->height, dst->height);
    const uint8_t **rows = ok ? malloc((size_t)ay.max_taps * sizeof *rows) : NULL;
    if (!rows) { /* no memory: a black image rather than stale pixels */
        for (int y = 0; y < dst->height; y++)
            memset(dst->rgb + (size_t)y * dst->stride, 0, 3 * (size_t)dst->width);
        goto out;
    }
    for (int y = 0; y < dst->height; y++) {
        for (int t = 0; t < ay.count[y]; t++)
            rows[t] = src->rgb + (size_t)(ay.first[y] + t) * (size_t)src->stride;
        vpass(rows, ay.w + (size_t)y * ay.max_taps, ay.count[y], n, mid);
        hpass(mid, &ax, dst->width, dst->rgb + (size_t)y * dst->stride);
    }
out:
    free(rows);
    free(mid);
    axis_free(&ax);
    axis_free(&ay);
}

void fc_image_resize(const fc_image *src, fc_image *dst)
{
#ifdef __SSE2__
    resize_with(src, dst, vpass_sse2);
#else
    resize_with(src, dst, vpass_scalar);
#endif
}

void fc_image_resize_scalar(const fc_image *src, fc_image *dst)
{
    resize_with(src, dst, vpass_scalar);
}
