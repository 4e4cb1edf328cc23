/* request_log.h - the metrics and the access-log line of a finished request. */
#ifndef FC_API_REQUEST_LOG_H
#define FC_API_REQUEST_LOG_H

#include <microhttpd.h>
#include <stdbool.h>

typedef struct {
    const char *route;  /* the matched route's pattern; NULL: none matched */
    const char *method; /* as received; "" when the request line never came */
    const char *path;   /* NULL: unknown */
    int status;         /* the status sent, 0 when none was */
    double seconds;     /* from the request line to now */
    const char *reason; /* why it ended early, or NULL */
} fc_api_request_done;

/* Counts the request in the metrics and, with access_log, writes its line (a hostile
 * path is escaped). A request that libmicrohttpd answered by itself (431, 414, 400)
 * is counted with that status. Returns the status counted (0: none sent). */
int fc_api_request_log(const fc_api_request_done *d, struct MHD_Connection *conn, bool access_log);

/* The words for how libmicrohttpd ended a request. */
const char *fc_api_termination_reason(enum MHD_RequestTerminationCode toe);

#endif
