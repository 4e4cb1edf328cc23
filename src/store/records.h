/* records.h - the records the metadata store reads and writes (API.md "Data
 * model"), the same whichever backend is behind it.
 *
 * Ownership: a record filled by the store owns its pointers (strings, arrays,
 * embeddings); release them with the record's _clear function, or a list with its
 * _free function. A record passed to the store is only read: the store copies what
 * it keeps and never frees or keeps the caller's pointers.
 *
 * Ids are fixed-size strings: clustering_id an ObjectId (24 hex), face_id a UUID.
 * A bbox is [x, y, w, h] in original-image pixels.
 */
#ifndef FC_STORE_RECORDS_H
#define FC_STORE_RECORDS_H

#include "core/ids.h"
#include "core/strmap.h"

#include <stddef.h>
#include <stdint.h>

#define FC_PERSON_ID_MAX 64   /* person_id / cluster_id ("person_0"), NUL included */
#define FC_STRATEGY_MAX 16    /* "centroid" | "vote", NUL included */
#define FC_MODEL_NAME_MAX 64  /* embedding_model, NUL included */
#define FC_FACE_LANDMARKS 5   /* points per face: eyes, nose tip, mouth corners */

typedef char fc_face_id[FC_UUID_LEN + 1];

/* user_profiles: one enrolled user. */
typedef struct {
    char user_id[FC_USER_ID_BYTES];
    float *embedding; /* dim floats, L2-normalised */
    int dim;
    char embedding_model[FC_MODEL_NAME_MAX];
    float confidence, quality_score;
    int has_bbox;
    int bbox[4];
    char created_at[FC_TIMESTAMP_LEN + 1]; /* set by the store */
    char updated_at[FC_TIMESTAMP_LEN + 1]; /* set by the store */
} fc_profile_rec;

/* person_faces_{norm}: one detected face of a run, with its embedding. */
typedef struct {
    fc_face_id face_id;
    char clustering_id[FC_OBJECTID_LEN + 1];
    char *image_path;                   /* the image key in the source */
    char person_id[FC_PERSON_ID_MAX];   /* "" until the run is finished, or unassigned */
    int is_owner_face;
    int bbox[4];
    int n_landmarks;                    /* 0, or FC_FACE_LANDMARKS */
    float landmarks[2 * FC_FACE_LANDMARKS]; /* (x, y) pairs, original-image pixels */
    float confidence, quality_score, cluster_confidence;
    char timestamp[FC_TIMESTAMP_LEN + 1]; /* set by the store when empty */
    float *embedding;                   /* dim floats, or NULL (dim 0) */
    int dim;
} fc_face_rec;

/* One image of a run that has been processed: its faces are stored, so a resumed
 * run skips it. ok = 0 for an image that failed (reason says why). fingerprint: the
 * source's fingerprint of the object read (fc_key_list), by which an incremental run
 * sees that it was replaced; NULL when unknown (rows from before schema 4). */
typedef struct {
    char *image_path;
    int ok;
    int n_faces;
    char *reason;      /* NULL when ok */
    char *fingerprint; /* NULL when unknown */
} fc_image_rec;

/* A member of a person: written, only face_id and cluster_confidence are read (the
 * face row supplies the rest); read back, all fields are set from the face row. */
typedef struct {
    fc_face_id face_id;
    char *image_path;
    float confidence, quality_score, cluster_confidence;
} fc_member_rec;

/* One element of a run's person_clusters. The document's parallel arrays
 * (image_paths, face_ids, confidence_scores, quality_scores) are members[i]'s
 * fields; size = n_members. */
typedef struct {
    char person_id[FC_PERSON_ID_MAX];
    char cluster_id[FC_PERSON_ID_MAX];
    fc_face_id owner_face_id;
    float *owner_embedding; /* dim floats, or NULL */
    float *centroid;        /* dim floats, or NULL */
    int dim;
    fc_member_rec *members;
    size_t n_members;
    float avg_confidence, best_quality_score;
} fc_person_rec;

typedef enum {
    FC_RUN_RUNNING = 0, /* being written; never shown as a result */
    FC_RUN_DONE,        /* committed: the run document is complete */
    FC_RUN_FAILED,      /* ended by an error, a cancel or a crash; resumable */
} fc_run_status;

/* "running" | "done" | "failed"; fc_run_status_parse gives -1 for anything else. */
const char *fc_run_status_name(fc_run_status st);
int fc_run_status_parse(const char *name);

/* person_clustering_{norm}: one clustering run (its document, without persons). */
typedef struct {
    char clustering_id[FC_OBJECTID_LEN + 1];
    char bucket[FC_NAME_MAX + 1], sub[FC_NAME_MAX + 1];
    char norm[FC_NORM_MAX];         /* fc_norm_collection(bucket, sub); set by the store */
    fc_run_status status;
    char timestamp[FC_TIMESTAMP_LEN + 1];   /* created; set by the store */
    char finished_at[FC_TIMESTAMP_LEN + 1]; /* done or failed; "" while running */
    char *error;                    /* why it failed, or NULL */
    int64_t total_images, total_faces, total_persons, unassigned_faces;
    char *image_overlap_stats;      /* JSON object text, or NULL */
    char *processing_stats;         /* JSON object text, or NULL */
    char *params;                   /* JSON object text: the run's options, for resume */
} fc_run_rec;

