/* mongo_int.h - what the files of the MongoDB metadata backend share: mongo_docs.c
 * (BSON documents of API.md's data model <-> records; no I/O), mongo_retry.c
 * (transient errors, backoff), mongo_persons.c (the persons of a run; no I/O),
 * mongo.c (client pool, profiles, assignments, collections, the ops table),
 * mongo_runs.c / mongo_run_ops.c (runs, faces, persons, the writer's lease),
 * mongo_spill.c (the persons of a run too large for its document) and
 * mongo_lease_docs.c / mongo_leases.c (shared runs). */
#ifndef FC_STORE_MONGO_INT_H
#define FC_STORE_MONGO_INT_H

#include "store/owner.h"
#include "store/store.h"

#include <mongoc/mongoc.h>
#include <pthread.h>

extern const struct fc_store_ops fc_store_mongo;

/* Opens the MongoDB backend: url a mongodb:// or mongodb+srv:// URI, db the database
 * (NULL: the URI's, else "face_recognition"). Pings the server: an unreachable one
 * is an error. The handle is complete (ops, hooks). Close with fc_store_close. */
fc_store *fc_mongo_open(const char *url, const char *db, fc_error *err);

/* ---- collections and documents (mongo_docs.c) ---------------------------------- */

#define FC_MONGO_PROFILES "user_profiles"
#define FC_MONGO_ASSIGNMENTS "cluster_assignments"
#define FC_MONGO_RUNS_PREFIX "person_clustering_"
#define FC_MONGO_FACES_PREFIX "person_faces_"
#define FC_MONGO_WORK_PREFIX "run_work_"
#define FC_MONGO_PERSONS_PREFIX "person_clusters_" /* persons of large runs: mongo_spill.c */
#define FC_MONGO_COLL_MAX (FC_NORM_MAX + 32)

/* A run's lease: a running run whose heartbeat is older than this, written by a
 * process on another machine (or boot), is taken as dead and marked failed. */
#define FC_MONGO_LEASE_MS 60000
#define FC_MONGO_HEARTBEAT_MS 10000

/* "person_clustering_{norm}" / "person_faces_{norm}" for bucket/sub through
 * fc_norm_collection (the one normalisation): 0, or -1 for invalid names. */
int fc_mongo_runs_coll(const char *bucket, const char *sub, char *out, size_t size);
int fc_mongo_faces_coll(const char *bucket, const char *sub, char *out, size_t size);
/* The same from a norm. */
void fc_mongo_coll_name(const char *prefix, const char *norm, char *out, size_t size);

/* Timestamps: records hold ISO text, documents BSON dates (UTC, milliseconds). */
int64_t fc_mongo_ms(const char *iso);                  /* -1 if not a timestamp */
/* "" for a date outside the years 0000-9999, which ISO text cannot hold. */
void fc_mongo_iso(int64_t ms, char out[FC_TIMESTAMP_LEN + 1]);

/* The createIndexes command of a collection: {createIndexes: name, indexes: [...]}
 * for "user_profiles" (user_id unique), "cluster_assignments" ((clustering_id,
 * cluster_id) unique; user_id), "person_faces_*" (face_id unique; (clustering_id,
 * image_path); (clustering_id, person_id, member_ord)), "person_clustering_*"
 * ((status, timestamp)), "person_clusters_*" ((clustering_id, ord) unique). Into an
 * uninitialised out; 0, or -1 for another name. */
int fc_mongo_index_command(const char *coll, bson_t *out);

/* user_profiles: the update of an upsert on user_id ($set all fields but
 * created_at, $setOnInsert created_at), now = the store's time. */
void fc_mongo_profile_update(const fc_profile_rec *p, int64_t now, bson_t *out);
fc_status fc_mongo_profile_parse(const bson_t *doc, fc_profile_rec *out, fc_error *err);

/* person_clustering_{norm}: a new run's document (status "running", owner,
 * heartbeat), and parsing one (any status) into out. */
void fc_mongo_run_doc(const fc_run_rec *run, const char *owner, int64_t now, bson_t *out);
fc_status fc_mongo_run_parse(const bson_t *doc, fc_run_rec *out, fc_error *err);
/* A processed image as stored in the run document's "images" array. */
void fc_mongo_image_append(bson_t *array, const char *key, const fc_image_rec *img);
fc_status fc_mongo_image_parse(const bson_t *doc, fc_image_rec *out, fc_error *err);
/* One element of person_clusters; the person's members carry image_path,
 * confidence and quality_score (from the face documents). */
