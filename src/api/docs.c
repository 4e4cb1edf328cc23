/* docs.c - /openapi.json generated from the route table, and the two viewers
 * FastAPI serves: /docs (Swagger UI) and /redoc, loading their scripts from our own
 * /static/ routes (assets.c), never from a CDN. */
#include "api/docs.h"

#include "api/handlers.h"
#include "api/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_lower[FC_API_METHOD_COUNT] = {"get", "post", "put", "delete"};
static const char *const in_names[] = {"path", "query", "formData"};

/* "bucket_name" -> "Bucket Name" (FastAPI's titles). */
static void title_of(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    int start = 1;
    for (const char *p = name; *p && n + 1 < cap; p++) {
        char c = *p == '_' ? ' ' : *p;
        out[n++] = start && islower((unsigned char)c) ? (char)toupper((unsigned char)c) : c;
        start = c == ' ';
    }
    out[n] = '\0';
}

/* FastAPI's operation id: name + path + method, non-word characters as '_'. */
static void operation_id(const fc_api_route *r, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s_%s", r->name, r->pattern, method_lower[r->method]);
    for (int i = 0; i < n && (size_t)i < cap; i++)
        if (!isalnum((unsigned char)out[i]) && out[i] != '_')
            out[i] = '_';
}

static json_t *typed(fc_api_type type, const char *text)
{
    switch (type) {
    case FC_API_INT:
        return json_integer(strtoll(text, NULL, 10));
    case FC_API_FLOAT:
        return json_real(strtod(text, NULL));
    case FC_API_BOOL:
        return json_boolean(!strcmp(text, "true"));
    default:
        return json_string(text);
    }
}

static json_t *param_schema(const fc_api_param *p)
{
    static const char *const type_names[] = {"string", "integer", "number", "boolean", "string"};
    char title[128];
    title_of(p->name, title, sizeof title);
    json_t *s = json_pack("{s:s,s:s}", "title", title, "type", type_names[p->type]);
    if (!s)
        return NULL;
    if (p->type == FC_API_FILE)
        json_object_set_new(s, "format", json_string("binary"));
    if (p->def)
        json_object_set_new(s, "default", typed(p->type, p->def));
    if (p->ge)
        json_object_set_new(s, "minimum", typed(p->type, p->ge));
    if (p->le)
        json_object_set_new(s, "maximum", typed(p->type, p->le));
    if (p->max_length)
        json_object_set_new(s, "maxLength", json_integer(p->max_length));
    if (p->pattern)
        json_object_set_new(s, "pattern", json_string(p->pattern));
    if (p->description)
        json_object_set_new(s, "description", json_string(p->description));
    return s;
}

/* The form parameters as a components schema; NULL when the route has none. */
static json_t *form_schema(const fc_api_route *r, const char *title, bool *required, bool *file)
{
    json_t *props = NULL, *req = json_array();
    *required = *file = false;
    for (int i = 0; i < r->n_params; i++) {
        const fc_api_param *p = &r->params[i];
        if (p->in != FC_API_IN_FORM)
            continue;
        if (!props)
            props = json_object();
        json_object_set_new(props, p->name, param_schema(p));
        if (p->required) {
            json_array_append_new(req, json_string(p->name));
            *required = true;
        }
        *file |= p->type == FC_API_FILE;
    }
    if (!props) {
        json_decref(req);
        return NULL;
    }
    json_t *s = json_pack("{s:s,s:s,s:o}", "title", title, "type", "object", "properties", props);
    if (s && json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    return s;
}

static json_t *responses(const fc_api_route *r)
{
    char code[8];
    json_t *out = json_object();
    json_t *schema = r->media && strcmp(r->media, "application/json")
                         ? json_pack("{s:s}", "type", "string")
                         : json_object();
    snprintf(code, sizeof code, "%d", r->success ? r->success : 200);
    json_object_set_new(out, code,
                        json_pack("{s:s,s:{s:{s:o}}}", "description",
                                  r->returns ? r->returns : "Successful Response", "content",
                                  r->media ? r->media : "application/json", "schema", schema));
    for (int i = 0; i < r->n_errors; i++) {
        snprintf(code, sizeof code, "%d", r->errors[i].status);
        json_t *body = r->errors[i].status < 300 ? json_object()
                                                  : json_pack("{s:{s:{s:s}}}", "properties",
                                                              "detail", "type", "string");
        json_object_set_new(out, code,
                            json_pack("{s:s,s:{s:{s:o}}}", "description",
                                      r->errors[i].description, "content", "application/json",
                                      "schema", body));
    }
    if (r->n_params)
        json_object_set_new(out, "422",
                            json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "Validation Error",
                                      "content", "application/json", "schema", "$ref",
                                      "#/components/schemas/HTTPValidationError"));
    return out;
}

