/* status.c - status names and error messages. */
#include "core/status.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
    [FC_OK] = "ok",
    [FC_ERR_IO] = "i/o error",
    [FC_ERR_FORMAT] = "format error",
    [FC_ERR_UNSUPPORTED] = "unsupported",
    [FC_ERR_SHAPE] = "shape error",
    [FC_ERR_NOMEM] = "out of memory",
    [FC_ERR_LIMIT] = "limit exceeded",
    [FC_ERR_ARG] = "bad argument",
    [FC_ERR_INTERNAL] = "internal error",
    [FC_ERR_UNAVAILABLE] = "unavailable",
};
static_assert(sizeof status_names / sizeof status_names[0] == FC_STATUS_COUNT,
              "one name per status");

const char *fc_strerror(fc_status code)
{
    if ((unsigned)code >= FC_STATUS_COUNT)
        return "unknown status";
    return status_names[code];
}

/* msg (len bytes) was cut to fit its buffer: drops the UTF-8 sequence the cut split,
 * if any, so that a message holding a file name stays valid UTF-8 (JSON, HTML). */
static void drop_split_sequence(char *msg, size_t len)
{
    size_t at = len; /* back over at most 3 continuation bytes to the lead byte */
    while (at > 0 && len - at < 3 && ((unsigned char)msg[at - 1] & 0xC0) == 0x80)
        at--;
    if (at == 0)
        return;
    unsigned lead = (unsigned char)msg[--at];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && len - at < need)
        msg[at] = 0;
}

fc_status fc_error_set(fc_error *err, fc_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    /* Formatted aside first: an argument may point into err->msg itself (a reason
     * wrapped in a prefix), and vsnprintf must not read the buffer it writes. */
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof msg)
        drop_split_sequence(msg, sizeof msg - 1);
    err->code = code;
    memcpy(err->msg, msg, sizeof msg);
    return code;
}
