/* store.c - the thin wrappers over struct fc_store_ops: choosing the backend,
 * checking arguments every backend would check, zeroing outputs, and calling
 * through the hooks (tracing, fault injection; hooks.h). */
#include "store/store.h"

#include "core/json.h"
#include "store/mongo_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const op_names[] = {
    [FC_STORE_OP_HEALTH] = "health",
    [FC_STORE_OP_PROFILE_UPSERT] = "profile_upsert",
    [FC_STORE_OP_PROFILE_GET] = "profile_get",
    [FC_STORE_OP_PROFILE_LIST] = "profile_list",
    [FC_STORE_OP_PROFILE_DELETE] = "profile_delete",
    [FC_STORE_OP_PROFILE_COUNT] = "profile_count",
    [FC_STORE_OP_RUN_CREATE] = "run_create",
    [FC_STORE_OP_RUN_RESUME] = "run_resume",
    [FC_STORE_OP_RUN_ADD_BATCH] = "run_add_batch",
    [FC_STORE_OP_RUN_FINISH] = "run_finish",
    [FC_STORE_OP_RUN_FAIL] = "run_fail",
    [FC_STORE_OP_RUN_GET] = "run_get",
    [FC_STORE_OP_RUN_LIST] = "run_list",
    [FC_STORE_OP_RUN_DELETE] = "run_delete",
    [FC_STORE_OP_RUN_IMAGES] = "run_images",
    [FC_STORE_OP_FACE_LIST] = "face_list",
    [FC_STORE_OP_FACE_COUNT] = "face_count",
    [FC_STORE_OP_PERSON_LIST] = "person_list",
    [FC_STORE_OP_ASSIGNMENT_UPSERT] = "assignment_upsert",
    [FC_STORE_OP_ASSIGNMENT_LIST] = "assignment_list",
    [FC_STORE_OP_ASSIGNMENT_DELETE_RUN] = "assignment_delete_run",
    [FC_STORE_OP_COLLECTION_LIST] = "collection_list",
    [FC_STORE_OP_RUN_OPEN_SHARED] = "run_open_shared",
    [FC_STORE_OP_LEASE_CLAIM] = "lease_claim",
    [FC_STORE_OP_LEASE_HEARTBEAT] = "lease_heartbeat",
    [FC_STORE_OP_LEASE_COMPLETE] = "lease_complete",
    [FC_STORE_OP_LEASE_RELEASE] = "lease_release",
    [FC_STORE_OP_RUN_CLAIM_FINISH] = "run_claim_finish",
};
static_assert(sizeof op_names / sizeof op_names[0] == FC_STORE_OP_COUNT, "one name per op");

const char *fc_store_op_name(fc_store_op op)
{
    return (unsigned)op < FC_STORE_OP_COUNT ? op_names[op] : "unknown";
}

void fc_store_fault_inject(fc_store *s, fc_store_op op, int after, fc_status code)
{
    fc_hooks_arm(&s->hooks, (int)op, after, code);
}

#define CALL(s, op, expr) FC_HOOKED_CALL(s, op, op_names[op], expr)

/* A clustering_id argument, checked and lowercased into out. */
static fc_status check_run_id(const char *id, char out[FC_OBJECTID_LEN + 1], fc_error *err)
{
    if (fc_objectid_canon(id, out))
        return fc_error_set(err, FC_ERR_ARG, "invalid clustering_id \"%.40s\"", id ? id : "(null)");
    return FC_OK;
}

#define RUN_ID(buf, id)                                                                     \
    char buf[FC_OBJECTID_LEN + 1];                                                          \
    do {                                                                                    \
        fc_status rc_id_ = check_run_id(id, buf, err);                                      \
        if (rc_id_)                                                                         \
            return rc_id_;                                                                  \
    } while (0)

#define USER_ID(id)                                                                         \
    do {                                                                                    \
        if (!fc_user_id_valid(id))                                                          \
            return fc_error_set(err, FC_ERR_ARG, "invalid user_id \"%.64s\"",               \
                                (id) ? (id) : "(null)");                                    \
    } while (0)

#define NEED(cond, ...)                                                                     \
    do {                                                                                    \
        if (!(cond))                                                                        \
            return fc_error_set(err, FC_ERR_ARG, __VA_ARGS__);                              \
    } while (0)

/* ---- opening -------------------------------------------------------------- */

/* fc_store_open_with and fc_store_open_reader_with. */
static fc_store *open_with(const struct fc_store_ops *ops, const char *location, int reader,
                           fc_error *err)
{
    if (!ops || !location || !*location) {
        fc_error_set(err, FC_ERR_ARG, "store: no backend or location");
        return NULL;
    }
    fc_store *s = reader && ops->open_reader ? ops->open_reader(location, err) : ops->open(location, err);
    if (!s)
        return NULL;
    s->ops = ops;
    fc_hooks_init(&s->hooks);
    return s;
}

