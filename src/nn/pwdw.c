/* pwdw.c - the fused 1x1 -> depthwise 3x3 (-> 2x2 max pool) kernel (see pwdw.h).
 *
 * A thread owns a band of output rows. For each two depthwise output rows (at
 * stride 1; one at stride 2) it makes sure the four (three) 1x1 rows under their
 * windows are in the ring (computing the missing ones from the input), computes the
 * depthwise rows, and either stores them or, with the pool, stores their 2x2 maxima.
 * A band's first rows recompute the 1x1 rows its neighbour band also computed (two
 * rows per band), which is the whole cost of running on several threads. */
#include "nn/pwdw.h"

#include "core/alloc.h"
#include "nn/fast.h"
#include "nn/pwdw_act.h"
#include "nn/stem.h"

#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* The depthwise rows dw_rows makes at once (even: the pool takes pairs; 3 and 4 were
 * measured no faster than 2), and the 1x1 rows a thread keeps for them. */
enum { DW_ROWS = 2, RING_ROWS = DW_ROWS + 2 };

/* A depthwise 3x3 (pads 1) over rows of w pixels of c channels (a multiple of 16):
 * the block's own, or the one before the 1x1 (pre). */
typedef struct {
    int64_t c, w, dwid, stride;
    float *wt;                 /* [9][c], folded */
    float *b;                  /* [c], folded */
    float *slope;              /* [c] for PRELU, else NULL */
    fc_act act;
} dw_stage;

struct fc_pwdw {
    int64_t n, h, w, cin;      /* input shape */
    int64_t c;                 /* channels of the 1x1 and depthwise, rounded up to 16:
                                * the rows inside the kernel; the extra channels have
                                * zero weights and are never stored */
    int64_t c_out;             /* the real channel count, the output's */
    int64_t dh, dwid;          /* depthwise output */
    int64_t oh, ow;            /* block output (pooled or not) */
    int stride, threads;
    fc_pwdw_pool pool;
    float *pw_w;               /* [cin][c], folded */
    float *pw_b;               /* [c], folded */
    float *pw_slope;           /* [c] for PRELU */
    fc_act pw_act;
    dw_stage dw;               /* the block's depthwise (c channels) */
    int has_pre;               /* a depthwise before the 1x1, on the input (cin, a
                                * multiple of 16; stride 1) */
    dw_stage pre;
    fc_stem *stem;             /* or the first convolution on the image before the 1x1
                                * (then x is that image, NCHW) */
    float *scratch;            /* per thread: see band() */
    size_t per_thread;         /* floats */
};

int fc_pwdw_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

/* PRelu slopes, c_out of them, padded with zeros to c. */
static float *copy_slope(const fc_act *a, int64_t c_out, int64_t c)
{
    if (a->kind != FC_ACT_PRELU)
        return NULL;
    float *s = fc_aligned_alloc((size_t)c * sizeof *s);
    if (s) {
        memset(s, 0, (size_t)c * sizeof *s);
        memcpy(s, a->slope, (size_t)c_out * sizeof *s);
    }
    return s;
}

/* A depthwise stage of conv cv (c_out channels, rounded up to c) over rows of w
 * pixels: folded weights [9][c] and bias, zeros for the extra channels. 0 when out
 * of memory. */
static int stage_init(dw_stage *d, const fc_pwdw_conv *cv, int64_t c_out, int64_t c, int64_t w, int stride)
{
    *d = (dw_stage){.c = c, .w = w, .dwid = (w - 1) / stride + 1, .stride = stride, .act = cv->act};
    float *tmp = malloc((size_t)(9 * c_out) * sizeof *tmp);
    d->wt = fc_aligned_alloc((size_t)(9 * c) * sizeof(float));
    d->b = fc_aligned_alloc((size_t)c * sizeof(float));
    d->slope = copy_slope(&cv->act, c_out, c);
    if (!tmp || !d->wt || !d->b || (cv->act.kind == FC_ACT_PRELU && !d->slope)) {
        free(tmp);
        return 0;
    }
    memset(d->wt, 0, (size_t)(9 * c) * sizeof(float));
    memset(d->b, 0, (size_t)c * sizeof(float));
    fc_fold_conv(cv->w, cv->b, cv->bn, cv->bn_eps, tmp, d->b); /* [c_out][9], to [9][c] below */
    for (int64_t o = 0; o < c_out; o++)
        for (int t = 0; t < 9; t++)
            d->wt[t * c + o] = tmp[o * 9 + t];
    free(tmp);
    return 1;
}

