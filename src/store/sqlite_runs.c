/* sqlite_runs.c - clustering runs on SQLite: a run is a row of `runs`, its processed
 * images rows of `run_images`, its faces rows of `faces` (embedding beside them),
 * its persons rows of `persons`. Every write that touches several rows is one
 * transaction; run_finish is the one that makes a run "done", so a crash at any
 * point leaves either a finished run or an unfinished one, never half of one. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Test hook: a process with FC_STORE_CRASH_POINT=where dies here, mid-transaction,
 * as a crash would (tests/unit/test_store_crash.c). */
static void crash_point(const char *where)
{
    const char *want = getenv("FC_STORE_CRASH_POINT");
    if (want && !strcmp(want, where))
        _exit(86);
}

/* What a write needs to know about a run. */
typedef struct {
    int64_t id;
    int status; /* fc_run_status */
    char owner[FC_OWNER_MAX + 16];
} run_head;

static fc_status find_run(fc_sqlite *c, const char *clustering_id, run_head *h, int *found,
                          fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "SELECT id, status, owner FROM runs WHERE clustering_id = ?1",
                                     &q, err);
    if (!rc)
        rc = fc_sqlite_bind_text(q, 1, clustering_id) ? fc_sqlite_bind_failed(c, SQLITE_NOMEM, err)
                                                      : fc_sqlite_step(c, q, found, err);
    if (rc || !*found)
        return rc;
    h->id = sqlite3_column_int64(q, 0);
    h->status = fc_run_status_parse((const char *)sqlite3_column_text(q, 1));
    fc_sqlite_column_copy(q, 2, h->owner, sizeof h->owner);
    sqlite3_reset(q);
    return FC_OK;
}

/* The row id of a run this handle is writing, or FC_ERR_ARG saying why not. */
static fc_status writable_run(sqlite_store *s, const char *clustering_id, int64_t *id, fc_error *err)
{
    run_head h;
    int found;
    fc_status rc = find_run(s->c, clustering_id, &h, &found, err);
    if (rc)
        return rc;
    if (!found)
        return fc_error_set(err, FC_ERR_ARG, "no run %s", clustering_id);
    if (h.status != FC_RUN_RUNNING)
        return fc_error_set(err, FC_ERR_ARG, "run %s is %s: resume it first", clustering_id,
                            fc_run_status_name((fc_run_status)h.status));
    if (strcmp(h.owner, s->owner) != 0)
        return fc_error_set(err, FC_ERR_ARG, "run %s is being written by another handle (%s)",
                            clustering_id, h.owner);
    *id = h.id;
    return FC_OK;
}

fc_status fc_sqlite_runs_reap(sqlite_store *s, int mine, fc_error *err)
{
    fc_sqlite *c = s->c;
    sqlite3_stmt *q;
    int row;
    int64_t *ids = NULL;
    size_t n = 0;
    /* read first, write after: no write while a read statement is open. A shared run
       is not one process's: its workers' leases expire instead (sqlite_leases.c). */
    fc_status rc = fc_sqlite_prepare(c, "SELECT id, owner FROM runs WHERE status = 'running' "
                                        "AND shared = 0", &q, err);
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        const char *owner = (const char *)sqlite3_column_text(q, 1);
        if (mine ? !owner || strcmp(owner, s->owner) != 0 : fc_owner_alive(owner))
            continue;
        int64_t *slot = fc_rec_append((void **)&ids, &n, sizeof *ids);
        if (!slot)
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        else
            *slot = sqlite3_column_int64(q, 0);
    }
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    const char *why = mine ? "interrupted: the store was closed before the run finished"
                           : "interrupted: the process writing the run ended (crash or kill)";
    for (size_t i = 0; !rc && i < n; i++) {
        if (!(rc = fc_sqlite_prepare(c, "UPDATE runs SET status = 'failed', error = ?2, "
                                        "finished_at = ?3 WHERE id = ?1 AND status = 'running'",
                                     &q, err))) {
            int b = sqlite3_bind_int64(q, 1, ids[i]);
            b |= sqlite3_bind_text(q, 2, why, -1, SQLITE_STATIC);
            b |= sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
            rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
        }
    }
    free(ids);
    return rc;
}

