/* onnx.c - loads an ONNX ModelProto (protobuf-c, generated from Debian's onnx.proto)
 * into the graph IR of ir.h: values, nodes with parsed attributes, inputs, outputs.
 * Every name, count and size in the file is checked; nothing is trusted. */
#include "nn/ir.h"
#include "nn/onnx_tensor.h"

#include "core/alloc.h"
#include "core/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FC_NN_MIN_OPSET 7
#define FC_NN_MAX_OPSET 17
#define FC_NN_MAX_FILE_BYTES ((int64_t)2 << 30)

typedef struct {
    fc_nn_model *m;
    fc_strmap names; /* value name -> index */
    int cap_values;
} builder;

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

static int is_default_domain(const char *d)
{
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

/* Appends a value; returns its index or -1 when out of memory. */
static int add_value(builder *b, const char *name, fc_value_kind kind)
{
    fc_nn_model *m = b->m;
    if (m->n_values == b->cap_values) {
        int cap = b->cap_values ? b->cap_values * 2 : 256;
        fc_value *v = realloc(m->values, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        m->values = v;
        b->cap_values = cap;
    }
    fc_value *v = &m->values[m->n_values];
    memset(v, 0, sizeof *v);
    v->name = dup_str(name);
    v->kind = kind;
    v->producer = -1;
    if (!v->name || fc_strmap_put(&b->names, v->name, m->n_values)) {
        free(v->name); /* not counted in n_values: fc_model_destroy would miss it */
        v->name = NULL;
        return -1;
    }
    return m->n_values++;
}

static fc_status load_opset(const Onnx__ModelProto *mp, fc_nn_model *m, fc_error *err)
{
    m->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++)
        if (is_default_domain(mp->opset_import[i]->domain))
            m->opset = mp->opset_import[i]->version;
    if (m->opset < 0)
        return fc_error_set(err, FC_ERR_FORMAT, "model imports no opset for the ONNX domain");
    if (m->opset < FC_NN_MIN_OPSET || m->opset > FC_NN_MAX_OPSET)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "opset %lld is not supported (%d to %d are)",
                            (long long)m->opset, FC_NN_MIN_OPSET, FC_NN_MAX_OPSET);
    return FC_OK;
}

static fc_status load_initializers(builder *b, const Onnx__GraphProto *g, fc_error *err)
{
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *tp = g->initializer[i];
        if (!tp->name || !*tp->name)
            return fc_error_set(err, FC_ERR_FORMAT, "initializer %zu has no name", i);
        if (fc_strmap_get(&b->names, tp->name) >= 0)
            return fc_error_set(err, FC_ERR_FORMAT, "initializer '%s' is defined twice", tp->name);
        int v = add_value(b, tp->name, FC_VALUE_CONST);
        if (v < 0)
            return fc_error_set(err, FC_ERR_NOMEM, "loading initializers");
        fc_status rc = fc_onnx_tensor(tp, &b->m->values[v].t, err);
        if (rc)
            return rc;
    }
    if (g->n_sparse_initializer)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "sparse initializers are not supported");
    return FC_OK;
}

/* Declared dtype and shape of a graph input or output. */
static fc_status load_io_info(const Onnx__ValueInfoProto *vi, fc_nn_io_info *info, fc_error *err)
{
    const char *name = vi->name ? vi->name : "";
    info->name = name;
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "graph value '%s' is not a tensor", name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    info->dtype = fc_onnx_dtype(tt->has_elem_type ? tt->elem_type : 0);
    if (info->dtype == FC_DT_UNDEFINED)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "graph value '%s' has element type %d",
                            name, tt->has_elem_type ? (int)tt->elem_type : 0);
    if (!tt->shape)
        return FC_OK; /* rank unknown: ndim 0 until a context gives a shape */
    if (tt->shape->n_dim > FC_MAX_DIMS)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "graph value '%s' has %zu dims", name,
                            tt->shape->n_dim);
    info->shape.ndim = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        int known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                    d->dim_value >= 0;
        info->shape.d[i] = known ? d->dim_value : -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
            !(info->dim_names[i] = strdup(d->dim_param)))
            return fc_error_set(err, FC_ERR_NOMEM, "graph value '%s'", name);
    }
    return FC_OK;
}

