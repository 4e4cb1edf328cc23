/* test_source_local.c - the local folder source: listing (recursive, images only,
 * sorted, hidden files and symlinks skipped, unreadable folders kept as failing keys),
 * fetching with the size limit, and keys that would escape the root. */
#include "test.h"

#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* The fingerprint an incremental run compares (size + mtime in ns): the same while
 * the file is left alone, another when it is rewritten, even within one second. */
TEST(source_local_fingerprints_change_with_the_file)
{
    fc_error err = {0};
    const char *root = make_tree();
    CHECK(root);
    fc_source *src = fc_source_local_new(root, &err);
    CHECK_MSG(src, "%s", err.msg);
    fc_key_list a = {0}, b = {0}, c = {0};
    CHECK_OK(fc_source_list(src, "b/s/", &a, &err), &err);
    CHECK_OK(fc_source_list(src, "b/s/", &b, &err), &err);
    CHECK(a.n == 3 && b.n == 3);
    for (size_t i = 0; i < a.n; i++)
        CHECK(a.fprints[i] && strstr(a.fprints[i], "size=") && !strcmp(a.fprints[i], b.fprints[i]));
    char p[600];
    snprintf(p, sizeof p, "%s/b/s/a.jpg", root);
    struct timespec later[2] = {{0, UTIME_OMIT}, {1000000000, 123456789}};
    CHECK(utimensat(AT_FDCWD, p, later, 0) == 0);
    CHECK_OK(fc_source_list(src, "b/s/", &c, &err), &err);
    CHECK(!strcmp(c.keys[1], "b/s/a.jpg") && strcmp(c.fprints[1], a.fprints[1]) != 0);
    CHECK_MSG(strstr(c.fprints[1], "mtime=1000000000.123456789"), "%s", c.fprints[1]);
    CHECK(!strcmp(c.fprints[0], a.fprints[0]) && !strcmp(c.fprints[2], a.fprints[2]));
    CHECK(fc_key_list_fprint(&c, "b/s/a.jpg") == c.fprints[1] && !fc_key_list_fprint(&c, "x.jpg"));
    fc_key_list_free(&a);
    fc_key_list_free(&b);
    fc_key_list_free(&c);
    fc_source_free(src);
    return FC_TEST_PASS;
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

/* Runs fn(arg) in a child process as user nobody when this process is root (so
 * permission bits apply), else as this user; its output comes back in out. Returns
 * the child's exit status, or -1 if it could not run. */
static int as_unprivileged(void (*fn)(const char *arg, FILE *out), const char *arg, char *out,
                           size_t size)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        FILE *f = fdopen(fds[1], "w");
        fn(arg, f);
        fclose(f);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (pid > 0 && got + 1 < size && (r = read(fds[0], out + got, size - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fds[0]);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* Lists root's b/s/ and fetches each key: "key|status|message" lines. */
static void list_and_fetch(const char *root, FILE *out)
{
    fc_error err = {0};
    fc_source *src = fc_source_local_new(root, &err);
    fc_key_list keys = {0};
    if (!src || fc_source_list(src, "b/s/", &keys, &err)) {
        fprintf(out, "list failed: %s\n", err.msg);
        fc_source_free(src);
        return;
    }
    for (size_t i = 0; i < keys.n; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        fc_error e = {0};
        fc_status rc = fc_source_fetch(src, keys.keys[i], 0, &bytes, &len, &e);
        fprintf(out, "%s|%d|%s\n", keys.keys[i], (int)rc, e.msg);
        free(bytes);
    }
    fc_key_list_free(&keys);
    fc_source_free(src);
}

/* A folder the user cannot read (lost+found on a USB disk) must not end the listing
 * of all the others: it becomes a key whose fetch fails naming it, so the run
 * counts it among the failed files and goes on. */
TEST(source_local_unreadable_folder_is_a_failed_key)
{
    char root[] = "/tmp/fc-source-perm-XXXXXX", p[600], out[4096];
    CHECK(mkdtemp(root));
    chmod(root, 0755);
    snprintf(p, sizeof p, "mkdir -p '%s/b/s/locked' && chmod -R a+rX '%s'", root, root);
    CHECK(system(p) == 0);
    const char *files[] = {"b/s/a.jpg", "b/s/locked/x.jpg", "b/s/noread.jpg"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        CHECK(write_file(p, files[i]) == 0 && chmod(p, 0644) == 0);
    }
    snprintf(p, sizeof p, "%s/b/s/noread.jpg", root);
    chmod(p, 0);
    snprintf(p, sizeof p, "%s/b/s/locked", root);
    chmod(p, 0);
    int st = as_unprivileged(list_and_fetch, root, out, sizeof out);
    snprintf(p, sizeof p, "chmod -R u+rwX '%s' && rm -rf '%s'", root, root);
    if (system(p) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    if (st == 3)
        SKIP("cannot switch to user nobody");
    CHECK_MSG(st == 0, "child exit %d", st);
    CHECK_MSG(strncmp(out, "b/s/a.jpg|0|\n", 13) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\nb/s/locked|") && strstr(out, "locked: folder cannot be read: "
                                                           "Permission denied"), "%s", out);
    CHECK_MSG(strstr(out, "\nb/s/noread.jpg|") && strstr(out, "noread.jpg: Permission denied"),
              "%s", out);
    return FC_TEST_PASS;
}

/* A network or FUSE mount that dropped is the file system away, not the file wrong:
 * FC_ERR_UNAVAILABLE, which the cluster job holds back and stops on (docs/jobs.md);
 * a file the user may not read, or a missing or damaged one, stays FC_ERR_IO. */
TEST(source_errno_status_away_file_systems)
{
    const int away[] = {ENOTCONN, ESTALE, EHOSTDOWN, EHOSTUNREACH, ETIMEDOUT, ECONNRESET,
                        ECONNABORTED, ENETDOWN, ENETUNREACH};
    for (size_t i = 0; i < sizeof away / sizeof away[0]; i++)
        CHECK_MSG(fc_source_errno_status(away[i]) == FC_ERR_UNAVAILABLE, "%s", strerror(away[i]));
    const int wrong[] = {EACCES, EPERM, ENOENT, EIO, ENXIO, EISDIR, 0};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        CHECK_MSG(fc_source_errno_status(wrong[i]) == FC_ERR_IO, "%s", strerror(wrong[i]));
    return FC_TEST_PASS;
}
