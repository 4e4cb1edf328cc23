/* embed.h - face embedders: aligned crops in, L2-normalised vectors out. The model is
 * loaded once and shared read-only; a context (one thread at a time) keeps one
 * executor context per batch size it has met (1, 2, 4, 8: a batch of n runs as
 * its binary decomposition, so 7 faces are 4 + 2 + 1), created on first use.
 *
 * Kinds: arcface112 ((x-127)/128, 112x112 ArcFace-template crops) and facenet160
 * (per-crop prewhitening, 160x160); NCHW or NHWC as the model declares it. */
#ifndef FC_FACE_EMBED_H
#define FC_FACE_EMBED_H

#include "core/status.h"
#include "face/face.h"
#include "image/image.h"

#include <stddef.h>

typedef struct fc_embedder fc_embedder;
typedef struct fc_embedder_ctx fc_embedder_ctx;

typedef enum {
    FC_CHANNELS_DEFAULT = 0, /* the kind's: BGR for arcface112 (measured, see embed.c), RGB for facenet160 */
    FC_CHANNELS_RGB,
    FC_CHANNELS_BGR,
} fc_channel_order;

typedef struct {
    const char *model_path;
    fc_embedder_kind kind;    /* AUTO: 112 -> arcface112, 160 -> facenet160 */
    fc_channel_order channels;
    int nn_threads;           /* executor threads per context; 0 = its default */
    int max_batch;            /* largest batch per run: 1, 2, 4 or 8; 0 = 8 */
    int flip;                 /* 1: each crop is also embedded mirrored, and the two
                               * vectors are summed (test-time flip: a pose-symmetric
                               * vector, twice the embedder's time) */
} fc_embedder_opts;

/* Loads the model and checks its shapes: one input 1x3xSxS or 1xSxSx3, one output
 * 1xD. NULL + err otherwise. Free with fc_embedder_free. */
fc_embedder *fc_embedder_new(const fc_embedder_opts *opts, fc_error *err);
void fc_embedder_free(fc_embedder *e);

fc_embedder_kind fc_embedder_kind_of(const fc_embedder *e);
int fc_embedder_size(const fc_embedder *e); /* crop side S */
int fc_embedder_dim(const fc_embedder *e);  /* vector length D */

fc_embedder_ctx *fc_embedder_ctx_new(const fc_embedder *e, fc_error *err);
void fc_embedder_ctx_free(fc_embedder_ctx *c);

/* Embeds n crops (each S x S RGB) into out[n * D], each vector L2-normalised.
 * Deterministic for the same crops and n. With opts.flip, a crop and its mirror
 * image get the same vector (up to rounding). */
fc_status fc_embedder_run(fc_embedder_ctx *c, const fc_image *const *crops, int n, float *out,
                          fc_error *err);

/* FaceNet's prewhitening of n values in place: (x - mean) / max(std, 1/sqrt(n)). */
void fc_face_prewhiten(float *x, size_t n);

/* Scales v[0..n) to unit length (left as is when it is all zeros). */
void fc_face_l2_normalize(float *v, int n);

#endif
