/* sqlite_faces.c - reading the faces and persons of a run from SQLite (the writes
 * are in sqlite_runs.c). A person's member arrays are its face rows, in member
 * order, so they cannot disagree with the faces. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fc_status read_face(sqlite3_stmt *q, const char *clustering_id, fc_face_rec *f,
                           fc_error *err)
{
    fc_sqlite_column_copy(q, 0, f->face_id, sizeof f->face_id);
    snprintf(f->clustering_id, sizeof f->clustering_id, "%s", clustering_id);
    fc_sqlite_column_copy(q, 2, f->person_id, sizeof f->person_id);
    f->is_owner_face = sqlite3_column_int(q, 3);
    for (int k = 0; k < 4; k++)
        f->bbox[k] = sqlite3_column_int(q, 4 + k);
    f->confidence = (float)sqlite3_column_double(q, 9);
    f->quality_score = (float)sqlite3_column_double(q, 10);
    f->cluster_confidence = (float)sqlite3_column_double(q, 11);
    fc_sqlite_column_copy(q, 12, f->timestamp, sizeof f->timestamp);
    f->dim = sqlite3_column_int(q, 13);
    if (fc_sqlite_column_dup(q, 1, &f->image_path))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    int landmark_bytes = sqlite3_column_bytes(q, 8);
    if (landmark_bytes != 0 && landmark_bytes != 2 * FC_FACE_LANDMARKS * (int)sizeof(float))
        return fc_error_set(err, FC_ERR_FORMAT, "face %s: stored landmarks of %d bytes", f->face_id,
                            landmark_bytes);
    float *landmarks;
    fc_status rc = fc_sqlite_column_floats(q, 8, landmark_bytes / (int)sizeof(float), &landmarks, err);
    if (rc)
        return rc;
    if (landmarks) {
        f->n_landmarks = FC_FACE_LANDMARKS;
        memcpy(f->landmarks, landmarks, sizeof f->landmarks);
        free(landmarks);
    }
    if (sqlite3_column_type(q, 14) == SQLITE_NULL) /* none stored, or not asked for */
        return FC_OK;
    return fc_sqlite_column_floats(q, 14, f->dim, &f->embedding, err);
}

fc_status fc_sqlite_face_list(fc_store *st, const char *clustering_id, const char *person_id,
                              int with_embeddings, fc_face_list *out, fc_error *err)
{
    const char *where = !person_id ? "" : !*person_id ? " AND f.person_id IS NULL" : " AND f.person_id = ?2";
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT f.face_id, f.image_path, f.person_id, f.is_owner_face, f.bbox_x, f.bbox_y, "
             "f.bbox_w, f.bbox_h, f.landmarks, f.confidence, f.quality_score, "
             "f.cluster_confidence, f.timestamp, f.dim, %s FROM faces f JOIN runs r ON f.run = r.id "
             "WHERE r.clustering_id = ?1%s ORDER BY %s",
             with_embeddings ? "f.embedding" : "NULL", where,
             person_id && *person_id ? "f.member_ord" : "f.id");
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, sql, &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
        if (person_id && *person_id)
            b |= sqlite3_bind_text(q, 2, person_id, -1, SQLITE_TRANSIENT);
        if (b)
            rc = fc_sqlite_bind_failed(c, b, err);
    }
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_face_rec *f = fc_rec_append((void **)&out->items, &out->n, sizeof *f);
        rc = f ? read_face(q, clustering_id, f, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    fc_sqlite_unlock(c);
    if (rc)
        fc_face_list_free(out);
    return rc;
}

fc_status fc_sqlite_face_count(fc_store *st, const char *clustering_id, int64_t *n, fc_error *err)
{
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, "SELECT count(*) FROM faces f JOIN runs r ON f.run = r.id "
                                        "WHERE r.clustering_id = ?1",
                                     &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
        rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_step(c, q, &row, err);
        if (!rc)
            *n = sqlite3_column_int64(q, 0);
    }
    fc_sqlite_unlock(c);
    return rc;
}

