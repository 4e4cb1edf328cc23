/* newpool.c - the program's C++ operator new and delete, and the pools they serve
 * runs from (see newpool.h for why). Every block handed out starts with a header
 * naming its pool (NULL: it came from malloc), so delete, from whichever thread,
 * knows where it goes back to. */
#include "nn/newpool.h"

#if defined(__SANITIZE_ADDRESS__)
#define FC_NEWPOOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_NEWPOOL_OFF 1
#endif
#endif

#ifdef FC_NEWPOOL_OFF

/* valgrind's memcheck replaces operator new by its name wherever it is defined */
int fc_newpool_enabled(void) { return 0; }
fc_newpool *fc_newpool_new(void) { return NULL; }
void fc_newpool_free(fc_newpool *p) { (void)p; }
fc_newpool *fc_newpool_enter(fc_newpool *p) { (void)p; return NULL; }
void fc_newpool_leave(fc_newpool *previous) { (void)previous; }
int fc_newpool_in_use(fc_newpool *p) { (void)p; return 0; }
uint64_t fc_newpool_misses(fc_newpool *p) { (void)p; return 0; }

#else

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <valgrind/valgrind.h>

typedef struct {
    alignas(16) fc_newpool *pool; /* NULL: malloc's; 16 bytes keep new's alignment */
} header;

typedef union slot {
    union slot *next; /* while free */
    unsigned char bytes[sizeof(header) + FC_NEWPOOL_BLOCK];
} slot;

_Static_assert(sizeof(header) == 16, "operator new must return 16-byte aligned memory");
_Static_assert(sizeof(slot) % 16 == 0, "slots must keep that alignment");

struct fc_newpool {
    atomic_flag lock; /* delete may come from another thread than the run's */
    slot *free_list;
    int in_use;
    int orphaned; /* fc_newpool_free came while blocks were out */
    uint64_t misses;
    slot slots[FC_NEWPOOL_BLOCKS];
};

static _Thread_local fc_newpool *current;

/* valgrind's memcheck replaces operator new by its name wherever it is defined */
int fc_newpool_enabled(void) { return !RUNNING_ON_VALGRIND; }

static void lock(fc_newpool *p)
{
    while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire))
        ;
}

static void unlock(fc_newpool *p) { atomic_flag_clear_explicit(&p->lock, memory_order_release); }

fc_newpool *fc_newpool_new(void)
{
    fc_newpool *p = aligned_alloc(16, sizeof *p);
    if (!p)
        return NULL;
    atomic_flag_clear(&p->lock);
    p->free_list = NULL;
    for (int i = FC_NEWPOOL_BLOCKS - 1; i >= 0; i--) {
        p->slots[i].next = p->free_list;
        p->free_list = &p->slots[i];
    }
    p->in_use = p->orphaned = 0;
    p->misses = 0;
    return p;
}

void fc_newpool_free(fc_newpool *p)
{
    if (!p)
        return;
    lock(p);
    int out = p->in_use;
    p->orphaned = 1;
    unlock(p);
    if (!out)
        free(p);
}

fc_newpool *fc_newpool_enter(fc_newpool *p)
{
    fc_newpool *previous = current;
    current = p;
    return previous;
}

void fc_newpool_leave(fc_newpool *previous) { current = previous; }

int fc_newpool_in_use(fc_newpool *p)
{
    lock(p);
    int n = p->in_use;
    unlock(p);
    return n;
}

uint64_t fc_newpool_misses(fc_newpool *p)
{
    lock(p);
    uint64_t n = p->misses;
    unlock(p);
    return n;
}

/* A block of this thread's pool for n bytes; NULL: use malloc. */
static header *take(size_t n)
{
    fc_newpool *p = current;
    if (!p)
        return NULL;
    lock(p);
    slot *s = n <= FC_NEWPOOL_BLOCK ? p->free_list : NULL;
    if (s) {
        p->free_list = s->next;
        p->in_use++;
    } else {
        p->misses++;
    }
    unlock(p);
    if (!s)
        return NULL;
    header *h = (header *)s;
    h->pool = p;
    return h;
}

static void give_back(fc_newpool *p, header *h)
{
    slot *s = (slot *)h;
    lock(p);
    s->next = p->free_list;
    p->free_list = s;
    int last = --p->in_use == 0 && p->orphaned;
    unlock(p);
    if (last)
        free(p);
}

static void *new_or_null(size_t n)
{
    header *h = take(n);
    if (!h) {
        if (n > SIZE_MAX - sizeof *h)
            return NULL;
        if (!(h = malloc(sizeof *h + n)))
            return NULL;
        h->pool = NULL;
    }
    return h + 1;
}

static void delete_any(void *q)
{
    if (!q)
        return;
    header *h = (header *)q - 1;
    if (h->pool)
        give_back(h->pool, h);
    else
        free(h);
}

/* libstdc++'s std::get_new_handler and the function that throws std::bad_alloc. */
typedef void (*new_handler)(void);
new_handler _ZSt15get_new_handlerv(void);
_Noreturn void _ZSt17__throw_bad_allocv(void);

/* [new.delete.single]: on failure call the new-handler until it succeeds, or throw
 * std::bad_alloc when there is none (C frames unwind: x86-64 has unwind tables). */
void *_Znwm(size_t n)
{
    for (;;) {
        void *q = new_or_null(n);
        if (q)
            return q;
        new_handler handler = _ZSt15get_new_handlerv();
        if (!handler)
            _ZSt17__throw_bad_allocv();
        handler();
    }
}

void *_Znam(size_t n) { return _Znwm(n); }

/* The nothrow forms return NULL instead of throwing (libstdc++ also asks the handler
 * first; a handler that throws would have to be caught here, which C cannot). */
void *_ZnwmRKSt9nothrow_t(size_t n, const void *nothrow)
{
    (void)nothrow;
    return new_or_null(n);
}

void *_ZnamRKSt9nothrow_t(size_t n, const void *nothrow)
{
    (void)nothrow;
    return new_or_null(n);
}

void _ZdlPv(void *q) { delete_any(q); }
void _ZdaPv(void *q) { delete_any(q); }
void _ZdlPvm(void *q, size_t n) { (void)n; delete_any(q); }
void _ZdaPvm(void *q, size_t n) { (void)n; delete_any(q); }
void _ZdlPvRKSt9nothrow_t(void *q, const void *nothrow) { (void)nothrow; delete_any(q); }
void _ZdaPvRKSt9nothrow_t(void *q, const void *nothrow) { (void)nothrow; delete_any(q); }

#endif
