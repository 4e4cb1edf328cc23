/* test_image_bmp.c - BMP written by hand: 1/4/8-bit palettes, 16-bit 5-5-5 and 5-6-5,
 * 24-bit bottom-up and top-down, 32-bit BI_RGB and BITFIELDS, the OS/2 core header,
 * RLE8 and RLE4, refused variants, limits and truncation. */
#include "test.h"

#include "core/alloc.h"
#include "image/image.h"
#include "image_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t len;
} bytes;

static void le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The palette used for indexed images, and the index of pixel (x, y). */
static void pal_rgb(int i, uint8_t rgb[3]) { tu_block_rgb(i, 7, rgb); }
static int pal_index(int x, int y, int bpp) { return (x * 5 + y * 3) % (1 << bpp); }

/* A BITMAPINFOHEADER (40) file of img (or indices) at bpp; masks for BITFIELDS. */
static bytes bmp_of(const fc_image *img, int bpp, int top_down, const uint32_t *masks)
{
    int w = img->width, h = img->height;
    size_t row = (size_t)((w * bpp + 31) / 32 * 4);
    int n_pal = bpp <= 8 ? 1 << bpp : 0;
    size_t off = 14 + 40 + (masks ? 12 : 0) + 4 * (size_t)n_pal;
    bytes b = {calloc(1, off + row * (size_t)h), off + row * (size_t)h};
    uint8_t *d = b.data;
    d[0] = 'B', d[1] = 'M';
    le(d + 2, (uint32_t)b.len, 4);
    le(d + 10, (uint32_t)off, 4);
    le(d + 14, 40, 4);
    le(d + 18, (uint32_t)w, 4);
    le(d + 22, (uint32_t)(top_down ? -h : h), 4);
    le(d + 26, 1, 2);
    le(d + 28, (uint32_t)bpp, 2);
    le(d + 30, masks ? 3 : 0, 4);
    for (int i = 0; masks && i < 3; i++)
        le(d + 54 + 4 * i, masks[i], 4);
    for (int i = 0; i < n_pal; i++) {
        uint8_t rgb[3];
        pal_rgb(i, rgb);
        uint8_t *e = d + 14 + 40 + 4 * i;
        e[0] = rgb[2], e[1] = rgb[1], e[2] = rgb[0];
    }
    for (int y = 0; y < h; y++) {
        uint8_t *r = d + off + row * (size_t)(top_down ? y : h - 1 - y);
        for (int x = 0; x < w; x++) {
            const uint8_t *p = tu_px(img, x, y);
            if (bpp <= 8) {
                int bit = x * bpp;
                r[bit / 8] |= (uint8_t)(pal_index(x, y, bpp) << (8 - bpp - bit % 8));
            } else if (bpp == 24) {
                r[3 * x] = p[2], r[3 * x + 1] = p[1], r[3 * x + 2] = p[0];
            } else {
                uint32_t v = 0;
                for (int c = 0; c < 3; c++) {
                    uint32_t m = masks ? masks[c] : (bpp == 16 ? 0x7C00u >> (5 * c)
                                                               : 0xFF0000u >> (8 * c));
                    int shift = __builtin_ctz(m), bits = __builtin_popcount(m);
                    v |= ((uint32_t)p[c] >> (8 - (bits < 8 ? bits : 8)) << (bits > 8 ? bits - 8 : 0))
                         << shift;
                }
                le(r + x * (bpp / 8), v, bpp / 8);
            }
        }
    }
    return b;
}

/* What a channel of `bits` bits holding the top bits of v decodes to. */
static int expand(int v, int bits)
{
    if (bits >= 8)
        return v;
    int q = v >> (8 - bits), max = (1 << bits) - 1;
    return (q * 255 + max / 2) / max;
}

static fc_image *decode(const bytes *b, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(b->data, b->len, &d, err);
}

