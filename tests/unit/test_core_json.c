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

/* The store's string arrays keep any bytes: what jansson takes is a JSON string, the
 * rest (a Latin-1 file name: assigning such a run failed with "image paths: string 0
 * is not valid UTF-8") a {"bytes_hex"} item; every case loads back byte for byte. */
TEST(json_strv_keeps_any_bytes)
{
    static const char *const cases[] = {
        "plain",           "\xc3\xa9",         "\xe2\x82\xac",     "\xf4\x8f\xbf\xbf",
        "\xed\x9f\xbf",    "\xee\x80\x80",     "\xc3",             "\xe2\x82",
        "\x80",            "\xc0\xaf",         "\xc1\xbf",         "\xe0\x80\xaf",
        "\xed\xa0\x80",    "\xed\xbf\xbf",     "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80",
        "\xf8\x88\x80\x80\x80", "\xff",        "a\xc3(b",          "ev/caf\xe9.jpg",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = json_string(cases[i]);
        int jansson_ok = s != NULL;
        json_decref(s);
        char *const v[] = {"first", (char *)cases[i]};
        char *text = NULL, **back = NULL;
        size_t n = 0;
        fc_error err = {0};
        CHECK_OK(fc_json_strv_dump(v, 2, &text, &err), &err);
        CHECK_MSG(jansson_ok == (strstr(text, "bytes_hex") == NULL), "case %zu: %s", i, text);
        CHECK_OK(fc_json_strv_load(text, &back, &n, &err), &err);
        CHECK_MSG(n == 2 && !strcmp(back[0], "first") && !strcmp(back[1], cases[i]), "case %zu", i);
        for (size_t k = 0; k < n; k++)
            free(back[k]);
        free(back);
        free(text);
    }
    /* a malformed item is a format error, never a cut or wrong string */
    static const char *const bad[] = {
        "[{\"bytes_hex\":\"e\"}]", "[{\"bytes_hex\":\"zz\"}]", "[{\"bytes_hex\":\"6100\"}]",
        "[{\"bytes_hex\":\"61\",\"x\":1}]", "[{\"other\":\"61\"}]", "[{\"bytes_hex\":\" 61\"}]",
        "[1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char **back = NULL;
        size_t n = 0;
        fc_error err = {0};
        CHECK_MSG(fc_json_strv_load(bad[i], &back, &n, &err) == FC_ERR_FORMAT && !back,
                  "bad %zu", i);
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
