/* fuzz_image_tiff.c - libFuzzer target for the tiff decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_TIFF
#include "fuzz_image.h"
