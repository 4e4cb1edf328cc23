/* test_face_config.c - choosing models from the environment (DETECTOR, EMBEDDER,
 * *_MODEL_PATH), the thresholds table, and a whole run with the original service's
 * model kinds (YOLO-face pose + FaceNet 160, synthetic stand-ins). */
#include "test.h"

#include "face/pipeline.h"
#include "face/thresholds.h"
#include "face_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const vars[] = {"DETECTOR", "EMBEDDER", "DETECT_MODEL_PATH", "YOLO_MODEL_PATH",
                                   "EMBED_MODEL_PATH", "LANDMARK_MODEL_PATH", "EMBED_CHANNELS",
                                   "MIN_FACE_SIZE", "DETECT_SCORE_THRESHOLD", "EMBED_BATCH",
                                   "DECODE_LONG_SIDE", "FC_MODELS_DIR", "EMBED_FLIP", "DETECT_TILES",
                                   "DETECT_TILE_ASPECT", "MAX_IMAGE_PIXELS", "MAX_DECODE_SECONDS"};
#define N_VARS (int)(sizeof vars / sizeof vars[0])

/* Saves and clears the variables; restore puts them back. */
static void env_save(char **saved)
{
    for (int i = 0; i < N_VARS; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(vars[i]);
    }
}

static void env_restore(char **saved)
{
    for (int i = 0; i < N_VARS; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
    }
}

static int check_env(void)
{
    fc_pipeline_config cfg;
    fc_error err = {0};
    setenv("FC_MODELS_DIR", "/m", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.detector == FC_DETECTOR_AUTO && !strcmp(cfg.detect_model, "/m/fr_detect.onnx") &&
          !strcmp(cfg.embed_model, "/m/fr_feature.onnx") && cfg.min_face_size == 30 && cfg.embed);
    /* YOLO_MODEL_PATH alone selects the YOLO detector (the original service's setting) */
    setenv("YOLO_MODEL_PATH", "/y/yolov8n-face.onnx", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.detector == FC_DETECTOR_YOLO && !strcmp(cfg.detect_model, "/y/yolov8n-face.onnx"));
    /* DETECT_MODEL_PATH wins */
    setenv("DETECT_MODEL_PATH", "/d.onnx", 1);
    setenv("DETECTOR", "YuNet", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.detector == FC_DETECTOR_YUNET && !strcmp(cfg.detect_model, "/d.onnx"));
    unsetenv("DETECT_MODEL_PATH");
    unsetenv("YOLO_MODEL_PATH");
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "DETECT_MODEL_PATH"));
    setenv("DETECTOR", "retina", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "DETECTOR"));
    unsetenv("DETECTOR");
    setenv("EMBEDDER", "facenet160", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "EMBED_MODEL_PATH"));
    setenv("EMBED_MODEL_PATH", "/f.onnx", 1);
    setenv("EMBED_CHANNELS", "rgb", 1);
    setenv("MIN_FACE_SIZE", "48", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.embedder == FC_EMBEDDER_FACENET160 && !strcmp(cfg.embed_model, "/f.onnx") &&
          cfg.embed_channels == FC_CHANNELS_RGB && cfg.min_face_size == 48);
    setenv("MIN_FACE_SIZE", "12px", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "MIN_FACE_SIZE"));
    unsetenv("MIN_FACE_SIZE");
    CHECK(cfg.embed_flip == 0);
    setenv("EMBED_FLIP", "1", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.embed_flip == 1);
    setenv("EMBED_FLIP", "0.5", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "EMBED_FLIP"));
    unsetenv("EMBED_FLIP");
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    /* small faces are searched on tiles by default, stretched photos only when asked
     * (docs/pipeline.md, "Tiles") */
    CHECK(cfg.detect_tiles == 8 && cfg.detect_tile_aspect == 0);
    setenv("DETECT_TILE_ASPECT", "1", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.detect_tile_aspect == 1);
    setenv("DETECT_TILE_ASPECT", "2", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "DETECT_TILE_ASPECT"));
    unsetenv("DETECT_TILE_ASPECT");
    /* the decode limits are read here too, and a bad one is reported, not ignored */
    setenv("MAX_IMAGE_PIXELS", "1000", 1);
    setenv("MAX_DECODE_SECONDS", "5", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.limits.max_pixels == 1000 && cfg.limits.max_decode_seconds == 5);
    setenv("MAX_DECODE_SECONDS", "5s", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG &&
          strstr(err.msg, "MAX_DECODE_SECONDS=\"5s\""));
    setenv("MAX_IMAGE_PIXELS", "1e9", 1);
    CHECK(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG &&
          strstr(err.msg, "MAX_IMAGE_PIXELS"));
    unsetenv("MAX_IMAGE_PIXELS");
    unsetenv("MAX_DECODE_SECONDS");
    setenv("DETECT_TILES", "8", 1);
    CHECK_OK(fc_pipeline_config_from_env(&cfg, &err), &err);
    CHECK(cfg.detect_tiles == 8);
    const char *bad[] = {"17", "-1", "2.5", "many"};
    for (int i = 0; i < 4; i++) {
        setenv("DETECT_TILES", bad[i], 1);
        CHECK_MSG(fc_pipeline_config_from_env(&cfg, &err) == FC_ERR_ARG && strstr(err.msg, "DETECT_TILES"),
                  "DETECT_TILES=%s accepted", bad[i]);
    }
    return FC_TEST_PASS;
}

