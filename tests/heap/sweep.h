/* sweep.h - out of memory at every step (hook.h): an operation runs with its 1st, 2nd,
 * 3rd ... allocation failing, until a run has no such allocation. */
#ifndef FC_TESTS_HEAP_SWEEP_H
#define FC_TESTS_HEAP_SWEEP_H

#include "core/status.h"

/* One operation: 1 when it succeeded, 0 when it failed with err set. It must free
 * whatever it allocated either way. */
typedef int (*fc_heap_op)(const void *user, fc_error *err);

/* Called by an operation whose result is wrong although nothing said it failed (a
 * parser that, with an allocation failing, reads a truncated listing as complete):
 * the sweep then fails, naming the failed allocation. printf-style; returns 0, so an
 * operation may return it. */
int fc_heap_wrong(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs op once uncounted (what libraries set up once), once counted (it must succeed
 * and free all it allocated), then with each of its allocations failing in turn: every
 * run must end without a leaked block, without fc_heap_wrong called and, when it
 * fails, with a message. Returns
 * FC_TEST_PASS, FC_TEST_FAIL (after reporting) or FC_TEST_SKIP when malloc is not
 * hooked (AddressSanitizer). FC_HEAP_VERBOSE=1 prints the allocation count. */
int fc_heap_sweep(const char *what, fc_heap_op op, const void *user);

#endif
