/* model_util.c - ONNX model files in tests (see model_util.h). */
#include "model_util.h"

#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

int fc_test_input_shapes(const fc_nn_model *m, int64_t side, fc_shape *shapes, int max)
{
    int n = fc_nn_n_inputs(m);
    if (n > max)
        return -1;
    for (int i = 0; i < n; i++) {
        shapes[i] = fc_nn_input_info(m, i)->shape;
        for (int k = 0; k < shapes[i].ndim; k++)
            if (shapes[i].d[k] < 0)
                shapes[i].d[k] = k == 0 ? 1 : side;
    }
    return n;
}

int fc_test_each_model(const char *dir, fc_test_model_fn fn, void *arg, int *n)
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
        char path[4352];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = fn(path, e->d_name, arg);
        (*n)++;
    }
    closedir(d);
    return rc;
}
