/* onnx_build.c - see onnx_build.h. Allocation failures abort: this is test code. */
#include "onnx_build.h"

#include "onnx.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ob_model {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    void **owned;
    size_t n_owned, cap_owned;
    uint8_t *packed;
};

static void *own(ob_model *b, void *p)
{
    if (!p)
        abort();
    if (b->n_owned == b->cap_owned) {
        b->cap_owned = b->cap_owned ? b->cap_owned * 2 : 64;
        b->owned = realloc(b->owned, b->cap_owned * sizeof *b->owned);
        if (!b->owned)
            abort();
    }
    b->owned[b->n_owned++] = p;
    return p;
}

static void *alloc(ob_model *b, size_t n) { return own(b, calloc(1, n ? n : 1)); }
static char *str(ob_model *b, const char *s) { return own(b, strdup(s)); }

/* Appends p to a (count, array) pair of pointers. */
#define PUSH(b, count, array, p)                                                        \
    do {                                                                                \
        void *grown_ = realloc((array), ((count) + 1) * sizeof *(array));               \
        if (!grown_)                                                                    \
            abort();                                                                    \
        (array) = grown_;                                                               \
        (array)[(count)++] = (p);                                                       \
    } while (0)

ob_model *ob_new(int64_t opset)
{
    ob_model *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opset.domain = "";
    b->opsets[0] = &b->opset;
    b->model.has_ir_version = 1;
    b->model.ir_version = 7;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.graph = &b->graph;
    b->graph.name = "test";
    return b;
}

static Onnx__ValueInfoProto *value_info(ob_model *b, const char *name, int elem_type, int ndim,
                                        const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = alloc(b, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = str(b, name);
    if (elem_type == 0)
        return vi;
    Onnx__TypeProto *tp = alloc(b, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = alloc(b, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = elem_type;
    Onnx__TensorShapeProto *sp = alloc(b, sizeof *sp);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)ndim;
    sp->dim = alloc(b, (size_t)ndim * sizeof *sp->dim);
    for (int i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = alloc(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = str(b, "dyn");
        }
        sp->dim[i] = d;
    }
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

void ob_input(ob_model *b, const char *name, int elem_type, int ndim, const int64_t *dims)
{
    PUSH(b, b->graph.n_input, b->graph.input, value_info(b, name, elem_type, ndim, dims));
}

void ob_output(ob_model *b, const char *name)
{
    PUSH(b, b->graph.n_output, b->graph.output, value_info(b, name, OB_FLOAT, 0, NULL));
}

static Onnx__TensorProto *tensor(ob_model *b, const char *name, int type, int ndim,
                                 const int64_t *dims, const void *raw, size_t raw_len)
{
    Onnx__TensorProto *t = alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = str(b, name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = (size_t)ndim;
    t->dims = alloc(b, (size_t)ndim * sizeof *t->dims);
    if (ndim > 0)
        memcpy(t->dims, dims, (size_t)ndim * sizeof *t->dims);
    t->has_raw_data = 1;
    t->raw_data.len = raw_len;
    t->raw_data.data = alloc(b, raw_len);
    if (raw_len > 0)
        memcpy(t->raw_data.data, raw, raw_len);
    PUSH(b, b->graph.n_initializer, b->graph.initializer, t);
    return t;
}

static size_t count(int ndim, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    return n;
}

void ob_init_f32(ob_model *b, const char *name, int ndim, const int64_t *dims, const float *data)
{
    tensor(b, name, OB_FLOAT, ndim, dims, data, count(ndim, dims) * sizeof(float));
}

void ob_init_i64(ob_model *b, const char *name, int ndim, const int64_t *dims, const int64_t *data)
{
    tensor(b, name, OB_INT64, ndim, dims, data, count(ndim, dims) * sizeof(int64_t));
}

void ob_init_raw(ob_model *b, const char *name, int ndim, const int64_t *dims, const void *raw,
                 size_t raw_len)
{
    tensor(b, name, OB_FLOAT, ndim, dims, raw, raw_len);
}

/* Splits "a,b,,c" into owned strings. */
static size_t split_names(ob_model *b, const char *list, char ***out)
{
    size_t n = 0;
    char **names = NULL;
    const char *p = list;
    while (*list) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *name = alloc(b, len + 1);
        memcpy(name, p, len);
        PUSH(b, n, names, name);
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = names ? own(b, names) : NULL;
    return n;
}

ob_node *ob_node_add(ob_model *b, const char *op, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = str(b, op);
    char name[64];
    snprintf(name, sizeof name, "%s_%zu", op, b->graph.n_node);
    n->name = str(b, name);
    n->n_input = split_names(b, inputs, &n->input);
    n->n_output = split_names(b, outputs, &n->output);
    PUSH(b, b->graph.n_node, b->graph.node, n);
    return n;
}

static Onnx__AttributeProto *attr(ob_model *b, ob_node *n, const char *name, int type)
{
    Onnx__AttributeProto *a = alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = str(b, name);
    a->has_type = 1;
    a->type = type;
    PUSH(b, n->n_attribute, n->attribute, a);
    return a;
}

void ob_attr_int(ob_model *b, ob_node *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void ob_attr_float(ob_model *b, ob_node *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void ob_attr_ints(ob_model *b, ob_node *n, const char *name, int count_, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count_;
    a->ints = alloc(b, (size_t)count_ * sizeof *a->ints);
    memcpy(a->ints, v, (size_t)count_ * sizeof *a->ints);
}

void ob_attr_str(ob_model *b, ob_node *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)str(b, v);
}

const uint8_t *ob_pack(ob_model *b, size_t *len)
{
    free(b->packed);
    *len = onnx__model_proto__get_packed_size(&b->model);
    b->packed = malloc(*len ? *len : 1);
    if (!b->packed)
        abort();
    onnx__model_proto__pack(&b->model, b->packed);
    return b->packed;
}

int ob_write(ob_model *b, const char *path)
{
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(buf, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

void ob_free(ob_model *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->graph.n_node; i++)
        free(b->graph.node[i]->attribute);
    free(b->graph.node);
    free(b->graph.input);
    free(b->graph.output);
    free(b->graph.initializer);
    for (size_t i = 0; i < b->n_owned; i++)
        free(b->owned[i]);
    free(b->owned);
    free(b->packed);
    free(b);
}

fc_nn_model *ob_load(ob_model *b, fc_error *err)
{
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    fc_nn_model *m = fc_nn_load_mem(buf, len, err);
    ob_free(b);
    return m;
}