static void stage_free(dw_stage *d)
{
    fc_aligned_free(d->wt);
    fc_aligned_free(d->b);
    fc_aligned_free(d->slope);
}

fc_pwdw *fc_pwdw_new(const fc_pwdw_conv *pre, const fc_pwdw_conv *pw, const fc_pwdw_conv *dw, int stride,
                     fc_pwdw_pool pool, int64_t n, int64_t h, int64_t w, int64_t cin, int threads, fc_error *err)
{
    const int64_t c_out = pw->w->shape.d[0], c = (c_out + 15) / 16 * 16;
    if ((stride != 1 && stride != 2) || h < 1 || w < 1 || cin < 1 || n < 1 || c_out < 1 ||
        (pre && (cin % 16 || pre->w->shape.d[0] != cin))) {
        fc_error_set(err, FC_ERR_UNSUPPORTED, "pw+dw kernel: stride %d, %lld input channels", stride,
                     (long long)cin);
        return NULL;
    }
    fc_pwdw *k = calloc(1, sizeof *k);
    if (!k) {
        fc_error_set(err, FC_ERR_NOMEM, "pw+dw kernel");
        return NULL;
    }
    *k = (fc_pwdw){.n = n, .h = h, .w = w, .cin = cin, .c = c, .c_out = c_out, .stride = stride, .pool = pool,
                   .threads = threads > 0 ? threads : 1, .pw_act = pw->act, .has_pre = pre != NULL};
    k->dh = (h - 1) / stride + 1; /* pads 1, kernel 3 */
    k->dwid = (w - 1) / stride + 1;
    k->oh = pool ? k->dh / 2 : k->dh; /* the pooled rows */
    k->ow = pool ? k->dwid / 2 : k->dwid;
    float *tmp = malloc((size_t)(c_out * cin) * sizeof *tmp);
    k->pw_w = fc_aligned_alloc((size_t)(cin * c) * sizeof(float));
    k->pw_b = fc_aligned_alloc((size_t)c * sizeof(float));
    k->pw_slope = copy_slope(&pw->act, c_out, c);
    /* the rows of band()'s rows_buf: the ring, DW_ROWS depthwise rows, a row of zeros (the
     * padding), an output row, and for pre or a stem their output row (a row of the
     * 1x1's input) */
    const int64_t wide = c > cin ? c : cin;
    k->per_thread = (size_t)((RING_ROWS + DW_ROWS + 1 + 1) * k->w * wide + k->w * cin) + 16;
    k->scratch = fc_aligned_alloc((size_t)k->threads * k->per_thread * sizeof(float));
    int ok = tmp && k->pw_w && k->pw_b && k->scratch && (pw->act.kind != FC_ACT_PRELU || k->pw_slope) &&
             stage_init(&k->dw, dw, c_out, c, w, stride) && (!pre || stage_init(&k->pre, pre, cin, cin, w, 1));
    if (!ok) {
        free(tmp);
        fc_pwdw_free(k);
        fc_error_set(err, FC_ERR_NOMEM, "pw+dw kernel");
        return NULL;
    }
    memset(k->scratch, 0, (size_t)k->threads * k->per_thread * sizeof(float));
    memset(k->pw_w, 0, (size_t)(cin * c) * sizeof(float)); /* the extra channels: zeros */
    memset(k->pw_b, 0, (size_t)c * sizeof(float));
    /* 1x1: [c][cin] -> [cin][c], so a pixel's input channel broadcasts over a row */
    fc_fold_conv(pw->w, pw->b, pw->bn, pw->bn_eps, tmp, k->pw_b);
    for (int64_t o = 0; o < c_out; o++)
        for (int64_t i = 0; i < cin; i++)
            k->pw_w[i * c + o] = tmp[o * cin + i];
    free(tmp);
    return k;
}