fc_store *fc_store_open_with(const struct fc_store_ops *ops, const char *location, fc_error *err)
{
    return open_with(ops, location, 0, err);
}

fc_store *fc_store_open_reader_with(const struct fc_store_ops *ops, const char *location,
                                    fc_error *err)
{
    return open_with(ops, location, 1, err);
}

/* fc_store_open and fc_store_open_reader: the configured backend. */
static fc_store *open_configured(const fc_config *cfg, int reader, fc_error *err)
{
    /* a configured server that does not answer is an error, never a fallback */
    if (cfg->mongo_url)
        return fc_mongo_open(cfg->mongo_url, cfg->mongo_db, err);
    return open_with(&fc_store_sqlite, cfg->db_path, reader, err);
}

fc_store *fc_store_open(const fc_config *cfg, fc_error *err)
{
    return open_configured(cfg, 0, err);
}

fc_store *fc_store_open_reader(const fc_config *cfg, fc_error *err)
{
    return open_configured(cfg, 1, err);
}

void fc_store_close(fc_store *s)
{
    if (s)
        s->ops->close(s);
}

const char *fc_store_backend_name(const fc_store *s)
{
    return s->ops->name;
}

fc_status fc_store_health(fc_store *s, fc_error *err)
{
    CALL(s, FC_STORE_OP_HEALTH, s->ops->health(s, err));
}

/* ---- user_profiles ---------------------------------------------------------- */

fc_status fc_store_profile_upsert(fc_store *s, const fc_profile_rec *p, fc_error *err)
{
    NEED(p, "profile_upsert: no profile");
    USER_ID(p->user_id);
    NEED(p->dim >= 0 && (p->dim == 0 || p->embedding), "profile %s: embedding of %d floats missing",
         p->user_id, p->dim);
    CALL(s, FC_STORE_OP_PROFILE_UPSERT, s->ops->profile_upsert(s, p, err));
}

fc_status fc_store_profile_get(fc_store *s, const char *user_id, fc_profile_rec *out, int *found,
                               fc_error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    USER_ID(user_id);
    CALL(s, FC_STORE_OP_PROFILE_GET, s->ops->profile_get(s, user_id, out, found, err));
}

fc_status fc_store_profile_list(fc_store *s, int64_t limit, fc_profile_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    CALL(s, FC_STORE_OP_PROFILE_LIST, s->ops->profile_list(s, limit > 0 ? limit : -1, out, err));
}

fc_status fc_store_profile_delete(fc_store *s, const char *user_id, int *deleted, fc_error *err)
{
    *deleted = 0;
    USER_ID(user_id);
    CALL(s, FC_STORE_OP_PROFILE_DELETE, s->ops->profile_delete(s, user_id, deleted, err));
}

fc_status fc_store_profile_count(fc_store *s, int64_t *n, fc_error *err)
{
    *n = 0;
    CALL(s, FC_STORE_OP_PROFILE_COUNT, s->ops->profile_count(s, n, err));
}

/* ---- clustering runs -------------------------------------------------------- */

/* Checks that optional JSON text is an object. */
static fc_status check_json(const char *what, const char *text, fc_error *err)
{
    int is = text ? fc_json_is_object(text) : 1;
    if (is < 0)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory reading %s", what);
    if (!is)
        return fc_error_set(err, FC_ERR_ARG, "%s is not a JSON object", what);
    return FC_OK;
}

fc_status fc_store_run_create(fc_store *s, fc_run_rec *run, fc_error *err)
{
    NEED(run, "run_create: no run");
    NEED(fc_name_valid(run->bucket) && fc_name_valid(run->sub),
         "invalid bucket or sub-bucket name \"%.64s/%.64s\"", run->bucket, run->sub);
    fc_status rc = check_json("params", run->params, err);
    if (rc)
        return rc;
    if (!run->clustering_id[0])
        fc_objectid_new(run->clustering_id);
    RUN_ID(id, run->clustering_id);
    memcpy(run->clustering_id, id, sizeof id);
    fc_norm_collection(run->bucket, run->sub, run->norm, sizeof run->norm);
    fc_timestamp_now(run->timestamp);
    run->finished_at[0] = '\0';
    run->status = FC_RUN_RUNNING;
    CALL(s, FC_STORE_OP_RUN_CREATE, s->ops->run_create(s, run, err));
}

