/* codec.h - inside the image module: one table row per file format, and the helpers
 * every decoder shares (limit checks before allocation, EXIF orientation lookup).
 *
 * decode.c sniffs the bytes, calls the format's probe (header only), checks the
 * limits, calls its decode, then applies the orientation the probe found (a codec
 * whose decode does all that itself skips the probe: decode_checks). A decoder
 * still allocates its pixels through fc_image_alloc_checked, so the limits hold even
 * if the library reads a different size than the probe did. */
#ifndef FC_IMAGE_CODEC_H
#define FC_IMAGE_CODEC_H

#include "image/image.h"

typedef struct {
    fc_image_format format;
    const char *name; /* "jpeg", ... */
    /* 1 if the bytes start like this format (len may be short: then 0). */
    int (*sniff)(const uint8_t *data, size_t len);
    /* Fills out->width, height (as stored) and orientation (1..8) from the header. */
    fc_status (*probe)(const uint8_t *data, size_t len, fc_image_info *out, fc_error *err);
    /* Decodes to RGB in the stored orientation (HEIF: see heif.c); NULL + err. */
    fc_image *(*decode)(const uint8_t *data, size_t len, const fc_decode_opts *opts,
                        fc_error *err);
    /* 1 when decode makes the probe's checks itself and returns the image as
     * displayed (orientation applied, full resolution): fc_image_decode then does
     * not probe first. HEIF: its probe would cost a child process of its own. */
    int decode_checks;
} fc_image_codec;

extern const fc_image_codec fc_codec_jpeg, fc_codec_png, fc_codec_webp, fc_codec_heif,
    fc_codec_bmp, fc_codec_tiff, fc_codec_gif;

/* FC_ERR_LIMIT naming MAX_IMAGE_PIXELS and the size if width x height is over
 * limits->max_pixels (limits may be NULL: no limit); FC_ERR_FORMAT for a size below
 * 1x1. `what` names the format in messages. */
fc_status fc_image_check_pixels(const char *what, int64_t width, int64_t height,
                                const fc_image_limits *limits, fc_error *err);

/* A zero-filled width x height RGB image (stride 3*width, scale 1, full size = size)
 * after checking the pixel limit and every size product; NULL + err. */
fc_image *fc_image_alloc_checked(const char *what, int64_t width, int64_t height,
                                 const fc_image_limits *limits, fc_error *err);

/* EXIF orientation (1..8) from a TIFF-structured EXIF block ("II*\0" or "MM\0*",
 * optionally preceded by "Exif\0\0"); 1 when absent, unreadable or out of range.
 * Every offset is checked against len. */
int fc_exif_orientation(const uint8_t *data, size_t len);

/* The numeric value (BYTE, SHORT, LONG; LONG8 in a BigTIFF) of `tag` in the first
 * directory of a TIFF or BigTIFF block into *value: 1 when found, 0 when absent or
 * not a number, -1 when the block is not TIFF or its first directory lies outside
 * it (truncated). Every offset is checked against len. */
int fc_tiff_tag(const uint8_t *data, size_t len, uint32_t tag, uint64_t *value);

/* Big- and little-endian reads of unaligned bytes. */
static inline uint32_t fc_rd_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t fc_rd_le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static inline uint32_t fc_rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t fc_rd_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* isolate.c: codec's probe or decode run in a forked child process, for libraries
 * that crash on hostile input or on a failed allocation. Same contract as the
 * function run; a child that dies gives FC_ERR_FORMAT "NAME: the decoder (libNAME)
 * crashed on this file", one that runs longer than MAX_DECODE_SECONDS (the decode's
 * opts->limits; for a probe, the environment's) FC_ERR_LIMIT naming it.
 * FC_DECODE_IN_PROCESS=1 calls the function directly (debugging). */
fc_status fc_probe_isolated(const fc_image_codec *codec,
                            fc_status (*probe)(const uint8_t *, size_t, fc_image_info *,
                                               fc_error *),
                            const uint8_t *d, size_t n, fc_image_info *out, fc_error *err);
fc_image *fc_decode_isolated(const fc_image_codec *codec,
                             fc_image *(*decode)(const uint8_t *, size_t,
                                                 const fc_decode_opts *, fc_error *),
                             const uint8_t *d, size_t n, const fc_decode_opts *opts,
                             fc_error *err);

/* heif_refs.c: FC_ERR_FORMAT for a HEIF container whose derived images reference
 * each other in a cycle (libheif 1.15 would recurse until the stack overflows). */
fc_status fc_heif_check_refs(const uint8_t *d, size_t len, fc_error *err);

#endif
