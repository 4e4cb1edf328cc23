/* face_util.h - helpers for the face tests: synthetic models (built once per run by
 * tests/fixtures/make_face_models.py), default-model paths, in-memory images. */
#ifndef FC_TESTS_FACE_UTIL_H
#define FC_TESTS_FACE_UTIL_H

#include "face/pipeline.h"
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

/* cfg = the defaults with the models under <root>/models, one worker; 0 when a
 * default model is missing. */
int fc_face_test_default_config(fc_pipeline_config *cfg);

/* samples/sample<i>.jpg (malloc'd); NULL when absent. */
uint8_t *fc_face_test_sample(int i, size_t *len);

/* HEIC of img through libheif's HEVC encoder (malloc'd); NULL if there is none. */
uint8_t *fc_face_test_heic(const fc_image *img, size_t *len);

/* Index of the face in f whose box overlaps box most (-1 if none overlaps). */
int fc_face_test_match(const fc_faces *f, const fc_rect *box);

#define SKIP_WITHOUT_DEFAULTS(cfg)                                                      \
    do {                                                                                \
        if (!fc_face_test_default_config(&(cfg)))                                       \
            SKIP("models/ lacks the default models (scripts/setup fetches them)");      \
    } while (0)

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
