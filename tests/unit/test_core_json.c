/* test_core_json.c - core/json.c: string arrays written and read back, UTF-8 checked
 * as jansson checks it, and the object test. */
#include "test.h"

#include "core/json.h"

#include <stdlib.h>
#include <string.h>

TEST(json_strv_round_trip)
{
    char *const v[] = {"a.jpg", "dir/\"q\".png", "caf\xc3\xa9", "\xf0\x9f\x98\x80", ""};
    char *text = NULL, **back = NULL;
    size_t n = 0;
    fc_error err = {0};
    CHECK_OK(fc_json_strv_dump(v, 5, &text, &err), &err);
    CHECK_OK(fc_json_strv_load(text, &back, &n, &err), &err);
    CHECK(n == 5);
    for (size_t i = 0; i < n; i++) {
        CHECK(strcmp(back[i], v[i]) == 0);
        free(back[i]);
    }
    free(back);
    free(text);
    CHECK_OK(fc_json_strv_dump(NULL, 0, &text, &err), &err);
    CHECK(strcmp(text, "[]") == 0);
    free(text);
    return FC_TEST_PASS;
}

/* Bad UTF-8 is the caller's fault (FC_ERR_ARG, naming the string), and exactly what
 * jansson refuses, so stored text always loads back. */
TEST(json_strv_refuses_what_jansson_refuses)
{
    static const char *const cases[] = {
        "plain",           "\xc3\xa9",         "\xe2\x82\xac",     "\xf4\x8f\xbf\xbf",
        "\xed\x9f\xbf",    "\xee\x80\x80",     "\xc3",             "\xe2\x82",
        "\x80",            "\xc0\xaf",         "\xc1\xbf",         "\xe0\x80\xaf",
        "\xed\xa0\x80",    "\xed\xbf\xbf",     "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80",
        "\xf8\x88\x80\x80\x80", "\xff",        "a\xc3(b",          "\xe2\x28\xa1",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = json_string(cases[i]);
        int jansson_ok = s != NULL;
        json_decref(s);
        char *const v[] = {"first", (char *)cases[i]};
        char *text = NULL;
        fc_error err = {0};
        fc_status rc = fc_json_strv_dump(v, 2, &text, &err);
        CHECK_MSG(jansson_ok ? rc == FC_OK && text : rc == FC_ERR_ARG && !text,
                  "case %zu: jansson %s it, fc_json_strv_dump gave %d (%s)", i,
                  jansson_ok ? "takes" : "refuses", rc, err.msg);
        CHECK(rc == FC_OK || strstr(err.msg, "string 1 is not valid UTF-8"));
        free(text);
    }
    return FC_TEST_PASS;
}

TEST(json_object_text_is_told_from_others)
{
    CHECK(fc_json_is_object("{\"a\":1}") == 1);
    CHECK(fc_json_is_object(" {} ") == 1);
    CHECK(fc_json_is_object("[1]") == 0);
    CHECK(fc_json_is_object("{\"a\":") == 0);
    CHECK(fc_json_is_object("{} {}") == 0);
    CHECK(fc_json_is_object("") == 0);
    CHECK(fc_json_is_object(NULL) == 0);
    return FC_TEST_PASS;
}

/* fc_json_text never refuses text: valid UTF-8 is kept as is, each byte outside a
 * valid sequence becomes its Latin-1 character (so a Latin-1 file name reads right
 * and two names differing in one byte stay apart), and the result dumps and loads. */
TEST(json_text_keeps_every_name)
{
    static const char *const cases[][2] = {
        {"caf\xc3\xa9.jpg", "caf\xc3\xa9.jpg"},            /* UTF-8: unchanged */
        {"caf\xe9.jpg", "caf\xc3\xa9.jpg"},                /* Latin-1 e acute */
        {"f\xeate/gar\xe7on.jpg", "f\xc3\xaate/gar\xc3\xa7on.jpg"},
        {"bad\xff", "bad\xc3\xbf"},
        {"\x80\x9f", "\xc2\x80\xc2\x9f"},                  /* C1 bytes: U+0080, U+009F */
        {"a\xc3(b", "a\xc3\x83(b"},                        /* cut sequence: its lead byte */
        {"\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80"},      /* surrogate: three bytes */
        {"\xc0\xaf", "\xc3\x80\xc2\xaf"},                  /* overlong */
        {"\xe2\x82\xac\xe9", "\xe2\x82\xac\xc3\xa9"},      /* valid then invalid */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = fc_json_text(cases[i][0]);
        CHECK_MSG(s && strcmp(json_string_value(s), cases[i][1]) == 0, "case %zu", i);
        json_t *arr = json_pack("[o]", s);
        char *text = fc_json_dump(arr, JSON_COMPACT);
        json_error_t jerr;
        json_t *back = text ? json_loads(text, 0, &jerr) : NULL;
        CHECK_MSG(back && strcmp(json_string_value(json_array_get(back, 0)), cases[i][1]) == 0,
                  "case %zu does not load back", i);
        json_decref(back);
        json_decref(arr);
        free(text);
    }
    json_t *e = fc_json_text("caf\xe9");
    char *text = fc_json_dump(e, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    CHECK(text && strcmp(text, "\"caf\\u00E9\"") == 0);
    free(text);
    json_decref(e);
    CHECK(fc_json_text(NULL) == NULL);
    return FC_TEST_PASS;
}
