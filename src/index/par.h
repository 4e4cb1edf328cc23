/* par.h - a parallel for-loop over [0, n) on pthreads, handing out chunks in order from
 * an atomic counter. Work items must write only their own outputs, so results do not
 * depend on the thread count. */
#ifndef FC_INDEX_PAR_H
#define FC_INDEX_PAR_H

#include <stdint.h>

#include "core/status.h"

/* Runs fn(ctx, begin, end, worker) over chunks covering [0, n); worker is in
 * [0, n_threads) and identifies per-thread scratch. n_threads <= 1 runs inline. */
typedef void (*fc_par_fn)(void *ctx, int64_t begin, int64_t end, int worker);
fc_status fc_par_for(int n_threads, int64_t n, int64_t chunk, fc_par_fn fn, void *ctx,
                     fc_error *err);

#endif
