/* test_nn_load.c - the loader against bad files: each gives a clear error from load
 * (or from context creation / run), never a crash. */
#include "test.h"

#include "nn/nn.h"
#include "onnx.pb-c.h"
#include "onnx_build.h"
#include "op_util.h"

#include <stdlib.h>
#include <string.h>

/* A small valid model: Y = Relu(X), X float [1,3,4,4]. */
static ob_model *relu_model(void)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 3, 4, 4});
    ob_node_add(b, "Relu", "X", "Y");
    ob_output(b, "Y");
    return b;
}

static int expect_load_error(const void *buf, size_t len, fc_status want, const char *needle)
{
    fc_error err = {0};
    fc_nn_model *m = fc_nn_load_mem(buf, len, &err);
    if (m) {
        fc_nn_free(m);
        return fc_test_fail(__FILE__, __LINE__, "loaded a bad model (expected '%s')", needle);
    }
    if ((want && err.code != want) || (needle && !strstr(err.msg, needle)))
        return fc_test_fail(__FILE__, __LINE__, "got %s: '%s', expected %s with '%s'",
                            fc_strerror(err.code), err.msg, fc_strerror(want), needle);
    return FC_TEST_PASS;
}

TEST(nn_load_valid_small_model)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(relu_model(), &err);
    CHECK_MSG(m, "load failed: %s", err.msg);
    CHECK(fc_nn_n_inputs(m) == 1 && fc_nn_n_outputs(m) == 1);
    CHECK(strcmp(fc_nn_input_info(m, 0)->name, "X") == 0);
    CHECK(fc_nn_input_info(m, 0)->shape.d[1] == 3);
    fc_nn_free(m);
    fc_nn_free(NULL);
    return FC_TEST_PASS;
}

TEST(nn_load_missing_and_empty_files)
{
    fc_error err = {0};
    CHECK(!fc_nn_load("/nonexistent/model.onnx", &err) && err.code == FC_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/model.onnx"));
    char path[512];
    snprintf(path, sizeof path, "%s/empty.onnx", fc_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f);
    fclose(f);
    CHECK(!fc_nn_load(path, &err) && err.code == FC_ERR_FORMAT);
    CHECK(!fc_nn_load(fc_test_tmpdir(), &err)); /* a directory */
    return FC_TEST_PASS;
}

TEST(nn_load_random_bytes)
{
    unsigned char buf[4096];
    for (unsigned seed = 1; seed <= 200; seed++) {
        float r[1024];
        fc_test_fill_random(r, 1024, seed, 0, 256);
        size_t len = 1 + seed * 20 % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)r[i % 1024] ^ (unsigned char)i;
        fc_error err = {0};
        fc_nn_model *m = fc_nn_load_mem(buf, len, &err);
        CHECK_MSG(!m, "random bytes (seed %u) loaded as a model", seed);
        CHECK(err.code != FC_OK && err.msg[0]);
    }
    return FC_TEST_PASS;
}

TEST(nn_load_protobuf_that_is_not_a_model)
{
    /* a serialized TensorProto: valid protobuf, no graph */
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[1] = {4};
    float data[4] = {1, 2, 3, 4};
    t.n_dims = 1, t.dims = dims, t.has_data_type = 1, t.data_type = 1;
    t.n_float_data = 4, t.float_data = data, t.name = "w";
    uint8_t buf[256];
    size_t len = onnx__tensor_proto__pack(&t, buf);
    return expect_load_error(buf, len, FC_ERR_FORMAT, "not an ONNX model");
}

TEST(nn_load_truncated_model)
{
    ob_model *b = relu_model();
    float w[16] = {0};
    ob_init_f32(b, "unused_weight", 1, (int64_t[]){16}, w);
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int failures = 0;
    for (size_t cut = 1; cut < len; cut++) {
        fc_error err = {0};
        fc_nn_model *m = fc_nn_load_mem(buf, cut, &err);
        if (m) /* some prefixes are themselves valid protobufs; they must still be sane */
            fc_nn_free(m);
        else
            failures += err.msg[0] != '\0';
    }
    ob_free(b);
    CHECK(failures > 0);
    return FC_TEST_PASS;
}

TEST(nn_load_truncated_real_model)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/fr_feature.onnx", fc_test_root());
    FILE *f = fopen(path, "rb");
    if (!f)
        SKIP("models/fr_feature.onnx not present (scripts/setup fetches it)");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    CHECK(buf && fread(buf, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    const long cuts[] = {len / 2, len - 1, len - 1000, 100, 10};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        fc_error err = {0};
        fc_nn_model *m = fc_nn_load_mem(buf, (size_t)cuts[i], &err);
        if (m) {
            fc_nn_free(m);
            free(buf);
            return fc_test_fail(__FILE__, __LINE__, "a %ld-byte prefix loaded", cuts[i]);
        }
        CHECK(err.code == FC_ERR_FORMAT);
    }
    free(buf);
    return FC_TEST_PASS;
}

