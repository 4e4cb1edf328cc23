/* image.h - decoded photos: 8-bit RGB pixels in the displayed orientation.
 *
 * Decoders distrust their input: the size limits are checked from the header before
 * any pixel buffer is allocated, every size product is checked for overflow, and a
 * bad file gives NULL plus a reason, never a crash.
 *
 *   fc_error err = {0};
 *   fc_decode_opts opts = fc_decode_opts_default();
 *   opts.min_long_side = 1280;                  // JPEG may decode at 1/2..1/8
 *   fc_image *img = fc_image_decode(bytes, len, &opts, &err);
 *   ... img->rgb, img->width, img->height, img->scale ...
 *   fc_image_free(img);
 */
#ifndef FC_IMAGE_IMAGE_H
#define FC_IMAGE_IMAGE_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_IMAGE_UNKNOWN = 0,
    FC_IMAGE_JPEG,
    FC_IMAGE_PNG,
    FC_IMAGE_WEBP,
    FC_IMAGE_HEIF,
    FC_IMAGE_BMP,
    FC_IMAGE_TIFF,
    FC_IMAGE_GIF,
} fc_image_format;

/* Interleaved RGB, 3 bytes per pixel, rows `stride` bytes apart (stride >= 3*width). */
typedef struct {
    int width, height;
    int stride;
    uint8_t *rgb;
    /* Decoded images only: full-resolution displayed pixels per pixel of this image
     * (1, or 2/4/8 when a JPEG was DCT-scaled), and the full-resolution displayed
     * size. A point (x, y) here is (x * scale, y * scale) in the original photo. */
    float scale;
    int full_width, full_height;
} fc_image;

typedef struct {
    size_t max_bytes;    /* MAX_IMAGE_SIZE_BYTES; 0: no limit */
    uint64_t max_pixels; /* MAX_IMAGE_PIXELS, width*height as stored; 0: no limit */
    /* MAX_DECODE_SECONDS: the longest a codec run in a child process (HEIF, TIFF:
     * isolate.c) may take on one file before it is stopped; 0: no limit */
    unsigned max_decode_seconds;
} fc_image_limits;

/* What the header says, without decoding pixels. The orientation comes from EXIF in
 * JPEG (APP1), PNG (eXIf) and WebP (EXIF chunk), and from TIFF's Orientation tag.
 * HEIF is different: the container's rotation/mirror (irot/imir) is applied by
 * libheif, so width/height are already the displayed size and orientation is 1; an
 * EXIF orientation inside a HEIF file is never applied (it would turn twice). */
typedef struct {
    fc_image_format format; /* HEIF also covers AVIF (libheif's AV1 decoder) */
    int width, height;  /* as stored */
    int orientation;    /* EXIF orientation 1..8 (1 when absent) */
    int display_width;  /* after orientation: width and height swap for 5..8 */
    int display_height;
} fc_image_info;

typedef struct {
    fc_image_limits limits;
    /* 0: full resolution. Otherwise a decoder that can scale while decoding (JPEG's
     * DCT scaling at 1/2, 1/4, 1/8) may return fewer pixels, as long as the long
     * side stays >= min_long_side; img->scale says by how much. */
    int min_long_side;
    /* 1: keep the stored orientation (tests, tools); for HEIF also skips libheif's
     * rotation, mirror and crop */
    int ignore_orientation;
} fc_decode_opts;

/* Defaults: limits from MAX_IMAGE_SIZE_BYTES (20 MB), MAX_IMAGE_PIXELS (50 MP) and
 * MAX_DECODE_SECONDS (60) in the environment, full resolution, EXIF orientation applied. A variable that is
 * not a valid number is ignored here (its default is used): call
 * fc_image_limits_from_env once at startup to report it. */
fc_decode_opts fc_decode_opts_default(void);

