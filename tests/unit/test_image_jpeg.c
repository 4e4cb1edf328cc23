/* test_image_jpeg.c - JPEG: pixels, grey, CMYK (Adobe-inverted and plain),
 * progressive, the 8 EXIF orientations, DCT scaling, header limits, truncation, and
 * the real sample photos. */
#include "test.h"

#include "core/alloc.h"
#include "image/codec.h"
#include "image/image.h"
#include "image_util.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include <jpeglib.h>

static fc_image *decode(const uint8_t *data, size_t len, const fc_decode_opts *o, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    return fc_image_decode(data, len, o ? o : &d, err);
}

TEST(image_jpeg_rgb_pixels)
{
    fc_image *pat = tu_pattern(48, 40, 8);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 100, TJSAMP_444, 0, &len);
    fc_error err = {0};
    fc_image *img = decode(jpeg, len, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 48 && img->height == 40 && img->stride >= 3 * 48);
    CHECK_MSG(tu_max_diff(img, pat) <= 4, "max diff %d", tu_max_diff(img, pat));
    fc_image_info info;
    CHECK_OK(fc_image_probe(jpeg, len, NULL, &info, &err), &err);
    CHECK(info.format == FC_IMAGE_JPEG && info.width == 48 && info.height == 40 &&
          info.orientation == 1 && info.display_width == 48 && info.display_height == 40);
    fc_image_free(img);
    free(jpeg);
    fc_image_free(pat);
    /* progressive, 4:2:0 (chroma at half resolution: blocks of 16 keep their colour
     * at their centres) */
    pat = tu_pattern(64, 48, 16);
    jpeg = tu_jpeg(pat, 95, TJSAMP_420, TJFLAG_PROGRESSIVE, &len);
    img = decode(jpeg, len, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK_MSG(tu_max_diff_centres(img, pat, 16) <= 6, "centre diff %d",
              tu_max_diff_centres(img, pat, 16));
    fc_image_free(img);
    free(jpeg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_jpeg_grey_becomes_rgb)
{
    fc_image *pat = tu_pattern(32, 24, 8);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 100, TJSAMP_GRAY, 0, &len);
    fc_error err = {0};
    fc_image *img = decode(jpeg, len, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 32; x++) {
            const uint8_t *p = tu_px(img, x, y), *q = tu_px(pat, x, y);
            CHECK(p[0] == p[1] && p[1] == p[2]);
            int luma = (299 * q[0] + 587 * q[1] + 114 * q[2] + 500) / 1000;
            CHECK_MSG(abs(p[0] - luma) <= 3, "(%d,%d) %d vs %d", x, y, p[0], luma);
        }
    fc_image_free(img);
    free(jpeg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* A CMYK JPEG through the libjpeg API (TurboJPEG cannot leave out the Adobe marker). */
static uint8_t *cmyk_jpeg(const uint8_t *cmyk, int w, int h, int adobe, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, adobe ? JCS_YCCK : JCS_CMYK);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++)
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    c.write_Adobe_marker = adobe ? TRUE : FALSE;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(cmyk + (size_t)c.next_scanline * 4 * (size_t)w);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    uint8_t *copy = malloc(n);
    if (copy)
        memcpy(copy, out, n);
    free(out);
    *len = n;
    return copy;
}

