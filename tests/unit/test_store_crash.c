/* test_store_crash.c - crash safety of the SQLite store: a child process writes a
 * run and dies (SIGKILL at a random moment, or _exit inside a transaction at a
 * named point); the parent reopens the file and finds it consistent, the run
 * "failed" and never "done", its committed images resumable. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMAGES_PER_BATCH 2
#define FACES_PER_IMAGE 2
#define DIM 64

/* PRAGMA integrity_check is "ok" and no foreign key is dangling. */
static int file_consistent(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int ok = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0)
        goto out;
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &q, NULL) != SQLITE_OK)
        goto out;
    ok = sqlite3_step(q) == SQLITE_DONE;
out:
    sqlite3_finalize(q);
    sqlite3_close(db);
    return ok;
}

/* Child: a run of batches, the id and then one byte per committed batch on fd.
 * Stops after max_batches (0: never), then finishes with every face unassigned
 * when finish is set. Never returns. */
static void child_writer(const char *path, int fd, int max_batches, int finish)
{
    fc_error err = {0};
    fc_store *s = fc_store_open_with(&fc_store_sqlite, path, &err);
    if (!s)
        _exit(2);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "crash");
    snprintf(run.sub, sizeof run.sub, "test");
    if (fc_store_run_create(s, &run, &err) ||
        write(fd, run.clustering_id, sizeof run.clustering_id) != (ssize_t)sizeof run.clustering_id)
        _exit(3);
    for (int i = 0; !max_batches || i < max_batches; i++) {
        fx_batch b;
        if (fx_batch_make(&b, "crash/test", i * IMAGES_PER_BATCH, IMAGES_PER_BATCH, FACES_PER_IMAGE, DIM) ||
            fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images, &err) ||
            write(fd, "+", 1) != 1)
            _exit(4);
        fx_batch_free(&b);
    }
    if (finish)
        fc_store_run_finish(s, &run, NULL, 0, &err);
    _exit(5);
}

/* Forks child_writer with FC_STORE_CRASH_POINT=crash_point (NULL: none); reads the
 * run id into id. Returns the child's pid and its pipe's read end in *fd. */
static pid_t spawn_writer(const char *path, int max_batches, int finish, const char *crash_point,
                          char id[FC_OBJECTID_LEN + 1], int *fd)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (crash_point)
            setenv("FC_STORE_CRASH_POINT", crash_point, 1);
        child_writer(path, fds[1], max_batches, finish);
    }
    close(fds[1]);
    *fd = fds[0];
    if (pid < 0 || read(fds[0], id, FC_OBJECTID_LEN + 1) != FC_OBJECTID_LEN + 1)
        return -1;
    return pid;
}

/* Checks the run after the crash: failed, no persons, faces = images' n_faces;
 * returns the number of images stored, or -1. */
static int check_after_crash(fc_store *s, const char *id)
{
    fc_error err = {0};
    fc_run_rec run;
    int found;
    if (fc_store_run_get(s, id, &run, &found, &err) || !found)
        return -1;
    int ok = run.status == FC_RUN_FAILED && run.error && strstr(run.error, "interrupted");
    fc_run_rec_clear(&run);
    fc_run_list done;
    if (!ok || fc_store_run_list(s, NULL, FC_RUNS_DONE, &done, &err) || done.n != 0)
        return -1;
    fc_image_list imgs;
    int64_t n_faces, sum = 0;
    if (fc_store_run_images(s, id, &imgs, &err) || fc_store_face_count(s, id, &n_faces, &err))
        return -1;
    for (size_t i = 0; i < imgs.n; i++)
        sum += imgs.items[i].n_faces;
    int n_images = (int)imgs.n;
    fc_image_list_free(&imgs);
    fc_person_list persons;
    if (fc_store_person_list(s, id, NULL, &persons, &err) || persons.n != 0)
        return -1;
    return sum == n_faces && n_faces == (int64_t)n_images * FACES_PER_IMAGE ? n_images : -1;
}

/* Resumes the run, adds the images up to total that are not stored yet, finishes. */
static fc_status resume_and_finish(fc_store *s, const char *id, int total, fc_error *err)
{
    fc_image_list done;
    fc_status rc = fc_store_run_resume(s, id, err);
    if (rc || (rc = fc_store_run_images(s, id, &done, err)))
        return rc;
    for (int i = 0; !rc && i < total; i++) {
        char path[64];
        snprintf(path, sizeof path, "crash/test/img_%d.jpg", i);
        int skip = 0;
        for (size_t k = 0; k < done.n; k++)
            skip |= !strcmp(done.items[k].image_path, path);
        if (skip)
            continue;
        fx_batch b;
        if (fx_batch_make(&b, "crash/test", i, 1, FACES_PER_IMAGE, DIM))
            rc = fc_error_set(err, FC_ERR_NOMEM, "fixture");
        else
            rc = fc_store_run_add_batch(s, id, b.faces, b.n_faces, b.images, b.n_images, err);
        fx_batch_free(&b);
    }
    fc_image_list_free(&done);
    fc_run_rec run = {0};
    snprintf(run.clustering_id, sizeof run.clustering_id, "%s", id);
    return rc ? rc : fc_store_run_finish(s, &run, NULL, 0, err);
}

