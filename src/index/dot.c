/* dot.c - dot-product kernels: scalar reference, AVX2+FMA and AVX-512F, selected at run
 * time with __builtin_cpu_supports and built with function-level target attributes
 * (no special compiler flags). Block kernels compute a 4x4 (AVX-512) or 2x4 (AVX2) tile
 * of dot products per pass so each loaded vector chunk feeds several accumulators. */
#include "index/dot.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- scalar reference ---- */

static float dot_scalar(const float *a, const float *b, int dim)
{
    float s = 0;
    for (int k = 0; k < dim; k++)
        s += a[k] * b[k];
    return s;
}

static void block_scalar(const float *q, size_t q_stride, int nq, const float *x,
                         size_t x_stride, int nx, int dim, float *out, size_t out_stride)
{
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < nx; j++)
            out[(size_t)i * out_stride + (size_t)j] =
                dot_scalar(q + (size_t)i * q_stride, x + (size_t)j * x_stride, dim);
}

/* ---- AVX2 + FMA ---- */

__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b,
                                                          int dim)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int k = 0;
    for (; k + 16 <= dim; k += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8), s1);
    }
    for (; k + 8 <= dim; k += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), s0);
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; k < dim; k++)
        s += a[k] * b[k];
    return s;
}

/* One query row against 4 rows of x: out[0..3]. */
__attribute__((target("avx2,fma"))) static void row1x4_avx2(const float *q, const float *x,
                                                            size_t xs, int dim, float *out)
{
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    for (; k + 8 <= dim; k += 8) {
        __m256 qv = _mm256_loadu_ps(q + k);
        a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(x0 + k), a0);
        a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(x1 + k), a1);
        a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(x2 + k), a2);
        a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(x3 + k), a3);
    }
    float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
    for (; k < dim; k++) {
        s0 += q[k] * x0[k];
        s1 += q[k] * x1[k];
        s2 += q[k] * x2[k];
        s3 += q[k] * x3[k];
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

/* Two query rows against 4 rows of x: out rows 0 and 1 (stride os), columns 0..3. */
__attribute__((target("avx2,fma"))) static void tile2x4_avx2(const float *q, size_t qs,
                                                             const float *x, size_t xs,
                                                             int dim, float *out, size_t os)
{
    const float *q0 = q, *q1 = q + qs;
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
    __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    int k = 0;
    for (; k + 8 <= dim; k += 8) {
        __m256 v0 = _mm256_loadu_ps(q0 + k), v1 = _mm256_loadu_ps(q1 + k), xv;
        xv = _mm256_loadu_ps(x0 + k);
        a00 = _mm256_fmadd_ps(v0, xv, a00), a10 = _mm256_fmadd_ps(v1, xv, a10);
        xv = _mm256_loadu_ps(x1 + k);
        a01 = _mm256_fmadd_ps(v0, xv, a01), a11 = _mm256_fmadd_ps(v1, xv, a11);
        xv = _mm256_loadu_ps(x2 + k);
        a02 = _mm256_fmadd_ps(v0, xv, a02), a12 = _mm256_fmadd_ps(v1, xv, a12);
        xv = _mm256_loadu_ps(x3 + k);
        a03 = _mm256_fmadd_ps(v0, xv, a03), a13 = _mm256_fmadd_ps(v1, xv, a13);
    }
    float r[2][4] = {{hsum256(a00), hsum256(a01), hsum256(a02), hsum256(a03)},
                     {hsum256(a10), hsum256(a11), hsum256(a12), hsum256(a13)}};
    for (; k < dim; k++)
        for (int j = 0; j < 4; j++) {
            r[0][j] += q0[k] * x[(size_t)j * xs + (size_t)k];
            r[1][j] += q1[k] * x[(size_t)j * xs + (size_t)k];
        }
    memcpy(out, r[0], sizeof r[0]);
    memcpy(out + os, r[1], sizeof r[1]);
}

__attribute__((target("avx2,fma"))) static void block_avx2(const float *q, size_t q_stride,
                                                           int nq, const float *x,
                                                           size_t x_stride, int nx, int dim,
                                                           float *out, size_t out_stride)
{
    int nx4 = nx & ~3;
    int i = 0;
    for (; i + 2 <= nq; i += 2) {
        const float *qi = q + (size_t)i * q_stride;
        float *oi = out + (size_t)i * out_stride;
        for (int j = 0; j < nx4; j += 4)
            tile2x4_avx2(qi, q_stride, x + (size_t)j * x_stride, x_stride, dim, oi + j,
                         out_stride);
        for (int j = nx4; j < nx; j++) {
            oi[j] = dot_avx2(qi, x + (size_t)j * x_stride, dim);
            oi[out_stride + (size_t)j] = dot_avx2(qi + q_stride, x + (size_t)j * x_stride, dim);
        }
    }
    for (; i < nq; i++) {
        const float *qi = q + (size_t)i * q_stride;
        float *oi = out + (size_t)i * out_stride;
        for (int j = 0; j < nx4; j += 4)
            row1x4_avx2(qi, x + (size_t)j * x_stride, x_stride, dim, oi + j);
        for (int j = nx4; j < nx; j++)
            oi[j] = dot_avx2(qi, x + (size_t)j * x_stride, dim);
    }
}

/* ---- AVX-512F ---- */

__attribute__((target("avx512f"))) static float dot_avx512(const float *a, const float *b,
                                                           int dim)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int k = 0;
    for (; k + 32 <= dim; k += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(b + k + 16), s1);
    }
    for (; k + 16 <= dim; k += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), s0);
    if (k < dim) {
        __mmask16 m = (__mmask16)((1u << (dim - k)) - 1);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k),
                             s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

