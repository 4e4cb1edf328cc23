/* face_run.c - the per-image steps of the pipeline on one worker: decode, detect
 * (with the border retry), choose the alignment source, landmarks, align, quality,
 * embed; and loading the models a worker uses. */
#include "face/pipeline_int.h"

#include "face/align.h"
#include "face/nms.h"
#include "face/quality.h"
#include "face/tile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLUR_SIZE 112 /* blur is measured on a 112x112 aligned crop whatever the embedder */

/* Tiles: a photo with a face smaller than SMALL_AT_INPUT px at the input's scale is
 * searched on tiles too; and, with DETECT_TILE_ASPECT=1, one stretched more than
 * TILE_STRETCH on its way into the detector's input (docs/pipeline.md "Tiles"). */
#define TILE_STRETCH 1.8f
#define SMALL_AT_INPUT 16.0f

fc_status fc_face_models_load(fc_face_models *m, const fc_pipeline_config *cfg, int nn_threads,
                              fc_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = cfg;
    fc_detector_opts dopts = {cfg->detect_model, cfg->detector, cfg->score_threshold, cfg->nms_iou, 0,
                              nn_threads};
    m->det = fc_detector_new(&dopts, err);
    if (!m->det)
        return err ? err->code : FC_ERR_INTERNAL;
    if (!fc_detector_has_landmarks(m->det)) {
        m->lmk = fc_landmarker_new(cfg->landmark_model, nn_threads, err);
        if (!m->lmk)
            return err ? err->code : FC_ERR_INTERNAL;
    }
    /* Batches pay off only when a run has several threads: with one, the executor
     * takes 4.3 ms per face at batch 8 against 3.3 ms one by one (fr_feature,
     * bench/RESULTS.md; the pipeline measured 12% more CPU at batch 8). */
    int batch = cfg->max_batch > 0 ? cfg->max_batch : nn_threads > 1 ? 8 : 1;
    fc_embedder_opts eopts = {cfg->embed_model, cfg->embedder, cfg->embed_channels, nn_threads, batch,
                              cfg->embed_flip};
    m->emb = fc_embedder_new(&eopts, err);
    if (!m->emb)
        return err ? err->code : FC_ERR_INTERNAL;
    fc_detector_input_size(m->det, &m->in_w, &m->in_h);
    if (cfg->decode_long_side > 0)
        m->decode_long_side = cfg->decode_long_side;
    else if (cfg->decode_long_side == 0)
        m->decode_long_side = 2 * (m->in_w > m->in_h ? m->in_w : m->in_h);
    return FC_OK;
}

void fc_face_models_free(fc_face_models *m)
{
    fc_detector_free(m->det);
    fc_landmarker_free(m->lmk);
    fc_embedder_free(m->emb);
    memset(m, 0, sizeof *m);
}

fc_face_worker *fc_face_worker_new(const fc_face_models *m, fc_error *err)
{
    fc_face_worker *w = calloc(1, sizeof *w);
    if (!w) {
        fc_error_set(err, FC_ERR_NOMEM, "pipeline: out of memory");
        return NULL;
    }
    w->models = m;
    w->dets = malloc(FC_FACE_MAX_FACES * sizeof *w->dets);
    w->first = malloc(FC_FACE_MAX_FACES * sizeof *w->first);
    w->cut = malloc(FC_FACE_MAX_FACES);
    if (!w->dets || !w->first || !w->cut) {
        fc_error_set(err, FC_ERR_NOMEM, "pipeline: out of memory");
        goto out;
    }
    if (!(w->det = fc_detector_ctx_new(m->det, err)) ||
        (m->lmk && !(w->lmk = fc_landmarker_ctx_new(m->lmk, err))) ||
        !(w->emb = fc_embedder_ctx_new(m->emb, err)))
        goto out;
    return w;
out:
    fc_face_worker_free(w);
    return NULL;
}

void fc_face_worker_free(fc_face_worker *w)
{
    if (!w)
        return;
    fc_detector_ctx_free(w->det);
    fc_landmarker_ctx_free(w->lmk);
    fc_embedder_ctx_free(w->emb);
    fc_image_free(w->blur_crop);
    free(w->dets);
    free(w->first);
    free(w->cut);
    free(w);
}

/* Drops detections whose box is smaller than min_size original pixels; keeps order. */
static int drop_small(fc_detection *d, int n, float scale, float min_size)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        float side = d[i].box.x2 - d[i].box.x1;
        if (d[i].box.y2 - d[i].box.y1 < side)
            side = d[i].box.y2 - d[i].box.y1;
        if (side * scale >= min_size)
            d[kept++] = d[i];
    }
    return kept;
}

