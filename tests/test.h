/* test.h - a small test runner. A test is a function registered with TEST(name);
 * it returns FC_TEST_PASS, FC_TEST_FAIL or FC_TEST_SKIP. CHECK(...) fails the test
 * with file:line and the expression; SKIP("reason") skips it.
 *
 *   TEST(tensor_numel) {
 *       fc_shape s = fc_shape_make(2, (int64_t[]){2, 3});
 *       CHECK(fc_shape_numel(&s) == 6);
 *       return FC_TEST_PASS;
 *   }
 */
#ifndef FC_TESTS_TEST_H
#define FC_TESTS_TEST_H

#include <math.h>
#include <stdio.h>

enum { FC_TEST_PASS = 0, FC_TEST_FAIL = 1, FC_TEST_SKIP = 2 };

typedef int (*fc_test_fn)(void);

void fc_test_register(const char *file, const char *name, fc_test_fn fn);
/* Records why a test failed or was skipped (printf-style); returns FAIL or SKIP. */
int fc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fc_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Paths tests use: the repo root (FC_ROOT, default "."), the shared folder beside
 * it, and a fresh per-run temporary directory. */
const char *fc_test_root(void);
const char *fc_test_shared(void); /* NULL when ../shared/data is absent */
const char *fc_test_tmpdir(void);

#define TEST(name)                                                                      \
    static int name(void);                                                              \
    __attribute__((constructor)) static void fc_register_##name(void)                   \
    {                                                                                   \
        fc_test_register(__FILE__, #name, name);                                        \
    }                                                                                   \
    static int name(void)

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond))                                                                    \
            return fc_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);               \
    } while (0)

#define CHECK_MSG(cond, ...)                                                            \
    do {                                                                                \
        if (!(cond))                                                                    \
            return fc_test_fail(__FILE__, __LINE__, __VA_ARGS__);                      \
    } while (0)

/* Checks that a status expression is FC_OK, printing the fc_error message if not. */
#define CHECK_OK(expr, errp)                                                            \
    do {                                                                                \
        fc_status st_ = (expr);                                                         \
        if (st_ != FC_OK)                                                               \
            return fc_test_fail(__FILE__, __LINE__, "%s -> %s: %s", #expr,              \
                                fc_strerror(st_), (errp)->msg);                        \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                           \
    do {                                                                                \
        double a_ = (a), b_ = (b);                                                      \
        if (!(fabs(a_ - b_) <= (tol)))                                                  \
            return fc_test_fail(__FILE__, __LINE__, "%s = %.9g, %s = %.9g, tol %g", #a, \
                                a_, #b, b_, (double)(tol));                             \
    } while (0)

#define SKIP(...) return fc_test_skip(__VA_ARGS__)

#endif