void fc_mongo_person_doc(const fc_person_rec *p, bson_t *out);
/* A person_clusters element without its members (read from the faces). */
fc_status fc_mongo_person_parse(const bson_t *doc, fc_person_rec *out, fc_error *err);
/* The update that commits a finished run: person_clusters, unassigned_face_ids,
 * the totals, stats, status "done", finished_at; owner and heartbeat unset. With
 * persons_coll (not NULL) the persons are in that collection (mongo_spill.c):
 * person_clusters is [] and person_clusters_collection names persons_coll. */
void fc_mongo_run_finish_update(const fc_run_rec *run, const fc_person_rec *persons,
                                size_t n_persons, char *const *unassigned, size_t n_unassigned,
                                int64_t total_images, int64_t total_faces, int64_t now,
                                const char *persons_coll, bson_t *out);

/* person_faces_{norm}: one face (person_id null until the run is finished). */
void fc_mongo_face_doc(const fc_face_rec *f, const char *clustering_id, int64_t now, bson_t *out);
fc_status fc_mongo_face_parse(const bson_t *doc, fc_face_rec *out, fc_error *err);

/* cluster_assignments: the update of an upsert on (clustering_id, cluster_id). */
void fc_mongo_assignment_update(const fc_assignment_rec *a, int64_t now, bson_t *out);
fc_status fc_mongo_assignment_parse(const bson_t *doc, fc_assignment_rec *out, fc_error *err);

/* ---- shared runs (mongo_lease_docs.c: documents and commands, no I/O) ------------- */

/* "run_work_{norm}" of a runs collection "person_clustering_{norm}". */
void fc_mongo_work_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX]);
/* The createIndexes command of the lease indexes: "run_work_*" ((clustering_id,
 * image_path) unique; (clustering_id, state, image_path)), "person_clustering_*"
 * (shared unique where shared and running: one open shared run per norm). 0, or -1. */
int fc_mongo_lease_index_command(const char *coll, bson_t *out);
/* findAndModify upserting the open shared run of runs_coll: a new run document (no
 * owner, shared, work_ready false) only if none is running; returns the new one. */
void fc_mongo_shared_upsert(const char *runs_coll, const fc_run_rec *run, int64_t now, bson_t *out);
/* A free image of the work list. */
void fc_mongo_work_doc(const char *clustering_id, const char *image_path, bson_t *out);
/* findAndModify leasing one image (the first by path not done and free, expired, or
 * the worker's from a claim other than token) to worker until $$NOW + lease_ms;
 * returns the document before (image_path, worker). */
void fc_mongo_claim_command(const char *work_coll, const char *clustering_id, const char *worker,
                            const char *token, int64_t lease_ms, bson_t *out);
/* update commands: the worker's leased images' lease_until, the finisher's
 * finish_until (= $$NOW + lease_ms); one image leased to worker -> done; back to
 * free from state (image_path NULL: every such image of worker); the finish claim
 * given back; the finish claimed (run running and shared, finisher none, worker or
 * expired), which also makes owner the run's writer. */
void fc_mongo_heartbeat_command(const char *work_coll, const char *clustering_id,
                                const char *worker, int64_t lease_ms, bson_t *out);
void fc_mongo_finish_heartbeat_command(const char *runs_coll, const char *clustering_id,
                                       const char *worker, int64_t lease_ms, bson_t *out);
void fc_mongo_done_command(const char *work_coll, const char *clustering_id, const char *worker,
                           const char *image_path, bson_t *out);
void fc_mongo_free_command(const char *work_coll, const char *clustering_id, const char *worker,
                           const char *state, const char *image_path, bson_t *out);
void fc_mongo_unclaim_finish_command(const char *runs_coll, const char *clustering_id,
                                     const char *worker, bson_t *out);
void fc_mongo_claim_finish_command(const char *runs_coll, const char *clustering_id,
                                   const char *worker, const char *owner, int64_t lease_ms,
                                   bson_t *out);
