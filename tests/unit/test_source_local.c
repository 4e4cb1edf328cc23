/* test_source_local.c - the local folder source: listing (recursive, images only,
 * sorted, hidden files and symlinks skipped), fetching with the size limit, and
 * keys that would escape the root. */
#include "test.h"

#include "source/source.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* root/b/s/{a.jpg, Z.PNG, notes.txt, .hidden.jpg, deep/c.webp, link.jpg -> /etc/passwd} */
static const char *make_tree(void)
{
    static char root[512];
    char p[1024];
    snprintf(root, sizeof root, "%s/source_local", fc_test_tmpdir());
    snprintf(p, sizeof p, "%s/b/s/deep", root);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    if (system(cmd) != 0)
        return NULL;
    const char *files[] = {"b/s/a.jpg", "b/s/Z.PNG", "b/s/notes.txt", "b/s/.hidden.jpg",
                           "b/s/deep/c.webp", "b/other.jpg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        if (write_file(p, files[i]) != 0)
            return NULL;
    }
    snprintf(p, sizeof p, "%s/b/s/link.jpg", root);
    unlink(p);
    if (symlink("/etc/passwd", p) != 0)
        return NULL;
    return root;
}

TEST(source_local_lists_images_recursively_sorted)
{
    fc_error err = {0};
    const char *root = make_tree();
    CHECK(root);
    fc_source *src = fc_source_local_new(root, &err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list keys = {0};
    CHECK_OK(fc_source_list(src, "b/s/", &keys, &err), &err);
    CHECK_MSG(keys.n == 3, "%zu keys", keys.n);
    CHECK(strcmp(keys.keys[0], "b/s/Z.PNG") == 0);
    CHECK(strcmp(keys.keys[1], "b/s/a.jpg") == 0);
    CHECK(strcmp(keys.keys[2], "b/s/deep/c.webp") == 0);
    fc_key_list_free(&keys);
    CHECK_OK(fc_source_list(src, "b", &keys, &err), &err);
    CHECK(keys.n == 4);
    fc_key_list_free(&keys);
    CHECK(fc_source_list(src, "b/../..", &keys, &err) == FC_ERR_ARG);
    CHECK(fc_source_list(src, "missing/x", &keys, &err) == FC_ERR_ARG);
    fc_key_list_free(&keys);
    fc_source_free(src);
    return FC_TEST_PASS;
}

TEST(source_local_fetch_limits_and_unsafe_keys)
{
    fc_error err = {0};
    const char *root = make_tree();
    CHECK(root);
    fc_source *src = fc_source_local_new(root, &err);
    CHECK_MSG(src, "%s", err.msg);
    uint8_t *bytes;
    size_t len;
    CHECK_OK(fc_source_fetch(src, "b/s/a.jpg", 0, &bytes, &len, &err), &err);
    CHECK(len == strlen("b/s/a.jpg") && memcmp(bytes, "b/s/a.jpg", len) == 0);
    free(bytes);
    CHECK(fc_source_fetch(src, "b/s/a.jpg", 4, &bytes, &len, &err) == FC_ERR_LIMIT);
    CHECK(strstr(err.msg, "MAX_IMAGE_SIZE_BYTES"));
    CHECK(fc_source_fetch(src, "../source_local/b/s/a.jpg", 0, &bytes, &len, &err) == FC_ERR_ARG);
    CHECK(fc_source_fetch(src, "/etc/passwd", 0, &bytes, &len, &err) == FC_ERR_ARG);
    CHECK(fc_source_fetch(src, "b/s/link.jpg", 0, &bytes, &len, &err) == FC_ERR_IO);
    CHECK(fc_source_fetch(src, "b/s/nope.jpg", 0, &bytes, &len, &err) == FC_ERR_IO);
    CHECK(bytes == NULL);
    fc_source_free(src);
    CHECK(fc_source_local_new("/nonexistent/dir", &err) == NULL);
    return FC_TEST_PASS;
}

TEST(source_keys_images_and_safety)
{
    CHECK(fc_source_is_image_key("a/b.JPG") && fc_source_is_image_key("x.heic"));
    CHECK(!fc_source_is_image_key("a.jpg/readme") && !fc_source_is_image_key("noext"));
    CHECK(fc_source_key_is_safe("a/b/c.jpg") && fc_source_key_is_safe("a..b/c"));
    CHECK(!fc_source_key_is_safe("a//b") && !fc_source_key_is_safe("./a"));
    CHECK(!fc_source_key_is_safe("a/../b") && !fc_source_key_is_safe("a\\b"));
    CHECK(!fc_source_key_is_safe("") && !fc_source_key_is_safe("a/\x01"));
    return FC_TEST_PASS;
}
