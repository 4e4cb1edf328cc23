/* server.c - libmicrohttpd glue: daemon start/stop, the per-request exchange
 * (created when the request line arrives, freed when the request completes), the
 * early answers (CORS preflight, 404, 405, 401, 413), body intake, validation and
 * the handler call; each finished request goes to request_log.c. */
#include "api/server.h"

#include "api/access.h"
#include "api/assets.h"
#include "api/docs.h"
#include "api/guard.h"
#include "api/internal.h"
#include "api/metrics.h"
#include "api/mhd_log.h"
#include "api/request_log.h"
#include "core/clock.h"
#include "core/json.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFERRED_WAIT_MS 60000 /* at stop, beyond the grace period */
#define BODY_SLACK (1024 * 1024) /* room for form fields and framing beside a file */

struct fc_api_server {
    struct MHD_Daemon *daemon;
    fc_api_server_opts opts;
    char *host;
    fc_api_list keys, origins;
    fc_api_env env;
    fc_api_guard *guard;
    int port;
    size_t max_total;
    atomic_int in_flight;
    atomic_int deferred; /* suspended connections whose answer is being made */
    atomic_bool stopping;
    fc_metric *in_flight_gauge, *connections_gauge;
};

typedef enum { PHASE_NEW, PHASE_BODY, PHASE_DONE, PHASE_DEFERRED } phase;

/* One request on a connection. */
typedef struct {
    fc_api_server *srv;
    fc_api_request req;
    fc_api_response res;
    fc_api_body body;
    char method[16];
    char *uri; /* path and query, split at '?' in place */
    double t0;
    phase phase;
    bool preflight;
    int status_sent;
    struct MHD_Connection *conn; /* while deferred */
} exchange;

static const char *header_of(const void *conn, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)conn, MHD_HEADER_KIND, name);
}

static fc_api_guard_slot *slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The request's metrics and access-log line (request_log.c). */
static void record(exchange *x, struct MHD_Connection *conn, const char *reason)
{
    fc_api_request_done done = {.route = x->req.match.route ? x->req.match.route->pattern : NULL,
                                .method = x->method,
                                .path = x->req.path,
                                .status = x->status_sent,
                                .seconds = fc_now_s() - x->t0,
                                .reason = reason};
    x->status_sent = fc_api_request_log(&done, conn, x->srv->opts.access_log);
}

/* --- answering -------------------------------------------------------------- */

