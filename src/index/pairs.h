/* pairs.h - deduplicating and ordering the pairs a range self-join emits. */
#ifndef FC_INDEX_PAIRS_H
#define FC_INDEX_PAIRS_H

#include <stdint.h>

#include "core/status.h"
#include "index/index.h"

/* Sorts p[0..*n) (every a < b < n_points) by descending score, then a, then b, dropping
 * repeats of one (a, b) (keeping the highest score). O(n + n_points) time, radix
 * sorts; *n shrinks to the distinct count. */
fc_status fc_pairs_sort(fc_index_pair *p, int64_t *n, int64_t n_points, fc_error *err);

#endif
