/* test_nn_newpool.c - the program's operator new and delete (src/nn/newpool.h),
 * called by their ABI names: blocks come from the entered pool and go back to it,
 * large or surplus requests and requests outside a pool go to malloc, delete works
 * from another thread, and a pool freed while a block is out lives until that block
 * comes back. AddressSanitizer and valgrind bring their own operator new: skipped. */
#include "test.h"

#include "nn/newpool.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define SKIP_UNLESS_OURS()                                                               \
    do {                                                                                 \
        if (!fc_newpool_enabled())                                                       \
            SKIP("operator new is not newpool.c's here (AddressSanitizer or valgrind)"); \
    } while (0)

TEST(nn_newpool_serves_new_from_the_entered_pool)
{
    SKIP_UNLESS_OURS();
    fc_newpool *p = fc_newpool_new();
    CHECK(p != NULL);
    fc_newpool *outer = fc_newpool_enter(p);
    unsigned char *a = _Znwm(40), *b = _Znam(FC_NEWPOOL_BLOCK), *c = _Znwm(0);
    CHECK(a && b && c && a != b && b != c && a != c);
    CHECK_MSG(fc_newpool_in_use(p) == 3, "%d blocks in use", fc_newpool_in_use(p));
    CHECK((uintptr_t)a % 16 == 0 && (uintptr_t)b % 16 == 0);
    memset(a, 0xab, 40);
    memset(b, 0xcd, FC_NEWPOOL_BLOCK); /* the whole block is the caller's */
    CHECK(a[39] == 0xab);
    _ZdlPv(a);
    _ZdaPvm(b, FC_NEWPOOL_BLOCK);
    _ZdlPvm(c, 0);
    _ZdlPv(NULL);
    CHECK(fc_newpool_in_use(p) == 0);
    CHECK(fc_newpool_misses(p) == 0);
    fc_newpool_leave(outer);
    fc_newpool_free(p);
    return FC_TEST_PASS;
}

TEST(nn_newpool_sends_large_surplus_and_outside_requests_to_malloc)
{
    SKIP_UNLESS_OURS();
    fc_newpool *p = fc_newpool_new();
    CHECK(p != NULL);
    void *before = _Znwm(16); /* no pool entered */
    fc_newpool *outer = fc_newpool_enter(p);
    void *big = _Znwm(FC_NEWPOOL_BLOCK + 1);
    CHECK(big != NULL && fc_newpool_in_use(p) == 0 && fc_newpool_misses(p) == 1);
    void *blocks[FC_NEWPOOL_BLOCKS + 2];
    for (int i = 0; i < FC_NEWPOOL_BLOCKS + 2; i++) {
        blocks[i] = _ZnwmRKSt9nothrow_t(8, NULL);
        CHECK(blocks[i] != NULL);
    }
    CHECK_MSG(fc_newpool_in_use(p) == FC_NEWPOOL_BLOCKS && fc_newpool_misses(p) == 3,
              "%d in use, %llu misses", fc_newpool_in_use(p),
              (unsigned long long)fc_newpool_misses(p));
    for (int i = 0; i < FC_NEWPOOL_BLOCKS + 2; i++)
        _ZdlPvRKSt9nothrow_t(blocks[i], NULL);
    CHECK(fc_newpool_in_use(p) == 0);
    _ZdlPv(big);
    fc_newpool_leave(outer);
    void *after = _Znwm(16);
    CHECK(fc_newpool_in_use(p) == 0 && fc_newpool_misses(p) == 3);
    CHECK(_ZnamRKSt9nothrow_t(SIZE_MAX - 8, NULL) == NULL); /* cannot be had: NULL, no throw */
    _ZdlPv(before);
    _ZdlPv(after);
    fc_newpool_free(p);
    return FC_TEST_PASS;
}

static void *delete_it(void *q)
{
    _ZdlPv(q);
    return NULL;
}

TEST(nn_newpool_takes_blocks_back_from_other_threads)
{
    SKIP_UNLESS_OURS();
    fc_newpool *p = fc_newpool_new();
    CHECK(p != NULL);
    fc_newpool *outer = fc_newpool_enter(p);
    void *q = _Znwm(24);
    fc_newpool_leave(outer);
    CHECK(fc_newpool_in_use(p) == 1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, delete_it, q) == 0);
    pthread_join(t, NULL);
    CHECK(fc_newpool_in_use(p) == 0);
    fc_newpool_free(p);
    return FC_TEST_PASS;
}

TEST(nn_newpool_freed_with_a_block_out_goes_with_that_block)
{
    SKIP_UNLESS_OURS();
    fc_newpool *p = fc_newpool_new();
    CHECK(p != NULL);
    fc_newpool *outer = fc_newpool_enter(p);
    unsigned char *q = _Znwm(32);
    fc_newpool_leave(outer);
    fc_newpool_free(p); /* the context went; q is still someone's */
    memset(q, 1, 32);   /* still valid memory */
    _ZdlPv(q);          /* frees the pool: valgrind would see a leak or a bad read */
    fc_newpool_free(NULL);
    return FC_TEST_PASS;
}
