/* test_image_png.c - PNG: every colour type and depth to 8-bit RGB, interlacing,
 * eXIf orientation, the header limit, truncation, and the shared test photos (an
 * RGBA PNG, PNG data named .jpg). */
#include "test.h"

#include "core/alloc.h"
#include "image/image.h"
#include "image_util.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

static fc_image *decode(const uint8_t *data, size_t len, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(data, len, &d, err);
}

static tu_png_spec spec(int w, int h, int color_type, int depth, int interlace,
                        const uint8_t *pixels, size_t rowbytes)
{
    return (tu_png_spec){.width = w, .height = h, .color_type = color_type,
                         .bit_depth = depth, .interlace = interlace, .pixels = pixels,
                         .rowbytes = rowbytes};
}

/* Encodes raw rows and decodes them again. */
static fc_image *round_trip(const tu_png_spec *spec, fc_error *err)
{
    size_t len;
    uint8_t *png = tu_png(spec, &len);
    if (!png)
        return NULL;
    fc_image *img = decode(png, len, err);
    free(png);
    return img;
}

TEST(image_png_rgb_rgba_and_interlaced)
{
    enum { W = 37, H = 23 };
    fc_image *pat = tu_noise(W, H, 11);
    uint8_t *rgba = malloc(4 * W * H);
    CHECK(rgba);
    for (int i = 0; i < W * H; i++) {
        memcpy(rgba + 4 * i, tu_px(pat, i % W, i / W), 3);
        rgba[4 * i + 3] = (uint8_t)(i * 7); /* alpha is dropped, colour kept */
    }
    for (int interlace = 0; interlace <= 1; interlace++) {
        fc_error err = {0};
        tu_png_spec rgb = spec(W, H, PNG_COLOR_TYPE_RGB, 8, interlace, pat->rgb, (size_t)pat->stride);
        fc_image *img = round_trip(&rgb, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK(tu_max_diff(img, pat) == 0);
        fc_image_free(img);
        tu_png_spec a = spec(W, H, PNG_COLOR_TYPE_RGBA, 8, interlace, rgba, 4 * W);
        img = round_trip(&a, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK(tu_max_diff(img, pat) == 0);
        fc_image_free(img);
    }
    free(rgba);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_png_16_bit_scaled_to_8)
{
    enum { W = 20, H = 10 };
    uint8_t *rgb16 = malloc(6 * W * H), *grey16 = malloc(2 * W * H), *ga16 = malloc(4 * W * H);
    CHECK(rgb16 && grey16 && ga16);
    for (int i = 0; i < W * H; i++) {
        for (int c = 0; c < 3; c++) { /* v * 257 scales back to v exactly */
            uint8_t v = (uint8_t)(i * (c + 3));
            rgb16[6 * i + 2 * c] = rgb16[6 * i + 2 * c + 1] = v;
        }
        grey16[2 * i] = grey16[2 * i + 1] = (uint8_t)(i * 5);
        ga16[4 * i] = ga16[4 * i + 1] = (uint8_t)(i * 5);
        ga16[4 * i + 2] = 0x12, ga16[4 * i + 3] = 0x34;
    }
    fc_error err = {0};
    tu_png_spec s = spec(W, H, PNG_COLOR_TYPE_RGB, 16, 0, rgb16, 6 * W);
    fc_image *img = round_trip(&s, &err);
    CHECK_MSG(img, "%s", err.msg);
    for (int i = 0; i < W * H; i++)
        for (int c = 0; c < 3; c++)
            CHECK(tu_px(img, i % W, i / W)[c] == (uint8_t)(i * (c + 3)));
    fc_image_free(img);
    /* scaled with rounding, not the high byte: 0xFF00 = 65280 -> 65280 / 257 = 254 */
    rgb16[0] = 0xFF, rgb16[1] = 0x00;
    img = round_trip(&s, &err);
    CHECK(img && tu_px(img, 0, 0)[0] == 254);
    fc_image_free(img);
    for (int ga = 0; ga <= 1; ga++) {
        tu_png_spec g = spec(W, H, ga ? PNG_COLOR_TYPE_GRAY_ALPHA : PNG_COLOR_TYPE_GRAY, 16, 0,
                         ga ? ga16 : grey16, (size_t)(ga ? 4 : 2) * W);
        img = round_trip(&g, &err);
        CHECK_MSG(img, "%s", err.msg);
        for (int i = 0; i < W * H; i++) {
            const uint8_t *p = tu_px(img, i % W, i / W);
            CHECK(p[0] == (uint8_t)(i * 5) && p[1] == p[0] && p[2] == p[0]);
        }
        fc_image_free(img);
    }
    free(rgb16);
    free(grey16);
    free(ga16);
    return FC_TEST_PASS;
}

TEST(image_png_grey_low_depths_and_grey_alpha)
{
    enum { W = 19, H = 7 };
    for (int depth = 1; depth <= 8; depth *= 2) {
        size_t rowbytes = (size_t)(W * depth + 7) / 8;
        uint8_t *px = calloc(rowbytes * H, 1);
        CHECK(px);
        int levels = (1 << depth) - 1;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = (x + y) % (levels + 1), bit = x * depth;
                px[y * rowbytes + (size_t)bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
            }
        fc_error err = {0};
        tu_png_spec s = spec(W, H, PNG_COLOR_TYPE_GRAY, depth, 0, px, rowbytes);
        fc_image *img = round_trip(&s, &err);
        CHECK_MSG(img, "depth %d: %s", depth, err.msg);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int want = (x + y) % (levels + 1) * 255 / levels;
                const uint8_t *p = tu_px(img, x, y);
                CHECK_MSG(p[0] == want && p[1] == want && p[2] == want,
                          "depth %d (%d,%d): %d want %d", depth, x, y, p[0], want);
            }
        fc_image_free(img);
        free(px);
    }
    uint8_t ga[2 * W * H];
    for (int i = 0; i < W * H; i++)
        ga[2 * i] = (uint8_t)(i * 3), ga[2 * i + 1] = (uint8_t)i;
    fc_error err = {0};
    tu_png_spec s = spec(W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, ga, 2 * W);
    fc_image *img = round_trip(&s, &err);
    CHECK_MSG(img, "%s", err.msg);
    for (int i = 0; i < W * H; i++)
        CHECK(tu_px(img, i % W, i / W)[1] == (uint8_t)(i * 3));
    fc_image_free(img);
    return FC_TEST_PASS;
}

TEST(image_png_palette_with_transparency)
{
    enum { W = 21, H = 9 };
    uint8_t pal[16][3], trans[16];
    for (int i = 0; i < 16; i++)
        tu_block_rgb(i, 1, pal[i]), trans[i] = (uint8_t)(i * 16);
    for (int depth = 4; depth <= 8; depth += 4) {
        size_t rowbytes = (size_t)(W * depth + 7) / 8;
        uint8_t *px = calloc(rowbytes * H, 1);
        CHECK(px);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = (x * 3 + y) % 16, bit = x * depth;
                px[y * rowbytes + (size_t)bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
            }
        for (int with_trns = 0; with_trns <= 1; with_trns++) {
            fc_error err = {0};
            tu_png_spec s = spec(W, H, PNG_COLOR_TYPE_PALETTE, depth, 0, px, rowbytes);
            s.palette = (const uint8_t(*)[3])pal, s.n_palette = 16;
            s.trans = with_trns ? trans : NULL, s.n_trans = 16;
            fc_image *img = round_trip(&s, &err);
            CHECK_MSG(img, "depth %d: %s", depth, err.msg);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    CHECK(memcmp(tu_px(img, x, y), pal[(x * 3 + y) % 16], 3) == 0);
            fc_image_free(img);
        }
        free(px);
    }
    return FC_TEST_PASS;
}

TEST(image_png_exif_orientation)
{
    enum { W = 24, H = 16 };
    fc_image *pat = tu_pattern(W, H, 4);
    uint8_t exif[64];
    size_t n = tu_exif_tiff(exif, 8, 1);
    tu_png_spec s = spec(W, H, PNG_COLOR_TYPE_RGB, 8, 0, pat->rgb, (size_t)pat->stride);
    s.exif = exif, s.exif_len = n;
    size_t len;
    uint8_t *png = tu_png(&s, &len);
    CHECK(png);
    fc_image_info info;
    fc_error err = {0};
    CHECK_OK(fc_image_probe(png, len, NULL, &info, &err), &err);
    CHECK(info.orientation == 8 && info.display_width == H && info.display_height == W);
    fc_image *img = decode(png, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_orient_in_place(&pat, 8) == 0);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_free(img);
    free(png);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* Rewrites IHDR's size and fixes its CRC. */
static void patch_ihdr(uint8_t *png, uint32_t w, uint32_t h)
{
    for (int i = 0; i < 4; i++) {
        png[16 + i] = (uint8_t)(w >> (24 - 8 * i));
        png[20 + i] = (uint8_t)(h >> (24 - 8 * i));
    }
    uint32_t crc = tu_crc32(png + 12, 17);
    for (int i = 0; i < 4; i++)
        png[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

TEST(image_png_huge_header_refused_without_allocating)
{
    fc_image *pat = tu_noise(8, 8, 1);
    tu_png_spec s = spec(8, 8, PNG_COLOR_TYPE_RGB, 8, 0, pat->rgb, (size_t)pat->stride);
    size_t len;
    uint8_t *png = tu_png(&s, &len);
    CHECK(png);
    patch_ihdr(png, 60000, 60000);
    fc_error err = {0};
    uint64_t allocs = fc_alloc_count();
    CHECK(decode(png, len, &err) == NULL);
    CHECK(fc_alloc_count() == allocs);
    CHECK(err.code == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "60000x60000") && strstr(err.msg, "MAX_IMAGE_PIXELS"), "%s",
              err.msg);
    /* a 1 x 60000 strip is fine by the limit, but the data is missing */
    patch_ihdr(png, 1, 60000);
    CHECK(decode(png, len, &err) == NULL && err.code == FC_ERR_FORMAT);
    patch_ihdr(png, 0, 8);
    CHECK(decode(png, len, &err) == NULL && err.code == FC_ERR_FORMAT);
    free(png);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_png_truncated_and_corrupt)
{
    fc_image *pat = tu_noise(64, 48, 9);
    for (int interlace = 0; interlace <= 1; interlace++) {
        tu_png_spec s = spec(64, 48, PNG_COLOR_TYPE_RGB, 8, interlace, pat->rgb, (size_t)pat->stride);
        size_t len;
        uint8_t *png = tu_png(&s, &len);
        CHECK(png);
        size_t cuts[] = {4, 8, 20, 33, 40, len / 4, len / 2, 3 * len / 4, len - 30};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            fc_error err = {0};
            CHECK_MSG(decode(png, cuts[i], &err) == NULL, "cut at %zu of %zu decoded", cuts[i],
                      len);
            CHECK(err.code == FC_ERR_FORMAT && err.msg[0]);
        }
        png[len / 2] ^= 0x55; /* a flipped byte in IDAT: CRC error */
        fc_error err = {0};
        CHECK(decode(png, len, &err) == NULL && err.code == FC_ERR_FORMAT);
        CHECK_MSG(strstr(err.msg, "png:"), "%s", err.msg);
        free(png);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_png_shared_rgba_and_misnamed_files)
{
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    static const struct {
        const char *path;
        int w, h;
    } files[] = {
        {"face_recognition/tests/test_images/32bit.png", 626, 1200},
        {"insightface/inspireface_test_res/rotate/rot_90.jpg", 402, 325},
        {"insightface/inspireface_test_res/rotate/rot_0.jpg", 325, 402},
        {"insightface/inspireface_test_res/bulk/jntm.jpg", 539, 667},
        {"face-api.js/examples/images/raj/raj1.png", 150, 150},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/data/%s", shared, files[i].path);
        fc_error err = {0};
        fc_image *img = fc_image_load(path, NULL, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK_MSG(img->width == files[i].w && img->height == files[i].h, "%s: %dx%d", path,
                  img->width, img->height);
        size_t len;
        uint8_t *data = tu_read_file(path, &len);
        CHECK(data && fc_image_sniff(data, len) == FC_IMAGE_PNG);
        free(data);
        fc_image_free(img);
    }
    return FC_TEST_PASS;
}
