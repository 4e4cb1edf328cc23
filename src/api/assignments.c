/* assignments.c - the /assignments routes (API.md "Assignments"): assign one run
 * or every run of a collection, read them by run or by user, delete a run's, and
 * the three debug views of the collections. */
#include "api/app.h"
#include "api/assign.h"
#include "api/clustering.h"
#include "api/handlers.h"
#include "core/json.h"

#include <stdio.h>
#include <string.h>

#define COLL_MAX (FC_NORM_MAX + 32)

static void read_opts(const fc_api_request *req, fc_api_assign_opts *o, int extensions)
{
    o->threshold = fc_api_req_float(req, "threshold");
    o->strategy = fc_api_req_str(req, "strategy");
    o->dry_run = fc_api_req_bool(req, "dry_run");
    o->overwrite = fc_api_req_bool(req, "overwrite");
    o->one_to_one = extensions ? fc_api_req_bool(req, "one_to_one") : 0;
    o->margin = extensions ? fc_api_req_float(req, "margin") : 0;
    o->explain = extensions ? fc_api_req_bool(req, "explain") : 0;
}

/* Every profile; 404 body when there is none. 0, 404 or 503. */
static int load_profiles(fc_app *app, fc_profile_list *l, fc_api_response *res)
{
    fc_error err = {0};
    if (fc_store_profile_list(app->store, 0, l, &err)) {
        fc_api_res_detail(res, 503, "Database error: %s", err.msg);
        return 503;
    }
    if (!l->n) {
        fc_api_res_detail(res, 404, "No user profiles found");
        return 404;
    }
    return 0;
}

