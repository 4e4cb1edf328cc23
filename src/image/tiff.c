/* tiff.c - TIFF through libtiff in a child process (isolate.c), read from memory
 * (TIFFClientOpenExt): the first page, any layout libtiff's RGBA interface handles
 * (strips or tiles, palette, grey, RGB, CMYK, YCbCr, 1..16 bits,
 * LZW/Deflate/JPEG/PackBits/...). The probe reads the first directory without
 * libtiff. Rows come back in stored order and the Orientation tag, which has the EXIF
 * meaning, is applied by decode.c like EXIF. With alpha, libtiff's RGBA interface premultiplies, so
 * transparent areas come out black. Error messages are caught per file (no global
 * handler), and libtiff's own allocations are capped from the pixel limit. */
#include "image/codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

typedef struct {
    const uint8_t *data;
    size_t len;
    uint64_t pos;
    char msg[256]; /* libtiff's first error */
} tiff_src;

static int tiff_sniff(const uint8_t *d, size_t n)
{
    return n >= 4 && ((d[0] == 'I' && d[1] == 'I' && (d[2] == 42 || d[2] == 43) && d[3] == 0) ||
                      (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && (d[3] == 42 || d[3] == 43)));
}

static tmsize_t t_read(thandle_t h, void *buf, tmsize_t n)
{
    tiff_src *s = (tiff_src *)h;
    if (n <= 0 || s->pos >= s->len)
        return 0;
    size_t avail = s->len - (size_t)s->pos;
    size_t k = (uint64_t)n < avail ? (size_t)n : avail;
    memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return (tmsize_t)k;
}

static tmsize_t t_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h, (void)buf, (void)n;
    return -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
    tiff_src *s = (tiff_src *)h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->len;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return (toff_t)-1;
    if (off > UINT64_MAX / 2 - base) /* also catches a "negative" toff_t */
        return (toff_t)-1;
    s->pos = base + off;
    return s->pos;
}

static int t_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t t_size(thandle_t h) { return ((tiff_src *)h)->len; }

/* The bytes are already in memory: libtiff reads them in place, as it does a file it
 * maps (read-only there, so it never writes to them). Reading through t_read instead,
 * libtiff 4.5 refuses an uncompressed tile whose size is not a multiple of its
 * 1024-byte read buffer ("Invalid tile byte count"). */
static int t_map(thandle_t h, void **base, toff_t *size)
{
    tiff_src *s = (tiff_src *)h;
    *base = (void *)s->data;
    *size = s->len;
    return 1;
}

static void t_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    tiff_src *s = user;
    if (module && tif && strcmp(module, TIFFFileName(tif)) == 0)
        module = NULL; /* our made-up file name says nothing */
    if (!s->msg[0]) {
        char text[200];
        vsnprintf(text, sizeof text, fmt, ap);
        snprintf(s->msg, sizeof s->msg, "%s%s%s", module ? module : "", module ? ": " : "",
                 text);
    }
    return 1; /* handled: no global handler, nothing on stderr */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

/* Opens the first directory; NULL + err. max_alloc caps libtiff's allocations. */
static TIFF *open_mem(tiff_src *src, tmsize_t max_alloc, fc_error *err)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o) {
        fc_error_set(err, FC_ERR_NOMEM, "tiff: no memory for options");
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, src);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, src);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, max_alloc);
    TIFF *t = TIFFClientOpenExt("memory", "r", (thandle_t)src, t_read, t_write, t_seek,
                                t_close, t_size, t_map, t_unmap, o);
    TIFFOpenOptionsFree(o);
    if (!t)
        fc_error_set(err, FC_ERR_FORMAT, "tiff: %s", src->msg[0] ? src->msg : "cannot open");
    return t;
}

/* The size and orientation from the first directory, read here without libtiff
 * (whose crashes are kept in the decoding child); libtiff checks the rest. */
static fc_status tiff_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    uint64_t w = 0, h = 0, orientation = ORIENTATION_TOPLEFT;
    int found = fc_tiff_tag(d, n, TIFFTAG_IMAGEWIDTH, &w);
    if (found < 0)
        return fc_error_set(err, FC_ERR_FORMAT,
                            "tiff: truncated or corrupt: the first directory is not within the "
                            "%zu bytes", n);
    if (!found || fc_tiff_tag(d, n, TIFFTAG_IMAGELENGTH, &h) != 1)
        return fc_error_set(err, FC_ERR_FORMAT,
                            "tiff: no image width and height in the first directory");
    fc_tiff_tag(d, n, TIFFTAG_ORIENTATION, &orientation);
    if (w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX)
        return fc_error_set(err, FC_ERR_FORMAT, "tiff: bad image size %llux%llu",
                            (unsigned long long)w, (unsigned long long)h);
    out->width = (int)w;
    out->height = (int)h;
    out->orientation = orientation <= 8 ? (int)orientation : 1;
    return FC_OK;
}

