/* serve.c - `facecluster serve`: opens the application (configuration, store,
 * vectors, source, models, job threads), runs the HTTP API (API.md) until SIGTERM
 * or SIGINT, then cancels the jobs (their runs end "failed"), stops accepting, lets
 * requests in flight finish and exits 0. */
#include "cli/cli.h"

#include "api/app.h"
#include "api/server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRACE_MS 10000

static const char usage_text[] =
    "usage: facecluster serve [--host H] [--port P] [--threads N]\n"
    "\n"
    "Serves the HTTP API until SIGTERM or SIGINT; then stops accepting connections,\n"
    "lets requests in flight finish (up to 10 s) and exits 0. /docs and /redoc show\n"
    "every route; /openapi.json describes them.\n"
    "\n"
    "  --host H      address to listen on (default 0.0.0.0)\n"
    "  --port P      port (default 8000; 0 picks a free one, printed at start)\n"
    "  --threads N   request threads (default: one per CPU)\n"
    "\n"
    "environment:\n"
    "  API_KEYS                 comma-separated keys; when set, every route but /health,\n"
    "                           /docs, /redoc, /openapi.json and /static/ needs X-API-Key\n"
    "  CORS_ORIGINS             comma-separated allowed origins (default *)\n"
    "  MAX_IMAGE_SIZE_BYTES     largest uploaded file (default 10485760); larger: 413\n"
    "  FC_HTTP_IDLE_TIMEOUT     seconds before an idle connection is closed (default 15)\n"
    "  FC_HTTP_REQUEST_TIMEOUT  seconds a client has to send a whole request (default 60)\n"
    "  FC_HTTP_ACCESS_LOG=0     no access log (default: one line per request on stderr)\n"
    "  FC_HTTP_MAX_CONNECTIONS  connections open at once (default 1000)\n"
    "  FC_HTTP_PER_IP_CONNECTIONS  of those, from one address (default 0: no limit)\n"
    "  FC_DATA_DIR              the embedded database's folder (default data/)\n"
    "  LOCAL_STORAGE_PATH       root of the local image buckets (default $FC_DATA_DIR/buckets)\n"
    "  FC_MODELS_DIR            the models (default models/); see API.md for the rest\n"
    "  FC_WEB_ASSETS            folder with swagger-ui-dist/ and redoc/ (default: the\n"
    "                           node_modules/ that scripts/setup fills, found from\n"
    "                           FC_ROOT or the binary's location)\n";

/* A whole decimal number in [lo, hi] from text, into *out; -1 when it is not. */
static int parse_int(const char *text, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int fc_cli_serve(int argc, char **argv)
{
    fc_api_server_opts opts;
    fc_api_server_opts_init(&opts);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(arg, "--host") && value) {
            opts.host = value;
        } else if (!strcmp(arg, "--port") && value && !parse_int(value, 0, 65535, &opts.port)) {
        } else if (!strcmp(arg, "--threads") && value && !parse_int(value, 1, 1024, &opts.threads)) {
        } else {
            int known = !strcmp(arg, "--host") || !strcmp(arg, "--port") || !strcmp(arg, "--threads");
            fprintf(stderr, "facecluster serve: %s '%s'%s\n%s",
                    known ? "bad value for" : "unknown argument", arg,
                    known && !value ? " (a value must follow)" : "", usage_text);
            return 2;
        }
        i++;
    }

    /* SIGTERM/SIGINT are taken by sigwait below: block them before the server's
     * threads start, so that they inherit the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    fc_error err = {0};
    fc_app *app = fc_app_open(&err);
    if (!app) {
        fprintf(stderr, "facecluster serve: cannot start: %s\n", err.msg);
        return 1;
    }
    opts.app = app;
    opts.health = fc_app_health;
    fc_api_server *server = fc_api_server_start(&opts, &err);
    if (!server) {
        fprintf(stderr, "facecluster serve: %s\n", err.msg);
        fc_app_close(app);
        return 1;
    }
    int v6 = strchr(opts.host, ':') != NULL; /* an IPv6 address goes in brackets */
    fprintf(stderr, "serve: listening on http://%s%s%s:%d (docs at /docs)\n", v6 ? "[" : "",
            opts.host, v6 ? "]" : "", fc_api_server_port(server));
    int sig = 0;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "serve: %s: finishing requests in flight, then exiting\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    fc_app_cancel_jobs(app); /* waiting requests get their answer as jobs stop */
    fc_api_server_stop(server, GRACE_MS);
    fc_app_close(app);
    fprintf(stderr, "serve: stopped\n");
    return 0;
}