static fc_status load_inputs(builder *b, const Onnx__GraphProto *g, fc_error *err)
{
    fc_nn_model *m = b->m;
    m->inputs = calloc(g->n_input + 1, sizeof *m->inputs);
    m->in_info = calloc(g->n_input + 1, sizeof *m->in_info);
    if (!m->inputs || !m->in_info)
        return fc_error_set(err, FC_ERR_NOMEM, "graph inputs");
    for (size_t i = 0; i < g->n_input; i++) {
        const char *name = g->input[i]->name;
        if (!name || !*name)
            return fc_error_set(err, FC_ERR_FORMAT, "graph input %zu has no name", i);
        int existing = fc_strmap_get(&b->names, name);
        if (existing >= 0 && m->values[existing].kind == FC_VALUE_CONST)
            continue; /* an initializer listed as input (old exporters): a constant */
        if (existing >= 0)
            return fc_error_set(err, FC_ERR_FORMAT, "graph input '%s' is listed twice", name);
        fc_nn_io_info *info = &m->in_info[m->n_inputs];
        fc_status rc = load_io_info(g->input[i], info, err);
        if (rc)
            return rc;
        int v = add_value(b, name, FC_VALUE_INPUT);
        if (v < 0)
            return fc_error_set(err, FC_ERR_NOMEM, "graph inputs");
        info->name = m->values[v].name;
        m->values[v].t.dtype = info->dtype;
        m->values[v].t.shape = info->shape;
        m->inputs[m->n_inputs++] = v;
    }
    if (m->n_inputs == 0)
        return fc_error_set(err, FC_ERR_FORMAT, "model has no graph inputs");
    return FC_OK;
}

/* Temporary attribute array for one node's parse call. */
typedef struct {
    fc_attr *a;
    fc_tensor *tensors; /* converted tensor attributes, freed after parse */
    char **strs;        /* NUL-terminated copies of string attributes */
    int n;
} attr_buf;

static void attr_buf_free(attr_buf *ab)
{
    for (int i = 0; i < ab->n; i++) {
        if (ab->tensors)
            fc_aligned_free(ab->tensors[i].data);
        if (ab->strs)
            free(ab->strs[i]);
    }
    free(ab->a);
    free(ab->tensors);
    free(ab->strs);
}

static fc_status load_attrs(const Onnx__NodeProto *np, attr_buf *ab, fc_error *err)
{
    ab->n = (int)np->n_attribute;
    ab->a = calloc(np->n_attribute + 1, sizeof *ab->a);
    ab->tensors = calloc(np->n_attribute + 1, sizeof *ab->tensors);
    ab->strs = calloc(np->n_attribute + 1, sizeof *ab->strs);
    if (!ab->a || !ab->tensors || !ab->strs)
        return fc_error_set(err, FC_ERR_NOMEM, "attributes");
    for (size_t i = 0; i < np->n_attribute; i++) {
        const Onnx__AttributeProto *ap = np->attribute[i];
        fc_attr *a = &ab->a[i];
        a->name = ap->name ? ap->name : "";
        a->type = FC_ATTR_OTHER;
        switch (ap->has_type ? ap->type : 0) {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
            a->type = FC_ATTR_FLOAT, a->f = ap->f;
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
            a->type = FC_ATTR_INT, a->i = ap->i;
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
            if (ap->s.len && memchr(ap->s.data, '\0', ap->s.len))
                return fc_error_set(err, FC_ERR_FORMAT, "attribute '%s' holds a NUL", a->name);
            if (!(ab->strs[i] = calloc(ap->s.len + 1, 1)))
                return fc_error_set(err, FC_ERR_NOMEM, "attributes");
            if (ap->s.len)
                memcpy(ab->strs[i], ap->s.data, ap->s.len);
            a->type = FC_ATTR_STRING, a->s = ab->strs[i];
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
            a->type = FC_ATTR_FLOATS, a->floats = ap->floats, a->n = ap->n_floats;
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
            a->type = FC_ATTR_INTS, a->ints = ap->ints, a->n = ap->n_ints;
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            if (!ap->t)
                return fc_error_set(err, FC_ERR_FORMAT, "attribute '%s' has no tensor", a->name);
            fc_status rc = fc_onnx_tensor(ap->t, &ab->tensors[i], err);
            if (rc)
                return rc;
            a->type = FC_ATTR_TENSOR, a->t = &ab->tensors[i];
            break;
        default:
            break;
        }
    }
    return FC_OK;
}

