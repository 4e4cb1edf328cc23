/* cluster_ingest.c - the image phase of the cluster job: worker threads fetch each
 * key and run the face pipeline; the job's thread stores the finished images in
 * batches (one transaction each) and reports progress. Also the incremental copy of
 * a base run's faces. */
#include "jobs/cluster_int.h"

#include "core/clock.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One image, finished by a worker. */
typedef struct {
    int ok;
    int unavailable; /* the source did not answer (FC_ERR_UNAVAILABLE): not its fault */
    char *reason;
    fc_face_rec *faces;
    int n_faces;
    float *emb; /* n_faces * dim, the faces' embeddings point into it */
} img_result;

typedef struct {
    fc_cj_ctx *c;
    char *const *keys;
    char *const *fprints; /* NULL: none */
    size_t n;
    img_result *results;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;     /* next key to take */
    size_t *ready;   /* finished, not stored yet */
    size_t n_ready;
    size_t *held;    /* unavailable: not stored in this pass (see settle_held) */
    size_t n_held;
    int in_a_row;    /* fetches that were unavailable since the last that was not */
    int outage;      /* OUTAGE_IN_A_ROW reached: no more images are taken */
    int running;     /* workers not ended */
    size_t max_bytes;
} ingest;

/* A source that fails this many fetches in a row as unavailable (no connection, a
 * timeout or 5xx through every retry) is down: the ingest stops and the run is kept
 * for --resume, rather than storing every image after them as failed. Fewer are
 * fetched again at the end of the pass, and stored as failed only if they fail again
 * while the source answers for the others. */
#define OUTAGE_IN_A_ROW 8

int fc_cj_cancelled(const fc_cj_ctx *c)
{
    return c->cancel && *c->cancel;
}

void fc_cj_report(fc_cj_ctx *c, int force)
{
    double now = fc_now_s();
    if (!c->progress_fn || (!force && now - c->last_report < 0.1))
        return;
    c->last_report = now;
    c->prog.elapsed_s = now - c->t0;
    int64_t run = c->prog.done - c->prog.skipped;
    double dt = now - c->images_t0;
    c->prog.images_per_s = run > 0 && dt > 0 ? (double)run / dt : 0;
    c->prog.eta_s = c->prog.images_per_s > 0
                        ? (double)(c->prog.total - c->prog.done) / c->prog.images_per_s
                        : -1;
    c->progress_fn(&c->prog, c->user);
}

static void result_clear(img_result *r)
{
    free(r->reason);
    free(r->faces);
    free(r->emb);
    memset(r, 0, sizeof *r);
}

static int iround(float v)
{
    return (int)lrintf(v);
}

/* The pipeline's faces as face records (new UUIDs); filtered by min_confidence. */
static fc_status to_records(const fc_cj_ctx *c, const fc_faces *f, img_result *r,
                            fc_error *err)
{
    int dim = f->dim;
    r->faces = calloc((size_t)(f->n_faces ? f->n_faces : 1), sizeof *r->faces);
    r->emb = malloc((size_t)(f->n_faces ? f->n_faces : 1) * (size_t)(dim ? dim : 1) * sizeof(float));
    if (!r->faces || !r->emb)
        return fc_error_set(err, FC_ERR_NOMEM, "faces of an image");
    for (int i = 0; i < f->n_faces; i++) {
        const fc_face *s = &f->faces[i];
        if (!s->embedding || s->score < c->min_confidence)
            continue;
        fc_face_rec *d = &r->faces[r->n_faces];
        fc_status rc = fc_uuid4_new(d->face_id, err);
        if (rc)
            return rc;
        d->bbox[0] = iround(s->box.x1), d->bbox[1] = iround(s->box.y1);
        d->bbox[2] = iround(s->box.x2 - s->box.x1), d->bbox[3] = iround(s->box.y2 - s->box.y1);
        d->n_landmarks = FC_FACE_LANDMARKS;
        for (int k = 0; k < FC_FACE_LANDMARKS; k++)
            d->landmarks[2 * k] = s->landmarks[k].x, d->landmarks[2 * k + 1] = s->landmarks[k].y;
        d->confidence = s->score;
        d->quality_score = s->quality_score;
        d->dim = dim;
        d->embedding = r->emb + (size_t)r->n_faces * (size_t)dim;
        memcpy(d->embedding, s->embedding, (size_t)dim * sizeof(float));
        r->n_faces++;
    }
    return FC_OK;
}

