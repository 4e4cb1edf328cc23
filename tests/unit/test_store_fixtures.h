/* test_store_fixtures.h - what the store tests share: fresh database paths and
 * batches of made-up faces with deterministic embeddings. */
#ifndef FC_TESTS_TEST_STORE_FIXTURES_H
#define FC_TESTS_TEST_STORE_FIXTURES_H

#include "store/store.h"

#include <stddef.h>

/* {tmpdir}/{name}.db into out, with any earlier file (and -wal, -shm) removed. */
void fx_db_path(const char *name, char *out, size_t size);

/* A unit vector of dim floats, the same for the same seed. */
void fx_vector(float *v, int dim, unsigned seed);

/* Images "{prefix}/img_{first + i}.jpg" for i in [0, n_images), each with
 * faces_per_image faces (new UUIDs, bbox/landmarks/scores from the index, embedding
 * fx_vector(dim, seed = image * 100 + face)). */
typedef struct {
    fc_image_rec *images;
    size_t n_images;
    fc_face_rec *faces;
    size_t n_faces;
} fx_batch;

int fx_batch_make(fx_batch *b, const char *prefix, int first, int n_images, int faces_per_image,
                  int dim);
void fx_batch_free(fx_batch *b);

/* Opens the SQLite store at path, or NULL with the reason on stdout. */
fc_store *fx_open(const char *path);

#endif
