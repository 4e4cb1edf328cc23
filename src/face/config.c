/* config.c - the pipeline's configuration: defaults and the environment. */
#include "face/pipeline.h"

#include "face/tile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *models_dir(void)
{
    const char *d = getenv("FC_MODELS_DIR");
    return d && *d ? d : "models";
}

static void set_path(char *dst, const char *dir, const char *file)
{
    snprintf(dst, FC_PATH_MAX, "%s/%s", dir, file);
}

void fc_pipeline_config_default(fc_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    const char *dir = models_dir();
    set_path(cfg->detect_model, dir, "fr_detect.onnx");
    set_path(cfg->landmark_model, dir, "fr_landmark.onnx");
    set_path(cfg->embed_model, dir, "fr_feature.onnx");
    cfg->min_face_size = 30;
    cfg->realign_below = 75;
    cfg->retry_border = 0.5f;
    cfg->crop_fill = 0.1f;
    cfg->detect_tiles = 8;
    cfg->embed = 1;
    cfg->limits = fc_decode_opts_default().limits;
}

static fc_status env_float(const char *name, float lo, float hi, float *out, fc_error *err)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return FC_OK;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || !(d >= lo && d <= hi))
        return fc_error_set(err, FC_ERR_ARG, "%s=%s: expected a number in [%g, %g]", name, v, lo, hi);
    *out = (float)d;
    return FC_OK;
}

static fc_status env_path(const char *name, char *dst, int *was_set, fc_error *err)
{
    const char *v = getenv(name);
    if (was_set)
        *was_set = v && *v;
    if (!v || !*v)
        return FC_OK;
    if (strlen(v) >= FC_PATH_MAX)
        return fc_error_set(err, FC_ERR_ARG, "%s: path too long", name);
    snprintf(dst, FC_PATH_MAX, "%s", v);
    return FC_OK;
}

fc_status fc_pipeline_config_from_env(fc_pipeline_config *cfg, fc_error *err)
{
    fc_pipeline_config_default(cfg);
    const char *v = getenv("DETECTOR");
    int k = fc_detector_kind_parse(v);
    if (k < 0)
        return fc_error_set(err, FC_ERR_ARG, "DETECTOR=%s: expected ultraface, yolo or yunet", v);
    cfg->detector = (fc_detector_kind)k;
    v = getenv("EMBEDDER");
    k = fc_embedder_kind_parse(v);
    if (k < 0)
        return fc_error_set(err, FC_ERR_ARG, "EMBEDDER=%s: expected arcface112 or facenet160", v);
    cfg->embedder = (fc_embedder_kind)k;

    int detect_set = 0, yolo_set = 0, embed_set = 0;
    fc_status rc = env_path("DETECT_MODEL_PATH", cfg->detect_model, &detect_set, err);
    if (!rc && !detect_set && (cfg->detector == FC_DETECTOR_YOLO || cfg->detector == FC_DETECTOR_AUTO)) {
        rc = env_path("YOLO_MODEL_PATH", cfg->detect_model, &yolo_set, err);
        if (!rc && yolo_set)
            cfg->detector = FC_DETECTOR_YOLO;
    }
    if (rc)
        return rc;
    if (!detect_set && !yolo_set && cfg->detector != FC_DETECTOR_AUTO && cfg->detector != FC_DETECTOR_ULTRAFACE)
        return fc_error_set(err, FC_ERR_ARG, "DETECTOR=%s needs its model: set %s",
                            fc_detector_kind_name(cfg->detector),
                            cfg->detector == FC_DETECTOR_YOLO ? "YOLO_MODEL_PATH" : "DETECT_MODEL_PATH");
    if ((rc = env_path("LANDMARK_MODEL_PATH", cfg->landmark_model, NULL, err)) ||
        (rc = env_path("EMBED_MODEL_PATH", cfg->embed_model, &embed_set, err)))
        return rc;
    if (!embed_set && cfg->embedder == FC_EMBEDDER_FACENET160)
        return fc_error_set(err, FC_ERR_ARG, "EMBEDDER=facenet160 needs its model: set EMBED_MODEL_PATH");

    v = getenv("EMBED_CHANNELS");
    if (v && *v) {
        if (!strcasecmp(v, "rgb"))
            cfg->embed_channels = FC_CHANNELS_RGB;
        else if (!strcasecmp(v, "bgr"))
            cfg->embed_channels = FC_CHANNELS_BGR;
        else
            return fc_error_set(err, FC_ERR_ARG, "EMBED_CHANNELS=%s: expected rgb or bgr", v);
    }
    float batch = 0, long_side = 0, flip = 0, tiles = (float)cfg->detect_tiles,
          aspect = (float)cfg->detect_tile_aspect;
    if ((rc = fc_image_limits_from_env(&cfg->limits, err)) ||
        (rc = env_float("MIN_FACE_SIZE", 0, 100000, &cfg->min_face_size, err)) ||
        (rc = env_float("DETECT_SCORE_THRESHOLD", 0, 1, &cfg->score_threshold, err)) ||
        (rc = env_float("EMBED_BATCH", 0, 8, &batch, err)) ||
        (rc = env_float("DECODE_LONG_SIDE", -1, 100000, &long_side, err)) ||
        (rc = env_float("CROP_FILL", 0, 1, &cfg->crop_fill, err)) ||
        (rc = env_float("EMBED_FLIP", 0, 1, &flip, err)) ||
        (rc = env_float("DETECT_TILES", 0, FC_TILE_MAX, &tiles, err)) ||
        (rc = env_float("DETECT_TILE_ASPECT", 0, 1, &aspect, err)))
        return rc;
    if (tiles != (float)(int)tiles)
        return fc_error_set(err, FC_ERR_ARG, "DETECT_TILES=%g: expected a whole number", tiles);
    cfg->detect_tiles = (int)tiles;
    if (aspect != 0 && aspect != 1)
        return fc_error_set(err, FC_ERR_ARG, "DETECT_TILE_ASPECT=%g: expected 0 or 1", aspect);
    cfg->detect_tile_aspect = (int)aspect;
    if (flip != 0 && flip != 1)
        return fc_error_set(err, FC_ERR_ARG, "EMBED_FLIP=%g: expected 0 or 1", flip);
    cfg->embed_flip = (int)flip;
    cfg->max_batch = (int)batch;
    cfg->decode_long_side = (int)long_side;
    return FC_OK;
}