TEST(face_config_environment)
{
    char *saved[N_VARS];
    env_save(saved);
    int result = check_env();
    env_restore(saved);
    return result;
}

TEST(face_config_thresholds_table)
{
    const fc_thresholds *a = fc_thresholds_for(FC_EMBEDDER_ARCFACE112);
    const fc_thresholds *f = fc_thresholds_for(FC_EMBEDDER_FACENET160);
    CHECK(f->cluster_edge == 0.75f && f->merge == 0.6f && f->attach == 0 && f->assign == 0.65f);
    /* calibrated (docs/calibration.md): a graph edge is stricter than a verification;
     * merge and attach bound mean cosines over many face pairs and are lower; assign
     * compares a centroid with a face */
    CHECK(a->verify == 0.22f && a->cluster_edge == 0.58f && a->merge == 0.25f && a->attach == 0 &&
          a->assign == 0.46f);
    CHECK(a->verify > 0 && a->verify < a->assign && a->assign < a->cluster_edge && a->cluster_edge < 1);
    CHECK(a->attach < a->merge && a->merge < a->cluster_edge);
    CHECK(fc_thresholds_for(FC_EMBEDDER_AUTO) == a || fc_thresholds_for(FC_EMBEDDER_AUTO)->verify == a->verify);
    CHECK(fc_thresholds_for((fc_embedder_kind)99) == a);
    CHECK(fc_detector_kind_parse("ULTRAFACE") == FC_DETECTOR_ULTRAFACE && fc_detector_kind_parse("") == 0 &&
          fc_embedder_kind_parse("arcface112") == FC_EMBEDDER_ARCFACE112 && fc_embedder_kind_parse("x") < 0);
    return FC_TEST_PASS;
}

TEST(face_config_yolo_facenet_pipeline)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    size_t len = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &len);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    fc_pipeline_config cfg;
    fc_pipeline_config_default(&cfg);
    fc_face_test_path(cfg.detect_model, sizeof cfg.detect_model, dir, "yolo20.onnx");
    fc_face_test_path(cfg.embed_model, sizeof cfg.embed_model, dir, "facenet_nhwc.onnx");
    cfg.keep_crops = 1;
    cfg.workers = 1;
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err); /* no landmark model needed: YOLO gives them */
    fc_faces *f = NULL;
    int result = FC_TEST_PASS;
    if (!p || fc_pipeline_run(p, jpeg, len, &f, &err))
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    else if (fc_pipeline_detector_kind(p) != FC_DETECTOR_YOLO || fc_pipeline_embedder_kind(p) != FC_EMBEDDER_FACENET160 ||
             f->dim != 128 || f->n_faces != 2 || f->crops[0]->width != 160)
        result = fc_test_fail(__FILE__, __LINE__, "kinds %d/%d, dim %d, %d faces", fc_pipeline_detector_kind(p),
                              fc_pipeline_embedder_kind(p), f->dim, f->n_faces);
    else {
        /* 1920x1280 letterboxed into 640: scale 1/3, 427 rows, 106 px of grey on top;
         * the first synthetic box (270..370, 260..380) lands at (810..1110, 462..822) */
        const fc_face *a = &f->faces[0];
        if (!(fabsf(a->box.x1 - 810) < 3 && fabsf(a->box.x2 - 1110) < 3 && fabsf(a->box.y1 - 462) < 3 &&
              fabsf(a->box.y2 - 822) < 3) || a->landmarks_from != 0)
            result = fc_test_fail(__FILE__, __LINE__, "box (%g,%g)-(%g,%g)", a->box.x1, a->box.y1, a->box.x2, a->box.y2);
        double n = 0;
        for (int k = 0; k < 128; k++)
            n += (double)a->embedding[k] * a->embedding[k];
        if (result == FC_TEST_PASS && fabs(n - 1) > 1e-4)
            result = fc_test_fail(__FILE__, __LINE__, "|embedding|^2 = %g", n);
        if (result == FC_TEST_PASS && fc_pipeline_thresholds(p)->cluster_edge != 0.75f)
            result = fc_test_fail(__FILE__, __LINE__, "FaceNet thresholds not used");
    }
    fc_faces_free(f);
    fc_pipeline_free(p);
    free(jpeg);
    return result;
}
