/* pipeline.c - fc_pipeline: the models, the pool of worker states, and the run from
 * bytes to faces (the per-image steps are in face_run.c). */
#include "face/pipeline.h"

#include "face/pipeline_int.h"
#include "nn/nn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fc_pipeline {
    fc_pipeline_config cfg;
    fc_face_models models;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fc_face_worker *idle; /* free list */
    int n_workers, max_workers;
};

static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

fc_pipeline *fc_pipeline_new(const fc_pipeline_config *cfg, fc_error *err)
{
    fc_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        fc_error_set(err, FC_ERR_NOMEM, "pipeline: out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    p->max_workers = cfg->workers > 0 ? cfg->workers : online_cores();
    /* One executor thread per run unless asked otherwise: runs of several images in
     * parallel scale better than OpenMP inside these small models, which loses badly
     * when the cores are shared (measured: see docs/pipeline.md). */
    const char *env = getenv("FC_THREADS");
    int nn_threads = cfg->nn_threads > 0 ? cfg->nn_threads : env && *env ? fc_nn_default_threads() : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (fc_face_models_load(&p->models, &p->cfg, nn_threads, err)) {
        fc_pipeline_free(p);
        return NULL;
    }
    return p;
}

void fc_pipeline_free(fc_pipeline *p)
{
    if (!p)
        return;
    while (p->idle) {
        fc_face_worker *w = p->idle;
        p->idle = w->next;
        fc_face_worker_free(w);
    }
    fc_face_models_free(&p->models);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* Takes an idle worker, or makes a new one while under the limit, or waits. */
static fc_face_worker *checkout(fc_pipeline *p, fc_error *err)
{
    fc_face_worker *w = NULL;
    int create = 0;
    pthread_mutex_lock(&p->mu);
    while (!p->idle && p->n_workers >= p->max_workers)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->idle) {
        w = p->idle;
        p->idle = w->next;
    } else {
        p->n_workers++;
        create = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (create) {
        w = fc_face_worker_new(&p->models, err);
        if (!w) {
            pthread_mutex_lock(&p->mu);
            p->n_workers--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return w;
}

static void checkin(fc_pipeline *p, fc_face_worker *w)
{
    pthread_mutex_lock(&p->mu);
    w->next = p->idle;
    p->idle = w;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static fc_status run(fc_pipeline *p, const uint8_t *bytes, size_t len, const fc_image *img,
                     fc_faces **out, fc_error *err)
{
    *out = NULL;
    fc_face_worker *w = checkout(p, err);
    if (!w)
        return err && err->code ? err->code : FC_ERR_NOMEM;
    fc_status rc = fc_face_worker_run(w, bytes, len, img, out, err);
    checkin(p, w);
    return rc;
}

fc_status fc_pipeline_run(fc_pipeline *p, const uint8_t *bytes, size_t len, fc_faces **out,
                          fc_error *err)
{
    if (!p || !out || (!bytes && len))
        return fc_error_set(err, FC_ERR_ARG, "pipeline: bad arguments");
    return run(p, bytes, len, NULL, out, err);
}

fc_status fc_pipeline_run_image(fc_pipeline *p, const fc_image *img, fc_faces **out, fc_error *err)
{
    if (!p || !out || !img)
        return fc_error_set(err, FC_ERR_ARG, "pipeline: bad arguments");
    return run(p, NULL, 0, img, out, err);
}

void fc_faces_free(fc_faces *f)
{
    if (!f)
        return;
    for (int i = 0; f->crops && i < f->n_faces; i++)
        fc_image_free(f->crops[i]);
    free(f->crops);
    if (f->n_faces)
        free(f->faces[0].embedding); /* one block for all faces */
    free(f->faces);
    free(f);
}

fc_embedder_kind fc_pipeline_embedder_kind(const fc_pipeline *p)
{
    return fc_embedder_kind_of(p->models.emb);
}

fc_detector_kind fc_pipeline_detector_kind(const fc_pipeline *p)
{
    return fc_detector_kind_of(p->models.det);
}

int fc_pipeline_dim(const fc_pipeline *p)
{
    return p->cfg.embed ? fc_embedder_dim(p->models.emb) : 0;
}

const fc_thresholds *fc_pipeline_thresholds(const fc_pipeline *p)
{
    return fc_thresholds_for(fc_pipeline_embedder_kind(p));
}