/* A face of a shared run: fc_mongo_face_doc + the worker that wrote it. */
void fc_mongo_lease_face_doc(const fc_face_rec *f, const char *clustering_id, const char *worker,
                             int64_t now, bson_t *out);

/* ---- the persons of a run (mongo_persons.c: no I/O) ----------------------------- */

/* A finish's persons checked against the run's faces: persons[i] = the caller's
 * person i with its members' image_path, confidence and quality_score from its face
 * (image_path borrowed from faces); unassigned = the face_ids of the faces in no
 * person (borrowed from faces), in the faces' order. */
typedef struct {
    fc_person_rec *persons;
    size_t n_persons;
    char **unassigned;
    size_t n_unassigned;
} fc_mongo_finish_plan;

/* Checks a finish of run id before anything is written: each person_id once, each
 * member a face of faces (face_id as stored) in one person only, an owner face one
 * of its person's members. FC_ERR_ARG naming the first problem (persons in order,
 * members in order), or FC_ERR_NOMEM. Free out with fc_mongo_finish_plan_free, also
 * after an error. */
fc_status fc_mongo_finish_check(const char *id, const fc_face_list *faces,
                                const fc_person_rec *persons, size_t n_persons,
                                fc_mongo_finish_plan *out, fc_error *err);
void fc_mongo_finish_plan_free(fc_mongo_finish_plan *plan);
/* The update_one of a finish that gives member j of person p its person, in run id:
 * sel {clustering_id, face_id}, update {$set: {person_id, member_ord (int64),
 * cluster_confidence, is_owner_face}}. Into uninitialised sel and update. */
void fc_mongo_member_update(const char *id, const fc_person_rec *p, size_t j, bson_t *sel,
                            bson_t *update);
/* A member of a finish's persons: member j of person i. */
typedef struct {
    size_t i, j;
} fc_mongo_member_pos;
/* The next members of persons for one bulk write: up to max of them from *at on
 * (*at = {0, 0} at first), in order, into batch; *at moves past them. Returns how
 * many, 0 when none is left. */
size_t fc_mongo_member_batch(const fc_person_rec *persons, size_t n_persons,
                             fc_mongo_member_pos *at, fc_mongo_member_pos *batch, size_t max);
/* The one find of a done run's member faces, for person_list: of person_id, sorted
 * by member_ord, or (person_id NULL) of every person, sorted by person_id then
 * member_ord (the index clustering_id, person_id, member_ord); without embeddings.
 * Caller bson_destroy's both. */
void fc_mongo_members_query(const char *id, const char *person_id, bson_t **filter, bson_t **opts);
/* The members of persons (parsed from person_clusters, none yet) from faces in
 * member order: each face whose person_id is a person's becomes its next member
 * (image_path moved from the face); faces of no listed person are left out; persons
 * of the same person_id each get all its faces. FC_ERR_NOMEM; what was filled is
 * the persons' (fc_person_rec_clear frees it). */
fc_status fc_mongo_person_members(fc_person_rec *persons, size_t n_persons, fc_face_list *faces,
                                  fc_error *err);

/* ---- the persons of a large run (mongo_spill.c) --------------------------------- */

/* MongoDB refuses a document (and a command) over 16 MiB. An update of a run
 * document is sent only when the document as read plus the update fit in this, with
 * a margin for the command around the update; at finish, else the persons go to
 * person_clusters_{norm}. */
#define FC_MONGO_DOC_LIMIT ((size_t)15 * 1024 * 1024)
/* The run document's field naming the collection of its persons, when spilled. */
#define FC_MONGO_SPILL_FIELD "person_clusters_collection"

/* 1 if update, applied to a run document of doc_len bytes, gives a document and an
 * update command MongoDB accepts: doc_len + update's length (a bound on the
 * document after it) at most FC_MONGO_DOC_LIMIT. Checked before a finish's commit
 * and before a batch records its images (run_add_batch: FC_ERR_LIMIT). */
int fc_mongo_update_fits(size_t doc_len, const bson_t *update);
/* FC_OK when update (fc_mongo_images_update of n_images) fits a run document of
 * doc_len bytes (fc_mongo_update_fits), else FC_ERR_LIMIT saying so: run_add_batch
 * and lease_complete check it before they write anything. */
fc_status fc_mongo_images_fit(size_t doc_len, const bson_t *update, const char *clustering_id,
                              size_t n_images, fc_error *err);