static json_t *operation(const fc_api_route *r, json_t *schemas)
{
    char id[256], summary[128], body_name[300];
    operation_id(r, id, sizeof id);
    title_of(r->name, summary, sizeof summary);
    json_t *op = json_pack("{s:s,s:s}", "summary", r->summary ? r->summary : summary,
                           "operationId", id);
    if (!op)
        return NULL;
    if (r->tag)
        json_object_set_new(op, "tags", json_pack("[s]", r->tag));
    if (r->description)
        json_object_set_new(op, "description", json_string(r->description));
    json_t *params = json_array();
    for (int i = 0; i < r->n_params; i++) {
        const fc_api_param *p = &r->params[i];
        if (p->in == FC_API_IN_FORM)
            continue;
        json_t *jp = json_pack("{s:s,s:s,s:b,s:o}", "name", p->name, "in", in_names[p->in],
                               "required", p->required || p->in == FC_API_IN_PATH, "schema",
                               param_schema(p));
        if (jp && p->description)
            json_object_set_new(jp, "description", json_string(p->description));
        json_array_append_new(params, jp);
    }
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    bool required, file;
    snprintf(body_name, sizeof body_name, "Body_%s", id);
    json_t *form = form_schema(r, body_name, &required, &file);
    if (form) {
        json_object_set_new(schemas, body_name, form);
        char ref[340];
        snprintf(ref, sizeof ref, "#/components/schemas/%s", body_name);
        json_object_set_new(op, "requestBody",
                            json_pack("{s:{s:{s:{s:s}}},s:b}", "content",
                                      file ? "multipart/form-data"
                                           : "application/x-www-form-urlencoded",
                                      "schema", "$ref", ref, "required", required));
    }
    json_object_set_new(op, "responses", responses(r));
    if (r->flags & FC_API_DEPRECATED)
        json_object_set_new(op, "deprecated", json_true());
    if (!(r->flags & FC_API_PUBLIC))
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "APIKeyHeader"));
    return op;
}

static json_t *validation_schemas(void)
{
    return json_pack(
        "{s:{s:s,s:s,s:{s:{s:s,s:s,s:{s:s}}}},"
        " s:{s:s,s:[s,s,s],s:s,s:{s:{s:s,s:s,s:{s:[{s:s},{s:s}]}},s:{s:s,s:s},s:{s:s,s:s}}}}",
        "HTTPValidationError", "title", "HTTPValidationError", "type", "object", "properties",
        "detail", "title", "Detail", "type", "array", "items", "$ref",
        "#/components/schemas/ValidationError",
        "ValidationError", "title", "ValidationError", "required", "loc", "msg", "type", "type",
        "object", "properties", "loc", "title", "Location", "type", "array", "items", "anyOf",
        "type", "string", "type", "integer", "msg", "title", "Message", "type", "string", "type",
        "title", "Error Type", "type", "string");
}

json_t *fc_api_openapi(const fc_api_route *routes, int n_routes)
{
    json_t *paths = json_object(), *schemas = validation_schemas();
    for (int i = 0; paths && schemas && i < n_routes; i++) {
        const fc_api_route *r = &routes[i];
        if (r->flags & FC_API_HIDDEN)
            continue;
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        json_object_set_new(item, method_lower[r->method], operation(r, schemas));
    }
    return json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:o,s:{s:o,s:{s:{s:s,s:s,s:s,s:s}}}}", "openapi", "3.0.3", "info",
        "title", FC_API_TITLE, "version", FC_API_VERSION, "description",
        "facecluster: face detection, person clustering across images and assignment of "
        "persons to enrolled users. When the server has API_KEYS set, every route but "
        "/health and the documentation needs the header X-API-Key.",
        "paths", paths, "components", "schemas", schemas, "securitySchemes", "APIKeyHeader",
        "type", "apiKey", "in", "header", "name", "X-API-Key", "description",
        "One of the keys in the server's API_KEYS (only when it is set)");
}

void fc_api_openapi_json(const fc_api_request *req, fc_api_response *res)
{
    if (req->env && req->env->openapi)
        return fc_api_res_bytes(res, 200, "application/json", req->env->openapi,
                                req->env->openapi_len);
    fc_api_res_json(res, 200, fc_api_openapi(fc_api_routes, fc_api_n_routes));
}

static void html(fc_api_response *res, const char *page)
{
    fc_api_res_bytes(res, 200, "text/html; charset=utf-8", page, strlen(page));
}

void fc_api_swagger_ui(const fc_api_request *req, fc_api_response *res)
{
    (void)req;
    html(res, "<!DOCTYPE html>\n<html>\n<head>\n"
              "<link type=\"text/css\" rel=\"stylesheet\" href=\"/static/swagger-ui/swagger-ui.css\">\n"
              "<link rel=\"shortcut icon\" href=\"/static/swagger-ui/favicon-32x32.png\">\n"
              "<title>" FC_API_TITLE " - Swagger UI</title>\n</head>\n<body>\n"
              "<div id=\"swagger-ui\">\n</div>\n"
              "<script src=\"/static/swagger-ui/swagger-ui-bundle.js\"></script>\n"
              "<script>\nconst ui = SwaggerUIBundle({\n"
              "    url: '/openapi.json',\n"
              "    \"dom_id\": \"#swagger-ui\",\n"
              "    \"layout\": \"BaseLayout\",\n"
              "    \"deepLinking\": true,\n"
              "    \"showExtensions\": true,\n"
              "    \"showCommonExtensions\": true,\n"
              "    \"persistAuthorization\": true,\n"
              "    oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect',\n"
              "    presets: [\n"
              "        SwaggerUIBundle.presets.apis,\n"
              "        SwaggerUIBundle.SwaggerUIStandalonePreset\n"
              "    ],\n})\n</script>\n</body>\n</html>\n");
}

void fc_api_redoc(const fc_api_request *req, fc_api_response *res)
{
    (void)req;
    html(res, "<!DOCTYPE html>\n<html>\n<head>\n"
              "<title>" FC_API_TITLE " - ReDoc</title>\n"
              "<meta charset=\"utf-8\"/>\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<link rel=\"shortcut icon\" href=\"/static/swagger-ui/favicon-32x32.png\">\n"
              "<style>\n  body {\n    margin: 0;\n    padding: 0;\n  }\n</style>\n"
              "</head>\n<body>\n"
              "<noscript>\n    ReDoc requires Javascript to function. Please enable it to "
              "browse the documentation.\n</noscript>\n"
              "<redoc spec-url=\"/openapi.json\"></redoc>\n"
              "<script src=\"/static/redoc/redoc.standalone.js\"> </script>\n"
              "</body>\n</html>\n");
}
