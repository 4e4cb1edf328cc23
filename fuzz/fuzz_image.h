/* fuzz_image.h - the body of every image fuzz target: any bytes of the target's
 * format must give an image or an error, never a crash, leak, out-of-bounds access
 * or runaway allocation. Small limits (4 MP, 1 MB) keep each run fast and within
 * the fuzzer's memory; the input's size picks full or DCT-scaled decoding. An image
 * that decodes is checked for sane fields and resized and warped once. Each
 * fuzz_image_<format>.c defines FUZZ_FORMAT and includes this file; FUZZ_IN_PROCESS
 * runs a decoder facecluster isolates in a child (FC_DECODE_IN_PROCESS) in process. */
#ifndef FC_FUZZ_IMAGE_H
#define FC_FUZZ_IMAGE_H

#include "image/image.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_image_use(const fc_image *img)
{
    if (img->width < 1 || img->height < 1 || img->stride < 3 * img->width ||
        img->full_width < 1 || img->full_height < 1 || !(img->scale >= 1.0f))
        abort();
    unsigned sum = 0; /* touch every byte */
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < 3 * img->width; x++)
            sum += img->rgb[(size_t)y * (size_t)img->stride + (size_t)x];
    fc_error err = {0};
    fc_image *small = fc_image_new(17, 13, &err);
    if (!small)
        abort();
    fc_image_resize(img, small);
    static const float m[6] = {0.7f, -0.3f, 5.5f, 0.3f, 0.7f, -2.25f};
    fc_image_warp_affine(img, m, small);
    small->rgb[0] = (uint8_t)sum;
    fc_image_free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_IN_PROCESS
    setenv("FC_DECODE_IN_PROCESS", "1", 1);
#endif
    if (fc_image_sniff(data, size) != FUZZ_FORMAT)
        return 0;
    static const int min_long_side[3] = {0, 100, 17};
    fc_decode_opts opts = {
        .limits = {.max_bytes = 1 << 20, .max_pixels = 4000000},
        .min_long_side = min_long_side[size % 3],
    };
    fc_error err = {0};
    fc_image_info info;
    fc_status st = fc_image_probe(data, size, &opts.limits, &info, &err);
    if (st == FC_OK && (info.orientation < 1 || info.orientation > 8 || info.width < 1 ||
                        info.height < 1))
        abort();
    fc_image *img = fc_image_decode(data, size, &opts, &err);
    if (img)
        fuzz_image_use(img);
    else if (err.code == FC_OK || !err.msg[0])
        abort(); /* a failure must say why */
    fc_image_free(img);
    return 0;
}

#endif
