/* server.h - the HTTP server: libmicrohttpd with its own thread pool, serving the
 * route table of routes.c. Bounded per connection (memory, idle time, time to
 * receive a request, body size), API keys, CORS, one access-log line per request on
 * stderr, Prometheus metrics, graceful stop.
 *
 *   fc_api_server_opts o;
 *   fc_api_server_opts_init(&o);          // defaults + environment
 *   o.port = 8080;
 *   fc_error err = {0};
 *   fc_api_server *s = fc_api_server_start(&o, &err);
 *   ...
 *   fc_api_server_stop(s, 10000);         // finish requests in flight, then close
 */
#ifndef FC_API_SERVER_H
#define FC_API_SERVER_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

/* What /health reports about the backends (static strings or owned by the app). */
typedef struct {
    const char *database;     /* "connected", "disconnected", "not configured", ... */
    const char *vector_store;
    const char *error;        /* NULL when all is well */
} fc_api_health_report;

/* Fills out (pre-set to "not configured"); called per /health request, on any
 * server thread. */
typedef void fc_api_health_fn(void *app, fc_api_health_report *out);

typedef struct {
    const char *host;           /* bind address; default "0.0.0.0" */
    int port;                   /* default 8000; 0 picks a free port (fc_api_server_port) */
    int threads;                /* polling threads; <= 0: one per CPU */
    size_t max_upload_bytes;    /* an uploaded file; env MAX_IMAGE_SIZE_BYTES, else 10 MiB */
    unsigned idle_timeout_s;    /* close an idle connection; env FC_HTTP_IDLE_TIMEOUT, else 15 */
    unsigned request_timeout_s; /* time to receive one request's headers and body; env
                                 * FC_HTTP_REQUEST_TIMEOUT, else 60 */
    size_t conn_memory_limit;   /* per connection (headers beyond it: 431); 64 KiB */
    unsigned max_connections;   /* open at once; env FC_HTTP_MAX_CONNECTIONS, else 1000 */
    unsigned per_ip_connections; /* open at once from one address (more are closed at
                                  * once); env FC_HTTP_PER_IP_CONNECTIONS, else 0: no
                                  * limit (behind a proxy every client is one address) */
    const char *api_keys;       /* comma-separated; NULL/"" = open; env API_KEYS */
    const char *cors_origins;   /* comma-separated; NULL/"" = "*"; env CORS_ORIGINS */
    const char *assets_dir;     /* holds swagger-ui-dist/ and redoc/; env FC_WEB_ASSETS, else
                                 * $FC_ROOT/node_modules, <binary>/../../node_modules,
                                 * ./node_modules */
    bool access_log;            /* one line per request on stderr; env FC_HTTP_ACCESS_LOG=0 off */
    void *app;                  /* handed to handlers (fc_api_req_app) and health */
    fc_api_health_fn *health;   /* NULL: database and vector_store "not configured" */
} fc_api_server_opts;

/* Defaults, then the environment variables named above. Strings point into the
 * environment: keep it unchanged while the server runs. */
void fc_api_server_opts_init(fc_api_server_opts *opts);

typedef struct fc_api_server fc_api_server;

/* Starts listening and serving on background threads. Returns NULL with err set
 * when the address cannot be bound or an option is invalid. */
fc_api_server *fc_api_server_start(const fc_api_server_opts *opts, fc_error *err);

/* The port actually bound. */
int fc_api_server_port(const fc_api_server *s);

/* Stops accepting connections, lets requests in flight finish for up to grace_ms,
 * closes the rest and frees everything. NULL is a no-op. */
void fc_api_server_stop(fc_api_server *s, unsigned grace_ms);

#endif