TEST(image_bmp_24_and_32_bit)
{
    fc_image *pat = tu_noise(13, 7, 3);
    for (int top_down = 0; top_down <= 1; top_down++)
        for (int bpp = 24; bpp <= 32; bpp += 8) {
            bytes b = bmp_of(pat, bpp, top_down, NULL);
            fc_error err = {0};
            fc_image *img = decode(&b, &err);
            CHECK_MSG(img, "%d-bit: %s", bpp, err.msg);
            CHECK_MSG(tu_max_diff(img, pat) == 0, "%d-bit top_down %d", bpp, top_down);
            fc_image_info info;
            CHECK_OK(fc_image_probe(b.data, b.len, NULL, &info, &err), &err);
            CHECK(info.format == FC_IMAGE_BMP && info.width == 13 && info.height == 7);
            fc_image_free(img);
            free(b.data);
        }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_bmp_bitfields_and_16_bit)
{
    fc_image *pat = tu_noise(9, 5, 4);
    static const struct {
        int bpp;
        uint32_t masks[3];
        int bits[3];
        int use_masks;
    } cases[] = {
        {16, {0x7C00, 0x03E0, 0x001F}, {5, 5, 5}, 0},
        {16, {0xF800, 0x07E0, 0x001F}, {5, 6, 5}, 1},
        {32, {0x00FF0000, 0x0000FF00, 0x000000FF}, {8, 8, 8}, 1},
        {32, {0x000000FF, 0x0000FF00, 0x00FF0000}, {8, 8, 8}, 1},
        {32, {0x3FF00000, 0x000FFC00, 0x000003FF}, {10, 10, 10}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes b = bmp_of(pat, cases[i].bpp, 0, cases[i].use_masks ? cases[i].masks : NULL);
        fc_error err = {0};
        fc_image *img = decode(&b, &err);
        CHECK_MSG(img, "case %zu: %s", i, err.msg);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 9; x++)
                for (int c = 0; c < 3; c++) {
                    int want = expand(tu_px(pat, x, y)[c], cases[i].bits[c]);
                    CHECK_MSG(tu_px(img, x, y)[c] == want, "case %zu (%d,%d,%d): %d want %d", i,
                              x, y, c, tu_px(img, x, y)[c], want);
                }
        fc_image_free(img);
        free(b.data);
    }
    /* a mask with a hole is refused */
    uint32_t holey[3] = {0x00F0F000, 0x0000000F, 0x000000F0};
    bytes b = bmp_of(pat, 32, 0, holey);
    fc_error err = {0};
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "mask"), "%s", err.msg);
    free(b.data);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_bmp_palettes)
{
    fc_image *pat = tu_noise(11, 6, 5); /* only the size is used */
    for (int bpp = 1; bpp <= 8; bpp *= 2) {
        if (bpp == 2)
            continue; /* not a BMP depth */
        for (int top_down = 0; top_down <= 1; top_down++) {
            bytes b = bmp_of(pat, bpp, top_down, NULL);
            fc_error err = {0};
            fc_image *img = decode(&b, &err);
            CHECK_MSG(img, "%d-bit: %s", bpp, err.msg);
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 11; x++) {
                    uint8_t want[3];
                    pal_rgb(pal_index(x, y, bpp), want);
                    CHECK_MSG(memcmp(tu_px(img, x, y), want, 3) == 0, "%d-bit (%d,%d)", bpp, x, y);
                }
            fc_image_free(img);
            free(b.data);
        }
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* A 40-byte-header file with a 16-colour palette and the given compressed data. */
static bytes rle_file(int w, int h, int bpp, const uint8_t *data, size_t n)
{
    size_t off = 14 + 40 + 4 * 16;
    bytes b = {calloc(1, off + n), off + n};
    uint8_t *d = b.data;
    d[0] = 'B', d[1] = 'M';
    le(d + 10, (uint32_t)off, 4);
    le(d + 14, 40, 4);
    le(d + 18, (uint32_t)w, 4);
    le(d + 22, (uint32_t)h, 4);
    le(d + 26, 1, 2);
    le(d + 28, (uint32_t)bpp, 2);
    le(d + 30, bpp == 8 ? 1 : 2, 4);
    le(d + 46, 16, 4);
    for (int i = 0; i < 16; i++) {
        uint8_t rgb[3];
        pal_rgb(i, rgb);
        d[54 + 4 * i] = rgb[2], d[55 + 4 * i] = rgb[1], d[56 + 4 * i] = rgb[0];
    }
    memcpy(d + off, data, n);
    return b;
}

static int px_is(const fc_image *img, int x, int y, int idx)
{
    uint8_t want[3] = {0, 0, 0};
    if (idx >= 0)
        pal_rgb(idx, want);
    return memcmp(tu_px(img, x, y), want, 3) == 0;
}

TEST(image_bmp_rle8_and_rle4)
{
    /* RLE8, 5x2, bottom row first: run, literal (padded), end of line; run, delta over
     * three pixels (left black), run, end of bitmap. */
    static const uint8_t rle8[] = {2, 1, 0, 3, 2, 3, 2, 0, 0, 0, 1, 4, 0, 2, 3, 0, 1, 2, 0, 1};
    bytes b = rle_file(5, 2, 8, rle8, sizeof rle8);
    fc_error err = {0};
    fc_image *img = decode(&b, &err);
    CHECK_MSG(img, "%s", err.msg);
    static const int want8[2][5] = {{4, -1, -1, -1, 2}, {1, 1, 2, 3, 2}};
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 5; x++)
            CHECK_MSG(px_is(img, x, y, want8[y][x]), "rle8 (%d,%d)", x, y);
    fc_image_free(img);
    /* cut before the end: an error */
    b.len -= 6;
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_FORMAT);
    free(b.data);
    /* RLE4, 7x1: a run of alternating nibbles 1,2,1,2 then literal 3,4,5 (2 bytes) */
    static const uint8_t rle4[] = {4, 0x12, 0, 3, 0x34, 0x50, 0, 1};
    b = rle_file(7, 1, 4, rle4, sizeof rle4);
    img = decode(&b, &err);
    CHECK_MSG(img, "%s", err.msg);
    static const int want4[7] = {1, 2, 1, 2, 3, 4, 5};
    for (int x = 0; x < 7; x++)
        CHECK_MSG(px_is(img, x, 0, want4[x]), "rle4 x=%d", x);
    fc_image_free(img);
    free(b.data);
    /* runs past the right edge and deltas past the bottom are clipped, not written */
    static const uint8_t wild[] = {255, 1, 0, 2, 255, 255, 9, 3, 0, 1};
    b = rle_file(3, 2, 8, wild, sizeof wild);
    img = decode(&b, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(px_is(img, 0, 1, 1) && px_is(img, 2, 1, 1) && px_is(img, 0, 0, -1));
    fc_image_free(img);
    free(b.data);
    return FC_TEST_PASS;
}

