/* sweep.c - out of memory at every step (sweep.h). */
#include "heap/sweep.h"

#include "heap/hook.h"
#include "test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char wrong[256]; /* fc_heap_wrong's text during one run */

int fc_heap_wrong(const char *fmt, ...)
{
    if (wrong[0])
        return 0; /* the first one says most */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wrong, sizeof wrong, fmt, ap);
    va_end(ap);
    return 0;
}

int fc_heap_sweep(const char *what, fc_heap_op op, const void *user)
{
    if (!fc_heap_hooked())
        return fc_test_skip("malloc is not hooked in this build (AddressSanitizer owns the heap)");
    fc_error err = {0};
    /* once so that what libraries set up once is not counted, then counted */
    wrong[0] = '\0';
    if (!op(user, &err) || wrong[0])
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", what, wrong[0] ? wrong : err.msg);
    fc_heap_track(1);
    int done = op(user, &err);
    long long left = fc_heap_live();
    fc_heap_track(0);
    if (!done || left || wrong[0])
        return fc_test_fail(__FILE__, __LINE__, "%s: %s, %lld blocks left", what,
                            wrong[0] ? wrong : done ? "done" : err.msg, left);
    for (long k = 1;; k++) {
        memset(&err, 0, sizeof err);
        wrong[0] = '\0';
        fc_heap_track(1);
        fc_heap_fail_nth(k);
        int ok = op(user, &err);
        int failed = fc_heap_failure_happened();
        fc_heap_fail_nth(0);
        long long live = fc_heap_live();
        fc_heap_track(0);
        if (!failed) {
            if (getenv("FC_HEAP_VERBOSE"))
                fprintf(stderr, "%s: %ld allocations, each failed once\n", what, k - 1);
            return k > 1 ? FC_TEST_PASS
                         : fc_test_fail(__FILE__, __LINE__, "%s allocates nothing", what);
        }
        if (live)
            return fc_test_fail(__FILE__, __LINE__,
                                "%s with allocation %ld failing (%s) leaves %lld blocks", what,
                                k, ok ? "succeeded" : err.msg, live);
        if (wrong[0])
            return fc_test_fail(__FILE__, __LINE__, "%s with allocation %ld failing: %s", what,
                                k, wrong);
        if (!ok && !err.msg[0])
            return fc_test_fail(__FILE__, __LINE__, "%s with allocation %ld failing: no message",
                                what, k);
    }
}
