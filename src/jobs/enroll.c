/* enroll.c - enrollment through the quality gate (see enroll.h); the check texts are
 * API.md's, formatted as the original Python service printed them. */
#include "jobs/enroll.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

fc_enroll_opts fc_enroll_opts_default(void)
{
    return (fc_enroll_opts){.min_face_size = 30, .min_confidence = 0.4f, .blur_threshold = 50};
}

/* A float as Python's str() prints it for these values: 50 -> "50.0", 0.4 -> "0.4". */
static void py_float(float v, char *out, size_t size)
{
    if (v == floorf(v) && fabsf(v) < 1e15f)
        snprintf(out, size, "%.1f", (double)v);
    else
        snprintf(out, size, "%g", (double)v);
}

static int gate(const fc_face *f, const fc_enroll_opts *o, fc_enroll_result *r)
{
    char conf[32], blur[32];
    py_float(o->min_confidence, conf, sizeof conf);
    py_float(o->blur_threshold, blur, sizeof blur);
    int size_ok = r->face_h >= o->min_face_size && r->face_w >= o->min_face_size;
    int conf_ok = f->score >= o->min_confidence, blur_ok = f->blur >= o->blur_threshold;
    snprintf(r->checks[0], sizeof r->checks[0], size_ok ? "Size OK: %dx%d >= %d" : "Size too small: %dx%d < %d",
             r->face_h, r->face_w, o->min_face_size);
    snprintf(r->checks[1], sizeof r->checks[1], conf_ok ? "Confidence OK: %.3f >= %s" : "Confidence too low: %.3f < %s",
             (double)f->score, conf);
    snprintf(r->checks[2], sizeof r->checks[2], blur_ok ? "Blur OK: %.2f >= %s" : "Too blurry: %.2f < %s",
             (double)f->blur, blur);
    if (size_ok && conf_ok && blur_ok)
        return 1;
    size_t n = (size_t)snprintf(r->reason, sizeof r->reason, "Quality check failed: ");
    const char *sep = "";
    int ok[3] = {size_ok, conf_ok, blur_ok};
    for (int i = 0; i < 3 && n < sizeof r->reason; i++)
        if (!ok[i]) {
            n += (size_t)snprintf(r->reason + n, sizeof r->reason - n, "%s%s", sep, r->checks[i]);
            sep = "; ";
        }
    r->quality_failed = 1;
    return 0;
}

fc_status fc_enroll_run(fc_store *s, fc_pipeline *p, const char *user_id, const uint8_t *bytes,
                        size_t len, const fc_enroll_opts *opts, int update, fc_enroll_result *out,
                        fc_error *err)
{
    fc_enroll_opts o = opts ? *opts : fc_enroll_opts_default();
    memset(out, 0, sizeof *out);
    if (!fc_user_id_valid(user_id))
        return fc_error_set(err, FC_ERR_ARG,
                            "Invalid user ID format. Use alphanumeric characters with .-_@ only");
    fc_faces *faces = NULL;
    fc_status rc = fc_pipeline_run(p, bytes, len, &faces, err);
    if (rc)
        return fc_error_set(err, FC_ERR_FORMAT, "Invalid image file: %s", err ? err->msg : "");
    out->n_faces = faces->n_faces;
    if (faces->n_faces == 0) {
        snprintf(out->reason, sizeof out->reason, "No faces detected in image");
    } else if (faces->n_faces > 1) {
        snprintf(out->reason, sizeof out->reason,
                 "Multiple faces detected (%d). Please use image with single face.", faces->n_faces);
    } else {
        const fc_face *f = &faces->faces[0];
        out->bbox[0] = (int)lrintf(f->box.x1), out->bbox[1] = (int)lrintf(f->box.y1);
        out->bbox[2] = (int)lrintf(f->box.x2 - f->box.x1);
        out->bbox[3] = (int)lrintf(f->box.y2 - f->box.y1);
        out->face_w = out->bbox[2], out->face_h = out->bbox[3];
        out->confidence = f->score, out->quality_score = f->quality_score, out->blur = f->blur;
        if (gate(f, &o, out)) {
            if (!f->embedding) {
                snprintf(out->reason, sizeof out->reason, "Failed to generate face embedding");
                goto out;
            }
            fc_profile_rec pr = {0};
            snprintf(pr.user_id, sizeof pr.user_id, "%s", user_id);
            pr.embedding = f->embedding;
            pr.dim = faces->dim;
            snprintf(pr.embedding_model, sizeof pr.embedding_model, "%s",
                     fc_embedder_kind_name(fc_pipeline_embedder_kind(p)));
            pr.confidence = f->score, pr.quality_score = f->quality_score;
            pr.has_bbox = 1;
            memcpy(pr.bbox, out->bbox, sizeof pr.bbox);
            rc = fc_store_profile_upsert(s, &pr, err);
            if (rc)
                goto out;
            out->has_face = out->saved = 1;
            snprintf(out->message, sizeof out->message, "%s",
                     update ? "Profile updated successfully" : "Face detected and profile saved successfully");
        }
    }
    if (!out->saved)
        snprintf(out->message, sizeof out->message, "%s", out->reason);
out:
    fc_faces_free(faces);
    return rc;
}
