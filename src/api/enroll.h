/* enroll.h - one uploaded photo to a user profile (POST /detect-face, PUT
 * /update-face/{user_id}) through the jobs library's enroll job. */
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
    int update;                  /* 1: PUT /update-face ("Profile updated successfully") */
} fc_api_enroll_opts;

/* Runs the enroll job on the upload. Returns the HTTP status and sets *body (the
 * caller owns it): 200 with the success or soft-failure body (API.md), 400 empty or
 * undecodable file, 503 store failure ("Database save failed: <reason>"). Times
 * the job in the fc_enroll_seconds histogram. */
int fc_api_enroll(fc_app *app, const fc_api_enroll_opts *o, json_t **body);

#endif