TEST(image_jpeg_cmyk_plain_and_adobe_inverted)
{
    enum { W = 32, H = 16 };
    fc_image *pat = tu_pattern(W, H, 8);
    uint8_t *cmyk = malloc(4 * W * H);
    CHECK(cmyk);
    for (int adobe = 0; adobe <= 1; adobe++) {
        /* K = 0 ink everywhere: plain stores C = 255 - R; Adobe stores the inverse. */
        for (int i = 0; i < W * H; i++) {
            const uint8_t *p = tu_px(pat, i % W, i / W);
            for (int c = 0; c < 3; c++)
                cmyk[4 * i + c] = (uint8_t)(adobe ? p[c] : 255 - p[c]);
            cmyk[4 * i + 3] = adobe ? 255 : 0;
        }
        size_t len;
        uint8_t *jpeg = cmyk_jpeg(cmyk, W, H, adobe, &len);
        CHECK(jpeg);
        fc_error err = {0};
        fc_image *img = decode(jpeg, len, NULL, &err);
        CHECK_MSG(img, "adobe %d: %s", adobe, err.msg);
        CHECK_MSG(tu_max_diff(img, pat) <= 6, "adobe %d: max diff %d", adobe,
                  tu_max_diff(img, pat));
        fc_image_free(img);
        free(jpeg);
    }
    /* half black ink darkens by half */
    for (int i = 0; i < W * H; i++)
        cmyk[4 * i] = cmyk[4 * i + 1] = cmyk[4 * i + 2] = 255, cmyk[4 * i + 3] = 128;
    size_t len;
    uint8_t *jpeg = cmyk_jpeg(cmyk, W, H, 1, &len);
    fc_error err = {0};
    fc_image *img = decode(jpeg, len, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK_MSG(abs(tu_px(img, 5, 5)[0] - 128) <= 3, "%d", tu_px(img, 5, 5)[0]);
    fc_image_free(img);
    free(jpeg);
    free(cmyk);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* Display (dx, dy) of orientation o reads stored (sx, sy): the EXIF definition,
 * written independently of orient.c. */
static void stored_of_display(int o, int w, int h, int dx, int dy, int *sx, int *sy)
{
    switch (o) {
    case 1: *sx = dx, *sy = dy; break;
    case 2: *sx = w - 1 - dx, *sy = dy; break;
    case 3: *sx = w - 1 - dx, *sy = h - 1 - dy; break;
    case 4: *sx = dx, *sy = h - 1 - dy; break;
    case 5: *sx = dy, *sy = dx; break;
    case 6: *sx = dy, *sy = h - 1 - dx; break;
    case 7: *sx = w - 1 - dy, *sy = h - 1 - dx; break;
    default: *sx = w - 1 - dy, *sy = dx; break;
    }
}

TEST(image_jpeg_exif_orientations)
{
    enum { W = 48, H = 32 };
    fc_image *pat = tu_pattern(W, H, 8);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 100, TJSAMP_444, 0, &len);
    for (int o = 1; o <= 8; o++)
        for (int be = 0; be <= 1; be++) {
            size_t elen;
            uint8_t *ej = tu_jpeg_with_orientation(jpeg, len, o, be, &elen);
            CHECK(ej);
            fc_image_info info;
            fc_error err = {0};
            CHECK_OK(fc_image_probe(ej, elen, NULL, &info, &err), &err);
            CHECK(info.orientation == o && info.width == W && info.height == H);
            CHECK(info.display_width == (o >= 5 ? H : W));
            fc_image *img = decode(ej, elen, NULL, &err);
            CHECK_MSG(img, "orientation %d: %s", o, err.msg);
            CHECK(img->width == info.display_width && img->height == info.display_height);
            CHECK(img->full_width == img->width && img->full_height == img->height);
            for (int dy = 0; dy < img->height; dy++)
                for (int dx = 0; dx < img->width; dx++) {
                    int sx, sy;
                    stored_of_display(o, W, H, dx, dy, &sx, &sy);
                    for (int c = 0; c < 3; c++)
                        CHECK_MSG(abs(tu_px(img, dx, dy)[c] - tu_px(pat, sx, sy)[c]) <= 4,
                                  "orientation %d at (%d,%d)", o, dx, dy);
                }
            fc_image_free(img);
            /* ignore_orientation keeps the stored pixels */
            fc_decode_opts opts = fc_decode_opts_default();
            opts.ignore_orientation = 1;
            img = decode(ej, elen, &opts, &err);
            CHECK(img && img->width == W && img->height == H && tu_max_diff(img, pat) <= 4);
            fc_image_free(img);
            free(ej);
        }
    free(jpeg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_jpeg_dct_scaling)
{
    enum { W = 256, H = 192 };
    fc_image *pat = tu_pattern(W, H, 32);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 95, TJSAMP_420, 0, &len);
    fc_error err = {0};
    fc_image *full = decode(jpeg, len, NULL, &err);
    CHECK_MSG(full, "%s", err.msg);
    static const struct {
        int min_long, scale, w, h;
    } cases[] = {{0, 1, 256, 192},  {300, 1, 256, 192}, {200, 1, 256, 192}, {128, 2, 128, 96},
                 {100, 2, 128, 96}, {64, 4, 64, 48},    {33, 4, 64, 48},     {32, 8, 32, 24},
                 {1, 8, 32, 24}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fc_decode_opts opts = fc_decode_opts_default();
        opts.min_long_side = cases[i].min_long;
        fc_image *img = decode(jpeg, len, &opts, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK_MSG(img->width == cases[i].w && img->height == cases[i].h &&
                      img->scale == (float)cases[i].scale,
                  "min_long_side %d: %dx%d scale %g", cases[i].min_long, img->width,
                  img->height, img->scale);
        CHECK(img->full_width == W && img->full_height == H);
        /* close to an area downscale of the full decode */
        fc_image *box = fc_image_new(img->width, img->height, &err);
        fc_image_resize(full, box);
        /* blocks of 32 shrink to 32 / scale: their centres agree, edges differ a little */
        double mean = tu_mean_diff(img, box);
        int centres = tu_max_diff_centres(img, box, 32 / cases[i].scale);
        CHECK_MSG(mean < 5.0 && centres <= 4, "scale %d: mean diff %.2f, centres %d",
                  cases[i].scale, mean, centres);
        fc_image_free(box);
        fc_image_free(img);
    }
    /* with orientation 6 the full size is the displayed one */
    size_t elen;
    uint8_t *ej = tu_jpeg_with_orientation(jpeg, len, 6, 0, &elen);
    fc_decode_opts opts = fc_decode_opts_default();
    opts.min_long_side = 64;
    fc_image *img = decode(ej, elen, &opts, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 48 && img->height == 64 && img->scale == 4.0f);
    CHECK(img->full_width == H && img->full_height == W);
    fc_image_free(img);
    free(ej);
    fc_image_free(full);
    free(jpeg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* A valid small JPEG whose frame header says w x h. */
static uint8_t *jpeg_claiming(int w, int h, size_t *len)
{
    fc_image *pat = tu_pattern(16, 16, 8);
    uint8_t *jpeg = tu_jpeg(pat, 90, TJSAMP_444, 0, len);
    fc_image_free(pat);
    for (size_t i = 2; jpeg && i + 9 < *len; i++)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
            jpeg[i + 5] = (uint8_t)(h >> 8), jpeg[i + 6] = (uint8_t)h;
            jpeg[i + 7] = (uint8_t)(w >> 8), jpeg[i + 8] = (uint8_t)w;
            return jpeg;
        }
    free(jpeg);
    return NULL;
}

TEST(image_jpeg_huge_header_refused_without_allocating)
{
    size_t len;
    uint8_t *jpeg = jpeg_claiming(60000, 60000, &len);
    CHECK(jpeg);
    fc_error err = {0};
    uint64_t allocs = fc_alloc_count();
    fc_image *img = decode(jpeg, len, NULL, &err);
    CHECK(img == NULL);
    CHECK(fc_alloc_count() == allocs);
    CHECK(err.code == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "60000x60000") && strstr(err.msg, "MAX_IMAGE_PIXELS=50000000"),
              "%s", err.msg);
    fc_image_info info;
    CHECK(fc_image_probe(jpeg, len, &(fc_image_limits){.max_pixels = 50000000}, &info, &err) ==
          FC_ERR_LIMIT);
    /* also when scaled decoding would make it small */
    fc_decode_opts opts = fc_decode_opts_default();
    opts.min_long_side = 100;
    CHECK(decode(jpeg, len, &opts, &err) == NULL && err.code == FC_ERR_LIMIT);
    free(jpeg);
    /* a header of 0 height (DNL) is refused clearly too */
    jpeg = jpeg_claiming(16, 0, &len);
    CHECK(decode(jpeg, len, NULL, &err) == NULL && err.code == FC_ERR_UNSUPPORTED);
    free(jpeg);
    return FC_TEST_PASS;
}

TEST(image_jpeg_truncated_is_an_error)
{
    fc_image *pat = tu_noise(64, 48, 3);
    for (int progressive = 0; progressive <= 1; progressive++) {
        size_t len;
        uint8_t *jpeg = tu_jpeg(pat, 90, TJSAMP_420, progressive ? TJFLAG_PROGRESSIVE : 0, &len);
        CHECK(jpeg);
        size_t cuts[] = {1, 2, 3, 10, 100, len / 4, len / 2, 3 * len / 4, len - 40, len - 20};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            fc_error err = {0};
            fc_image *img = decode(jpeg, cuts[i], NULL, &err);
            CHECK_MSG(img == NULL, "progressive %d: cut at %zu of %zu decoded", progressive,
                      cuts[i], len);
            CHECK(err.code == FC_ERR_FORMAT && err.msg[0]);
        }
        /* Only the final EOI missing: a sequential file's one scan is complete, so it
         * decodes; a progressive file could have lost whole scans, so it does not. */
        fc_error err = {0};
        fc_image *img = decode(jpeg, len - 2, NULL, &err);
        if (!progressive) {
            CHECK_MSG(img, "%s", err.msg);
            fc_image *whole = decode(jpeg, len, NULL, &err);
            CHECK(whole && tu_max_diff(img, whole) == 0);
            fc_image_free(whole);
        } else {
            CHECK(!img && err.code == FC_ERR_FORMAT);
        }
        fc_image_free(img);
        free(jpeg);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* An arithmetic-coded 4:4:4 JPEG of img (TurboJPEG 2.1 cannot write one), sequential
 * or progressive. */
static uint8_t *arith_jpeg(const fc_image *img, int progressive, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    for (int i = 0; i < c.num_components; i++) /* 4:4:4 */
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    c.arith_code = TRUE;
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(img->rgb + (size_t)c.next_scanline * (size_t)img->stride);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    uint8_t *copy = malloc(n);
    if (copy)
        memcpy(copy, out, n);
    free(out);
    *len = n;
    return copy;
}

/* In arithmetic coding a marker inside the data is legal (the decoder feeds zeros
 * from there on, without a warning), so the supplied EOI must not be: a cut file
 * decoded with its lower part grey. */
TEST(image_jpeg_truncated_arithmetic_is_an_error)
{
    fc_image *pat = tu_noise(64, 48, 7);
    for (int progressive = 0; progressive <= 1; progressive++) {
        size_t len;
        uint8_t *jpeg = arith_jpeg(pat, progressive, &len);
        CHECK(jpeg);
        fc_error err = {0};
        fc_image *whole = decode(jpeg, len, NULL, &err);
        CHECK_MSG(whole, "progressive %d: %s", progressive, err.msg);
        CHECK_MSG(tu_mean_diff(whole, pat) < 10, "mean diff %.1f", tu_mean_diff(whole, pat));
        fc_image_free(whole);
        size_t cuts[] = {len / 4, len / 2, 3 * len / 4, len - 40, len - 2};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            fc_image *img = decode(jpeg, cuts[i], NULL, &err);
            CHECK_MSG(img == NULL, "progressive %d: cut at %zu of %zu decoded", progressive,
                      cuts[i], len);
            CHECK(err.code == FC_ERR_FORMAT && strstr(err.msg, "jpeg:"));
        }
        free(jpeg);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_jpeg_corrupt_data_is_an_error)
{
    fc_image *pat = tu_noise(64, 48, 5);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 90, TJSAMP_420, 0, &len);
    /* a marker in the middle of the entropy-coded data */
    jpeg[len / 2] = 0xFF, jpeg[len / 2 + 1] = 0xD3;
    fc_error err = {0};
    CHECK(decode(jpeg, len, NULL, &err) == NULL);
    CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, "jpeg:"), "%s", err.msg);
    free(jpeg);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_jpeg_exif_parser_distrusts_offsets)
{
    uint8_t t[64];
    size_t n = tu_exif_tiff(t, 6, 0);
    CHECK(fc_exif_orientation(t, n) == 6);
    uint8_t with_prefix[80] = "Exif\0\0";
    memcpy(with_prefix + 6, t, n);
    CHECK(fc_exif_orientation(with_prefix, n + 6) == 6);
    CHECK(fc_exif_orientation(t, n - 8) == 1);  /* entry value cut off */
    CHECK(fc_exif_orientation(t, 9) == 1);      /* IFD count cut off */
    CHECK(fc_exif_orientation(NULL, 0) == 1);
    uint8_t bad[64];
    memcpy(bad, t, n);
    bad[4] = 0xF0, bad[5] = 0xFF, bad[6] = 0xFF, bad[7] = 0xFF; /* IFD far away */
    CHECK(fc_exif_orientation(bad, n) == 1);
    memcpy(bad, t, n);
    bad[4] = 0xFF, bad[5] = 0xFF, bad[6] = 0xFF, bad[7] = 0xFF; /* offset + 2 wraps */
    CHECK(fc_exif_orientation(bad, n) == 1);
    memcpy(bad, t, n);
    bad[8] = 0xFF, bad[9] = 0xFF; /* 65535 entries claimed */
    CHECK(fc_exif_orientation(bad, n) == 6);
    memcpy(bad, t, n);
    bad[18] = 9; /* out of range */
    CHECK(fc_exif_orientation(bad, n) == 1);
    memcpy(bad, t, n);
    bad[2] = 43; /* not TIFF */
    CHECK(fc_exif_orientation(bad, n) == 1);
    n = tu_exif_tiff(t, 8, 1);
    CHECK(fc_exif_orientation(t, n) == 8);
    /* LONG type */
    n = tu_exif_tiff(t, 3, 0);
    t[12] = 4, t[18] = 3, t[19] = 0, t[20] = 0, t[21] = 0;
    CHECK(fc_exif_orientation(t, n) == 3);
    return FC_TEST_PASS;
}