fc_status fc_pwdw_set_stem(fc_pwdw *k, fc_stem *stem, int64_t h, int64_t w, int64_t m, fc_error *err)
{
    if (k->has_pre || k->stem || h != k->h || w != k->w || m != k->cin) {
        fc_stem_free(stem);
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "pw+dw kernel: a stem of %lldx%lldx%lld before %lldx%lldx%lld",
                            (long long)h, (long long)w, (long long)m, (long long)k->h, (long long)k->w,
                            (long long)k->cin);
    }
    k->stem = stem;
    return FC_OK;
}

void fc_pwdw_free(fc_pwdw *k)
{
    if (!k)
        return;
    fc_aligned_free(k->pw_w);
    fc_aligned_free(k->pw_b);
    fc_aligned_free(k->pw_slope);
    stage_free(&k->dw);
    stage_free(&k->pre);
    fc_stem_free(k->stem);
    fc_aligned_free(k->scratch);
    free(k);
}

/* np pixels of the 1x1, output channels c0 .. c0 + 16 nb: each weight load serves
 * np pixels, the np x nb accumulators stay in registers (np and nb are constants
 * where this is inlined, so the loops over them unroll; np x nb <= 16, and >= 8 so
 * that the FMAs' latency is hidden). */
__attribute__((target("avx512f"), always_inline)) static inline void
pw_tile(const fc_pwdw *k, const float *p, float *out, int64_t c0, const int np, const int nb)
{
    const int64_t c = k->c, cin = k->cin;
    __m512 acc[8][4];
#pragma GCC unroll 8
    for (int q = 0; q < np; q++)
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            acc[q][j] = _mm512_loadu_ps(k->pw_b + c0 + 16 * j);
    const float *wr = k->pw_w + c0;
    for (int64_t i = 0; i < cin; i++, wr += c) {
        __m512 wv[4];
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            wv[j] = _mm512_loadu_ps(wr + 16 * j);
#pragma GCC unroll 8
        for (int q = 0; q < np; q++) {
            __m512 xq = _mm512_set1_ps(p[q * cin + i]);
            if (nb > 1) /* one broadcast for the nb FMAs; with one, folded into it (16
                         * channels: 0.76 -> 0.62 ms for YuNet's 16 at 320x240) */
                __asm__("" : "+v"(xq));
#pragma GCC unroll 4
            for (int j = 0; j < nb; j++)
                acc[q][j] = _mm512_fmadd_ps(xq, wv[j], acc[q][j]);
        }
    }
#pragma GCC unroll 8
    for (int q = 0; q < np; q++)
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            _mm512_storeu_ps(out + q * c + c0 + 16 * j,
                             fc_pwdw_act(acc[q][j], &k->pw_act, fc_pwdw_slope_at(k->pw_slope, c0 + 16 * j)));
}

/* One pixel of the 1x1, output channels c0 .. c0 + 16 nb (nb <= 4). */
__attribute__((target("avx512f"))) static void pw_px1(const fc_pwdw *k, const float *p, float *out,
                                                      int64_t c0, int nb)
{
    const int64_t c = k->c;
    for (int j = 0; j < nb; j++) {
        __m512 acc = _mm512_loadu_ps(k->pw_b + c0 + 16 * j);
        for (int64_t i = 0; i < k->cin; i++)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(p[i]), _mm512_loadu_ps(k->pw_w + i * c + c0 + 16 * j), acc);
        _mm512_storeu_ps(out + c0 + 16 * j, fc_pwdw_act(acc, &k->pw_act, fc_pwdw_slope_at(k->pw_slope, c0 + 16 * j)));
    }
}

