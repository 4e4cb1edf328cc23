/* image_util.h - fixtures for the image tests: a block pattern with a known colour per
 * block, pixel comparisons, files in the test tmpdir, and the JPEG/PNG/EXIF/HEIC writers
 * several test files share (format-specific writers live in their own test file). */
#ifndef FC_TESTS_IMAGE_UTIL_H
#define FC_TESTS_IMAGE_UTIL_H

#include "image/image.h"

#include <stddef.h>
#include <stdint.h>

/* The colour of block (bx, by): a hash, so no two neighbours and no mirror image
 * look alike. */
void tu_block_rgb(int bx, int by, uint8_t rgb[3]);

/* A w x h image of flat block x block squares coloured by tu_block_rgb. */
fc_image *tu_pattern(int w, int h, int block);

/* Deterministic noise (seeded), for exactness tests. */
fc_image *tu_noise(int w, int h, uint32_t seed);

static inline uint8_t *tu_px(const fc_image *img, int x, int y)
{
    return img->rgb + (size_t)y * (size_t)img->stride + 3 * (size_t)x;
}

/* Largest per-channel difference; -1 if the sizes differ. */
int tu_max_diff(const fc_image *a, const fc_image *b);
/* Mean absolute per-channel difference; -1 if the sizes differ. */
double tu_mean_diff(const fc_image *a, const fc_image *b);
/* Largest difference at the centres of block x block squares (lossy codecs blur
 * edges); -1 if the sizes differ. */
int tu_max_diff_centres(const fc_image *a, const fc_image *b, int block);

/* Writes bytes to <tmpdir>/name; returns the path (static buffer, next call reuses). */
const char *tu_write_tmp(const char *name, const void *data, size_t len);
/* Reads a whole file; NULL if it cannot. Free with free(). */
uint8_t *tu_read_file(const char *path, size_t *len);

/* JPEG of img through TurboJPEG; subsamp a TJSAMP_* value, flags TJFLAG_*. Free with
 * free(); NULL on failure. */
uint8_t *tu_jpeg(const fc_image *img, int quality, int subsamp, int flags, size_t *len);

/* A TIFF-structured EXIF block (no "Exif\0\0" prefix) holding IFD0 with one
 * Orientation entry; big_endian picks "MM". Returns its length (<= 64). */
size_t tu_exif_tiff(uint8_t *out, int orientation, int big_endian);

/* A copy of a JPEG with an APP1 "Exif" segment carrying the orientation inserted
 * after SOI. Free with free(). */
uint8_t *tu_jpeg_with_orientation(const uint8_t *jpeg, size_t len, int orientation,
                                  int big_endian, size_t *out_len);

/* PNG from rows already in the target layout (color_type/bit_depth as libpng's
 * PNG_COLOR_TYPE_* and 1..16); palette/trans optional; exif optional (eXIf chunk).
 * Free with free(). */
typedef struct {
    int width, height, color_type, bit_depth, interlace;
    const uint8_t *pixels; /* rows of rowbytes each, 16-bit samples big-endian */
    size_t rowbytes;
    const uint8_t (*palette)[3];
    int n_palette;
    const uint8_t *trans; /* alpha per palette entry */
    int n_trans;
    const uint8_t *exif;
    size_t exif_len;
} tu_png_spec;
uint8_t *tu_png(const tu_png_spec *spec, size_t *len);

/* HEIC of img through libheif's HEVC (x265) encoder; orientation (1..8) goes into
 * irot/imir, exif_orientation (0: none) into an EXIF block. Free with free(); NULL if
 * there is no HEVC encoder. */
uint8_t *tu_heic(const fc_image *img, int orientation, int exif_orientation, size_t *len);

/* CRC-32 as PNG uses it (for hand-patched chunks). */
uint32_t tu_crc32(const uint8_t *data, size_t len);

/* Replaces the image in *img with its oriented copy (test shorthand); 0 on success. */
int tu_orient_in_place(fc_image **img, int orientation);

#endif
