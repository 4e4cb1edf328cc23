/* test_ids.c - ObjectIds, UUIDs, timestamps, names and the collection normalisation. */
#include "test.h"

#include "core/ids.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(ids_objectid_form_time_and_counter)
{
    char a[FC_OBJECTID_LEN + 1], b[FC_OBJECTID_LEN + 1];
    time_t before = time(NULL);
    fc_objectid_new(a);
    fc_objectid_new(b);
    CHECK(strlen(a) == 24 && fc_objectid_valid(a) && fc_objectid_valid(b));
    CHECK(strcmp(a, b) != 0);
    for (const char *p = a; *p; p++)
        CHECK((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    /* first 4 bytes: seconds, big-endian */
    char secs_hex[9];
    memcpy(secs_hex, a, 8);
    secs_hex[8] = '\0';
    long secs = strtol(secs_hex, NULL, 16);
    CHECK(secs >= (long)before - 1 && secs <= (long)time(NULL) + 1);
    /* same process: same 5 random bytes; counter + 1 (mod 2^24) */
    CHECK(memcmp(a + 8, b + 8, 10) == 0);
    long ca = strtol(a + 18, NULL, 16), cb = strtol(b + 18, NULL, 16);
    CHECK(cb == ((ca + 1) & 0xFFFFFF));
    return FC_TEST_PASS;
}

TEST(ids_objectid_differs_after_fork)
{
    char parent[FC_OBJECTID_LEN + 1];
    fc_objectid_new(parent);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char child[FC_OBJECTID_LEN + 1];
        fc_objectid_new(child);
        ssize_t w = write(fds[1], child, sizeof child);
        _exit(w == (ssize_t)sizeof child ? 0 : 1);
    }
    char child[FC_OBJECTID_LEN + 1] = {0};
    ssize_t got = read(fds[0], child, sizeof child);
    close(fds[0]);
    close(fds[1]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(got == (ssize_t)sizeof child && fc_objectid_valid(child));
    CHECK(memcmp(parent + 8, child + 8, 10) != 0); /* a new process part */
    return FC_TEST_PASS;
}

TEST(ids_objectid_validation)
{
    CHECK(fc_objectid_valid("66D3E1F4a1b2c3d4e5000001"));
    CHECK(!fc_objectid_valid("66d3e1f4a1b2c3d4e500000"));   /* 23 */
    CHECK(!fc_objectid_valid("66d3e1f4a1b2c3d4e50000011")); /* 25 */
    CHECK(!fc_objectid_valid("66d3e1f4a1b2c3d4e500000g"));
    CHECK(!fc_objectid_valid(""));
    CHECK(!fc_objectid_valid(NULL));
    return FC_TEST_PASS;
}

TEST(ids_uuid4)
{
    fc_error err = {0};
    char a[FC_UUID_LEN + 1], b[FC_UUID_LEN + 1];
    CHECK_OK(fc_uuid4_new(a, &err), &err);
    CHECK_OK(fc_uuid4_new(b, &err), &err);
    CHECK(strlen(a) == 36 && strcmp(a, b) != 0);
    CHECK(a[14] == '4' && strchr("89ab", a[19]));
    CHECK(fc_uuid_valid(a, 1) && fc_uuid_valid(b, 1));
    CHECK(fc_uuid_valid("123E4567-E89B-12D3-A456-426614174000", 0));
    CHECK(!fc_uuid_valid("123e4567-e89b-12d3-a456-426614174000", 1)); /* version 1 */
    CHECK(!fc_uuid_valid("123e4567-e89b-42d3-c456-426614174000", 1)); /* variant */
    CHECK(fc_uuid_valid("123e4567-e89b-42d3-a456-426614174000", 1));
    CHECK(!fc_uuid_valid("123e4567e89b-42d3-a456-426614174000-", 0));
    CHECK(!fc_uuid_valid("123e4567-e89b-42d3-a456-42661417400", 0));
    CHECK(!fc_uuid_valid("123e4567-e89b-42d3-a456-4266141740000", 0));
    CHECK(!fc_uuid_valid("123e4567-e89b-42d3-a456-42661417400z", 0));
    CHECK(!fc_uuid_valid(NULL, 0));
    return FC_TEST_PASS;
}

TEST(ids_timestamps)
{
    char ts[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_format((struct timespec){.tv_sec = 1756698132, .tv_nsec = 123456789}, ts);
    CHECK(strcmp(ts, "2025-09-01T03:42:12.123456") == 0);
    fc_timestamp_format((struct timespec){.tv_sec = 1756698132, .tv_nsec = 123000000}, ts);
    CHECK(strcmp(ts, "2025-09-01T03:42:12.123000") == 0);
    fc_timestamp_format((struct timespec){.tv_sec = 0, .tv_nsec = 0}, ts);
    CHECK(strcmp(ts, "1970-01-01T00:00:00.000000") == 0);
    fc_timestamp_now(ts);
    CHECK(strlen(ts) == FC_TIMESTAMP_LEN && fc_timestamp_valid(ts));
    CHECK(fc_timestamp_valid("2025-09-01T03:42:12"));
    CHECK(fc_timestamp_valid("2024-02-29T23:59:59.5"));
    CHECK(!fc_timestamp_valid("2025-09-01T03:42:12Z"));
    CHECK(!fc_timestamp_valid("2025-09-01T03:42:12+00:00"));
    CHECK(!fc_timestamp_valid("2025-09-01 03:42:12"));
    CHECK(!fc_timestamp_valid("2025-13-01T03:42:12"));
    CHECK(!fc_timestamp_valid("2025-09-01T24:00:00"));
    CHECK(!fc_timestamp_valid("2025-09-01T03:42:12.1234567"));
    CHECK(!fc_timestamp_valid("2025-09-01T03:42:12."));
    CHECK(!fc_timestamp_valid(""));
    CHECK(!fc_timestamp_valid(NULL));
    return FC_TEST_PASS;
}

TEST(ids_bucket_names)
{
    CHECK(fc_name_valid("wedding-2024"));
    CHECK(fc_name_valid("A.b_c-D9"));
    CHECK(fc_name_valid("..."));
    CHECK(!fc_name_valid("."));
    CHECK(!fc_name_valid(".."));
    CHECK(!fc_name_valid(""));
    CHECK(!fc_name_valid(NULL));
    CHECK(!fc_name_valid("a/b"));
    CHECK(!fc_name_valid("a b"));
    CHECK(!fc_name_valid("caf\xc3\xa9"));
    char name[FC_NAME_MAX + 2];
    memset(name, 'x', sizeof name);
    name[FC_NAME_MAX] = '\0';
    CHECK(fc_name_valid(name));
    name[FC_NAME_MAX] = 'x';
    name[FC_NAME_MAX + 1] = '\0';
    CHECK(!fc_name_valid(name));
    return FC_TEST_PASS;
}

TEST(ids_user_ids)
{
    CHECK(fc_user_id_valid("alice"));
    CHECK(fc_user_id_valid("a.b-c_d@example.com"));
    CHECK(fc_user_id_valid("jos\xc3\xa9"));          /* é: a Unicode letter, as \w */
    CHECK(fc_user_id_valid("\xe5\xbc\xa0\xe4\xbc\x9f")); /* 张伟 */
    CHECK(!fc_user_id_valid("a b"));
    CHECK(!fc_user_id_valid("a/b"));
    CHECK(!fc_user_id_valid("alice\n"));
    CHECK(!fc_user_id_valid("a\xe2\x80\x94" "b"));   /* em dash: not \w */
    CHECK(!fc_user_id_valid("\xc3"));                /* truncated UTF-8 */
    CHECK(!fc_user_id_valid("\xc0\xaf"));            /* overlong '/' */
    CHECK(!fc_user_id_valid(""));
    CHECK(!fc_user_id_valid(NULL));
    char id[3 * 65 + 1];
    memset(id, 'u', 64);
    id[64] = '\0';
    CHECK(fc_user_id_valid(id));
    id[64] = 'u';
    id[65] = '\0';
    CHECK(!fc_user_id_valid(id));
    /* 64 characters of two bytes each: counted in characters, not bytes */
    for (int i = 0; i < 64; i++)
        memcpy(id + 2 * i, "\xc3\xa9", 2);
    id[128] = '\0';
    CHECK(fc_user_id_valid(id));
    return FC_TEST_PASS;
}

TEST(ids_norm_collection)
{
    char out[FC_NORM_MAX];
    CHECK(fc_norm_collection("Wedding-2024", "Day-1", out, sizeof out) == 0);
    CHECK(strcmp(out, "wedding_2024_day_1") == 0);
    CHECK(fc_norm_collection("b", "s", out, sizeof out) == 0 && strcmp(out, "b_s") == 0);
    CHECK(fc_norm_collection("My.Photos", "x_y", out, sizeof out) == 0);
    CHECK(strcmp(out, "my.photos_x_y") == 0);
    /* invalid names are refused, never normalised into something valid */
    CHECK(fc_norm_collection("a/b", "c", out, sizeof out) == -1 && out[0] == '\0');
    CHECK(fc_norm_collection("..", "c", out, sizeof out) == -1);
    CHECK(fc_norm_collection("a", NULL, out, sizeof out) == -1);
    CHECK(fc_norm_collection("abc", "def", out, 5) == -1 && out[0] == '\0');
    char big[FC_NAME_MAX + 1];
    memset(big, 'Q', FC_NAME_MAX);
    big[FC_NAME_MAX] = '\0';
    CHECK(fc_norm_collection(big, big, out, sizeof out) == 0);
    CHECK(strlen(out) == 2 * FC_NAME_MAX + 1 && out[0] == 'q');
    return FC_TEST_PASS;
}

TEST(ids_objectid_canonical_form)
{
    char out[FC_OBJECTID_LEN + 1];
    CHECK(fc_objectid_canon("66D3E1F4A1B2C3D4E5ABCDEF", out) == 0);
    CHECK(!strcmp(out, "66d3e1f4a1b2c3d4e5abcdef"));
    CHECK(fc_objectid_canon("66D3E1F4A1B2C3D4E5ABCDEG", out) == -1 && out[0] == '\0');
    CHECK(fc_objectid_canon(NULL, out) == -1);
    return FC_TEST_PASS;
}
