/* fuzz_image_tiff.c - libFuzzer target for the tiff decoder (see fuzz_image.h). The
 * decode runs in this process (FUZZ_IN_PROCESS), where the fuzzer sees a crash in
 * libtiff or in tiff.c; facecluster itself decodes TIFF in a child (isolate.c). */
#define FUZZ_FORMAT FC_IMAGE_TIFF
#define FUZZ_IN_PROCESS 1
#include "fuzz_image.h"
