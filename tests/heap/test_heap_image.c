/* test_heap_image.c - out of memory at every step (sweep.h) in the image decoders
 * (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIF), in applying an EXIF orientation, and in
 * what the face pipeline does with a decoded image: resize, tensorize, the aligned
 * crop. Each run that succeeds must give the pixels of a run without a failure.
 *
 * libtiff and libheif run in a forked child (image/isolate.c), which inherits the
 * armed failure (hook.h): the sweep fails each allocation of the child too, and the
 * parent must report the child's error, or its crash, as a message. */
#include "face/align.h"
#include "face/tensorize.h"
#include "heap/hook.h"
#include "heap/sweep.h"
#include "image/image.h"
#include "image_util.h"
#include "test.h"

#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <webp/encode.h>

enum { W = 48, H = 32 };

typedef struct {
    uint8_t *data;
    size_t len;
    const fc_image *want; /* what a decode without a failure gives */
    int tolerance;        /* largest pixel difference from want allowed */
} decode_job;

static int decode_matches(const void *user, fc_error *err)
{
    const decode_job *j = user;
    fc_decode_opts o = fc_decode_opts_default();
    fc_image *img = fc_image_decode(j->data, j->len, &o, err);
    int diff = img && j->want ? tu_max_diff(img, j->want) : 0;
    if (diff < 0 || diff > j->tolerance)
        fc_heap_wrong("decoded pixels differ from a run without a failure");
    fc_image_free(img);
    return img != NULL;
}

/* Decodes j once to fill j->want, then sweeps the decode. */
static int sweep_decode(const char *what, decode_job *j)
{
    if (!j->data)
        return fc_test_fail(__FILE__, __LINE__, "%s: the test file was not written", what);
    fc_error err = {0};
    fc_decode_opts o = fc_decode_opts_default();
    fc_image *want = fc_image_decode(j->data, j->len, &o, &err);
    if (!want)
        return fc_test_fail(__FILE__, __LINE__, "%s: %s", what, err.msg);
    j->want = want;
    int rc = fc_heap_sweep(what, decode_matches, j);
    fc_image_free(want);
    j->want = NULL;
    return rc;
}

/* ---- JPEG, PNG, WebP (written by the libraries) ------------------------------ */

TEST(heap_image_decode_survives_each_allocation_failing)
{
    fc_image *src = tu_pattern(96, 64, 8);
    CHECK(src);
    decode_job jpeg = {0}, png = {0}, webp = {0};
    jpeg.data = tu_jpeg(src, 90, 0, 0, &jpeg.len);
    tu_png_spec spec = {.width = src->width, .height = src->height, .color_type = 2,
                        .bit_depth = 8, .pixels = src->rgb, .rowbytes = (size_t)src->stride};
    png.data = tu_png(&spec, &png.len);
    webp.len = WebPEncodeRGB(src->rgb, src->width, src->height, src->stride, 80, &webp.data);
    fc_image_free(src);
    int rc = sweep_decode("decoding a JPEG", &jpeg);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a PNG", &png);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a WebP", &webp);
    free(jpeg.data);
    free(png.data);
    WebPFree(webp.data);
    return rc;
}

/* ---- GIF (giflib's writer into memory) -------------------------------------- */

typedef struct {
    uint8_t buf[1 << 14];
    size_t n;
} gif_out;

static int gif_write(GifFileType *g, const GifByteType *data, int n)
{
    gif_out *o = g->UserData;
    if (n < 0 || o->n + (size_t)n > sizeof o->buf)
        return 0;
    memcpy(o->buf + o->n, data, (size_t)n);
    o->n += (size_t)n;
    return n;
}

/* A W x H screen, a frame at (3, 2) of (W-6) x (H-4) with a 16-colour map (local
 * when asked), a graphics control block making index 5 transparent, interlaced
 * when asked, and a second frame that decoding never reads. */