/* n query rows (1..4) against 4 rows of x; 4 accumulators per query row. */
#define FC_FMA4(a0, a1, a2, a3, qv)                                                     \
    do {                                                                                \
        a0 = _mm512_fmadd_ps(qv, x0v, a0);                                              \
        a1 = _mm512_fmadd_ps(qv, x1v, a1);                                              \
        a2 = _mm512_fmadd_ps(qv, x2v, a2);                                              \
        a3 = _mm512_fmadd_ps(qv, x3v, a3);                                              \
    } while (0)

__attribute__((target("avx512f"))) static void tile4x4_avx512(const float *q, size_t qs,
                                                              const float *x, size_t xs,
                                                              int dim, float *out, size_t os)
{
    const float *q0 = q, *q1 = q + qs, *q2 = q + 2 * qs, *q3 = q + 3 * qs;
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
    __m512 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    __m512 a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int k = 0; k < dim; k += 16) {
        __mmask16 m = dim - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (dim - k)) - 1);
        __m512 x0v = _mm512_maskz_loadu_ps(m, x0 + k), x1v = _mm512_maskz_loadu_ps(m, x1 + k);
        __m512 x2v = _mm512_maskz_loadu_ps(m, x2 + k), x3v = _mm512_maskz_loadu_ps(m, x3 + k);
        __m512 v = _mm512_maskz_loadu_ps(m, q0 + k);
        FC_FMA4(a00, a01, a02, a03, v);
        v = _mm512_maskz_loadu_ps(m, q1 + k);
        FC_FMA4(a10, a11, a12, a13, v);
        v = _mm512_maskz_loadu_ps(m, q2 + k);
        FC_FMA4(a20, a21, a22, a23, v);
        v = _mm512_maskz_loadu_ps(m, q3 + k);
        FC_FMA4(a30, a31, a32, a33, v);
    }
    float *o = out;
    o[0] = _mm512_reduce_add_ps(a00), o[1] = _mm512_reduce_add_ps(a01);
    o[2] = _mm512_reduce_add_ps(a02), o[3] = _mm512_reduce_add_ps(a03);
    o += os;
    o[0] = _mm512_reduce_add_ps(a10), o[1] = _mm512_reduce_add_ps(a11);
    o[2] = _mm512_reduce_add_ps(a12), o[3] = _mm512_reduce_add_ps(a13);
    o += os;
    o[0] = _mm512_reduce_add_ps(a20), o[1] = _mm512_reduce_add_ps(a21);
    o[2] = _mm512_reduce_add_ps(a22), o[3] = _mm512_reduce_add_ps(a23);
    o += os;
    o[0] = _mm512_reduce_add_ps(a30), o[1] = _mm512_reduce_add_ps(a31);
    o[2] = _mm512_reduce_add_ps(a32), o[3] = _mm512_reduce_add_ps(a33);
}

