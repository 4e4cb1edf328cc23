/* fma_peak.c - this CPU's float32 multiply-add peak on one core: the rate no
 * convolution kernel can beat, to put `facecluster nn --bench`'s "G/s" next to.
 * Twelve independent chains of fused multiply-adds (enough to hide the latency on
 * two FMA ports) on the widest vectors the CPU has (AVX-512, else AVX2+FMA, chosen
 * at run time); the best of 5 rounds of 0.2 G multiply-adds each.
 *
 *   cc -O2 bench/fma_peak.c -o build/fma_peak && build/fma_peak
 *
 * Prints one line: fma_peak_gmacs=<G multiply-adds per second> isa=<avx512|avx2>.
 * FMA_PEAK_ISA=avx2 takes the AVX2 path on an AVX-512 CPU. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
#define ROUNDS 5
#define MACS_PER_ROUND 200000000L

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Twelve named accumulators (an array may be kept in memory; with mul and add they
 * fit AVX2's 16 registers); the empty asm makes the compiler keep every chain, and
 * costs no instruction. */
#define CHAIN_STEP(fma, a)     \
    do {                       \
        a = fma(a, mul, add);  \
        __asm__("" : "+v"(a)); \
    } while (0)
#define ALL_CHAINS(fma)                                                                  \
    do {                                                                                 \
        CHAIN_STEP(fma, a0); CHAIN_STEP(fma, a1); CHAIN_STEP(fma, a2); CHAIN_STEP(fma, a3);     \
        CHAIN_STEP(fma, a4); CHAIN_STEP(fma, a5); CHAIN_STEP(fma, a6); CHAIN_STEP(fma, a7);     \
        CHAIN_STEP(fma, a8); CHAIN_STEP(fma, a9); CHAIN_STEP(fma, a10); CHAIN_STEP(fma, a11);   \
    } while (0)

/* One round of iters x CHAINS vector FMAs; returns a checksum so nothing is dropped. */
__attribute__((target("avx512f"))) static float round512(long iters)
{
    __m512 mul = _mm512_set1_ps(0.999f), add = _mm512_set1_ps(0.001f);
    __m512 a0 = add, a1 = add, a2 = add, a3 = add, a4 = add, a5 = add, a6 = add, a7 = add,
           a8 = add, a9 = add, a10 = add, a11 = add;
    for (long k = 0; k < iters; k++)
        ALL_CHAINS(_mm512_fmadd_ps);
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float round256(long iters)
{
    __m256 mul = _mm256_set1_ps(0.999f), add = _mm256_set1_ps(0.001f);
    __m256 a0 = add, a1 = add, a2 = add, a3 = add, a4 = add, a5 = add, a6 = add, a7 = add,
           a8 = add, a9 = add, a10 = add, a11 = add;
    for (long k = 0; k < iters; k++)
        ALL_CHAINS(_mm256_fmadd_ps);
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float lanes[8], sum = 0;
    _mm256_storeu_ps(lanes, s);
    for (int l = 0; l < 8; l++)
        sum += lanes[l];
    return sum;
}

int main(void)
{
    __builtin_cpu_init();
    const char *isa = getenv("FMA_PEAK_ISA"); /* "avx2": the narrower path (to test it) */
    int wide = __builtin_cpu_supports("avx512f") && !(isa && strcmp(isa, "avx2") == 0);
    if (!wide && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        fprintf(stderr, "fma_peak: this CPU has neither AVX-512 nor AVX2+FMA\n");
        return 1;
    }
    int width = wide ? 16 : 8;
    long iters = MACS_PER_ROUND / (CHAINS * width);
    double best = 0;
    float check = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t = now();
        check += wide ? round512(iters) : round256(iters);
        t = now() - t;
        double rate = (double)iters * CHAINS * width / t / 1e9;
        if (rate > best)
            best = rate;
    }
    if (check != check) /* never: keeps the sums alive */
        return 1;
    printf("fma_peak_gmacs=%.1f isa=%s\n", best, wide ? "avx512" : "avx2");
    return 0;
}
