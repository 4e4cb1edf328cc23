/* synth.h - synthetic face embeddings for tests and benchmarks: a seeded PRNG
 * (xoshiro256** seeded by splitmix64, Box-Muller normals), identity centres as random
 * unit vectors, faces as centre + gaussian noise, renormalised. With per-face noise
 * a = sigma^2 * dim, a face's cosine to its centre is about 1/sqrt(1+a), and two faces of
 * one identity about 1/sqrt((1+a1)(1+a2)); the default a in [0.25, 0.67] gives
 * 0.6-0.8 within an identity, and 0 +- 0.045 across identities at 512-d. */
#ifndef FC_TESTS_SYNTH_H
#define FC_TESTS_SYNTH_H

#include <stdint.h>

#include "core/status.h"

typedef struct {
    uint64_t s[4];
} fc_synth_rng;

void fc_synth_seed(fc_synth_rng *r, uint64_t seed);
uint64_t fc_synth_next(fc_synth_rng *r);
double fc_synth_uniform(fc_synth_rng *r); /* [0, 1) */
double fc_synth_gauss(fc_synth_rng *r);   /* N(0, 1) */

/* v (dim) /= |v| */
void fc_synth_normalise(float *v, int dim);
/* A random unit vector. */
void fc_synth_unit(fc_synth_rng *r, float *v, int dim);
/* out = normalise(centre + N(0, a/dim)): one face of the identity at centre. */
void fc_synth_face(fc_synth_rng *r, const float *centre, int dim, double a, float *out);

typedef struct {
    int64_t n_faces;
    int n_ids;              /* identities; every one gets at least one face if n_faces allows */
    int dim;
    double noise_lo, noise_hi; /* per-face a, uniform in [lo, hi]; 0/0 = 0.25/0.67 */
    double size_spread;     /* identity sizes ~ lognormal(0, spread); 0 = uniform draw */
    double hard_fraction;   /* share of "hard" faces (blur, profile) with a in [noise_hi,
                               hard_hi]: they link to typical faces of their identity at
                               ~0.5-0.6 and to each other below that */
    double hard_hi;         /* 0 = 1.2 */
    double lookalike_fraction; /* share of identities made look-alikes of the previous
                                  identity: centre . centre = lookalike_cos */
    double lookalike_cos;   /* 0 = 0.5 */
    int max_faces_per_image; /* faces are grouped into images of 1..max distinct identities */
    uint64_t seed;
    int n_threads;          /* generation threads (output does not depend on it) */
} fc_synth_spec;

typedef struct {
    int64_t n_faces;
    int n_ids, dim;
    float *emb;        /* (n_faces, dim), L2-normalised */
    int64_t *label;    /* identity per face */
    int64_t *image;    /* image per face; faces of one image have distinct identities */
    float *quality;    /* uniform [0.3, 1) */
    float *confidence; /* uniform [0.5, 1) */
    float *centres;    /* (n_ids, dim) */
} fc_synth_set;

/* Makes a set (faces in random identity order); free with fc_synth_set_free. */
fc_status fc_synth_make(const fc_synth_spec *spec, fc_synth_set *out, fc_error *err);
void fc_synth_set_free(fc_synth_set *s);

#endif
