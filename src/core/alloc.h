/* alloc.h - aligned allocation with a process-wide counter, so tests can prove
 * that a hot path (an inference run) allocates nothing. */
#ifndef FC_CORE_ALLOC_H
#define FC_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define FC_ALIGN 64

/* 64-byte aligned, zero-filled block of n bytes (n may be 0); NULL on failure.
 * Free with fc_aligned_free. */
void *fc_aligned_alloc(size_t n);
void fc_aligned_free(void *p);

/* Number of fc_aligned_alloc calls so far in this process. */
uint64_t fc_alloc_count(void);

/* a*b into *out; returns 0, or -1 if it overflows or either is negative. */
int fc_mul_overflow(int64_t a, int64_t b, int64_t *out);

/* Rounds n up to a multiple of FC_ALIGN. */
static inline size_t fc_align_up(size_t n) { return (n + FC_ALIGN - 1) & ~(size_t)(FC_ALIGN - 1); }

#endif