fc_status fc_sqlite_runs_reap_read(sqlite_store *s, fc_error *err)
{
    fc_error e = {0};
    fc_status rc = fc_sqlite_runs_reap(s, 0, &e);
    int why = sqlite3_errcode(s->c->db) & 0xFF;
    if (rc == FC_ERR_IO && (why == SQLITE_READONLY || why == SQLITE_FULL)) {
        if (!s->reap_warned)
            fprintf(stderr, "facecluster: warning: %s: the runs of processes that ended stay "
                            "'running': marking them failed needs a write (%s)\n",
                    s->c->path, sqlite3_errstr(why));
        s->reap_warned = 1;
        return FC_OK;
    }
    if (rc && err)
        *err = e;
    return rc;
}

fc_status fc_sqlite_run_create(fc_store *st, fc_run_rec *run, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_prepare(s->c,
                                     "INSERT INTO runs (clustering_id, norm, bucket, sub, status, "
                                     "owner, timestamp, params) "
                                     "VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7)",
                                     &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, run->clustering_id, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 2, run->norm, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 3, run->bucket, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 4, run->sub, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 5, s->owner, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 6, run->timestamp, -1, SQLITE_TRANSIENT);
        b |= fc_sqlite_bind_text(q, 7, run->params);
        rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
        if (rc == FC_ERR_ARG)
            rc = fc_error_set(err, FC_ERR_ARG, "a run %s exists already", run->clustering_id);
    }
    fc_sqlite_unlock(s->c);
    return rc;
}

fc_status fc_sqlite_run_resume(fc_store *st, const char *clustering_id, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    run_head h;
    int found;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_runs_reap(s, 0, err);
    if (rc || (rc = fc_sqlite_begin(s->c, err)))
        goto out;
    if ((rc = find_run(s->c, clustering_id, &h, &found, err)))
        goto out;
    if (!found) {
        rc = fc_error_set(err, FC_ERR_ARG, "no run %s", clustering_id);
        goto out;
    }
    if (h.status != FC_RUN_FAILED) {
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is %s: only a failed run can be resumed",
                          clustering_id, fc_run_status_name((fc_run_status)h.status));
        goto out;
    }
    if ((rc = fc_sqlite_prepare(s->c, "UPDATE runs SET status = 'running', owner = ?2, error = NULL, "
                                      "finished_at = NULL WHERE id = ?1",
                                &q, err)))
        goto out;
    int b = sqlite3_bind_int64(q, 1, h.id);
    b |= sqlite3_bind_text(q, 2, s->owner, -1, SQLITE_TRANSIENT);
    rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

static fc_status insert_image(fc_sqlite *c, int64_t run, const fc_image_rec *img, fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "DELETE FROM faces WHERE run = ?1 AND image_path = ?2", &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, img->image_path, -1, SQLITE_TRANSIENT);
    if (b)
        return fc_sqlite_bind_failed(c, b, err);
    if ((rc = fc_sqlite_run(c, q, err)) ||
        (rc = fc_sqlite_prepare(c, "INSERT INTO run_images (run, image_path, ok, n_faces, reason, "
                                   "fingerprint) VALUES (?1, ?2, ?3, 0, ?4, ?5) "
                                   "ON CONFLICT (run, image_path) DO UPDATE SET ok = excluded.ok, "
                                   "reason = excluded.reason, fingerprint = excluded.fingerprint",
                                &q, err)))
        return rc;
    b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, img->image_path, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 3, img->ok != 0);
    b |= fc_sqlite_bind_text(q, 4, img->ok ? NULL : img->reason);
    b |= fc_sqlite_bind_text(q, 5, img->fingerprint);
    return b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
}

