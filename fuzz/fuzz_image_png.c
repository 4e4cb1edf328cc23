/* fuzz_image_png.c - libFuzzer target for the png decoder (see fuzz_image.h). */
#define FUZZ_FORMAT FC_IMAGE_PNG
#include "fuzz_image.h"
