/* store.h - the metadata store: user profiles, clustering runs with their faces and
 * persons, and cluster assignments (API.md "Data model").
 *
 * A backend is a const table of functions (struct fc_store_ops): fc_store_sqlite
 * (embedded, the default), MongoDB later. It is chosen once from the configuration;
 * the core calls only the fc_store_* wrappers below, which are where tracing
 * (FC_STORE_TRACE=1) and fault injection (tests) live.
 *
 * Every function returns FC_OK or an error code with a reason in err. Lookups that
 * may find nothing say so in *found; they do not fail.
 *
 * A clustering run, and why a crash never leaves a half-visible result:
 *
 *   fc_run_rec run = {0};  // bucket, sub, params set by the caller
 *   fc_store_run_create(s, &run, &err);              // status "running"
 *   fc_store_run_images(s, id, &done, &err);         // --resume: images to skip
 *   fc_store_run_add_batch(s, id, faces, nf, imgs, ni, &err); // one transaction each
 *   ... cluster ...
 *   fc_store_run_finish(s, &run, persons, np, &err); // one transaction: persons,
 *                                                    // faces' persons, status "done"
 *   or fc_store_run_fail(s, id, "why", &err);
 *
 * Until run_finish commits, a run is "running" and listed only on request; a run
 * left "running" by a process that died is marked "failed" the next time the store
 * is opened or a run is looked up. Its stored images stay, so fc_store_run_resume
 * can continue it.
 *
 * Handles are thread-safe (calls are serialised); for parallel writers open one
 * handle per thread. Do not carry a handle across fork(): open a new one.
 */
#ifndef FC_STORE_STORE_H
#define FC_STORE_STORE_H

#include "core/config.h"
#include "core/status.h"
#include "store/hooks.h"
#include "store/records.h"

typedef struct fc_store fc_store;

/* Which runs run_list returns: a mask of 1 << fc_run_status. */
#define FC_RUNS_DONE (1u << FC_RUN_DONE)
#define FC_RUNS_ALL ((1u << FC_RUN_RUNNING) | (1u << FC_RUN_DONE) | (1u << FC_RUN_FAILED))

/* Assignment queries: every non-NULL field must match. */
typedef struct {
    const char *clustering_id;
    const char *user_id;
    const char *bucket_name;
    const char *sub_bucket;
} fc_assignment_filter;

/* What a backend implements. The wrappers check arguments that every backend would
 * check (ids well-formed, names valid, pointers set) before calling these. */
struct fc_store_ops {
    const char *name;
    /* location: a file path (sqlite) or a URL (mongodb). The backend allocates its
       handle, a struct whose first member is struct fc_store. */
    fc_store *(*open)(const char *location, fc_error *err);
    /* Optional (NULL: open): a handle for a short command that mostly reads, which
       may read where open cannot (SQLite on a full disk: fc_store_open_reader). */
    fc_store *(*open_reader)(const char *location, fc_error *err);
    void (*close)(fc_store *s);
    fc_status (*health)(fc_store *s, fc_error *err);

    fc_status (*profile_upsert)(fc_store *s, const fc_profile_rec *p, fc_error *err);
    fc_status (*profile_get)(fc_store *s, const char *user_id, fc_profile_rec *out, int *found,
                             fc_error *err);
    fc_status (*profile_list)(fc_store *s, int64_t limit, fc_profile_list *out, fc_error *err);
    fc_status (*profile_delete)(fc_store *s, const char *user_id, int *deleted, fc_error *err);
    fc_status (*profile_count)(fc_store *s, int64_t *n, fc_error *err);