/* A fetch's outcome into the count of unavailable ones in a row, as soon as it is
 * known: a fetch that succeeded counts then, not once its image is through the
 * pipeline, which would let the quick failures of an outage go first. */
static void count_fetch(ingest *in, int unavailable)
{
    pthread_mutex_lock(&in->mu);
    if (!unavailable) {
        in->in_a_row = 0;
    } else if (++in->in_a_row >= OUTAGE_IN_A_ROW) {
        in->outage = 1;
        in->next = in->n; /* stop taking images */
    }
    pthread_mutex_unlock(&in->mu);
}

static void process_one(ingest *in, size_t i)
{
    fc_cj_ctx *c = in->c;
    img_result *r = &in->results[i];
    fc_error err = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    fc_faces *faces = NULL;
    fc_status rc = fc_source_fetch(c->o->source, in->keys[i], in->max_bytes, &bytes, &len, &err);
    r->unavailable = rc == FC_ERR_UNAVAILABLE;
    count_fetch(in, r->unavailable);
    if (!rc)
        rc = fc_pipeline_run(c->o->pipeline, bytes, len, &faces, &err);
    if (!rc)
        rc = to_records(c, faces, r, &err);
    if (rc) {
        free(r->faces), free(r->emb);
        r->faces = NULL, r->emb = NULL, r->n_faces = 0;
        r->ok = 0;
        /* the record is the key's: without the "{key}: " a source's error starts with
           (the summary printed "path: path: Permission denied") */
        const char *why = err.msg[0] ? err.msg : fc_strerror(rc);
        size_t n = strlen(in->keys[i]);
        if (!strncmp(why, in->keys[i], n) && !strncmp(why + n, ": ", 2))
            why += n + 2;
        r->reason = strdup(why);
    } else {
        r->ok = 1;
    }
    fc_faces_free(faces);
    free(bytes);
}