#define FC_IMAGE_DEFAULT_MAX_BYTES ((size_t)20 * 1024 * 1024)
#define FC_IMAGE_DEFAULT_MAX_PIXELS ((uint64_t)50000000)
#define FC_IMAGE_DEFAULT_MAX_DECODE_SECONDS 60u

/* Limits from the environment: MAX_IMAGE_SIZE_BYTES, MAX_IMAGE_PIXELS and
 * MAX_DECODE_SECONDS (at most 86400), each a decimal whole number (0 means no
 * limit); unset or empty gives the default. Always
 * fills *out (a bad value's limit keeps its default) and returns FC_OK, or FC_ERR_ARG
 * naming the variable and its value when one is not a number, has trailing junk, is
 * negative or is out of range. */
fc_status fc_image_limits_from_env(fc_image_limits *out, fc_error *err);

/* The format, judged by the bytes (never by a file name); FC_IMAGE_UNKNOWN if none. */
fc_image_format fc_image_sniff(const uint8_t *data, size_t len);
const char *fc_image_format_name(fc_image_format f); /* "jpeg", ..., "unknown" */

/* Reads the header: format, stored size, EXIF orientation. Checks the limits
 * (FC_ERR_LIMIT naming the limit and the size); limits may be NULL. */
fc_status fc_image_probe(const uint8_t *data, size_t len, const fc_image_limits *limits,
                         fc_image_info *out, fc_error *err);

/* Decodes to RGB in the displayed orientation. Grey, palette, CMYK and 16-bit input
 * become 8-bit RGB; alpha is dropped; GIF gives its first frame. NULL + err for a
 * file that is unreadable, truncated, unsupported or over a limit. Free with
 * fc_image_free.
 *  - Limits are checked from the header before any pixel buffer exists.
 *  - A truncated or corrupt file is an error (FC_ERR_FORMAT), never a partly grey
 *    picture: libjpeg's "premature end" and corrupt-data warnings count as errors.
 *    The one tolerance: a sequential Huffman-coded JPEG that lacks only its final EOI
 *    marker.
 *  - "Alpha dropped" means the colour values are kept as stored; a GIF or animated
 *    WebP canvas starts black where the first frame leaves it transparent; TIFF with
 *    alpha comes premultiplied by libtiff (transparent = black).
 *  - With min_long_side, img->scale > 1 and full_width/full_height give the
 *    displayed full-resolution size. */
fc_image *fc_image_decode(const uint8_t *data, size_t len, const fc_decode_opts *opts,
                          fc_error *err);

/* Reads a file (refusing one over opts->limits.max_bytes before reading it) and
 * decodes it. */
fc_image *fc_image_load(const char *path, const fc_decode_opts *opts, fc_error *err);

/* A new zero-filled width x height image (scale 1); NULL + err on bad size or memory. */
fc_image *fc_image_new(int width, int height, fc_error *err);
void fc_image_free(fc_image *img);

/* Applies EXIF orientation 1..8 (the transform that makes the stored pixels display
 * upright); returns a new image, or NULL + err. */
fc_image *fc_image_orient(const fc_image *src, int orientation, fc_error *err);

/* Resizes src into dst (dst's width/height/stride/rgb set by the caller; the two must
 * not overlap): box (area) averaging when shrinking, bilinear when enlarging, per
 * axis. Takes a scratch row and weight tables (about 10 * src->width bytes); if that
 * allocation fails dst is filled black. 4000x3000 -> 320x240 takes about 4 ms. */
void fc_image_resize(const fc_image *src, fc_image *dst);

/* Bilinear affine warp: for each pixel (x, y) of dst, samples src at
 * (m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]) (pixel centres at integers);
 * outside src is black. */
void fc_image_warp_affine(const fc_image *src, const float m[6], fc_image *dst);

/* Writes an 8-bit RGB PNG, replacing path; on failure (FC_ERR_IO) no partial file
 * is left. */
fc_status fc_image_write_png(const fc_image *img, const char *path, fc_error *err);

#endif