/* Fills p's members from its face rows (run row id run). */
static fc_status read_members(fc_sqlite *c, int64_t run, fc_person_rec *p, fc_error *err)
{
    sqlite3_stmt *q;
    int row;
    fc_status rc = fc_sqlite_prepare(c, "SELECT face_id, image_path, confidence, quality_score, "
                                        "cluster_confidence FROM faces WHERE run = ?1 AND "
                                        "person_id = ?2 ORDER BY member_ord",
                                     &q, err);
    if (!rc) {
        int b = sqlite3_bind_int64(q, 1, run);
        b |= sqlite3_bind_text(q, 2, p->person_id, -1, SQLITE_TRANSIENT);
        if (b)
            rc = fc_sqlite_bind_failed(c, b, err);
    }
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_member_rec *m = fc_rec_append((void **)&p->members, &p->n_members, sizeof *m);
        if (!m || fc_sqlite_column_dup(q, 1, &m->image_path))
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        fc_sqlite_column_copy(q, 0, m->face_id, sizeof m->face_id);
        m->confidence = (float)sqlite3_column_double(q, 2);
        m->quality_score = (float)sqlite3_column_double(q, 3);
        m->cluster_confidence = (float)sqlite3_column_double(q, 4);
    }
    sqlite3_reset(q);
    return rc;
}

static fc_status read_person(fc_sqlite *c, sqlite3_stmt *q, fc_person_rec *p, fc_error *err)
{
    fc_sqlite_column_copy(q, 0, p->person_id, sizeof p->person_id);
    fc_sqlite_column_copy(q, 1, p->cluster_id, sizeof p->cluster_id);
    fc_sqlite_column_copy(q, 2, p->owner_face_id, sizeof p->owner_face_id);
    p->dim = sqlite3_column_int(q, 3);
    p->avg_confidence = (float)sqlite3_column_double(q, 6);
    p->best_quality_score = (float)sqlite3_column_double(q, 7);
    int dim_owner = sqlite3_column_type(q, 4) == SQLITE_NULL ? 0 : p->dim;
    int dim_centroid = sqlite3_column_type(q, 5) == SQLITE_NULL ? 0 : p->dim;
    fc_status rc = fc_sqlite_column_floats(q, 4, dim_owner, &p->owner_embedding, err);
    if (!rc)
        rc = fc_sqlite_column_floats(q, 5, dim_centroid, &p->centroid, err);
    if (!rc)
        rc = read_members(c, sqlite3_column_int64(q, 8), p, err);
    return rc;
}

fc_status fc_sqlite_person_list(fc_store *st, const char *clustering_id, const char *person_id,
                                fc_person_list *out, fc_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT p.person_id, p.cluster_id, p.owner_face_id, p.dim, p.owner_embedding, "
             "p.centroid, p.avg_confidence, p.best_quality_score, p.run FROM persons p "
             "JOIN runs r ON p.run = r.id WHERE r.clustering_id = ?1%s ORDER BY p.ord",
             person_id ? " AND p.person_id = ?2" : "");
    fc_sqlite *c = as_sqlite(st)->c;
    sqlite3_stmt *q;
    int row;
    fc_sqlite_lock(c);
    fc_status rc = fc_sqlite_prepare(c, sql, &q, err);
    if (!rc) {
        int b = sqlite3_bind_text(q, 1, clustering_id, -1, SQLITE_TRANSIENT);
        if (person_id)
            b |= sqlite3_bind_text(q, 2, person_id, -1, SQLITE_TRANSIENT);
        if (b)
            rc = fc_sqlite_bind_failed(c, b, err);
    }
    while (!rc && !(rc = fc_sqlite_step(c, q, &row, err)) && row) {
        fc_person_rec *p = fc_rec_append((void **)&out->items, &out->n, sizeof *p);
        rc = p ? read_person(c, q, p, err) : fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    fc_sqlite_unlock(c);
    if (rc)
        fc_person_list_free(out);
    return rc;
}
