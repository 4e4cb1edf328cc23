/* guard.h - the receive deadline: a watchdog thread that shuts down the socket of
 * any connection still receiving a request (headers or body) after timeout_s, so
 * a client trickling one byte a second cannot hold a connection (libmicrohttpd's
 * own timeout only counts idle time). A connection is armed when it opens, when a
 * request line arrives and after each response; disarmed once a request has been
 * received, while its handler runs. */
#ifndef FC_API_GUARD_H
#define FC_API_GUARD_H

#include <stdbool.h>

typedef struct fc_api_guard fc_api_guard;
typedef struct fc_api_guard_slot fc_api_guard_slot;

/* Starts the watchdog; NULL when out of memory or the thread cannot start.
 * timeout_s 0 disables the deadline (the calls below still work). */
fc_api_guard *fc_api_guard_start(unsigned timeout_s);
/* Stops the thread and frees the guard (all slots must be closed); NULL is a no-op. */
void fc_api_guard_stop(fc_api_guard *g);

/* A connection on socket fd opened (armed); NULL when out of memory (then the
 * connection is simply not watched). Close it before the socket is closed. */
fc_api_guard_slot *fc_api_guard_open(fc_api_guard *g, int fd);
void fc_api_guard_close(fc_api_guard *g, fc_api_guard_slot *slot);
void fc_api_guard_arm(fc_api_guard *g, fc_api_guard_slot *slot);
void fc_api_guard_disarm(fc_api_guard *g, fc_api_guard_slot *slot);
/* Whether the watchdog shut this connection down. */
bool fc_api_guard_expired(fc_api_guard *g, fc_api_guard_slot *slot);

#endif