    fc_status (*run_create)(fc_store *s, fc_run_rec *run, fc_error *err);
    fc_status (*run_resume)(fc_store *s, const char *clustering_id, fc_error *err);
    fc_status (*run_add_batch)(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                               size_t n_faces, const fc_image_rec *images, size_t n_images,
                               fc_error *err);
    fc_status (*run_finish)(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                            size_t n_persons, fc_error *err);
    fc_status (*run_fail)(fc_store *s, const char *clustering_id, const char *reason,
                          fc_error *err);
    fc_status (*run_get)(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                         fc_error *err);
    fc_status (*run_list)(fc_store *s, const char *norm, unsigned status_mask, fc_run_list *out,
                          fc_error *err);
    fc_status (*run_delete)(fc_store *s, const char *clustering_id, int64_t *n_faces,
                            int *deleted, fc_error *err);
    fc_status (*run_images)(fc_store *s, const char *clustering_id, fc_image_list *out,
                            fc_error *err);

    fc_status (*face_list)(fc_store *s, const char *clustering_id, const char *person_id,
                           int with_embeddings, fc_face_list *out, fc_error *err);
    fc_status (*face_count)(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err);
    fc_status (*person_list)(fc_store *s, const char *clustering_id, const char *person_id,
                             fc_person_list *out, fc_error *err);

    fc_status (*assignment_upsert)(fc_store *s, const fc_assignment_rec *items, size_t n,
                                   fc_error *err);
    fc_status (*assignment_list)(fc_store *s, const fc_assignment_filter *f,
                                 fc_assignment_list *out, fc_error *err);
    fc_status (*assignment_delete_run)(fc_store *s, const char *clustering_id, int64_t *deleted,
                                       fc_error *err);

    fc_status (*collection_list)(fc_store *s, fc_collection_list *out, fc_error *err);

    /* Shared runs (docs/workers.md). Optional: a backend that leaves them NULL makes
       the wrappers return FC_ERR_UNSUPPORTED. Times are lease_ms from now. */
    fc_status (*run_open_shared)(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                 size_t n_images, int *joined, fc_error *err);
    fc_status (*lease_claim)(fc_store *s, const char *clustering_id, const char *worker_id,
                             size_t max_images, int64_t lease_ms, fc_lease *out, fc_error *err);
    fc_status (*lease_heartbeat)(fc_store *s, const char *clustering_id, const char *worker_id,
                                 int64_t lease_ms, int64_t *n_held, fc_error *err);
    fc_status (*lease_complete)(fc_store *s, const char *clustering_id, const char *worker_id,
                                const fc_face_rec *faces, size_t n_faces,
                                const fc_image_rec *images, size_t n_images, int *committed,
                                fc_error *err);
    fc_status (*lease_release)(fc_store *s, const char *clustering_id, const char *worker_id,
                               fc_error *err);
    fc_status (*run_claim_finish)(fc_store *s, const char *clustering_id, const char *worker_id,
                                  int64_t lease_ms, int *claimed, fc_error *err);
};

/* The wrappers' part of every handle; backends embed it first and leave it to the
 * wrappers. */
struct fc_store {
    const struct fc_store_ops *ops;
    fc_hooks hooks; /* tracing (FC_STORE_TRACE=1) and fault injection */
};

extern const struct fc_store_ops fc_store_sqlite;

/* ---- opening -------------------------------------------------------------- */

/* The backend the configuration names: MongoDB when cfg->mongo_url is set (not
 * built yet: FC_ERR_UNSUPPORTED, never a silent fallback), else SQLite at
 * cfg->db_path. Close with fc_store_close. */
fc_store *fc_store_open(const fc_config *cfg, fc_error *err);
/* The same for what must read even on a disk too full for the -shm file that SQLite
 * needs to read a WAL file (runs, persons, verify, the server): the SQLite file is
 * then read holding it exclusively until fc_store_close, so other processes wait for
 * it, and the process's other opens of it (the local vectors, a job's store) share
 * the handle (docs/store.md, "A file that cannot be written"). */
