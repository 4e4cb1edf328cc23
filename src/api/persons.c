/* persons.c - reading and deleting finished runs: GET /person-cluster-status/{b}/{s}
 * (one run or the list), GET /person-details/{b}/{s}/{person_id}, DELETE
 * /cleanup-person-data/{b}/{s}, GET /verify-storage/{b}/{s}. */
#include "jobs/verify.h"
#include "api/app.h"
#include "api/clustering.h"
#include "api/handlers.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLL_MAX (FC_NORM_MAX + 32)

/* The done run id of collection norm into *run; 0, 404 (absent) or 503. */
static int load_run(fc_app *app, const char *id, const char *norm, fc_run_rec *run,
                    fc_error *err)
{
    int found = 0;
    if (fc_store_run_get(app->store, id, run, &found, err))
        return 503;
    if (!found || strcmp(run->norm, norm) || run->status != FC_RUN_DONE) {
        fc_run_rec_clear(run);
        return 404;
    }
    return 0;
}

static json_t *assignment_info(fc_app *app, const char *cid, int64_t *count)
{
    fc_assignment_list l = {0};
    fc_assignment_filter f = {.clustering_id = cid};
    double sum = 0;
    json_t *users = json_object();
    fc_store_assignment_list(app->store, &f, &l, NULL);
    for (size_t i = 0; i < l.n; i++) {
        sum += l.items[i].similarity;
        json_object_set_new(users, l.items[i].user_id, json_true());
    }
    *count = (int64_t)l.n;
    json_t *o = json_pack("{s:I,s:I,s:f}", "total_assigned", (json_int_t)l.n, "total_users",
                          (json_int_t)json_object_size(users), "avg_similarity",
                          l.n ? sum / (double)l.n : 0.0);
    json_decref(users);
    fc_assignment_list_free(&l);
    return o;
}

static json_t *single_view(fc_app *app, const fc_run_rec *run, const char *path,
                           const char *coll, int details)
{
    fc_person_list persons = {0};
    int64_t n_assigned = 0;
    fc_store_person_list(app->store, run->clustering_id, NULL, &persons, NULL);
    json_t *top = json_array(), *detailed = details ? json_array() : json_null();
    for (size_t i = 0; i < persons.n; i++) {
        const fc_person_rec *p = &persons.items[i];
        json_t *samples = json_array(), *paths = json_array(), *faces = json_array();
        for (size_t k = 0; k < p->n_members; k++) {
            if (k < 3)
                json_array_append_new(samples, fc_json_text(p->members[k].image_path));
            json_array_append_new(paths, fc_json_text(p->members[k].image_path));
            json_array_append_new(faces, json_string(p->members[k].face_id));
        }
        if (i < 5)
            json_array_append_new(
                top, json_pack("{s:I,s:s,s:s,s:I,s:f,s:s,s:o}", "person_rank", (json_int_t)i + 1,
                               "person_id", p->person_id, "cluster_id", p->cluster_id,
                               "face_count", (json_int_t)p->n_members, "avg_confidence",
                               (double)p->avg_confidence, "owner_face_id", p->owner_face_id,
                               "sample_images", details ? json_incref(samples) : json_array()));
        if (details)
            json_array_append_new(
                detailed, json_pack("{s:s,s:s,s:I,s:O,s:O,s:s,s:f,s:f}", "person_id",
                                    p->person_id, "cluster_id", p->cluster_id, "size",
                                    (json_int_t)p->n_members, "image_paths", paths, "face_ids",
                                    faces, "owner_face_id", p->owner_face_id, "avg_confidence",
                                    (double)p->avg_confidence, "best_quality_score",
                                    (double)p->best_quality_score));
        json_decref(samples);
        json_decref(paths);
        json_decref(faces);
    }
    json_t *info = assignment_info(app, run->clustering_id, &n_assigned);
    json_t *o = json_pack(
        "{s:o,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "bucket_path",
        fc_json_text(path),
        "collection_name", coll, "clustering_id", run->clustering_id, "timestamp",
        run->timestamp, "clustering_type", "person_based_with_overlaps", "total_persons",
        (json_int_t)run->total_persons, "total_images", (json_int_t)run->total_images,
        "total_faces", (json_int_t)run->total_faces, "unassigned_faces",
        (json_int_t)run->unassigned_faces, "person_clusters_count", (json_int_t)persons.n,
        "image_overlap_stats", fc_api_json_text(run->image_overlap_stats), "processing_stats",
        fc_api_json_text(run->processing_stats), "assignment_info", info, "top_persons", top,
        "detailed_clusters", detailed);
    fc_person_list_free(&persons);
    return o;
}