/* The commit update of a finish (fc_mongo_run_finish_update) of plan, for a run
 * document of doc_len bytes: the persons inline when that fits, else in pcoll
 * (*spilled = 1). FC_ERR_LIMIT, saying why, when even without its persons the
 * document would be too large (images, unassigned faces). out is initialised in
 * every case: the caller bson_destroy's it. */
fc_status fc_mongo_finish_commit(size_t doc_len, const fc_run_rec *run,
                                 const fc_mongo_finish_plan *plan, int64_t total_images,
                                 int64_t total_faces, int64_t now, const char *pcoll,
                                 int *spilled, bson_t *out, fc_error *err);
/* "person_clusters_{norm}" of a runs collection "person_clustering_{norm}". */
void fc_mongo_persons_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX]);
/* The document of person ord of run id in person_clusters_{norm}: clustering_id,
 * ord (int64), then the fields of fc_mongo_person_doc. Into an uninitialised out. */
void fc_mongo_spilled_person_doc(const char *id, size_t ord, const fc_person_rec *p, bson_t *out);
/* Where the persons of run document doc are: 0 in its person_clusters (no
 * person_clusters_collection), 1 in the collection that field names (into out), -1
 * when the field is not the name of a person_clusters_* collection. */
int fc_mongo_persons_source(const bson_t *doc, char out[FC_MONGO_COLL_MAX]);
/* The find of a spilled run's persons in person_clusters_{norm}: of person_id (NULL:
 * all), sorted by ord (the index clustering_id, ord). Caller bson_destroy's both. */
void fc_mongo_spilled_query(const char *id, const char *person_id, bson_t **filter, bson_t **opts);

/* ---- errors and retries (mongo_retry.c) ---------------------------------------- */

#define FC_MONGO_ATTEMPTS 5

/* 1 if a failed operation (error e, server reply or NULL) may succeed when tried
 * again: network and server-selection errors, the retryable server codes of the
 * MongoDB retryable-writes spec (NotWritablePrimary, PrimarySteppedDown,
 * ShutdownInProgress, ...), or a "RetryableWriteError" / "TransientTransactionError"
 * label in the reply. */
int fc_mongo_transient(const bson_error_t *e, const bson_t *reply);
/* The wait before retry number attempt (0-based): 50 ms doubled each time, at most
 * 2 s, times 0.5 + rnd / 2 (rnd in [0, 1)). */
long fc_mongo_backoff_ms(int attempt, double rnd);
void fc_mongo_backoff(int attempt); /* sleeps fc_mongo_backoff_ms with a random rnd */
/* Records a driver error in err: FC_ERR_ARG for a duplicate key (11000), else
 * FC_ERR_IO; returns it. */
fc_status fc_mongo_error(fc_error *err, const char *what, const bson_error_t *e);

static inline void fc_mongo_reply_reset(bson_t *reply)
{
    if (reply)
        bson_destroy(reply);
}

/* Retries ok = (expr) while it fails with a transient error (berr, reply_ptr or
 * NULL: destroyed before each retry, as the driver initialises it again). */
#define FC_MONGO_RETRY(ok, berr, reply_ptr, expr)                                           \
    for (int att_ = 0;; att_++) {                                                           \
        (ok) = (expr);                                                                      \
        if ((ok) || att_ + 1 >= FC_MONGO_ATTEMPTS || !fc_mongo_transient(&(berr), (reply_ptr))) \
            break;                                                                          \
        fc_mongo_reply_reset(reply_ptr);                                                    \
        fc_mongo_backoff(att_);                                                             \
    }

/* ---- the handle (mongo.c, mongo_runs.c) ----------------------------------------- */

typedef struct {
    char id[FC_OBJECTID_LEN + 1];
    char coll[FC_MONGO_COLL_MAX];
} mongo_owned;

typedef struct {
    fc_store base; /* first: the wrappers' part */
    mongoc_client_pool_t *pool;
    char db[64];
    char owner[FC_OWNER_MAX + 16]; /* fc_owner_self + ":h{n}" */
    mongoc_write_concern_t *majority;
    pthread_mutex_t mu; /* owned runs, stop */
    pthread_cond_t cv;
    pthread_t heartbeat;
    int heartbeat_started, stop;
    mongo_owned *owned;
    size_t n_owned;
} mongo_store;

