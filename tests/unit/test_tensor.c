/* test_tensor.c - shape arithmetic. */
#include "test.h"

#include "nn/tensor.h"

#include <string.h>

TEST(tensor_numel_and_overflow)
{
    fc_shape s = fc_shape_make(3, (int64_t[]){2, 3, 4});
    CHECK(fc_shape_numel(&s) == 24);
    fc_shape big = fc_shape_make(3, (int64_t[]){1ll << 31, 1ll << 31, 1ll << 31});
    CHECK(fc_shape_numel(&big) == -1);
    fc_shape neg = fc_shape_make(2, (int64_t[]){-1, 3});
    CHECK(fc_shape_numel(&neg) == -1);
    fc_shape scalar = {0};
    CHECK(fc_shape_numel(&scalar) == 1);
    return FC_TEST_PASS;
}

TEST(tensor_broadcast)
{
    fc_shape a = fc_shape_make(4, (int64_t[]){1, 3, 1, 5}), b = fc_shape_make(2, (int64_t[]){4, 1}), r;
    CHECK(fc_shape_broadcast(&a, &b, &r) == 0);
    fc_shape want = fc_shape_make(4, (int64_t[]){1, 3, 4, 5});
    CHECK(fc_shape_equal(&r, &want));
    fc_shape c = fc_shape_make(1, (int64_t[]){3});
    CHECK(fc_shape_broadcast(&a, &c, &r) == -1);
    char buf[64];
    CHECK(strcmp(fc_shape_str(&want, buf, sizeof buf), "[1,3,4,5]") == 0);
    return FC_TEST_PASS;
}