static void *worker(void *arg)
{
    ingest *in = arg;
    pthread_mutex_lock(&in->mu);
    for (;;) {
        if (in->next >= in->n || fc_cj_cancelled(in->c))
            break;
        size_t i = in->next++;
        pthread_mutex_unlock(&in->mu);
        process_one(in, i);
        pthread_mutex_lock(&in->mu);
        if (in->results[i].unavailable)
            in->held[in->n_held++] = i;
        else
            in->ready[in->n_ready++] = i;
        pthread_cond_signal(&in->cv);
    }
    in->running--;
    pthread_cond_signal(&in->cv);
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

fc_status fc_cj_store_batch(fc_cj_ctx *c, const fc_face_rec *faces, size_t n_faces,
                            const fc_image_rec *images, size_t n_images, fc_error *err)
{
    fc_status rc;
    c->batch_refused = 0;
    if (c->worker_id) {
        int committed = 0;
        rc = fc_store_lease_complete(c->store, c->id, c->worker_id, faces, n_faces, images,
                                     n_images, &committed, err);
        if (!rc && !committed) {
            c->batch_refused = 1;
            c->lease_refused += (int64_t)n_images;
            return FC_OK;
        }
    } else {
        rc = fc_store_run_add_batch(c->store, c->id, faces, n_faces, images, n_images, err);
    }
    if (rc || !n_faces)
        return rc;
    fc_vec_point *pts = calloc(n_faces, sizeof *pts);
    if (!pts)
        return fc_error_set(err, FC_ERR_NOMEM, "vector batch");
    for (size_t i = 0; i < n_faces; i++) {
        fc_vec_payload *p = &pts[i].payload;
        memcpy(p->face_id, faces[i].face_id, sizeof p->face_id);
        memcpy(p->clustering_id, c->id, sizeof p->clustering_id);
        snprintf(p->bucket_name, sizeof p->bucket_name, "%s", c->o->bucket);
        snprintf(p->sub_bucket, sizeof p->sub_bucket, "%s", c->o->sub);
        p->image_path = faces[i].image_path;
        memcpy(p->bbox, faces[i].bbox, sizeof p->bbox);
        p->confidence = faces[i].confidence;
        p->quality_score = faces[i].quality_score;
        pts[i].vector = faces[i].embedding;
        pts[i].dim = faces[i].dim;
    }
    rc = fc_vectors_upsert(c->vec, pts, n_faces, err);
    free(pts);
    return rc;
}

/* Stores the ready results (takes them out of in->ready first). */
static fc_status store_ready(ingest *in, size_t *idx, size_t n_idx, fc_error *err)
{
    fc_cj_ctx *c = in->c;
    size_t n_faces = 0;
    for (size_t k = 0; k < n_idx; k++)
        n_faces += (size_t)in->results[idx[k]].n_faces;
    fc_image_rec *imgs = calloc(n_idx ? n_idx : 1, sizeof *imgs);
    fc_face_rec *faces = calloc(n_faces ? n_faces : 1, sizeof *faces);
    fc_status rc = FC_OK;
    if (!imgs || !faces) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "batch of %zu images", n_idx);
        goto out;
    }
    size_t nf = 0;
    for (size_t k = 0; k < n_idx; k++) {
        img_result *r = &in->results[idx[k]];
        imgs[k] = (fc_image_rec){in->keys[idx[k]], r->ok, r->n_faces, r->ok ? NULL : r->reason,
                                 in->fprints ? in->fprints[idx[k]] : NULL};
        for (int j = 0; j < r->n_faces; j++) {
            faces[nf] = r->faces[j];
            faces[nf++].image_path = in->keys[idx[k]];
        }
    }
    rc = fc_cj_store_batch(c, faces, nf, imgs, n_idx, err);
    if (rc)
        goto out;
    for (size_t k = 0; k < n_idx; k++) {
        img_result *r = &in->results[idx[k]];
        if (c->batch_refused) {
            result_clear(r);
            continue;
        }
        c->prog.done++;
        c->prog.faces += r->n_faces;
        c->prog.failed += !r->ok;
        c->res->images_run++;
        result_clear(r);
    }
out:
    free(imgs);
    free(faces);
    return rc;
}

/* What the held-back images of a pass become. Not the last pass: their indices go to
 * *held for the next one. The last: they are stored as failed, in batches. A source
 * that went down: nothing; the error says the run is kept. */
static fc_status settle_held(ingest *in, int last, size_t batch, size_t **held, size_t *n_held,
                             fc_error *err)
{
    fc_cj_ctx *c = in->c;
    if (in->outage) {
        const char *why = in->results[in->held[in->n_held - 1]].reason;
        char kept[2 * FC_NAME_MAX + 160]; /* the hint may name the bucket */
        if (c->worker_id) /* the shared run stays running; its leases go back */
            snprintf(kept, sizeof kept, "this worker stored %lld images, and a worker started "
                     "again continues the run", (long long)(c->prog.done - c->prog.skipped));
        else
            snprintf(kept, sizeof kept, "the run keeps its %lld of %lld images stored so far, "
                     "and %s continues it", (long long)c->prog.done, (long long)c->prog.total,
                     c->o->resume_hint ? c->o->resume_hint : "`facecluster cluster --resume`");
        return fc_error_set(err, FC_ERR_UNAVAILABLE, "the image source stopped answering (%d "
                            "fetches in a row failed); %s. The last error: %s", OUTAGE_IN_A_ROW,
                            kept, why ? why : "unavailable");
    }
    if (!last) {
        *held = in->held, *n_held = in->n_held;
        in->held = NULL;
        return FC_OK;
    }
    fc_status rc = FC_OK;
    for (size_t k = 0; k < in->n_held && !rc; k += batch)
        rc = store_ready(in, in->held + k, in->n_held - k < batch ? in->n_held - k : batch, err);
    return rc;
}

/* One pass over keys[0..n) (see fc_cj_ingest and settle_held). *in_a_row: the
 * unavailable fetches in a row before it, and after it (an outage at the end of the
 * first pass goes on counting in the second). */
