/* synth.c - synthetic face sets (see synth.h). Faces are generated in blocks, each from
 * its own seeded stream, so the data do not depend on the generating thread count. */
#include "synth.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fc_synth_seed(fc_synth_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t fc_synth_next(fc_synth_rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double fc_synth_uniform(fc_synth_rng *r) { return (double)(fc_synth_next(r) >> 11) * 0x1p-53; }

double fc_synth_gauss(fc_synth_rng *r)
{
    double u = 1.0 - fc_synth_uniform(r), v = fc_synth_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void fc_synth_normalise(float *v, int dim)
{
    double s = 0;
    for (int k = 0; k < dim; k++)
        s += (double)v[k] * v[k];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int k = 0; k < dim; k++)
        v[k] *= inv;
}

void fc_synth_unit(fc_synth_rng *r, float *v, int dim)
{
    for (int k = 0; k < dim; k++)
        v[k] = (float)fc_synth_gauss(r);
    fc_synth_normalise(v, dim);
}

void fc_synth_face(fc_synth_rng *r, const float *centre, int dim, double a, float *out)
{
    double sigma = sqrt(a / dim);
    for (int k = 0; k < dim; k++)
        out[k] = centre[k] + (float)(sigma * fc_synth_gauss(r));
    fc_synth_normalise(out, dim);
}

void fc_synth_set_free(fc_synth_set *s)
{
    if (!s)
        return;
    free(s->emb), free(s->label), free(s->image), free(s->quality), free(s->confidence);
    free(s->centres);
    memset(s, 0, sizeof *s);
}

enum { BLOCK = 4096 };

typedef struct {
    const fc_synth_spec *spec;
    fc_synth_set *set;
    double lo, hi;
    int64_t next_block;
    pthread_mutex_t mu;
} gen_job;

static void *gen_faces(void *p)
{
    gen_job *g = p;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        int64_t b = g->next_block++;
        pthread_mutex_unlock(&g->mu);
        int64_t f0 = b * BLOCK;
        if (f0 >= g->set->n_faces)
            return NULL;
        fc_synth_rng r;
        fc_synth_seed(&r, g->spec->seed * 1000003u + 17u + (uint64_t)b);
        int dim = g->set->dim;
        double hard_hi = g->spec->hard_hi > 0 ? g->spec->hard_hi : 1.2;
        for (int64_t f = f0; f < f0 + BLOCK && f < g->set->n_faces; f++) {
            double a = g->lo + (g->hi - g->lo) * fc_synth_uniform(&r);
            if (fc_synth_uniform(&r) < g->spec->hard_fraction)
                a = g->hi + (hard_hi - g->hi) * fc_synth_uniform(&r);
            fc_synth_face(&r, g->set->centres + (size_t)g->set->label[f] * (size_t)dim, dim, a,
                          g->set->emb + (size_t)f * (size_t)dim);
            g->set->quality[f] = (float)(0.3 + 0.7 * fc_synth_uniform(&r));
            g->set->confidence[f] = (float)(0.5 + 0.5 * fc_synth_uniform(&r));
        }
    }
}

/* Labels: the first n_ids faces one per identity, the rest drawn by lognormal weights;
 * then shuffled. */
static int make_labels(const fc_synth_spec *sp, fc_synth_rng *r, int64_t *label)
{
    double *cum = malloc((size_t)sp->n_ids * sizeof *cum);
    if (!cum)
        return -1;
    double tot = 0;
    for (int i = 0; i < sp->n_ids; i++)
        cum[i] = tot += exp(sp->size_spread * fc_synth_gauss(r));
    for (int64_t f = 0; f < sp->n_faces; f++) {
        if (f < sp->n_ids) {
            label[f] = f;
            continue;
        }
        double u = fc_synth_uniform(r) * tot;
        int lo = 0, hi = sp->n_ids - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        label[f] = lo;
    }
    for (int64_t f = sp->n_faces - 1; f > 0; f--) {
        int64_t j = (int64_t)(fc_synth_uniform(r) * (double)(f + 1));
        int64_t t = label[f];
        label[f] = label[j], label[j] = t;
    }
    free(cum);
    return 0;
}

