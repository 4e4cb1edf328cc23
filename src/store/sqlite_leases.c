/* sqlite_leases.c - shared runs on SQLite (docs/workers.md): a run several worker
 * processes write together. Its images are rows of run_work, each free, leased to
 * one worker until a time, or done. Every operation is one BEGIN IMMEDIATE
 * transaction, so two processes never lease the same image at once, and
 * lease_complete checks inside its transaction that the images are still the
 * caller's before it stores them: an image is committed exactly once.
 *
 * Times are milliseconds of CLOCK_REALTIME taken by the writer: the workers of a
 * run share the database file, so they are on one host and one clock. */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A shared run: its row id, and whether it is running. */
static fc_status find_shared(fc_sqlite *c, const char *clustering_id, int64_t *id, int *running,
                             fc_error *err)
{
    sqlite3_stmt *q;
    int found;
    fc_status rc = fc_sqlite_prepare(c, "SELECT id, status = 'running' FROM runs "
                                        "WHERE clustering_id = ?1 AND shared = 1", &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
    if ((rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_step(c, q, &found, err)))
        return rc;
    if (!found)
        return fc_error_set(err, FC_ERR_ARG, "no shared run %s", clustering_id);
    *id = sqlite3_column_int64(q, 0);
    *running = sqlite3_column_int(q, 1);
    sqlite3_reset(q);
    return FC_OK;
}

/* Images of run not done yet. */
static fc_status count_left(fc_sqlite *c, int64_t run, int64_t *n, fc_error *err)
{
    sqlite3_stmt *q;
    int row;
    fc_status rc = fc_sqlite_prepare(c, "SELECT count(*) FROM run_work WHERE run = ?1 AND done = 0",
                                     &q, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, run);
    if (!(rc = fc_sqlite_step(c, q, &row, err)))
        *n = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc;
}

/* The open shared run of norm: its clustering_id and timestamp into run, *found. */
static fc_status join_open(fc_sqlite *c, fc_run_rec *run, int *found, fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "SELECT clustering_id, timestamp FROM runs "
                                        "WHERE norm = ?1 AND shared = 1 AND status = 'running'",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_text(q, 1, run->norm, -1, SQLITE_TRANSIENT);
    if ((rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_step(c, q, found, err)) || !*found)
        return rc;
    fc_sqlite_column_copy(q, 0, run->clustering_id, sizeof run->clustering_id);
    fc_sqlite_column_copy(q, 1, run->timestamp, sizeof run->timestamp);
    sqlite3_reset(q);
    return FC_OK;
}

static fc_status create_shared(sqlite_store *s, fc_run_rec *run, char *const *image_paths,
                               size_t n_images, fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(s->c,
                                     "INSERT INTO runs (clustering_id, norm, bucket, sub, status, "
                                     "timestamp, params, shared) "
                                     "VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, 1)",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_text(q, 1, run->clustering_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 2, run->norm, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 3, run->bucket, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 4, run->sub, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 5, run->timestamp, -1, SQLITE_TRANSIENT);
    b |= fc_sqlite_bind_text(q, 6, run->params);
    if ((rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err)))
        return rc == FC_ERR_ARG ? fc_error_set(err, rc, "a run %s exists already", run->clustering_id)
                                : rc;
    int64_t id = sqlite3_last_insert_rowid(s->c->db);
    for (size_t i = 0; !rc && i < n_images; i++) {
        if ((rc = fc_sqlite_prepare(s->c, "INSERT OR IGNORE INTO run_work (run, image_path) "
                                          "VALUES (?1, ?2)", &q, err)))
            break;
        sqlite3_bind_int64(q, 1, id);
        b = sqlite3_bind_text(q, 2, image_paths[i], -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
    }
    return rc;
}

fc_status fc_sqlite_run_open_shared(fc_store *st, fc_run_rec *run, char *const *image_paths,
                                    size_t n_images, int *joined, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    int found = 0;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (!rc && !(rc = join_open(s->c, run, &found, err)) && !found)
        rc = create_shared(s, run, image_paths, n_images, err);
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    *joined = !rc && found;
    return rc;
}

/* Leases the rows picked by the claim query; out->image_paths filled. */
static fc_status lease_rows(fc_sqlite *c, int64_t run, const char *worker_id, size_t max_images,
                            int64_t now, int64_t lease_ms, fc_lease *out, fc_error *err)
{
    sqlite3_stmt *q;
    int row;
    fc_status rc = fc_sqlite_prepare(c, "SELECT image_path, worker FROM run_work WHERE run = ?1 "
                                        "AND done = 0 AND (worker IS NULL OR expires <= ?2 OR "
                                        "worker = ?3) ORDER BY image_path LIMIT ?4",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_int64(q, 2, now);
    b |= sqlite3_bind_text(q, 3, worker_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(q, 4, (int64_t)max_images);
    if (b)
        return fc_sqlite_bind_failed(c, b, err);
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        char **slot = fc_rec_append((void **)&out->image_paths, &out->n, sizeof *slot);
        const char *holder = (const char *)sqlite3_column_text(q, 1);
        if (!slot || fc_sqlite_column_dup(q, 0, slot)) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
            break;
        }
        out->n_taken_over += holder && strcmp(holder, worker_id) != 0;
    }
    sqlite3_reset(q);
    for (size_t i = 0; !rc && i < out->n; i++) {
        if ((rc = fc_sqlite_prepare(c, "UPDATE run_work SET worker = ?3, expires = ?4, "
                                       "attempts = attempts + 1 WHERE run = ?1 AND image_path = ?2",
                                    &q, err)))
            break;
        b = sqlite3_bind_int64(q, 1, run);
        b |= sqlite3_bind_text(q, 2, out->image_paths[i], -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 3, worker_id, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_int64(q, 4, now + lease_ms);
        rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
    }
    return rc;
}

fc_status fc_sqlite_lease_claim(fc_store *st, const char *clustering_id, const char *worker_id,
                                size_t max_images, int64_t lease_ms, fc_lease *out,
                                fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    int64_t run;
    int running = 0;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (!rc && !(rc = find_shared(s->c, clustering_id, &run, &running, err)) && running) {
        out->run_open = 1;
        if (!(rc = lease_rows(s->c, run, worker_id, max_images, now_ms(), lease_ms, out, err)))
            rc = count_left(s->c, run, &out->n_left, err);
    }
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    if (rc)
        fc_lease_clear(out);
    return rc;
}

fc_status fc_sqlite_lease_heartbeat(fc_store *st, const char *clustering_id, const char *worker_id,
                                    int64_t lease_ms, int64_t *n_held, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int64_t run, until = now_ms() + lease_ms;
    int running;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = find_shared(s->c, clustering_id, &run, &running, err)) || !running)
        goto out;
    if ((rc = fc_sqlite_prepare(s->c, "UPDATE run_work SET expires = ?3 WHERE run = ?1 "
                                      "AND worker = ?2 AND done = 0", &q, err)))
        goto out;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, worker_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(q, 3, until);
    if ((rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err)))
        goto out;
    *n_held = sqlite3_changes64(s->c->db);
    if ((rc = fc_sqlite_prepare(s->c, "UPDATE runs SET finish_expires = ?3 WHERE id = ?1 "
                                      "AND finisher = ?2 AND status = 'running'", &q, err)))
        goto out;
    b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, worker_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(q, 3, until);
    rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

/* 1 when image_path of run is leased to worker_id and not done. */
static fc_status still_mine(fc_sqlite *c, int64_t run, const char *worker_id,
                            const char *image_path, int *mine, fc_error *err)
{
    sqlite3_stmt *q;
    int row;
    fc_status rc = fc_sqlite_prepare(c, "SELECT 1 FROM run_work WHERE run = ?1 AND image_path = ?2 "
                                        "AND worker = ?3 AND done = 0", &q, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, run);
    int b = sqlite3_bind_text(q, 2, image_path, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 3, worker_id, -1, SQLITE_TRANSIENT);
    if (b)
        return fc_sqlite_bind_failed(c, b, err);
    rc = fc_sqlite_step(c, q, &row, err);
    sqlite3_reset(q);
    *mine = row;
    return rc;
}

fc_status fc_sqlite_lease_complete(fc_store *st, const char *clustering_id, const char *worker_id,
                                   const fc_face_rec *faces, size_t n_faces,
                                   const fc_image_rec *images, size_t n_images, int *committed,
                                   fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int64_t run;
    int running, mine = 1;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = find_shared(s->c, clustering_id, &run, &running, err)) || !running)
        goto out;
    for (size_t i = 0; !rc && mine && i < n_images; i++)
        rc = still_mine(s->c, run, worker_id, images[i].image_path, &mine, err);
    if (rc || !mine ||
        (rc = fc_sqlite_store_batch(s->c, run, faces, n_faces, images, n_images, now, err)))
        goto out;
    for (size_t i = 0; !rc && i < n_images; i++) {
        if ((rc = fc_sqlite_prepare(s->c, "UPDATE run_work SET done = 1 WHERE run = ?1 "
                                          "AND image_path = ?2", &q, err)))
            break;
        sqlite3_bind_int64(q, 1, run);
        int b = sqlite3_bind_text(q, 2, images[i].image_path, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
    }
    *committed = !rc;
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    if (rc)
        *committed = 0;
    return rc;
}