fc_status fc_store_run_resume(fc_store *s, const char *clustering_id, fc_error *err)
{
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_RUN_RESUME, s->ops->run_resume(s, id, err));
}

static fc_status check_batch(const char *id, const fc_face_rec *faces, size_t n_faces,
                             const fc_image_rec *images, size_t n_images, fc_error *err);

fc_status fc_store_run_add_batch(fc_store *s, const char *clustering_id, const fc_face_rec *faces,
                                 size_t n_faces, const fc_image_rec *images, size_t n_images,
                                 fc_error *err)
{
    RUN_ID(id, clustering_id);
    fc_status rc = check_batch(id, faces, n_faces, images, n_images, err);
    if (rc)
        return rc;
    CALL(s, FC_STORE_OP_RUN_ADD_BATCH,
         s->ops->run_add_batch(s, id, faces, n_faces, images, n_images, err));
}

/* The checks of a batch of images and their faces (run_add_batch, lease_complete). */
static fc_status check_batch(const char *id, const fc_face_rec *faces, size_t n_faces,
                             const fc_image_rec *images, size_t n_images, fc_error *err)
{
    NEED((faces || !n_faces) && (images || !n_images), "run_add_batch: missing arrays");
    for (size_t i = 0; i < n_images; i++)
        NEED(images[i].image_path && *images[i].image_path, "run_add_batch: image %zu has no path", i);
    for (size_t i = 0; i < n_faces; i++) {
        const fc_face_rec *f = &faces[i];
        NEED(fc_uuid_valid(f->face_id, 0), "face %zu: invalid face_id \"%.40s\"", i, f->face_id);
        NEED(!f->clustering_id[0] || !strcasecmp(f->clustering_id, id),
             "face %s: of run %s, not %s", f->face_id, f->clustering_id, id);
        NEED(f->image_path && *f->image_path, "face %s: no image_path", f->face_id);
        size_t k = 0;
        while (k < n_images && strcmp(images[k].image_path, f->image_path) != 0)
            k++;
        NEED(k < n_images, "face %s: its image %.200s is not in the batch", f->face_id, f->image_path);
        NEED(f->dim >= 0 && (f->dim == 0 || f->embedding), "face %s: embedding missing", f->face_id);
        NEED(f->n_landmarks == 0 || f->n_landmarks == FC_FACE_LANDMARKS,
             "face %s: %d landmarks, expected 0 or %d", f->face_id, f->n_landmarks, FC_FACE_LANDMARKS);
    }
    return FC_OK;
}

fc_status fc_store_run_finish(fc_store *s, const fc_run_rec *run, const fc_person_rec *persons,
                              size_t n_persons, fc_error *err)
{
    NEED(run && (persons || !n_persons), "run_finish: missing arguments");
    RUN_ID(id, run->clustering_id);
    fc_status rc = check_json("image_overlap_stats", run->image_overlap_stats, err);
    if (rc || (rc = check_json("processing_stats", run->processing_stats, err)))
        return rc;
    for (size_t i = 0; i < n_persons; i++) {
        const fc_person_rec *p = &persons[i];
        NEED(p->person_id[0], "run_finish: person %zu has no person_id", i);
        NEED(p->n_members == 0 || p->members, "person %s: members missing", p->person_id);
        NEED(p->dim >= 0, "person %s: bad dim", p->person_id);
        for (size_t j = 0; j < p->n_members; j++)
            NEED(fc_uuid_valid(p->members[j].face_id, 0), "person %s: member %zu: invalid face_id",
                 p->person_id, j);
    }
    fc_run_rec copy = *run;
    memcpy(copy.clustering_id, id, sizeof id);
    CALL(s, FC_STORE_OP_RUN_FINISH, s->ops->run_finish(s, &copy, persons, n_persons, err));
}

fc_status fc_store_run_fail(fc_store *s, const char *clustering_id, const char *reason,
                            fc_error *err)
{
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_RUN_FAIL, s->ops->run_fail(s, id, reason ? reason : "failed", err));
}

fc_status fc_store_run_get(fc_store *s, const char *clustering_id, fc_run_rec *out, int *found,
                           fc_error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_RUN_GET, s->ops->run_get(s, id, out, found, err));
}

fc_status fc_store_run_list(fc_store *s, const char *norm, unsigned status_mask, fc_run_list *out,
                            fc_error *err)
{
    memset(out, 0, sizeof *out);
    NEED(!norm || *norm, "run_list: empty collection name");
    NEED(status_mask && !(status_mask & ~FC_RUNS_ALL), "run_list: bad status mask %#x", status_mask);
    CALL(s, FC_STORE_OP_RUN_LIST, s->ops->run_list(s, norm, status_mask, out, err));
}

