/* test_store_fixtures.c - see test_store_fixtures.h. */
#include "test_store_fixtures.h"

#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fx_db_path(const char *name, char *out, size_t size)
{
    char extra[600];
    snprintf(out, size, "%s/%s.db", fc_test_tmpdir(), name);
    unlink(out);
    snprintf(extra, sizeof extra, "%s-wal", out);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s-shm", out);
    unlink(extra);
}

void fx_vector(float *v, int dim, unsigned seed)
{
    unsigned x = seed * 2654435761u + 12345u;
    double norm = 0;
    for (int i = 0; i < dim; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (float)((int)(x >> 16 & 0x7FFF) - 16384) / 16384.0f;
        norm += (double)v[i] * v[i];
    }
    norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
    for (int i = 0; i < dim; i++)
        v[i] = (float)(v[i] * norm);
}

int fx_batch_make(fx_batch *b, const char *prefix, int first, int n_images, int faces_per_image,
                  int dim)
{
    memset(b, 0, sizeof *b);
    b->images = calloc((size_t)n_images, sizeof *b->images);
    b->faces = calloc((size_t)(n_images * faces_per_image) + 1, sizeof *b->faces);
    if (!b->images || !b->faces)
        return -1;
    for (int i = 0; i < n_images; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/img_%d.jpg", prefix, first + i);
        fc_image_rec *img = &b->images[b->n_images++];
        img->image_path = strdup(path);
        img->ok = 1;
        img->n_faces = faces_per_image;
        for (int k = 0; k < faces_per_image; k++) {
            fc_face_rec *f = &b->faces[b->n_faces++];
            if (fc_uuid4_new(f->face_id, NULL))
                return -1;
            f->image_path = strdup(path);
            int idx = first + i;
            f->bbox[0] = 10 * idx, f->bbox[1] = 20 + k, f->bbox[2] = 64, f->bbox[3] = 80;
            f->n_landmarks = FC_FACE_LANDMARKS;
            for (int j = 0; j < 2 * FC_FACE_LANDMARKS; j++)
                f->landmarks[j] = (float)(idx + j) + 0.5f;
            f->confidence = 0.9f - 0.01f * (float)k;
            f->quality_score = 0.5f + 0.001f * (float)idx;
            f->dim = dim;
            if (dim > 0) {
                f->embedding = malloc((size_t)dim * sizeof(float));
                if (!f->embedding)
                    return -1;
                fx_vector(f->embedding, dim, (unsigned)(idx * 100 + k));
            }
            if (!f->image_path)
                return -1;
        }
        if (!img->image_path)
            return -1;
    }
    return 0;
}

void fx_batch_free(fx_batch *b)
{
    for (size_t i = 0; b->images && i < b->n_images; i++)
        fc_image_rec_clear(&b->images[i]);
    for (size_t i = 0; b->faces && i < b->n_faces; i++)
        fc_face_rec_clear(&b->faces[i]);
    free(b->images);
    free(b->faces);
    memset(b, 0, sizeof *b);
}

fc_store *fx_open(const char *path)
{
    fc_error err = {0};
    fc_store *s = fc_store_open_with(&fc_store_sqlite, path, &err);
    if (!s)
        printf("  open %s: %s\n", path, err.msg);
    return s;
}
