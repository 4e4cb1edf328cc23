/* alloc.c - aligned allocation and overflow-checked size arithmetic. */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t n_allocs;

void *fc_aligned_alloc(size_t n)
{
    size_t rounded = fc_align_up(n ? n : 1);
    if (rounded < n)
        return NULL;
    void *p = aligned_alloc(FC_ALIGN, rounded);
    if (!p)
        return NULL;
    memset(p, 0, rounded);
    atomic_fetch_add(&n_allocs, 1);
    return p;
}

void fc_aligned_free(void *p) { free(p); }

uint64_t fc_alloc_count(void) { return atomic_load(&n_allocs); }

int fc_mul_overflow(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}
