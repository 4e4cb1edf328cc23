/* test_face_detect.c - detector heads on synthetic models with the real signatures:
 * UltraFace decoding (normalised boxes stretched back to the image), YOLO decoding
 * (5 and 20 rows, transposed) with NMS and the letterbox mapped back, head choice
 * by shapes, the border retry's mapping. */
#include "test.h"

#include "face/detect.h"
#include "face_util.h"

#include <math.h>

static fc_detector *load(const char *dir, const char *file, fc_detector_kind kind, fc_error *err)
{
    char path[1024];
    fc_detector_opts o = {fc_face_test_path(path, sizeof path, dir, file), kind, 0, 0, 0, 1};
    return fc_detector_new(&o, err);
}

/* Runs detector file on a w x h noise image; n detections into out. */
static int run_on(const char *dir, const char *file, int w, int h, float border, fc_detection *out,
                  int *n, fc_error *err, fc_detector_kind *kind)
{
    fc_detector *d = load(dir, file, FC_DETECTOR_AUTO, err);
    fc_detector_ctx *c = d ? fc_detector_ctx_new(d, err) : NULL;
    fc_image *img = fc_face_test_image(w, h);
    int rc = -1;
    if (c && img) {
        fc_face_test_fill_noise(img, 3);
        rc = fc_detector_run(c, img, border, out, 16, n, err);
        *kind = fc_detector_kind_of(d);
    }
    fc_face_test_image_free(img);
    fc_detector_ctx_free(c);
    fc_detector_free(d);
    return rc;
}

#define NEAR_BOX(b, X1, Y1, X2, Y2, tol)                                                \
    do {                                                                                \
        CHECK_NEAR((b).x1, X1, tol);                                                    \
        CHECK_NEAR((b).y1, Y1, tol);                                                    \
        CHECK_NEAR((b).x2, X2, tol);                                                    \
        CHECK_NEAR((b).y2, Y2, tol);                                                    \
    } while (0)

TEST(face_detect_ultraface_decoding)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    fc_detection d[16];
    int n = 0;
    fc_error err = {0};
    fc_detector_kind kind;
    /* 640x480: boxes in 0..1 of the stretched input, so x * 640, y * 480 */
    CHECK_OK(run_on(dir, "ultraface.onnx", 640, 480, 0, d, &n, &err, &kind), &err);
    CHECK(kind == FC_DETECTOR_ULTRAFACE);
    CHECK_MSG(n == 2, "%d detections", n); /* one suppressed, one under 0.7 */
    CHECK_NEAR(d[0].score, 0.95, 1e-6);
    NEAR_BOX(d[0].box, 160, 120, 320, 240, 1e-3);
    NEAR_BOX(d[1].box, 384, 48, 512, 192, 1e-3);
    CHECK(!d[0].has_landmarks);
    /* a non-4:3 image is stretched too: 1000x300 */
    CHECK_OK(run_on(dir, "ultraface.onnx", 1000, 300, 0, d, &n, &err, &kind), &err);
    CHECK(n == 2);
    NEAR_BOX(d[0].box, 250, 75, 500, 150, 1e-3);
    return FC_TEST_PASS;
}

TEST(face_detect_ultraface_border_mapping)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    fc_detection d[16];
    int n = 0;
    fc_error err = {0};
    fc_detector_kind kind;
    /* border 0.25 of the long side: 100 px on every side, the canvas is 600x500, the
     * image at (100, 100); box (0.25..0.5) of the canvas = (150..300, 125..250) ->
     * image (50..200, 25..150) */
    CHECK_OK(run_on(dir, "ultraface.onnx", 400, 300, 0.25f, d, &n, &err, &kind), &err);
    CHECK(n == 2);
    NEAR_BOX(d[0].box, 50, 25, 200, 150, 1e-3);
    /* second box: canvas (360..480, 50..200) -> image (260..380, 0 (clipped)..100) */
    NEAR_BOX(d[1].box, 260, 0, 380, 100, 1e-3);
    return FC_TEST_PASS;
}

TEST(face_detect_yolo_letterbox)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    const char *files[3] = {"yolo5.onnx", "yolo20.onnx", "yolo5_t.onnx"};
    for (int f = 0; f < 3; f++) {
        fc_detection d[16];
        int n = 0;
        fc_error err = {0};
        fc_detector_kind kind;
        /* 1280x720 -> scale 0.5, 640x360 centred: 140 px of grey above and below */
        CHECK_OK(run_on(dir, files[f], 1280, 720, 0, d, &n, &err, &kind), &err);
        CHECK(kind == FC_DETECTOR_YOLO);
        CHECK_MSG(n == 2, "%s: %d detections", files[f], n); /* NMS 0.45, conf 0.5 */
        CHECK_NEAR(d[0].score, 0.9, 1e-6);
        /* input (270..370, 260..380) -> image ((x)/0.5, (y-140)/0.5) */
        NEAR_BOX(d[0].box, 540, 240, 740, 480, 1e-2);
        /* input (70..130, 160..240) */
        NEAR_BOX(d[1].box, 140, 40, 260, 200, 1e-2);
        CHECK(d[0].has_landmarks == (f == 1));
        if (f == 1) { /* keypoint k at (x1 + w (k+1)/6, y1 + h (k+1)/6) of the input box */
            for (int k = 0; k < 5; k++) {
                CHECK_NEAR(d[0].landmarks[k].x, 540 + 200 * (k + 1) / 6.0, 1e-2);
                CHECK_NEAR(d[0].landmarks[k].y, 240 + 240 * (k + 1) / 6.0, 1e-2);
            }
        }
    }
    /* portrait: 360x720 -> scale 640/720, width 320, 160 px of grey left and right */
    fc_detection d[16];
    int n = 0;
    fc_error err = {0};
    fc_detector_kind kind;
    CHECK_OK(run_on(dir, "yolo5.onnx", 360, 720, 0, d, &n, &err, &kind), &err);
    CHECK_MSG(n == 1, "%d detections", n);
    const double s = 640.0 / 720.0;
    NEAR_BOX(d[0].box, (270 - 160) / s, 260 / s, (370 - 160) / s, 380 / s, 1e-2);
    /* the second box lies in the left grey band: input x 70..130 < 160, nothing of it
     * in the image, so it is dropped */
    return FC_TEST_PASS;
}

TEST(face_detect_head_choice)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    fc_error err = {0};
    fc_detector *d = load(dir, "yolo5.onnx", FC_DETECTOR_ULTRAFACE, &err);
    CHECK(!d && err.code == FC_ERR_UNSUPPORTED);
    d = load(dir, "facenet_nchw.onnx", FC_DETECTOR_AUTO, &err);
    CHECK(!d && err.code == FC_ERR_UNSUPPORTED);
    d = load(dir, "yolo20.onnx", FC_DETECTOR_YOLO, &err);
    CHECK(d && fc_detector_has_landmarks(d));
    int w, h;
    fc_detector_input_size(d, &w, &h);
    CHECK(w == 640 && h == 640);
    fc_detector_free(d);
    d = load(dir, "ultraface.onnx", FC_DETECTOR_AUTO, &err);
    CHECK(d && !fc_detector_has_landmarks(d));
    fc_detector_input_size(d, &w, &h);
    CHECK(w == 320 && h == 240);
    fc_detector_free(d);
    return FC_TEST_PASS;
}