/* Our decode and TurboJPEG's of the same file agree exactly (same library, same
 * settings); the photos decode at their real size. */
TEST(image_jpeg_sample_photos)
{
    static const int sizes[6][2] = {{1920, 1280}, {1920, 1367}, {1920, 1350},
                                    {1920, 1448}, {1920, 1398}, {1920, 1537}};
    int found = 0;
    for (int i = 0; i < 6; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/samples/sample%d.jpg", fc_test_root(), i + 1);
        size_t len;
        uint8_t *data = tu_read_file(path, &len);
        if (!data)
            continue;
        found++;
        fc_error err = {0};
        fc_image *img = decode(data, len, NULL, &err);
        CHECK_MSG(img, "%s: %s", path, err.msg);
        CHECK(img->width == sizes[i][0] && img->height == sizes[i][1]);
        tjhandle tj = tjInitDecompress();
        uint8_t *ref = malloc((size_t)img->width * img->height * 3);
        CHECK(tj && ref);
        CHECK(tjDecompress2(tj, data, len, ref, img->width, 0, img->height, TJPF_RGB, 0) == 0);
        for (int y = 0; y < img->height; y++)
            CHECK_MSG(memcmp(tu_px(img, 0, y), ref + (size_t)y * img->width * 3,
                             3 * (size_t)img->width) == 0,
                      "%s: row %d differs from TurboJPEG", path, y);
        tjDestroy(tj);
        free(ref);
        fc_decode_opts opts = fc_decode_opts_default();
        opts.min_long_side = 480;
        fc_image *small = decode(data, len, &opts, &err);
        CHECK(small && small->scale == 4.0f && small->width == 480);
        fc_image_free(small);
        fc_image_free(img);
        free(data);
    }
    if (!found)
        SKIP("samples/sample*.jpg not present (scripts/setup fetches them)");
    return FC_TEST_PASS;
}

TEST(image_jpeg_shared_photo_with_orientation_6)
{
    const char *shared = fc_test_shared();
    if (!shared)
        SKIP("../shared/data not present");
    char path[600];
    snprintf(path, sizeof path, "%s/data/insightface/inspireface_test_res/bulk/image_T1.jpeg",
             shared);
    fc_error err = {0};
    fc_image *img = fc_image_load(path, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK_MSG(img->width == 480 && img->height == 640, "%dx%d", img->width, img->height);
    fc_decode_opts opts = fc_decode_opts_default();
    opts.ignore_orientation = 1;
    fc_image *stored = fc_image_load(path, &opts, &err);
    CHECK(stored && stored->width == 640 && stored->height == 480);
    CHECK(tu_orient_in_place(&stored, 6) == 0);
    CHECK(tu_max_diff(img, stored) == 0);
    fc_image_free(stored);
    fc_image_free(img);
    return FC_TEST_PASS;
}
