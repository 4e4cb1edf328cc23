/* test_image_tiff.c - TIFF written with libtiff: RGB 8/16-bit, grey, palette, RGBA,
 * CMYK, tiles, the Orientation tag, the first of two pages, limits, truncation. */
#include "test.h"

#include "core/alloc.h"
#include "image/image.h"
#include "image_util.h"

#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

typedef struct {
    int spp, bps, photometric, compression, orientation, tile, alpha, pages;
    const uint16_t *cmap; /* 3 * (1 << bps) entries for a palette */
    const char *mode;     /* TIFFOpen's: "w" when NULL, "w8" BigTIFF, "wb" big-endian */
} tiff_spec;

/* Writes w x h samples (rows of w * spp samples, 8 or 16 bits) to a TIFF file and
 * returns its bytes. Page 2 (if any) holds the samples inverted. */
static uint8_t *tiff_of(const tiff_spec *s, int w, int h, const uint8_t *px, size_t *len)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "t%d.tif", serial++);
    char path[600];
    snprintf(path, sizeof path, "%s/%s", fc_test_tmpdir(), name);
    TIFF *t = TIFFOpen(path, s->mode ? s->mode : "w");
    if (!t)
        return NULL;
    size_t row = (size_t)w * s->spp * s->bps / 8;
    uint8_t *inv = malloc(row * h);
    for (size_t i = 0; inv && i < row * h; i++)
        inv[i] = (uint8_t)~px[i];
    for (int page = 0; page < (s->pages ? s->pages : 1); page++) {
        const uint8_t *src = page ? inv : px;
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression ? s->compression : COMPRESSION_NONE);
        if (s->orientation)
            TIFFSetField(t, TIFFTAG_ORIENTATION, s->orientation);
        if (s->alpha) {
            uint16_t extra = EXTRASAMPLE_UNASSALPHA;
            TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
        }
        if (s->photometric == PHOTOMETRIC_SEPARATED)
            TIFFSetField(t, TIFFTAG_INKSET, INKSET_CMYK);
        if (s->cmap) {
            int n = 1 << s->bps;
            TIFFSetField(t, TIFFTAG_COLORMAP, s->cmap, s->cmap + n, s->cmap + 2 * n);
        }
        if (s->tile) {
            TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
            TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
            size_t tile_row = (size_t)s->tile * s->spp * s->bps / 8;
            uint8_t *buf = malloc(tile_row * s->tile);
            for (int ty = 0; buf && ty < h; ty += s->tile)
                for (int tx = 0; tx < w; tx += s->tile) {
                    memset(buf, 0, tile_row * s->tile);
                    for (int y = 0; y < s->tile && ty + y < h; y++) {
                        size_t n = (size_t)(tx + s->tile <= w ? s->tile : w - tx) * s->spp *
                                   s->bps / 8;
                        memcpy(buf + tile_row * y,
                               src + row * (ty + y) + (size_t)tx * s->spp * s->bps / 8, n);
                    }
                    TIFFWriteTile(t, buf, (uint32_t)tx, (uint32_t)ty, 0, 0);
                }
            free(buf);
        } else {
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
            for (int y = 0; y < h; y++)
                TIFFWriteScanline(t, (void *)(src + row * y), (uint32_t)y, 0);
        }
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
    free(inv);
    return tu_read_file(path, len);
}

static fc_image *decode(const uint8_t *data, size_t len, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(data, len, &d, err);
}

