/* image.c - the RGB image's lifecycle, and the one place pixel buffers are sized:
 * limits and overflow are checked here before anything is allocated. */
#include "core/alloc.h"
#include "image/codec.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

fc_status fc_image_check_pixels(const char *what, int64_t width, int64_t height,
                                const fc_image_limits *limits, fc_error *err)
{
    if (width < 1 || height < 1)
        return fc_error_set(err, FC_ERR_FORMAT, "%s: bad image size %" PRId64 "x%" PRId64,
                            what, width, height);
    int64_t pixels;
    if (fc_mul_overflow(width, height, &pixels) ||
        (limits && limits->max_pixels && (uint64_t)pixels > limits->max_pixels))
        return fc_error_set(err, FC_ERR_LIMIT,
                            "%s: image is %" PRId64 "x%" PRId64 " pixels, over "
                            "MAX_IMAGE_PIXELS=%" PRIu64,
                            what, width, height, limits ? limits->max_pixels : 0);
    return FC_OK;
}

fc_image *fc_image_alloc_checked(const char *what, int64_t width, int64_t height,
                                 const fc_image_limits *limits, fc_error *err)
{
    if (fc_image_check_pixels(what, width, height, limits, err))
        return NULL;
    int64_t stride, bytes;
    if (fc_mul_overflow(width, 3, &stride) || stride > INT_MAX ||
        fc_mul_overflow(stride, height, &bytes) || (uint64_t)bytes > SIZE_MAX / 2 ||
        height > INT_MAX) {
        fc_error_set(err, FC_ERR_LIMIT, "%s: image %" PRId64 "x%" PRId64 " is too large",
                     what, width, height);
        return NULL;
    }
    fc_image *img = calloc(1, sizeof *img);
    uint8_t *rgb = img ? fc_aligned_alloc((size_t)bytes) : NULL;
    if (!rgb) {
        free(img);
        fc_error_set(err, FC_ERR_NOMEM, "%s: no memory for a %" PRId64 "x%" PRId64 " image",
                     what, width, height);
        return NULL;
    }
    img->width = img->full_width = (int)width;
    img->height = img->full_height = (int)height;
    img->stride = (int)stride;
    img->rgb = rgb;
    img->scale = 1.0f;
    return img;
}

fc_image *fc_image_new(int width, int height, fc_error *err)
{
    if (width < 1 || height < 1) {
        fc_error_set(err, FC_ERR_ARG, "fc_image_new: bad size %dx%d", width, height);
        return NULL;
    }
    return fc_image_alloc_checked("image", width, height, NULL, err);
}

void fc_image_free(fc_image *img)
{
    if (!img)
        return;
    fc_aligned_free(img->rgb);
    free(img);
}
