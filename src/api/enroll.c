/* enroll.c - POST /detect-face and PUT /update-face bodies (enroll.h) from the
 * jobs library's enroll job (src/jobs/enroll.h), which holds API.md's texts. */
#include "api/enroll.h"

#include "api/metrics.h"
#include "core/clock.h"
#include "core/json.h"
#include "jobs/enroll.h"

#include <stdio.h>
#include <string.h>

static const double enroll_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

static json_t *debug_info(const fc_enroll_result *r, const fc_api_enroll_opts *o)
{
    json_t *checks = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(checks, json_string(r->checks[i]));
    return json_pack("{s:{s:[i,i],s:f,s:f,s:i,s:f,s:f},s:o}", "quality_metrics", "face_size",
                     r->face_h, r->face_w, "confidence", (double)r->confidence, "blur_score",
                     (double)r->blur, "min_size_required", o->min_face_size,
                     "min_confidence_required", o->min_confidence, "blur_threshold",
                     o->blur_threshold, "detailed_checks", checks);
}

int fc_api_enroll(fc_app *app, const fc_api_enroll_opts *o, json_t **body)
{
    fc_error err = {0};
    fc_enroll_result r;
    fc_enroll_opts eo = {.min_face_size = o->min_face_size,
                         .min_confidence = (float)o->min_confidence,
                         .blur_threshold = (float)o->blur_threshold};
    *body = NULL;
    if (!o->file || o->file->size == 0) {
        *body = json_pack("{s:s}", "detail", "Empty file uploaded");
        return 400;
    }
    double t0 = fc_now_s();
    fc_status rc = fc_enroll_run(app->store, app->pipeline, o->user_id, o->file->data,
                                 o->file->size, &eo, o->update, &r, &err);
    fc_metric_observe(fc_metric_histogram("fc_enroll_seconds",
                                          "Enrolment time per photo: face pipeline, quality "
                                          "gate and profile upsert (fc_enroll_run)",
                                          NULL, enroll_buckets, 9),
                      fc_now_s() - t0);
    if (rc == FC_ERR_FORMAT || rc == FC_ERR_ARG) { /* "Invalid image file: ...", user id */
        *body = json_pack("{s:o}", "detail", fc_json_text(err.msg));
        return 400;
    }
    if (rc) {
        char msg[440];
        snprintf(msg, sizeof msg, "Database save failed: %s", err.msg);
        *body = json_pack("{s:s}", "detail", msg);
        return 503;
    }
    fc_metric_add(fc_metric_counter("fc_faces_processed_total", "Faces found in images",
                                    (const char *[]){"caller", "enroll", NULL}),
                  r.n_faces);
    if (r.saved) {
        *body = json_pack("{s:s,s:b,s:s,s:f,s:f,s:n}", "user_id", o->user_id, "has_face", 1,
                          "message", r.message, "face_quality", (double)r.quality_score,
                          "confidence", (double)r.confidence, "reason");
        return 200;
    }
    *body = json_pack("{s:s,s:b,s:s,s:s}", "user_id", o->user_id, "has_face", r.has_face,
                      "message", r.message, "reason", r.reason);
    if (r.quality_failed)
        json_object_set_new(*body, "debug_info", debug_info(&r, o));
    return 200;
}
