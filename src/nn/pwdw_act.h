/* pwdw_act.h - a pwdw.h activation on 16 floats (AVX-512), for the fused kernel's
 * stages (pwdw.c, stem.c). */
#ifndef FC_NN_PWDW_ACT_H
#define FC_NN_PWDW_ACT_H

#include "nn/pwdw.h"

#include <immintrin.h>

/* act(v) for channels c0 .. c0 + 15; slope: PRelu's slopes from c0 on, else NULL. */
__attribute__((target("avx512f"), always_inline)) static inline __m512 fc_pwdw_act(__m512 v, const fc_act *a,
                                                                                   const float *slope)
{
    const __m512 zero = _mm512_setzero_ps();
    switch (a->kind) {
    case FC_ACT_NONE:
        return v;
    case FC_ACT_RELU:
        if (a->alpha == 0)
            return _mm512_max_ps(v, zero);
        return _mm512_fmadd_ps(_mm512_set1_ps(a->alpha), _mm512_min_ps(v, zero), _mm512_max_ps(v, zero));
    case FC_ACT_CLIP:
        return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(a->lo)), _mm512_set1_ps(a->hi));
    case FC_ACT_PRELU:
        return _mm512_fmadd_ps(_mm512_loadu_ps(slope), _mm512_min_ps(v, zero), _mm512_max_ps(v, zero));
    }
    return v;
}

/* The PRelu slopes from channel c0 on, or NULL without PRelu. */
static inline const float *fc_pwdw_slope_at(const float *slope, int64_t c0) { return slope ? slope + c0 : NULL; }

#endif