static inline mongo_store *as_mongo(fc_store *s)
{
    return (mongo_store *)s;
}

int64_t fc_mongo_now(void);
/* A collection of the handle's database from a popped client. */
mongoc_collection_t *fc_mongo_coll(mongo_store *m, mongoc_client_t *c, const char *name);

/* mongo_spill.c: the persons of a finish of run id written to pcoll, its index
 * created first: the run's documents there deleted, then one per person
 * (fc_mongo_spilled_person_doc) in insert_many calls of FC_MONGO_SPILL_CHUNK; retried
 * whole on a transient error (the delete first makes that idempotent). */
#define FC_MONGO_SPILL_CHUNK 256
fc_status fc_mongo_spill_persons(mongo_store *m, const char *pcoll, const char *id,
                                 const fc_person_rec *persons, size_t n_persons, fc_error *err);
/* The persons of run document doc (run id), of person_id or all, without members,
 * into out (empty): from its person_clusters (then without I/O: m may be NULL), or
 * from the collection it names; FC_ERR_FORMAT when that name is not one of ours. */
fc_status fc_mongo_persons_read(mongo_store *m, const bson_t *doc, const char *id,
                                const char *person_id, fc_person_list *out, fc_error *err);

/* mongo_run_ops.c: inserts face documents of run id, tagged with worker unless NULL. */
fc_status fc_mongo_insert_faces(mongo_store *m, const char *coll, const char *id,
                                const char *worker, const fc_face_rec *f, size_t n_faces,
                                fc_error *err);
/* Names of the collections starting with prefix (a NULL-terminated array; free with
 * bson_strfreev). */
fc_status fc_mongo_list_colls(mongo_store *m, mongoc_client_t *c, const char *prefix,
                              char ***names, fc_error *err);

fc_status fc_mongo_create_indexes(mongo_store *m, mongoc_client_t *c, const char *coll,
                                 fc_error *err);
typedef fc_status (*fc_mongo_row_fn)(const bson_t *doc, void *list, fc_error *err);
/* Every document of coll matching filter (opts: sort, limit, projection) given to
 * row(doc, list); retried as a whole on a transient error (clear(list) first). */
fc_status fc_mongo_find_all(mongo_store *m, const char *coll, const bson_t *filter,
                            const bson_t *opts, fc_mongo_row_fn row, void *list,
                            void (*clear)(void *), fc_error *err);
/* delete_many (*n deleted, n may be NULL) and count_documents on coll. */
fc_status fc_mongo_delete(mongo_store *m, const char *coll, const bson_t *filter, int64_t *n,
                          fc_error *err);
fc_status fc_mongo_count(mongo_store *m, const char *coll, const bson_t *filter, int64_t *n,
                         fc_error *err);

/* mongo_runs.c: the run operations of struct fc_store_ops, the lease thread, and the
 * reaping of runs whose writer died (all = every runs collection; mine = this
 * handle's, at close). */
fc_status fc_mongo_reap(mongo_store *m, mongoc_client_t *c, const char *coll, int mine,
                        fc_error *err);
fc_status fc_mongo_reap_all(mongo_store *m, int mine, fc_error *err);
void *fc_mongo_heartbeat_main(void *arg);

/* Runs this handle writes (their heartbeat is renewed). */
void fc_mongo_own(mongo_store *m, const char *id, const char *coll);
void fc_mongo_disown(mongo_store *m, const char *id);
/* update_one on coll, majority write concern if asked; *matched may be NULL. */
fc_status fc_mongo_update_one(mongo_store *m, mongoc_client_t *c, const char *coll,
                              const bson_t *sel, const bson_t *update, int majority,
                              int64_t *matched, fc_error *err);
/* The run document of id (*doc a copy or NULL; caller bson_destroy's) and its
 * collection; reap: fail its collection's dead runs first. */
fc_status fc_mongo_locate(mongo_store *m, const char *id, int reap, char coll[FC_MONGO_COLL_MAX],
                          bson_t **doc, fc_error *err);
/* The same for a run this handle may write (running, owned by it), else FC_ERR_ARG. */
fc_status fc_mongo_writable(mongo_store *m, const char *id, char coll[FC_MONGO_COLL_MAX],
                            bson_t **doc, fc_error *err);
