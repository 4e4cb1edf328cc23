/* request_log.c - what happens to every finished request: the HTTP metrics
 * (requests by method, route and status; their latency; aborted requests by reason)
 * and, when on, one access-log line on stderr. */
#include "api/request_log.h"

#include "api/metrics.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const double latency_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,     2.5,  5,     10,  30,  60};

/* The path for the log: bytes outside printable ASCII (and \ ") as \xNN, so a
 * hostile path cannot forge or break log lines; at most ~200 bytes. */
static void log_path(const char *path, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 8 < cap; p++) {
        if (n > 200) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        if (*p < 0x21 || *p > 0x7e || *p == '\\' || *p == '"')
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
        else
            out[n++] = (char)*p;
    }
    out[n] = '\0';
}

static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(method, known[i]))
            return known[i];
    return "OTHER";
}

const char *fc_api_termination_reason(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "completed";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "idle timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "server shutdown";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client closed the connection";
    case MHD_REQUEST_TERMINATED_READ_ERROR: return "read error or client closed";
    default: return "error";
    }
}

int fc_api_request_log(const fc_api_request_done *d, struct MHD_Connection *conn, bool access_log)
{
    const char *route = d->route ? d->route : "unmatched";
    const char *method = d->method[0] ? method_label(d->method) : "-";
    const char *reason = d->reason;
    int status_sent = d->status;
    char status[16];
    if (!status_sent) { /* libmicrohttpd may have answered by itself (431, 414, 400) */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        if (ci && ci->http_status >= 400 && ci->http_status < 600) {
            status_sent = (int)ci->http_status;
            reason = "answered by libmicrohttpd";
        }
    }
    snprintf(status, sizeof status, "%d", status_sent);
    if (status_sent) {
        const char *labels[] = {"method", method, "route", route, "status", status, NULL};
        fc_metric_add(fc_metric_counter("http_requests_total", "HTTP requests answered", labels), 1);
        fc_metric_observe(fc_metric_histogram("http_request_duration_seconds",
                                              "Time from request line to response sent",
                                              labels, latency_buckets,
                                              (int)(sizeof latency_buckets / sizeof latency_buckets[0])),
                          d->seconds);
    } else {
        const char *labels[] = {"reason", reason, NULL};
        fc_metric_add(fc_metric_counter("http_requests_aborted_total",
                                        "Requests that ended without a response", labels),
                      1);
    }
    if (!access_log)
        return status_sent;
    char when[40], path[256], ip[64] = "-";
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in),
                    ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
    log_path(d->path ? d->path : "", path, sizeof path);
    if (status_sent)
        fprintf(stderr, "%s api %s %s %s %d %.2f ms%s%s\n", when, ip, method, path, status_sent,
                d->seconds * 1e3, reason ? " - " : "", reason ? reason : "");
    else
        fprintf(stderr, "%s api %s %s %s - %.2f ms - %s\n", when, ip, method, path,
                d->seconds * 1e3, reason);
    return status_sent;
}
