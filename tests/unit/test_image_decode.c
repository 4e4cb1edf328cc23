/* test_image_decode.c - the format-independent entry: sniffing by bytes, empty and
 * non-image input, files named wrongly, the byte limit, limits from the
 * environment, loading files. */
#include "test.h"

#include "image/image.h"
#include "image_util.h"

#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

TEST(image_sniff_by_bytes)
{
    static const struct {
        const char *bytes;
        size_t len;
        fc_image_format want;
    } cases[] = {
        {"\xFF\xD8\xFF\xE0", 4, FC_IMAGE_JPEG},
        {"\x89PNG\r\n\x1a\n", 8, FC_IMAGE_PNG},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, FC_IMAGE_WEBP},
        {"\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24, FC_IMAGE_HEIF},
        {"\0\0\0\x1c" "ftypmif1\0\0\0\0mif1miafavif", 28, FC_IMAGE_HEIF},
        {"BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0", 18, FC_IMAGE_BMP},
        {"II*\0\x08\0\0\0", 8, FC_IMAGE_TIFF},
        {"MM\0*\0\0\0\x08", 8, FC_IMAGE_TIFF},
        {"GIF89a", 6, FC_IMAGE_GIF},
        {"GIF87a", 6, FC_IMAGE_GIF},
        {"GIF88a", 6, FC_IMAGE_UNKNOWN},
        {"\0\0\0\x18" "ftypmp42\0\0\0\0isommp42", 24, FC_IMAGE_UNKNOWN},
        {"RIFF\x10\0\0\0WAVE", 12, FC_IMAGE_UNKNOWN},
        {"BM\0\0\0\0\0\0\0\0\0\0\0\0\x07\0\0\0", 18, FC_IMAGE_UNKNOWN},
        {"\xFF\xD8", 2, FC_IMAGE_UNKNOWN},
        {"hello, world", 12, FC_IMAGE_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(fc_image_sniff((const uint8_t *)cases[i].bytes, cases[i].len) == cases[i].want,
                  "case %zu: got %s", i,
                  fc_image_format_name(fc_image_sniff((const uint8_t *)cases[i].bytes,
                                                      cases[i].len)));
    CHECK(fc_image_sniff(NULL, 0) == FC_IMAGE_UNKNOWN);
    CHECK(strcmp(fc_image_format_name(FC_IMAGE_JPEG), "jpeg") == 0);
    CHECK(strcmp(fc_image_format_name(FC_IMAGE_GIF), "gif") == 0);
    CHECK(strcmp(fc_image_format_name(FC_IMAGE_UNKNOWN), "unknown") == 0);
    CHECK(strcmp(fc_image_format_name((fc_image_format)99), "unknown") == 0);
    return FC_TEST_PASS;
}

TEST(image_empty_input_is_a_clear_error)
{
    fc_error err = {0};
    fc_decode_opts opts = fc_decode_opts_default();
    CHECK(fc_image_decode((const uint8_t *)"", 0, &opts, &err) == NULL);
    CHECK(err.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "0 bytes"), "%s", err.msg);
    const char *path = tu_write_tmp("empty.jpg", "", 0);
    CHECK(path);
    fc_error err2 = {0};
    CHECK(fc_image_load(path, &opts, &err2) == NULL);
    CHECK(err2.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err2.msg, "empty") && strstr(err2.msg, "empty.jpg"), "%s", err2.msg);
    fc_image_info info;
    fc_error err3 = {0};
    CHECK(fc_image_probe(NULL, 0, NULL, &info, &err3) == FC_ERR_FORMAT);
    return FC_TEST_PASS;
}

TEST(image_text_named_jpg_is_not_an_image)
{
    const char *text = "<html><body>404 not found</body></html>\n";
    const char *path = tu_write_tmp("page.jpg", text, strlen(text));
    CHECK(path);
    fc_error err = {0};
    fc_image *img = fc_image_load(path, NULL, &err);
    CHECK(img == NULL);
    CHECK(err.code == FC_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "not a supported image format") && strstr(err.msg, "3c 68 74") &&
                  strstr(err.msg, "<html>") && strstr(err.msg, "page.jpg"),
              "%s", err.msg);
    return FC_TEST_PASS;
}

