/* test_image_webp.c - WebP: lossy, lossless, alpha dropped, EXIF orientation in an
 * extended (VP8X) file, the first frame of an animation, limits, truncation, and the
 * shared .orig.webp photos. Extended files are assembled by hand from libwebp's
 * simple output (the mux library is not needed for that). */
#include "test.h"

#include "core/alloc.h"
#include "image/image.h"
#include "image_util.h"

#include <stdlib.h>
#include <string.h>
#include <webp/encode.h>

static fc_image *decode(const uint8_t *data, size_t len, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(data, len, &d, err);
}

/* libwebp output copied to malloc memory. */
static uint8_t *webp_of(const fc_image *img, int lossless, float quality, size_t *len)
{
    uint8_t *out = NULL;
    *len = lossless ? WebPEncodeLosslessRGB(img->rgb, img->width, img->height, img->stride, &out)
                    : WebPEncodeRGB(img->rgb, img->width, img->height, img->stride, quality,
                                    &out);
    uint8_t *copy = *len ? malloc(*len) : NULL;
    if (copy)
        memcpy(copy, out, *len);
    WebPFree(out);
    return copy;
}

/* A growing byte buffer for hand-built RIFF files. */
typedef struct {
    uint8_t buf[1 << 16];
    size_t n;
} riff;

static void put(riff *r, const void *p, size_t n)
{
    memcpy(r->buf + r->n, p, n);
    r->n += n;
}

static void put_le(riff *r, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        r->buf[r->n++] = (uint8_t)(v >> (8 * i));
}

static void chunk(riff *r, const char *fourcc, const uint8_t *data, size_t n)
{
    put(r, fourcc, 4);
    put_le(r, (uint32_t)n, 4);
    put(r, data, n);
    if (n & 1)
        r->buf[r->n++] = 0;
}

static void riff_begin(riff *r, uint8_t vp8x_flags, int canvas_w, int canvas_h)
{
    r->n = 0;
    put(r, "RIFF\0\0\0\0WEBP", 12);
    uint8_t x[10] = {vp8x_flags};
    for (int i = 0; i < 3; i++)
        x[4 + i] = (uint8_t)((canvas_w - 1) >> (8 * i)), x[7 + i] = (uint8_t)((canvas_h - 1) >> (8 * i));
    chunk(r, "VP8X", x, 10);
}

static void riff_end(riff *r)
{
    uint32_t size = (uint32_t)(r->n - 8);
    for (int i = 0; i < 4; i++)
        r->buf[4 + i] = (uint8_t)(size >> (8 * i));
}