static fc_status node_error(fc_error *err, const fc_node *n, const char *op_type)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return fc_error_set(err, err->code, "node '%s' (%s): %s", n->name, op_type, msg);
}

/* First pass over nodes: op, name, parsed attributes, output values. */
static fc_status load_node(builder *b, const Onnx__NodeProto *np, int index, fc_error *err)
{
    fc_nn_model *m = b->m;
    fc_node *n = &m->nodes[index];
    const char *op_type = np->op_type ? np->op_type : "";
    char fallback[96];
    snprintf(fallback, sizeof fallback, "%.64s_%d", op_type, index);
    n->name = dup_str(np->name && *np->name ? np->name : fallback);
    if (!n->name)
        return fc_error_set(err, FC_ERR_NOMEM, "nodes");
    if (!is_default_domain(np->domain))
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "node '%s' uses op '%s' of domain '%s'",
                            n->name, op_type, np->domain);
    n->op = fc_op_find(op_type);
    if (!n->op)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "node '%s': operator '%s' is not supported",
                            n->name, op_type);
    if ((int)np->n_input < n->op->min_inputs || (int)np->n_input > n->op->max_inputs ||
        (int)np->n_output < n->op->min_outputs || (int)np->n_output > n->op->max_outputs)
        return fc_error_set(err, FC_ERR_UNSUPPORTED,
                            "node '%s' (%s): %zu inputs and %zu outputs (supported: %d-%d and %d-%d)",
                            n->name, op_type, np->n_input, np->n_output, n->op->min_inputs,
                            n->op->max_inputs, n->op->min_outputs, n->op->max_outputs);
    n->n_in = (int)np->n_input;
    n->n_out = (int)np->n_output;
    n->in = calloc(np->n_input + 1, sizeof *n->in);
    n->out = calloc(np->n_output + 1, sizeof *n->out);
    if (!n->in || !n->out)
        return fc_error_set(err, FC_ERR_NOMEM, "nodes");
    for (size_t i = 0; i < np->n_output; i++) {
        const char *name = np->output[i];
        if (!name || !*name)
            return fc_error_set(err, FC_ERR_UNSUPPORTED, "node '%s' (%s): an omitted output",
                                n->name, op_type);
        if (fc_strmap_get(&b->names, name) >= 0)
            return fc_error_set(err, FC_ERR_FORMAT, "node '%s' (%s): value '%s' is defined twice",
                                n->name, op_type, name);
        int v = add_value(b, name, FC_VALUE_ACTIVATION);
        if (v < 0)
            return fc_error_set(err, FC_ERR_NOMEM, "nodes");
        m->values[v].producer = index;
        n->out[i] = v;
    }
    attr_buf ab = {0};
    fc_status rc = load_attrs(np, &ab, err);
    if (!rc && n->op->parse) {
        fc_attrs at = {ab.a, ab.n, (int)m->opset, n->name, op_type};
        rc = n->op->parse(&at, &n->params, err);
        if (rc)
            node_error(err, n, op_type);
    }
    attr_buf_free(&ab);
    return rc;
}

/* Second pass: input names -> value indices (the empty name: an absent input). */
static fc_status link_inputs(builder *b, const Onnx__GraphProto *g, fc_error *err)
{
    for (int k = 0; k < b->m->n_nodes; k++) {
        const Onnx__NodeProto *np = g->node[k];
        fc_node *n = &b->m->nodes[k];
        for (size_t i = 0; i < np->n_input; i++) {
            const char *name = np->input[i] ? np->input[i] : "";
            n->in[i] = *name ? fc_strmap_get(&b->names, name) : -1;
            if (!*name && (int)i < n->op->min_inputs)
                return fc_error_set(err, FC_ERR_FORMAT, "node '%s' (%s): required input %zu is empty",
                                    n->name, n->op->name, i);
            if (*name && n->in[i] < 0)
                return fc_error_set(err, FC_ERR_FORMAT,
                                    "node '%s' (%s): input '%s' is not produced by any node, "
                                    "initializer or graph input", n->name, n->op->name, name);
        }
    }
    return FC_OK;
}

