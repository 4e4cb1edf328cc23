/* hook.c - malloc & co. for build/heap_tests (see hook.h). glibc supports replacing
 * its allocator this way ("Replacing malloc" in its manual): the wrappers below are
 * found first, and they hand every request to glibc's own allocator (__libc_*), so
 * blocks from either side can be freed by the other. */
#define _GNU_SOURCE
#include "heap/hook.h"

#if defined(__SANITIZE_ADDRESS__)

int fc_heap_hooked(void) { return 0; }
uint64_t fc_heap_allocs(void) { return 0; }
void fc_heap_attribute(int on) { (void)on; }
uint64_t fc_heap_allocs_outside_onednn(void) { return 0; }
void fc_heap_fail_nth(long k) { (void)k; }
int fc_heap_failure_happened(void) { return 0; }
void fc_heap_track(int on) { (void)on; }
long long fc_heap_live(void) { return 0; }

#else

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static atomic_ullong allocs, outside_onednn;
static atomic_int attributing;
static _Thread_local int in_hook;      /* the hook's own backtrace() allocating */
static _Thread_local long fail_in;     /* allocations until the armed one; 0: none */
static _Thread_local int failed;
/* Set when an armed allocation fails in a child forked after fc_heap_fail_nth (a
 * decoder run in a child process, image/isolate.c): the child inherits the countdown,
 * and its failure is seen here through memory both processes share. */
static volatile int *failed_shared;
static _Thread_local int tracking;
static _Thread_local long long live;

static int onednn_on_stack(void)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    for (int i = 0; i < n; i++) {
        Dl_info d;
        if (dladdr(frames[i], &d) && d.dli_fname && strstr(d.dli_fname, "libdnnl"))
            return 1;
    }
    return 0;
}

/* Counts an allocation request; 0 when it is the one that must fail. */
static int admit(void)
{
    if (in_hook)
        return 1;
    atomic_fetch_add(&allocs, 1);
    if (atomic_load(&attributing)) {
        in_hook = 1;
        if (!onednn_on_stack())
            atomic_fetch_add(&outside_onednn, 1);
        in_hook = 0;
    }
    if (fail_in > 0 && --fail_in == 0) {
        failed = 1;
        if (failed_shared)
            *failed_shared = 1;
        return 0;
    }
    return 1;
}

static void *born(void *p)
{
    if (p && tracking && !in_hook)
        live++;
    return p;
}

void *malloc(size_t n)
{
    if (!admit()) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_malloc(n));
}

void *calloc(size_t n, size_t size)
{
    if (!admit()) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_calloc(n, size));
}

void free(void *p)
{
    if (p && tracking && !in_hook)
        live--;
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) { /* glibc: frees p and returns NULL */
        free(p);
        return NULL;
    }
    if (!admit()) {
        errno = ENOMEM;
        return NULL; /* p stays valid, as after a real failure */
    }
    return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
    if (!admit()) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n)
{
    if (!admit())
        return ENOMEM;
    void *p = born(__libc_memalign(align, n));
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

int fc_heap_hooked(void) { return 1; }
uint64_t fc_heap_allocs(void) { return atomic_load(&allocs); }
uint64_t fc_heap_allocs_outside_onednn(void) { return atomic_load(&outside_onednn); }

void fc_heap_attribute(int on)
{
    if (on) { /* backtrace() loads libgcc_s on its first call: do that here */
        void *f[2];
        in_hook = 1;
        backtrace(f, 2);
        in_hook = 0;
        atomic_store(&outside_onednn, 0);
    }
    atomic_store(&attributing, on);
}

void fc_heap_fail_nth(long k)
{
    if (!failed_shared) {
        void *p = mmap(NULL, sizeof *failed_shared, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        failed_shared = p == MAP_FAILED ? NULL : p;
    }
    fail_in = k > 0 ? k : 0;
    failed = 0;
    if (failed_shared)
        *failed_shared = 0;
}

int fc_heap_failure_happened(void) { return failed || (failed_shared && *failed_shared); }

void fc_heap_track(int on)
{
    tracking = on;
    live = 0;
}

long long fc_heap_live(void) { return live; }

#endif
