/* fuzz_image_heif.c - libFuzzer target for the heif decoder (see fuzz_image.h).
 * libheif 1.15 hands an empty AV1 item to dav1d, which refuses it, and the data
 * reference libheif created is never released (40 bytes, in libdav1d): a library
 * bug on hostile AVIF-in-HEIF input, not ours, so LeakSanitizer skips libdav1d. */
#define FUZZ_FORMAT FC_IMAGE_HEIF
#include "fuzz_image.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libdav1d.so\n"; }