static fc_status ingest_pass(fc_cj_ctx *c, char *const *keys, char *const *fprints, size_t n,
                             int last, int *in_a_row, size_t **held, size_t *n_held,
                             fc_error *err)
{
    int n_threads = c->o->threads > 0 ? c->o->threads : 1;
    size_t batch = (size_t)(c->o->batch_size > 0 ? c->o->batch_size : 30);
    ingest in = {.c = c, .keys = keys, .fprints = fprints, .n = n, .in_a_row = *in_a_row};
    in.max_bytes = c->o->cfg ? (size_t)c->o->cfg->max_image_size_bytes : 0;
    in.results = calloc(n, sizeof *in.results);
    in.ready = calloc(n, sizeof *in.ready);
    in.held = calloc(n, sizeof *in.held);
    size_t *take = calloc(n, sizeof *take);
    pthread_t *tid = calloc((size_t)n_threads, sizeof *tid);
    fc_status rc = FC_OK;
    int started = 0;
    if (!in.results || !in.ready || !in.held || !take || !tid) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "ingest of %zu images", n);
        goto out_free;
    }
    pthread_mutex_init(&in.mu, NULL);
    pthread_cond_init(&in.cv, NULL);
    in.running = n_threads;
    for (; started < n_threads; started++)
        if (pthread_create(&tid[started], NULL, worker, &in))
            break;
    pthread_mutex_lock(&in.mu);
    in.running -= n_threads - started;
    if (!started) {
        pthread_mutex_unlock(&in.mu);
        rc = fc_error_set(err, FC_ERR_INTERNAL, "cannot start worker threads");
        goto out_sync;
    }
    for (;;) {
        int all_done = in.running == 0;
        if (in.n_ready >= batch || (all_done && in.n_ready > 0)) {
            size_t n_take = in.n_ready < batch ? in.n_ready : batch;
            in.n_ready -= n_take;
            memcpy(take, in.ready + in.n_ready, n_take * sizeof *take);
            pthread_mutex_unlock(&in.mu);
            fc_status src = rc ? rc : store_ready(&in, take, n_take, err);
            fc_cj_report(c, 0);
            pthread_mutex_lock(&in.mu);
            if (src && !rc) {
                rc = src;
                in.next = in.n; /* stop taking images */
            }
            continue;
        }
        if (all_done)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&in.cv, &in.mu, &until);
        pthread_mutex_unlock(&in.mu);
        fc_cj_report(c, 0);
        pthread_mutex_lock(&in.mu);
    }
    pthread_mutex_unlock(&in.mu);
out_sync:
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&in.mu);
    pthread_cond_destroy(&in.cv);
    *in_a_row = in.in_a_row;
    if (!rc)
        rc = settle_held(&in, last, batch, held, n_held, err);
    fc_cj_report(c, 1);
out_free:
    if (in.results)
        for (size_t i = 0; i < n; i++)
            result_clear(&in.results[i]);
    free(in.results);
    free(in.ready);
    free(in.held);
    free(take);
    free(tid);
    return rc;
}

fc_status fc_cj_ingest(fc_cj_ctx *c, char *const *keys, char *const *fprints, size_t n,
                       fc_error *err)
{
    if (!n)
        return FC_OK;
    size_t *held = NULL, n_held = 0;
    int in_a_row = 0;
    fc_status rc = ingest_pass(c, keys, fprints, n, 0, &in_a_row, &held, &n_held, err);
    if (rc || !n_held || fc_cj_cancelled(c)) {
        free(held);
        return rc;
    }
    /* the images the source did not give while it answered for others: once more */
    char **again = calloc(2 * n_held, sizeof *again);
    if (!again) {
        free(held);
        return fc_error_set(err, FC_ERR_NOMEM, "%zu images to fetch again", n_held);
    }
    for (size_t k = 0; k < n_held; k++) {
        again[k] = keys[held[k]];
        again[n_held + k] = fprints ? fprints[held[k]] : NULL;
    }
    rc = ingest_pass(c, again, fprints ? again + n_held : NULL, n_held, 1, &in_a_row, NULL, NULL,
                     err);
    free(again);
    free(held);
    return rc;
}

