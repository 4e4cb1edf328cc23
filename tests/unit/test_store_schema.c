/* test_store_schema.c - the database file: migrations from an older schema, a newer
 * schema refused, and files that are not ours (garbage, another program's
 * database, corrupt pages) refused with a clear error, never a crash. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"
#include "store/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs sql on the file with the plain SQLite API, as an older build or another
 * program would have. */
static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* The first integer the query returns, or -1. */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    long long v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static int write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

TEST(store_schema_fresh_file_is_current)
{
    char path[512];
    fx_db_path("schema_fresh", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_store_close(s);
    CHECK(fc_sqlite_schema_version() == fc_sqlite_n_migrations && fc_sqlite_n_migrations >= 2);
    CHECK(raw_int(path, "SELECT max(version) FROM schema_version") == fc_sqlite_schema_version());
    CHECK(raw_int(path, "SELECT count(*) FROM schema_version") == fc_sqlite_schema_version());
    CHECK(raw_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode") == 1);
    /* 16 KB pages: seven faces' rows (each with its 2 KB embedding) to a page, not one */
    CHECK(raw_int(path, "PRAGMA page_size") == 16384);
    /* reopening does not migrate again */
    s = fx_open(path);
    CHECK(s);
    fc_store_close(s);
    CHECK(raw_int(path, "SELECT count(*) FROM schema_version") == fc_sqlite_schema_version());
    /* a database in a directory that does not exist yet */
    char nested[600];
    snprintf(nested, sizeof nested, "%s/new/dir/facecluster.db", fc_test_tmpdir());
    s = fx_open(nested);
    CHECK(s);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_schema_migrates_a_v1_file)
{
    char path[512];
    fx_db_path("schema_v1", path, sizeof path);
    /* a version-1 file as the first release wrote it, with data in it */
    CHECK(raw_exec(path, fc_sqlite_migrations[0]) == SQLITE_OK);
    CHECK(raw_exec(path,
                   "INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00.000000');"
                   "INSERT INTO profiles (user_id, dim, embedding, created_at, updated_at) "
                   "VALUES ('old_user', 2, x'0000803f00000040', '2025-01-01T00:00:00.000000', "
                   "'2025-01-02T00:00:00.000000');"
                   "INSERT INTO runs (clustering_id, norm, bucket, sub, status, timestamp, "
                   "total_images) VALUES ('66d3e1f4a1b2c3d4e5000001', 'b_s', 'b', 's', 'done', "
                   "'2025-01-01T00:00:00.000000', 7);") == SQLITE_OK);
    CHECK(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'vec_points'") == 0);

    fc_store *s = fx_open(path);
    CHECK(s);
    CHECK(raw_int(path, "SELECT max(version) FROM schema_version") == fc_sqlite_schema_version());
    CHECK(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'vec_points'") == 1);
    CHECK(raw_int(path, "PRAGMA page_size") == 4096); /* an existing file keeps its pages */
    fc_error err = {0};
    fc_profile_rec p;
    int found;
    CHECK_OK(fc_store_profile_get(s, "old_user", &p, &found, &err), &err);
    CHECK(found && p.dim == 2 && p.embedding[0] == 1.0f && p.embedding[1] == 2.0f); /* LE float32 */
    fc_profile_rec_clear(&p);
    fc_run_list runs;
    CHECK_OK(fc_store_run_list(s, "b_s", FC_RUNS_DONE, &runs, &err), &err);
    CHECK(runs.n == 1 && runs.items[0].total_images == 7);
    fc_run_list_free(&runs);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_schema_migrates_a_v3_file_images_without_fingerprints)
{
    char path[512];
    fx_db_path("schema_v3", path, sizeof path);
    /* a version-3 file (before the images' fingerprints) with a done run's image */
    for (int i = 0; i < 3; i++)
        CHECK(raw_exec(path, fc_sqlite_migrations[i]) == SQLITE_OK);
    CHECK(raw_exec(path,
                   "INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00.000000'),"
                   " (2, '2025-01-01T00:00:00.000000'), (3, '2025-01-01T00:00:00.000000');"
                   "INSERT INTO runs (id, clustering_id, norm, bucket, sub, status, timestamp, "
                   "total_images) VALUES (1, '66d3e1f4a1b2c3d4e5000003', 'b_s', 'b', 's', 'done', "
                   "'2025-01-01T00:00:00.000000', 1);"
                   "INSERT INTO run_images (run, image_path, ok, n_faces) "
                   "VALUES (1, 'b/s/a.jpg', 1, 0);") == SQLITE_OK);
    CHECK(raw_int(path, "SELECT count(*) FROM pragma_table_info('run_images') "
                        "WHERE name = 'fingerprint'") == 0);

    fc_store *s = fx_open(path);
    CHECK(s);
    CHECK(fc_sqlite_schema_version() >= 4);
    CHECK(raw_int(path, "SELECT max(version) FROM schema_version") == fc_sqlite_schema_version());
    fc_error err = {0};
    fc_image_list imgs = {0};
    CHECK_OK(fc_store_run_images(s, "66d3e1f4a1b2c3d4e5000003", &imgs, &err), &err);
    CHECK(imgs.n == 1 && imgs.items[0].ok && !imgs.items[0].fingerprint); /* unknown */
    fc_image_list_free(&imgs);
    /* a new run of the migrated file stores and reads fingerprints */
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    fc_image_rec img = {.image_path = "b/s/a.jpg", .ok = 1, .fingerprint = "size=5 mtime=7.000000008"};
    CHECK_OK(fc_store_run_add_batch(s, run.clustering_id, NULL, 0, &img, 1, &err), &err);
    CHECK_OK(fc_store_run_images(s, run.clustering_id, &imgs, &err), &err);
    CHECK(imgs.n == 1 && imgs.items[0].fingerprint &&
          !strcmp(imgs.items[0].fingerprint, img.fingerprint));
    fc_image_list_free(&imgs);
    fc_run_rec_clear(&run);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_schema_newer_file_refused)
{
    char path[512];
    fx_db_path("schema_newer", path, sizeof path);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_store_close(s);
    CHECK(raw_exec(path, "INSERT INTO schema_version VALUES (99, '2099-01-01T00:00:00')") == SQLITE_OK);
    fc_error err = {0};
    CHECK(fc_store_open_with(&fc_store_sqlite, path, &err) == NULL);
    CHECK(err.code == FC_ERR_FORMAT && strstr(err.msg, "99") && strstr(err.msg, "newer"));
    return FC_TEST_PASS;
}

TEST(store_schema_refuses_files_that_are_not_ours)
{
    char path[512];
    fc_error err = {0};
    /* random bytes */
    fx_db_path("garbage", path, sizeof path);
    unsigned char junk[8192];
    fx_vector((float *)junk, (int)(sizeof junk / sizeof(float)), 7);
    CHECK(write_bytes(path, junk, sizeof junk) == 0);
    CHECK(fc_store_open_with(&fc_store_sqlite, path, &err) == NULL);
    CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, "not a facecluster database"), "%s", err.msg);
    /* a text file */
    fx_db_path("text", path, sizeof path);
    const char text[] = "user_id,embedding\nalice,0.1 0.2\n";
    CHECK(write_bytes(path, text, sizeof text - 1) == 0);
    CHECK(fc_store_open_with(&fc_store_sqlite, path, &err) == NULL && err.code == FC_ERR_FORMAT);
    /* another program's database */
    fx_db_path("foreign", path, sizeof path);
    CHECK(raw_exec(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)") == SQLITE_OK);
    CHECK(fc_store_open_with(&fc_store_sqlite, path, &err) == NULL);
    CHECK(err.code == FC_ERR_FORMAT && strstr(err.msg, "another program"));
    CHECK(raw_int(path, "SELECT count(*) FROM sqlite_master") == 1); /* left untouched */
    /* an empty file is a new database */
    fx_db_path("empty", path, sizeof path);
    CHECK(write_bytes(path, "", 0) == 0);
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_store_close(s);
    /* a directory, and a path under a regular file */
    CHECK(fc_store_open_with(&fc_store_sqlite, fc_test_tmpdir(), &err) == NULL && err.code == FC_ERR_IO);
    char under[600];
    snprintf(under, sizeof under, "%s/sub/x.db", path);
    CHECK(fc_store_open_with(&fc_store_sqlite, under, &err) == NULL && err.code == FC_ERR_IO);
    return FC_TEST_PASS;
}

/* Writes a database with a finished run of 80 faces, then overwrites every other
 * 4 KiB page from byte offset `from` on. Returns the run id in id, or -1. */
static int make_corrupt_file(const char *path, off_t from, char id[FC_OBJECTID_LEN + 1])
{
    fc_store *s = fx_open(path);
    if (!s)
        return -1;
    fc_error err = {0};
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    fx_batch b;
    int rc = fx_batch_make(&b, "b/s", 0, 40, 2, 128) || fc_store_run_create(s, &run, &err) ||
             fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &err) ||
             fc_store_run_finish(s, &run, NULL, 0, &err);
    fx_batch_free(&b);
    fc_store_close(s); /* the last connection checkpoints the WAL into the file */
    memcpy(id, run.clustering_id, sizeof run.clustering_id);
    struct stat st;
    int fd = open(path, O_WRONLY);
    if (rc || fd < 0 || fstat(fd, &st) != 0 || st.st_size < 16 * 4096)
        rc = -1;
    unsigned char junk[4096];
    memset(junk, 0xA5, sizeof junk);
    for (off_t off = from; !rc && off + (off_t)sizeof junk <= st.st_size; off += 2 * (off_t)sizeof junk)
        rc = pwrite(fd, junk, sizeof junk, off) == (ssize_t)sizeof junk ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc ? -1 : 0;
}

TEST(store_schema_corrupt_pages_are_an_error)
{
    /* from page 2 (the schema's pages), and from page 31 (after the schema and the
       tables' first pages: the faces' rows) */
    static const off_t starts[] = {4096, 30 * 4096};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        char path[512], id[FC_OBJECTID_LEN + 1];
        fx_db_path(i ? "corrupt_data" : "corrupt_schema", path, sizeof path);
        CHECK(make_corrupt_file(path, starts[i], id) == 0);
        fc_error err = {0};
        fc_store *s = fc_store_open_with(&fc_store_sqlite, path, &err);
        if (!s) {
            CHECK_MSG(err.code == FC_ERR_FORMAT, "%s: %s", fc_strerror(err.code), err.msg);
            printf("  refused at open: %s\n", err.msg);
            continue;
        }
        fc_face_list faces;
        fc_run_list runs;
        fc_status a = fc_store_face_list(s, id, NULL, 1, &faces, &err);
        fc_status c = fc_store_run_list(s, NULL, FC_RUNS_ALL, &runs, &err);
        if (!a)
            fc_face_list_free(&faces);
        if (!c)
            fc_run_list_free(&runs);
        fc_store_close(s);
        CHECK_MSG(a == FC_ERR_FORMAT || c == FC_ERR_FORMAT, "%s / %s: %s", fc_strerror(a),
                  fc_strerror(c), err.msg);
        CHECK(strstr(err.msg, "corrupt"));
        printf("  refused on reading: %s\n", err.msg);
    }
    return FC_TEST_PASS;
}

/* In a child running as user nobody: opens the store at path, lists its runs (the
 * one run, left 'running' by a dead process, cannot be marked failed and stays so)
 * and tries to create a run. Exit status: 0 as expected, else the step that failed
 * (14: the open worked but left its first try's failure in err). */
static void read_only_child(const char *path)
{
    fc_error err = {0};
    if (setgid(65534) || setuid(65534))
        _exit(10);
    fc_store *s = fc_store_open_with(&fc_store_sqlite, path, &err);
    if (!s) {
        printf("  as nobody: %s\n", err.msg);
        _exit(11);
    }
    if (err.code) /* an open that worked (as immutable) says nothing went wrong */
        _exit(14);
    fc_run_list runs = {0};
    if (fc_store_run_list(s, NULL, FC_RUNS_ALL, &runs, &err) || runs.n != 1 ||
        runs.items[0].status != FC_RUN_RUNNING)
        _exit(12);
    fc_run_list_free(&runs);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    fc_status rc = fc_store_run_create(s, &run, &err);
    printf("  writing as nobody: %s\n", err.msg);
    fc_store_close(s);
    _exit(rc == FC_ERR_IO && strstr(err.msg, path) && strstr(err.msg, "read-only") ? 0 : 13);
}

static int run_as_nobody(const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        read_only_child(path);
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* A database its user cannot write (here a read-only file in a read-only folder; a
 * read-only mount and a full disk in tests/e2e/jobs.sh) still opens for reading: a
 * run left 'running' by a dead process stays so (marking it failed needs a write; the
 * open failed on that write, and on the WAL's -shm it cannot create), and a write
 * fails naming the file and why. */
TEST(store_schema_read_only_database_reads)
{
    if (geteuid() != 0)
        SKIP("needs root to run a child as user nobody");
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/ro_db", fc_test_tmpdir());
    snprintf(path, sizeof path, "%s/facecluster.db", dir);
    fc_error err = {0};
    fc_store *s = fx_open(path);
    CHECK(s);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    fc_store_close(s);
    /* as if its process had died: running, owned by a process that does not exist */
    CHECK(raw_exec(path, "UPDATE runs SET status = 'running', owner = 'x:999999999:1:h1'") == SQLITE_OK);
    CHECK(chmod(fc_test_tmpdir(), 0711) == 0 && chmod(path, 0444) == 0 && chmod(dir, 0555) == 0);
    int rc = run_as_nobody(path);
    /* a folder that its owner may write: no immutable read, a clear refusal */
    CHECK(chmod(dir, 0755) == 0);
    int rc_writable_dir = run_as_nobody(path);
    CHECK_MSG(rc == 0, "read-only folder: child step %d", rc);
    CHECK_MSG(rc_writable_dir == 11, "folder writable by its owner: child step %d", rc_writable_dir);
    CHECK(raw_int(path, "SELECT count(*) FROM runs WHERE status = 'running'") == 1);
    return FC_TEST_PASS;
}