/* One row of the 1x1: out[x][c] for the w pixels of in[x][cin]. */
__attribute__((target("avx512f"))) static void pw_row(const fc_pwdw *k, const float *in, float *out)
{
    const int64_t c = k->c, cin = k->cin, w = k->w;
    for (int64_t c0 = 0; c0 < c; c0 += 64) {
        const int nb = (int)((c - c0) / 16 < 4 ? (c - c0) / 16 : 4);
        const int np = nb <= 2 ? 8 : 4;
        int64_t x = 0;
        for (; x + np <= w; x += np) {
            const float *p = in + x * cin;
            float *o = out + x * c;
            switch (nb) {
            case 4: pw_tile(k, p, o, c0, 4, 4); break;
            case 3: pw_tile(k, p, o, c0, 4, 3); break;
            case 2: pw_tile(k, p, o, c0, 8, 2); break;
            default: pw_tile(k, p, o, c0, 8, 1); break;
            }
        }
        for (; x < w; x++)
            pw_px1(k, in + x * cin, out + x * c, c0, nb);
    }
}

/* One depthwise output pixel ox, channels c0 .. c0 + 15, the taps inside the row
 * checked (the row's ends). */
__attribute__((target("avx512f"))) static inline __m512 dw_edge(const dw_stage *k, const float *const rows[3],
                                                                int64_t ox, int64_t c0)
{
    const int64_t c = k->c, ix0 = ox * k->stride - 1;
    __m512 acc = _mm512_loadu_ps(k->b + c0);
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++) {
            int64_t ix = ix0 + dx;
            if (ix >= 0 && ix < k->w)
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(rows[dy] + ix * c + c0),
                                      _mm512_loadu_ps(k->wt + (dy * 3 + dx) * c + c0), acc);
        }
    return acc;
}

/* The interior of a depthwise output row, pixels first .. last (every tap inside the
 * row), for c channels and stride st: constants where this is inlined, so the taps'
 * offsets are immediates and the row pointers stay in registers. */
