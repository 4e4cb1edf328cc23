/* test_nn_silu.c - the SiLU kernel (silu.c) against x / (1 + expf(-x)). */
#include "test.h"

#include "nn/silu.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Every value of a sweep over [-100, 100], the extremes, +-0, NaN and a tail that is not a
 * whole vector, on 1 and 2 threads (2: a large array, split between them). */
TEST(nn_silu_matches_expf)
{
    const int64_t sizes[3] = {37, 4099, 200003};
    for (int k = 0; k < 3; k++) {
        int64_t n = sizes[k];
        float *x = malloc((size_t)n * sizeof *x), *want = malloc((size_t)n * sizeof *want);
        CHECK(x && want);
        for (int64_t i = 0; i < n; i++)
            x[i] = -100.0f + 200.0f * (float)i / (float)(n - 1);
        x[0] = -FLT_MAX, x[n - 1] = FLT_MAX, x[n / 2] = 0.0f, x[1] = -0.0f;
        for (int64_t i = 0; i < n; i++)
            want[i] = x[i] / (1.0f + expf(-x[i]));
        x[2] = NAN;
        fc_silu_inplace(x, n, k == 2 ? 2 : 1);
        CHECK_MSG(isnan(x[2]), "NaN in, %g out", (double)x[2]);
        x[2] = want[2] = 0;
        double worst = 0;
        int64_t at = 0;
        for (int64_t i = 0; i < n; i++) {
            /* relative, except where SiLU is within 1e-30 of 0 */
            double err = fabs((double)x[i] - want[i]);
            err = err < 1e-30 ? 0 : err / fmax(fabs((double)want[i]), 1e-30);
            if (err > worst)
                worst = err, at = i;
        }
        CHECK_MSG(worst < 1e-6, "n %lld: relative error %g at x[%lld] (got %g, want %g)", (long long)n, worst,
                  (long long)at, (double)x[at], (double)want[at]);
        free(x);
        free(want);
    }
    return FC_TEST_PASS;
}