/* Largest face box area over the image area. */
static float largest_fill(const fc_detection *d, int n, const fc_image *img)
{
    float best = 0;
    for (int i = 0; i < n; i++) {
        float a = (d[i].box.x2 - d[i].box.x1) * (d[i].box.y2 - d[i].box.y1);
        best = a > best ? a : best;
    }
    return best / ((float)img->width * (float)img->height);
}

static fc_status detect_with_border(fc_face_worker *w, const fc_image *img, float border,
                                    fc_detection *out, int cap, int *n, fc_error *err)
{
    const fc_pipeline_config *cfg = w->models->cfg;
    fc_status rc = fc_detector_run(w->det, img, border, out, cap, n, err);
    if (!rc)
        *n = drop_small(out, *n, img->scale, cfg->min_face_size);
    return rc;
}

/* Appends to dets[0..n) the faces of first[0..n_first) that no face of dets covers
 * (half of the smaller box or more); returns the new count. */
static int add_uncovered(fc_detection *dets, int n, const fc_detection *first, int n_first)
{
    const int n_found = n;
    for (int i = 0; i < n_first && n < FC_FACE_MAX_FACES; i++) {
        int covered = 0;
        for (int k = 0; k < n_found && !covered; k++)
            covered = fc_rect_overlap_small(&first[i].box, &dets[k].box) >= 0.5f;
        if (!covered)
            dets[n++] = first[i];
    }
    return n;
}

/* Whether some face of d[0..n) is so small at the detector's input size that the
 * detector likely missed others like it. The scale is the image's short side's (the
 * scale one row of tiles would see it at, for a stretched image). */
static int has_small(const fc_face_models *m, const fc_image *img, const fc_detection *d, int n)
{
    const float sx = (float)m->in_w / (float)img->width, sy = (float)m->in_h / (float)img->height;
    const float s = sx > sy ? sx : sy;
    for (int i = 0; i < n; i++) {
        float side = d[i].box.x2 - d[i].box.x1;
        if (d[i].box.y2 - d[i].box.y1 < side)
            side = d[i].box.y2 - d[i].box.y1;
        if (side * s < SMALL_AT_INPUT)
            return 1;
    }
    return 0;
}

/* Whether img is a photo the detector sees stretched, to be searched on tiles for it
 * (DETECT_TILE_ASPECT). */
static int tile_for_aspect(const fc_face_models *m, int width, int height)
{
    return m->cfg->detect_tile_aspect &&
           fc_tile_stretch(width, height, m->in_w, m->in_h) >= TILE_STRETCH;
}

/* The second search on tiles (face/tile.h), when the detector saw img badly: with
 * faces too small at its input (two tiles across the short side), or stretched past
 * TILE_STRETCH on the way into its input (one row or column of tiles). The tiles'
 * faces join w->first[0..*n), merged with the whole-image ones. */
static fc_status detect_tiles(fc_face_worker *w, const fc_image *img, int *n, fc_error *err)
{
    const fc_face_models *m = w->models;
    if (m->cfg->detect_tiles <= 0)
        return FC_OK;
    const int small = has_small(m, img, w->first, *n);
    if (!small && !tile_for_aspect(m, img->width, img->height))
        return FC_OK;
    fc_tile t[FC_TILE_MAX];
    const int n_tiles = fc_tile_plan(img->width, img->height, m->in_w, m->in_h, small ? 2 : 1,
                                     m->cfg->detect_tiles, t);
    int total = *n;
    memset(w->cut, 0, (size_t)total);
    for (int i = 0; i < n_tiles && total < FC_FACE_MAX_FACES; i++) {
        fc_image view = *img; /* the tile's pixels, in place */
        view.width = t[i].w;
        view.height = t[i].h;
        view.rgb = img->rgb + (size_t)t[i].y * (size_t)img->stride + (size_t)t[i].x * 3;
        int got = 0;
        fc_status rc = detect_with_border(w, &view, 0, w->first + total, FC_FACE_MAX_FACES - total,
                                          &got, err);
        if (rc)
            return rc;
        for (int k = total; k < total + got; k++) {
            fc_detection *d = &w->first[k];
            d->box = (fc_rect){d->box.x1 + (float)t[i].x, d->box.y1 + (float)t[i].y,
                               d->box.x2 + (float)t[i].x, d->box.y2 + (float)t[i].y};
            for (int j = 0; d->has_landmarks && j < 5; j++)
                d->landmarks[j] = (fc_point){d->landmarks[j].x + (float)t[i].x,
                                             d->landmarks[j].y + (float)t[i].y};
            w->cut[k] = (unsigned char)fc_tile_cut(&t[i], &d->box, img->width, img->height);
        }
        total += got;
    }
    *n = fc_tile_merge(w->first, w->cut, total, fc_detector_nms_iou(m->det));
    return FC_OK;
}

