/* service.c - the service routes: /health, /metrics, and the 501 placeholder of
 * routes whose handler is still to be written. */
#include "api/handlers.h"
#include "api/internal.h"
#include "api/metrics.h"

#include <stdlib.h>

void fc_api_health(const fc_api_request *req, fc_api_response *res)
{
    fc_api_health_report h = {"not configured", "not configured", NULL};
    if (req->env && req->env->health)
        req->env->health(req->env->app, &h);
    const char *db = h.database ? h.database : "unknown";
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "status",
                             h.error ? "unhealthy" : "healthy", "database", db, "vector_store",
                             h.vector_store ? h.vector_store : "unknown", "version",
                             FC_API_VERSION, "beanie_database", db, "mongoengine_database", db);
    if (body && h.error)
        json_object_set_new(body, "error", json_string(h.error));
    fc_api_res_json(res, 200, body);
}

void fc_api_metrics(const fc_api_request *req, fc_api_response *res)
{
    size_t len = 0;
    char *text = fc_metrics_render(&len);
    (void)req;
    if (!text)
        return fc_api_res_detail(res, 500, "out of memory");
    fc_api_res_take(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

void fc_api_not_implemented(const fc_api_request *req, fc_api_response *res)
{
    (void)req;
    fc_api_res_detail(res, 501, "not implemented yet");
}