/* ---- incremental: the base run's faces into the new run ------------------------ *
 * The base's failed images are not copied: still listed, they are read again with
 * the new ones (a file repaired or finished copying since then counts); gone, they
 * are no longer reported. Changed images (another fingerprint) are not copied
 * either: their old faces leave the run and they are read again. */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fc_cj_base_changed(const fc_image_rec *b, const char *fprint)
{
    return b->fingerprint && fprint && strcmp(b->fingerprint, fprint) != 0;
}

static int cmp_image_path(const void *key, const void *img)
{
    return strcmp((const char *)key, ((const fc_image_rec *)img)->image_path);
}

/* What the copy takes from the base, in its order: the images to copy (img, n_img of
 * them) in the order of their first face in the base, those without faces last, and
 * their faces (base face indices) image by image, image p's at face[face_start[p] ..
 * face_start[p + 1]), each image's in the base's order. As every writer stores an
 * image's faces together, the copied faces come in the base's order, which
 * fc_cj_finish relies on (it pairs base and copied faces in one pass). */
typedef struct {
    size_t *img, n_img;
    size_t *face_start, *face;
    char **fprint; /* base image -> its fingerprint in the listing, or NULL */
} copy_plan;

static void plan_free(copy_plan *p)
{
    free(p->img), free(p->face_start), free(p->face), free(p->fprint);
}

/* The plan: base images still listed, read fine, unchanged (fingerprint) and not
 * stored in this run yet (have_keys, sorted; a resume); the others not listed are
 * counted in c->res->removed_images. One pass over the faces, a binary search each. */
static fc_status plan_copy(fc_cj_ctx *c, const fc_key_list *listed, const fc_image_list *base,
                           const fc_face_list *faces, char **have_keys, size_t n_have,
                           copy_plan *p, fc_error *err)
{
    size_t ni = base->n, nf = faces->n;
    size_t *pos = malloc((ni ? ni : 1) * sizeof *pos);   /* image -> place in img, or SIZE_MAX */
    size_t *of = malloc((nf ? nf : 1) * sizeof *of);     /* face -> image, or SIZE_MAX */
    char *keep = calloc(ni ? ni : 1, 1);
    p->img = malloc((ni ? ni : 1) * sizeof *p->img);
    p->face_start = calloc(ni + 1, sizeof *p->face_start);
    p->face = malloc((nf ? nf : 1) * sizeof *p->face);
    p->fprint = calloc(ni ? ni : 1, sizeof *p->fprint);
    fc_status rc = FC_OK;
    if (!pos || !of || !keep || !p->img || !p->face_start || !p->face || !p->fprint) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "incremental copy of %zu faces", nf);
        goto out;
    }
    for (size_t k = 0; k < ni; k++) {
        const fc_image_rec *b = &base->items[k];
        ptrdiff_t at = fc_key_list_find(listed, b->image_path);
        pos[k] = SIZE_MAX;
        if (at < 0) {
            c->res->removed_images++;
            continue;
        }
        p->fprint[k] = listed->fprints[at];
        keep[k] = b->ok && !fc_cj_base_changed(b, listed->fprints[at]) &&
                  !bsearch(&b->image_path, have_keys, n_have, sizeof *have_keys, cmp_str);
    }
    for (size_t f = 0; f < nf; f++) { /* images by their first face */
        const fc_image_rec *b = bsearch(faces->items[f].image_path, base->items, ni,
                                        sizeof *base->items, cmp_image_path);
        size_t k = b ? (size_t)(b - base->items) : SIZE_MAX;
        of[f] = k != SIZE_MAX && keep[k] ? k : SIZE_MAX;
        if (of[f] != SIZE_MAX && pos[k] == SIZE_MAX)
            pos[k] = p->n_img, p->img[p->n_img++] = k;
        if (of[f] != SIZE_MAX)
            p->face_start[pos[k] + 1]++;
    }
    for (size_t k = 0; k < ni; k++)
        if (keep[k] && pos[k] == SIZE_MAX)
            pos[k] = p->n_img, p->img[p->n_img++] = k;
    for (size_t q = 0; q < p->n_img; q++)
        p->face_start[q + 1] += p->face_start[q];
    for (size_t f = 0; f < nf; f++) /* face_start[q] runs to the end of q's faces */
        if (of[f] != SIZE_MAX)
            p->face[p->face_start[pos[of[f]]]++] = f;
    for (size_t q = p->n_img; q > 0; q--)
        p->face_start[q] = p->face_start[q - 1];
    p->face_start[0] = 0;
