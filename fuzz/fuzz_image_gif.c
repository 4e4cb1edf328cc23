/* fuzz_image_gif.c - libFuzzer target for the gif decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_GIF
#include "fuzz_image.h"