__attribute__((target("avx512f"), always_inline)) static inline void
dw_interior(const dw_stage *k, const float *const rows[3], float *out, int64_t first, int64_t last,
            const int64_t c, const int64_t st)
{
    const fc_act a = k->act;
    /* pixels outer, channel blocks inner: the rows are read in order (with the
     * blocks outer, each pass strode over them 4 lines at a time, and at 64 channels
     * the depthwise ran at a third of the FMA peak); the 9 weights of a block come
     * from L1 */
    int64_t ox = first;
    for (; ox + 4 <= last + 1; ox += 4) {
        const int64_t base = (ox * st - 1) * c;
        for (int64_t c0 = 0; c0 < c; c0 += 16) {
            const float *wp = k->wt + c0, *sl = fc_pwdw_slope_at(k->slope, c0);
            const __m512 bias = _mm512_loadu_ps(k->b + c0);
            const float *r0 = rows[0] + base + c0, *r1 = rows[1] + base + c0, *r2 = rows[2] + base + c0;
            __m512 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            /* each input column is loaded once for the taps of the four pixels */
#define FC_ROW(r, t)                                                                   \
    do {                                                                               \
        const __m512 wa = _mm512_loadu_ps(wp + (t) * c), wb = _mm512_loadu_ps(wp + ((t) + 1) * c), \
                     wc = _mm512_loadu_ps(wp + ((t) + 2) * c);                         \
        __m512 col[9];                                                                 \
        _Pragma("GCC unroll 9") for (int q = 0; q < 9; q++) col[q] =                   \
            q <= 3 * st + 2 ? _mm512_loadu_ps((r) + q * c) : _mm512_setzero_ps();      \
        a0 = _mm512_fmadd_ps(col[0], wa, a0);                                          \
        a0 = _mm512_fmadd_ps(col[1], wb, a0);                                          \
        a0 = _mm512_fmadd_ps(col[2], wc, a0);                                          \
        a1 = _mm512_fmadd_ps(col[st], wa, a1);                                         \
        a1 = _mm512_fmadd_ps(col[st + 1], wb, a1);                                     \
        a1 = _mm512_fmadd_ps(col[st + 2], wc, a1);                                     \
        a2 = _mm512_fmadd_ps(col[2 * st], wa, a2);                                     \
        a2 = _mm512_fmadd_ps(col[2 * st + 1], wb, a2);                                 \
        a2 = _mm512_fmadd_ps(col[2 * st + 2], wc, a2);                                 \
        a3 = _mm512_fmadd_ps(col[3 * st], wa, a3);                                     \
        a3 = _mm512_fmadd_ps(col[3 * st + 1], wb, a3);                                 \
        a3 = _mm512_fmadd_ps(col[3 * st + 2], wc, a3);                                 \
    } while (0)
            FC_ROW(r0, 0);
            FC_ROW(r1, 3);
            FC_ROW(r2, 6);
#undef FC_ROW
            float *o = out + ox * c + c0;
            _mm512_storeu_ps(o, fc_pwdw_act(a0, &a, sl));
            _mm512_storeu_ps(o + c, fc_pwdw_act(a1, &a, sl));
            _mm512_storeu_ps(o + 2 * c, fc_pwdw_act(a2, &a, sl));
            _mm512_storeu_ps(o + 3 * c, fc_pwdw_act(a3, &a, sl));
        }
    }
    for (; ox <= last; ox++) /* the last pixels, one at a time */
        for (int64_t c0 = 0; c0 < c; c0 += 16) {
            const float *wp = k->wt + c0;
            __m512 a0 = _mm512_loadu_ps(k->b + c0);
            for (int dy = 0; dy < 3; dy++) {
                const float *r = rows[dy] + (ox * st - 1) * c + c0;
                for (int dx = 0; dx < 3; dx++)
                    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r + dx * c), _mm512_loadu_ps(wp + (dy * 3 + dx) * c), a0);
            }
            _mm512_storeu_ps(out + ox * c + c0, fc_pwdw_act(a0, &a, fc_pwdw_slope_at(k->slope, c0)));
        }
}

/* The pixels of a depthwise output row that are not interior (first .. last): its
 * ends, or all of it when the row is too short to have an interior. */
__attribute__((target("avx512f"))) static void dw_edges(const dw_stage *k, const float *const rows[3], float *out,
                                                        int64_t first, int64_t last)
{
    for (int64_t ox = 0; ox < k->dwid; ox = ox < first && last >= first ? last + 1 : ox + 1)
        for (int64_t c0 = 0; c0 < k->c; c0 += 16)
            _mm512_storeu_ps(out + ox * k->c + c0,
                             fc_pwdw_act(dw_edge(k, rows, ox, c0), &k->act, fc_pwdw_slope_at(k->slope, c0)));
}

/* One depthwise output row from the 1x1 rows above, at and below it (rows of zeros
 * stand for the padding). */
__attribute__((target("avx512f"))) static void dw_row(const dw_stage *k, const float *const rows[3],
                                                      float *out)
{
    const int64_t c = k->c, s = k->stride;
    const int64_t first = 1, last = (k->w - 2) / s; /* ox * s + 1 <= w - 1 */
    dw_edges(k, rows, out, first, last);
    if (last < first)
        return;
#define FC_DW_CASE(cc, ss)                                     \
    if (c == (cc) && s == (ss)) {                              \
        dw_interior(k, rows, out, first, last, (cc), (ss));    \
        return;                                                \
    }
    FC_DW_CASE(16, 1) FC_DW_CASE(32, 1) FC_DW_CASE(48, 1) FC_DW_CASE(64, 1) FC_DW_CASE(80, 1) FC_DW_CASE(128, 1)
    FC_DW_CASE(16, 2) FC_DW_CASE(32, 2) FC_DW_CASE(48, 2) FC_DW_CASE(64, 2) FC_DW_CASE(80, 2) FC_DW_CASE(128, 2)
#undef FC_DW_CASE
    dw_interior(k, rows, out, first, last, c, s);
}