fc_status fc_sqlite_lease_release(fc_store *st, const char *clustering_id, const char *worker_id,
                                  fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int64_t run;
    int running;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = find_shared(s->c, clustering_id, &run, &running, err)) || !running)
        goto out;
    if ((rc = fc_sqlite_prepare(s->c, "UPDATE run_work SET worker = NULL, expires = 0 "
                                      "WHERE run = ?1 AND worker = ?2 AND done = 0", &q, err)))
        goto out;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, worker_id, -1, SQLITE_TRANSIENT);
    if ((rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err)) ||
        (rc = fc_sqlite_prepare(s->c, "UPDATE runs SET finisher = NULL, finish_expires = 0, "
                                      "owner = NULL WHERE id = ?1 AND finisher = ?2", &q, err)))
        goto out;
    b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, worker_id, -1, SQLITE_TRANSIENT);
    rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

fc_status fc_sqlite_run_claim_finish(fc_store *st, const char *clustering_id,
                                     const char *worker_id, int64_t lease_ms, int *claimed,
                                     fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int64_t run, left = 0, now = now_ms();
    int running;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = find_shared(s->c, clustering_id, &run, &running, err)) || !running ||
        (rc = count_left(s->c, run, &left, err)) || left)
        goto out;
    /* the claim is a state change guarded by its own condition: one worker gets it */
    if ((rc = fc_sqlite_prepare(s->c, "UPDATE runs SET finisher = ?2, finish_expires = ?4, "
                                      "owner = ?5 WHERE id = ?1 AND status = 'running' AND "
                                      "(finisher IS NULL OR finisher = ?2 OR finish_expires <= ?3)",
                                &q, err)))
        goto out;
    sqlite3_bind_int64(q, 1, run);
    int b = sqlite3_bind_text(q, 2, worker_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(q, 3, now);
    b |= sqlite3_bind_int64(q, 4, now + lease_ms);
    b |= sqlite3_bind_text(q, 5, s->owner, -1, SQLITE_TRANSIENT);
    if (!(rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err)))
        *claimed = sqlite3_changes64(s->c->db) == 1;
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    if (rc)
        *claimed = 0;
    return rc;
}
