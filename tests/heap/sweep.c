/* sweep.c - out of memory at every step (sweep.h). */
#include "heap/sweep.h"

#include "heap/hook.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_wrong; /* fc_heap_wrong calls in the current run (ops run on this thread) */

int fc_heap_wrong(fc_error *err, const char *what)
{
    n_wrong++;
    fc_error_set(err, FC_ERR_INTERNAL, "wrong answer: %s", what);
    return 0;
}

int fc_heap_sweep(const char *what, fc_heap_op op, const void *user)
{
    if (!fc_heap_hooked())
        return fc_test_skip("malloc is not hooked in this build (AddressSanitizer owns the heap)");
    fc_error err = {0};
    n_wrong = 0;
    /* once so that what libraries set up once is not counted, then counted */
    if (!op(user, &err))
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", what, err.msg);
    fc_heap_track(1);
    int done = op(user, &err);
    long long left = fc_heap_live();
    fc_heap_track(0);
    if (!done || left)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s, %lld blocks left", what,
                            done ? "done" : err.msg, left);
    for (long k = 1;; k++) {
        memset(&err, 0, sizeof err);
        n_wrong = 0;
        fc_heap_track(1);
        fc_heap_fail_nth(k);
        int ok = op(user, &err);
        int failed = fc_heap_failure_happened();
        fc_heap_fail_nth(0);
        long long live = fc_heap_live();
        fc_heap_track(0);
        if (n_wrong)
            return fc_test_fail(__FILE__, __LINE__, "%s with allocation %ld failing: %s", what, k,
                                err.msg);
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
        if (!ok && !err.msg[0])
            return fc_test_fail(__FILE__, __LINE__, "%s with allocation %ld failing: no message",
                                what, k);
    }
}
