/* png.c - PNG through libpng: every colour type and bit depth becomes 8-bit RGB
 * (palette expanded, grey replicated, 16-bit scaled with rounding, alpha dropped),
 * interlaced or not. The orientation comes from an eXIf chunk before the image data.
 * Rows are read one at a time straight into the image, so no row-pointer array is
 * needed even for very tall images. */
#include "image/codec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    char msg[256];
} png_src;

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int png_sniff(const uint8_t *d, size_t n)
{
    return n >= 8 && memcmp(d, png_signature, 8) == 0;
}

/* IHDR must come first; then any eXIf chunk up to the first IDAT. */
static fc_status png_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    if (n < 8 + 8 + 13 || memcmp(d + 12, "IHDR", 4) != 0 || fc_rd_be32(d + 8) != 13)
        return fc_error_set(err, FC_ERR_FORMAT, "png: %s",
                            n < 33 ? "truncated before the header (IHDR) ends"
                                   : "the first chunk is not a 13-byte IHDR");
    uint32_t w = fc_rd_be32(d + 16), h = fc_rd_be32(d + 20);
    if (w == 0 || h == 0 || w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX)
        return fc_error_set(err, FC_ERR_FORMAT, "png: bad size %ux%u in IHDR", w, h);
    out->width = (int)w;
    out->height = (int)h;
    size_t pos = 8;
    while (n - pos >= 12) {
        size_t chunk = fc_rd_be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (chunk > n - pos - 12 || memcmp(type, "IDAT", 4) == 0)
            break;
        if (memcmp(type, "eXIf", 4) == 0) {
            out->orientation = fc_exif_orientation(d + pos + 8, chunk);
            break;
        }
        pos += 12 + chunk;
    }
    return FC_OK;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *src = png_get_error_ptr(png);
    snprintf(src->msg, sizeof src->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_src *src = png_get_io_ptr(png);
    if (n > src->len - src->pos)
        png_error(png, "truncated file (read past the end)");
    memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

/* Sets the transforms that turn any PNG into 8-bit RGB. */
static void set_rgb8_transforms(png_structp png, png_infop info)
{
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_scale_16(png);
    /* Also for a palette with tRNS, which palette_to_rgb expands to alpha. */
    png_set_strip_alpha(png);
    if (!(color & PNG_COLOR_MASK_COLOR))
        png_set_gray_to_rgb(png);
}

static fc_image *png_decode(const uint8_t *data, size_t len, const fc_decode_opts *opts,
                            fc_error *err)
{
    png_src src = {.data = data, .len = len};
    png_structp png = NULL;
    png_infop info = NULL;
    fc_image *volatile img = NULL;
    volatile int ok = 0;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        fc_error_set(err, FC_ERR_NOMEM, "png: no memory for the decoder");
        goto out;
    }
    if (setjmp(png_jmpbuf(png))) {
        fc_error_set(err, FC_ERR_FORMAT, "png: %s", src.msg);
        goto out;
    }
    /* Our limits decide, not libpng's default of 1,000,000 per side. */
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_read_fn(png, &src, on_read);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (fc_image_check_pixels("png", w, h, &opts->limits, err))
        goto out;
    set_rgb8_transforms(png, info);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != 3 * (size_t)w) {
        fc_error_set(err, FC_ERR_INTERNAL, "png: transforms did not give 8-bit RGB");
        goto out;
    }
    img = fc_image_alloc_checked("png", w, h, &opts->limits, err);
    if (!img)
        goto out;
    /* With interlace handling each pass fills in more pixels of the same rows. */
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < h; y++)
            png_read_row(png, img->rgb + (size_t)y * (size_t)img->stride, NULL);
    ok = 1;
out:
    png_destroy_read_struct(&png, &info, NULL);
    if (!ok) {
        fc_image_free(img);
        return NULL;
    }
    return img;
}

const fc_image_codec fc_codec_png = {
    .format = FC_IMAGE_PNG,
    .name = "png",
    .sniff = png_sniff,
    .probe = png_probe,
    .decode = png_decode,
};
