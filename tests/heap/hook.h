/* hook.h - the heap tests' allocator hook (hook.c). build/heap_tests replaces malloc,
 * calloc, realloc, free and the aligned allocators with thin wrappers around glibc's,
 * so every heap allocation of the process passes through here: ours, libc's own
 * (strdup, fopen), libstdc++'s operator new (oneDNN), libgomp's. The wrappers count
 * allocations, can make one fail on purpose, and count a thread's live blocks.
 * Under AddressSanitizer (`make asan test`) the hook is left out, since ASan must own
 * the heap; fc_heap_hooked() is then 0 and the tests skip. */
#ifndef FC_TESTS_HEAP_HOOK_H
#define FC_TESTS_HEAP_HOOK_H

#include <stdint.h>

/* 1 when malloc & co. are replaced (not under ASan). */
int fc_heap_hooked(void);

/* Allocations (malloc, calloc, realloc of a block, aligned) by every thread so far. */
uint64_t fc_heap_allocs(void);

/* While on, each allocation of any thread is also checked for a oneDNN (libdnnl)
 * frame on its stack; fc_heap_allocs_outside_onednn() counts those without one. */
void fc_heap_attribute(int on);
uint64_t fc_heap_allocs_outside_onednn(void);

/* This thread's k-th next allocation (k >= 1) returns NULL; 0 disarms. A child
 * process forked meanwhile inherits the countdown: its own k-th allocation, counting
 * this thread's before the fork, fails too. */
void fc_heap_fail_nth(long k);
/* Whether the armed allocation has failed since fc_heap_fail_nth, here or in a child
 * forked since. */
int fc_heap_failure_happened(void);

/* Starts counting this thread's blocks: +1 per allocation, -1 per free of a non-NULL
 * pointer (from 0); fc_heap_live() reads it. A sequence that frees all it allocated
 * ends at 0. */
void fc_heap_track(int on);
long long fc_heap_live(void);

#endif
