/* guard.c - the receive-deadline watchdog. Slots live in a list under one mutex;
 * the server removes a slot (fc_api_guard_close, from libmicrohttpd's
 * connection-closed notification) before libmicrohttpd closes the socket, and the
 * watchdog shuts sockets down only while holding the mutex, so it can never touch
 * a descriptor that was closed and reused. */
#include "api/guard.h"

#include "api/metrics.h"
#include "core/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct fc_api_guard_slot {
    int fd;
    bool armed, expired;
    double since; /* seconds, monotonic */
    struct fc_api_guard_slot *prev, *next;
};

struct fc_api_guard {
    unsigned timeout_s;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stop;
    fc_api_guard_slot *head;
};

static void *watch(void *arg)
{
    fc_api_guard *g = arg;
    fc_metric *expired = fc_metric_counter(
        "http_receive_timeouts_total",
        "Connections closed because a request was not received within the deadline", NULL);
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        double t = fc_now_s();
        for (fc_api_guard_slot *s = g->head; g->timeout_s && s; s = s->next) {
            if (s->armed && !s->expired && t - s->since > (double)g->timeout_s) {
                shutdown(s->fd, SHUT_RDWR);
                s->expired = true;
                fc_metric_add(expired, 1);
            }
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

fc_api_guard *fc_api_guard_start(unsigned timeout_s)
{
    fc_api_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->timeout_s = timeout_s;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->thread, NULL, watch, g)) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void fc_api_guard_stop(fc_api_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) { /* not expected: the server closes every slot first */
        fc_api_guard_slot *s = g->head;
        g->head = s->next;
        free(s);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

fc_api_guard_slot *fc_api_guard_open(fc_api_guard *g, int fd)
{
    fc_api_guard_slot *s = calloc(1, sizeof *s);
    if (!g || !s) {
        free(s);
        return NULL;
    }
    s->fd = fd;
    s->armed = true;
    s->since = fc_now_s();
    pthread_mutex_lock(&g->lock);
    s->next = g->head;
    if (g->head)
        g->head->prev = s;
    g->head = s;
    pthread_mutex_unlock(&g->lock);
    return s;
}

void fc_api_guard_close(fc_api_guard *g, fc_api_guard_slot *slot)
{
    if (!g || !slot)
        return;
    pthread_mutex_lock(&g->lock);
    if (slot->prev)
        slot->prev->next = slot->next;
    else
        g->head = slot->next;
    if (slot->next)
        slot->next->prev = slot->prev;
    pthread_mutex_unlock(&g->lock);
    free(slot);
}

static void set_armed(fc_api_guard *g, fc_api_guard_slot *slot, bool armed)
{
    if (!g || !slot)
        return;
    pthread_mutex_lock(&g->lock);
    slot->armed = armed;
    slot->since = fc_now_s();
    pthread_mutex_unlock(&g->lock);
}

void fc_api_guard_arm(fc_api_guard *g, fc_api_guard_slot *slot)
{
    set_armed(g, slot, true);
}

void fc_api_guard_disarm(fc_api_guard *g, fc_api_guard_slot *slot)
{
    set_armed(g, slot, false);
}

bool fc_api_guard_expired(fc_api_guard *g, fc_api_guard_slot *slot)
{
    if (!g || !slot)
        return false;
    pthread_mutex_lock(&g->lock);
    bool expired = slot->expired;
    pthread_mutex_unlock(&g->lock);
    return expired;
}
