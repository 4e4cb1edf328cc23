/* fuzz_image_heif.c - libFuzzer target for the heif decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_HEIF
#include "fuzz_image.h"
