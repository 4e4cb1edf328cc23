/* tensorize.h - RGB8 pixels straight into a model's float input: scale, place
 * (resize, letterbox, border, crop), normalise, reorder channels and lay out, in
 * one pass with no intermediate 8-bit image. */
#ifndef FC_FACE_TENSORIZE_H
#define FC_FACE_TENSORIZE_H

#include "core/status.h"
#include "image/image.h"

/* Where the source goes in the destination. Continuous coordinates with pixel edges
 * at integers: source point u maps to destination point u * s + o on each axis, so
 * a source pixel region [a, b) lands on [a*s + o, b*s + o). A crop is a negative
 * offset, a letterbox a positive one. */
typedef struct {
    float sx, sy;
    float ox, oy;
} fc_place;

/* Maps a destination point back to the source (the inverse of fc_place). */
static inline float fc_place_src_x(const fc_place *p, float x) { return (x - p->ox) / p->sx; }
static inline float fc_place_src_y(const fc_place *p, float y) { return (y - p->oy) / p->sy; }

/* How 8-bit values become floats: out = (v - mean) * scale, v the channel value (or
 * the BT.601 luma 0.299 R + 0.587 G + 0.114 B when grey). */
typedef struct {
    int grey;      /* 1: one channel of luma */
    int bgr;       /* 1: channel order B, G, R (ignored when grey) */
    int nhwc;      /* 1: H x W x C; 0: C x H x W */
    float mean, scale;
    float pad;     /* value v used where the destination lies outside the source */
} fc_pixel_norm;

/* Fills dst (dw x dh x channels floats, laid out as norm says) with src placed by pl.
 * Shrinking averages the covered source area (box filter), enlarging interpolates
 * bilinearly, per axis; destination pixels whose centre falls outside the placed
 * source get norm->pad. Returns FC_ERR_NOMEM if its small scratch buffers cannot be
 * allocated, FC_ERR_ARG for a bad size or scale. Deterministic. */
fc_status fc_face_tensorize(const fc_image *src, const fc_place *pl, int dw, int dh,
                            const fc_pixel_norm *norm, float *dst, fc_error *err);

#endif
