/* webp.c - WebP through libwebp: lossy, lossless, with alpha (dropped), and the first
 * frame of an animation composed on its canvas (libwebpdemux). The orientation comes
 * from an EXIF chunk when the extended header says there is one. */
#include "image/codec.h"

#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#define VP8X_FLAG_EXIF 0x08

static int webp_sniff(const uint8_t *d, size_t n)
{
    return n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0;
}

static const char *status_text(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "decoding suspended";
    case VP8_STATUS_USER_ABORT: return "decoding aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated file (not enough data)";
    default: return "unknown error";
    }
}

static fc_status status_error(VP8StatusCode s, fc_error *err)
{
    fc_status code = s == VP8_STATUS_OUT_OF_MEMORY       ? FC_ERR_NOMEM
                     : s == VP8_STATUS_UNSUPPORTED_FEATURE ? FC_ERR_UNSUPPORTED
                                                         : FC_ERR_FORMAT;
    return fc_error_set(err, code, "webp: %s", status_text(s));
}

static int exif_orientation(const uint8_t *d, size_t n)
{
    if (n < 30 || memcmp(d + 12, "VP8X", 4) != 0 || !(d[20] & VP8X_FLAG_EXIF))
        return 1;
    WebPData whole = {d, n};
    WebPDemuxer *demux = WebPDemux(&whole);
    WebPChunkIterator it;
    int orientation = 1;
    if (demux && WebPDemuxGetChunk(demux, "EXIF", 1, &it)) {
        orientation = fc_exif_orientation(it.chunk.bytes, it.chunk.size);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(demux);
    return orientation;
}

static fc_status webp_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    WebPBitstreamFeatures f;
    VP8StatusCode s = WebPGetFeatures(d, n, &f);
    if (s != VP8_STATUS_OK)
        return status_error(s, err);
    out->width = f.width;
    out->height = f.height;
    out->orientation = exif_orientation(d, n);
    return FC_OK;
}

/* RGBA rows (tight) to the image's RGB rows. */
static void rgba_to_rgb(const uint8_t *rgba, fc_image *img)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *q = img->rgb + (size_t)y * (size_t)img->stride;
        const uint8_t *p = rgba + (size_t)y * 4 * (size_t)img->width;
        for (int x = 0; x < img->width; x++, p += 4, q += 3) {
            q[0] = p[0];
            q[1] = p[1];
            q[2] = p[2];
        }
    }
}

/* The first frame of an animation, on the canvas. */
static fc_image *decode_first_frame(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                                    fc_error *err)
{
    WebPAnimDecoderOptions o;
    WebPAnimInfo info;
    fc_image *img = NULL;
    uint8_t *frame;
    int timestamp;
    if (!WebPAnimDecoderOptionsInit(&o)) {
        fc_error_set(err, FC_ERR_INTERNAL, "webp: libwebpdemux version mismatch");
        return NULL;
    }
    o.color_mode = MODE_RGBA;
    o.use_threads = 0;
    WebPData whole = {d, n};
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&whole, &o);
    if (!dec || !WebPAnimDecoderGetInfo(dec, &info)) {
        fc_error_set(err, FC_ERR_FORMAT, "webp: animation cannot be parsed (truncated or corrupt)");
        goto out;
    }
    img = fc_image_alloc_checked("webp", info.canvas_width, info.canvas_height, &opts->limits,
                                 err);
    if (!img)
        goto out;
    if (!WebPAnimDecoderGetNext(dec, &frame, &timestamp)) {
        fc_error_set(err, FC_ERR_FORMAT, "webp: the first frame cannot be decoded");
        fc_image_free(img);
        img = NULL;
        goto out;
    }
    rgba_to_rgb(frame, img);
out:
    WebPAnimDecoderDelete(dec);
    return img;
}

static fc_image *webp_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                             fc_error *err)
{
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg)) {
        fc_error_set(err, FC_ERR_INTERNAL, "webp: libwebp version mismatch");
        return NULL;
    }
    VP8StatusCode s = WebPGetFeatures(d, n, &cfg.input);
    if (s != VP8_STATUS_OK) {
        status_error(s, err);
        return NULL;
    }
    /* The animation decoder allocates its canvas at once: check the size first. */
    if (fc_image_check_pixels("webp", cfg.input.width, cfg.input.height, &opts->limits, err))
        return NULL;
    if (cfg.input.has_animation)
        return decode_first_frame(d, n, opts, err);
    fc_image *img = fc_image_alloc_checked("webp", cfg.input.width, cfg.input.height,
                                           &opts->limits, err);
    if (!img)
        return NULL;
    cfg.output.colorspace = MODE_RGB;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = img->rgb;
    cfg.output.u.RGBA.stride = img->stride;
    cfg.output.u.RGBA.size = (size_t)img->stride * (size_t)img->height;
    s = WebPDecode(d, n, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (s != VP8_STATUS_OK) {
        fc_image_free(img);
        status_error(s, err);
        return NULL;
    }
    return img;
}

const fc_image_codec fc_codec_webp = {
    .format = FC_IMAGE_WEBP,
    .name = "webp",
    .sniff = webp_sniff,
    .probe = webp_probe,
    .decode = webp_decode,
};