__attribute__((target("avx512f"))) static void row1x4_avx512(const float *q, const float *x,
                                                             size_t xs, int dim, float *out)
{
    const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < dim; k += 16) {
        __mmask16 m = dim - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (dim - k)) - 1);
        __m512 x0v = _mm512_maskz_loadu_ps(m, x0 + k), x1v = _mm512_maskz_loadu_ps(m, x1 + k);
        __m512 x2v = _mm512_maskz_loadu_ps(m, x2 + k), x3v = _mm512_maskz_loadu_ps(m, x3 + k);
        __m512 v = _mm512_maskz_loadu_ps(m, q + k);
        FC_FMA4(a0, a1, a2, a3, v);
    }
    out[0] = _mm512_reduce_add_ps(a0), out[1] = _mm512_reduce_add_ps(a1);
    out[2] = _mm512_reduce_add_ps(a2), out[3] = _mm512_reduce_add_ps(a3);
}

__attribute__((target("avx512f"))) static void block_avx512(const float *q, size_t q_stride,
                                                            int nq, const float *x,
                                                            size_t x_stride, int nx, int dim,
                                                            float *out, size_t out_stride)
{
    int nx4 = nx & ~3;
    int i = 0;
    for (; i + 4 <= nq; i += 4) {
        const float *qi = q + (size_t)i * q_stride;
        float *oi = out + (size_t)i * out_stride;
        for (int j = 0; j < nx4; j += 4)
            tile4x4_avx512(qi, q_stride, x + (size_t)j * x_stride, x_stride, dim, oi + j,
                           out_stride);
        for (int r = 0; r < 4; r++)
            for (int j = nx4; j < nx; j++)
                oi[(size_t)r * out_stride + (size_t)j] =
                    dot_avx512(qi + (size_t)r * q_stride, x + (size_t)j * x_stride, dim);
    }
    for (; i < nq; i++) {
        const float *qi = q + (size_t)i * q_stride;
        float *oi = out + (size_t)i * out_stride;
        for (int j = 0; j < nx4; j += 4)
            row1x4_avx512(qi, x + (size_t)j * x_stride, x_stride, dim, oi + j);
        for (int j = nx4; j < nx; j++)
            oi[j] = dot_avx512(qi, x + (size_t)j * x_stride, dim);
    }
}

/* ---- int8 codes (HNSW navigation) ---- */

static int32_t dot_i8_scalar(const int8_t *a, const int8_t *b, int dim)
{
    int32_t s = 0;
    for (int k = 0; k < dim; k++)
        s += (int32_t)a[k] * (int32_t)b[k];
    return s;
}

__attribute__((target("avx2"))) static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b,
                                                           int dim)
{
    __m256i acc = _mm256_setzero_si256();
    for (int k = 0; k < dim; k += 16) {
        __m256i va = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(a + k)));
        __m256i vb = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(b + k)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx512f,avx512bw"))) static int32_t dot_i8_avx512(const int8_t *a,
                                                                         const int8_t *b,
                                                                         int dim)
{
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (int k = 0; k < dim; k += 64) {
        __m512i a0 = _mm512_cvtepi8_epi16(_mm256_load_si256((const __m256i *)(a + k)));
        __m512i b0 = _mm512_cvtepi8_epi16(_mm256_load_si256((const __m256i *)(b + k)));
        __m512i a1 = _mm512_cvtepi8_epi16(_mm256_load_si256((const __m256i *)(a + k + 32)));
        __m512i b1 = _mm512_cvtepi8_epi16(_mm256_load_si256((const __m256i *)(b + k + 32)));
        acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(a0, b0));
        acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(a1, b1));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}