/* The interiors of DW_ROWS consecutive depthwise output rows (stride 1) from the
 * DW_ROWS + 2 1x1 rows above the first to below the last: each input column loaded
 * serves the taps of every output row it falls in. One row at a time (dw_row) loads
 * every column three times and runs 4 FMA chains; here there are fewer loads per
 * output and 4 x DW_ROWS chains (YuNet n at 480x640: 6.70 -> 6.32 ms, 1 thread).
 * Channels c: a constant where this is inlined. */
__attribute__((target("avx512f"), always_inline)) static inline void
dw_interior_rows(const dw_stage *k, const float *const rows[], float *const outs[], int64_t first, int64_t last,
                 const int64_t c)
{
    const fc_act a = k->act;
    int64_t ox = first;
    for (; ox + 4 <= last + 1; ox += 4) {
        const int64_t base = (ox - 1) * c;
        for (int64_t c0 = 0; c0 < c; c0 += 16) {
            const float *sl = fc_pwdw_slope_at(k->slope, c0);
            __m512 wt[9], acc[DW_ROWS][4]; /* acc[o][q]: output row o, pixel ox + q */
#pragma GCC unroll 9
            for (int t = 0; t < 9; t++)
                wt[t] = _mm512_loadu_ps(k->wt + t * c + c0);
#pragma GCC unroll 4
            for (int o = 0; o < DW_ROWS; o++)
#pragma GCC unroll 4
                for (int q = 0; q < 4; q++)
                    acc[o][q] = _mm512_loadu_ps(k->b + c0);
#pragma GCC unroll 6
            for (int r = 0; r < DW_ROWS + 2; r++) {
                const float *p = rows[r] + base + c0;
                __m512 col[6];
#pragma GCC unroll 6
                for (int q = 0; q < 6; q++)
                    col[q] = _mm512_loadu_ps(p + q * c);
#pragma GCC unroll 3
                for (int dx = 0; dx < 3; dx++)
#pragma GCC unroll 4
                    for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
                        for (int o = 0; o < DW_ROWS; o++)
                            if (r - o >= 0 && r - o <= 2)
                                acc[o][q] = _mm512_fmadd_ps(col[q + dx], wt[(r - o) * 3 + dx], acc[o][q]);
            }
#pragma GCC unroll 4
            for (int o = 0; o < DW_ROWS; o++)
#pragma GCC unroll 4
                for (int q = 0; q < 4; q++)
                    _mm512_storeu_ps(outs[o] + (ox + q) * c + c0, fc_pwdw_act(acc[o][q], &a, sl));
        }
    }
    if (ox <= last) /* the last pixels, row by row */
        for (int o = 0; o < DW_ROWS; o++)
            dw_interior(k, rows + o, outs[o], ox, last, c, 1);
}

/* DW_ROWS consecutive depthwise output rows (stride 1) from the 1x1 rows
 * rows[0 .. DW_ROWS + 1]. */
__attribute__((target("avx512f"))) static void dw_rows(const dw_stage *k, const float *const rows[],
                                                       float *const outs[])
{
    const int64_t c = k->c, first = 1, last = k->w - 2;
    for (int o = 0; o < DW_ROWS; o++)
        dw_edges(k, rows + o, outs[o], first, last);
    if (last < first)
        return;
#define FC_DWR_CASE(cc)                                        \
    if (c == (cc)) {                                           \
        dw_interior_rows(k, rows, outs, first, last, (cc));    \
        return;                                                \
    }
    FC_DWR_CASE(16) FC_DWR_CASE(32) FC_DWR_CASE(48) FC_DWR_CASE(64) FC_DWR_CASE(80) FC_DWR_CASE(128)
#undef FC_DWR_CASE
    dw_interior_rows(k, rows, outs, first, last, c);
}

