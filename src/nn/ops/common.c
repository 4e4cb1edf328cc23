/* common.c - see common.h. */
#include "nn/ops/common.h"

#include <stdlib.h>

fc_status fc_op_new_params(void **params, size_t size, fc_error *err)
{
    *params = calloc(1, size);
    return *params ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

fc_status fc_op_check_numel(const fc_shape *s, fc_error *err)
{
    char buf[160];
    int64_t n = fc_shape_numel(s);
    if (n < 0)
        return fc_error_set(err, FC_ERR_SHAPE, "bad shape %s", fc_shape_str(s, buf, sizeof buf));
    if (n > FC_OP_MAX_NUMEL)
        return fc_error_set(err, FC_ERR_LIMIT, "shape %s has more than 2^31 elements",
                            fc_shape_str(s, buf, sizeof buf));
    return FC_OK;
}
