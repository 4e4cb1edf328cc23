/* test_core_status.c - fc_error_set: a reason built from its own message, and a
 * reason too long for the message cut at a whole UTF-8 character. */
#include "test.h"

#include "core/status.h"

#include <string.h>

/* err->msg filled to its last byte with fill, then "é" (2 bytes) or "😀" (4 bytes)
 * from offset at: the cut falls inside the character when it does not fit. */
static void set_long(fc_error *err, size_t at, const char *ch)
{
    char text[sizeof err->msg + 16];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = 0;
    memcpy(text + at, ch, strlen(ch));
    fc_error_set(err, FC_ERR_IO, "%s", text);
}

TEST(core_status_long_reason_cut_at_a_whole_character)
{
    fc_error err = {0};
    const size_t last = sizeof err.msg - 1; /* bytes a message can hold */
    set_long(&err, last - 1, "\xc3\xa9");   /* é split after its first byte */
    CHECK(err.code == FC_ERR_IO && strlen(err.msg) == last - 1);
    set_long(&err, last - 2, "\xc3\xa9");   /* é fits whole */
    CHECK(strlen(err.msg) == last && !memcmp(err.msg + last - 2, "\xc3\xa9", 2));
    for (size_t kept = 1; kept < 4; kept++) { /* 😀 split after 1, 2 or 3 bytes */
        set_long(&err, last - kept, "\xf0\x9f\x98\x80");
        CHECK_MSG(strlen(err.msg) == last - kept, "kept %zu: length %zu", kept, strlen(err.msg));
    }
    set_long(&err, last - 4, "\xf0\x9f\x98\x80"); /* fits whole */
    CHECK(strlen(err.msg) == last);
    /* a Latin-1 byte before the cut stays (JSON shows it as U+00E9); at the cut it
     * cannot be told from the start of a split character and goes */
    set_long(&err, last - 3, "\xe9");
    CHECK(strlen(err.msg) == last && (unsigned char)err.msg[last - 3] == 0xe9);
    set_long(&err, last - 1, "\xe9");
    CHECK(strlen(err.msg) == last - 1);
    return FC_TEST_PASS;
}

TEST(core_status_reason_may_wrap_its_own_message)
{
    fc_error err = {0};
    fc_error_set(&err, FC_ERR_FORMAT, "inner %d", 7);
    CHECK(fc_error_set(&err, FC_ERR_IO, "outer: %s", err.msg) == FC_ERR_IO);
    CHECK(!strcmp(err.msg, "outer: inner 7") && err.code == FC_ERR_IO);
    CHECK(fc_error_set(NULL, FC_ERR_ARG, "ignored") == FC_ERR_ARG);
    return FC_TEST_PASS;
}
