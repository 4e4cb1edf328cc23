/* profiles.c - the user-profile routes (API.md "User profiles"). So far the one
 * that needs no store: /debug-quality-settings. */
#include "api/handlers.h"

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
