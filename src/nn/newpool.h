/* newpool.h - C++ operator new served from a context's pool while it runs, so that
 * an inference run takes nothing from the heap.
 *
 * oneDNN 2.6's C API builds a std::unordered_map of the arguments inside every
 * dnnl_primitive_execute (a node per argument, a bucket array) and frees it before
 * returning: 300-500 heap allocations per run of a default model. newpool.c defines
 * the program's C++ operator new and delete (replaceable, [new.delete] in the C++
 * standard; the Itanium ABI names are below). While a thread is inside
 * fc_newpool_enter/leave, a request of up to FC_NEWPOOL_BLOCK bytes takes a block of
 * that thread's pool, made with the context; anything else goes to malloc, as
 * libstdc++'s own operator new does. Built with AddressSanitizer, which serves
 * operator new itself, none of this is compiled: fc_newpool_new returns NULL. Under
 * valgrind, whose operator new replaces ours, contexts make no pool. */
#ifndef FC_NN_NEWPOOL_H
#define FC_NN_NEWPOOL_H

#include <stddef.h>
#include <stdint.h>

enum {
    FC_NEWPOOL_BLOCK = 240, /* bytes a pooled request may ask for */
    FC_NEWPOOL_BLOCKS = 64, /* blocks per pool: 16 KB */
};

typedef struct fc_newpool fc_newpool;

/* 1 when operator new is ours; 0 in AddressSanitizer builds and under valgrind,
 * whose own operator new replaces ours. */
int fc_newpool_enabled(void);

/* A pool of FC_NEWPOOL_BLOCKS blocks; NULL when out of memory or not enabled. Free
 * with fc_newpool_free. */
fc_newpool *fc_newpool_new(void);

/* Frees p (NULL: nothing). Blocks still out stay valid: the pool goes with the last. */
void fc_newpool_free(fc_newpool *p);

/* From now on this thread's operator new takes from p (NULL: from malloc). Returns
 * the pool it replaced, for fc_newpool_leave. */
fc_newpool *fc_newpool_enter(fc_newpool *p);
void fc_newpool_leave(fc_newpool *previous);

/* Blocks of p now in use, and requests made while p was entered that went to malloc
 * (too large, or the pool empty) since p was made. */
int fc_newpool_in_use(fc_newpool *p);
uint64_t fc_newpool_misses(fc_newpool *p);

/* The operators newpool.c defines, by their Itanium C++ ABI names: new and new[],
 * their nothrow forms (the second argument is std::nothrow, unused), and delete and
 * delete[] with their sized and nothrow forms. The aligned forms (C++17
 * std::align_val_t) stay libstdc++'s: they pair with each other only. */
void *_Znwm(size_t n);
void *_Znam(size_t n);
void *_ZnwmRKSt9nothrow_t(size_t n, const void *nothrow);
void *_ZnamRKSt9nothrow_t(size_t n, const void *nothrow);
void _ZdlPv(void *q);
void _ZdaPv(void *q);
void _ZdlPvm(void *q, size_t n);
void _ZdaPvm(void *q, size_t n);
void _ZdlPvRKSt9nothrow_t(void *q, const void *nothrow);
void _ZdaPvRKSt9nothrow_t(void *q, const void *nothrow);

#endif
