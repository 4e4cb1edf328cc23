/* test_nn_gather.c - the channel gather kernel (gather.c) against a plain loop, on
 * maps that fit its vector blocks and maps that do not. */
#include "test.h"

#include "core/alloc.h"
#include "nn/gather.h"
#include "op_util.h"

#include <stdlib.h>

/* Gathers co channels from three NHWC inputs of 20, 37 and 8 channels (5 pixels, so
 * batch and rows do not matter) with map kind: 0 interleaves two inputs (vector
 * blocks), 1 copies a slice at an odd offset (vector, masked loads), 2 scatters
 * channels from all three at random (channel by channel). */
static int gather_matches(int kind, int co)
{
    const int64_t chans[3] = {20, 37, 8}, pixels = 5;
    fc_tensor in[3], out = {FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, co, 1, pixels}), NULL};
    fc_tensor *ins[3] = {&in[0], &in[1], &in[2]};
    int src[64], map[64], ok = 1;
    uint32_t seed = 7;
    for (int k = 0; k < 3; k++) {
        in[k] = (fc_tensor){FC_DT_FLOAT, fc_shape_make(4, (int64_t[]){1, chans[k], 1, pixels}), NULL};
        in[k].data = fc_aligned_alloc((size_t)(chans[k] * pixels) * sizeof(float));
        fc_test_fill_random(in[k].data, (size_t)(chans[k] * pixels), 120 + (uint32_t)k, -1, 1);
    }
    out.data = fc_aligned_alloc((size_t)(co * pixels) * sizeof(float));
    for (int j = 0; j < co; j++) {
        seed = seed * 1103515245u + 12345u;
        if (kind == 0)
            src[j] = j % 2, map[j] = j / 2;
        else if (kind == 1)
            src[j] = 1, map[j] = 3 + j;
        else
            src[j] = (int)(seed >> 16) % 3, map[j] = (int)((seed >> 8) % (uint32_t)chans[src[j]]);
    }
    fc_gather *g = fc_gather_plan(src, map, co, chans, 3);
    fc_gather_run(g, ins, &out);
    for (int64_t p = 0; p < pixels; p++)
        for (int j = 0; j < co; j++)
            ok &= ((float *)out.data)[p * co + j] == ((float *)in[src[j]].data)[p * chans[src[j]] + map[j]];
    if (kind < 2)
        ok &= fc_gather_scalar_blocks(g) == 0 || !__builtin_cpu_supports("avx512f");
    fc_gather_free(g);
    for (int k = 0; k < 3; k++)
        fc_aligned_free(in[k].data);
    fc_aligned_free(out.data);
    return ok;
}

TEST(nn_gather_matches_plain_loop)
{
    static const int cos[3] = {16, 34, 20};
    for (int kind = 0; kind < 3; kind++)
        for (int c = 0; c < 3; c++)
            CHECK_MSG(gather_matches(kind, cos[c]), "map kind %d, %d channels", kind, cos[c]);
    return FC_TEST_PASS;
}