const char *fc_mongo_doc_str(const bson_t *doc, const char *key); /* "" when absent */
void fc_mongo_faces_of(const char *runs_coll, char out[FC_MONGO_COLL_MAX]);

/* mongo_run_ops.c: the members of persons given their person in col, run id
 * (fc_mongo_member_update for each), in ordered bulk writes of at most
 * FC_MONGO_BULK_MAX updates, each retried whole on a transient error (the updates
 * are idempotent); stops at the first failure, "finish: faces" in its message. */
#define FC_MONGO_BULK_MAX 1000
fc_status fc_mongo_write_members(mongoc_collection_t *col, const char *id,
                                 const fc_person_rec *persons, size_t n_persons, fc_error *err);

/* mongo_run_ops.c helpers: faces of a run (person_id NULL all, "" unassigned);
 * images ordered by path. */
fc_status fc_mongo_faces_read(mongo_store *m, const char *faces, const char *id,
                              const char *person_id, int with_embeddings, fc_face_list *out,
                              fc_error *err);
/* The face documents of coll matching filter (opts: sort, projection), parsed into
 * out (fc_mongo_find_all). */
fc_status fc_mongo_faces_find(mongo_store *m, const char *coll, const bson_t *filter,
                              const bson_t *opts, fc_face_list *out, fc_error *err);
int fc_mongo_by_path(const void *a, const void *b);

/* The pipeline update recording images in the run document's "images" (replacing
 * entries of the same paths), n_faces counted from faces. Caller bson_destroy's. */
bson_t *fc_mongo_images_update(const fc_face_rec *faces, size_t n_faces,
                               const fc_image_rec *images, size_t n_images);

fc_status fc_mongo_run_create(fc_store *s, fc_run_rec *run, fc_error *err);
fc_status fc_mongo_run_resume(fc_store *s, const char *clustering_id, fc_error *err);
fc_status fc_mongo_run_add_batch(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                                 size_t n_faces, const fc_image_rec *images, size_t n_images,
                                 fc_error *err);
fc_status fc_mongo_run_finish(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                              size_t n_persons, fc_error *err);
fc_status fc_mongo_run_fail(fc_store *s, const char *clustering_id, const char *reason,
                            fc_error *err);
fc_status fc_mongo_run_get(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                           fc_error *err);
fc_status fc_mongo_run_list(fc_store *s, const char *norm, unsigned status_mask,
                            fc_run_list *out, fc_error *err);
fc_status fc_mongo_run_delete(fc_store *s, const char *clustering_id, int64_t *n_faces,
                              int *deleted, fc_error *err);
fc_status fc_mongo_run_images(fc_store *s, const char *clustering_id, fc_image_list *out,
                              fc_error *err);
fc_status fc_mongo_face_list(fc_store *s, const char *clustering_id, const char *person_id,
                             int with_embeddings, fc_face_list *out, fc_error *err);
fc_status fc_mongo_face_count(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err);
fc_status fc_mongo_person_list(fc_store *s, const char *clustering_id, const char *person_id,
                               fc_person_list *out, fc_error *err);

/* mongo_leases.c: shared runs (struct fc_store_ops). */
fc_status fc_mongo_run_open_shared(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                   size_t n_images, int *joined, fc_error *err);
fc_status fc_mongo_lease_claim(fc_store *s, const char *clustering_id, const char *worker_id,
                               size_t max_images, int64_t lease_ms, fc_lease *out, fc_error *err);
fc_status fc_mongo_lease_heartbeat(fc_store *s, const char *clustering_id, const char *worker_id,
                                   int64_t lease_ms, int64_t *n_held, fc_error *err);
fc_status fc_mongo_lease_complete(fc_store *s, const char *clustering_id, const char *worker_id,
                                  const fc_face_rec *faces, size_t n_faces,
                                  const fc_image_rec *images, size_t n_images, int *committed,
                                  fc_error *err);
fc_status fc_mongo_lease_release(fc_store *s, const char *clustering_id, const char *worker_id,
                                 fc_error *err);
fc_status fc_mongo_run_claim_finish(fc_store *s, const char *clustering_id, const char *worker_id,
                                    int64_t lease_ms, int *claimed, fc_error *err);

#endif
