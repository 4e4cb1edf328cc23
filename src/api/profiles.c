/* profiles.c - the user-profile routes (API.md "User profiles"): enrolment
 * (/detect-face, /update-face), the quality presets and the debug views. */
#include "api/app.h"
#include "api/enroll.h"
#include "api/handlers.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static json_t *preset(int min_face_size, double min_confidence, int blur_threshold)
{
    return json_pack("{s:i,s:f,s:i}", "min_face_size", min_face_size, "min_confidence",
                     min_confidence, "blur_threshold", blur_threshold);
}

void fc_api_debug_quality_settings(const fc_api_request *req, fc_api_response *res)
{
    (void)req;
    json_t *body = json_pack(
        "{s:i,s:f,s:i,s:{s:s,s:s,s:s},s:{s:o,s:o,s:o,s:o}}",
        "default_min_face_size", 30, "default_min_confidence", 0.4,
        "default_blur_threshold", 50,
        "description",
        "min_face_size", "Minimum face size in pixels (the smaller of height and width)",
        "min_confidence", "Minimum face detection confidence (0.0-1.0)",
        "blur_threshold", "Minimum sharpness (variance of the Laplacian); higher requires sharper faces",
        "suggestions",
        "very_lenient", preset(20, 0.3, 30),
        "lenient", preset(30, 0.4, 50),
        "normal", preset(40, 0.5, 80),
        "strict", preset(60, 0.7, 120));
    fc_api_res_json(res, 200, body);
}

static void enroll(const fc_api_request *req, fc_api_response *res, int update)
{
    /* Clamped, not cut to 32 bits: 4294967326 would have been a minimum of 30. */
    long long min_size = fc_api_req_int(req, "min_face_size");
    fc_api_enroll_opts o = {
        .user_id = fc_api_req_str(req, "user_id"),
        .file = fc_api_req_file(req, "file"),
        .min_face_size = (int)(min_size > INT_MAX ? INT_MAX : min_size < INT_MIN ? INT_MIN : min_size),
        .min_confidence = fc_api_req_float(req, "min_confidence"),
        .blur_threshold = fc_api_req_float(req, "blur_threshold"),
        .update = update,
    };
    json_t *body = NULL;
    int status = fc_api_enroll(fc_api_req_app(req), &o, &body);
    fc_api_res_json(res, status, body);
}

void fc_api_detect_face(const fc_api_request *req, fc_api_response *res)
{
    enroll(req, res, 0);
}

void fc_api_update_face(const fc_api_request *req, fc_api_response *res)
{
    enroll(req, res, 1);
}

static json_t *profile_summary(const fc_profile_rec *p)
{
    return json_pack("{s:s,s:i,s:f,s:f,s:s,s:s,s:b}", "user_id", p->user_id, "embedding_size",
                     p->dim, "confidence", (double)p->confidence, "quality_score",
                     (double)p->quality_score, "created_at", p->created_at, "updated_at",
                     p->updated_at, "has_bbox", p->has_bbox);
}

void fc_api_debug_profiles(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    fc_error err = {0};
    fc_profile_list l = {0};
    int64_t total = 0;
    if (fc_store_profile_count(app->store, &total, &err) ||
        fc_store_profile_list(app->store, fc_api_req_int(req, "limit"), &l, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    json_t *arr = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(arr, profile_summary(&l.items[i]));
    fc_profile_list_free(&l);
    fc_api_res_json(res, 200, json_pack("{s:I,s:o}", "total_profiles", (json_int_t)total,
                                        "profiles", arr));
}

/* The user's assignments in brief: {total_assignments, clusterings:[ids]}. */
static json_t *assignment_summary(fc_app *app, const char *user_id)
{
    fc_error err = {0};
    fc_assignment_list l = {0};
    fc_assignment_filter f = {.user_id = user_id};
    if (fc_store_assignment_list(app->store, &f, &l, &err))
        return json_null();
    json_t *ids = json_array();
    for (size_t i = 0; i < l.n; i++)
        if (i == 0 || strcmp(l.items[i].clustering_id, l.items[i - 1].clustering_id))
            json_array_append_new(ids, json_string(l.items[i].clustering_id));
    json_t *o = json_pack("{s:I,s:o}", "total_assignments", (json_int_t)l.n, "clustering_ids", ids);
    fc_assignment_list_free(&l);
    return o;
}

void fc_api_debug_profile(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *user_id = fc_api_req_str(req, "user_id");
    fc_error err = {0};
    fc_profile_rec p = {0};
    int found = 0;
    if (!fc_user_id_valid(user_id))
        return fc_api_res_detail(res, 404, "Profile %s not found", user_id);
    if (fc_store_profile_get(app->store, user_id, &p, &found, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    if (!found)
        return fc_api_res_detail(res, 404, "Profile %s not found", user_id);
    json_t *prof = profile_summary(&p), *sample = json_array();
    for (int i = 0; i < p.dim && i < 5; i++)
        json_array_append_new(sample, json_real(p.embedding[i]));
    json_object_set_new(prof, "embedding_sample", sample);
    json_object_set_new(prof, "bbox_info",
                        p.has_bbox ? json_pack("{s:[i,i,i,i],s:i,s:i}", "values", p.bbox[0],
                                               p.bbox[1], p.bbox[2], p.bbox[3], "width",
                                               p.bbox[2], "height", p.bbox[3])
                                   : json_null());
    json_object_set_new(prof, "assignment_summary", assignment_summary(app, user_id));
    fc_profile_rec_clear(&p);
    fc_api_res_json(res, 200, json_pack("{s:s,s:b,s:o}", "user_id", user_id, "exists", 1,
                                        "profile", prof));
}

void fc_api_delete_profile(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *user_id = fc_api_req_str(req, "user_id");
    fc_error err = {0};
    int deleted = 0;
    if (!fc_user_id_valid(user_id))
        return fc_api_res_detail(res, 404, "Profile %s not found", user_id);
    if (fc_store_profile_delete(app->store, user_id, &deleted, &err))
        return fc_api_res_detail(res, 503, "Database error: %s", err.msg);
    if (!deleted)
        return fc_api_res_detail(res, 404, "Profile %s not found", user_id);
    char msg[400];
    snprintf(msg, sizeof msg, "Profile for %s deleted successfully", user_id);
    fc_api_res_json(res, 200, json_pack("{s:s,s:b,s:s}", "user_id", user_id, "deleted", 1,
                                        "message", msg));
}