/* Detects on img, then once more with a border when nothing is found or when a face
 * covers crop_fill of the frame or more (a crop: the bordered search boxes and aligns
 * it better, and finds the whole face where the first search saw a part of it). The
 * bordered faces are kept, plus the first search's faces they do not cover. */
static fc_status detect(fc_face_worker *w, const fc_image *img, int *n, int *retried, fc_error *err)
{
    const fc_pipeline_config *cfg = w->models->cfg;
    *retried = 0;
    int n_first = 0;
    fc_status rc = detect_with_border(w, img, 0, w->first, FC_FACE_MAX_FACES, &n_first, err);
    if (!rc)
        rc = detect_tiles(w, img, &n_first, err);
    if (rc)
        return rc;
    const int crop = n_first > 0 && cfg->crop_fill > 0 &&
                     largest_fill(w->first, n_first, img) >= cfg->crop_fill;
    if (cfg->retry_border <= 0 || (n_first > 0 && !crop)) {
        memcpy(w->dets, w->first, (size_t)n_first * sizeof *w->dets);
        *n = n_first;
        return FC_OK;
    }
    if ((rc = detect_with_border(w, img, cfg->retry_border, w->dets, FC_FACE_MAX_FACES, n, err)))
        return rc;
    *retried = *n > 0;
    *n = add_uncovered(w->dets, *n, w->first, n_first);
    return FC_OK;
}

static fc_faces *faces_new(int n, int dim, int keep_crops)
{
    fc_faces *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->faces = calloc(n ? (size_t)n : 1, sizeof *f->faces);
    float *emb = n && dim ? malloc((size_t)n * (size_t)dim * sizeof(float)) : NULL;
    f->crops = keep_crops ? calloc(n ? (size_t)n : 1, sizeof *f->crops) : NULL;
    if (!f->faces || (n && dim && !emb) || (keep_crops && !f->crops)) {
        free(emb);
        fc_faces_free(f);
        return NULL;
    }
    f->n_faces = n;
    f->dim = dim;
    for (int i = 0; i < n && emb; i++)
        f->faces[i].embedding = emb + (size_t)i * (size_t)dim;
    return f;
}

/* Whether some face is so small in the (scaled) image that aligning it from the
 * full-resolution photo is worth a second decode. */
static int wants_full(const fc_face_models *m, const fc_image *img, const fc_detection *d, int n)
{
    if (!(img->scale > 1))
        return 0;
    for (int i = 0; i < n; i++) {
        float side = d[i].box.x2 - d[i].box.x1;
        if (d[i].box.y2 - d[i].box.y1 < side)
            side = d[i].box.y2 - d[i].box.y1;
        if (side < m->cfg->realign_below)
            return 1;
    }
    return 0;
}

/* Fills face from detection d (in img pixels): box and landmarks in original
 * pixels, the aligned crop from src, quality. */
static fc_status one_face(fc_face_worker *w, const fc_image *img, const fc_image *src,
                          const fc_detection *d, fc_face *face, fc_image *crop, fc_error *err)
{
    const float s = img->scale, k = img->scale / src->scale;
    face->box = (fc_rect){d->box.x1 * s, d->box.y1 * s, d->box.x2 * s, d->box.y2 * s};
    face->score = d->score;
    if (d->has_landmarks) {
        for (int j = 0; j < 5; j++)
            face->landmarks[j] = (fc_point){d->landmarks[j].x * s, d->landmarks[j].y * s};
    } else {
        fc_rect b = {d->box.x1 * k, d->box.y1 * k, d->box.x2 * k, d->box.y2 * k};
        fc_point five[5];
        fc_status rc = fc_landmarker_run(w->lmk, src, &b, five, NULL, err);
        if (rc)
            return rc;
        for (int j = 0; j < 5; j++)
            face->landmarks[j] = (fc_point){five[j].x * src->scale, five[j].y * src->scale};
        face->landmarks_from = 1;
    }
    float bw = face->box.x2 - face->box.x1, bh = face->box.y2 - face->box.y1;
    face->size = bw < bh ? bw : bh;
    face->pose = fc_face_pose(face->landmarks);

    float m[6];
    fc_status rc = fc_face_align_matrix(face->landmarks, crop->width, src->scale, m, err);
    if (rc)
        return rc;
    fc_image_warp_affine(src, m, crop);
    if (crop->width == BLUR_SIZE) {
        face->blur = fc_face_blur(crop);
    } else {
        if (!w->blur_crop && !(w->blur_crop = fc_image_new(BLUR_SIZE, BLUR_SIZE, err)))
            return err ? err->code : FC_ERR_NOMEM;
        if ((rc = fc_face_align_matrix(face->landmarks, BLUR_SIZE, src->scale, m, err)))
            return rc;
        fc_image_warp_affine(src, m, w->blur_crop);
        face->blur = fc_face_blur(w->blur_crop);
    }
    face->quality_score = fc_face_quality_score(face->size, face->blur, face->pose, face->score);
    return FC_OK;
}

