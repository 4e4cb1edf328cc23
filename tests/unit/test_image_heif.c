/* test_image_heif.c - HEIC through libheif: pixels, the container rotation applied
 * exactly once even when EXIF says the same, ignore_orientation, truncation. The
 * fixtures are encoded in memory with libheif's HEVC (x265) encoder. */
#include "test.h"

#include "image/image.h"
#include "image_util.h"

#include <stdlib.h>
#include <string.h>

static fc_image *decode(const uint8_t *data, size_t len, int ignore_orientation, fc_error *err)
{
    fc_decode_opts d = fc_decode_opts_default();
    d.ignore_orientation = ignore_orientation;
    return fc_image_decode(data, len, &d, err);
}

TEST(image_heif_pixels)
{
    fc_image *pat = tu_pattern(64, 48, 16);
    size_t len;
    uint8_t *heic = tu_heic(pat, 1, 0, &len);
    if (!heic)
        SKIP("libheif has no HEVC encoder here");
    CHECK(fc_image_sniff(heic, len) == FC_IMAGE_HEIF);
    fc_error err = {0};
    fc_image *img = decode(heic, len, 0, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 64 && img->height == 48);
    CHECK_MSG(tu_max_diff_centres(img, pat, 16) <= 10, "centres %d",
              tu_max_diff_centres(img, pat, 16));
    fc_image_info info;
    CHECK_OK(fc_image_probe(heic, len, NULL, &info, &err), &err);
    CHECK(info.format == FC_IMAGE_HEIF && info.width == 64 && info.height == 48);
    fc_image_free(img);
    free(heic);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* A phone photo: rotation in irot and the same rotation in EXIF. libheif applies
 * irot; EXIF must not turn it a second time. */
TEST(image_heif_rotation_applied_once)
{
    enum { W = 64, H = 32 };
    fc_image *pat = tu_pattern(W, H, 16);
    for (int o = 2; o <= 8; o += 2) { /* a mirror and three rotations */
        size_t len;
        uint8_t *heic = tu_heic(pat, o, o, &len);
        if (!heic)
            SKIP("libheif has no HEVC encoder here");
        fc_image_info info;
        fc_error err = {0};
        CHECK_OK(fc_image_probe(heic, len, NULL, &info, &err), &err);
        CHECK(info.orientation == 1);
        CHECK_MSG(info.display_width == (o >= 5 ? H : W), "orientation %d: probe %dx%d", o,
                  info.display_width, info.display_height);
        fc_image *img = decode(heic, len, 0, &err);
        CHECK_MSG(img, "%s", err.msg);
        fc_image *want = fc_image_orient(pat, o, &err);
        CHECK(want);
        CHECK_MSG(img->width == want->width && img->height == want->height,
                  "orientation %d: %dx%d", o, img->width, img->height);
        CHECK_MSG(tu_max_diff_centres(img, want, 16) <= 10, "orientation %d: centres %d", o,
                  tu_max_diff_centres(img, want, 16));
        CHECK(img->full_width == img->width && img->scale == 1.0f);
        fc_image_free(img);
        fc_image_free(want);
        /* ignore_orientation: the coded pixels, as stored */
        img = decode(heic, len, 1, &err);
        CHECK_MSG(img, "%s", err.msg);
        CHECK(img->width == W && img->height == H);
        CHECK(tu_max_diff_centres(img, pat, 16) <= 10);
        fc_image_free(img);
        free(heic);
    }
    fc_image_free(pat);
    return FC_TEST_PASS;
}

TEST(image_heif_truncated_is_an_error)
{
    fc_image *pat = tu_noise(64, 48, 5);
    size_t len;
    uint8_t *heic = tu_heic(pat, 1, 0, &len);
    if (!heic)
        SKIP("libheif has no HEVC encoder here");
    size_t cuts[] = {8, 16, 40, 100, len / 4, len / 2, 3 * len / 4, len - 10, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        fc_error err = {0};
        fc_image *img = decode(heic, cuts[i], 0, &err);
        CHECK_MSG(img == NULL, "cut at %zu of %zu decoded", cuts[i], len);
        CHECK(err.code != FC_OK && err.msg[0]);
        /* one line: it goes into detect's JSON and cluster's table of failed files */
        for (const char *c = err.msg; *c; c++)
            CHECK_MSG((unsigned char)*c >= 0x20, "cut at %zu: control character in '%s'",
                      cuts[i], err.msg);
    }
    free(heic);
    fc_image_free(pat);
    return FC_TEST_PASS;
}

/* A 676-byte file found by fuzz/fuzz_image_heif.c: its grid image (item 2) lists
 * itself as a 'dimg' input. libheif 1.15 recursed until the stack overflowed; the
 * decoder now refuses it before libheif reads it. */
TEST(image_heif_cyclic_references_refused)
{
    char path[1024];
    fc_error err = {0};
    snprintf(path, sizeof path, "%s/tests/fixtures/heif_dimg_cycle.heic", fc_test_root());
    fc_decode_opts opts = fc_decode_opts_default();
    fc_image *img = fc_image_load(path, &opts, &err);
    CHECK(img == NULL);
    CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, "cycle"), "%s", err.msg);
    return FC_TEST_PASS;
}

/* Found by the fuzzer in the first version of the reference check, which read one
 * entry past its table: many 'dimg' references, no cycle. Decodes or fails cleanly. */
TEST(image_heif_reference_fanout_is_safe)
{
    char path[1024];
    fc_error err = {0};
    snprintf(path, sizeof path, "%s/tests/fixtures/heif_dimg_fanout.heic", fc_test_root());
    fc_decode_opts opts = fc_decode_opts_default();
    fc_image *img = fc_image_load(path, &opts, &err);
    CHECK(img || err.code != FC_OK);
    fc_image_free(img);
    return FC_TEST_PASS;
}

/* Found by the fuzzer: libheif 1.15 writes out of bounds inside heif_decode_image on
 * this file. HEIF is decoded in a child process, so the crash is one file's error. */
TEST(image_heif_libheif_crash_is_contained)
{
    char path[1024];
    fc_error err = {0};
    snprintf(path, sizeof path, "%s/tests/fixtures/heif_libheif_crash.heic", fc_test_root());
    fc_decode_opts opts = fc_decode_opts_default();
    fc_image *img = fc_image_load(path, &opts, &err);
    CHECK(img == NULL);
    CHECK_MSG(err.code == FC_ERR_FORMAT, "%s", err.msg);
    return FC_TEST_PASS;
}