/* cluster_assignments: one person of a run given to one enrolled user. Unique on
 * (clustering_id, cluster_id). bucket_path is "{bucket_name}/{sub_bucket}". */
typedef struct {
    char clustering_id[FC_OBJECTID_LEN + 1];
    char cluster_id[FC_PERSON_ID_MAX];
    char bucket_name[FC_NAME_MAX + 1], sub_bucket[FC_NAME_MAX + 1];
    char user_id[FC_USER_ID_BYTES];
    float similarity;
    char strategy[FC_STRATEGY_MAX];
    int64_t face_count;
    char **image_paths;
    size_t n_image_paths;
    char **face_ids;
    size_t n_face_ids;
    char created_at[FC_TIMESTAMP_LEN + 1]; /* set by the store; kept by an update */
    char updated_at[FC_TIMESTAMP_LEN + 1]; /* set by the store */
} fc_assignment_rec;

/* A collection as the debug routes list them: "person_clustering_{norm}",
 * "person_faces_{norm}", "user_profiles", "cluster_assignments". */
typedef enum {
    FC_COLL_RUNS = 0,    /* person_clustering_{norm}: count = finished runs */
    FC_COLL_FACES,       /* person_faces_{norm}: count = faces of finished runs */
    FC_COLL_PROFILES,    /* user_profiles */
    FC_COLL_ASSIGNMENTS, /* cluster_assignments */
} fc_collection_kind;

typedef struct {
    char name[FC_NORM_MAX + 32];
    fc_collection_kind kind;
    char norm[FC_NORM_MAX]; /* "" for the global ones */
    int64_t count;
} fc_collection_rec;

/* The norm of a per-bucket collection name ("person_clustering_{norm}" or
 * "person_faces_{norm}", e.g. from the API's collection_name parameter) into out:
 * 0, or -1 for any other name or a norm that fc_norm_collection cannot make
 * (characters outside [a-z0-9._], no '_', too long). */
int fc_collection_norm(const char *name, char *out, size_t size);

/* A lease on images of a shared run (docs/workers.md): what one worker claimed. A
 * worker id is "{host}:{pid}:{start}:{random}", at most FC_WORKER_ID_MAX - 1 chars. */
#define FC_WORKER_ID_MAX 160
typedef struct {
    char **image_paths;  /* the images leased, sorted */
    size_t n;
    size_t n_taken_over; /* of them, leased before by a worker whose lease expired */
    int64_t n_left;      /* images of the run not done, these included */
    int run_open;        /* 0: the run is no longer running (done or failed) */
} fc_lease;

/* Lists: items[0..n). */
typedef struct { fc_profile_rec *items; size_t n; } fc_profile_list;
typedef struct { fc_face_rec *items; size_t n; } fc_face_list;
typedef struct { fc_image_rec *items; size_t n; } fc_image_list;
typedef struct { fc_person_rec *items; size_t n; } fc_person_list;
typedef struct { fc_run_rec *items; size_t n; } fc_run_list;
typedef struct { fc_assignment_rec *items; size_t n; } fc_assignment_list;
typedef struct { fc_collection_rec *items; size_t n; } fc_collection_list;

/* Release what a record owns and zero it; NULL is a no-op. */
void fc_profile_rec_clear(fc_profile_rec *r);
void fc_face_rec_clear(fc_face_rec *r);
void fc_image_rec_clear(fc_image_rec *r);
void fc_person_rec_clear(fc_person_rec *r);
void fc_run_rec_clear(fc_run_rec *r);
void fc_assignment_rec_clear(fc_assignment_rec *r);
void fc_lease_clear(fc_lease *l); /* in store.c */

/* Clear every item, free the array and zero the list; NULL is a no-op. */
void fc_profile_list_free(fc_profile_list *l);
void fc_face_list_free(fc_face_list *l);
void fc_image_list_free(fc_image_list *l);
void fc_person_list_free(fc_person_list *l);
void fc_run_list_free(fc_run_list *l);
void fc_assignment_list_free(fc_assignment_list *l);
void fc_collection_list_free(fc_collection_list *l);

/* *by_id (empty) = face_id -> index in l of every face, for finding a person's
 * members among a run's faces; 0, or -1 when out of memory. The keys are l's: free
 * the map before the list (fc_strmap_free). */
int fc_face_list_index(const fc_face_list *l, fc_strmap *by_id);

/* For backends filling a list: appends one zeroed item of elem_size bytes to
 * *items (n items so far, grown geometrically) and returns it, or NULL when out of
 * memory (the list is unchanged). */
void *fc_rec_append(void **items, size_t *n, size_t elem_size);

/* "{bucket}/{sub}" into out; 0, or -1 if it does not fit. */
int fc_bucket_path(const char *bucket, const char *sub, char *out, size_t size);

#endif
