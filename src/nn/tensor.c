/* tensor.c - shape arithmetic shared by the loader, the planner and the kernels. */
#include "nn/tensor.h"

#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

size_t fc_dtype_size(fc_dtype dt)
{
    switch (dt) {
    case FC_DT_FLOAT: return 4;
    case FC_DT_INT64: return 8;
    default: return 0;
    }
}

const char *fc_dtype_name(fc_dtype dt)
{
    switch (dt) {
    case FC_DT_FLOAT: return "float32";
    case FC_DT_INT64: return "int64";
    default: return "undefined";
    }
}

int64_t fc_shape_numel(const fc_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        if (fc_mul_overflow(n, s->d[i], &n))
            return -1;
    return n;
}

int fc_shape_equal(const fc_shape *a, const fc_shape *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

fc_shape fc_shape_make(int n, const int64_t *dims)
{
    fc_shape s = {0};
    s.ndim = n;
    for (int i = 0; i < n && i < FC_MAX_DIMS; i++)
        s.d[i] = dims[i];
    return s;
}

int fc_shape_broadcast(const fc_shape *a, const fc_shape *b, fc_shape *out)
{
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    fc_shape r = {.ndim = n};
    for (int i = 0; i < n; i++) {
        int ia = i - (n - a->ndim), ib = i - (n - b->ndim);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db || db == 1)
            r.d[i] = da;
        else if (da == 1)
            r.d[i] = db;
        else
            return -1;
    }
    *out = r;
    return 0;
}

char *fc_shape_str(const fc_shape *s, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < s->ndim && used < n; i++) {
        if (s->d[i] < 0)
            used += (size_t)snprintf(buf + used, n - used, "%s?", i ? "," : "");
        else
            used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "",
                                     (long long)s->d[i]);
    }
    if (used < n)
        snprintf(buf + used, n - used, "]");
    return buf;
}

void fc_shape_strides(const fc_shape *s, int64_t *strides)
{
    int64_t st = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->d[i];
    }
}

int64_t fc_tensor_bytes(const fc_tensor *t)
{
    int64_t n = fc_shape_numel(&t->shape), bytes;
    if (n < 0 || fc_mul_overflow(n, (int64_t)fc_dtype_size(t->dtype), &bytes))
        return -1;
    return bytes;
}