static fc_status load_outputs(builder *b, const Onnx__GraphProto *g, fc_error *err)
{
    fc_nn_model *m = b->m;
    m->outputs = calloc(g->n_output + 1, sizeof *m->outputs);
    m->out_info = calloc(g->n_output + 1, sizeof *m->out_info);
    if (!m->outputs || !m->out_info)
        return fc_error_set(err, FC_ERR_NOMEM, "graph outputs");
    if (g->n_output == 0)
        return fc_error_set(err, FC_ERR_FORMAT, "model has no graph outputs");
    for (size_t i = 0; i < g->n_output; i++) {
        const char *name = g->output[i]->name ? g->output[i]->name : "";
        int v = fc_strmap_get(&b->names, name);
        if (v < 0)
            return fc_error_set(err, FC_ERR_FORMAT, "graph output '%s' is never produced", name);
        fc_nn_io_info *info = &m->out_info[m->n_outputs];
        fc_status rc = load_io_info(g->output[i], info, err);
        if (rc == FC_ERR_UNSUPPORTED && m->values[v].kind == FC_VALUE_ACTIVATION)
            rc = FC_OK; /* the declared type is only informative for outputs */
        if (rc)
            return rc;
        info->name = m->values[v].name;
        m->outputs[m->n_outputs++] = v;
    }
    return FC_OK;
}

static fc_status build(const Onnx__ModelProto *mp, fc_nn_model *m, fc_error *err)
{
    builder b = {.m = m};
    const Onnx__GraphProto *g = mp->graph;
    fc_status rc;
    if (!g)
        return fc_error_set(err, FC_ERR_FORMAT, "not an ONNX model: no graph");
    m->ir_version = mp->has_ir_version ? mp->ir_version : 0;
    if (!(m->producer = dup_str(mp->producer_name)))
        return fc_error_set(err, FC_ERR_NOMEM, "model");
    if ((rc = load_opset(mp, m, err)) || (rc = load_initializers(&b, g, err)) ||
        (rc = load_inputs(&b, g, err)))
        goto out;
    m->nodes = calloc(g->n_node + 1, sizeof *m->nodes);
    if (!m->nodes) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "nodes");
        goto out;
    }
    for (size_t k = 0; k < g->n_node; k++) {
        m->n_nodes = (int)k + 1;
        if ((rc = load_node(&b, g->node[k], (int)k, err)))
            goto out;
    }
    if ((rc = link_inputs(&b, g, err)) || (rc = load_outputs(&b, g, err)))
        goto out;
    rc = fc_graph_toposort(m, err);
out:
    fc_strmap_free(&b.names);
    return rc;
}

fc_nn_model *fc_nn_load_mem(const void *buf, size_t len, fc_error *err)
{
    if (!buf || len == 0) {
        fc_error_set(err, FC_ERR_FORMAT, "not an ONNX model: empty input");
        return NULL;
    }
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    if (!mp) {
        fc_error_set(err, FC_ERR_FORMAT,
                     "not an ONNX model: the protobuf does not parse (truncated or corrupt file?)");
        return NULL;
    }
    fc_nn_model *m = calloc(1, sizeof *m);
    fc_status rc = m ? build(mp, m, err) : fc_error_set(err, FC_ERR_NOMEM, "model");
    onnx__model_proto__free_unpacked(mp, NULL);
    if (rc) {
        fc_model_destroy(m);
        return NULL;
    }
    return m;
}

fc_nn_model *fc_nn_load(const char *path, fc_error *err)
{
    struct stat st;
    fc_nn_model *m = NULL;
    void *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0) {
        fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > FC_NN_MAX_FILE_BYTES) {
        fc_error_set(err, FC_ERR_LIMIT, "%s: not a regular file of at most 2 GiB", path);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fc_error_set(err, FC_ERR_NOMEM, "%s: %lld bytes", path, (long long)st.st_size);
        goto out;
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fc_error_set(err, FC_ERR_IO, "%s: short read", path);
        goto out;
    }
    m = fc_nn_load_mem(buf, (size_t)st.st_size, err);
    if (!m) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        fc_error_set(err, err ? err->code : FC_ERR_FORMAT, "%s: %s", path, msg);
    }
out:
    if (f)
        fclose(f);
    free(buf);
    return m;
}