/* VNNI: |a| (unsigned) times b with a's sign moved onto b, 64 bytes per vpdpbusd. Codes
 * are clamped to [-127, 127], so neither step overflows. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static int32_t
dot_i8_vnni(const int8_t *a, const int8_t *b, int dim)
{
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    const __m512i zero = _mm512_setzero_si512();
    int k = 0;
    for (; k + 128 <= dim; k += 128) {
        __m512i a0 = _mm512_load_si512(a + k), b0 = _mm512_load_si512(b + k);
        __m512i a1 = _mm512_load_si512(a + k + 64), b1 = _mm512_load_si512(b + k + 64);
        b0 = _mm512_mask_sub_epi8(b0, _mm512_movepi8_mask(a0), zero, b0);
        b1 = _mm512_mask_sub_epi8(b1, _mm512_movepi8_mask(a1), zero, b1);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_abs_epi8(a0), b0);
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_abs_epi8(a1), b1);
    }
    for (; k < dim; k += 64) {
        __m512i a0 = _mm512_load_si512(a + k), b0 = _mm512_load_si512(b + k);
        b0 = _mm512_mask_sub_epi8(b0, _mm512_movepi8_mask(a0), zero, b0);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_abs_epi8(a0), b0);
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}

/* ---- dispatch ---- */

static fc_simd_level best_level;
static pthread_once_t best_once = PTHREAD_ONCE_INIT;

int fc_simd_supported(fc_simd_level level)
{
    __builtin_cpu_init();
    switch (level) {
    case FC_SIMD_SCALAR:
        return 1;
    case FC_SIMD_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case FC_SIMD_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    default:
        return 0;
    }
}

static void pick_best(void)
{
    fc_simd_level cap = FC_SIMD_AVX512;
    const char *env = getenv("FC_SIMD");
    if (env && strcmp(env, "scalar") == 0)
        cap = FC_SIMD_SCALAR;
    else if (env && strcmp(env, "avx2") == 0)
        cap = FC_SIMD_AVX2;
    best_level = FC_SIMD_SCALAR;
    for (int l = FC_SIMD_AVX2; l <= (int)cap; l++)
        if (fc_simd_supported((fc_simd_level)l))
            best_level = (fc_simd_level)l;
}

fc_simd_level fc_simd_best(void)
{
    pthread_once(&best_once, pick_best);
    return best_level;
}

fc_dot_fn fc_dot_get(fc_simd_level level)
{
    static const fc_dot_fn table[FC_SIMD_COUNT] = {dot_scalar, dot_avx2, dot_avx512};
    return (unsigned)level < FC_SIMD_COUNT ? table[level] : dot_scalar;
}

fc_dot_block_fn fc_dot_block_get(fc_simd_level level)
{
    static const fc_dot_block_fn table[FC_SIMD_COUNT] = {block_scalar, block_avx2,
                                                         block_avx512};
    return (unsigned)level < FC_SIMD_COUNT ? table[level] : block_scalar;
}

static int has_vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && getenv("FC_NO_VNNI") == NULL;
}

fc_dot_i8_fn fc_dot_i8_get(fc_simd_level level)
{
    static const fc_dot_i8_fn table[FC_SIMD_COUNT] = {dot_i8_scalar, dot_i8_avx2,
                                                      dot_i8_avx512};
    if (level == FC_SIMD_AVX512 && has_vnni())
        return dot_i8_vnni;
    return (unsigned)level < FC_SIMD_COUNT ? table[level] : dot_i8_scalar;
}

int fc_dot_i8_variants(fc_dot_i8_fn *out)
{
    int n = 0;
    for (int l = 0; l < FC_SIMD_COUNT; l++)
        if (fc_simd_supported((fc_simd_level)l))
            out[n++] = fc_dot_i8_get((fc_simd_level)l) == dot_i8_vnni ? dot_i8_avx512
                                                                     : fc_dot_i8_get((fc_simd_level)l);
    if (fc_simd_supported(FC_SIMD_AVX512) && has_vnni())
        out[n++] = dot_i8_vnni;
    return n;
}
