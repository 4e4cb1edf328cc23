/* stem.c - the 3x3 stride-2 first convolution, row by row (see stem.h).
 *
 * Output channels lie in AVX-512 vectors; each tap's weight vector serves a tile of
 * 16 output pixels, whose input values are broadcast straight from the image's
 * planes (every second column: stride 2). The 16 accumulators stay in registers
 * through the c x 9 taps, taken a window row (3 taps) at a time. */
#include "nn/stem.h"

#include "core/alloc.h"
#include "nn/fast.h"
#include "nn/pwdw_act.h"

#include <immintrin.h>
#include <stdlib.h>

struct fc_stem {
    int64_t c, h, w;     /* image */
    int64_t m;           /* output channels, a multiple of 16 */
    int64_t ow;          /* output row width */
    float *wt;           /* [c][3][3][m], folded */
    float *b;            /* [m], folded */
    fc_act act;          /* not PRELU */
};

fc_stem *fc_stem_new(const fc_pwdw_conv *cv, int64_t c, int64_t h, int64_t w, fc_error *err)
{
    const fc_shape *ws = &cv->w->shape;
    const int64_t m = ws->d[0];
    if (c < 1 || c > 4 || h < 1 || w < 1 || ws->ndim != 4 || m < 16 || m % 16 || ws->d[1] != c || ws->d[2] != 3 ||
        ws->d[3] != 3 || cv->act.kind == FC_ACT_PRELU) {
        fc_error_set(err, FC_ERR_UNSUPPORTED, "stem kernel: %lld input channels, %lld output channels%s",
                     (long long)c, (long long)m, cv->act.kind == FC_ACT_PRELU ? ", PRelu" : "");
        return NULL;
    }
    fc_stem *s = calloc(1, sizeof *s);
    float *tmp = malloc((size_t)(m * c * 9) * sizeof *tmp);
    if (s) {
        *s = (fc_stem){.c = c, .h = h, .w = w, .m = m, .ow = (w - 1) / 2 + 1, .act = cv->act};
        s->wt = fc_aligned_alloc((size_t)(m * c * 9) * sizeof(float));
        s->b = fc_aligned_alloc((size_t)m * sizeof(float));
    }
    if (!s || !tmp || !s->wt || !s->b) {
        free(tmp);
        fc_stem_free(s);
        fc_error_set(err, FC_ERR_NOMEM, "stem kernel");
        return NULL;
    }
    fc_fold_conv(cv->w, cv->b, cv->bn, cv->bn_eps, tmp, s->b); /* [m][c * 9], to [c * 9][m] */
    for (int64_t o = 0; o < m; o++)
        for (int64_t t = 0; t < c * 9; t++)
            s->wt[t * m + o] = tmp[o * c * 9 + t];
    free(tmp);
    return s;
}

void fc_stem_free(fc_stem *s)
{
    if (!s)
        return;
    fc_aligned_free(s->wt);
    fc_aligned_free(s->b);
    free(s);
}

int64_t fc_stem_image_size(const fc_stem *s) { return s->c * s->h * s->w; }

/* The window rows of one output row inside the image: for each input channel and
 * row dy, the image row and the weights of its three taps. */
typedef struct {
    const float *src[12]; /* row 2 oy - 1 + dy of plane ci */
    const float *wt[12];  /* taps (ci, dy, 0 .. 2): [3][m] */
    int n;
} window_rows;

/* np interior pixels from ox on (every tap inside the row), output channels c0 ..
 * c0 + 15; np a constant where this is inlined. */
__attribute__((target("avx512f"), always_inline)) static inline void
tile(const fc_stem *s, const window_rows *wr, int64_t ox, int64_t c0, float *out, const int np)
{
    const int64_t m = s->m;
    __m512 acc[16];
#pragma GCC unroll 16
    for (int q = 0; q < np; q++)
        acc[q] = _mm512_load_ps(s->b + c0);
    for (int k = 0; k < wr->n; k++) {
        const float *r = wr->src[k] + 2 * ox - 1, *wp = wr->wt[k] + c0;
        const __m512 w0 = _mm512_load_ps(wp), w1 = _mm512_load_ps(wp + m), w2 = _mm512_load_ps(wp + 2 * m);
#pragma GCC unroll 16
        for (int q = 0; q < np; q++) {
            acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(r[2 * q]), w0, acc[q]);
            acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(r[2 * q + 1]), w1, acc[q]);
            acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(r[2 * q + 2]), w2, acc[q]);
        }
    }
#pragma GCC unroll 16
    for (int q = 0; q < np; q++)
        _mm512_storeu_ps(out + (ox + q) * m + c0, fc_pwdw_act(acc[q], &s->act, NULL));
}

/* One pixel with its window's columns checked: the row's ends. */
__attribute__((target("avx512f"))) static void edge(const fc_stem *s, const window_rows *wr, int64_t ox, float *out)
{
    const int64_t m = s->m;
    for (int64_t c0 = 0; c0 < m; c0 += 16) {
        __m512 acc = _mm512_load_ps(s->b + c0);
        for (int k = 0; k < wr->n; k++)
            for (int dx = 0; dx < 3; dx++) {
                const int64_t ix = 2 * ox - 1 + dx;
                if (ix >= 0 && ix < s->w)
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(wr->src[k][ix]), _mm512_load_ps(wr->wt[k] + dx * m + c0),
                                          acc);
            }
        _mm512_storeu_ps(out + ox * m + c0, fc_pwdw_act(acc, &s->act, NULL));
    }
}

/* The interior pixels first .. last, 16 at a time, then one by one. */
__attribute__((target("avx512f"))) static void interior(const fc_stem *s, const window_rows *wr, int64_t first,
                                                        int64_t last, float *out)
{
    for (int64_t c0 = 0; c0 < s->m; c0 += 16) {
        int64_t ox = first;
        for (; ox + 16 <= last + 1; ox += 16)
            tile(s, wr, ox, c0, out, 16);
        for (; ox <= last; ox++)
            tile(s, wr, ox, c0, out, 1);
    }
}

void fc_stem_row(const fc_stem *s, const float *img, int64_t oy, float *out)
{
    /* the window's rows inside the image (2 oy - 1 .. 2 oy + 1) */
    window_rows wr = {.n = 0};
    for (int64_t ci = 0; ci < s->c; ci++)
        for (int dy = 0; dy < 3; dy++) {
            const int64_t iy = 2 * oy - 1 + dy;
            if (iy < 0 || iy >= s->h)
                continue;
            wr.src[wr.n] = img + (ci * s->h + iy) * s->w;
            wr.wt[wr.n++] = s->wt + (ci * 9 + dy * 3) * s->m;
        }
    /* interior: 2 ox - 1 >= 0 and 2 ox + 1 <= w - 1 */
    const int64_t first = 1, last = (s->w - 2) / 2;
    for (int64_t ox = 0; ox < s->ow; ox = ox < first && last >= first ? last + 1 : ox + 1)
        edge(s, &wr, ox, out);
    if (last >= first)
        interior(s, &wr, first, last, out);
}