/* libtiff's single-allocation cap: a full 16-bit RGBA strip of the largest image
 * allowed, with room for tables; no cap without a pixel limit. */
static tmsize_t alloc_cap(const fc_image_limits *limits)
{
    if (!limits->max_pixels || limits->max_pixels > ((uint64_t)1 << 58))
        return 0;
    return (tmsize_t)(limits->max_pixels * 8 + ((uint64_t)16 << 20));
}

/* Rows decoded per TIFFRGBAImageGet into the 4-byte RGBA raster: whole strips or
 * tiles (a chunk that cut one would decode it twice), at least 64 rows, so that the
 * raster is a band of the image, not a second copy of it. */
static uint32_t chunk_rows(TIFF *t, uint32_t height)
{
    uint32_t unit = 0;
    if (TIFFIsTiled(t))
        TIFFGetField(t, TIFFTAG_TILELENGTH, &unit);
    else
        TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &unit);
    if (unit == 0 || unit >= height)
        return height;
    uint32_t rows = (64 + unit - 1) / unit * unit;
    return rows < height ? rows : height;
}

/* Runs in the decoding child (tiff_decode_isolated). */
static fc_image *tiff_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                             fc_error *err)
{
    tiff_src src = {.data = d, .len = n};
    TIFFRGBAImage ri;
    int began = 0, ok = 0;
    uint32_t *raster = NULL;
    fc_image *img = NULL;
    char emsg[1024] = "";
    TIFF *t = open_mem(&src, alloc_cap(&opts->limits), err);
    if (!t)
        return NULL;
    if (!TIFFRGBAImageOK(t, emsg)) {
        fc_error_set(err, FC_ERR_UNSUPPORTED, "tiff: %s", emsg);
        goto out;
    }
    if (!TIFFRGBAImageBegin(&ri, t, 1, emsg)) {
        fc_error_set(err, FC_ERR_FORMAT, "tiff: %s", emsg);
        goto out;
    }
    began = 1;
    img = fc_image_alloc_checked("tiff", ri.width, ri.height, &opts->limits, err);
    if (!img)
        goto out;
    uint32_t rows = chunk_rows(t, ri.height);
    raster = malloc((size_t)ri.width * rows * sizeof *raster);
    if (!raster) {
        fc_error_set(err, FC_ERR_NOMEM, "tiff: no memory for %ux%u pixels", ri.width, rows);
        goto out;
    }
    ri.req_orientation = ri.orientation; /* stored row order; decode.c orients */
    for (uint32_t y0 = 0; y0 < ri.height; y0 += rows) {
        uint32_t h = ri.height - y0 < rows ? ri.height - y0 : rows;
        ri.row_offset = (int)y0;
        if (!TIFFRGBAImageGet(&ri, raster, ri.width, h)) {
            fc_error_set(err, FC_ERR_FORMAT, "tiff: %s",
                         src.msg[0] ? src.msg : "cannot decode the pixels (truncated or corrupt)");
            goto out;
        }
        for (uint32_t y = 0; y < h; y++) {
            const uint32_t *p = raster + (size_t)y * ri.width;
            uint8_t *q = img->rgb + (size_t)(y0 + y) * (size_t)img->stride;
            for (uint32_t x = 0; x < ri.width; x++, q += 3) {
                q[0] = (uint8_t)TIFFGetR(p[x]);
                q[1] = (uint8_t)TIFFGetG(p[x]);
                q[2] = (uint8_t)TIFFGetB(p[x]);
            }
        }
    }
    ok = 1;
out:
    free(raster);
    if (began)
        TIFFRGBAImageEnd(&ri);
    TIFFClose(t);
    if (!ok) {
        fc_image_free(img);
        return NULL;
    }
    return img;
}

/* libtiff 4.5 reads through NULL when one of its allocations fails in _TIFFMergeFields
 * (which LZW, Deflate and any unknown tag reach), and has had memory-safety bugs on
 * hostile files: it runs only in a child process (isolate.c). */
static fc_image *tiff_decode_isolated(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                                      fc_error *err)
{
    return fc_decode_isolated(&fc_codec_tiff, tiff_decode, d, n, opts, err);
}

const fc_image_codec fc_codec_tiff = {
    .format = FC_IMAGE_TIFF,
    .name = "tiff",
    .sniff = tiff_sniff,
    .probe = tiff_probe,
    .decode = tiff_decode_isolated,
};
