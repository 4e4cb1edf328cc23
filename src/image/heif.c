/* heif.c - HEIC/HEIF (and AVIF, when libheif has an AV1 decoder) through libheif: the
 * primary image, decoded to interleaved 8-bit RGB, alpha dropped.
 *
 * Orientation: a HEIF file carries its rotation and mirroring in the container
 * (irot/imir boxes), and libheif applies them while decoding. The EXIF orientation
 * that phones also store describes the same rotation, so it is never applied again:
 * probe reports the displayed size with orientation 1. With opts->ignore_orientation
 * libheif skips its transformations too (and the crop, clap) and the stored pixels
 * come back. */
#include "image/codec.h"

#include <pthread.h>
#include <string.h>

#include <libheif/heif.h>

static pthread_once_t heif_once = PTHREAD_ONCE_INIT;

static void heif_start(void) { heif_init(NULL); }

/* ftyp brands libheif can read. */
static int heif_brand(const uint8_t *b)
{
    static const char brands[][4] = {"heic", "heix", "heim", "heis", "hevc", "hevx",
                                     "hevm", "hevs", "mif1", "msf1", "avif", "avis"};
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (memcmp(b, brands[i], 4) == 0)
            return 1;
    return 0;
}

/* An ftyp box whose major or one of whose compatible brands is a HEIF one. */
static int heif_sniff(const uint8_t *d, size_t n)
{
    if (n < 12 || memcmp(d + 4, "ftyp", 4) != 0)
        return 0;
    if (heif_brand(d + 8))
        return 1;
    size_t box = fc_rd_be32(d);
    if (box > n)
        box = n;
    for (size_t at = 16; at + 4 <= box; at += 4)
        if (heif_brand(d + at))
            return 1;
    return 0;
}

static fc_status heif_fail(struct heif_error e, const char *doing, fc_error *err)
{
    fc_status code = e.code == heif_error_Memory_allocation_error ? FC_ERR_NOMEM
                     : e.code == heif_error_Unsupported_filetype ||
                             e.code == heif_error_Unsupported_feature
                         ? FC_ERR_UNSUPPORTED
                         : FC_ERR_FORMAT;
    /* libheif ends some messages with a newline: keep the reason one line */
    const char *msg = e.message ? e.message : "error";
    size_t n = strlen(msg);
    while (n > 0 && (unsigned char)msg[n - 1] <= ' ')
        n--;
    return fc_error_set(err, code, "heif: %s: %.*s", doing, (int)n, msg);
}

/* Parses the container and finds the primary image; *ctx must be freed. */
static fc_status open_primary(const uint8_t *d, size_t n, struct heif_context **ctx,
                              struct heif_image_handle **handle, fc_error *err)
{
    pthread_once(&heif_once, heif_start);
    *handle = NULL;
    *ctx = NULL;
    fc_status rc = fc_heif_check_refs(d, n, err);
    if (rc)
        return rc;
    *ctx = heif_context_alloc();
    if (!*ctx)
        return fc_error_set(err, FC_ERR_NOMEM, "heif: no memory for a context");
    heif_context_set_max_decoding_threads(*ctx, 0); /* callers parallelise over images */
    struct heif_error e = heif_context_read_from_memory_without_copy(*ctx, d, n, NULL);
    if (e.code != heif_error_Ok)
        return heif_fail(e, "reading the container", err);
    e = heif_context_get_primary_image_handle(*ctx, handle);
    if (e.code != heif_error_Ok)
        return heif_fail(e, "finding the primary image", err);
    return FC_OK;
}

static fc_status heif_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    struct heif_context *ctx;
    struct heif_image_handle *handle;
    fc_status rc = open_primary(d, n, &ctx, &handle, err);
    if (rc == FC_OK) {
        out->width = heif_image_handle_get_width(handle);
        out->height = heif_image_handle_get_height(handle);
        out->orientation = 1;
    }
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return rc;
}

static fc_image *heif_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                             fc_error *err)
{
    struct heif_context *ctx;
    struct heif_image_handle *handle;
    struct heif_decoding_options *dopts = NULL;
    struct heif_image *decoded = NULL;
    fc_image *img = NULL;
    if (open_primary(d, n, &ctx, &handle, err))
        goto out;
    /* Both the displayed and the coded (ispe) size are decoded: check both. */
    if (fc_image_check_pixels("heif", heif_image_handle_get_width(handle),
                              heif_image_handle_get_height(handle), &opts->limits, err) ||
        fc_image_check_pixels("heif", heif_image_handle_get_ispe_width(handle),
                              heif_image_handle_get_ispe_height(handle), &opts->limits, err))
        goto out;
    dopts = heif_decoding_options_alloc();
    if (!dopts) {
        fc_error_set(err, FC_ERR_NOMEM, "heif: no memory for decoding options");
        goto out;
    }
    dopts->ignore_transformations = opts->ignore_orientation ? 1 : 0;
    dopts->convert_hdr_to_8bit = 1;
    struct heif_error e = heif_decode_image(handle, &decoded, heif_colorspace_RGB,
                                            heif_chroma_interleaved_RGB, dopts);
    if (e.code != heif_error_Ok) {
        heif_fail(e, "decoding the primary image", err);
        goto out;
    }
    int w = heif_image_get_width(decoded, heif_channel_interleaved);
    int h = heif_image_get_height(decoded, heif_channel_interleaved);
    int src_stride = 0;
    const uint8_t *src = heif_image_get_plane_readonly(decoded, heif_channel_interleaved,
                                                       &src_stride);
    if (!src || heif_image_get_bits_per_pixel_range(decoded, heif_channel_interleaved) != 8 ||
        src_stride < 3 * w) {
        fc_error_set(err, FC_ERR_UNSUPPORTED, "heif: decoder gave no 8-bit RGB plane");
        goto out;
    }
    img = fc_image_alloc_checked("heif", w, h, &opts->limits, err);
    if (!img)
        goto out;
    for (int y = 0; y < h; y++)
        memcpy(img->rgb + (size_t)y * (size_t)img->stride, src + (size_t)y * (size_t)src_stride,
               3 * (size_t)w);
out:
    heif_image_release(decoded);
    heif_decoding_options_free(dopts);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return img;
}

/* libheif runs only in a child process (isolate.c): it crashes on some hostile files
 * and aborts when an allocation fails. */
static fc_status heif_probe_isolated(const uint8_t *d, size_t n, fc_image_info *out,
                                     fc_error *err)
{
    return fc_probe_isolated(&fc_codec_heif, heif_probe, d, n, out, err);
}

static fc_image *heif_decode_isolated(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                                      fc_error *err)
{
    return fc_decode_isolated(&fc_codec_heif, heif_decode, d, n, opts, err);
}

const fc_image_codec fc_codec_heif = {
    .format = FC_IMAGE_HEIF,
    .name = "heif",
    .sniff = heif_sniff,
    .probe = heif_probe_isolated,
    .decode = heif_decode_isolated,
    .decode_checks = 1, /* heif_decode checks both sizes; libheif applies the irot/imir */
};
