/* test_report_escape.c - report/report.c's HTML escaping: markup characters, and
 * file names that are not UTF-8 written as character references (the page is UTF-8). */
#include "test.h"

#include "report/report.h"

#include <string.h>

TEST(report_escape_names)
{
    static const char *const cases[][2] = {
        {"a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;"},
        {"caf\xc3\xa9.jpg", "caf\xc3\xa9.jpg"},                 /* UTF-8: as is */
        {"caf\xe9.jpg", "caf&#xE9;.jpg"},                        /* Latin-1 */
        {"f\xeate/gar\xe7on.jpg", "f&#xEA;te/gar&#xE7;on.jpg"},
        {"a\xc3(b\xff", "a&#xC3;(b&#xFF;"},
        {"\xe2\x82\xac", "\xe2\x82\xac"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_report_escape(cases[i][0], out, sizeof out);
        CHECK_MSG(strcmp(out, cases[i][1]) == 0, "case %zu: '%s'", i, out);
    }
    /* cut at a whole reference or character, never inside one */
    fc_report_escape("ab\xe9", out, 8);
    CHECK(strcmp(out, "ab") == 0);
    fc_report_escape("ab\xe2\x82\xac", out, 5);
    CHECK(strcmp(out, "ab") == 0);
    return FC_TEST_PASS;
}
