/* test_image_gif.c - GIF written with giflib: the first frame on the logical screen
 * (offset, transparency, local and global colour tables, interlacing), later frames
 * ignored, limits, truncation. */
#include "test.h"

#include "core/alloc.h"
#include "image/image.h"
#include "image_util.h"

#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t buf[1 << 16];
    size_t n;
} gif_out;

static int write_mem(GifFileType *g, const GifByteType *data, int n)
{
    gif_out *o = g->UserData;
    if (o->n + (size_t)n > sizeof o->buf)
        return 0;
    memcpy(o->buf + o->n, data, (size_t)n);
    o->n += (size_t)n;
    return n;
}

static void colour(int i, GifColorType *c)
{
    uint8_t rgb[3];
    tu_block_rgb(i, 5, rgb);
    c->Red = rgb[0], c->Green = rgb[1], c->Blue = rgb[2];
}

/* The index the test frames hold at (x, y). */
static int frame_index(int x, int y) { return (x * 3 + y * 5) % 16; }

typedef struct {
    int sw, sh;             /* screen */
    int left, top, fw, fh;  /* first frame */
    int interlace, local_map, transparent, second_frame;
} gif_spec;

/* Writes the GIF into o; 0 on success. Global map: colours 0..15; a local map (if
 * asked) uses colours 16..31. */
static int gif_of(const gif_spec *s, gif_out *o)
{
    int e = 0;
    o->n = 0;
    GifFileType *g = EGifOpen(o, write_mem, &e);
    if (!g)
        return -1;
    ColorMapObject *global = GifMakeMapObject(16, NULL), *local = GifMakeMapObject(16, NULL);
    for (int i = 0; i < 16; i++)
        colour(i, &global->Colors[i]), colour(16 + i, &local->Colors[i]);
    EGifSetGifVersion(g, true);
    int ok = EGifPutScreenDesc(g, s->sw, s->sh, 8, 3, global) == GIF_OK;
    if (s->transparent >= 0) {
        uint8_t gce[4] = {1, 0, 0, (uint8_t)s->transparent};
        ok = ok && EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_OK;
    }
    ok = ok && EGifPutImageDesc(g, s->left, s->top, s->fw, s->fh, s->interlace,
                                s->local_map ? local : NULL) == GIF_OK;
    GifPixelType *line = malloc((size_t)(s->fw > s->sw ? s->fw : s->sw));
    ok = ok && line;
    static const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    for (int pass = 0; ok && pass < (s->interlace ? 4 : 1); pass++)
        for (int y = s->interlace ? start[pass] : 0; ok && y < s->fh;
             y += s->interlace ? step[pass] : 1) {
            for (int x = 0; x < s->fw; x++)
                line[x] = (GifPixelType)frame_index(x, y);
            ok = EGifPutLine(g, line, s->fw) == GIF_OK;
        }
    if (ok && s->second_frame) {
        ok = EGifPutImageDesc(g, 0, 0, s->sw, s->sh, false, NULL) == GIF_OK;
        memset(line, 7, (size_t)s->sw);
        for (int y = 0; ok && y < s->sh; y++)
            ok = EGifPutLine(g, line, s->sw) == GIF_OK;
    }
    ok = EGifCloseFile(g, &e) == GIF_OK && ok;
    free(line);
    GifFreeMapObject(global);
    GifFreeMapObject(local);
    return ok ? 0 : -1;
}

static fc_image *decode(const uint8_t *data, size_t len, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(data, len, &d, err);
}

/* Checks img against the spec: frame pixels in their colours, the rest black. */
static int matches(const fc_image *img, const gif_spec *s)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            int fx = x - s->left, fy = y - s->top;
            uint8_t want[3] = {0, 0, 0};
            if (fx >= 0 && fy >= 0 && fx < s->fw && fy < s->fh &&
                frame_index(fx, fy) != s->transparent) {
                GifColorType c;
                colour(frame_index(fx, fy) + (s->local_map ? 16 : 0), &c);
                want[0] = c.Red, want[1] = c.Green, want[2] = c.Blue;
            }
            if (memcmp(tu_px(img, x, y), want, 3) != 0)
                return fc_test_fail(__FILE__, __LINE__, "pixel (%d,%d)", x, y);
        }
    return FC_TEST_PASS;
}