/* The decode's long side: the models' (enough for the whole-image search), or more
 * for a photo that will be searched on tiles for its aspect, so that a tile's short
 * side keeps twice the detector input's short side. The header is probed only when
 * the aspect trigger is on (a HEIF or TIFF probe costs a child process). */
static int decode_long_side(const fc_face_models *m, const uint8_t *bytes, size_t len)
{
    const int base = m->decode_long_side;
    fc_image_info info;
    if (base <= 0 || m->cfg->detect_tiles <= 0 || !m->cfg->detect_tile_aspect ||
        fc_image_probe(bytes, len, NULL, &info, NULL) ||
        info.display_width <= 0 || info.display_height <= 0 ||
        !tile_for_aspect(m, info.display_width, info.display_height))
        return base;
    const int lng = info.display_width > info.display_height ? info.display_width : info.display_height;
    const int sht = info.display_width > info.display_height ? info.display_height : info.display_width;
    const int in_short = m->in_w < m->in_h ? m->in_w : m->in_h;
    const double need = ceil(2.0 * in_short * (double)lng / (double)sht);
    return need > base ? (need < lng ? (int)need : lng) : base;
}

fc_status fc_face_worker_run(fc_face_worker *w, const uint8_t *bytes, size_t len,
                             const fc_image *img, fc_faces **out, fc_error *err)
{
    const fc_face_models *m = w->models;
    const fc_pipeline_config *cfg = m->cfg;
    fc_image *decoded = NULL, *full = NULL, **crops = NULL;
    fc_faces *res = NULL;
    fc_status rc = FC_OK;
    int n = 0, retried = 0;
    fc_decode_opts dopts = fc_decode_opts_default();
    dopts.limits = cfg->limits;
    if (!img) {
        dopts.min_long_side = decode_long_side(m, bytes, len);
        if (!(decoded = fc_image_decode(bytes, len, &dopts, err))) {
            rc = err && err->code ? err->code : FC_ERR_FORMAT;
            goto out;
        }
        img = decoded;
    }
    if ((rc = detect(w, img, &n, &retried, err)))
        goto out;
    const int size = fc_embedder_size(m->emb);
    if (!(res = faces_new(n, cfg->embed ? fc_embedder_dim(m->emb) : 0, cfg->keep_crops)) ||
        !(crops = calloc(n ? (size_t)n : 1, sizeof *crops))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "pipeline: out of memory");
        goto out;
    }
    res->width = img->full_width > 0 ? img->full_width : (int)(img->width * img->scale + 0.5f);
    res->height = img->full_height > 0 ? img->full_height : (int)(img->height * img->scale + 0.5f);
    res->retried = retried;

    const fc_image *src = img;
    if (bytes && wants_full(m, img, w->dets, n)) {
        dopts.min_long_side = 0;
        fc_error ignored = {0};
        full = fc_image_decode(bytes, len, &dopts, &ignored);
        if (full)
            src = full; /* else align from the scaled image */
    }
    for (int i = 0; i < n; i++) {
        if (!(crops[i] = fc_image_new(size, size, err))) {
            rc = err && err->code ? err->code : FC_ERR_NOMEM;
            goto out;
        }
        if ((rc = one_face(w, img, src, &w->dets[i], &res->faces[i], crops[i], err)))
            goto out;
    }
    if (cfg->embed && n &&
        (rc = fc_embedder_run(w->emb, (const fc_image *const *)crops, n, res->faces[0].embedding, err)))
        goto out;
    if (cfg->keep_crops) {
        memcpy(res->crops, crops, (size_t)n * sizeof *crops);
        memset(crops, 0, (size_t)n * sizeof *crops);
    }
    *out = res;
    res = NULL;
out:
    for (int i = 0; crops && i < n; i++)
        fc_image_free(crops[i]);
    free(crops);
    fc_faces_free(res);
    fc_image_free(full);
    fc_image_free(decoded);
    return rc;
}
