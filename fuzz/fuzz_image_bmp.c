/* fuzz_image_bmp.c - libFuzzer target for the bmp decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_BMP
#include "fuzz_image.h"
