/* test_api_service.c - the metrics registry, API keys and CORS, static asset
 * names, and /openapi.json rendered from the table. */
#include "api/access.h"
#include "api/assets.h"
#include "api/docs.h"
#include "api/internal.h"
#include "api/metrics.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

TEST(api_metrics_render)
{
    fc_metric *c = fc_metric_counter("test_api_jobs_total", "Jobs\\done\nby kind",
                                     (const char *[]){"kind", "a\"b\\c\nd", NULL});
    CHECK(c);
    CHECK(c == fc_metric_counter("test_api_jobs_total", "Jobs", (const char *[]){"kind", "a\"b\\c\nd", NULL}));
    fc_metric_add(c, 2);
    fc_metric_add(c, -1); /* counters only go up */
    CHECK(fc_metric_value(c) == 2);
    CHECK(!fc_metric_gauge("test_api_jobs_total", "clash", NULL));
    fc_metric *g = fc_metric_gauge("test_api_queue", "Queued", NULL);
    fc_metric_set(g, 5);
    fc_metric_add(g, -2);
    static const double bounds[] = {0.005, 0.1, 1};
    fc_metric *h = fc_metric_histogram("test_api_seconds", "Latency", (const char *[]){"m", "x", NULL},
                                       bounds, 3);
    fc_metric_observe(h, 0.001);
    fc_metric_observe(h, 0.5);
    fc_metric_observe(h, 7);
    fc_metric_add(NULL, 1); /* NULL is ignored */
    size_t len;
    char *text = fc_metrics_render(&len);
    CHECK(text && strlen(text) == len);
    static const char *const want[] = {
        "# HELP test_api_jobs_total Jobs\\\\done\\nby kind\n# TYPE test_api_jobs_total counter\n",
        "test_api_jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 2\n",
        "# TYPE test_api_queue gauge\ntest_api_queue 3\n",
        "# TYPE test_api_seconds histogram\n",
        "test_api_seconds_bucket{m=\"x\",le=\"0.005\"} 1\n",
        "test_api_seconds_bucket{m=\"x\",le=\"0.1\"} 1\n",
        "test_api_seconds_bucket{m=\"x\",le=\"1\"} 2\n",
        "test_api_seconds_bucket{m=\"x\",le=\"+Inf\"} 3\n",
        "test_api_seconds_sum{m=\"x\"} 7.501\n",
        "test_api_seconds_count{m=\"x\"} 3\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i])) {
            fc_test_fail(__FILE__, __LINE__, "missing %s in:\n%s", want[i], text);
            free(text);
            return FC_TEST_FAIL;
        }
    free(text);
    return FC_TEST_PASS;
}

TEST(api_access_keys_and_cors)
{
    fc_api_list keys, origins, none;
    CHECK(fc_api_list_parse(&keys, " k1 ,, k2,") == 0 && keys.n == 2);
    CHECK(!strcmp(keys.items[0], "k1") && !strcmp(keys.items[1], "k2"));
    CHECK(fc_api_key_ok(&keys, "k2") && !fc_api_key_ok(&keys, "k") && !fc_api_key_ok(&keys, "k22"));
    CHECK(!fc_api_key_ok(&keys, NULL) && !fc_api_key_ok(&keys, ""));
    CHECK(fc_api_list_parse(&none, NULL) == 0 && fc_api_key_ok(&none, NULL));
    CHECK(fc_api_list_parse(&origins, "https://a.example, https://b.example") == 0);
    fc_api_response res;
    fc_api_res_init(&res);
    fc_api_cors_headers(&origins, "https://b.example", &res);
    int ok = res.n_headers == 3 && !strcmp(res.headers[0][1], "https://b.example");
    fc_api_res_clear(&res);
    fc_api_cors_headers(&origins, "https://evil.example", &res);
    ok = ok && res.n_headers == 0;
    fc_api_cors_headers(&none, "https://any.example", &res);
    ok = ok && res.n_headers == 1 && !strcmp(res.headers[0][1], "*");
    fc_api_res_clear(&res);
    fc_api_cors_preflight(&origins, "https://evil.example", NULL, &res);
    ok = ok && res.status == 400;
    fc_api_res_clear(&res);
    fc_api_cors_preflight(&origins, "https://a.example", "x-api-key", &res);
    ok = ok && res.status == 200;
    fc_api_res_clear(&res);
    fc_api_list_free(&keys);
    fc_api_list_free(&origins);
    fc_api_list_free(&none);
    CHECK(ok);
    CHECK(fc_api_cors_is_preflight("OPTIONS", "o", "GET") && !fc_api_cors_is_preflight("OPTIONS", "o", NULL));
    return FC_TEST_PASS;
}

TEST(api_asset_names)
{
    static const char *const good[] = {"swagger-ui.css", "redoc.standalone.js", "a_b-1.map"};
    static const char *const bad[] = {"", ".", "..", ".hidden", "a/b", "..%2f", "a\\b", "a b", "%2e%2e"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_MSG(fc_api_asset_name_ok(good[i], strlen(good[i])), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!fc_api_asset_name_ok(bad[i], strlen(bad[i])), "%s", bad[i]);
    CHECK(!fc_api_asset_name_ok("a\0b", 3));
    return FC_TEST_PASS;
}

TEST(api_openapi_covers_the_table)
{
    json_t *doc = fc_api_openapi(fc_api_routes, fc_api_n_routes);
    CHECK(doc);
    json_t *paths = json_object_get(doc, "paths");
    int failed = !json_is_object(paths) ||
                 strcmp(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    static const char *const lower[] = {"get", "post", "put", "delete"};
    for (int i = 0; !failed && i < fc_api_n_routes; i++) {
        const fc_api_route *r = &fc_api_routes[i];
        json_t *op = json_object_get(json_object_get(paths, r->pattern), lower[r->method]);
        if (r->flags & FC_API_HIDDEN) {
            failed = op != NULL;
            continue;
        }
        size_t n_params = json_array_size(json_object_get(op, "parameters"));
        int n_form = 0;
        for (int k = 0; k < r->n_params; k++)
            n_form += r->params[k].in == FC_API_IN_FORM;
        failed = !op || n_params != (size_t)(r->n_params - n_form) ||
                 (n_form > 0) != (json_object_get(op, "requestBody") != NULL) ||
                 (r->n_params > 0) != (json_object_get(json_object_get(op, "responses"), "422") != NULL);
        if (failed)
            fc_test_fail(__FILE__, __LINE__, "%s %s", lower[r->method], r->pattern);
    }
    json_t *body = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                   "Body_detect_face_detect_face_post");
    json_t *file = json_object_get(json_object_get(body, "properties"), "file");
    failed = failed || !file || strcmp(json_string_value(json_object_get(file, "format")), "binary");
    json_t *batch = json_object_get(
        json_object_get(json_object_get(paths, "/cluster-bucket-persons/{bucket_name}/{sub_bucket}"),
                        "post"),
        "parameters");
    json_t *bs = json_object_get(json_array_get(batch, 3), "schema");
    failed = failed || json_integer_value(json_object_get(bs, "maximum")) != 50 ||
             json_integer_value(json_object_get(bs, "default")) != 30 ||
             strcmp(json_string_value(json_object_get(bs, "title")), "Batch Size");
    json_decref(doc);
    CHECK(!failed);
    return FC_TEST_PASS;
}