fc_store *fc_store_open_reader(const fc_config *cfg, fc_error *err);
/* A given backend at a given location (tests, tools); reader as fc_store_open_reader. */
fc_store *fc_store_open_with(const struct fc_store_ops *ops, const char *location, fc_error *err);
fc_store *fc_store_open_reader_with(const struct fc_store_ops *ops, const char *location,
                                    fc_error *err);
/* Closes the handle; runs it created and left running become "failed". NULL: no-op. */
void fc_store_close(fc_store *s);
const char *fc_store_backend_name(const fc_store *s);

/* FC_OK when the backend answers a query. */
fc_status fc_store_health(fc_store *s, fc_error *err);

/* ---- user_profiles ---------------------------------------------------------- */

/* Creates or replaces the profile of p->user_id (valid: fc_user_id_valid). The store
 * sets updated_at, and created_at on creation (kept on replacement). */
fc_status fc_store_profile_upsert(fc_store *s, const fc_profile_rec *p, fc_error *err);
/* *found = 0 and out zeroed when there is no such user. Clear out. */
fc_status fc_store_profile_get(fc_store *s, const char *user_id, fc_profile_rec *out, int *found,
                               fc_error *err);
/* Profiles in creation order, at most limit (<= 0: all), with embeddings. */
fc_status fc_store_profile_list(fc_store *s, int64_t limit, fc_profile_list *out, fc_error *err);
fc_status fc_store_profile_delete(fc_store *s, const char *user_id, int *deleted, fc_error *err);
fc_status fc_store_profile_count(fc_store *s, int64_t *n, fc_error *err);

/* ---- clustering runs -------------------------------------------------------- */

/* Starts a run of run->bucket/run->sub (valid names). Sets clustering_id (a new
 * ObjectId unless the caller set a valid unused one), norm, timestamp, status
 * "running". Reads params (JSON object text or NULL). */
fc_status fc_store_run_create(fc_store *s, fc_run_rec *run, fc_error *err);
/* Makes a failed run "running" again, owned by this handle, to add more images. A
 * done run, or one still running in a live process, is FC_ERR_ARG. */
fc_status fc_store_run_resume(fc_store *s, const char *clustering_id, fc_error *err);
/* Stores, in one transaction, images[0..n_images) as processed and the faces of
 * those images (each face's image_path among them; face_id a UUID; clustering_id ""
 * or the run's). An image stored before is replaced with its new faces, so a
 * retried batch is harmless. The run must be running and created or resumed by
 * this handle. */
fc_status fc_store_run_add_batch(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                                 size_t n_faces, const fc_image_rec *images, size_t n_images,
                                 fc_error *err);
/* Commits run->clustering_id in one transaction: persons[0..n_persons) in order
 * (each member a face of the run, in at most one person; the owner one of its
 * members; cluster_id "" = person_id), each face's person_id, member order,
 * cluster_confidence and is_owner_face, the run's image_overlap_stats and
 * processing_stats (JSON objects or NULL), status "done". The counts
 * total_images, total_faces, total_persons and unassigned_faces are computed from
 * the stored rows (the caller's are ignored). All or nothing. */
fc_status fc_store_run_finish(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                              size_t n_persons, fc_error *err);
/* Marks a running run "failed" with reason; a failed one stays failed (FC_OK); a
 * done one is FC_ERR_ARG. */
fc_status fc_store_run_fail(fc_store *s, const char *clustering_id, const char *reason,
                            fc_error *err);
/* Any run, whatever its status. Clear out. */
fc_status fc_store_run_get(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                           fc_error *err);
/* Runs of one collection (norm; NULL: all) whose status is in status_mask
 * (FC_RUNS_DONE for results), newest first. */
fc_status fc_store_run_list(fc_store *s, const char *norm, unsigned status_mask, fc_run_list *out,
                            fc_error *err);
/* Deletes a run with its faces, persons and image list in one transaction;
 * *n_faces = faces deleted, *deleted = 0 when there was no such run. A run
 * running in a live process is FC_ERR_ARG. Assignments are separate. */