TEST(image_bmp_os2_core_header)
{
    enum { W = 6, H = 3 };
    size_t row = (3 * W + 3) / 4 * 4, off = 14 + 12;
    uint8_t d[14 + 12 + 3 * 8 * 3] = {'B', 'M'};
    le(d + 10, (uint32_t)off, 4);
    le(d + 14, 12, 4);
    le(d + 18, W, 2);
    le(d + 20, H, 2);
    le(d + 22, 1, 2);
    le(d + 24, 24, 2);
    fc_image *pat = tu_noise(W, H, 6);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *q = d + off + row * (size_t)(H - 1 - y) + 3 * x;
            const uint8_t *p = tu_px(pat, x, y);
            q[0] = p[2], q[1] = p[1], q[2] = p[0];
        }
    bytes b = {d, off + row * H};
    fc_error err = {0};
    fc_image *img = decode(&b, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_free(img);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_bmp_refused_limits_and_truncation)
{
    fc_image *pat = tu_noise(15, 12, 7); /* rows of 45 bytes padded to 48 */
    bytes b = bmp_of(pat, 24, 0, NULL);
    fc_error err = {0};
    for (size_t cut = 1; cut < b.len - 3; cut += b.len / 9 + 1) {
        CHECK_MSG(decode(&(bytes){b.data, cut}, &err) == NULL, "cut at %zu of %zu", cut, b.len);
        CHECK(err.code == FC_ERR_FORMAT);
    }
    CHECK(decode(&(bytes){b.data, b.len - 4}, &err) == NULL && err.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "truncated"), "%s", err.msg);
    /* the last row's padding may be missing */
    fc_image *img = decode(&(bytes){b.data, b.len - 3}, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_free(img);
    /* 60000 x 60000 */
    le(b.data + 18, 60000, 4);
    le(b.data + 22, 60000, 4);
    uint64_t allocs = fc_alloc_count();
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_LIMIT);
    CHECK(fc_alloc_count() == allocs);
    CHECK_MSG(strstr(err.msg, "60000x60000"), "%s", err.msg);
    /* height INT32_MIN must not overflow when negated */
    le(b.data + 18, 15, 4);
    le(b.data + 22, 0x80000000u, 4);
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_LIMIT);
    le(b.data + 22, 0, 4);
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_FORMAT);
    le(b.data + 22, 12, 4);
    le(b.data + 30, 4, 4); /* BI_JPEG */
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_UNSUPPORTED);
    le(b.data + 30, 1, 4); /* RLE8 at 24 bits */
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_UNSUPPORTED);
    le(b.data + 30, 0, 4);
    le(b.data + 28, 7, 2);
    CHECK(decode(&b, &err) == NULL && err.code == FC_ERR_UNSUPPORTED);
    free(b.data);
    fc_image_free(pat);
    return FC_TEST_PASS;
}