fc_status fc_store_run_delete(fc_store *s, const char *clustering_id, int64_t *n_faces,
                              int *deleted, fc_error *err)
{
    *n_faces = 0;
    *deleted = 0;
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_RUN_DELETE, s->ops->run_delete(s, id, n_faces, deleted, err));
}

fc_status fc_store_run_images(fc_store *s, const char *clustering_id, fc_image_list *out,
                              fc_error *err)
{
    memset(out, 0, sizeof *out);
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_RUN_IMAGES, s->ops->run_images(s, id, out, err));
}

/* ---- faces and persons ------------------------------------------------------ */

fc_status fc_store_face_list(fc_store *s, const char *clustering_id, const char *person_id,
                             int with_embeddings, fc_face_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_FACE_LIST,
         s->ops->face_list(s, id, person_id, with_embeddings, out, err));
}

fc_status fc_store_face_count(fc_store *s, const char *clustering_id, int64_t *n, fc_error *err)
{
    *n = 0;
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_FACE_COUNT, s->ops->face_count(s, id, n, err));
}

fc_status fc_store_person_list(fc_store *s, const char *clustering_id, const char *person_id,
                               fc_person_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    RUN_ID(id, clustering_id);
    NEED(!person_id || *person_id, "person_list: empty person_id");
    CALL(s, FC_STORE_OP_PERSON_LIST, s->ops->person_list(s, id, person_id, out, err));
}

/* ---- cluster_assignments ---------------------------------------------------- */

fc_status fc_store_assignment_upsert(fc_store *s, const fc_assignment_rec *items, size_t n,
                                     fc_error *err)
{
    NEED(items || !n, "assignment_upsert: no items");
    for (size_t i = 0; i < n; i++) {
        const fc_assignment_rec *a = &items[i];
        NEED(fc_objectid_valid(a->clustering_id), "assignment %zu: invalid clustering_id", i);
        NEED(a->cluster_id[0], "assignment %zu: no cluster_id", i);
        USER_ID(a->user_id);
        NEED(fc_name_valid(a->bucket_name) && fc_name_valid(a->sub_bucket),
             "assignment %zu: invalid bucket or sub-bucket name", i);
        NEED(a->strategy[0], "assignment %zu: no strategy", i);
        NEED((a->image_paths || !a->n_image_paths) && (a->face_ids || !a->n_face_ids),
             "assignment %zu: missing arrays", i);
    }
    CALL(s, FC_STORE_OP_ASSIGNMENT_UPSERT, s->ops->assignment_upsert(s, items, n, err));
}

fc_status fc_store_assignment_list(fc_store *s, const fc_assignment_filter *f,
                                   fc_assignment_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    fc_assignment_filter checked = f ? *f : (fc_assignment_filter){0};
    char id[FC_OBJECTID_LEN + 1];
    if (checked.clustering_id) {
        fc_status rc = check_run_id(checked.clustering_id, id, err);
        if (rc)
            return rc;
        checked.clustering_id = id;
    }
    CALL(s, FC_STORE_OP_ASSIGNMENT_LIST, s->ops->assignment_list(s, &checked, out, err));
}

fc_status fc_store_assignment_delete_run(fc_store *s, const char *clustering_id,
                                         int64_t *deleted, fc_error *err)
{
    *deleted = 0;
    RUN_ID(id, clustering_id);
    CALL(s, FC_STORE_OP_ASSIGNMENT_DELETE_RUN, s->ops->assignment_delete_run(s, id, deleted, err));
}

/* ---- shared runs --------------------------------------------------------------- */

void fc_lease_clear(fc_lease *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->image_paths[i]);
    free(l->image_paths);
    memset(l, 0, sizeof *l);
}

/* A backend without shared runs (MongoDB for now) says so. */
#define SHARED_OP(s, op, fn)                                                                \
    do {                                                                                    \
        if (!(s)->ops->fn)                                                                  \
            return fc_error_set(err, FC_ERR_UNSUPPORTED,                                    \
                                "the %s store has no shared runs (%s): use the embedded "   \
                                "store for several workers", (s)->ops->name, op_names[op]); \
    } while (0)

#define WORKER_ID(w)                                                                        \
    NEED((w) && *(w) && strlen(w) < FC_WORKER_ID_MAX, "invalid worker id")

