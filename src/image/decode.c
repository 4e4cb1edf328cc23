/* decode.c - the image module's entry: sniff the format from the bytes, probe the
 * header, check the limits, dispatch to the format's decoder, apply the EXIF
 * orientation; and read a file (size-checked before reading). */
#include "image/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sniffing order matters only in that no two formats share a signature. */
static const fc_image_codec *const codecs[] = {
    &fc_codec_jpeg, &fc_codec_png, &fc_codec_webp, &fc_codec_heif,
    &fc_codec_gif,  &fc_codec_tiff, &fc_codec_bmp,
};
#define N_CODECS (sizeof codecs / sizeof codecs[0])

static const fc_image_codec *codec_for_bytes(const uint8_t *data, size_t len)
{
    for (size_t i = 0; data && i < N_CODECS; i++)
        if (codecs[i]->sniff(data, len))
            return codecs[i];
    return NULL;
}

fc_image_format fc_image_sniff(const uint8_t *data, size_t len)
{
    const fc_image_codec *c = codec_for_bytes(data, len);
    return c ? c->format : FC_IMAGE_UNKNOWN;
}

const char *fc_image_format_name(fc_image_format f)
{
    for (size_t i = 0; i < N_CODECS; i++)
        if (codecs[i]->format == f)
            return codecs[i]->name;
    return "unknown";
}

/* FC_ERR_FORMAT quoting the first bytes, e.g. for an HTML page named .jpg:
 * not a supported image format (1234 bytes, first bytes 3c 68 74 6d 6c 3e "<html>") */
static fc_status unknown_format(const uint8_t *data, size_t len, fc_error *err)
{
    char hex[3 * 16 + 1] = "", text[16 + 1] = "";
    size_t n = len < 16 ? len : 16;
    for (size_t i = 0; i < n; i++) {
        snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", data[i]);
        text[i] = data[i] >= 0x20 && data[i] < 0x7f && data[i] != '"' ? (char)data[i] : '.';
    }
    text[n] = '\0';
    return fc_error_set(err, FC_ERR_FORMAT,
                        "not a supported image format (%zu bytes, first bytes %s\"%s\")", len,
                        hex, text);
}

/* The checks every entry shares: not empty, not over the byte limit, a known
 * format, whose codec goes to *codec. */
static fc_status check_input(const uint8_t *data, size_t len, const fc_image_limits *limits,
                             const fc_image_codec **codec, fc_error *err)
{
    if (!data || len == 0)
        return fc_error_set(err, FC_ERR_FORMAT, "empty input (0 bytes): not an image");
    if (limits && limits->max_bytes && len > limits->max_bytes)
        return fc_error_set(err, FC_ERR_LIMIT,
                            "image is %zu bytes, over MAX_IMAGE_SIZE_BYTES=%zu", len,
                            limits->max_bytes);
    *codec = codec_for_bytes(data, len);
    return *codec ? FC_OK : unknown_format(data, len, err);
}

static fc_status probe_with(const fc_image_codec *c, const uint8_t *data, size_t len,
                            const fc_image_limits *limits, fc_image_info *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    fc_status rc = c->probe(data, len, out, err);
    if (rc)
        return rc;
    out->format = c->format;
    if (out->orientation < 1 || out->orientation > 8)
        out->orientation = 1;
    int swap = out->orientation >= 5;
    out->display_width = swap ? out->height : out->width;
    out->display_height = swap ? out->width : out->height;
    return fc_image_check_pixels(c->name, out->width, out->height, limits, err);
}

fc_status fc_image_probe(const uint8_t *data, size_t len, const fc_image_limits *limits,
                         fc_image_info *out, fc_error *err)
{
    fc_image_info scratch;
    if (!out)
        out = &scratch;
    memset(out, 0, sizeof *out);
    const fc_image_codec *c;
    fc_status rc = check_input(data, len, limits, &c, err);
    return rc ? rc : probe_with(c, data, len, limits, out, err);
}

fc_image *fc_image_decode(const uint8_t *data, size_t len, const fc_decode_opts *opts,
                          fc_error *err)
{
    fc_decode_opts defaults;
    if (!opts) {
        defaults = fc_decode_opts_default();
        opts = &defaults;
    }
    fc_image_info info = {.orientation = 1};
    const fc_image_codec *c;
    if (check_input(data, len, &opts->limits, &c, err) ||
        (!c->decode_checks && probe_with(c, data, len, &opts->limits, &info, err)))
        return NULL;
    fc_image *img = c->decode(data, len, opts, err);
    if (!img)
        return NULL;
    float scale = img->scale > 0 ? img->scale : 1.0f;
    if (!opts->ignore_orientation && info.orientation != 1) {
        fc_image *turned = fc_image_orient(img, info.orientation, err);
        fc_image_free(img);
        if (!turned)
            return NULL;
        img = turned;
    }
    img->scale = scale;
    /* The full-resolution displayed size: the decoder's own when it decoded at full
     * resolution (HEIF reports the transformed size), else the probe's. */
    if (scale == 1.0f || c->decode_checks) {
        img->full_width = img->width;
        img->full_height = img->height;
    } else if (opts->ignore_orientation) {
        img->full_width = info.width;
        img->full_height = info.height;
    } else {
        img->full_width = info.display_width;
        img->full_height = info.display_height;
    }
    return img;
}

/* Reads all of fd (st_size bytes expected) into a new buffer; NULL + err. */
static uint8_t *read_all(int fd, size_t size, const char *path, fc_error *err)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fc_error_set(err, FC_ERR_NOMEM, "%s: no memory for %zu bytes", path, size);
        return NULL;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fc_error_set(err, FC_ERR_IO, "%s: %s", path,
                         n < 0 ? strerror(errno) : "file shrank while reading");
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

fc_image *fc_image_load(const char *path, const fc_decode_opts *opts, fc_error *err)
{
    fc_decode_opts defaults;
    if (!opts) {
        defaults = fc_decode_opts_default();
        opts = &defaults;
    }
    fc_image *img = NULL;
    uint8_t *buf = NULL;
    struct stat st;
    int fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    if (fd < 0) {
        fc_error_set(err, FC_ERR_IO, "%s: %s", path ? path : "(null)",
                     path ? strerror(errno) : "no path");
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fc_error_set(err, FC_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    if (st.st_size == 0) {
        fc_error_set(err, FC_ERR_FORMAT, "%s: empty file (0 bytes): not an image", path);
        goto out;
    }
    if (opts->limits.max_bytes && (uint64_t)st.st_size > opts->limits.max_bytes) {
        fc_error_set(err, FC_ERR_LIMIT, "%s: file is %" PRIu64 " bytes, over "
                     "MAX_IMAGE_SIZE_BYTES=%zu", path, (uint64_t)st.st_size,
                     opts->limits.max_bytes);
        goto out;
    }
    buf = read_all(fd, size, path, err);
    if (!buf)
        goto out;
    fc_error inner = {0};
    img = fc_image_decode(buf, size, opts, &inner);
    if (!img)
        fc_error_set(err, inner.code, "%s: %s", path, inner.msg);
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return img;
}
