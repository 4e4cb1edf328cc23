/* face_util.h - helpers for the face tests: synthetic models (built once per run by
 * tests/fixtures/make_face_models.py), default-model paths, in-memory images. */
#ifndef FC_TESTS_FACE_UTIL_H
#define FC_TESTS_FACE_UTIL_H

#include "image/image.h"

#include <stddef.h>
#include <stdint.h>

/* The folder holding the synthetic models, built on first call; NULL (with the
 * reason in fc_face_test_why) when /usr/bin/python3 with onnx cannot build them. */
const char *fc_face_test_synth_dir(void);
extern char fc_face_test_why[256];

/* path = <dir>/<file>; returns path. */
const char *fc_face_test_path(char *path, size_t n, const char *dir, const char *file);

/* 1 and path = models/<file> when the default model is present, else 0. */
int fc_face_test_default_model(const char *file, char *path, size_t n);

/* A w x h RGB image in plain malloc'd memory (needs nothing from src/image), zero
 * filled, scale 1. Free with fc_face_test_image_free. */
fc_image *fc_face_test_image(int w, int h);
void fc_face_test_image_free(fc_image *img);
/* Fills img with seeded pseudo-random texture. */
void fc_face_test_fill_noise(fc_image *img, uint32_t seed);

/* Reads a whole file (malloc'd, caller frees); NULL if it cannot. */
uint8_t *fc_face_test_read(const char *path, size_t *len);

#define SKIP_WITHOUT_SYNTH(dir)                                                         \
    do {                                                                                \
        if (!((dir) = fc_face_test_synth_dir()))                                        \
            SKIP("%s", fc_face_test_why);                                               \
    } while (0)

#define SKIP_WITHOUT_DEFAULT_MODEL(file, path)                                          \
    do {                                                                                \
        if (!fc_face_test_default_model((file), (path), sizeof(path)))                  \
            SKIP("models/%s not present (scripts/setup fetches it)", (file));           \
    } while (0)

#endif