TEST(image_webp_lossy_and_lossless)
{
    fc_image *pat = tu_pattern(64, 48, 16);
    size_t len;
    uint8_t *webp = webp_of(pat, 0, 95, &len);
    CHECK(webp);
    fc_error err = {0};
    fc_image *img = decode(webp, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 64 && img->height == 48);
    CHECK_MSG(tu_max_diff_centres(img, pat, 16) <= 8, "centres %d",
              tu_max_diff_centres(img, pat, 16));
    fc_image_free(img);
    free(webp);
    fc_image_free(pat);
    pat = tu_noise(37, 21, 4);
    webp = webp_of(pat, 1, 0, &len);
    img = decode(webp, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_info info;
    CHECK_OK(fc_image_probe(webp, len, NULL, &info, &err), &err);
    CHECK(info.format == FC_IMAGE_WEBP && info.width == 37 && info.height == 21);
    fc_image_free(img);
    free(webp);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_webp_alpha_dropped)
{
    enum { W = 20, H = 12 };
    fc_image *pat = tu_noise(W, H, 8);
    uint8_t rgba[4 * W * H];
    for (int i = 0; i < W * H; i++) {
        memcpy(rgba + 4 * i, tu_px(pat, i % W, i / W), 3);
        rgba[4 * i + 3] = (uint8_t)(64 + i % 128);
    }
    uint8_t *out = NULL;
    size_t len = WebPEncodeLosslessRGBA(rgba, W, H, 4 * W, &out);
    CHECK(len);
    fc_error err = {0};
    fc_image *img = decode(out, len, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_free(img);
    WebPFree(out);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_webp_exif_orientation)
{
    enum { W = 32, H = 16 };
    fc_image *pat = tu_noise(W, H, 12);
    size_t len;
    uint8_t *simple = webp_of(pat, 1, 0, &len);
    CHECK(simple);
    static riff r;
    riff_begin(&r, 0x08, W, H);
    put(&r, simple + 12, len - 12); /* the VP8L chunk */
    uint8_t exif[64];
    size_t n = tu_exif_tiff(exif, 6, 0);
    chunk(&r, "EXIF", exif, n);
    riff_end(&r);
    fc_image_info info;
    fc_error err = {0};
    CHECK_OK(fc_image_probe(r.buf, r.n, NULL, &info, &err), &err);
    CHECK(info.orientation == 6 && info.display_width == H && info.display_height == W);
    fc_image *img = decode(r.buf, r.n, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(tu_orient_in_place(&pat, 6) == 0);
    CHECK(tu_max_diff(img, pat) == 0);
    fc_image_free(img);
    free(simple);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* An animation of two lossless frames on a W x H canvas; the first at (8, 4). */
static size_t animation(riff *r, const fc_image *f1, const fc_image *f2, int cw, int ch)
{
    riff_begin(r, 0x02, cw, ch);
    uint8_t anim[6] = {0x10, 0x20, 0x30, 0xFF, 0, 0}; /* background (ignored), loops */
    chunk(r, "ANIM", anim, 6);
    const fc_image *frames[2] = {f1, f2};
    for (int i = 0; i < 2; i++) {
        size_t len;
        uint8_t *simple = webp_of(frames[i], 1, 0, &len);
        uint8_t head[16] = {0};
        int x = i ? 0 : 8, y = i ? 0 : 4;
        for (int b = 0; b < 3; b++) {
            head[b] = (uint8_t)((x / 2) >> (8 * b));
            head[3 + b] = (uint8_t)((y / 2) >> (8 * b));
            head[6 + b] = (uint8_t)((frames[i]->width - 1) >> (8 * b));
            head[9 + b] = (uint8_t)((frames[i]->height - 1) >> (8 * b));
        }
        head[12] = 100;    /* duration */
        head[15] = 0x02;   /* do not blend */
        put(r, "ANMF", 4);
        put_le(r, (uint32_t)(16 + len - 12), 4);
        put(r, head, 16);
        put(r, simple + 12, len - 12);
        free(simple);
    }
    riff_end(r);
    return r->n;
}

TEST(image_webp_animation_first_frame)
{
    enum { CW = 40, CH = 30 };
    fc_image *f1 = tu_noise(20, 14, 21), *f2 = tu_noise(CW, CH, 22);
    static riff r;
    animation(&r, f1, f2, CW, CH);
    fc_error err = {0};
    fc_image *img = decode(r.buf, r.n, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == CW && img->height == CH);
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++) {
            int inside = x >= 8 && x < 28 && y >= 4 && y < 18;
            const uint8_t *p = tu_px(img, x, y);
            if (inside)
                CHECK_MSG(memcmp(p, tu_px(f1, x - 8, y - 4), 3) == 0, "(%d,%d)", x, y);
            else
                CHECK_MSG(p[0] == 0 && p[1] == 0 && p[2] == 0, "(%d,%d) not black", x, y);
        }
    fc_image_free(img);
    /* a canvas over the limit is refused before the decoder allocates it */
    animation(&r, f1, f2, 60000, 60000);
    uint64_t allocs = fc_alloc_count();
    CHECK(decode(r.buf, r.n, &err) == NULL && err.code == FC_ERR_LIMIT);
    CHECK(fc_alloc_count() == allocs);
    CHECK_MSG(strstr(err.msg, "60000x60000"), "%s", err.msg);
    fc_image_free(f1);
    fc_image_free(f2);
    return FC_TEST_PASS;
}

TEST(image_webp_truncated_is_an_error)
{
    fc_image *pat = tu_noise(64, 48, 31);
    for (int lossless = 0; lossless <= 1; lossless++) {
        size_t len;
        uint8_t *webp = webp_of(pat, lossless, 80, &len);
        CHECK(webp);
        size_t cuts[] = {4, 12, 20, 30, len / 4, len / 2, 3 * len / 4, len - 10, len - 1};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            fc_error err = {0};
            CHECK_MSG(decode(webp, cuts[i], &err) == NULL, "lossless %d: cut at %zu of %zu",
                      lossless, cuts[i], len);
            CHECK(err.code != FC_OK && err.msg[0]);
        }
        free(webp);
    }
    fc_image *f = tu_noise(8, 8, 2);
    static riff r;
    animation(&r, f, f, 16, 16);
    for (size_t cut = 30; cut < r.n; cut += r.n / 7) {
        fc_error err = {0};
        CHECK_MSG(decode(r.buf, cut, &err) == NULL, "animation cut at %zu of %zu", cut, r.n);
    }
    fc_image_free(f);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_webp_shared_orig_webp)
{
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    static const struct {
        const char *name;
        int w, h;
    } files[] = {{"d1", 1000, 1300}, {"d2", 500, 789}};
    for (size_t i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/data/insightface/inspireface_test_res/RD/%s.orig.webp",
                 shared, files[i].name);
        fc_error err = {0};
        fc_image *img = fc_image_load(path, NULL, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK(img->width == files[i].w && img->height == files[i].h);
        fc_image_free(img);
    }
    return FC_TEST_PASS;
}