out:
    free(pos), free(of), free(keep);
    return rc;
}

fc_status fc_cj_copy_base(fc_cj_ctx *c, const fc_key_list *listed, fc_error *err)
{
    fc_image_list base_imgs = {0}, have = {0};
    fc_face_list faces = {0};
    char **have_keys = NULL;
    copy_plan plan = {0};
    fc_face_rec *fb = NULL;
    fc_image_rec *ib = NULL;
    fc_status rc = fc_store_run_images(c->store, c->base_id, &base_imgs, err);
    if (!rc)
        rc = fc_store_run_images(c->store, c->id, &have, err);
    if (!rc)
        rc = fc_store_face_list(c->store, c->base_id, NULL, 1, &faces, err);
    if (rc)
        goto out;
    have_keys = calloc(have.n ? have.n : 1, sizeof *have_keys);
    if (!have_keys) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "incremental copy");
        goto out;
    }
    for (size_t i = 0; i < have.n; i++)
        have_keys[i] = have.items[i].image_path;
    qsort(have_keys, have.n, sizeof *have_keys, cmp_str);
    if ((rc = plan_copy(c, listed, &base_imgs, &faces, have_keys, have.n, &plan, err)))
        goto out;
    size_t batch = (size_t)(c->o->batch_size > 0 ? c->o->batch_size : 30) * 4;
    size_t max_faces = 0;
    for (size_t q = 0; q < plan.n_img; q += batch) {
        size_t e = q + batch < plan.n_img ? q + batch : plan.n_img;
        size_t n = plan.face_start[e] - plan.face_start[q];
        max_faces = n > max_faces ? n : max_faces;
    }
    fb = calloc(max_faces ? max_faces : 1, sizeof *fb);
    ib = calloc(batch, sizeof *ib);
    if (!fb || !ib) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "incremental copy");
        goto out;
    }
    /* the progress total, until the run's images are counted after the copy: the
       images to copy (it was 0: "43320/0 images") */
    c->prog.total = c->prog.done + (int64_t)plan.n_img;
    for (size_t q = 0; q < plan.n_img && !rc; q += batch) {
        size_t e = q + batch < plan.n_img ? q + batch : plan.n_img, nf = 0;
        for (size_t k = q; k < e; k++) {
            ib[k - q] = base_imgs.items[plan.img[k]];
            if (plan.fprint[plan.img[k]]) /* a base image without one gets the listing's */
                ib[k - q].fingerprint = plan.fprint[plan.img[k]];
        }
        for (size_t m = plan.face_start[q]; m < plan.face_start[e] && !rc; m++, nf++) {
            fb[nf] = faces.items[plan.face[m]];
            fb[nf].person_id[0] = 0;
            fb[nf].is_owner_face = 0;
            fb[nf].cluster_confidence = 0;
            fb[nf].timestamp[0] = 0;
            fb[nf].clustering_id[0] = 0;
            rc = fc_uuid4_new(fb[nf].face_id, err);
        }
        if (!rc)
            rc = fc_cj_store_batch(c, fb, nf, ib, e - q, err);
        if (rc)
            break;
        c->prog.done += (int64_t)(e - q);
        c->prog.skipped += (int64_t)(e - q);
        c->prog.faces += (int64_t)nf;
        fc_cj_report(c, 0);
    }
out:
    free(fb);
    free(ib);
    plan_free(&plan);
    free(have_keys);
    fc_image_list_free(&base_imgs);
    fc_image_list_free(&have);
    fc_face_list_free(&faces);
    return rc;
}