__attribute__((target("avx512f"))) static void pool_row(const fc_pwdw *k, const float *a, const float *b,
                                                        float *out)
{
    const int64_t c = k->c;
    for (int64_t ox = 0; ox < k->ow; ox++)
        for (int64_t c0 = 0; c0 < c; c0 += 16) {
            const float *p = a + 2 * ox * c + c0, *q = b + 2 * ox * c + c0;
            __m512 m = _mm512_max_ps(_mm512_max_ps(_mm512_loadu_ps(p), _mm512_loadu_ps(p + c)),
                                     _mm512_max_ps(_mm512_loadu_ps(q), _mm512_loadu_ps(q + c)));
            _mm512_storeu_ps(out + ox * c + c0, m);
        }
}

/* n pixels of c channels (a kernel row) into the output's c_out. */
static void narrow(const fc_pwdw *k, const float *row, float *y, int64_t n)
{
    for (int64_t x = 0; x < n; x++)
        memcpy(y + x * k->c_out, row + x * k->c, (size_t)k->c_out * sizeof *y);
}

/* A thread's rows (see band()): rows of max(c, cin) channels. */
typedef struct {
    float *ring;             /* RING_ROWS rows of the 1x1 */
    float *dwbuf;            /* DW_ROWS depthwise rows: the pool's pairs, or rows to narrow */
    float *zeros;            /* a row of zeros: the padding */
    float *orow;             /* an output row, when the channels were rounded up */
    float *prerow;           /* the pre depthwise's row */
    int64_t held[RING_ROWS]; /* the 1x1 row in each ring slot, or -1 */
} rows_buf;

/* The 1x1 output row iy of image x (zeros outside the image), computed into its ring
 * slot unless it is there already. */
static const float *ring_row(const fc_pwdw *k, const float *x, int64_t iy, rows_buf *rb, int64_t rs)
{
    if (iy < 0 || iy >= k->h)
        return rb->zeros;
    const int64_t row_in = k->w * k->cin;
    const int slot = (int)(iy % RING_ROWS);
    float *out = rb->ring + slot * rs;
    if (rb->held[slot] != iy) {
        /* the 1x1's input row: x's own, or made from x (then x has another shape) */
        const float *in = rb->prerow;
        if (k->stem) { /* the stem's row iy of image x */
            fc_stem_row(k->stem, x, iy, rb->prerow);
        } else if (k->has_pre) { /* the pre depthwise of x's rows */
            const float *pre_rows[3];
            for (int q = 0; q < 3; q++)
                pre_rows[q] = iy - 1 + q < 0 || iy - 1 + q >= k->h ? rb->zeros : x + (iy - 1 + q) * row_in;
            dw_row(&k->pre, pre_rows, rb->prerow);
        } else {
            in = x + iy * row_in;
        }
        pw_row(k, in, out);
        rb->held[slot] = iy;
    }
    return out;
}

/* Depthwise row oy, made in row, as an output row of y when the kernel writes its
 * depthwise rows (no pool, or FC_PWDW_POOL_TOO); row may already be y's row. */
static void put_row(const fc_pwdw *k, const float *row, float *y, int64_t oy)
{
    float *yr = y + oy * k->dwid * k->c_out;
    if (k->pool != FC_PWDW_POOL && row != yr)
        narrow(k, row, yr, k->dwid);
}

/* The 2x2 maxima of depthwise rows a and b (rows oy - 1 and oy, oy odd) as pooled
 * row oy / 2 of yp. */
static void put_pool(const fc_pwdw *k, const float *a, const float *b, float *yp, int64_t oy, float *orow)
{
    float *pr = yp + (oy / 2) * k->ow * k->c_out;
    const int direct = k->c == k->c_out;
    pool_row(k, a, b, direct ? pr : orow);
    if (!direct)
        narrow(k, orow, pr, k->ow);
}

/* Depthwise rows [d0, d1) of image x: into y (no pool, FC_PWDW_POOL_TOO) and their
 * 2x2 maxima into yp (y itself with FC_PWDW_POOL; pairs, so d0 is then even). At
 * stride 1 they go DW_ROWS at a time (dw_rows) while that many are left, then one
 * at a time. */