fc_status fc_store_run_open_shared(fc_store *s, fc_run_rec *run, char *const *image_paths,
                                   size_t n_images, int *joined, fc_error *err)
{
    *joined = 0;
    SHARED_OP(s, FC_STORE_OP_RUN_OPEN_SHARED, run_open_shared);
    NEED(run && (image_paths || !n_images), "run_open_shared: missing arguments");
    NEED(fc_name_valid(run->bucket) && fc_name_valid(run->sub),
         "invalid bucket or sub-bucket name \"%.64s/%.64s\"", run->bucket, run->sub);
    for (size_t i = 0; i < n_images; i++)
        NEED(image_paths[i] && *image_paths[i], "run_open_shared: image %zu has no path", i);
    fc_status rc = check_json("params", run->params, err);
    if (rc)
        return rc;
    if (!run->clustering_id[0])
        fc_objectid_new(run->clustering_id);
    RUN_ID(id, run->clustering_id);
    memcpy(run->clustering_id, id, sizeof id);
    fc_norm_collection(run->bucket, run->sub, run->norm, sizeof run->norm);
    fc_timestamp_now(run->timestamp);
    run->finished_at[0] = '\0';
    run->status = FC_RUN_RUNNING;
    CALL(s, FC_STORE_OP_RUN_OPEN_SHARED,
         s->ops->run_open_shared(s, run, image_paths, n_images, joined, err));
}

fc_status fc_store_lease_claim(fc_store *s, const char *clustering_id, const char *worker_id,
                               size_t max_images, int64_t lease_ms, fc_lease *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    SHARED_OP(s, FC_STORE_OP_LEASE_CLAIM, lease_claim);
    RUN_ID(id, clustering_id);
    WORKER_ID(worker_id);
    NEED(max_images >= 1 && max_images <= 1000, "lease_claim: max_images %zu not in 1..1000",
         max_images);
    NEED(lease_ms > 0, "lease_claim: lease time must be positive");
    CALL(s, FC_STORE_OP_LEASE_CLAIM,
         s->ops->lease_claim(s, id, worker_id, max_images, lease_ms, out, err));
}

fc_status fc_store_lease_heartbeat(fc_store *s, const char *clustering_id, const char *worker_id,
                                   int64_t lease_ms, int64_t *n_held, fc_error *err)
{
    *n_held = 0;
    SHARED_OP(s, FC_STORE_OP_LEASE_HEARTBEAT, lease_heartbeat);
    RUN_ID(id, clustering_id);
    WORKER_ID(worker_id);
    NEED(lease_ms > 0, "lease_heartbeat: lease time must be positive");
    CALL(s, FC_STORE_OP_LEASE_HEARTBEAT,
         s->ops->lease_heartbeat(s, id, worker_id, lease_ms, n_held, err));
}

fc_status fc_store_lease_complete(fc_store *s, const char *clustering_id, const char *worker_id,
                                  const fc_face_rec *faces, size_t n_faces,
                                  const fc_image_rec *images, size_t n_images, int *committed,
                                  fc_error *err)
{
    *committed = 0;
    SHARED_OP(s, FC_STORE_OP_LEASE_COMPLETE, lease_complete);
    RUN_ID(id, clustering_id);
    WORKER_ID(worker_id);
    fc_status rc = check_batch(id, faces, n_faces, images, n_images, err);
    if (rc)
        return rc;
    CALL(s, FC_STORE_OP_LEASE_COMPLETE,
         s->ops->lease_complete(s, id, worker_id, faces, n_faces, images, n_images, committed,
                                err));
}

fc_status fc_store_lease_release(fc_store *s, const char *clustering_id, const char *worker_id,
                                 fc_error *err)
{
    SHARED_OP(s, FC_STORE_OP_LEASE_RELEASE, lease_release);
    RUN_ID(id, clustering_id);
    WORKER_ID(worker_id);
    CALL(s, FC_STORE_OP_LEASE_RELEASE, s->ops->lease_release(s, id, worker_id, err));
}

fc_status fc_store_run_claim_finish(fc_store *s, const char *clustering_id,
                                    const char *worker_id, int64_t lease_ms, int *claimed,
                                    fc_error *err)
{
    *claimed = 0;
    SHARED_OP(s, FC_STORE_OP_RUN_CLAIM_FINISH, run_claim_finish);
    RUN_ID(id, clustering_id);
    WORKER_ID(worker_id);
    NEED(lease_ms > 0, "run_claim_finish: lease time must be positive");
    CALL(s, FC_STORE_OP_RUN_CLAIM_FINISH,
         s->ops->run_claim_finish(s, id, worker_id, lease_ms, claimed, err));
}

/* ---- debug ------------------------------------------------------------------ */

fc_status fc_store_collection_list(fc_store *s, fc_collection_list *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    CALL(s, FC_STORE_OP_COLLECTION_LIST, s->ops->collection_list(s, out, err));
}
