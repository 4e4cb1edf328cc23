/* mhd_log.h - libmicrohttpd's own messages on stderr, at most once a second each. */
#ifndef FC_API_MHD_LOG_H
#define FC_API_MHD_LOG_H

#include <stdarg.h>

/* MHD_OPTION_EXTERNAL_LOGGER: prints "api: libmicrohttpd: <message>". libmicrohttpd
 * logs one line per connection it refuses or drops, so a client opening connections
 * without end (past FC_HTTP_PER_IP_CONNECTIONS, say) would flood the log: a message
 * of the same format is printed at most once a second, and the next one printed
 * says how many were left out since. cls is unused. Thread-safe. */
void fc_api_mhd_log(void *cls, const char *fmt, va_list ap);

#endif
