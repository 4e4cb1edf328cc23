/* test_image_isolate.c - the child process that runs HEIF and TIFF decoding
 * (src/image/isolate.c): its answer, its crash and its time limit, with codec
 * functions of this file standing in for a library that returns, dies or never ends. */
#define _GNU_SOURCE
#include "test.h"

#include "image/codec.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const fc_image_codec spin_codec = {.format = FC_IMAGE_UNKNOWN, .name = "spin"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A 3x2 image whose every byte is the first input byte. */
static fc_image *small_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                              fc_error *err)
{
    fc_image *img = fc_image_alloc_checked("spin", 3, 2, &opts->limits, err);
    if (img && n)
        memset(img->rgb, d[0], 18);
    return img;
}

/* A library stuck in a loop on a hostile file. */
static fc_image *endless_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                                fc_error *err)
{
    (void)d, (void)n, (void)opts, (void)err;
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

static fc_status endless_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    (void)d, (void)n, (void)out, (void)err;
    for (volatile unsigned long i = 0;; i++)
        ;
    return FC_OK;
}

static fc_image *crashing_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                                 fc_error *err)
{
    (void)d, (void)n, (void)opts, (void)err;
    abort();
}

/* The caller's thread blocks SIGALRM (as a server thread may): the child's alarm must
 * still end it. Returns the previous mask in *old. */
static void block_alarm(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

TEST(image_isolate_returns_the_child_pixels_within_the_limit)
{
    const uint8_t byte = 77;
    fc_decode_opts opts = fc_decode_opts_default();
    opts.limits.max_decode_seconds = 1;
    fc_error err = {0};
    fc_image *img = fc_decode_isolated(&spin_codec, small_decode, &byte, 1, &opts, &err);
    CHECK_MSG(img, "%s", err.msg);
    CHECK(img->width == 3 && img->height == 2 && img->rgb[0] == 77 && img->rgb[17] == 77);
    fc_image_free(img);
    return FC_TEST_PASS;
}

TEST(image_isolate_endless_decode_is_stopped_at_the_limit)
{
    if (getenv("FC_DECODE_IN_PROCESS"))
        SKIP("FC_DECODE_IN_PROCESS is set: no child process to stop");
    const uint8_t byte = 0;
    fc_decode_opts opts = fc_decode_opts_default();
    opts.limits.max_decode_seconds = 1;
    sigset_t old;
    block_alarm(&old);
    fc_error err = {0};
    double t0 = now_s();
    fc_image *img = fc_decode_isolated(&spin_codec, endless_decode, &byte, 1, &opts, &err);
    double took = now_s() - t0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    CHECK(img == NULL);
    CHECK_MSG(err.code == FC_ERR_LIMIT && strstr(err.msg, "spin: ") &&
                  strstr(err.msg, "MAX_DECODE_SECONDS=1"),
              "%s: %s", fc_strerror(err.code), err.msg);
    CHECK_MSG(took >= 0.9 && took < 10, "took %.2f s", took);
    return FC_TEST_PASS;
}

TEST(image_isolate_endless_probe_is_stopped_by_the_environment_limit)
{
    if (getenv("FC_DECODE_IN_PROCESS"))
        SKIP("FC_DECODE_IN_PROCESS is set: no child process to stop");
    const char *was = getenv("MAX_DECODE_SECONDS");
    char keep[32] = "";
    if (was)
        snprintf(keep, sizeof keep, "%s", was);
    setenv("MAX_DECODE_SECONDS", "1", 1);
    const uint8_t byte = 0;
    fc_image_info info;
    fc_error err = {0};
    fc_status st = fc_probe_isolated(&spin_codec, endless_probe, &byte, 1, &info, &err);
    if (was)
        setenv("MAX_DECODE_SECONDS", keep, 1);
    else
        unsetenv("MAX_DECODE_SECONDS");
    CHECK_MSG(st == FC_ERR_LIMIT && strstr(err.msg, "MAX_DECODE_SECONDS=1"), "%s: %s",
              fc_strerror(st), err.msg);
    return FC_TEST_PASS;
}

TEST(image_isolate_crash_is_a_format_error_not_a_time_limit)
{
    if (getenv("FC_DECODE_IN_PROCESS"))
        SKIP("FC_DECODE_IN_PROCESS is set: the crash would end the tests");
    const uint8_t byte = 0;
    fc_decode_opts opts = fc_decode_opts_default();
    fc_error err = {0};
    fc_image *img = fc_decode_isolated(&spin_codec, crashing_decode, &byte, 1, &opts, &err);
    CHECK(img == NULL);
    CHECK_MSG(err.code == FC_ERR_FORMAT && strstr(err.msg, "crashed") &&
                  strstr(err.msg, "Aborted"),
              "%s", err.msg);
    return FC_TEST_PASS;
}
