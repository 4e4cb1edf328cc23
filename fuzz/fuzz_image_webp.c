/* fuzz_image_webp.c - libFuzzer target for the webp decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_WEBP
#include "fuzz_image.h"
