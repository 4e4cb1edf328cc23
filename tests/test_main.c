/* test_main.c - runs the registered tests (all, or those whose name contains one of
 * the arguments) and ends with "N passed, N failed, N skipped". */
#include "test.h"
#include "store/mongo_shm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *file, *name;
    fc_test_fn fn;
} test_entry;

static test_entry *tests;
static int n_tests, cap_tests;
static char reason[1024];

void fc_test_register(const char *file, const char *name, fc_test_fn fn)
{
    if (n_tests == cap_tests) {
        cap_tests = cap_tests ? cap_tests * 2 : 64;
        tests = realloc(tests, (size_t)cap_tests * sizeof *tests);
        if (!tests)
            abort();
    }
    tests[n_tests++] = (test_entry){file, name, fn};
}

int fc_test_fail(const char *file, int line, const char *fmt, ...)
{
    int used = snprintf(reason, sizeof reason, "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    if (used > 0 && (size_t)used < sizeof reason)
        vsnprintf(reason + used, sizeof reason - (size_t)used, fmt, ap);
    va_end(ap);
    return FC_TEST_FAIL;
}

int fc_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return FC_TEST_SKIP;
}

const char *fc_test_root(void)
{
    const char *r = getenv("FC_ROOT");
    return r && *r ? r : ".";
}

const char *fc_test_shared(void)
{
    static char path[4096];
    struct stat st;
    const char *env = getenv("FC_SHARED");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/../shared", fc_test_root());
    char data[4200];
    snprintf(data, sizeof data, "%s/data", path);
    return stat(data, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

const char *fc_test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fc-test-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

static int by_file_then_order(const void *a, const void *b)
{
    const test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    return x < y ? -1 : x > y;
}

static int selected(const test_entry *t, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(t->name, argv[i]) || strstr(t->file, argv[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    fc_mongo_unlink_counters();
    setvbuf(stdout, NULL, _IOLBF, 0);
    qsort(tests, (size_t)n_tests, sizeof *tests, by_file_then_order);
    for (int i = 0; i < n_tests; i++) {
        if (!selected(&tests[i], argc, argv))
            continue;
        reason[0] = '\0';
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = tests[i].fn();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (r == FC_TEST_PASS) {
            passed++;
            printf("PASS %s (%.0f ms)\n", tests[i].name, ms);
        } else if (r == FC_TEST_SKIP) {
            skipped++;
            printf("SKIP %s: skipped: %s\n", tests[i].name, reason);
        } else {
            failed++;
            printf("FAIL %s: %s\n", tests[i].name, reason);
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    free(tests);
    return failed ? 1 : 0;
}
