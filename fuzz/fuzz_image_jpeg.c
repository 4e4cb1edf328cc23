/* fuzz_image_jpeg.c - libFuzzer target for the jpeg decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_JPEG
#include "fuzz_image.h"
