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

#include "nn/nn.h"

#include <dirent.h>
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
    int n = fc_nn_n_inputs(m);
    for (int i = 0; i < n && i < 8; i++) {
        shapes[i] = fc_nn_input_info(m, i)->shape;
        for (int k = 0; k < shapes[i].ndim; k++)
            if (shapes[i].d[k] < 0)
                shapes[i].d[k] = k == 0 ? 1 : side;
    }
    fc_nn_ctx_opts opts = {.threads = 1}; /* so that CPU time is this thread's work */
    fc_nn_ctx *ctx = n <= 8 ? fc_nn_ctx_new_opts(m, shapes, &opts, err) : NULL;
    double ms = now_ms() - t0;
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return ctx ? ms : -1;
}

/* Checks every .onnx file in dir; *n_checked counts them. */
static int check_dir(const char *dir, int *n_checked)
{
    DIR *d = opendir(dir);
    if (!d)
        return FC_TEST_PASS;
    struct dirent *e;
    int rc = FC_TEST_PASS;
    while (rc == FC_TEST_PASS && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".onnx") != 0)
            continue;
        char path[2048];
        fc_error err = {0};
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        double ms = load_and_plan(path, 640, &err);
        if (ms < 0 && strstr(e->d_name, "320")) /* a 320 x 320 export with dynamic dims */
            ms = load_and_plan(path, 320, &err);
        if (ms < 0)
            rc = fc_test_fail(__FILE__, __LINE__, "%s: %s", e->d_name, err.msg);
        else if (ms > LOAD_LIMIT_MS * LIMIT_SCALE)
            rc = fc_test_fail(__FILE__, __LINE__, "%s: load + first context took %.0f ms of CPU > %.0f ms",
                              e->d_name, ms, LOAD_LIMIT_MS * LIMIT_SCALE);
        else
            printf("  %-52s %6.1f ms\n", e->d_name, ms);
        (*n_checked)++;
    }
    closedir(d);
    return rc;
}

TEST(nn_models_load_under_300ms)
{
    if (RUNNING_ON_VALGRIND)
        SKIP("a timing test: valgrind runs code 20-50x slower (make valgrind checks memory)");
    char dir[1024];
    int n = 0, rc;
    snprintf(dir, sizeof dir, "%s/models", fc_test_root());
    if ((rc = check_dir(dir, &n)) != FC_TEST_PASS)
        return rc;
    if (fc_test_shared()) {
        snprintf(dir, sizeof dir, "%s/models", fc_test_shared());
        if ((rc = check_dir(dir, &n)) != FC_TEST_PASS)
            return rc;
    }
    if (n == 0)
        SKIP("no models in models/ (scripts/setup fetches them)");
    return FC_TEST_PASS;
}
