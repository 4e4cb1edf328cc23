/* fuzz_onnx.c - libFuzzer target for the ONNX loader: any bytes must give a model
 * or an error, never a crash, leak or out-of-bounds access. A model that loads is
 * also planned for its declared shapes and, when small, run on zeros. */
#include "core/alloc.h"
#include "nn/nn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_INPUT_ELEMS (1 << 16)
/* Hostile graphs may ask for huge activations; within a context's limit they are
 * legitimate work, so the fuzzer caps them to stay fast. */
#define FUZZ_MAX_TENSOR_BYTES ((int64_t)16 << 20)

static void try_run(const fc_nn_model *m)
{
    fc_error err = {0};
    int n = fc_nn_n_inputs(m);
    fc_tensor *ins = calloc((size_t)n + 1, sizeof *ins);
    fc_tensor *outs = calloc((size_t)fc_nn_n_outputs(m) + 1, sizeof *outs);
    fc_nn_ctx_opts opts = {.threads = 1, .max_tensor_bytes = FUZZ_MAX_TENSOR_BYTES};
    fc_nn_ctx *ctx = ins && outs ? fc_nn_ctx_new_opts(m, NULL, &opts, &err) : NULL;
    int ok = ctx != NULL;
    for (int i = 0; ok && i < n; i++) {
        const fc_nn_io_info *info = fc_nn_input_info(m, i);
        ins[i].dtype = info->dtype;
        ins[i].shape = info->shape;
        int64_t elems = fc_shape_numel(&info->shape);
        ok = elems >= 0 && elems <= SMALL_INPUT_ELEMS;
        if (ok)
            ins[i].data = fc_aligned_alloc((size_t)fc_tensor_bytes(&ins[i]));
        ok = ok && ins[i].data;
        if (ok)
            memset(ins[i].data, 0, (size_t)fc_tensor_bytes(&ins[i]));
    }
    if (ok)
        fc_nn_run(ctx, ins, outs, &err);
    for (int i = 0; ins && i < n; i++)
        fc_aligned_free(ins[i].data);
    fc_nn_ctx_free(ctx);
    free(ins);
    free(outs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_error err = {0};
    fc_nn_model *m = fc_nn_load_mem(data, size, &err);
    if (m) {
        try_run(m);
        fc_nn_free(m);
    }
    return 0;
}