static json_t *run_summary(fc_app *app, const fc_run_rec *r, const char *path)
{
    int64_t n_assigned = 0;
    json_decref(assignment_info(app, r->clustering_id, &n_assigned));
    char url[COLL_MAX + 2 * FC_NAME_MAX + 64];
    snprintf(url, sizeof url, "/person-cluster-status/%s?clustering_id=%s", path,
             r->clustering_id);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "clustering_id", r->clustering_id,
                     "timestamp", r->timestamp, "total_persons", (json_int_t)r->total_persons,
                     "total_images", (json_int_t)r->total_images, "total_faces",
                     (json_int_t)r->total_faces, "person_clusters_count",
                     (json_int_t)r->total_persons, "unassigned_faces",
                     (json_int_t)r->unassigned_faces, "assignments_count",
                     (json_int_t)n_assigned, "status_url", url);
}

void fc_api_cluster_status(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    const char *id = fc_api_req_str(req, "clustering_id");
    int details = fc_api_req_bool(req, "show_details");
    char norm[FC_NORM_MAX], coll[COLL_MAX], path[2 * FC_NAME_MAX + 2];
    fc_error err = {0};
    fc_bucket_path(b, s, path, sizeof path);
    if (fc_api_coll_norm(req, norm, coll, sizeof coll))
        return fc_api_res_detail(res, 400, "Invalid collection_name");
    if (id) {
        char cid[FC_OBJECTID_LEN + 1];
        fc_run_rec run = {0};
        fc_objectid_canon(id, cid);
        int st = load_run(app, cid, norm, &run, &err);
        if (st == 404)
            return fc_api_res_detail(res, 404, "Clustering %s not found in %s", id, coll);
        if (st)
            return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
        json_t *o = single_view(app, &run, path, coll, details);
        fc_run_rec_clear(&run);
        return fc_api_res_json(res, 200, o);
    }
    fc_run_list runs = {0};
    if (fc_store_run_list(app->store, norm, FC_RUNS_DONE, &runs, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    if (runs.n == 0) {
        fc_run_list_free(&runs);
        return fc_api_res_detail(res, 404, "No person clustering results found for %s in "
                                           "collection %s", path, coll);
    }
    json_t *o;
    if (runs.n == 1) {
        o = single_view(app, &runs.items[0], path, coll, details);
    } else {
        json_t *all = json_array();
        for (size_t i = 0; i < runs.n; i++)
            json_array_append_new(all, run_summary(app, &runs.items[i], path));
        o = json_pack("{s:o,s:s,s:I,s:O,s:o}", "bucket_path", fc_json_text(path), "collection_name", coll,
                      "total_clustering_documents", (json_int_t)runs.n, "latest_clustering",
                      json_array_get(all, 0), "all_clusterings", all);
    }
    fc_run_list_free(&runs);
    fc_api_res_json(res, 200, o);
}

/* The run a request names (clustering_id, canonical) or the latest done run of
 * norm: 0, 404 or 503. */
static int pick_run(fc_app *app, const char *id, const char *norm, char cid[FC_OBJECTID_LEN + 1],
                    fc_error *err)
{
    if (id) {
        fc_run_rec run = {0};
        fc_objectid_canon(id, cid);
        int st = load_run(app, cid, norm, &run, err);
        fc_run_rec_clear(&run);
        return st;
    }
    fc_run_list runs = {0};
    if (fc_store_run_list(app->store, norm, FC_RUNS_DONE, &runs, err))
        return 503;
    int st = runs.n ? 0 : 404;
    if (runs.n)
        memcpy(cid, runs.items[0].clustering_id, FC_OBJECTID_LEN + 1);
    fc_run_list_free(&runs);
    return st;
}

void fc_api_person_details(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    const char *pid = fc_api_req_str(req, "person_id");
    char norm[FC_NORM_MAX], path[2 * FC_NAME_MAX + 2], cid[FC_OBJECTID_LEN + 1];
    fc_error err = {0};
    fc_person_list pl = {0};
    fc_face_list faces = {0};
    fc_norm_collection(b, s, norm, sizeof norm);
    fc_bucket_path(b, s, path, sizeof path);
    int st = pick_run(app, fc_api_req_str(req, "clustering_id"), norm, cid, &err);
    if (st == 503)
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    if (st || strlen(pid) >= FC_PERSON_ID_MAX ||
        fc_store_person_list(app->store, cid, pid, &pl, &err) || pl.n == 0 ||
        fc_store_face_list(app->store, cid, pid, 0, &faces, &err)) {
        fc_person_list_free(&pl);
        return fc_api_res_detail(res, 404, "Person %s not found in %s", pid, path);
    }
    const fc_person_rec *p = &pl.items[0];
    json_t *apps = json_array(), *paths = json_array(), *owner = json_null();
    for (size_t i = 0; i < faces.n; i++) {
        const fc_face_rec *f = &faces.items[i];
        json_array_append_new(
            apps, json_pack("{s:s,s:o,s:f,s:f,s:b,s:f,s:[i,i,i,i]}", "face_id", f->face_id,
                            "image_path", fc_json_text(f->image_path), "confidence", (double)f->confidence,
                            "quality_score", (double)f->quality_score, "is_owner",
                            f->is_owner_face, "cluster_confidence",
                            (double)f->cluster_confidence, "bbox", f->bbox[0], f->bbox[1],
                            f->bbox[2], f->bbox[3]));
        json_array_append_new(paths, fc_json_text(f->image_path));
        if (f->is_owner_face || !strcmp(f->face_id, p->owner_face_id)) {
            json_decref(owner);
            owner = json_pack("{s:s,s:o,s:f,s:f}", "face_id", f->face_id, "image_path",
                              fc_json_text(f->image_path), "confidence", (double)f->confidence,
                              "quality_score", (double)f->quality_score);
        }
    }
    int64_t n_vec = 0;
    fc_vec_filter vf = {.clustering_id = cid, .person_id = pid};
    fc_vectors_count(app->vectors, &vf, &n_vec, NULL);
    json_t *o = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:f,s:f,s:I}", "person_id", pid,
                          "clustering_id", cid, "total_appearances", (json_int_t)faces.n,
                          "owner_face", owner, "all_appearances", apps, "image_paths", paths,
                          "avg_confidence", (double)p->avg_confidence, "best_quality",
                          (double)p->best_quality_score, "embeddings_in_qdrant",
                          (json_int_t)n_vec);
    fc_person_list_free(&pl);
    fc_face_list_free(&faces);
    fc_api_res_json(res, 200, o);
}

