/* onnx_build.h - builds small ONNX models in memory for executor tests, through
 * the same protobuf-c code the loader uses. Everything belongs to the builder and
 * is released by ob_free. Lists of names are comma-separated ("x,w,b"; an empty
 * entry is an omitted optional input: "x,,scales"). */
#ifndef FC_TESTS_ONNX_BUILD_H
#define FC_TESTS_ONNX_BUILD_H

#include "nn/nn.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ob_model ob_model;
typedef struct Onnx__NodeProto ob_node;

enum { OB_FLOAT = 1, OB_INT64 = 7 };

ob_model *ob_new(int64_t opset);
/* dims: -1 for a named dynamic dim */
void ob_input(ob_model *b, const char *name, int elem_type, int ndim, const int64_t *dims);
void ob_output(ob_model *b, const char *name);
void ob_init_f32(ob_model *b, const char *name, int ndim, const int64_t *dims, const float *data);
void ob_init_i64(ob_model *b, const char *name, int ndim, const int64_t *dims, const int64_t *data);
/* An initializer whose declared dims do not match its raw bytes (hostile files). */
void ob_init_raw(ob_model *b, const char *name, int ndim, const int64_t *dims, const void *raw,
                 size_t raw_len);
ob_node *ob_node_add(ob_model *b, const char *op, const char *inputs, const char *outputs);
void ob_attr_int(ob_model *b, ob_node *n, const char *name, int64_t v);
void ob_attr_float(ob_model *b, ob_node *n, const char *name, float v);
void ob_attr_ints(ob_model *b, ob_node *n, const char *name, int count, const int64_t *v);
void ob_attr_str(ob_model *b, ob_node *n, const char *name, const char *v);
/* Serialises the model; the buffer belongs to the builder. */
const uint8_t *ob_pack(ob_model *b, size_t *len);
/* Writes the serialised model to path; 0 on success. */
int ob_write(ob_model *b, const char *path);
void ob_free(ob_model *b);
/* Serialises b, loads it as a model (fc_nn_load_mem; NULL + err when it is refused),
 * and frees b. */
fc_nn_model *ob_load(ob_model *b, fc_error *err);

#endif
