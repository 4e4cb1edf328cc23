/* vectors.h - the vector store: one point per face (id = face_id), its embedding
 * and a typed payload, searched by cosine similarity (API.md: the Qdrant
 * collection `face_embeddings`, Cosine, payload indexes on clustering_id,
 * person_id, bucket_name).
 *
 * A backend is a const table of functions (struct fc_vectors_ops): fc_vectors_local
 * (in the embedded database file, exact search), fc_vectors_qdrant (vec_qdrant.c). The core calls only
 * the fc_vectors_* wrappers, which check arguments and go through the same hooks as
 * the metadata store (tracing, fault injection: hooks.h). Search stays behind this
 * interface so that the index (src/index: SIMD flat, HNSW) can replace the scan.
 *
 * As Qdrant does for a Cosine collection, vectors are stored L2-normalised: a point
 * read back has unit length, and a search score is the cosine similarity.
 *
 *   fc_vectors *v = fc_vectors_open(cfg, &err);
 *   fc_vectors_ensure(v, 512, &err);                   // dimension of the embedder
 *   fc_vectors_upsert(v, points, n, &err);
 *   fc_vec_filter f = {.clustering_id = id};
 *   fc_vectors_search(v, query, 512, 10, &f, &hits, &err); // best first
 *   fc_vec_list_free(&hits);
 *   fc_vectors_close(v);
 */
#ifndef FC_STORE_VECTORS_H
#define FC_STORE_VECTORS_H

#include "core/config.h"
#include "core/status.h"
#include "store/hooks.h"
#include "store/records.h"

typedef struct fc_vectors fc_vectors;

/* The payload, typed (the original stored strings). "" = not set. */
typedef struct {
    fc_face_id face_id; /* also the point id */
    char clustering_id[FC_OBJECTID_LEN + 1];
    char person_id[FC_PERSON_ID_MAX];
    char bucket_name[FC_NAME_MAX + 1], sub_bucket[FC_NAME_MAX + 1];
    char *image_path; /* owned when read back; only read when written */
    int is_owner_face;
    int bbox[4];      /* [x, y, w, h] */
    float confidence, quality_score, cluster_confidence;
} fc_vec_payload;

typedef struct {
    fc_vec_payload payload;
    float *vector; /* dim floats; NULL when read back without vectors */
    int dim;
    float score;   /* search results: cosine similarity to the query */
} fc_vec_point;

typedef struct {
    fc_vec_point *items;
    size_t n;
} fc_vec_list;

/* Release what a point or list read back owns; NULL is a no-op. */
void fc_vec_point_clear(fc_vec_point *p);
void fc_vec_list_free(fc_vec_list *l);

/* Points whose payload matches every non-NULL field. */
typedef struct {
    const char *clustering_id;
    const char *person_id;
    const char *bucket_name;
    const char *sub_bucket;
} fc_vec_filter;

struct fc_vectors_ops {
    const char *name;
    /* location: the database file (local) or a URL (qdrant); collection: its name */
    fc_vectors *(*open)(const char *location, const char *collection, fc_error *err);
    void (*close)(fc_vectors *v);
    fc_status (*health)(fc_vectors *v, fc_error *err);
    fc_status (*ensure)(fc_vectors *v, int dim, fc_error *err);
    fc_status (*upsert)(fc_vectors *v, const fc_vec_point *points, size_t n, fc_error *err);
    fc_status (*remove)(fc_vectors *v, const fc_vec_filter *f, int64_t *deleted, fc_error *err);
    fc_status (*count)(fc_vectors *v, const fc_vec_filter *f, int64_t *n, fc_error *err);
    fc_status (*get)(fc_vectors *v, const fc_vec_filter *f, int with_vectors, fc_vec_list *out,
                     fc_error *err);
    fc_status (*search)(fc_vectors *v, const float *query, int dim, size_t k,
                        const fc_vec_filter *f, fc_vec_list *out, fc_error *err);
};

/* The wrappers' part of every handle; backends embed it first. */
struct fc_vectors {
    const struct fc_vectors_ops *ops;
    fc_hooks hooks;
};

extern const struct fc_vectors_ops fc_vectors_local;

/* The backend the configuration names: Qdrant when cfg->qdrant_url is set (not built
 * yet: FC_ERR_UNSUPPORTED, never a silent fallback), else the local store in
 * cfg->db_path, collection cfg->qdrant_collection. Close with fc_vectors_close. */
fc_vectors *fc_vectors_open(const fc_config *cfg, fc_error *err);
fc_vectors *fc_vectors_open_with(const struct fc_vectors_ops *ops, const char *location,
                                 const char *collection, fc_error *err);
void fc_vectors_close(fc_vectors *v); /* NULL: no-op */
const char *fc_vectors_backend_name(const fc_vectors *v);

fc_status fc_vectors_health(fc_vectors *v, fc_error *err);

/* Creates the collection with dimension dim if it does not exist; FC_ERR_ARG when
 * it exists with another dimension (say, after changing the embedder). */
fc_status fc_vectors_ensure(fc_vectors *v, int dim, fc_error *err);

/* Inserts or replaces points[0..n) by face_id, in one transaction. A collection
 * that does not exist yet is created with the points' dimension; every vector must
 * have the collection's dimension and a non-zero length. */
fc_status fc_vectors_upsert(fc_vectors *v, const fc_vec_point *points, size_t n, fc_error *err);

/* Deletes the points matching f (at least one field set: deleting everything takes
 * an explicit call per run); *deleted = how many. */
fc_status fc_vectors_delete(fc_vectors *v, const fc_vec_filter *f, int64_t *deleted,
                            fc_error *err);
/* The same for one run. */
fc_status fc_vectors_delete_run(fc_vectors *v, const char *clustering_id, int64_t *deleted,
                                fc_error *err);

/* Points matching f (NULL: all). */
fc_status fc_vectors_count(fc_vectors *v, const fc_vec_filter *f, int64_t *n, fc_error *err);

/* Points matching f (NULL: all) in insertion order, with their vectors if asked
 * (e.g. every vector of a run, for clustering). */
fc_status fc_vectors_get(fc_vectors *v, const fc_vec_filter *f, int with_vectors,
                         fc_vec_list *out, fc_error *err);

/* The k points matching f most similar to query (dim floats, any non-zero length),
 * best first (ties: earlier inserted first), with scores and payloads, without
 * vectors. Fewer when fewer match. */
fc_status fc_vectors_search(fc_vectors *v, const float *query, int dim, size_t k,
                            const fc_vec_filter *f, fc_vec_list *out, fc_error *err);

/* The operations, for fault injection and traces. */
typedef enum {
    FC_VECTORS_OP_HEALTH = 0,
    FC_VECTORS_OP_ENSURE,
    FC_VECTORS_OP_UPSERT,
    FC_VECTORS_OP_DELETE,
    FC_VECTORS_OP_COUNT_POINTS,
    FC_VECTORS_OP_GET,
    FC_VECTORS_OP_SEARCH,
    FC_VECTORS_OP_COUNT
} fc_vectors_op;

/* Makes call number after + 1 (from now) of op fail with code, once. */
void fc_vectors_fault_inject(fc_vectors *v, fc_vectors_op op, int after, fc_status code);

#endif
