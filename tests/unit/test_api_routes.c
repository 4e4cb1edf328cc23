/* test_api_routes.c - the route table (consistent schemas, no route shadowed) and
 * the matcher (fixed segments before {params}, 404/405, per-segment decoding). */
#include "api/routes.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

/* The concrete path of a pattern with each {param} replaced by "v<i>". */
static void instantiate(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    int k = 0;
    for (const char *p = pattern; *p && n + 8 < cap; p++) {
        if (*p == '{') {
            n += (size_t)snprintf(out + n, cap - n, "v%d", k++);
            p = strchr(p, '}');
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

TEST(api_routes_every_route_reaches_its_row)
{
    for (int i = 0; i < fc_api_n_routes; i++) {
        const fc_api_route *r = &fc_api_routes[i];
        char path[256];
        fc_api_match m;
        instantiate(r->pattern, path, sizeof path);
        fc_api_match_result res = fc_api_route_match(fc_api_routes, fc_api_n_routes,
                                                     fc_api_method_name(r->method), path, &m);
        int ok = res == FC_API_MATCH_OK && m.route == r;
        fc_api_match_free(&m);
        CHECK_MSG(ok, "%s %s (as %s) reaches another row", fc_api_method_name(r->method),
                  r->pattern, path);
    }
    return FC_TEST_PASS;
}

TEST(api_routes_schemas_are_consistent)
{
    for (int i = 0; i < fc_api_n_routes; i++) {
        const fc_api_route *r = &fc_api_routes[i];
        CHECK_MSG(r->handler && r->name && r->pattern[0] == '/', "row %d", i);
        for (int j = 0; j < i; j++)
            CHECK_MSG(fc_api_routes[j].method != r->method || strcmp(fc_api_routes[j].pattern, r->pattern),
                      "%s listed twice", r->pattern);
        /* every {param} of the pattern is a declared path parameter, and back */
        int n_braces = 0, n_path = 0;
        for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
            char name[64];
            const char *end = strchr(p, '}');
            CHECK(end && end - p - 1 < (long)sizeof name);
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
            int k = fc_api_param_index(r, name);
            CHECK_MSG(k >= 0 && r->params[k].in == FC_API_IN_PATH, "%s: {%s} not declared",
                      r->pattern, name);
            n_braces++;
        }
        for (int k = 0; k < r->n_params; k++) {
            const fc_api_param *p = &r->params[k];
            n_path += p->in == FC_API_IN_PATH;
            CHECK_MSG(p->type != FC_API_FILE || p->in == FC_API_IN_FORM, "%s %s", r->pattern, p->name);
            CHECK_MSG(!(p->required && p->def), "%s %s: required with a default", r->pattern, p->name);
            for (int q = 0; q < k; q++)
                CHECK_MSG(strcmp(r->params[q].name, p->name), "%s: %s twice", r->pattern, p->name);
        }
        CHECK_MSG(n_braces == n_path, "%s: path parameters", r->pattern);
    }
    return FC_TEST_PASS;
}

static const char *route_of(const char *method, const char *path)
{
    fc_api_match m;
    static char pattern[128];
    fc_api_match_result r = fc_api_route_match(fc_api_routes, fc_api_n_routes, method, path, &m);
    snprintf(pattern, sizeof pattern, "%s", r == FC_API_MATCH_OK ? m.route->pattern
                                            : r == FC_API_MATCH_BAD_METHOD ? "405" : "404");
    fc_api_match_free(&m);
    return pattern;
}

TEST(api_routes_fixed_before_parameterised)
{
    CHECK(!strcmp(route_of("GET", "/assignments/user/alice"), "/assignments/user/{user_id}"));
    CHECK(!strcmp(route_of("POST", "/assignments/batch"), "/assignments/batch"));
    CHECK(!strcmp(route_of("GET", "/assignments/debug/collections"),
                  "/assignments/debug/collections"));
    CHECK(!strcmp(route_of("GET", "/assignments/debug/test-db-connection"),
                  "/assignments/debug/test-db-connection"));
    CHECK(!strcmp(route_of("GET", "/assignments/debug/collection/x"),
                  "/assignments/debug/collection/{name}"));
    CHECK(!strcmp(route_of("DELETE", "/assignments/clustering/abc"),
                  "/assignments/clustering/{clustering_id}"));
    CHECK(!strcmp(route_of("GET", "/assignments/b/s"), "/assignments/{bucket_name}/{sub_bucket}"));
    CHECK(!strcmp(route_of("POST", "/assignments/b/s"), "/assignments/{bucket_name}/{sub_bucket}"));
    /* a fixed route without the method does not hide a parameterised one that has it */
    CHECK(!strcmp(route_of("POST", "/assignments/user/s"), "/assignments/{bucket_name}/{sub_bucket}"));
    /* decoding happens before comparing fixed segments, as in Starlette */
    CHECK(!strcmp(route_of("GET", "/assignments/%75ser/x"), "/assignments/user/{user_id}"));
    return FC_TEST_PASS;
}

TEST(api_routes_not_found_and_method)
{
    fc_api_match m;
    CHECK(fc_api_route_match(fc_api_routes, fc_api_n_routes, "PUT", "/health", &m) ==
          FC_API_MATCH_BAD_METHOD);
    CHECK_MSG(!strcmp(m.allow, "GET, HEAD"), "allow: %s", m.allow);
    CHECK(fc_api_route_match(fc_api_routes, fc_api_n_routes, "GET", "/debug-profile/x", &m) ==
          FC_API_MATCH_OK);
    fc_api_match_free(&m);
    CHECK(fc_api_route_match(fc_api_routes, fc_api_n_routes, "PATCH", "/debug-profile/x", &m) ==
          FC_API_MATCH_BAD_METHOD);
    CHECK_MSG(!strcmp(m.allow, "GET, HEAD, DELETE"), "allow: %s", m.allow);
    CHECK(!strcmp(route_of("HEAD", "/health"), "/health"));
    static const char *const missing[] = {"/", "", "health", "/health/x", "//health",
                                          "/nope", "/jobs", "/jobs/", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        CHECK_MSG(!strcmp(route_of("GET", missing[i]), "404"), "'%s' -> %s", missing[i],
                  route_of("GET", missing[i]));
    return FC_TEST_PASS;
}

TEST(api_routes_segments_decoded_one_by_one)
{
    fc_api_match m;
    CHECK(fc_api_route_match(fc_api_routes, fc_api_n_routes, "GET",
                             "/person-cluster-status/a%2Fb/%2e%2E", &m) == FC_API_MATCH_OK);
    int ok = m.n_values == 2 && !strcmp(m.values[0], "a/b") && !strcmp(m.values[1], "..");
    fc_api_match_free(&m);
    CHECK(ok);
    CHECK(fc_api_route_match(fc_api_routes, fc_api_n_routes, "GET", "/jobs/a%00b", &m) ==
          FC_API_MATCH_OK);
    ok = m.n_values == 1 && m.lengths[0] == 3 && m.values[0][1] == '\0';
    fc_api_match_free(&m);
    CHECK(ok);
    return FC_TEST_PASS;
}

TEST(api_routes_name_rules)
{
    CHECK(fc_api_valid_bucket("photos", 6));
    CHECK(fc_api_valid_bucket("a.b_c-D9", 8));
    CHECK(fc_api_valid_bucket("...", 3));
    CHECK(!fc_api_valid_bucket(".", 1));
    CHECK(!fc_api_valid_bucket("..", 2));
    CHECK(!fc_api_valid_bucket("", 0));
    CHECK(!fc_api_valid_bucket("a/b", 3));
    CHECK(!fc_api_valid_bucket("a\0b", 3));
    CHECK(!fc_api_valid_bucket("a b", 3));
    CHECK(!fc_api_valid_bucket("caf\xc3\xa9", 5));
    char long_name[130];
    memset(long_name, 'a', 129);
    long_name[129] = '\0';
    CHECK(!fc_api_valid_bucket(long_name, 129));
    CHECK(fc_api_valid_bucket(long_name, 128) == false); /* len must match the string */
    long_name[128] = '\0';
    CHECK(fc_api_valid_bucket(long_name, 128));
    CHECK(fc_api_valid_object_id("64f0c0ffee0123456789abcd", 24));
    CHECK(!fc_api_valid_object_id("64f0c0ffee0123456789abcz", 24));
    CHECK(!fc_api_valid_object_id("64f0c0ffee0123456789abc", 23));
    CHECK(fc_api_valid_user_id("a.b-c_d@e", 9));
    CHECK(!fc_api_valid_user_id("a b", 3));
    CHECK(!fc_api_valid_user_id("", 0));
    CHECK(fc_api_valid_user_id("jos\xc3\xa9", 5)); /* as fc_user_id_valid: Python's \w */
    CHECK(!fc_api_valid_user_id("a\xe2\x80\x94" "b", 5));
    return FC_TEST_PASS;
}