fc_status fc_store_run_delete(fc_store *s, const char *clustering_id, int64_t *n_faces,
                              int *deleted, fc_error *err);
/* The images of a run already stored (ok or failed), sorted by path. */
fc_status fc_store_run_images(fc_store *s, const char *clustering_id, fc_image_list *out,
                              fc_error *err);

/* ---- faces and persons of a run --------------------------------------------- */

/* Faces of a run: person_id NULL = all (insertion order), "" = unassigned,
 * else that person's (member order). Embeddings only if with_embeddings (else
 * embedding is NULL and dim still gives the stored size). */
fc_status fc_store_face_list(fc_store *s, const char *clustering_id, const char *person_id,
                             int with_embeddings, fc_face_list *out, fc_error *err);
fc_status fc_store_face_count(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err);
/* Persons of a done run in order (person_id NULL), or the one person_id (0 or 1
 * items), members filled from the face rows. */
fc_status fc_store_person_list(fc_store *s, const char *clustering_id, const char *person_id,
                               fc_person_list *out, fc_error *err);

/* ---- cluster_assignments ---------------------------------------------------- */

/* Upserts items on (clustering_id, cluster_id), in one transaction: created_at kept
 * for an existing row, updated_at now. */
fc_status fc_store_assignment_upsert(fc_store *s, const fc_assignment_rec *items, size_t n,
                                     fc_error *err);
/* Assignments matching f (f or its fields NULL: any), by clustering_id, then in
 * insertion order. */
fc_status fc_store_assignment_list(fc_store *s, const fc_assignment_filter *f,
                                   fc_assignment_list *out, fc_error *err);
fc_status fc_store_assignment_delete_run(fc_store *s, const char *clustering_id,
                                         int64_t *deleted, fc_error *err);

/* ---- shared runs: several workers on one bucket (docs/workers.md) ------------- */

/*   int joined;
 *   fc_store_run_open_shared(s, &run, keys, n_keys, &joined, &err); // create or join
 *   for (;;) {
 *       fc_store_lease_claim(s, id, me, 8, 3000, &lease, &err);     // a batch of images
 *       if (!lease.n) { all done? claim the finish : wait for expired leases }
 *       ... pipeline; fc_store_lease_heartbeat every lease_ms / 3 from another thread ...
 *       fc_store_lease_complete(s, id, me, faces, nf, imgs, ni, &committed, &err);
 *   }
 *   fc_store_run_claim_finish(s, id, me, 3000, &claimed, &err);     // exactly one worker
 *   if (claimed) { cluster; fc_store_run_finish(s, &run, ...); }
 *
 * A shared run is never failed by the reaper when a process dies: a dead worker's
 * leases expire and other workers take its images over. These return
 * FC_ERR_UNSUPPORTED on a backend without them. */

/* Joins the running shared run of run->bucket/run->sub, or creates one ("running",
 * shared) with image_paths[0..n_images) as its images, in one transaction (so two
 * workers starting together make one run). *joined = 1 when it existed: then only
 * run->clustering_id and timestamp are set from it (read its params with
 * fc_store_run_get), and the caller's image list is ignored: the images are
 * registered once, by the creator. Reads params (JSON object text or NULL). */
fc_status fc_store_run_open_shared(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                   size_t n_images, int *joined, fc_error *err);
/* Leases to worker_id at most max_images (1..1000) images of the run, by path, that
 * are neither done nor leased (a lease that expired, its worker dead or slow, is
 * taken over), until lease_ms (> 0) from now. out->n = 0: nothing free now; then
 * out->n_left = 0 says every image is done, else others hold leases. A run that is
 * not running: out->run_open = 0, FC_OK. Clear out with fc_lease_clear. */
fc_status fc_store_lease_claim(fc_store *s, const char *clustering_id, const char *worker_id,
                               size_t max_images, int64_t lease_ms, fc_lease *out, fc_error *err);