/* Consecutive faces share an image, 1..max per image, never two of one identity. */
static void make_images(const fc_synth_spec *sp, fc_synth_rng *r, const int64_t *label,
                        int64_t *image)
{
    int max = sp->max_faces_per_image > 0 ? sp->max_faces_per_image : 1;
    int64_t img = -1, start = 0;
    int want = 0;
    for (int64_t f = 0; f < sp->n_faces; f++) {
        int clash = 0;
        for (int64_t g = start; g < f && !clash; g++)
            clash = label[g] == label[f];
        if (img < 0 || f - start >= want || clash) {
            img++, start = f;
            want = 1 + (int)(fc_synth_uniform(r) * max);
        }
        image[f] = img;
    }
}

fc_status fc_synth_make(const fc_synth_spec *spec, fc_synth_set *out, fc_error *err)
{
    memset(out, 0, sizeof *out);
    if (spec->n_faces <= 0 || spec->n_ids <= 0 || spec->dim <= 0)
        return fc_error_set(err, FC_ERR_ARG, "synth: %lld faces, %d ids, dim %d",
                            (long long)spec->n_faces, spec->n_ids, spec->dim);
    size_t n = (size_t)spec->n_faces, d = (size_t)spec->dim;
    out->n_faces = spec->n_faces, out->n_ids = spec->n_ids, out->dim = spec->dim;
    out->emb = malloc(n * d * sizeof(float));
    out->label = malloc(n * sizeof(int64_t));
    out->image = malloc(n * sizeof(int64_t));
    out->quality = malloc(n * sizeof(float));
    out->confidence = malloc(n * sizeof(float));
    out->centres = malloc((size_t)spec->n_ids * d * sizeof(float));
    fc_synth_rng r;
    fc_synth_seed(&r, spec->seed);
    if (!out->emb || !out->label || !out->image || !out->quality || !out->confidence ||
        !out->centres || make_labels(spec, &r, out->label)) {
        fc_synth_set_free(out);
        return fc_error_set(err, FC_ERR_NOMEM, "synth: %lld faces", (long long)spec->n_faces);
    }
    double la = spec->lookalike_cos > 0 ? spec->lookalike_cos : 0.5;
    for (int i = 0; i < spec->n_ids; i++) {
        float *c = out->centres + (size_t)i * d;
        fc_synth_unit(&r, c, spec->dim);
        if (i > 0 && fc_synth_uniform(&r) < spec->lookalike_fraction) {
            /* c = la * prev + sqrt(1 - la^2) * (c made orthogonal to prev) */
            const float *prev = c - d;
            double dot = 0;
            for (size_t k = 0; k < d; k++)
                dot += (double)c[k] * prev[k];
            for (size_t k = 0; k < d; k++)
                c[k] -= (float)dot * prev[k];
            fc_synth_normalise(c, spec->dim);
            for (size_t k = 0; k < d; k++)
                c[k] = (float)(la * prev[k] + sqrt(1 - la * la) * c[k]);
            fc_synth_normalise(c, spec->dim);
        }
    }
    make_images(spec, &r, out->label, out->image);
    gen_job g = {.spec = spec, .set = out, .lo = spec->noise_lo, .hi = spec->noise_hi};
    if (g.lo == 0 && g.hi == 0)
        g.lo = 0.25, g.hi = 0.67;
    pthread_mutex_init(&g.mu, NULL);
    int nt = spec->n_threads > 1 ? spec->n_threads : 1;
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < nt && t < 64; t++)
        if (pthread_create(&tid[started], NULL, gen_faces, &g) == 0)
            started++;
    gen_faces(&g);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&g.mu);
    return FC_OK;
}
