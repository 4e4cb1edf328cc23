/* mhd_log.c - libmicrohttpd's messages, each kind at most once a second (mhd_log.h).
 * A kind is the message's format string (libmicrohttpd passes its literals), kept in
 * a small table; when the table is full the oldest kind's slot is reused. */
#include "api/mhd_log.h"

#include "core/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { KINDS = 16 };

typedef struct {
    const char *fmt;          /* NULL: free slot */
    double printed_at;        /* seconds (CLOCK_MONOTONIC) of its last printed line */
    unsigned long left_out;   /* lines of this kind not printed since */
} kind;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kind kinds[KINDS];

/* The slot of fmt: its own, else a free one, else the one printed longest ago. */
static kind *slot_of(const char *fmt)
{
    kind *oldest = &kinds[0];
    for (int i = 0; i < KINDS; i++) {
        if (kinds[i].fmt == fmt)
            return &kinds[i];
        if (!kinds[i].fmt || kinds[i].printed_at < oldest->printed_at)
            oldest = &kinds[i];
        if (!kinds[i].fmt)
            break;
    }
    *oldest = (kind){.fmt = fmt, .printed_at = -1e9};
    return oldest;
}

void fc_api_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    double t = fc_now_s();
    pthread_mutex_lock(&lock);
    kind *k = slot_of(fmt);
    if (t - k->printed_at < 1.0) {
        k->left_out++;
        pthread_mutex_unlock(&lock);
        return;
    }
    unsigned long left_out = k->left_out;
    k->left_out = 0;
    k->printed_at = t;
    pthread_mutex_unlock(&lock);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    if (left_out)
        fprintf(stderr, "api: libmicrohttpd: %s (and %lu more like it since the last one "
                "shown)\n", msg, left_out);
    else
        fprintf(stderr, "api: libmicrohttpd: %s\n", msg);
}