TEST(image_wrong_extension_decodes_by_bytes)
{
    fc_image *pat = tu_pattern(40, 24, 8);
    size_t len;
    uint8_t *jpeg = tu_jpeg(pat, 100, TJSAMP_444, 0, &len);
    CHECK(jpeg);
    const char *path = tu_write_tmp("really_a_jpeg.png", jpeg, len);
    fc_error err = {0};
    fc_image *img = fc_image_load(path, NULL, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 40 && img->height == 24 && img->scale == 1.0f);
    CHECK(img->full_width == 40 && img->full_height == 24);
    CHECK(tu_max_diff(img, pat) <= 6);
    fc_image_free(img);
    fc_image_free(pat);
    free(jpeg);
    return FC_TEST_PASS;
}

TEST(image_byte_limit_before_reading)
{
    uint8_t buf[200] = {0xFF, 0xD8, 0xFF};
    fc_decode_opts opts = fc_decode_opts_default();
    opts.limits.max_bytes = 100;
    fc_error err = {0};
    CHECK(fc_image_decode(buf, sizeof buf, &opts, &err) == NULL);
    CHECK(err.code == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err.msg, "200 bytes") && strstr(err.msg, "MAX_IMAGE_SIZE_BYTES=100"), "%s",
              err.msg);
    const char *path = tu_write_tmp("big.jpg", buf, sizeof buf);
    fc_error err2 = {0};
    CHECK(fc_image_load(path, &opts, &err2) == NULL);
    CHECK(err2.code == FC_ERR_LIMIT);
    CHECK_MSG(strstr(err2.msg, "MAX_IMAGE_SIZE_BYTES=100"), "%s", err2.msg);
    fc_image_info info;
    fc_error err3 = {0};
    CHECK(fc_image_probe(buf, sizeof buf, &opts.limits, &info, &err3) == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}

TEST(image_load_missing_file)
{
    fc_error err = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/no-such-file.jpg", fc_test_tmpdir());
    CHECK(fc_image_load(path, NULL, &err) == NULL);
    CHECK(err.code == FC_ERR_IO);
    CHECK_MSG(strstr(err.msg, "no-such-file.jpg"), "%s", err.msg);
    fc_error err2 = {0};
    CHECK(fc_image_load(fc_test_tmpdir(), NULL, &err2) == NULL); /* a directory */
    CHECK(err2.code == FC_ERR_IO);
    return FC_TEST_PASS;
}

/* Sets (or with NULL unsets) both variables. */
static void set_env(const char *bytes, const char *pixels)
{
    if (bytes)
        setenv("MAX_IMAGE_SIZE_BYTES", bytes, 1);
    else
        unsetenv("MAX_IMAGE_SIZE_BYTES");
    if (pixels)
        setenv("MAX_IMAGE_PIXELS", pixels, 1);
    else
        unsetenv("MAX_IMAGE_PIXELS");
}

TEST(image_limits_from_env)
{
    char *old_b = getenv("MAX_IMAGE_SIZE_BYTES"), *old_p = getenv("MAX_IMAGE_PIXELS");
    char keep_b[64] = "", keep_p[64] = "";
    if (old_b)
        snprintf(keep_b, sizeof keep_b, "%s", old_b);
    if (old_p)
        snprintf(keep_p, sizeof keep_p, "%s", old_p);
    fc_image_limits lim;
    fc_error err = {0};
    int rc = FC_TEST_PASS;

    set_env(NULL, NULL);
    if (fc_image_limits_from_env(&lim, &err) != FC_OK || lim.max_bytes != 20u * 1024 * 1024 ||
        lim.max_pixels != 50000000u)
        rc = fc_test_fail(__FILE__, __LINE__, "defaults: %zu %llu", lim.max_bytes,
                          (unsigned long long)lim.max_pixels);
    set_env("1000", "0");
    if (rc == FC_TEST_PASS &&
        (fc_image_limits_from_env(&lim, &err) != FC_OK || lim.max_bytes != 1000 ||
         lim.max_pixels != 0))
        rc = fc_test_fail(__FILE__, __LINE__, "1000/0 not read");
    static const char *const bad[] = {"abc", "-5", "12junk", " 12", "+7", "1e6",
                                      "99999999999999999999999"};
    for (size_t i = 0; rc == FC_TEST_PASS && i < sizeof bad / sizeof bad[0]; i++) {
        set_env(NULL, bad[i]);
        fc_error e = {0};
        fc_status st = fc_image_limits_from_env(&lim, &e);
        if (st != FC_ERR_ARG || !strstr(e.msg, "MAX_IMAGE_PIXELS") ||
            lim.max_pixels != 50000000u || lim.max_bytes != 20u * 1024 * 1024)
            rc = fc_test_fail(__FILE__, __LINE__, "\"%s\": %s / %s", bad[i], fc_strerror(st),
                              e.msg);
        fc_decode_opts d = fc_decode_opts_default(); /* falls back to the default */
        if (rc == FC_TEST_PASS && d.limits.max_pixels != 50000000u)
            rc = fc_test_fail(__FILE__, __LINE__, "default opts took \"%s\"", bad[i]);
    }
    set_env("x", NULL);
    fc_error e2 = {0};
    if (rc == FC_TEST_PASS && (fc_image_limits_from_env(&lim, &e2) != FC_ERR_ARG ||
                               !strstr(e2.msg, "MAX_IMAGE_SIZE_BYTES=\"x\"")))
        rc = fc_test_fail(__FILE__, __LINE__, "bytes: %s", e2.msg);
    set_env("", "");
    if (rc == FC_TEST_PASS && (fc_image_limits_from_env(&lim, &err) != FC_OK ||
                               lim.max_pixels != 50000000u))
        rc = fc_test_fail(__FILE__, __LINE__, "empty values are the defaults");
    set_env(old_b ? keep_b : NULL, old_p ? keep_p : NULL);
    return rc;
}