TEST(nn_load_tensor_declared_2gb_in_1kb)
{
    ob_model *b = relu_model();
    unsigned char raw[1024] = {0};
    ob_init_raw(b, "huge", 2, (int64_t[]){1 << 15, 1 << 14}, raw, sizeof raw); /* 2 GiB */
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_FORMAT, "declares 536870912 elements");
    ob_free(b);
    CHECK(len < 4096);
    return r;
}

TEST(nn_load_tensor_overflowing_dims)
{
    ob_model *b = relu_model();
    float raw[4] = {0};
    ob_init_raw(b, "overflow", 3, (int64_t[]){1ll << 40, 1ll << 40, 4}, raw, sizeof raw);
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_LIMIT, "too many elements");
    ob_free(b);
    return r;
}

TEST(nn_load_cycle)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Add", "X,B", "A");
    ob_node_add(b, "Relu", "A", "B");
    ob_output(b, "B");
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_FORMAT, "cycle");
    ob_free(b);
    return r;
}

TEST(nn_load_unsupported_op_names_op_and_node)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Relu", "X", "A");
    ob_node_add(b, "FancyNewOp", "A", "Y");
    ob_output(b, "Y");
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_UNSUPPORTED, "FancyNewOp_1");
    if (r == FC_TEST_PASS)
        r = expect_load_error(buf, len, FC_ERR_UNSUPPORTED, "operator 'FancyNewOp'");
    ob_free(b);
    return r;
}

TEST(nn_load_unsupported_opset_and_domain)
{
    ob_model *b = ob_new(99);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Relu", "X", "Y");
    ob_output(b, "Y");
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_UNSUPPORTED, "opset 99");
    ob_free(b);
    if (r)
        return r;
    b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node *n = ob_node_add(b, "Relu", "X", "Y");
    n->domain = "com.microsoft";
    ob_output(b, "Y");
    buf = ob_pack(b, &len);
    r = expect_load_error(buf, len, FC_ERR_UNSUPPORTED, "com.microsoft");
    ob_free(b);
    return r;
}

TEST(nn_load_dangling_and_duplicate_names)
{
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Add", "X,nowhere", "Y");
    ob_output(b, "Y");
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_FORMAT, "'nowhere' is not produced");
    ob_free(b);
    if (r)
        return r;
    b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Relu", "X", "Y");
    ob_node_add(b, "Relu", "X", "Y");
    ob_output(b, "Y");
    buf = ob_pack(b, &len);
    r = expect_load_error(buf, len, FC_ERR_FORMAT, "defined twice");
    ob_free(b);
    if (r)
        return r;
    b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 2, (int64_t[]){2, 2});
    ob_node_add(b, "Relu", "X", "Y");
    ob_output(b, "Z");
    buf = ob_pack(b, &len);
    r = expect_load_error(buf, len, FC_ERR_FORMAT, "'Z' is never produced");
    ob_free(b);
    return r;
}

TEST(nn_ctx_wrong_input_shape)
{
    fc_error err = {0};
    fc_nn_model *m = ob_load(relu_model(), &err);
    CHECK_MSG(m, "%s", err.msg);
    fc_shape wrong = fc_shape_make(4, (int64_t[]){1, 3, 5, 5});
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, &wrong, &err);
    CHECK(!ctx && err.code == FC_ERR_SHAPE && strstr(err.msg, "[1,3,4,4]"));
    fc_shape rank = fc_shape_make(2, (int64_t[]){3, 16});
    CHECK(!fc_nn_ctx_new(m, &rank, &err) && err.code == FC_ERR_SHAPE);
    ctx = fc_nn_ctx_new(m, NULL, &err);
    CHECK_MSG(ctx, "%s", err.msg);
    float x[75] = {0};
    fc_tensor in = {FC_DT_FLOAT, wrong, x}, out;
    CHECK(fc_nn_run(ctx, &in, &out, &err) == FC_ERR_SHAPE);
    in.dtype = FC_DT_INT64;
    in.shape = fc_shape_make(4, (int64_t[]){1, 3, 4, 4});
    CHECK(fc_nn_run(ctx, &in, &out, &err) == FC_ERR_SHAPE);
    fc_nn_ctx_free(ctx);
    fc_nn_free(m);
    return FC_TEST_PASS;
}

TEST(nn_load_empty_required_input)
{
    /* found by the fuzzer: a MaxPool whose X is the empty name */
    ob_model *b = ob_new(11);
    ob_input(b, "X", OB_FLOAT, 4, (int64_t[]){1, 2, 8, 5});
    ob_node *n = ob_node_add(b, "MaxPool", "X", "Y");
    n->input[0][0] = '\0';
    ob_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){3, 3});
    ob_output(b, "Y");
    size_t len;
    const uint8_t *buf = ob_pack(b, &len);
    int r = expect_load_error(buf, len, FC_ERR_FORMAT, "required input 0 is empty");
    ob_free(b);
    return r;
}