TEST(store_crash_sigkill_mid_run)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    fx_db_path("crash_kill", path, sizeof path);
    int fd;
    pid_t pid = spawn_writer(path, 0, 0, NULL, id, &fd);
    CHECK(pid > 0);
    char buf[3];
    size_t got = 0;
    while (got < sizeof buf) { /* three batches committed, then a kill at any moment */
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fd);
    CHECK(got == sizeof buf && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(file_consistent(path));

    fc_store *s = fx_open(path);
    CHECK(s);
    int n_images = check_after_crash(s, id);
    CHECK_MSG(n_images >= 3 * IMAGES_PER_BATCH, "after the kill: %d images", n_images);
    int total = n_images + 3;
    fc_error err = {0};
    CHECK_OK(resume_and_finish(s, id, total, &err), &err);
    fc_run_rec run;
    int found;
    CHECK_OK(fc_store_run_get(s, id, &run, &found, &err), &err);
    CHECK(run.status == FC_RUN_DONE && run.total_images == total &&
          run.total_faces == (int64_t)total * FACES_PER_IMAGE);
    fc_run_rec_clear(&run);
    fc_store_close(s);
    CHECK(file_consistent(path));
    return FC_TEST_PASS;
}

/* Runs a writer of `batches` batches (finishing if finish) in a new file
 * {name}.db that dies at crash_point; checks that it died there and left the file
 * consistent. Returns 0 (path and id set), or -1 with the reason on stdout. */
static int crash_at(const char *name, int batches, int finish, const char *crash_point,
                    char *path, size_t size, char id[FC_OBJECTID_LEN + 1])
{
    fx_db_path(name, path, size);
    int fd, status = -1;
    pid_t pid = spawn_writer(path, batches, finish, crash_point, id, &fd);
    if (pid > 0) {
        waitpid(pid, &status, 0);
        close(fd);
    }
    if (pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 86) {
        printf("  the writer did not die at %s (status %d)\n", crash_point, status);
        return -1;
    }
    return file_consistent(path) ? 0 : -1;
}

TEST(store_crash_inside_finish_leaves_no_result)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    CHECK(crash_at("crash_finish", 2, 1, "run_finish", path, sizeof path, id) == 0);
    fc_store *s = fx_open(path);
    CHECK(s);
    CHECK(check_after_crash(s, id) == 2 * IMAGES_PER_BATCH);
    fc_error err = {0};
    fc_face_list unassigned;
    CHECK_OK(fc_store_face_list(s, id, "", 0, &unassigned, &err), &err);
    CHECK(unassigned.n == 2 * IMAGES_PER_BATCH * FACES_PER_IMAGE);
    fc_face_list_free(&unassigned);
    CHECK_OK(resume_and_finish(s, id, 2 * IMAGES_PER_BATCH, &err), &err);
    fc_run_list done;
    CHECK_OK(fc_store_run_list(s, "crash_test", FC_RUNS_DONE, &done, &err), &err);
    CHECK(done.n == 1 && done.items[0].total_images == 2 * IMAGES_PER_BATCH);
    fc_run_list_free(&done);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_crash_inside_batch_loses_only_that_batch)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    /* the crash point is armed from the start: the first batch dies before commit */
    CHECK(crash_at("crash_batch", 3, 0, "add_batch", path, sizeof path, id) == 0);
    fc_store *s = fx_open(path);
    CHECK(s);
    CHECK(check_after_crash(s, id) == 0);
    fc_error err = {0};
    CHECK_OK(resume_and_finish(s, id, 3, &err), &err);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_crash_live_writer_is_not_reaped)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    fx_db_path("crash_live", path, sizeof path);
    int fd;
    pid_t pid = spawn_writer(path, 0, 0, NULL, id, &fd);
    CHECK(pid > 0);
    char c;
    CHECK(read(fd, &c, 1) == 1);
    /* opening the store while another process writes a run leaves that run alone */
    fc_store *s = fx_open(path);
    fc_error err = {0};
    fc_run_rec run;
    int found = 0;
    fc_status rc = s ? fc_store_run_get(s, id, &run, &found, &err) : FC_ERR_IO;
    int running = !rc && found && run.status == FC_RUN_RUNNING;
    if (!rc)
        fc_run_rec_clear(&run);
    /* once its process is gone, the next look at it marks it failed */
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fd);
    CHECK(s);
    CHECK_MSG(running, "the live writer's run: %s", rc ? err.msg : "not running");
    CHECK_OK(fc_store_run_get(s, id, &run, &found, &err), &err);
    CHECK(found && run.status == FC_RUN_FAILED);
    fc_run_rec_clear(&run);
    fc_store_close(s);
    return FC_TEST_PASS;
}
