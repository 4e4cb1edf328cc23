/* attr.c - attribute accessors for the ops' parse functions, and axis helpers. */
#include "nn/op.h"

#include <string.h>

const fc_attr *fc_attr_find(const fc_attrs *at, const char *name)
{
    for (int i = 0; at && i < at->n; i++)
        if (strcmp(at->a[i].name, name) == 0)
            return &at->a[i];
    return NULL;
}

int64_t fc_attr_int(const fc_attrs *at, const char *name, int64_t dflt)
{
    const fc_attr *a = fc_attr_find(at, name);
    return a && a->type == FC_ATTR_INT ? a->i : dflt;
}

float fc_attr_float(const fc_attrs *at, const char *name, float dflt)
{
    const fc_attr *a = fc_attr_find(at, name);
    if (a && a->type == FC_ATTR_FLOAT)
        return a->f;
    if (a && a->type == FC_ATTR_INT)
        return (float)a->i;
    return dflt;
}

const char *fc_attr_str(const fc_attrs *at, const char *name, const char *dflt)
{
    const fc_attr *a = fc_attr_find(at, name);
    return a && a->type == FC_ATTR_STRING ? a->s : dflt;
}

int fc_attr_ints(const fc_attrs *at, const char *name, const int64_t **out)
{
    const fc_attr *a = fc_attr_find(at, name);
    if (!a || a->type != FC_ATTR_INTS)
        return -1;
    *out = a->ints;
    return (int)a->n;
}

int fc_attr_floats(const fc_attrs *at, const char *name, const float **out)
{
    const fc_attr *a = fc_attr_find(at, name);
    if (!a || a->type != FC_ATTR_FLOATS)
        return -1;
    *out = a->floats;
    return (int)a->n;
}

int fc_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank)
        return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}
