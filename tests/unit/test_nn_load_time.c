/* test_nn_load_time.c - every face model is ready to run in < 300 ms: reading the file
 * plus the first context (shape inference, folding, fusion, oneDNN primitives and
 * weight reorders, the arena). Default models from models/, the rest from
 * ../shared/models when present. Sanitizer builds get 10x the time.
 *
 * Measured as process CPU time, not wall time: the machines that run the tests are
 * shared, and a busy neighbour stretches wall time at random. CPU time bounds the wall
 * time the same work takes on an idle machine from above (every thread's time counts,
 * including OpenMP workers that spin while they wait), so the check stays as strict.
 * Contexts here use one thread, so that no idle worker's spinning is counted. */
#include "test.h"

#include "model_util.h"
#include "nn/nn.h"

#include <valgrind/valgrind.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD_LIMIT_MS 300.0

#if defined(__SANITIZE_ADDRESS__)
#define LIMIT_SCALE 10.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIMIT_SCALE 10.0
#endif
#endif
#ifndef LIMIT_SCALE
#define LIMIT_SCALE 1.0
#endif

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Loads path and creates its first context (dynamic dims: batch 1, side x side);
 * the time taken in ms, or -1 with err set. */
static double load_and_plan(const char *path, int64_t side, fc_error *err)
{
    double t0 = now_ms();
    fc_nn_model *m = fc_nn_load(path, err);
    if (!m)
        return -1;
    fc_shape shapes[8];
    int n = fc_test_input_shapes(m, side, shapes, 8);
    fc_nn_ctx_opts opts = {.threads = 1}; /* so that CPU time is this thread's work */
    fc_nn_ctx *ctx = n >= 0 ? fc_nn_ctx_new_opts(m, shapes, &opts, err) : NULL;
    double ms = now_ms() - t0;
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return ctx ? ms : -1;
}

/* Checks that the model at path loads and plans in time (fc_test_model_fn). */
static int check_model(const char *path, const char *name, void *arg)
{
    (void)arg;
    fc_error err = {0};
    double ms = load_and_plan(path, 640, &err);
    if (ms < 0 && strstr(name, "320")) /* a 320 x 320 export with dynamic dims */
        ms = load_and_plan(path, 320, &err);
    if (ms < 0)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
    if (ms > LOAD_LIMIT_MS * LIMIT_SCALE)
        return fc_test_fail(__FILE__, __LINE__, "%s: load + first context took %.0f ms of CPU > %.0f ms",
                            name, ms, LOAD_LIMIT_MS * LIMIT_SCALE);
    printf("  %-52s %6.1f ms\n", name, ms);
    return FC_TEST_PASS;
}

TEST(nn_models_load_under_300ms)
{
    if (RUNNING_ON_VALGRIND)
        SKIP("a timing test: valgrind runs code 20-50x slower (make valgrind checks memory)");
    char dir[1024];
    int n = 0, rc;
    snprintf(dir, sizeof dir, "%s/models", fc_test_root());
    if ((rc = fc_test_each_model(dir, check_model, NULL, &n)) != FC_TEST_PASS)
        return rc;
    if (fc_test_shared()) {
        snprintf(dir, sizeof dir, "%s/models", fc_test_shared());
        if ((rc = fc_test_each_model(dir, check_model, NULL, &n)) != FC_TEST_PASS)
            return rc;
    }
    if (n == 0)
        SKIP("no models in models/ (scripts/setup fetches them)");
    return FC_TEST_PASS;
}
