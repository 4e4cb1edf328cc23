/* pipeline_int.h - inside the pipeline: the loaded models and a worker state (the
 * per-thread contexts and scratch), shared by pipeline.c and face_run.c only. */
#ifndef FC_FACE_PIPELINE_INT_H
#define FC_FACE_PIPELINE_INT_H

#include "face/detect.h"
#include "face/embed.h"
#include "face/landmarks.h"
#include "face/pipeline.h"

/* Faces per image at most (a crowd photo); the best ones are kept. */
#define FC_FACE_MAX_FACES 1024

/* The models, loaded once, read-only afterwards. */
typedef struct {
    const fc_pipeline_config *cfg;
    fc_detector *det;
    fc_landmarker *lmk; /* NULL when the detector always gives landmarks */
    fc_embedder *emb;
    int decode_long_side; /* resolved: 0 = full resolution */
    int in_w, in_h;       /* the detector's input size (fc_detector_input_size) */
} fc_face_models;

fc_status fc_face_models_load(fc_face_models *m, const fc_pipeline_config *cfg, int nn_threads,
                              fc_error *err);
void fc_face_models_free(fc_face_models *m);

/* One worker's state; used by one run at a time. */
typedef struct fc_face_worker {
    const fc_face_models *models;
    fc_detector_ctx *det;
    fc_landmarker_ctx *lmk;
    fc_embedder_ctx *emb;
    fc_detection *dets; /* FC_FACE_MAX_FACES */
    fc_detection *first; /* FC_FACE_MAX_FACES: the unbordered search, during a retry */
    unsigned char *cut;  /* FC_FACE_MAX_FACES: which of first were cut by a tile edge */
    fc_image *blur_crop; /* 112x112, for embedders of another size; made on first use */
    struct fc_face_worker *next; /* the pool's free list */
} fc_face_worker;

fc_face_worker *fc_face_worker_new(const fc_face_models *m, fc_error *err);
void fc_face_worker_free(fc_face_worker *w);

/* Runs the pipeline on bytes (decoding them) or, when img is not NULL, on img. */
fc_status fc_face_worker_run(fc_face_worker *w, const uint8_t *bytes, size_t len,
                             const fc_image *img, fc_faces **out, fc_error *err);

#endif
