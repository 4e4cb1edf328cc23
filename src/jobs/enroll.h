/* enroll.h - a user's profile from one photo (API.md POST /detect-face, PUT
 * /update-face): the single face of the image, through the quality gate (size,
 * detector confidence, blur), saved as the user's embedding. */
#ifndef FC_JOBS_ENROLL_H
#define FC_JOBS_ENROLL_H

#include "core/status.h"
#include "face/pipeline.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int min_face_size;    /* 30 */
    float min_confidence; /* 0.4 */
    float blur_threshold; /* 50 */
} fc_enroll_opts;

fc_enroll_opts fc_enroll_opts_default(void);

/* What /detect-face answers. On a soft failure has_face/saved are 0 and reason holds
 * API.md's text; quality_failed says debug_info applies (checks = detailed_checks). */
typedef struct {
    int has_face, saved, n_faces;
    char message[512];
    char reason[512];        /* "" on success */
    float confidence, quality_score, blur;
    int face_h, face_w;
    int bbox[4];             /* [x, y, w, h] */
    int quality_failed;
    char checks[3][128];     /* size, confidence, blur check texts */
} fc_enroll_result;

/* Runs the pipeline on the image bytes and, if exactly one face passes the gate,
 * upserts the profile of user_id (valid: fc_user_id_valid, else FC_ERR_ARG). update:
 * 1 gives "Profile updated successfully" as the message. An image that cannot be
 * decoded is FC_ERR_FORMAT (API: 400 "Invalid image file: <reason>"); a store failure
 * is an error too (API: 503). Soft failures return FC_OK with has_face 0. */
fc_status fc_enroll_run(fc_store *s, fc_pipeline *p, const char *user_id, const uint8_t *bytes,
                        size_t len, const fc_enroll_opts *opts, int update, fc_enroll_result *out,
                        fc_error *err);

#endif
