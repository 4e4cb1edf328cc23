/* sqlite_int.h - what the two files of the SQLite metadata backend share:
 * sqlite.c (handles, profiles, assignments, collections, the ops table) and
 * sqlite_runs.c (runs, their images, faces and persons). */
#ifndef FC_STORE_SQLITE_INT_H
#define FC_STORE_SQLITE_INT_H

#include "store/owner.h"
#include "store/sqlite_db.h"
#include "store/store.h"

typedef struct {
    fc_store base; /* first: the wrappers' part */
    fc_sqlite *c;
    char owner[FC_OWNER_MAX + 16]; /* fc_owner_self + ":h{n}", this handle */
    int reap_warned;               /* fc_sqlite_runs_reap_read said it could not write */
} sqlite_store;

static inline sqlite_store *as_sqlite(fc_store *s)
{
    return (sqlite_store *)s;
}

/* With the connection locked: marks "failed" every running run whose process is
 * gone (a crash), and, at close (mine = 1), every run this handle left running. */
fc_status fc_sqlite_runs_reap(sqlite_store *s, int mine, fc_error *err);
/* The same before a read (opening, getting or listing runs): when the file cannot
 * be written now (read-only, or its disk full), the runs stay as they are, with a
 * warning on stderr (once per handle), so that reading still works. */
fc_status fc_sqlite_runs_reap_read(sqlite_store *s, fc_error *err);

/* Inside a transaction: images[0..n_images) of run (a row id) as processed, with
 * their faces (sqlite_runs.c; run_add_batch and lease_complete). */
fc_status fc_sqlite_store_batch(fc_sqlite *c, int64_t run, const fc_face_rec *faces,
                                size_t n_faces, const fc_image_rec *images, size_t n_images,
                                const char *now, fc_error *err);

/* The run operations of struct fc_store_ops (sqlite_runs.c). */
fc_status fc_sqlite_run_create(fc_store *s, fc_run_rec *run, fc_error *err);
fc_status fc_sqlite_run_resume(fc_store *s, const char *clustering_id, fc_error *err);
fc_status fc_sqlite_run_add_batch(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                                  size_t n_faces, const fc_image_rec *images, size_t n_images,
                                  fc_error *err);
fc_status fc_sqlite_run_finish(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                               size_t n_persons, fc_error *err);
fc_status fc_sqlite_run_fail(fc_store *s, const char *clustering_id, const char *reason,
                             fc_error *err);
fc_status fc_sqlite_run_get(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                            fc_error *err);
fc_status fc_sqlite_run_list(fc_store *s, const char *norm, unsigned status_mask,
                             fc_run_list *out, fc_error *err);
fc_status fc_sqlite_run_delete(fc_store *s, const char *clustering_id, int64_t *n_faces,
                               int *deleted, fc_error *err);
fc_status fc_sqlite_run_images(fc_store *s, const char *clustering_id, fc_image_list *out,
                               fc_error *err);
fc_status fc_sqlite_face_list(fc_store *s, const char *clustering_id, const char *person_id,
                              int with_embeddings, fc_face_list *out, fc_error *err);
fc_status fc_sqlite_face_count(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err);
fc_status fc_sqlite_person_list(fc_store *s, const char *clustering_id, const char *person_id,
                                fc_person_list *out, fc_error *err);

/* Shared runs and their leases (sqlite_leases.c; docs/workers.md). */
fc_status fc_sqlite_run_open_shared(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                    size_t n_images, int *joined, fc_error *err);
fc_status fc_sqlite_lease_claim(fc_store *s, const char *clustering_id, const char *worker_id,
                                size_t max_images, int64_t lease_ms, fc_lease *out,
                                fc_error *err);
fc_status fc_sqlite_lease_heartbeat(fc_store *s, const char *clustering_id, const char *worker_id,
                                    int64_t lease_ms, int64_t *n_held, fc_error *err);
fc_status fc_sqlite_lease_complete(fc_store *s, const char *clustering_id, const char *worker_id,
                                   const fc_face_rec *faces, size_t n_faces,
                                   const fc_image_rec *images, size_t n_images, int *committed,
                                   fc_error *err);
fc_status fc_sqlite_lease_release(fc_store *s, const char *clustering_id, const char *worker_id,
                                  fc_error *err);
fc_status fc_sqlite_run_claim_finish(fc_store *s, const char *clustering_id,
                                     const char *worker_id, int64_t lease_ms, int *claimed,
                                     fc_error *err);

#endif
