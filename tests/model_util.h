/* model_util.h - ONNX model files in tests: the input shapes to bind a model's
 * dynamic dims to, and a walk over the .onnx files of a folder. */
#ifndef FC_TESTS_MODEL_UTIL_H
#define FC_TESTS_MODEL_UTIL_H

#include "nn/nn.h"

/* shapes[i] = input i's declared shape, with each dynamic dim bound: the first (the
 * batch) to 1, the others to side. Returns the number of inputs, or -1 (shapes
 * untouched) when the model has more than max. */
int fc_test_input_shapes(const fc_nn_model *m, int64_t side, fc_shape *shapes, int max);

/* Calls fn(path, file name, arg) for each .onnx file in dir, in readdir order, until
 * one returns other than FC_TEST_PASS; that result, else FC_TEST_PASS. *n counts the
 * files checked. A folder that cannot be opened has none. */
typedef int (*fc_test_model_fn)(const char *path, const char *name, void *arg);
int fc_test_each_model(const char *dir, fc_test_model_fn fn, void *arg, int *n);

#endif