void fc_api_assign_run(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    char norm[FC_NORM_MAX], coll[COLL_MAX], cid[FC_OBJECTID_LEN + 1];
    fc_error err = {0};
    fc_run_rec run = {0};
    fc_profile_list profiles = {0};
    fc_api_assign_opts o;
    int found = 0;
    read_opts(req, &o, 1);
    if (fc_api_coll_norm(req, norm, coll, sizeof coll))
        return fc_api_res_detail(res, 400, "Invalid collection_name");
    fc_objectid_canon(fc_api_req_str(req, "clustering_id"), cid);
    if (fc_store_run_get(app->store, cid, &run, &found, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    if (!found || strcmp(run.norm, norm) || run.status != FC_RUN_DONE) {
        fc_run_rec_clear(&run);
        return fc_api_res_detail(res, 404, "Clustering %s not found in %s", cid, coll);
    }
    json_t *body = NULL;
    if (load_profiles(app, &profiles, res))
        goto out;
    if (fc_api_assign_one(app, &run, &o, &body, &err))
        fc_api_res_detail(res, 503, "Assignment failed: %s", err.msg);
    else
        fc_api_res_json(res, 200, body);
out:
    fc_profile_list_free(&profiles);
    fc_run_rec_clear(&run);
}

void fc_api_assign_batch(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    const char *name = fc_api_req_str(req, "collection_name");
    char norm[FC_NORM_MAX], coll[COLL_MAX], now[FC_TIMESTAMP_LEN + 1];
    fc_error err = {0};
    fc_run_list runs = {0};
    fc_profile_list profiles = {0};
    fc_api_assign_opts o;
    read_opts(req, &o, 0);
    if (!name && !(b && s))
        return fc_api_res_detail(res, 400,
                                 "Either provide collection_name, or both bucket_name and sub_bucket");
    if (name ? fc_collection_norm(name, norm, sizeof norm)
             : fc_norm_collection(b, s, norm, sizeof norm))
        return fc_api_res_detail(res, 400, "Invalid collection_name");
    snprintf(coll, sizeof coll, "person_clustering_%s", norm);
    if (load_profiles(app, &profiles, res))
        return;
    if (fc_store_run_list(app->store, norm, FC_RUNS_DONE, &runs, &err)) {
        fc_profile_list_free(&profiles);
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    }
    json_t *results = json_array();
    json_int_t assigned = 0, unassigned = 0;
    for (size_t i = 0; i < runs.n; i++) {
        json_t *one = NULL;
        if (fc_api_assign_one(app, &runs.items[i], &o, &one, &err)) {
            json_array_append_new(results, json_pack("{s:s,s:s}", "clustering_id",
                                                     runs.items[i].clustering_id, "error",
                                                     err.msg));
            continue;
        }
        assigned += json_integer_value(json_object_get(one, "assigned_clusters"));
        unassigned += json_integer_value(json_object_get(one, "unassigned_clusters"));
        json_array_append_new(results, one);
    }
    fc_timestamp_now(now);
    fc_api_res_json(res, 200,
                    json_pack("{s:s,s:I,s:I,s:I,s:o,s:s}", "collection_name", coll,
                              "total_documents_processed", (json_int_t)runs.n,
                              "total_assigned_clusters", assigned, "total_unassigned_clusters",
                              unassigned, "results", results, "timestamp", now));
    fc_run_list_free(&runs);
    fc_profile_list_free(&profiles);
}

void fc_api_get_assignments(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *b = fc_api_req_str(req, "bucket_name"), *s = fc_api_req_str(req, "sub_bucket");
    const char *id = fc_api_req_str(req, "clustering_id");
    char path[2 * FC_NAME_MAX + 2], cid[FC_OBJECTID_LEN + 1], example[2 * FC_NAME_MAX + 80];
    fc_bucket_path(b, s, path, sizeof path);
    if (!id) {
        snprintf(example, sizeof example, "/assignments/%s?clustering_id=<your_clustering_id>",
                 path);
        return fc_api_res_json(res, 200, json_pack("{s:s,s:s}", "message",
                                                   "Please provide clustering_id parameter to "
                                                   "get specific assignments",
                                                   "example", example));
    }
    fc_objectid_canon(id, cid);
    fc_error err = {0};
    fc_assignment_list l = {0};
    fc_assignment_filter f = {.clustering_id = cid, .bucket_name = b, .sub_bucket = s};
    if (fc_store_assignment_list(app->store, &f, &l, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const fc_assignment_rec *a = &l.items[i];
        json_array_append_new(items, json_pack("{s:s,s:s,s:f,s:I,s:s,s:s}", "cluster_id",
                                               a->cluster_id, "user_id", a->user_id,
                                               "similarity", (double)a->similarity,
                                               "face_count", (json_int_t)a->face_count,
                                               "strategy", a->strategy, "created_at",
                                               a->created_at));
    }
    fc_api_res_json(res, 200, json_pack("{s:s,s:s,s:I,s:o}", "clustering_id", cid, "bucket_path",
                                        path, "total_assignments", (json_int_t)l.n,
                                        "assignments", items));
    fc_assignment_list_free(&l);
}

static json_t *strings(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, fc_json_text(v[i]));
    return a;
}

void fc_api_user_assignments(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *uid = fc_api_req_str(req, "user_id"), *id = fc_api_req_str(req, "clustering_id");
    int details = fc_api_req_bool(req, "include_details");
    char cid[FC_OBJECTID_LEN + 1] = "";
    if (id)
        fc_objectid_canon(id, cid);
    fc_assignment_filter f = {.user_id = uid, .clustering_id = id ? cid : NULL,
                              .bucket_name = fc_api_req_str(req, "bucket_name"),
                              .sub_bucket = fc_api_req_str(req, "sub_bucket")};
    json_t *filters = json_pack("{s:s?,s:s?,s:s?}", "bucket_name", f.bucket_name, "sub_bucket",
                                f.sub_bucket, "clustering_id", f.clustering_id);
    fc_error err = {0};
    fc_assignment_list l = {0};
    if (fc_user_id_valid(uid) && fc_store_assignment_list(app->store, &f, &l, &err)) {
        json_decref(filters);
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    }
    if (!l.n)
        return fc_api_res_json(res, 200, json_pack("{s:s,s:o,s:i,s:[],s:s}", "user_id", uid,
                                                   "filters_applied", filters,
                                                   "total_assignments", 0, "assignments",
                                                   "message",
                                                   "No assignments found matching the "
                                                   "specified filters"));
    json_t *groups = json_array(), *g = NULL;
    json_int_t total_faces = 0, g_faces = 0;
    double g_sim = 0;
    for (size_t i = 0; i <= l.n; i++) {
        const fc_assignment_rec *a = i < l.n ? &l.items[i] : NULL;
        if (g && (!a || strcmp(a->clustering_id, l.items[i - 1].clustering_id))) {
            size_t n = json_array_size(json_object_get(g, "clusters"));
            json_object_set_new(g, "cluster_count", json_integer((json_int_t)n));
            json_object_set_new(g, "total_faces", json_integer(g_faces));
            json_object_set_new(g, "avg_similarity", json_real(n ? g_sim / (double)n : 0));
            json_array_append_new(groups, g);
            g = NULL;
        }
        if (!a)
            break;
        if (!g) {
            char path[2 * FC_NAME_MAX + 2];
            fc_bucket_path(a->bucket_name, a->sub_bucket, path, sizeof path);
            g = json_pack("{s:s,s:s,s:[]}", "clustering_id", a->clustering_id, "bucket_path",
                          path, "clusters");
            g_faces = 0, g_sim = 0;
        }
        json_t *c = json_pack("{s:s,s:f,s:I,s:s,s:s}", "cluster_id", a->cluster_id,
                              "similarity", (double)a->similarity, "face_count",
                              (json_int_t)a->face_count, "strategy", a->strategy, "created_at",
                              a->created_at);
        if (details) {
            json_object_set_new(c, "image_paths", strings(a->image_paths, a->n_image_paths));
            json_object_set_new(c, "face_ids", strings(a->face_ids, a->n_face_ids));
        }
        json_array_append_new(json_object_get(g, "clusters"), c);
        g_faces += a->face_count, total_faces += a->face_count, g_sim += a->similarity;
    }
    fc_api_res_json(res, 200, json_pack("{s:s,s:o,s:I,s:I,s:I,s:o}", "user_id", uid,
                                        "filters_applied", filters, "total_assignments",
                                        (json_int_t)l.n, "total_clusterings",
                                        (json_int_t)json_array_size(groups), "total_faces",
                                        total_faces, "clusterings", groups));
    fc_assignment_list_free(&l);
}

void fc_api_delete_assignments(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    char cid[FC_OBJECTID_LEN + 1];
    fc_error err = {0};
    int64_t n = 0;
    fc_objectid_canon(fc_api_req_str(req, "clustering_id"), cid);
    if (fc_store_assignment_delete_run(app->store, cid, &n, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    fc_api_res_json(res, 200, json_pack("{s:s,s:I}", "clustering_id", cid, "deleted_count",
                                        (json_int_t)n));
}

static const char *const kind_names[] = {"clustering", "faces", "profiles", "assignments"};

void fc_api_debug_collections(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    fc_error err = {0};
    fc_collection_list l = {0};
    if (fc_store_collection_list(app->store, &l, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].kind == FC_COLL_RUNS)
            json_array_append_new(items, json_pack("{s:s,s:I,s:s}", "name", l.items[i].name,
                                                   "document_count",
                                                   (json_int_t)l.items[i].count, "type",
                                                   kind_names[l.items[i].kind]));
    fc_collection_list_free(&l);
    fc_api_res_json(res, 200, json_pack("{s:I,s:o}", "total_collections",
                                        (json_int_t)json_array_size(items), "collections", items));
}

void fc_api_debug_collection(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *name = fc_api_req_str(req, "name");
    fc_error err = {0};
    fc_collection_list l = {0};
    if (fc_store_collection_list(app->store, &l, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    const fc_collection_rec *c = NULL;
    for (size_t i = 0; i < l.n && !c; i++)
        if (!strcmp(l.items[i].name, name))
            c = &l.items[i];
    if (!c) {
        fc_collection_list_free(&l);
        return fc_api_res_detail(res, 404, "Collection %s not found", name);
    }
    static const char *const fields[][16] = {
        {"_id", "bucket_path", "person_clusters", "unassigned_faces", "unassigned_face_ids",
         "total_images", "total_faces", "total_persons", "image_overlap_stats",
         "processing_stats", "status", "timestamp", NULL},
        {"face_id", "image_path", "person_id", "is_owner_face", "bbox", "landmarks",
         "confidence", "quality_score", "cluster_confidence", "clustering_id", "timestamp",
         NULL},
        {"user_id", "embedding", "embedding_model", "confidence", "quality_score", "bbox",
         "created_at", "updated_at", NULL},
        {"clustering_id", "cluster_id", "bucket_path", "user_id", "similarity", "strategy",
         "face_count", "image_paths", "face_ids", "created_at", "updated_at", NULL},
    };
    json_t *f = json_array();
    for (int i = 0; fields[c->kind][i]; i++)
        json_array_append_new(f, json_string(fields[c->kind][i]));
    json_t *o = json_pack("{s:s,s:s,s:I,s:o,s:b}", "collection_name", c->name, "type",
                          kind_names[c->kind], "document_count", (json_int_t)c->count, "fields",
                          f, "ready_for_assignment", c->kind == FC_COLL_RUNS && c->count > 0);
    fc_collection_list_free(&l);
    fc_api_res_json(res, 200, o);
}

void fc_api_test_db_connection(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    fc_error err = {0};
    fc_collection_list l = {0};
    if (fc_store_health(app->store, &err) || fc_store_collection_list(app->store, &l, &err))
        return fc_api_res_json(res, 200, json_pack("{s:s,s:s}", "status", "error", "error",
                                                   err.msg));
    json_t *names = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(names, json_string(l.items[i].name));
    fc_collection_list_free(&l);
    fc_api_res_json(res, 200, json_pack("{s:s,s:s,s:o}", "status", "success", "database",
                                        fc_store_backend_name(app->store), "collections", names));
}
