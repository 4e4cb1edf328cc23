/* enroll.h - one uploaded photo to a user profile (POST /detect-face, PUT
 * /update-face/{user_id}), and the timed pipeline call every handler uses. */
#ifndef FC_API_ENROLL_H
#define FC_API_ENROLL_H

#include "api/app.h"
#include "api/http.h"

#include <jansson.h>

typedef struct {
    const char *user_id;         /* valid (checked by the route) */
    const fc_api_upload *file;   /* NULL or empty: 400 Empty file uploaded */
    int min_face_size;
    double min_confidence, blur_threshold;
    const char *success_message; /* "Face detected and profile saved successfully" */
} fc_api_enroll_opts;

/* Runs the pipeline on the upload, gates on one face and its quality, upserts the
 * profile. Returns the HTTP status and sets *body (caller owns): 200 with the
 * success or soft-failure body (API.md), 400 empty/undecodable file, 503 store
 * failure, 500 pipeline failure. */
int fc_api_enroll(fc_app *app, const fc_api_enroll_opts *o, json_t **body);

/* fc_pipeline_run, timed into the fc_pipeline_seconds{caller} histogram, faces
 * counted in fc_faces_processed_total{caller}. */
fc_status fc_api_run_pipeline(fc_pipeline *p, const char *caller, const uint8_t *bytes,
                              size_t len, fc_faces **out, fc_error *err);

#endif