static uint8_t *gif_of(int interlace, int local, size_t *len)
{
    static gif_out o;
    int e = 0, fw = W - 6, fh = H - 4;
    o.n = 0;
    GifFileType *g = EGifOpen(&o, gif_write, &e);
    ColorMapObject *map = GifMakeMapObject(16, NULL);
    int ok = g && map;
    for (int i = 0; ok && i < 16; i++) {
        uint8_t rgb[3];
        tu_block_rgb(i, 3, rgb);
        map->Colors[i] = (GifColorType){rgb[0], rgb[1], rgb[2]};
    }
    static const uint8_t gce[4] = {1, 0, 0, 5};
    ok = ok && EGifPutScreenDesc(g, W, H, 8, 0, local ? NULL : map) == GIF_OK &&
         EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_OK &&
         EGifPutImageDesc(g, 3, 2, fw, fh, interlace, local ? map : NULL) == GIF_OK;
    GifPixelType line[W];
    static const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    for (int pass = 0; ok && pass < (interlace ? 4 : 1); pass++)
        for (int y = interlace ? start[pass] : 0; ok && y < fh; y += interlace ? step[pass] : 1) {
            for (int x = 0; x < fw; x++)
                line[x] = (GifPixelType)((x / 4 + y / 3) % 16);
            ok = EGifPutLine(g, line, fw) == GIF_OK;
        }
    ok = ok && EGifPutImageDesc(g, 0, 0, W, H, 0, map) == GIF_OK;
    memset(line, 7, sizeof line);
    for (int y = 0; ok && y < H; y++)
        ok = EGifPutLine(g, line, W) == GIF_OK;
    if (g && EGifCloseFile(g, &e) != GIF_OK)
        ok = 0;
    GifFreeMapObject(map);
    uint8_t *copy = ok ? malloc(o.n) : NULL;
    if (copy)
        memcpy(copy, o.buf, o.n);
    *len = o.n;
    return copy;
}

TEST(heap_gif_decode_survives_each_allocation_failing)
{
    decode_job plain = {0}, interlaced = {0};
    plain.data = gif_of(0, 0, &plain.len);
    interlaced.data = gif_of(1, 1, &interlaced.len);
    int rc = sweep_decode("decoding a GIF", &plain);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding an interlaced GIF with a local colour map", &interlaced);
    free(plain.data);
    free(interlaced.data);
    return rc;
}

/* ---- BMP (written by hand) -------------------------------------------------- */

static void le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* img as a BITMAPINFOHEADER BMP: 24-bit bottom-up, or 8-bit with a 256-entry
 * palette whose entry i is pixel colour i (indices from the red channel). */
static uint8_t *bmp_of(const fc_image *img, int bpp, size_t *len)
{
    size_t row = ((size_t)img->width * (size_t)bpp + 31) / 32 * 4;
    size_t off = 14 + 40 + (bpp == 8 ? 4 * 256 : 0);
    *len = off + row * (size_t)img->height;
    uint8_t *d = calloc(1, *len);
    if (!d)
        return NULL;
    d[0] = 'B', d[1] = 'M';
    le(d + 2, (uint32_t)*len, 4);
    le(d + 10, (uint32_t)off, 4);
    le(d + 14, 40, 4);
    le(d + 18, (uint32_t)img->width, 4);
    le(d + 22, (uint32_t)img->height, 4);
    le(d + 26, 1, 2);
    le(d + 28, (uint32_t)bpp, 2);
    for (int i = 0; bpp == 8 && i < 256; i++)
        d[54 + 4 * i] = d[54 + 4 * i + 1] = d[54 + 4 * i + 2] = (uint8_t)i;
    for (int y = 0; y < img->height; y++) {
        uint8_t *r = d + off + row * (size_t)(img->height - 1 - y);
        for (int x = 0; x < img->width; x++) {
            const uint8_t *p = tu_px(img, x, y);
            if (bpp == 8)
                r[x] = p[0];
            else
                r[3 * x] = p[2], r[3 * x + 1] = p[1], r[3 * x + 2] = p[0];
        }
    }
    return d;
}

TEST(heap_bmp_decode_survives_each_allocation_failing)
{
    fc_image *src = tu_pattern(W, H, 8);
    CHECK(src);
    decode_job rgb = {0}, pal = {0};
    rgb.data = bmp_of(src, 24, &rgb.len);
    pal.data = bmp_of(src, 8, &pal.len);
    fc_image_free(src);
    int rc = sweep_decode("decoding a 24-bit BMP", &rgb);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding an 8-bit palette BMP", &pal);
    free(rgb.data);
    free(pal.data);
    return rc;
}

/* ---- TIFF (libtiff's writer, through a file) -------------------------------- */

/* img as an RGB TIFF: strips of 4 rows or 16x16 tiles, compressed, with an
 * Orientation tag when orientation > 0. */
static uint8_t *tiff_of(const fc_image *img, int compression, int tile, int orientation,
                        size_t *len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/heap_%d_%d_%d.tif", fc_test_tmpdir(), compression, tile,
             orientation);
    TIFF *t = TIFFOpen(path, "w");
    if (!t)
        return NULL;
    int w = img->width, h = img->height, ok = 1;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
    if (orientation)
        TIFFSetField(t, TIFFTAG_ORIENTATION, orientation);
    if (tile) {
        uint8_t buf[16 * 16 * 3];
        TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
        TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
        for (int ty = 0; ok && ty < h; ty += 16)
            for (int tx = 0; ok && tx < w; tx += 16) {
                memset(buf, 0, sizeof buf);
                for (int y = 0; y < 16 && ty + y < h; y++)
                    memcpy(buf + 48 * y, tu_px(img, tx, ty + y),
                           3 * (size_t)(tx + 16 <= w ? 16 : w - tx));
                ok = TIFFWriteTile(t, buf, (uint32_t)tx, (uint32_t)ty, 0, 0) >= 0;
            }
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
        for (int y = 0; ok && y < h; y++)
            ok = TIFFWriteScanline(t, tu_px(img, 0, y), (uint32_t)y, 0) == 1;
    }
    TIFFClose(t);
    return ok ? tu_read_file(path, len) : NULL;
}

