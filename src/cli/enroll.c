/* enroll.c - `facecluster enroll USER IMG [--min-face-size N] [--min-confidence C]
 * [--blur-threshold B]`: the user's profile from the single face of IMG, as
 * POST /detect-face does; prints the API's JSON answer. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "core/json.h"
#include "jobs/enroll.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: facecluster enroll USER IMG [--min-face-size N] [--min-confidence C]\n"
    "                          [--blur-threshold B]\n"
    "\n"
    "Creates or replaces the profile of USER (letters, digits, . - _ @; at most 64) from\n"
    "the single face of the photo IMG, through the quality gate of POST /detect-face.\n"
    "Prints the API's JSON answer; exit status 0 when the profile was saved, 1 when not\n"
    "(no face, several faces, quality check failed: the answer's reason says which).\n"
    "  --min-face-size N   pixels (30)   --min-confidence C, 0..1 (0.4)\n"
    "  --blur-threshold B  (50)\n";

int fc_cli_enroll(int argc, char **argv)
{
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *user = NULL, *img = NULL;
    fc_enroll_opts o = fc_enroll_opts_default();
    const char *bad = NULL;
    for (int i = 0; i < argc && !bad; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x = 0;
        if (!strcmp(s, "--min-face-size") && v) {
            if ((o.min_face_size = fc_cli_parse_int(argv[++i], 1, 100000)) < 0)
                bad = s;
        } else if (!strcmp(s, "--min-confidence") && v) {
            if (fc_cli_parse_real(argv[++i], 0, 1, &x))
                bad = s;
            o.min_confidence = (float)x;
        } else if (!strcmp(s, "--blur-threshold") && v) {
            if (fc_cli_parse_real(argv[++i], 0, 1e9, &x))
                bad = s;
            o.blur_threshold = (float)x;
        } else if (s[0] == '-' || (user && img)) {
            bad = s; /* an unknown option is not a user id, a third name not ignored */
        } else if (!user) {
            user = s;
        } else {
            img = s;
        }
    }
    if (bad || !user || !img) {
        if (bad)
            fprintf(stderr, "facecluster enroll: bad argument '%s'\n", bad);
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_store *s = cfg ? fc_store_open(cfg, &err) : NULL;
    fc_pipeline *p = s ? fc_cli_pipeline(1, &err) : NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    fc_enroll_result r;
    int status = 1;
    if (!p || fc_cli_read_file(img, (size_t)cfg->max_image_size_bytes, &bytes, &len, &err) ||
        fc_enroll_run(s, p, user, bytes, len, &o, 0, &r, &err))
        goto out;
    json_t *j = json_pack("{s:s, s:b, s:s, s:f, s:f}", "user_id", user, "has_face", r.has_face,
                          "message", r.message, "face_quality", (double)r.quality_score,
                          "confidence", (double)r.confidence);
    json_object_set_new(j, "reason", r.saved ? json_null() : json_string(r.reason));
    if (r.quality_failed)
        json_object_set_new(
            j, "debug_info",
            json_pack("{s:{s:[i,i], s:f, s:f, s:i, s:f, s:f}, s:[s,s,s]}", "quality_metrics",
                      "face_size", r.face_h, r.face_w, "confidence", (double)r.confidence,
                      "blur_score", (double)r.blur, "min_size_required", o.min_face_size,
                      "min_confidence_required", (double)o.min_confidence, "blur_threshold",
                      (double)o.blur_threshold, "detailed_checks", r.checks[0], r.checks[1],
                      r.checks[2]));
    char *txt = fc_json_dump(j, JSON_COMPACT);
    printf("%s\n", txt ? txt : "{}");
    free(txt);
    json_decref(j);
    status = r.saved ? 0 : 1;
out:
    if (err.msg[0])
        fprintf(stderr, "facecluster enroll: %s\n", err.msg);
    free(bytes);
    fc_pipeline_free(p);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