TEST(image_tiff_rgb_tiles_pages_and_orientation)
{
    enum { W = 40, H = 28 };
    fc_image *pat = tu_noise(W, H, 17);
    static const tiff_spec specs[] = {
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 0, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, 0, 0, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_ADOBE_DEFLATE, 0, 16, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_PACKBITS, 0, 0, 0, 2, NULL, NULL},
        /* 768-byte tiles: libtiff 4.5 refused uncompressed tiles whose size is not a
         * multiple of its 1024-byte read buffer, unless the file is mapped */
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 16, 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t len;
        uint8_t *tif = tiff_of(&specs[i], W, H, pat->rgb, &len);
        CHECK(tif);
        fc_error err = {0};
        fc_image *img = decode(tif, len, &err);
        CHECK_MSG(img, "spec %zu: %s", i, err.msg);
        CHECK_MSG(tu_max_diff(img, pat) == 0, "spec %zu", i);
        fc_image_free(img);
        free(tif);
    }
    for (int o = 1; o <= 8; o++) {
        tiff_spec s = {3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, o, o % 2 ? 16 : 0, 0, 0, NULL, NULL};
        size_t len;
        uint8_t *tif = tiff_of(&s, W, H, pat->rgb, &len);
        fc_image_info info;
        fc_error err = {0};
        CHECK_OK(fc_image_probe(tif, len, NULL, &info, &err), &err);
        CHECK(info.format == FC_IMAGE_TIFF && info.orientation == o && info.width == W);
        fc_image *img = decode(tif, len, &err);
        CHECK_MSG(img, "orientation %d: %s", o, err.msg);
        fc_image *want = fc_image_orient(pat, o, &err);
        CHECK_MSG(tu_max_diff(img, want) == 0, "orientation %d", o);
        fc_image_free(want);
        fc_image_free(img);
        free(tif);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* Taller than the 64-row bands the decoder reads at a time: strips of 4 rows and
 * 16x16 tiles, cut mid-image, each pixel where it belongs, turned by the tag. */
TEST(image_tiff_tall_image_in_bands)
{
    enum { W = 50, H = 150 };
    fc_image *pat = tu_noise(W, H, 31);
    static const tiff_spec specs[] = {
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 0, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, 6, 0, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_ADOBE_DEFLATE, 3, 16, 0, 0, NULL, NULL},
        {3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, 8, 16, 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t len;
        uint8_t *tif = tiff_of(&specs[i], W, H, pat->rgb, &len);
        CHECK(tif);
        fc_error err = {0};
        fc_image *img = decode(tif, len, &err);
        CHECK_MSG(img, "spec %zu: %s", i, err.msg);
        int o = specs[i].orientation ? specs[i].orientation : 1;
        fc_image *want = fc_image_orient(pat, o, &err);
        CHECK_MSG(tu_max_diff(img, want) == 0, "spec %zu: diff %d", i, tu_max_diff(img, want));
        fc_image_free(want);
        fc_image_free(img);
        free(tif);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* MAX_IMAGE_PIXELS=0 means no limit: a TIFF past the default 50 MP decodes. The
 * decoding child once returned its pixels through a mapping sized for the default
 * when there was no limit, and refused this one. 1-bit Group 4: a small file. */
TEST(image_tiff_no_pixel_limit_decodes_past_the_default)
{
    enum { W = 8000, H = 6300 };
    char path[600];
    snprintf(path, sizeof path, "%s/past_default.tif", fc_test_tmpdir());
    TIFF *t = TIFFOpen(path, "w");
    CHECK(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64);
    uint8_t row[W / 8];
    for (int y = 0; y < H; y++) {
        memset(row, y < H / 2 ? 0xff : 0x00, sizeof row); /* white above, black below */
        CHECK(TIFFWriteScanline(t, row, (uint32_t)y, 0) == 1);
    }
    TIFFClose(t);
    size_t len;
    uint8_t *tif = tu_read_file(path, &len);
    CHECK(tif);
    fc_decode_opts opts = fc_decode_opts_default();
    opts.limits.max_pixels = 0;
    fc_error err = {0};
    fc_image *img = fc_image_decode(tif, len, &opts, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == W && img->height == H);
    CHECK(tu_px(img, W - 1, 0)[0] == 255 && tu_px(img, 0, H - 1)[2] == 0);
    fc_image_free(img);
    free(tif);
    return FC_TEST_PASS;
}

/* The probe reads the first directory itself (libtiff runs only in the decoding
 * child): classic and BigTIFF, either byte order. */
TEST(image_tiff_probe_bigtiff_and_byte_orders)
{
    enum { W = 40, H = 28 };
    fc_image *pat = tu_noise(W, H, 23);
    static const char *modes[] = {"w", "w8", "wb", "w8b"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        tiff_spec s = {3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, 6, i % 2 ? 16 : 0, 0, 0, NULL,
                       modes[i]};
        size_t len;
        uint8_t *tif = tiff_of(&s, W, H, pat->rgb, &len);
        CHECK(tif);
        fc_image_info info;
        fc_error err = {0};
        CHECK_OK(fc_image_probe(tif, len, NULL, &info, &err), &err);
        CHECK_MSG(info.format == FC_IMAGE_TIFF && info.width == W && info.height == H &&
                      info.orientation == 6,
                  "mode %s: %dx%d orientation %d", modes[i], info.width, info.height,
                  info.orientation);
        fc_image *img = decode(tif, len, &err);
        CHECK_MSG(img, "mode %s: %s", modes[i], err.msg);
        fc_image *want = fc_image_orient(pat, 6, &err);
        CHECK_MSG(tu_max_diff(img, want) == 0, "mode %s", modes[i]);
        fc_image_free(want);
        fc_image_free(img);
        free(tif);
    }
    /* no width in the first directory: a format error before any decoding */
    static const uint8_t bare[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x01, 0x01, 3, 0,
                                   1, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0};
    fc_error err = {0};
    CHECK(decode(bare, sizeof bare, &err) == NULL && err.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "width"), "%s", err.msg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_tiff_grey_16_bit_palette_alpha_cmyk)
{
    enum { W = 12, H = 9, N = W * H };
    fc_error err = {0};
    size_t len;
    /* 16-bit RGB, v * 257 -> v (native-endian samples) */
    uint16_t rgb16[3 * N];
    for (int i = 0; i < 3 * N; i++)
        rgb16[i] = (uint16_t)((i * 7 & 255) * 257);
    tiff_spec s16 = {3, 16, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 0, 0, 0, NULL, NULL};
    uint8_t *tif = tiff_of(&s16, W, H, (const uint8_t *)rgb16, &len);
    fc_image *img = decode(tif, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    for (int i = 0; i < 3 * N; i++)
        CHECK(tu_px(img, 0, 0)[(i / (3 * W)) * img->stride + i % (3 * W)] == (i * 7 & 255));
    fc_image_free(img);
    free(tif);
    /* grey, palette */
    uint8_t idx[N];
    uint16_t cmap[3 * 256];
    for (int i = 0; i < N; i++)
        idx[i] = (uint8_t)(i * 13);
    for (int i = 0; i < 256; i++) {
        uint8_t c[3];
        tu_block_rgb(i, 2, c);
        for (int k = 0; k < 3; k++)
            cmap[k * 256 + i] = (uint16_t)(c[k] * 257);
    }
    for (int pal = 0; pal <= 1; pal++) {
        tiff_spec s = {1, 8, pal ? PHOTOMETRIC_PALETTE : PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW,
                       0, 0, 0, 0, pal ? cmap : NULL, NULL};
        tif = tiff_of(&s, W, H, idx, &len);
        img = decode(tif, len, &err);
        CHECK_MSG(img, "%s", err.msg);
        for (int i = 0; i < N; i++) {
            uint8_t want[3] = {idx[i], idx[i], idx[i]};
            if (pal)
                tu_block_rgb(idx[i], 2, want);
            CHECK_MSG(memcmp(tu_px(img, i % W, i / W), want, 3) == 0, "palette %d, pixel %d",
                      pal, i);
        }
        fc_image_free(img);
        free(tif);
    }
    /* RGBA: opaque pixels exact, transparent ones black (libtiff premultiplies) */
    fc_image *pat = tu_noise(W, H, 23);
    uint8_t rgba[4 * N], cmyk[4 * N];
    for (int i = 0; i < N; i++) {
        memcpy(rgba + 4 * i, tu_px(pat, i % W, i / W), 3);
        rgba[4 * i + 3] = i % W < W / 2 ? 255 : 0;
        for (int c = 0; c < 3; c++)
            cmyk[4 * i + c] = (uint8_t)(255 - tu_px(pat, i % W, i / W)[c]);
        cmyk[4 * i + 3] = 0;
    }
    tiff_spec sa = {4, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 0, 1, 0, NULL, NULL};
    tif = tiff_of(&sa, W, H, rgba, &len);
    img = decode(tif, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    for (int i = 0; i < N; i++) {
        const uint8_t *p = tu_px(img, i % W, i / W);
        if (i % W < W / 2)
            CHECK(memcmp(p, rgba + 4 * i, 3) == 0);
        else
            CHECK(p[0] == 0 && p[1] == 0 && p[2] == 0);
    }
    fc_image_free(img);
    free(tif);
    tiff_spec sc = {4, 8, PHOTOMETRIC_SEPARATED, COMPRESSION_NONE, 0, 0, 0, 0, NULL, NULL};
    tif = tiff_of(&sc, W, H, cmyk, &len);
    img = decode(tif, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK_MSG(tu_max_diff(img, pat) <= 1, "cmyk diff %d", tu_max_diff(img, pat));
    fc_image_free(img);
    free(tif);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_tiff_limits_and_truncation)
{
    fc_image *pat = tu_noise(48, 32, 29);
    tiff_spec s = {3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, 0, 0, 0, 0, NULL, NULL};
    size_t len;
    uint8_t *tif = tiff_of(&s, 48, 32, pat->rgb, &len);
    CHECK(tif);
    for (size_t cut = 4; cut < len; cut += len / 9 + 1) {
        fc_error err = {0};
        fc_image *img = decode(tif, cut, &err);
        CHECK_MSG(img == NULL, "cut at %zu of %zu decoded", cut, len);
        /* libtiff writes the directory after the pixels: every cut loses it */
        CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, "truncated"), "cut at %zu: %s",
                  cut, err.msg);
    }
    free(tif);
    /* a 60000 x 60000 header with a few bytes of data */
    char path[600];
    snprintf(path, sizeof path, "%s/huge.tif", fc_test_tmpdir());
    TIFF *t = TIFFOpen(path, "w");
    CHECK(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 60000);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 60000);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 60000);
    TIFFWriteRawStrip(t, 0, pat->rgb, 64);
    TIFFClose(t);
    tif = tu_read_file(path, &len);
    fc_error err = {0};
    uint64_t allocs = fc_alloc_count();
    CHECK(decode(tif, len, &err) == NULL && err.code == FC_ERR_LIMIT);
    CHECK(fc_alloc_count() == allocs);
    CHECK_MSG(strstr(err.msg, "60000x60000"), "%s", err.msg);
    free(tif);
    fc_image_free(pat);
    return FC_TEST_PASS;
}
