/* silu.c - see silu.h. */
#include "nn/silu.h"

#include <immintrin.h>
#include <math.h>

/* Below this many elements one thread does it all (a parallel region costs more). */
enum { PARALLEL_MIN = 1 << 16 };

__attribute__((target("avx512f"), always_inline)) static inline __m512 silu16(__m512 x)
{
    /* e = exp(-x): -x = n ln2 + r, |r| <= ln2 / 2, exp(r) by its Taylor polynomial */
    __m512 t = _mm512_max_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(88.0f)),
                             _mm512_set1_ps(-88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), t);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512 d = _mm512_add_ps(_mm512_scalef_ps(p, n), _mm512_set1_ps(1.0f));
    /* 1 / d: rcp14 and one Newton step, r' = r (2 - d r) */
    __m512 q = _mm512_rcp14_ps(d);
    q = _mm512_mul_ps(q, _mm512_fnmadd_ps(d, q, _mm512_set1_ps(2.0f)));
    /* below -88 exp(-x) was clamped: SiLU is 0 there to 1e-36 (NaN stays NaN) */
    return _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-88.0f), _CMP_NLT_UQ), x, q);
}

__attribute__((target("avx512f"))) static void silu_avx512(float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(x + i, silu16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, silu16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

static void silu_part(float *x, int64_t n, int avx512)
{
    if (avx512) {
        silu_avx512(x, n);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] / (1.0f + expf(-x[i]));
}

void fc_silu_inplace(float *x, int64_t n, int threads)
{
    const int avx512 = __builtin_cpu_supports("avx512f");
    if (threads < 2 || n < PARALLEL_MIN) {
        silu_part(x, n, avx512);
        return;
    }
    const int64_t chunk = (n / threads + 15) / 16 * 16;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; t++) {
        int64_t lo = t * chunk, hi = lo + chunk < n ? lo + chunk : n;
        if (lo < hi)
            silu_part(x + lo, hi - lo, avx512);
    }
}
