/* hooks.c - see hooks.h. */
#include "store/hooks.h"

#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_hooks_init(fc_hooks *h)
{
    const char *trace = getenv("FC_STORE_TRACE");
    h->trace = trace && *trace && strcmp(trace, "0") != 0;
    h->fault_op = -1;
    h->fault_after = 0;
    h->fault_code = FC_OK;
}

void fc_hooks_arm(fc_hooks *h, int op, int after, fc_status code)
{
    h->fault_op = op;
    h->fault_after = after;
    h->fault_code = code;
}

fc_status fc_hooks_before(fc_hooks *h, int op, const char *op_name, fc_error *err, double *t0)
{
    *t0 = h->trace ? 1e3 * fc_now_s() : 0;
    if (h->fault_op != op || h->fault_after-- > 0)
        return FC_OK;
    h->fault_op = -1;
    return fc_error_set(err, h->fault_code, "%s: injected fault", op_name);
}

fc_status fc_hooks_after(const fc_hooks *h, const char *backend, const char *op_name, fc_status rc,
                         double t0, const fc_error *err)
{
    if (h->trace)
        fprintf(stderr, "store: %s %s -> %s (%.2f ms)%s%s\n", backend, op_name, fc_strerror(rc),
                1e3 * fc_now_s() - t0, rc && err ? ": " : "", rc && err ? err->msg : "");
    return rc;
}
