/* dot.h - dot-product kernels for the vector index: a scalar reference and AVX2/AVX-512
 * variants picked at run time, each as one vector pair and as a block of pairs. */
#ifndef FC_INDEX_DOT_H
#define FC_INDEX_DOT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_SIMD_SCALAR = 0,
    FC_SIMD_AVX2,   /* AVX2 + FMA */
    FC_SIMD_AVX512, /* AVX-512F */
    FC_SIMD_COUNT
} fc_simd_level;

/* a (dim) . b (dim) -> float */
typedef float (*fc_dot_fn)(const float *a, const float *b, int dim);

/* Scores of every query against every row:
 * Q (nq, dim) row stride q_stride, X (nx, dim) row stride x_stride
 *   -> out (nq, nx) with row stride out_stride: out[i][j] = Q[i] . X[j]. */
typedef void (*fc_dot_block_fn)(const float *q, size_t q_stride, int nq, const float *x,
                                size_t x_stride, int nx, int dim, float *out,
                                size_t out_stride);

/* int8 codes: a (dim) . b (dim) -> int32, exact. dim is a multiple of 64 and both rows
 * are 64-byte aligned (the HNSW graph pads its code rows). */
typedef int32_t (*fc_dot_i8_fn)(const int8_t *a, const int8_t *b, int dim);

/* The best level this CPU supports (checked once, then cached). FC_SIMD may cap it:
 * "scalar", "avx2" or "avx512". */
fc_simd_level fc_simd_best(void);

/* Whether this CPU can run level. */
int fc_simd_supported(fc_simd_level level);

/* Kernels of one level (the caller checks fc_simd_supported first). */
fc_dot_fn fc_dot_get(fc_simd_level level);
fc_dot_block_fn fc_dot_block_get(fc_simd_level level);
/* AVX512 here needs AVX-512BW, and uses VNNI when the CPU has it (FC_NO_VNNI=1: not). */
fc_dot_i8_fn fc_dot_i8_get(fc_simd_level level);
/* Every int8 kernel this CPU can run (scalar first), for tests: out[] of 4 or more. */
int fc_dot_i8_variants(fc_dot_i8_fn *out);

#endif