static json_t *step(int64_t found, int64_t deleted, int ok)
{
    return json_pack("{s:I,s:I,s:b}", "found", (json_int_t)found, "deleted", (json_int_t)deleted,
                     "success", ok);
}

void fc_api_cleanup_person_data(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    int dry = fc_api_req_bool(req, "dry_run");
    char norm[FC_NORM_MAX], coll[COLL_MAX], path[2 * FC_NAME_MAX + 2], cid[FC_OBJECTID_LEN + 1];
    fc_error err = {0};
    fc_run_rec run = {0};
    int found = 0;
    fc_bucket_path(b, s, path, sizeof path);
    if (fc_api_coll_norm(req, norm, coll, sizeof coll))
        return fc_api_res_detail(res, 400, "Invalid collection_name");
    fc_objectid_canon(fc_api_req_str(req, "clustering_id"), cid);
    if (fc_store_run_get(app->store, cid, &run, &found, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    int mine = found && !strcmp(run.norm, norm), running = run.status == FC_RUN_RUNNING;
    fc_run_rec_clear(&run);
    if (!mine)
        return fc_api_res_detail(res, 404, "Clustering %s not found in %s", cid, coll);
    /* Refused before any step: the store keeps a running run's faces and document, and
     * deleting only its vectors and assignments would answer half a cleanup. */
    if (running && !dry)
        return fc_api_res_detail(res, 409, "Clustering %s is still running: cancel it first", cid);

    json_t *steps = json_object(), *errors = json_array();
    int n_steps = 0, n_ok = 0;
    if (fc_api_req_bool(req, "cleanup_assignments")) {
        fc_assignment_list l = {0};
        fc_assignment_filter f = {.clustering_id = cid};
        int64_t del = 0;
        int ok = !fc_store_assignment_list(app->store, &f, &l, &err) &&
                 (dry || !fc_store_assignment_delete_run(app->store, cid, &del, &err));
        if (!ok)
            json_array_append_new(errors, json_sprintf("assignments: %s", err.msg));
        json_object_set_new(steps, "assignments", step((int64_t)l.n, del, ok));
        fc_assignment_list_free(&l);
        n_steps++, n_ok += ok;
    }
    if (fc_api_req_bool(req, "cleanup_qdrant")) {
        int64_t n = 0, del = 0;
        fc_vec_filter f = {.clustering_id = cid};
        int ok = !fc_vectors_count(app->vectors, &f, &n, &err) &&
                 (dry || !n || !fc_vectors_delete_run(app->vectors, cid, &del, &err));
        if (!ok)
            json_array_append_new(errors, json_sprintf("qdrant: %s", err.msg));
        json_object_set_new(steps, "qdrant", step(n, del, ok));
        n_steps++, n_ok += ok;
    }
    int64_t n_faces = 0, del_faces = 0;
    int deleted = 0;
    int ok = !fc_store_face_count(app->store, cid, &n_faces, &err) &&
             (dry || !fc_store_run_delete(app->store, cid, &del_faces, &deleted, &err));
    if (!ok)
        json_array_append_new(errors, json_sprintf("faces and run: %s", err.msg));
    json_object_set_new(steps, "faces", step(n_faces, del_faces, ok));
    json_object_set_new(steps, "run", step(1, deleted, ok));
    n_steps += 2, n_ok += 2 * ok;
    fc_api_res_json(res, 200,
                    json_pack("{s:s,s:s,s:s,s:b,s:o,s:o,s:{s:i,s:i,s:i,s:b}}", "clustering_id",
                              cid, "bucket_path", path, "collection_name", coll, "dry_run", dry,
                              "cleanup_steps", steps, "errors", errors, "summary", "total_steps",
                              n_steps, "successful_steps", n_ok, "failed_steps", n_steps - n_ok,
                              "overall_success", n_ok == n_steps));
}

static json_t *id_array(char **ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
}

void fc_api_verify_storage(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    char norm[FC_NORM_MAX], cid[FC_OBJECTID_LEN + 1], coll[COLL_MAX];
    fc_error err = {0};
    fc_run_rec run = {0};
    fc_verify_report r = {0};
    int found = 0;
    fc_norm_collection(b, s, norm, sizeof norm);
    snprintf(coll, sizeof coll, "person_clustering_%s", norm);
    fc_objectid_canon(fc_api_req_str(req, "clustering_id"), cid);
    if (fc_store_run_get(app->store, cid, &run, &found, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    found = found && !strcmp(run.norm, norm);
    fc_run_rec_clear(&run);
    if (!found)
        return fc_api_res_detail(res, 404, "Clustering %s not found in %s", cid, coll);
    if (fc_verify_run(app->store, app->vectors, cid, &r, &err))
        return fc_api_res_detail(res, 503, "Storage error: %s", err.msg);
    fc_api_res_json(res, 200, json_pack("{s:s,s:I,s:o,s:o,s:b}", "clustering_id", cid,
                                        "matching_face_ids", (json_int_t)r.n_matching,
                                        "metadata_only", id_array(r.metadata_only, r.n_metadata_only),
                                        "vectors_only", id_array(r.vectors_only, r.n_vectors_only),
                                        "total_consistency", r.consistent));
    fc_verify_report_free(&r);
}