/* LZW and Deflate reach the allocation in _TIFFMergeFields (their predictor's fields)
 * whose failure libtiff 4.5 follows by reading through NULL: the child dies, and the
 * decode must still fail with a message. */
TEST(heap_tiff_decode_survives_each_allocation_failing)
{
    fc_image *src = tu_noise(W, H, 5);
    CHECK(src);
    decode_job strips = {0}, tiles = {0}, lzw = {0}, deflate = {0};
    strips.data = tiff_of(src, COMPRESSION_NONE, 0, 0, &strips.len);
    tiles.data = tiff_of(src, COMPRESSION_PACKBITS, 1, 0, &tiles.len);
    lzw.data = tiff_of(src, COMPRESSION_LZW, 0, 0, &lzw.len);
    deflate.data = tiff_of(src, COMPRESSION_ADOBE_DEFLATE, 1, 0, &deflate.len);
    fc_image_free(src);
    int rc = sweep_decode("decoding an uncompressed TIFF in strips", &strips);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a PackBits TIFF in tiles", &tiles);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding an LZW TIFF in strips", &lzw);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a Deflate TIFF in tiles", &deflate);
    free(strips.data);
    free(tiles.data);
    free(lzw.data);
    free(deflate.data);
    return rc;
}

/* ---- HEIF (libheif's HEVC encoder) ------------------------------------------ */

/* libheif is C++: a failed allocation is std::bad_alloc, which its C API lets through
 * and which aborts the process it reaches. Probe and decode both run in the child.
 * When the copy its SAO filter needs cannot be allocated, libde265 skips that filter
 * and only warns (DE265_WARNING_CANNOT_APPLY_SAO_OUT_OF_MEMORY), a warning libheif
 * 1.15 drops: the pixels then differ by the filter's small offsets (1 here). */
TEST(heap_heif_decode_survives_each_allocation_failing)
{
    if (!fc_heap_hooked())
        SKIP("malloc is not hooked in this build (AddressSanitizer owns the heap)");
    fc_image *src = tu_pattern(W, H, 8);
    CHECK(src);
    decode_job plain = {.tolerance = 8}, turned = {.tolerance = 8};
    plain.data = tu_heic(src, 1, 0, &plain.len);
    turned.data = plain.data ? tu_heic(src, 6, 6, &turned.len) : NULL;
    fc_image_free(src);
    if (!plain.data)
        SKIP("libheif has no HEVC encoder here");
    int rc = sweep_decode("decoding a HEIC", &plain);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a HEIC turned by irot and EXIF", &turned);
    free(plain.data);
    free(turned.data);
    return rc;
}

/* ---- orientation: EXIF in a JPEG, the TIFF tag ------------------------------- */

TEST(heap_oriented_decode_survives_each_allocation_failing)
{
    fc_image *src = tu_pattern(W, H, 8);
    CHECK(src);
    size_t jlen = 0;
    uint8_t *jpeg = tu_jpeg(src, 90, 0, 0, &jlen);
    decode_job exif = {0}, tag = {0};
    exif.data = jpeg ? tu_jpeg_with_orientation(jpeg, jlen, 6, 0, &exif.len) : NULL;
    tag.data = tiff_of(src, COMPRESSION_PACKBITS, 0, 8, &tag.len);
    free(jpeg);
    fc_image_free(src);
    int rc = sweep_decode("decoding a JPEG with EXIF orientation 6", &exif);
    if (rc == FC_TEST_PASS)
        rc = sweep_decode("decoding a TIFF with Orientation 8", &tag);
    free(exif.data);
    free(tag.data);
    return rc;
}

/* ---- resize, tensorize, the aligned crop ------------------------------------ */

typedef struct {
    const fc_image *src;
    fc_image *dst;
    const fc_image *want;
} resize_job;

/* fc_image_resize reports nothing: without its scratch memory it fills dst black. */
static int resize_as_promised(const void *user, fc_error *err)
{
    (void)err;
    const resize_job *j = user;
    memset(j->dst->rgb, 0x55, (size_t)j->dst->stride * (size_t)j->dst->height);
    fc_image_resize(j->src, j->dst);
    int black = 1;
    for (int y = 0; y < j->dst->height; y++)
        for (int x = 0; x < 3 * j->dst->width; x++)
            black &= tu_px(j->dst, 0, y)[x] == 0;
    if (fc_heap_failure_happened() ? !black : tu_max_diff(j->dst, j->want) != 0)
        fc_heap_wrong("the resized image is neither right nor black");
    return 1;
}