static fc_status insert_face(fc_sqlite *c, int64_t run, const fc_face_rec *f, const char *now,
                             fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "INSERT INTO faces (run, face_id, image_path, bbox_x, bbox_y, "
                                        "bbox_w, bbox_h, landmarks, confidence, quality_score, "
                                        "cluster_confidence, timestamp, dim, embedding) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                        "?13, ?14)",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, f->face_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 3, f->image_path, -1, SQLITE_TRANSIENT);
    for (int k = 0; k < 4; k++)
        b |= sqlite3_bind_int(q, 4 + k, f->bbox[k]);
    b |= fc_sqlite_bind_floats(q, 8, f->landmarks, 2 * f->n_landmarks);
    b |= sqlite3_bind_double(q, 9, f->confidence);
    b |= sqlite3_bind_double(q, 10, f->quality_score);
    b |= sqlite3_bind_double(q, 11, f->cluster_confidence);
    b |= sqlite3_bind_text(q, 12, f->timestamp[0] ? f->timestamp : now, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 13, f->dim);
    b |= fc_sqlite_bind_floats(q, 14, f->embedding, f->dim);
    if (b)
        return fc_sqlite_bind_failed(c, b, err);
    if ((rc = fc_sqlite_run(c, q, err)) == FC_ERR_ARG)
        rc = fc_error_set(err, FC_ERR_ARG, "face %s: %s", f->face_id, sqlite3_errmsg(c->db));
    return rc;
}

/* Sets an image's n_faces from its face rows. */
static fc_status count_image_faces(fc_sqlite *c, int64_t run, const char *image_path, fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "UPDATE run_images SET n_faces = (SELECT count(*) FROM faces "
                                        "WHERE run = ?1 AND image_path = ?2) "
                                        "WHERE run = ?1 AND image_path = ?2",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_text(q, 2, image_path, -1, SQLITE_TRANSIENT);
    return b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, q, err);
}

fc_status fc_sqlite_store_batch(fc_sqlite *c, int64_t run, const fc_face_rec *faces,
                                size_t n_faces, const fc_image_rec *images, size_t n_images,
                                const char *now, fc_error *err)
{
    fc_status rc = FC_OK;
    for (size_t i = 0; !rc && i < n_images; i++)
        rc = insert_image(c, run, &images[i], err);
    for (size_t i = 0; !rc && i < n_faces; i++)
        rc = insert_face(c, run, &faces[i], now, err);
    for (size_t i = 0; !rc && i < n_images; i++)
        rc = count_image_faces(c, run, images[i].image_path, err);
    return rc;
}

fc_status fc_sqlite_run_add_batch(fc_store *st, const char *clustering_id, const fc_face_rec *faces,
                                  size_t n_faces, const fc_image_rec *images, size_t n_images,
                                  fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    int64_t run;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = writable_run(s, clustering_id, &run, err)))
        goto out;
    rc = fc_sqlite_store_batch(s->c, run, faces, n_faces, images, n_images, now, err);
    if (!rc)
        crash_point("add_batch");
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