/* Extends every lease worker_id still holds in the run (and its finish claim) to
 * lease_ms from now; *n_held = the images it holds. */
fc_status fc_store_lease_heartbeat(fc_store *s, const char *clustering_id, const char *worker_id,
                                   int64_t lease_ms, int64_t *n_held, fc_error *err);
/* fc_store_run_add_batch for leased images, in one transaction that also marks them
 * done: *committed = 1. If any of images[] is not leased to worker_id any more
 * (taken over after its lease expired, or done), nothing is written and
 * *committed = 0 (FC_OK): an image is committed exactly once. */
fc_status fc_store_lease_complete(fc_store *s, const char *clustering_id, const char *worker_id,
                                  const fc_face_rec *faces, size_t n_faces,
                                  const fc_image_rec *images, size_t n_images, int *committed,
                                  fc_error *err);
/* Gives back the images worker_id holds and its finish claim (a worker that stops). */
fc_status fc_store_lease_release(fc_store *s, const char *clustering_id, const char *worker_id,
                                 fc_error *err);
/* When every image of the running shared run is done and no live worker claimed the
 * finish (none, or its claim expired): claims it for worker_id until lease_ms from
 * now and makes this handle the run's writer (*claimed = 1), so that it can
 * fc_store_run_finish or fc_store_run_fail it. Else *claimed = 0. */
fc_status fc_store_run_claim_finish(fc_store *s, const char *clustering_id,
                                    const char *worker_id, int64_t lease_ms, int *claimed,
                                    fc_error *err);

/* ---- debug ------------------------------------------------------------------ */

/* Every collection with its document count (records.h fc_collection_rec), by name. */
fc_status fc_store_collection_list(fc_store *s, fc_collection_list *out, fc_error *err);

/* ---- tests -------------------------------------------------------------------- */

/* The operations, for fault injection and traces. */
typedef enum {
    FC_STORE_OP_HEALTH = 0,
    FC_STORE_OP_PROFILE_UPSERT,
    FC_STORE_OP_PROFILE_GET,
    FC_STORE_OP_PROFILE_LIST,
    FC_STORE_OP_PROFILE_DELETE,
    FC_STORE_OP_PROFILE_COUNT,
    FC_STORE_OP_RUN_CREATE,
    FC_STORE_OP_RUN_RESUME,
    FC_STORE_OP_RUN_ADD_BATCH,
    FC_STORE_OP_RUN_FINISH,
    FC_STORE_OP_RUN_FAIL,
    FC_STORE_OP_RUN_GET,
    FC_STORE_OP_RUN_LIST,
    FC_STORE_OP_RUN_DELETE,
    FC_STORE_OP_RUN_IMAGES,
    FC_STORE_OP_FACE_LIST,
    FC_STORE_OP_FACE_COUNT,
    FC_STORE_OP_PERSON_LIST,
    FC_STORE_OP_ASSIGNMENT_UPSERT,
    FC_STORE_OP_ASSIGNMENT_LIST,
    FC_STORE_OP_ASSIGNMENT_DELETE_RUN,
    FC_STORE_OP_COLLECTION_LIST,
    FC_STORE_OP_RUN_OPEN_SHARED,
    FC_STORE_OP_LEASE_CLAIM,
    FC_STORE_OP_LEASE_HEARTBEAT,
    FC_STORE_OP_LEASE_COMPLETE,
    FC_STORE_OP_LEASE_RELEASE,
    FC_STORE_OP_RUN_CLAIM_FINISH,
    FC_STORE_OP_COUNT
} fc_store_op;

const char *fc_store_op_name(fc_store_op op); /* "run_finish" */

/* Makes call number after + 1 (from now) of op fail with code, without reaching
 * the backend; once. Not to be called while other threads use the handle. */
void fc_store_fault_inject(fc_store *s, fc_store_op op, int after, fc_status code);

#endif