TEST(image_gif_first_frame_on_the_screen)
{
    static const gif_spec specs[] = {
        {30, 20, 0, 0, 30, 20, 0, 0, -1, 0},
        {30, 20, 4, 3, 20, 13, 0, 0, -1, 1},
        {30, 20, 4, 3, 20, 13, 1, 0, -1, 1},
        {30, 20, 4, 3, 20, 13, 1, 1, 5, 0},
        {30, 20, 20, 10, 20, 13, 0, 0, -1, 0}, /* frame hangs off the screen: clipped */
        {0, 0, 2, 1, 9, 7, 0, 0, -1, 0},       /* no screen size: the frame's extent */
    };
    static gif_out o;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        CHECK(gif_of(&specs[i], &o) == 0);
        fc_error err = {0};
        fc_image *img = decode(o.buf, o.n, &err);
        CHECK_MSG(img, "spec %zu: %s", i, err.msg);
        int want_w = specs[i].sw ? specs[i].sw : specs[i].left + specs[i].fw;
        int want_h = specs[i].sh ? specs[i].sh : specs[i].top + specs[i].fh;
        CHECK_MSG(img->width == want_w && img->height == want_h, "spec %zu: %dx%d", i,
                  img->width, img->height);
        int r = matches(img, &specs[i]);
        fc_image_free(img);
        if (r != FC_TEST_PASS)
            return r;
        fc_image_info info;
        CHECK_OK(fc_image_probe(o.buf, o.n, NULL, &info, &err), &err);
        CHECK(info.format == FC_IMAGE_GIF && info.width == want_w && info.orientation == 1);
    }
    return FC_TEST_PASS;
}

TEST(image_gif_limits_and_truncation)
{
    static gif_out o;
    gif_spec s = {64, 48, 0, 0, 64, 48, 0, 0, -1, 0};
    CHECK(gif_of(&s, &o) == 0);
    for (size_t cut = 3; cut < o.n - 2; cut += o.n / 9 + 1) {
        fc_error err = {0};
        fc_image *img = decode(o.buf, cut, &err);
        CHECK_MSG(img == NULL, "cut at %zu of %zu decoded", cut, o.n);
        CHECK(err.code != FC_OK && err.msg[0]);
    }
    /* screen of 60000 x 60000 */
    s = (gif_spec){60000, 60000, 0, 0, 8, 8, 0, 0, -1, 0};
    CHECK(gif_of(&s, &o) == 0);
    fc_error err = {0};
    uint64_t allocs = fc_alloc_count();
    CHECK(decode(o.buf, o.n, &err) == NULL && err.code == FC_ERR_LIMIT);
    CHECK(fc_alloc_count() == allocs);
    CHECK_MSG(strstr(err.msg, "60000x60000"), "%s", err.msg);
    /* a small screen with a huge frame: the frame's size is limited too */
    s = (gif_spec){8, 8, 0, 0, 60000, 60000, 0, 0, -1, 0};
    static gif_out big; /* only the header matters: write one line */
    gif_spec head = s;
    head.fh = 1;
    CHECK(gif_of(&head, &big) == 0);
    /* patch the frame height in the image descriptor (after ',' left top width) */
    for (size_t i = 13 + 48; i + 9 < big.n; i++)
        if (big.buf[i] == ',') {
            big.buf[i + 7] = 60000 & 255, big.buf[i + 8] = 60000 >> 8;
            break;
        }
    CHECK(decode(big.buf, big.n, &err) == NULL && err.code == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}