TEST(image_decode_seconds_from_env)
{
    const char *was = getenv("MAX_DECODE_SECONDS");
    char keep[64] = "";
    if (was)
        snprintf(keep, sizeof keep, "%s", was);
    fc_image_limits lim;
    fc_error err = {0};
    int rc = FC_TEST_PASS;
    unsetenv("MAX_DECODE_SECONDS");
    if (fc_image_limits_from_env(&lim, &err) != FC_OK || lim.max_decode_seconds != 60)
        rc = fc_test_fail(__FILE__, __LINE__, "default: %u", lim.max_decode_seconds);
    setenv("MAX_DECODE_SECONDS", "0", 1);
    if (rc == FC_TEST_PASS &&
        (fc_image_limits_from_env(&lim, &err) != FC_OK || lim.max_decode_seconds != 0))
        rc = fc_test_fail(__FILE__, __LINE__, "0 (no limit) not read");
    static const char *const bad[] = {"abc", "-1", "86401", "1.5"};
    for (size_t i = 0; rc == FC_TEST_PASS && i < sizeof bad / sizeof bad[0]; i++) {
        setenv("MAX_DECODE_SECONDS", bad[i], 1);
        fc_error e = {0};
        if (fc_image_limits_from_env(&lim, &e) != FC_ERR_ARG ||
            !strstr(e.msg, "MAX_DECODE_SECONDS") || lim.max_decode_seconds != 60 ||
            fc_decode_opts_default().limits.max_decode_seconds != 60)
            rc = fc_test_fail(__FILE__, __LINE__, "\"%s\": %s (%u)", bad[i], e.msg,
                              lim.max_decode_seconds);
    }
    if (was)
        setenv("MAX_DECODE_SECONDS", keep, 1);
    else
        unsetenv("MAX_DECODE_SECONDS");
    return rc;
}

TEST(image_new_and_free)
{
    fc_error err = {0};
    fc_image *img = fc_image_new(7, 5, &err);
    CHECK(img);
    CHECK(img->width == 7 && img->height == 5 && img->stride >= 21 && img->scale == 1.0f);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 21; x++)
            CHECK(tu_px(img, 0, y)[x] == 0);
    fc_image_free(img);
    fc_image_free(NULL);
    CHECK(fc_image_new(0, 5, &err) == NULL && err.code == FC_ERR_ARG);
    CHECK(fc_image_new(1 << 30, 1 << 30, &err) == NULL && err.code == FC_ERR_LIMIT);
    return FC_TEST_PASS;
}

TEST(image_write_png_round_trip)
{
    fc_image *pat = tu_noise(33, 17, 7);
    char path[600];
    snprintf(path, sizeof path, "%s/round.png", fc_test_tmpdir());
    fc_error err = {0};
    CHECK_OK(fc_image_write_png(pat, path, &err), &err);
    fc_image *back = fc_image_load(path, NULL, &err);
    CHECK_MSG(back, "%s", err.msg);
    CHECK(tu_max_diff(back, pat) == 0);
    fc_image_free(back);
    snprintf(path, sizeof path, "%s/no/such/dir/x.png", fc_test_tmpdir());
    CHECK(fc_image_write_png(pat, path, &err) == FC_ERR_IO);
    CHECK(fc_image_write_png(NULL, path, &err) == FC_ERR_ARG);
    fc_image_free(pat);
    return FC_TEST_PASS;
}