static enum MHD_Result respond(exchange *x, struct MHD_Connection *conn)
{
    fc_api_response *res = &x->res;
    x->phase = PHASE_DONE;
    if (!res->status)
        fc_api_res_detail(res, 500, "Internal Server Error: the handler gave no response");
    if (!x->preflight)
        fc_api_cors_headers(&x->srv->origins, header_of(conn, "Origin"), res);
    struct MHD_Response *r;
    if (res->fd >= 0) {
        r = MHD_create_response_from_fd64(res->fd_size, res->fd);
        if (r)
            res->fd = -1; /* libmicrohttpd closes it */
    } else {
        r = MHD_create_response_from_buffer(res->len, res->body ? res->body : (void *)"",
                                            res->body ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
        if (r)
            res->body = NULL;
    }
    if (!r)
        return MHD_NO;
    if (res->content_type[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    for (int i = 0; i < res->n_headers; i++)
        MHD_add_response_header(r, res->headers[i][0], res->headers[i][1]);
    if (atomic_load(&x->srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES)
        x->status_sent = res->status;
    return ok;
}

/* A path that only fits with its trailing slash removed: 307 there, as Starlette
 * (500 when out of memory to tell). Returns whether it answered. */
static bool redirect_slash(exchange *x)
{
    size_t n = strlen(x->req.path);
    fc_api_match m;
    if (n < 2 || x->req.path[n - 1] != '/')
        return false;
    char *shorter = strndup(x->req.path, n - 1);
    fc_api_match_result r = shorter ? fc_api_route_match(fc_api_routes, fc_api_n_routes,
                                                         x->method, shorter, &m)
                                    : FC_API_MATCH_NOMEM;
    if (r == FC_API_MATCH_NOMEM) {
        free(shorter);
        fc_api_res_detail(&x->res, 500, "out of memory");
        return true;
    }
    bool fits = r != FC_API_MATCH_NOT_FOUND;
    fc_api_match_free(&m);
    if (fits) {
        size_t cap = n + strlen(x->req.query) + 2;
        char *location = malloc(cap);
        if (location) {
            snprintf(location, cap, "%s%s%s", shorter, x->req.query[0] ? "?" : "", x->req.query);
            fc_api_res_bytes(&x->res, 307, NULL, "", 0);
            fc_api_res_header(&x->res, "Location", location);
            free(location);
        }
    }
    free(shorter);
    return fits;
}

/* The Content-Length headers of a request, seen one by one. */
typedef struct {
    const char *first;
    bool differ; /* a later one says another length */
} lengths_seen;

static enum MHD_Result see_length(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    lengths_seen *seen = cls;
    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
        return MHD_YES;
    if (!seen->first)
        seen->first = value;
    else if (strcmp(seen->first, value))
        seen->differ = true;
    return MHD_YES;
}

/* The first call, headers known: answers at once (returns true with x->res set)
 * or gets the body intake ready. */
static bool begin(exchange *x, struct MHD_Connection *conn, const char *method)
{
    fc_api_server *s = x->srv;
    const char *origin = header_of(conn, "Origin");
    snprintf(x->method, sizeof x->method, "%s", method);
    x->req.method = x->method;
    /* libmicrohttpd reads the body by the first of several Content-Lengths; a proxy
       in front that took another would see another request in the same bytes (request
       smuggling), so, as RFC 9112 6.3 asks and uvicorn does, this is a 400 and the
       connection is closed */
    lengths_seen seen = {NULL, false};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, see_length, &seen);
    if (seen.differ) {
        fc_api_res_detail(&x->res, 400, "Conflicting Content-Length headers");
        fc_api_res_header(&x->res, MHD_HTTP_HEADER_CONNECTION, "close");
        return true;
    }
    if (fc_api_cors_is_preflight(method, origin,
                                 header_of(conn, "Access-Control-Request-Method"))) {
        fc_api_cors_preflight(&s->origins, origin,
                              header_of(conn, "Access-Control-Request-Headers"), &x->res);
        x->preflight = true;
        return true;
    }
    switch (fc_api_route_match(fc_api_routes, fc_api_n_routes, method, x->req.path,
                               &x->req.match)) {
    case FC_API_MATCH_NOT_FOUND:
        if (!redirect_slash(x))
            fc_api_res_detail(&x->res, 404, "Not Found");
        return true;
    case FC_API_MATCH_BAD_METHOD:
        fc_api_res_detail(&x->res, 405, "Method Not Allowed");
        fc_api_res_header(&x->res, "Allow", x->req.match.allow);
        return true;
    case FC_API_MATCH_NOMEM:
        fc_api_res_detail(&x->res, 500, "out of memory");
        return true;
    case FC_API_MATCH_OK:
        break;
    }
    if (!(x->req.match.route->flags & FC_API_PUBLIC) &&
        !fc_api_key_ok(&s->keys, header_of(conn, "X-API-Key"))) {
        fc_api_res_detail(&x->res, 401, "Invalid or missing API key");
        return true;
    }
    const char *length = header_of(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(length, &end, 10);
        if (errno || end == length || n > s->max_total) {
            fc_api_res_detail(&x->res, 413,
                              "Request body too large: at most %zu bytes (a file of up to "
                              "MAX_IMAGE_SIZE_BYTES = %zu, plus 1 MiB for the other fields)",
                              s->max_total, s->opts.max_upload_bytes);
            return true;
        }
    }
    int st = fc_api_body_begin(&x->body, &x->req, header_of(conn, MHD_HTTP_HEADER_CONTENT_TYPE),
                               s->opts.max_upload_bytes, s->max_total);
    if (st) {
        fc_api_res_detail(&x->res, st, "%s", x->body.detail);
        return true;
    }
    fc_error err = {0};
    if (fc_api_req_parse_query(&x->req, &err)) {
        fc_api_res_detail(&x->res, 500, "%s", err.msg);
        return true;
    }
    return false;
}

/* The last call, body complete: validate and run the handler. */
static void finish(exchange *x)
{
    int st = fc_api_body_end(&x->body);
    if (st)
        return fc_api_res_detail(&x->res, st, "%s", x->body.detail);
    if (fc_api_validate(&x->req, &x->res))
        return;
    x->req.match.route->handler(&x->req, &x->res);
}

/* A deferred answer (fc_api_res_defer): made on a thread of its own while the
 * connection is suspended, then the connection is resumed and on_request queues
 * it. fc_api_server_stop waits for these before stopping the daemon (MHD must not
 * be stopped with a connection suspended). */
static void *deferred_main(void *arg)
{
    exchange *x = arg;
    fc_api_server *s = x->srv;
    fc_api_deferred_fn *fn = x->res.defer_fn;
    x->res.defer_fn = NULL;
    fn(x->res.defer_arg, &x->res);
    MHD_resume_connection(x->conn);
    atomic_fetch_sub(&s->deferred, 1);
    return NULL;
}

static enum MHD_Result defer(exchange *x, struct MHD_Connection *conn)
{
    pthread_t t;
    pthread_attr_t attr;
    x->phase = PHASE_DEFERRED;
    x->conn = conn;
    atomic_fetch_add(&x->srv->deferred, 1);
    MHD_suspend_connection(conn);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&t, &attr, deferred_main, x);
    pthread_attr_destroy(&attr);
    if (failed) /* no thread: make the answer here, blocking this one */
        deferred_main(x);
    return MHD_YES;
}

/* --- libmicrohttpd callbacks ------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    exchange *x = *con_cls;
    (void)cls, (void)url, (void)version;
    if (!x)
        return MHD_NO; /* on_uri ran out of memory */
    if (x->phase == PHASE_NEW) {
        x->phase = PHASE_BODY;
        return begin(x, conn, method) ? respond(x, conn) : MHD_YES;
    }
    if (x->phase == PHASE_DONE) { /* an early answer is queued: drop what still comes */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (x->phase == PHASE_DEFERRED) /* resumed: the deferred answer is made */
        return respond(x, conn);
    if (*upload_data_size) {
        fc_api_body_feed(&x->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* Past the limit without a Content-Length (chunked): no answer can be queued
         * mid-body, so the connection is closed. */
        return x->body.total > x->body.max_total ? MHD_NO : MHD_YES;
    }
    fc_api_guard_disarm(x->srv->guard, slot_of(conn));
    finish(x);
    return x->res.defer_fn ? defer(x, conn) : respond(x, conn);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    fc_api_server *s = cls;
    exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->uri = strdup(uri ? uri : "");
    if (!x->uri) {
        free(x);
        return NULL;
    }
    x->srv = s;
    x->t0 = fc_now_s();
    fc_api_req_init(&x->req);
    fc_api_res_init(&x->res);
    char *q = strchr(x->uri, '?');
    if (q) {
        *q = '\0';
        x->req.query = q + 1;
    }
    x->req.path = x->uri;
    x->req.app = s->opts.app;
    x->req.env = &s->env;
    x->req.header = header_of;
    x->req.conn = conn;
    fc_metric_set(s->in_flight_gauge, (double)(atomic_fetch_add(&s->in_flight, 1) + 1));
    fc_api_guard_arm(s->guard, slot_of(conn));
    return x;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    fc_api_server *s = cls;
    exchange *x = *con_cls;
    if (!x)
        return;
    *con_cls = NULL;
    const char *reason = NULL;
    if (fc_api_guard_expired(s->guard, slot_of(conn)))
        reason = "receive deadline passed";
    else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        reason = fc_api_termination_reason(toe);
    record(x, conn, reason);
    fc_api_guard_arm(s->guard, slot_of(conn)); /* waiting for the next request */
    fc_metric_set(s->in_flight_gauge, (double)(atomic_fetch_sub(&s->in_flight, 1) - 1));
    fc_api_body_free(&x->body);
    fc_api_req_clear(&x->req);
    fc_api_res_clear(&x->res);
    free(x->uri);
    free(x);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    fc_api_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? fc_api_guard_open(s->guard, ci->connect_fd) : NULL;
        fc_metric_add(s->connections_gauge, 1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        fc_api_guard_close(s->guard, *socket_context);
        *socket_context = NULL;
        fc_metric_add(s->connections_gauge, -1);
    }
}

/* --- lifecycle ---------------------------------------------------------------- */

/* An unsigned number from the environment, or def (with a warning when malformed). */
static unsigned long long env_number(const char *name, unsigned long long def)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || v[0] == '-') {
        fprintf(stderr, "api: ignoring %s=%s (not a number), using %llu\n", name, v, def);
        return def;
    }
    return n;
}

void fc_api_server_opts_init(fc_api_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "0.0.0.0";
    o->port = 8000;
    o->max_upload_bytes = (size_t)env_number("MAX_IMAGE_SIZE_BYTES", 10 * 1024 * 1024);
    o->idle_timeout_s = (unsigned)env_number("FC_HTTP_IDLE_TIMEOUT", 15);
    o->request_timeout_s = (unsigned)env_number("FC_HTTP_REQUEST_TIMEOUT", 60);
    o->conn_memory_limit = 64 * 1024;
    o->max_connections = (unsigned)env_number("FC_HTTP_MAX_CONNECTIONS", 1000);
    if (o->max_connections == 0) /* would refuse every client */
        o->max_connections = 1000;
    o->per_ip_connections = (unsigned)env_number("FC_HTTP_PER_IP_CONNECTIONS", 0);
    o->api_keys = getenv("API_KEYS");
    o->cors_origins = getenv("CORS_ORIGINS");
    o->assets_dir = getenv("FC_WEB_ASSETS");
    const char *log = getenv("FC_HTTP_ACCESS_LOG");
    o->access_log = !(log && !strcmp(log, "0"));
}

static void server_free(fc_api_server *s)
{
    fc_api_guard_stop(s->guard);
    fc_api_list_free(&s->keys);
    fc_api_list_free(&s->origins);
    free(s->env.openapi);
    free(s->env.swagger_dir);
    free(s->env.redoc_dir);
    free(s->host);
    free(s);
}

/* The first address host resolves to, for binding. */
static fc_status resolve(const char *host, int port, struct sockaddr_storage *addr, fc_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *found = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc || !found)
        return fc_error_set(err, FC_ERR_ARG, "cannot resolve host '%s': %s", host,
                            rc ? gai_strerror(rc) : "no address");
    memcpy(addr, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    return FC_OK;
}

fc_api_server *fc_api_server_start(const fc_api_server_opts *opts, fc_error *err)
{
    struct sockaddr_storage addr = {0};
    if (opts->port < 0 || opts->port > 65535) {
        fc_error_set(err, FC_ERR_ARG, "port %d is not in 0..65535", opts->port);
        return NULL;
    }
    if (opts->max_upload_bytes < 1 || opts->max_upload_bytes > ((size_t)1 << 40)) {
        fc_error_set(err, FC_ERR_ARG, "MAX_IMAGE_SIZE_BYTES must be in 1..2^40");
        return NULL;
    }
    const char *host = opts->host && *opts->host ? opts->host : "0.0.0.0";
    if (resolve(host, opts->port, &addr, err))
        return NULL;
    fc_api_server *s = calloc(1, sizeof *s);
    if (!s) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->opts = *opts;
    s->host = strdup(host);
    s->max_total = opts->max_upload_bytes + BODY_SLACK;
    s->env.app = opts->app;
    s->env.health = opts->health;
    json_t *openapi = fc_api_openapi(fc_api_routes, fc_api_n_routes);
    s->env.openapi = openapi ? fc_json_dump(openapi, FC_API_JSON_FLAGS) : NULL;
    json_decref(openapi);
    s->env.openapi_len = s->env.openapi ? strlen(s->env.openapi) : 0;
    fc_api_assets_find(opts->assets_dir, &s->env.swagger_dir, &s->env.redoc_dir);
    s->guard = fc_api_guard_start(opts->request_timeout_s);
    s->in_flight_gauge = fc_metric_gauge("http_requests_in_flight",
                                         "Requests received or being answered", NULL);
    s->connections_gauge = fc_metric_gauge("http_connections_open", "Open HTTP connections", NULL);
    if (!s->host || !s->env.openapi || !s->guard || fc_api_list_parse(&s->keys, opts->api_keys) ||
        fc_api_list_parse(&s->origins, opts->cors_origins)) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory starting the server");
        server_free(s);
        return NULL;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = opts->threads > 0 ? (unsigned)opts->threads : cpus > 0 ? (unsigned)cpus : 1;
    /* poll(), not epoll (what MHD_USE_AUTO picks on Linux): libmicrohttpd 0.9.75's
     * MHD_quiesce_daemon races a worker thread's MHD_epoll to take the listening socket
     * out of the epoll set, and the loser aborts the process ("Failed to remove listen
     * FD from epoll set"): seen in 1 of 30 SIGTERMs under load, killing the server
     * mid-request. With poll() quiescing signals the workers instead; /health
     * throughput is the same (wrk, 64 connections: 43.8-45.2k req/s, epoll 35.8-43.8k). */
    unsigned flags = MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        fc_api_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        opts->conn_memory_limit, MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->per_ip_connections,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, s, MHD_OPTION_END);
    if (!s->daemon) {
        fc_error_set(err, FC_ERR_IO, "cannot listen on %s:%d (in use, or not an address of "
                     "this machine)", host, opts->port);
        server_free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    return s;
}

int fc_api_server_port(const fc_api_server *s)
{
    return s ? s->port : 0;
}

void fc_api_server_stop(fc_api_server *s, unsigned grace_ms)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    for (unsigned waited = 0; atomic_load(&s->in_flight) > 0 && waited < grace_ms; waited += 10)
        usleep(10 * 1000);
    /* A suspended connection must be resumed before MHD_stop_daemon: wait for the
     * deferred answers (the caller made them end, e.g. by cancelling jobs). */
    for (unsigned waited = 0; atomic_load(&s->deferred) > 0 && waited < DEFERRED_WAIT_MS;
         waited += 10)
        usleep(10 * 1000);
    if (atomic_load(&s->deferred) > 0)
        fprintf(stderr, "serve: %d deferred answers still pending at stop\n",
                atomic_load(&s->deferred));
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
