/* hooks.h - what the store and vector-store wrappers do around every backend call,
 * in one place: fault injection (tests make a chosen call fail) and tracing
 * (FC_STORE_TRACE=1 logs each call, its result and its time to stderr). */
#ifndef FC_STORE_HOOKS_H
#define FC_STORE_HOOKS_H

#include "core/status.h"

typedef struct {
    int trace;
    int fault_op; /* the armed operation, or -1 */
    int fault_after;
    fc_status fault_code;
} fc_hooks;

/* No fault armed; tracing from FC_STORE_TRACE. */
void fc_hooks_init(fc_hooks *h);

/* Makes call number after + 1 (from now) of op fail with code, once. */
void fc_hooks_arm(fc_hooks *h, int op, int after, fc_status code);

/* Before a call: the injected failure for this call of op (recorded in err), or
 * FC_OK; *t0 is the start time when tracing. */
fc_status fc_hooks_before(fc_hooks *h, int op, const char *op_name, fc_error *err, double *t0);

/* After a call: logs it when tracing; returns rc. */
fc_status fc_hooks_after(const fc_hooks *h, const char *backend, const char *op_name, fc_status rc,
                         double t0, const fc_error *err);

/* Calls expr (a backend function returning fc_status) between the hooks of handle
 * s (which has .hooks and .ops->name) and returns its status. Uses `err`. */
#define FC_HOOKED_CALL(s, op, op_name, expr)                                                \
    do {                                                                                    \
        double t0_;                                                                         \
        fc_status rc_ = fc_hooks_before(&(s)->hooks, (int)(op), op_name, err, &t0_);        \
        if (rc_)                                                                            \
            return rc_;                                                                     \
        return fc_hooks_after(&(s)->hooks, (s)->ops->name, op_name, (expr), t0_, err);      \
    } while (0)

#endif
