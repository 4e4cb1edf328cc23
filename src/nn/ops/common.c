/* common.c - see common.h. */
#include "nn/ops/common.h"

#include <stdlib.h>
#include <string.h>

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

fc_status fc_op_const_ints(fc_tensor *const *in, int n_in, int i, const char *what,
                           const int64_t **vals, int64_t *n, fc_error *err)
{
    char buf[160];
    if (i >= n_in || !in[i])
        return fc_error_set(err, FC_ERR_FORMAT, "input '%s' is missing", what);
    const fc_tensor *t = in[i];
    if (t->dtype != FC_DT_INT64 || t->shape.ndim > 1)
        return fc_error_set(err, FC_ERR_SHAPE, "'%s' must be a 1-D int64 tensor, not %s %s",
                            what, fc_dtype_name(t->dtype),
                            fc_shape_str(&t->shape, buf, sizeof buf));
    if (!t->data)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "shape input '%s' must be constant", what);
    *n = fc_shape_numel(&t->shape);
    *vals = t->data;
    return *n < 0 ? fc_error_set(err, FC_ERR_SHAPE, "bad '%s' shape", what) : FC_OK;
}

fc_status fc_op_parse_auto_pad(const fc_attrs *at, fc_pad_mode *mode, fc_error *err)
{
    static const char *const names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    const char *s = fc_attr_str(at, "auto_pad", "NOTSET");
    if (s[0] == '\0') {
        *mode = FC_PAD_NOTSET;
        return FC_OK;
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *mode = (fc_pad_mode)i;
            return FC_OK;
        }
    return fc_error_set(err, FC_ERR_FORMAT, "unknown auto_pad '%s'", s);
}