static void band(const fc_pwdw *k, const float *x, float *y, float *yp, int64_t d0, int64_t d1, float *scratch)
{
    const int64_t rs = k->w * (k->c > k->cin ? k->c : k->cin), c = k->c, dwid = k->dwid;
    rows_buf rb = {.ring = scratch};
    for (int i = 0; i < RING_ROWS; i++)
        rb.held[i] = -1;
    rb.dwbuf = rb.ring + RING_ROWS * rs;
    rb.zeros = rb.dwbuf + DW_ROWS * rs;
    rb.orow = rb.zeros + rs;
    rb.prerow = rb.orow + rs;
    /* depthwise rows are made in place in y when they are its rows, with all its
     * channels; else in dwbuf, whence put_row and put_pool take them */
    const int in_y = k->c == k->c_out && k->pool != FC_PWDW_POOL;
    const float *rows[RING_ROWS];
    for (int64_t oy = d0; oy < d1;) {
        if (k->stride == 1 && oy + DW_ROWS <= d1) {
            for (int dy = 0; dy < RING_ROWS; dy++)
                rows[dy] = ring_row(k, x, oy - 1 + dy, &rb, rs);
            float *outs[DW_ROWS];
            for (int o = 0; o < DW_ROWS; o++)
                outs[o] = in_y ? y + (oy + o) * dwid * c : rb.dwbuf + o * dwid * c;
            dw_rows(&k->dw, rows, outs);
            for (int o = 0; o < DW_ROWS; o++) {
                put_row(k, outs[o], y, oy + o);
                if (k->pool && (oy + o) & 1)
                    put_pool(k, outs[o - 1], outs[o], yp, oy + o, rb.orow);
            }
            oy += DW_ROWS;
            continue;
        }
        for (int dy = 0; dy < 3; dy++)
            rows[dy] = ring_row(k, x, oy * k->stride - 1 + dy, &rb, rs);
        float *d = in_y ? y + oy * dwid * c : rb.dwbuf + (oy & 1) * dwid * c;
        dw_row(&k->dw, rows, d);
        put_row(k, d, y, oy);
        if (k->pool && oy & 1) /* the pair's first row is in y, or in the other dwbuf row */
            put_pool(k, in_y ? d - dwid * c : rb.dwbuf, d, yp, oy, rb.orow);
        oy++;
    }
}

void fc_pwdw_run(const fc_pwdw *k, const float *x, float *y, float *yp)
{
    /* the depthwise rows to make: all, or with the pool alone the pairs (a last odd
     * row is dropped, as the floor-mode pool does) */
    const int64_t rows = k->pool == FC_PWDW_POOL ? 2 * k->oh : k->dh;
    const int64_t in_img = k->stem ? fc_stem_image_size(k->stem) : k->h * k->w * k->cin,
                  dw_img = k->dh * k->dwid * k->c_out, pool_img = k->oh * k->ow * k->c_out;
    for (int64_t n = 0; n < k->n; n++) {
        const float *xn = x + n * in_img;
        float *yn = y + n * (k->pool == FC_PWDW_POOL ? pool_img : dw_img);
        float *ypn = k->pool == FC_PWDW_POOL ? yn : k->pool ? yp + n * pool_img : NULL;
        if (k->threads == 1) {
            band(k, xn, yn, ypn, 0, rows, k->scratch);
            continue;
        }
#pragma omp parallel num_threads(k->threads)
        {
            /* bands of whole pairs with a pool; the last takes an odd row left over */
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            int64_t unit = k->pool ? 2 : 1, units = rows / unit;
            int64_t a = units * t / nt * unit, b = t + 1 == nt ? rows : units * (t + 1) / nt * unit;
            if (a < b)
                band(k, xn, yn, ypn, a, b, k->scratch + (size_t)t * k->per_thread);
        }
    }
}
