/* limits.c - decode limits from the environment (MAX_IMAGE_SIZE_BYTES,
 * MAX_IMAGE_PIXELS, MAX_DECODE_SECONDS) and the default decode options. */
#include "image/image.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

/* Parses a decimal whole number into *out; -1 if the text is not one (sign, junk,
 * overflow, or above max). */
static int parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE || !end || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Reads one variable into *out (left alone when unset, empty or bad); FC_ERR_ARG
 * when bad. */
static fc_status env_count(const char *name, const char *unit, unsigned long long max,
                           unsigned long long *out, fc_error *err)
{
    const char *text = getenv(name);
    if (!text || !*text)
        return FC_OK;
    unsigned long long v;
    if (parse_count(text, max, &v))
        return fc_error_set(err, FC_ERR_ARG,
                            "%s=\"%.64s\" is not a whole number of %s from 0 (no limit) to %llu",
                            name, text, unit, max);
    *out = v;
    return FC_OK;
}

fc_status fc_image_limits_from_env(fc_image_limits *out, fc_error *err)
{
    unsigned long long bytes = FC_IMAGE_DEFAULT_MAX_BYTES;
    unsigned long long pixels = FC_IMAGE_DEFAULT_MAX_PIXELS;
    unsigned long long seconds = FC_IMAGE_DEFAULT_MAX_DECODE_SECONDS;
    fc_status rc = env_count("MAX_IMAGE_SIZE_BYTES", "bytes", SIZE_MAX, &bytes, err);
    fc_status rc2 = env_count("MAX_IMAGE_PIXELS", "pixels", UINT64_MAX, &pixels, rc ? NULL : err);
    if (!rc)
        rc = rc2;
    rc2 = env_count("MAX_DECODE_SECONDS", "seconds", 86400, &seconds, rc ? NULL : err);
    out->max_bytes = (size_t)bytes;
    out->max_pixels = (uint64_t)pixels;
    out->max_decode_seconds = (unsigned)seconds;
    return rc ? rc : rc2;
}

fc_decode_opts fc_decode_opts_default(void)
{
    fc_decode_opts opts = {0};
    fc_image_limits_from_env(&opts.limits, NULL);
    return opts;
}