/* Inserts person number ord and gives it its member faces. */
static fc_status insert_person(fc_sqlite *c, int64_t run, int ord, const fc_person_rec *p,
                               const char *clustering_id, fc_error *err)
{
    sqlite3_stmt *q;
    fc_status rc = fc_sqlite_prepare(c, "INSERT INTO persons (run, ord, person_id, cluster_id, "
                                        "owner_face_id, dim, owner_embedding, centroid, size, "
                                        "avg_confidence, best_quality_score) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                                     &q, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(q, 1, run);
    b |= sqlite3_bind_int(q, 2, ord);
    b |= sqlite3_bind_text(q, 3, p->person_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 4, p->cluster_id[0] ? p->cluster_id : p->person_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_text(q, 5, p->owner_face_id, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int(q, 6, p->dim);
    b |= fc_sqlite_bind_floats(q, 7, p->owner_embedding, p->dim);
    b |= fc_sqlite_bind_floats(q, 8, p->centroid, p->dim);
    b |= sqlite3_bind_int64(q, 9, (int64_t)p->n_members);
    b |= sqlite3_bind_double(q, 10, p->avg_confidence);
    b |= sqlite3_bind_double(q, 11, p->best_quality_score);
    if (b)
        return fc_sqlite_bind_failed(c, b, err);
    if ((rc = fc_sqlite_run(c, q, err)))
        return rc == FC_ERR_ARG ? fc_error_set(err, rc, "person %s appears twice", p->person_id) : rc;
    int has_owner = 0;
    for (size_t j = 0; j < p->n_members; j++) {
        const fc_member_rec *m = &p->members[j];
        int is_owner = !strcmp(m->face_id, p->owner_face_id);
        has_owner |= is_owner;
        if ((rc = fc_sqlite_prepare(c, "UPDATE faces SET person_id = ?2, member_ord = ?3, "
                                       "cluster_confidence = ?4, is_owner_face = ?5 "
                                       "WHERE run = ?1 AND face_id = ?6 AND person_id IS NULL",
                                    &q, err)))
            return rc;
        b = sqlite3_bind_int64(q, 1, run);
        b |= sqlite3_bind_text(q, 2, p->person_id, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_int64(q, 3, (int64_t)j);
        b |= sqlite3_bind_double(q, 4, m->cluster_confidence);
        b |= sqlite3_bind_int(q, 5, is_owner);
        b |= sqlite3_bind_text(q, 6, m->face_id, -1, SQLITE_TRANSIENT);
        if (b)
            return fc_sqlite_bind_failed(c, b, err);
        if ((rc = fc_sqlite_run(c, q, err)))
            return rc;
        if (sqlite3_changes(c->db) != 1)
            return fc_error_set(err, FC_ERR_ARG,
                                "person %s: face %s is not a face of run %s, or is in two persons",
                                p->person_id, m->face_id, clustering_id);
    }
    if (p->owner_face_id[0] && !has_owner)
        return fc_error_set(err, FC_ERR_ARG, "person %s: owner face %s is not one of its members",
                            p->person_id, p->owner_face_id);
    return FC_OK;
}

fc_status fc_sqlite_run_finish(fc_store *st, const fc_run_rec *run, const fc_person_rec *persons,
                               size_t n_persons, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int64_t id;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = writable_run(s, run->clustering_id, &id, err)))
        goto out;
    /* a finish is whole: forget any earlier assignment of the faces to persons */
    if ((rc = fc_sqlite_exec_id(s->c, "UPDATE faces SET person_id = NULL, member_ord = NULL, "
                                 "is_owner_face = 0, cluster_confidence = 0 "
                                 "WHERE run = ?1 AND person_id IS NOT NULL", id, NULL, err)) ||
        (rc = fc_sqlite_exec_id(s->c, "DELETE FROM persons WHERE run = ?1", id, NULL, err)))
        goto out;
    for (size_t i = 0; !rc && i < n_persons; i++)
        rc = insert_person(s->c, id, (int)i, &persons[i], run->clustering_id, err);
    if (rc || (rc = fc_sqlite_prepare(s->c,
                                      "UPDATE runs SET status = 'done', owner = NULL, error = NULL, "
                                      "finished_at = ?2, total_images = (SELECT count(*) FROM "
                                      "run_images WHERE run = ?1 AND ok), total_faces = (SELECT "
                                      "count(*) FROM faces WHERE run = ?1), total_persons = ?3, "
                                      "unassigned_faces = (SELECT count(*) FROM faces WHERE run = ?1 "
                                      "AND person_id IS NULL), image_overlap_stats = ?4, "
                                      "processing_stats = ?5 WHERE id = ?1",
                                      &q, err)))
        goto out;
    int b = sqlite3_bind_int64(q, 1, id);
    b |= sqlite3_bind_text(q, 2, now, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(q, 3, (int64_t)n_persons);
    b |= fc_sqlite_bind_text(q, 4, run->image_overlap_stats);
    b |= fc_sqlite_bind_text(q, 5, run->processing_stats);
    if (!(rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err)))
        crash_point("run_finish");
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

fc_status fc_sqlite_run_fail(fc_store *st, const char *clustering_id, const char *reason,
                             fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    run_head h;
    int found;
    char now[FC_TIMESTAMP_LEN + 1];
    fc_timestamp_now(now);
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_begin(s->c, err);
    if (rc || (rc = find_run(s->c, clustering_id, &h, &found, err)))
        goto out;
    if (!found || h.status == FC_RUN_DONE) {
        rc = fc_error_set(err, FC_ERR_ARG, found ? "run %s is done already" : "no run %s", clustering_id);
        goto out;
    }
    if (h.status == FC_RUN_RUNNING) {
        if ((rc = fc_sqlite_prepare(s->c, "UPDATE runs SET status = 'failed', owner = NULL, "
                                          "error = ?2, finished_at = ?3 WHERE id = ?1",
                                    &q, err)))
            goto out;
        int b = sqlite3_bind_int64(q, 1, h.id);
        b |= sqlite3_bind_text(q, 2, reason, -1, SQLITE_TRANSIENT);
        b |= sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_run(s->c, q, err);
    }
out:
    rc = fc_sqlite_end(s->c, rc, err);
    fc_sqlite_unlock(s->c);
    return rc;
}

#define RUN_COLUMNS                                                                         \
    "clustering_id, bucket, sub, norm, status, timestamp, finished_at, error, total_images, " \
    "total_faces, total_persons, unassigned_faces, image_overlap_stats, processing_stats, params"

static fc_status read_run(sqlite3_stmt *q, fc_run_rec *r, fc_error *err)
{
    fc_sqlite_column_copy(q, 0, r->clustering_id, sizeof r->clustering_id);
    fc_sqlite_column_copy(q, 1, r->bucket, sizeof r->bucket);
    fc_sqlite_column_copy(q, 2, r->sub, sizeof r->sub);
    fc_sqlite_column_copy(q, 3, r->norm, sizeof r->norm);
    int status = fc_run_status_parse((const char *)sqlite3_column_text(q, 4));
    r->status = status < 0 ? FC_RUN_FAILED : (fc_run_status)status;
    fc_sqlite_column_copy(q, 5, r->timestamp, sizeof r->timestamp);
    fc_sqlite_column_copy(q, 6, r->finished_at, sizeof r->finished_at);
    r->total_images = sqlite3_column_int64(q, 8);
    r->total_faces = sqlite3_column_int64(q, 9);
    r->total_persons = sqlite3_column_int64(q, 10);
    r->unassigned_faces = sqlite3_column_int64(q, 11);
    if (fc_sqlite_column_dup(q, 7, &r->error) || fc_sqlite_column_dup(q, 12, &r->image_overlap_stats) ||
        fc_sqlite_column_dup(q, 13, &r->processing_stats) || fc_sqlite_column_dup(q, 14, &r->params))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    return FC_OK;
}

fc_status fc_sqlite_run_get(fc_store *st, const char *clustering_id, fc_run_rec *out, int *found,
                            fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_runs_reap_read(s, err);
    if (!rc && !(rc = fc_sqlite_prepare(s->c, "SELECT " RUN_COLUMNS " FROM runs WHERE clustering_id = ?1",
                                        &q, err))) {
        int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(s->c, b, err) : fc_sqlite_step(s->c, q, found, err);
        if (!rc && *found)
            rc = read_run(q, out, err);
    }
    fc_sqlite_unlock(s->c);
    if (rc)
        fc_run_rec_clear(out);
    return rc;
}

fc_status fc_sqlite_run_list(fc_store *st, const char *norm, unsigned status_mask,
                             fc_run_list *out, fc_error *err)
{
    char sql[512];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT " RUN_COLUMNS " FROM runs WHERE status IN (");
    for (int k = FC_RUN_RUNNING, first = 1; k <= FC_RUN_FAILED; k++)
        if (status_mask & (1u << k)) {
            used += (size_t)snprintf(sql + used, sizeof sql - used, "%s'%s'", first ? "" : ", ",
                                     fc_run_status_name((fc_run_status)k));
            first = 0;
        }
    snprintf(sql + used, sizeof sql - used, ")%s ORDER BY timestamp DESC, clustering_id DESC",
             norm ? " AND norm = ?1" : "");

    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_runs_reap_read(s, err);
    if (!rc && !(rc = fc_sqlite_prepare(s->c, sql, &q, err)) && norm) {
        int b = sqlite3_bind_text(q, 1, norm, -1, SQLITE_TRANSIENT);
        if (b)
            rc = fc_sqlite_bind_failed(s->c, b, err);
    }
    while (!rc && !(rc = fc_sqlite_step(s->c, q, &row, err)) && row) {
        fc_run_rec *r = fc_rec_append((void **)&out->items, &out->n, sizeof *r);
        rc = r ? read_run(q, r, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    fc_sqlite_unlock(s->c);
    if (rc)
        fc_run_list_free(out);
    return rc;
}

fc_status fc_sqlite_run_delete(fc_store *st, const char *clustering_id, int64_t *n_faces,
                               int *deleted, fc_error *err)
{
    sqlite_store *s = as_sqlite(st);
    sqlite3_stmt *q;
    run_head h;
    int found, row;
    fc_sqlite_lock(s->c);
    fc_status rc = fc_sqlite_runs_reap(s, 0, err);
    if (rc || (rc = fc_sqlite_begin(s->c, err)) ||
        (rc = find_run(s->c, clustering_id, &h, &found, err)) || !found)
        goto out;
    if (h.status == FC_RUN_RUNNING) {
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is running: cancel it before deleting it",
                          clustering_id);
        goto out;
    }
    if ((rc = fc_sqlite_prepare(s->c, "SELECT count(*) FROM faces WHERE run = ?1", &q, err)))
        goto out;
    sqlite3_bind_int64(q, 1, h.id);
    if ((rc = fc_sqlite_step(s->c, q, &row, err)))
        goto out;
    *n_faces = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if ((rc = fc_sqlite_exec_id(s->c, "DELETE FROM runs WHERE id = ?1", h.id, NULL, err)))
        goto out;
    *deleted = 1;
out:
    if ((rc = fc_sqlite_end(s->c, rc, err)))
        *deleted = 0, *n_faces = 0;
    fc_sqlite_unlock(s->c);
    return rc;
}

fc_status fc_sqlite_run_images(fc_store *st, const char *clustering_id, fc_image_list *out,
                               fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, "SELECT i.image_path, i.ok, i.n_faces, i.reason, "
                                        "i.fingerprint FROM run_images i "
                                        "JOIN runs r ON i.run = r.id WHERE r.clustering_id = ?1 "
                                        "ORDER BY i.image_path",
                                     &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
        if (b)
            rc = fc_sqlite_bind_failed(c, b, err);
    }
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_image_rec *img = fc_rec_append((void **)&out->items, &out->n, sizeof *img);
        if (!img || fc_sqlite_column_dup(q, 0, &img->image_path) ||
            fc_sqlite_column_dup(q, 3, &img->reason) || fc_sqlite_column_dup(q, 4, &img->fingerprint))
            rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        else {
            img->ok = sqlite3_column_int(q, 1);
            img->n_faces = sqlite3_column_int(q, 2);
        }
    }
    fc_sqlite_unlock(c);
    if (rc)
        fc_image_list_free(out);
    return rc;
}