TEST(heap_resize_survives_each_allocation_failing)
{
    fc_error err = {0};
    fc_image *src = tu_pattern(96, 64, 8);
    fc_image *small = fc_image_new(40, 27, &err), *want_small = fc_image_new(40, 27, &err);
    fc_image *big = fc_image_new(130, 90, &err), *want_big = fc_image_new(130, 90, &err);
    int rc = src && small && want_small && big && want_big ? FC_TEST_PASS : FC_TEST_FAIL;
    if (rc == FC_TEST_PASS) {
        fc_image_resize(src, want_small);
        fc_image_resize(src, want_big);
        resize_job shrink = {src, small, want_small}, enlarge = {src, big, want_big};
        rc = fc_heap_sweep("shrinking 96x64 to 40x27", resize_as_promised, &shrink);
        if (rc == FC_TEST_PASS)
            rc = fc_heap_sweep("enlarging 96x64 to 130x90", resize_as_promised, &enlarge);
    }
    fc_image_free(src);
    fc_image_free(small);
    fc_image_free(want_small);
    fc_image_free(big);
    fc_image_free(want_big);
    return rc;
}

enum { TW = 40, TH = 30 };

typedef struct {
    const fc_image *src;
    float *out;
    const float *want;
} tensor_job;

/* A detector's input: a letterboxed shrink to TW x TH, normalised, planar BGR. */
static int tensorize(const void *user, fc_error *err)
{
    const tensor_job *j = user;
    fc_place pl = {0.4f, 0.4f, 0.8f, 2.2f};
    fc_pixel_norm norm = {.bgr = 1, .mean = 127.5f, .scale = 1 / 128.0f};
    fc_status rc = fc_face_tensorize(j->src, &pl, TW, TH, &norm, j->out, err);
    if (!rc && j->want && memcmp(j->out, j->want, sizeof(float) * 3 * TW * TH) != 0)
        fc_heap_wrong("the tensor differs from a run without a failure");
    return rc == FC_OK;
}

TEST(heap_tensorize_survives_each_allocation_failing)
{
    fc_image *src = tu_pattern(96, 64, 8);
    float *want = malloc(sizeof(float) * 3 * TW * TH), *out = malloc(sizeof(float) * 3 * TW * TH);
    fc_error err = {0};
    tensor_job first = {src, want, NULL};
    int rc = src && want && out ? FC_TEST_PASS : FC_TEST_FAIL;
    if (rc == FC_TEST_PASS && !tensorize(&first, &err))
        rc = fc_test_fail(__FILE__, __LINE__, "tensorize: %s", err.msg);
    tensor_job j = {src, out, want};
    if (rc == FC_TEST_PASS)
        rc = fc_heap_sweep("tensorizing 96x64 into 40x30", tensorize, &j);
    free(want);
    free(out);
    fc_image_free(src);
    return rc;
}

typedef struct {
    const fc_image *src;
    const float *m;
    const fc_image *want;
} crop_job;

/* As the pipeline makes an aligned face: a new crop, warped into (the warp itself
 * allocates nothing). */
static int aligned_crop(const void *user, fc_error *err)
{
    const crop_job *j = user;
    fc_image *crop = fc_image_new(112, 112, err);
    if (crop) {
        fc_image_warp_affine(j->src, j->m, crop);
        if (j->want && tu_max_diff(crop, j->want) != 0)
            fc_heap_wrong("the crop differs from a run without a failure");
    }
    fc_image_free(crop);
    return crop != NULL;
}

TEST(heap_aligned_crop_survives_each_allocation_failing)
{
    fc_image *src = tu_pattern(160, 120, 8);
    CHECK(src);
    fc_point lm[5];
    fc_face_template(60, lm);
    for (int i = 0; i < 5; i++)
        lm[i].x += 50, lm[i].y += 30;
    float m[6];
    fc_error err = {0};
    fc_image *want = fc_image_new(112, 112, &err);
    int rc = want && !fc_face_align_matrix(lm, 112, 1.0f, m, &err) ? FC_TEST_PASS : FC_TEST_FAIL;
    if (rc == FC_TEST_PASS) {
        fc_image_warp_affine(src, m, want);
        crop_job j = {src, m, want};
        rc = fc_heap_sweep("an aligned 112x112 face crop", aligned_crop, &j);
    }
    fc_image_free(want);
    fc_image_free(src);
    return rc;
}
