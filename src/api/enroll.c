/* enroll.c - one uploaded photo to a user profile for POST /detect-face and PUT
 * /update-face: the face pipeline, the single-face and quality gate with the
 * original's texts (API.md), the profile upsert. Written in src/api until the
 * jobs library's enroll lands; the texts are API.md's. */
#include "api/enroll.h"

#include "api/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const double model_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

fc_status fc_api_run_pipeline(fc_pipeline *p, const char *caller, const uint8_t *bytes,
                              size_t len, fc_faces **out, fc_error *err)
{
    double t0 = now_s();
    fc_status rc = fc_pipeline_run(p, bytes, len, out, err);
    fc_metric_observe(fc_metric_histogram("fc_pipeline_seconds",
                                          "Face pipeline run time per image (fc_pipeline_run)",
                                          (const char *[]){"caller", caller, NULL},
                                          model_buckets, 9),
                      now_s() - t0);
    if (rc == FC_OK)
        fc_metric_add(fc_metric_counter("fc_faces_processed_total", "Faces found in images",
                                        (const char *[]){"caller", caller, NULL}),
                      (*out)->n_faces);
    return rc;
}

static json_t *soft_failure(const char *user_id, int has_face, const char *reason)
{
    return json_pack("{s:s,s:b,s:s,s:s}", "user_id", user_id, "has_face", has_face, "message",
                     has_face ? "Face detected but profile not saved" : "No face detected",
                     "reason", reason);
}

/* The quality gate: NULL when it passes, else the soft-failure body. */
static json_t *quality_gate(const char *user_id, const fc_face *f, const fc_api_enroll_opts *o)
{
    int h = (int)lrintf(f->box.y2 - f->box.y1), w = (int)lrintf(f->box.x2 - f->box.x1);
    char min_c[32], blur_t[32], line[160], reason[600] = "";
    fc_api_float_repr(o->min_confidence, min_c, sizeof min_c);
    fc_api_float_repr(o->blur_threshold, blur_t, sizeof blur_t);
    int size_ok = h >= o->min_face_size && w >= o->min_face_size;
    int conf_ok = f->score >= o->min_confidence, blur_ok = f->blur >= o->blur_threshold;
    json_t *checks = json_array();
    snprintf(line, sizeof line, size_ok ? "Size OK: %dx%d >= %d" : "Size too small: %dx%d < %d",
             h, w, o->min_face_size);
    json_array_append_new(checks, json_string(line));
    snprintf(line, sizeof line, conf_ok ? "Confidence OK: %.3f >= %s" : "Confidence too low: %.3f < %s",
             f->score, min_c);
    json_array_append_new(checks, json_string(line));
    snprintf(line, sizeof line, blur_ok ? "Blur OK: %.2f >= %s" : "Too blurry: %.2f < %s", f->blur,
             blur_t);
    json_array_append_new(checks, json_string(line));
    if (size_ok && conf_ok && blur_ok) {
        json_decref(checks);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(checks); i++) {
        const char *c = json_string_value(json_array_get(checks, i));
        if ((i == 0 && size_ok) || (i == 1 && conf_ok) || (i == 2 && blur_ok))
            continue;
        int k = snprintf(reason + n, sizeof reason - n, "%s%s", n ? "; " : "", c);
        if (k > 0 && (size_t)k < sizeof reason - n)
            n += (size_t)k;
    }
    char full[700];
    snprintf(full, sizeof full, "Quality check failed: %s", reason);
    json_t *body = soft_failure(user_id, 1, full);
    json_object_set_new(body, "debug_info",
                        json_pack("{s:{s:[i,i],s:f,s:f,s:i,s:f,s:f},s:o}", "quality_metrics",
                                  "face_size", h, w, "confidence", (double)f->score,
                                  "blur_score", (double)f->blur, "min_size_required",
                                  o->min_face_size, "min_confidence_required",
                                  o->min_confidence, "blur_threshold", o->blur_threshold,
                                  "detailed_checks", checks));
    return body;
}

int fc_api_enroll(fc_app *app, const fc_api_enroll_opts *o, json_t **body)
{
    fc_error err = {0};
    fc_faces *faces = NULL;
    fc_profile_rec p = {0};
    int status = 200;
    *body = NULL;
    if (!o->file || o->file->size == 0) {
        *body = json_pack("{s:s}", "detail", "Empty file uploaded");
        return 400;
    }
    fc_status rc = fc_api_run_pipeline(app->pipeline, "enroll", o->file->data, o->file->size,
                                       &faces, &err);
    if (rc) {
        int bad_image = rc == FC_ERR_FORMAT || rc == FC_ERR_UNSUPPORTED || rc == FC_ERR_LIMIT ||
                        rc == FC_ERR_IO;
        char msg[460];
        snprintf(msg, sizeof msg, "%s%s", bad_image ? "Invalid image file: " : "Face pipeline failed: ",
                 err.msg);
        *body = json_pack("{s:s}", "detail", msg);
        return bad_image ? 400 : 500;
    }
    if (faces->n_faces == 0) {
        *body = soft_failure(o->user_id, 0, "No faces detected in image");
        goto out;
    }
    if (faces->n_faces > 1) {
        char reason[96];
        snprintf(reason, sizeof reason,
                 "Multiple faces detected (%d). Please use image with single face.", faces->n_faces);
        *body = soft_failure(o->user_id, 1, reason);
        goto out;
    }
    const fc_face *f = &faces->faces[0];
    if ((*body = quality_gate(o->user_id, f, o)))
        goto out;
    if (!f->embedding || faces->dim <= 0) {
        *body = soft_failure(o->user_id, 1, "Failed to generate face embedding");
        goto out;
    }
    snprintf(p.user_id, sizeof p.user_id, "%s", o->user_id);
    p.embedding = f->embedding;
    p.dim = faces->dim;
    snprintf(p.embedding_model, sizeof p.embedding_model, "%s",
             fc_embedder_kind_name(fc_pipeline_embedder_kind(app->pipeline)));
    p.confidence = f->score;
    p.quality_score = f->quality_score;
    p.has_bbox = 1;
    p.bbox[0] = (int)lrintf(f->box.x1);
    p.bbox[1] = (int)lrintf(f->box.y1);
    p.bbox[2] = (int)lrintf(f->box.x2 - f->box.x1);
    p.bbox[3] = (int)lrintf(f->box.y2 - f->box.y1);
    if (fc_store_profile_upsert(app->store, &p, &err)) {
        char msg[440];
        snprintf(msg, sizeof msg, "Database save failed: %s", err.msg);
        *body = json_pack("{s:s}", "detail", msg);
        status = 503;
        goto out;
    }
    *body = json_pack("{s:s,s:b,s:s,s:f,s:f,s:n}", "user_id", o->user_id, "has_face", 1,
                      "message", o->success_message, "face_quality", (double)f->quality_score,
                      "confidence", (double)f->score, "reason");
out:
    fc_faces_free(faces);
    return status;
}
