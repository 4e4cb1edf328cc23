/* pipeline.h - one call from image bytes to faces: decode (EXIF applied, JPEG scaled
 * for detection) -> detect (+ one retry with a border when nothing is found) ->
 * landmarks -> 5-point alignment -> quality -> embeddings (one batch per image).
 *
 * Threads: fc_pipeline_new loads every model once; they are shared read-only. The
 * pipeline keeps a pool of `workers` worker states (executor contexts, scratch),
 * each created on first use. fc_pipeline_run may be called from any number of
 * threads at once: each call checks a free worker out of the pool under a mutex
 * (waiting while all are busy) and returns it when done, so at most `workers` runs
 * compute at the same time and contexts are reused from call to call.
 *
 *   fc_pipeline_config cfg;
 *   if (fc_pipeline_config_from_env(&cfg, &err)) ...     // defaults + environment
 *   fc_pipeline *p = fc_pipeline_new(&cfg, &err);
 *   fc_faces *faces;
 *   if (fc_pipeline_run(p, bytes, len, &faces, &err) == FC_OK) {
 *       for (int i = 0; i < faces->n_faces; i++) ... faces->faces[i].box ...
 *       fc_faces_free(faces);
 *   }
 *   fc_pipeline_free(p);
 *
 * Results are deterministic for the same bytes, configuration and models: they do
 * not depend on which worker ran them or on how many threads call at once. */
#ifndef FC_FACE_PIPELINE_H
#define FC_FACE_PIPELINE_H

#include "core/status.h"
#include "face/embed.h"
#include "face/face.h"
#include "face/thresholds.h"
#include "image/image.h"

#include <stddef.h>
#include <stdint.h>

#define FC_PATH_MAX 1024

typedef struct fc_pipeline fc_pipeline;

typedef struct {
    fc_detector_kind detector;           /* AUTO: from the detection model's shapes */
    fc_embedder_kind embedder;           /* AUTO: from the embedding model's input size */
    char detect_model[FC_PATH_MAX];
    char landmark_model[FC_PATH_MAX];    /* used when the detector gives no landmarks */
    char embed_model[FC_PATH_MAX];
    fc_channel_order embed_channels;     /* DEFAULT: the embedder kind's */
    int embed_flip;                      /* 1: test-time flip (fc_embedder_opts.flip) */
    float score_threshold;               /* 0: the detector head's default */
    float nms_iou;                       /* 0: the detector head's default */
    float min_face_size;                 /* faces smaller (min side, original px) are dropped */
    int decode_long_side;                /* JPEG scaled decode keeps the long side >= this;
                                          * 0: twice the detector input's long side; -1: full */
    float realign_below;                 /* a face smaller than this (px, in the scaled
                                          * image) is aligned from a full-resolution decode */
    float retry_border;                  /* nothing found: retry once with a black border
                                          * of this fraction of the long side on each
                                          * side; 0: no retry */
    float crop_fill;                     /* a face box covering at least this fraction of
                                          * the image makes it a tight crop, searched
                                          * again with the border; 0: never */
    int detect_tiles;                    /* tiles per image at most for a second search
                                          * of photos with small faces (face/tile.h);
                                          * 0: never */
    int detect_tile_aspect;              /* 1: also search on tiles the photos stretched
                                          * past TILE_STRETCH into the detector's input
                                          * (panoramas, tall stacks) */
    int embed;                           /* 1: compute embeddings */
    int keep_crops;                      /* 1: return the aligned crops */
    int workers;                         /* worker states (concurrent runs); 0: cores */
    int nn_threads;                      /* executor threads per run; 0: FC_THREADS if set, else 1 */
    int max_batch;                       /* embedder batch: 1, 2, 4, 8 (the faces of an
                                          * image go as one batch, split in these);
                                          * 0: 8 when nn_threads > 1, else 1 (faster) */
    fc_image_limits limits;              /* MAX_IMAGE_SIZE_BYTES, MAX_IMAGE_PIXELS */
} fc_pipeline_config;

/* Defaults: the model set in FC_MODELS_DIR (default "models"), UltraFace + landmarks
 * + arcface112, min_face_size 30, border retry on, embeddings on, image limits from
 * the environment (fc_decode_opts_default). */
void fc_pipeline_config_default(fc_pipeline_config *cfg);

/* Defaults, then the environment: DETECTOR=ultraface|yolo|yunet,
 * EMBEDDER=arcface112|facenet160, DETECT_MODEL_PATH (YOLO_MODEL_PATH for yolo, and
 * it alone selects yolo), LANDMARK_MODEL_PATH, EMBED_MODEL_PATH, EMBED_CHANNELS=rgb|bgr,
 * MIN_FACE_SIZE, DETECT_SCORE_THRESHOLD, EMBED_BATCH (1, 2, 4, 8), DECODE_LONG_SIDE
 * (-1: full resolution), CROP_FILL, EMBED_FLIP, DETECT_TILES (0..16, 0: off),
 * DETECT_TILE_ASPECT (0 or 1), and the decode limits (fc_image_limits_from_env).
 * FC_ERR_ARG naming the variable for a bad value. */
fc_status fc_pipeline_config_from_env(fc_pipeline_config *cfg, fc_error *err);

/* What one image gave. Free with fc_faces_free. */
typedef struct {
    int width, height;      /* the photo's displayed size (EXIF orientation applied) */
    int n_faces;
    fc_face *faces;         /* best detection score first */
    int dim;                /* embedding length, 0 when embeddings are off */
    fc_image **crops;       /* n_faces aligned crops when keep_crops, else NULL */
    int retried;            /* 1: found on the bordered retry */
} fc_faces;

void fc_faces_free(fc_faces *f);

/* Loads the models and checks they fit together. NULL + err on failure. */
fc_pipeline *fc_pipeline_new(const fc_pipeline_config *cfg, fc_error *err);
/* Frees the pipeline; no run may be in progress. NULL is a no-op. */
void fc_pipeline_free(fc_pipeline *p);

/* Runs the whole pipeline on an encoded image (any format fc_image_decode reads).
 * On success *out holds the faces (possibly none); on failure (unreadable,
 * truncated or over-limit image, ...) *out is NULL and err says why. Thread-safe. */
fc_status fc_pipeline_run(fc_pipeline *p, const uint8_t *bytes, size_t len, fc_faces **out,
                          fc_error *err);

/* The same on an already decoded image (its scale is honoured; no re-decode). */
fc_status fc_pipeline_run_image(fc_pipeline *p, const fc_image *img, fc_faces **out, fc_error *err);

fc_embedder_kind fc_pipeline_embedder_kind(const fc_pipeline *p);
fc_detector_kind fc_pipeline_detector_kind(const fc_pipeline *p);
int fc_pipeline_dim(const fc_pipeline *p);
/* The default thresholds of this pipeline's embedder. */
const fc_thresholds *fc_pipeline_thresholds(const fc_pipeline *p);

#endif
