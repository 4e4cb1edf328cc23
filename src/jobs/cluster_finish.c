/* cluster_finish.c - the last phase of the cluster job: read every stored face of the
 * run, group them into persons (fc_cluster_run, fc_cluster_original, or
 * fc_cluster_extend on top of the base run for incremental runs), give the vectors
 * their person ids, then commit the persons with the run in one transaction.
 *
 * Face order: the faces are clustered sorted by image key (a face's rank within its
 * image kept), so a run's persons do not depend on which worker finished first or
 * on whether the run was interrupted and resumed. */
#include "jobs/cluster_int.h"

#include "cluster/cluster.h"
#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

/* The faces to cluster, in clustering order, as arrays. */
typedef struct {
    fc_face_list list;  /* the run's face rows, insertion order */
    size_t *ord;        /* clustering row -> list index */
    int64_t n, n_old;   /* rows; the first n_old are the base run's (incremental) */
    int dim;
    float *emb, *quality, *conf;
    int64_t *image;     /* image number per row (cannot-link) */
    int64_t n_images;
} face_rows;

static void rows_free(face_rows *r)
{
    fc_face_list_free(&r->list);
    free(r->ord), free(r->emb), free(r->quality), free(r->conf), free(r->image);
}

static const face_rows *sort_rows;
static int cmp_by_path(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_rows->list.items[x].image_path, sort_rows->list.items[y].image_path);
    return c ? c : (x > y) - (x < y);
}

static char **sort_keys;
static int cmp_key_idx(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    int c = strcmp(sort_keys[x], sort_keys[y]);
    return c ? c : (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the run's faces and orders them: base faces first (incremental: every face
 * whose image the base run had, in insertion order = the base's order), then the rest
 * by image key. */
static fc_status load_rows(fc_cj_ctx *c, char **base_keys, size_t n_base_keys, face_rows *r,
                           fc_error *err)
{
    fc_status rc = fc_store_face_list(c->store, c->id, NULL, 1, &r->list, err);
    if (rc)
        return rc;
    size_t n = r->list.n;
    r->n = (int64_t)n;
    r->dim = n ? r->list.items[0].dim : 0;
    size_t m = n ? n : 1;
    r->ord = malloc(m * sizeof *r->ord);
    r->emb = malloc(m * (size_t)(r->dim ? r->dim : 1) * sizeof(float));
    r->quality = malloc(m * sizeof(float));
    r->conf = malloc(m * sizeof(float));
    r->image = malloc(m * sizeof(int64_t));
    int64_t *tmp = malloc(m * sizeof *tmp);
    char **paths = malloc(m * sizeof *paths);
    if (!r->ord || !r->emb || !r->quality || !r->conf || !r->image || !tmp || !paths) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%zu faces", n);
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char *key = r->list.items[i].image_path;
        if (n_base_keys && bsearch(&key, base_keys, n_base_keys, sizeof *base_keys, cmp_str))
            r->ord[k++] = i;
    }
    r->n_old = (int64_t)k;
    size_t first_new = k;
    for (size_t i = 0; i < n; i++) {
        char *key = r->list.items[i].image_path;
        if (!(n_base_keys && bsearch(&key, base_keys, n_base_keys, sizeof *base_keys, cmp_str)))
            r->ord[k++] = i;
    }
    sort_rows = r;
    qsort(r->ord + first_new, n - first_new, sizeof *r->ord, cmp_by_path);
    for (size_t i = 0; i < n; i++) {
        const fc_face_rec *f = &r->list.items[r->ord[i]];
        if (f->dim != r->dim || !f->embedding) {
            rc = fc_error_set(err, FC_ERR_FORMAT, "face %s has no %d-d embedding", f->face_id,
                              r->dim);
            goto out;
        }
        memcpy(r->emb + i * (size_t)r->dim, f->embedding, (size_t)r->dim * sizeof(float));
        r->quality[i] = f->quality_score;
        r->conf[i] = f->confidence;
        paths[i] = f->image_path;
        tmp[i] = (int64_t)i;
    }
    sort_keys = paths;
    qsort(tmp, n, sizeof *tmp, cmp_key_idx);
    r->n_images = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(paths[tmp[i]], paths[tmp[i - 1]]))
            r->n_images++;
        r->image[tmp[i]] = r->n_images;
    }
    if (n)
        r->n_images++;
out:
    free(tmp);
    free(paths);
    return rc;
}

static fc_cluster_faces faces_of(const face_rows *r, int64_t from, int64_t to)
{
    return (fc_cluster_faces){.n_faces = to - from,
                              .dim = r->dim ? r->dim : 1,
                              .emb = r->emb + from * r->dim,
                              .image = r->image + from,
                              .quality = r->quality + from,
                              .confidence = r->conf + from};
}

/* Rows of the base faces: row[i] = the row of r that holds base face i, or -1 when its
 * image left the bucket or changed. r's rows 0..n_old are the base faces that were
 * copied, in the base's order, and a removed or changed image's path is in none of
 * them, so one pass matches them. */
static fc_status base_rows(const fc_face_list *bf, const face_rows *r, int64_t *row,
                           fc_error *err)
{
    int64_t k = 0;
    for (size_t i = 0; i < bf->n; i++) {
        row[i] = -1;
        if (k < r->n_old &&
            !strcmp(bf->items[i].image_path, r->list.items[r->ord[k]].image_path))
            row[i] = k++;
    }
    if (k != r->n_old)
        return fc_error_set(err, FC_ERR_INTERNAL, "the run copied %lld base faces, %lld match the base",
                            (long long)r->n_old, (long long)k);
    return FC_OK;
}

/* The clustering of rows 0..n_old of r as person_of groups them (fc_cluster_assemble),
 * with the stored owner and confidences of each person that lost no faces (keep[q]:
 * owner[q] and conf are the stored ones); a person that lost faces gets them again by
 * the rule of fc_cluster_run. */
static fc_status base_assemble(const face_rows *r, const int32_t *person_of, int n_persons,
                               const char *keep, const int64_t *owner, const float *conf,
                               fc_clustering **out, fc_error *err)
{
    fc_cluster_faces f = faces_of(r, 0, r->n_old);
    fc_status rc = fc_cluster_assemble(&f, person_of, n_persons, out, err);
    if (rc)
        return rc;
    fc_clustering *p = *out;
    for (int q = 0; q < n_persons; q++) {
        if (!keep[q])
            continue;
        p->owner[q] = owner[q];
        for (int64_t m = p->member_start[q]; m < p->member_start[q + 1]; m++)
            p->face_confidence[p->members[m]] = conf[p->members[m]];
    }
    return FC_OK;
}

/* The base run's clustering, as fc_cluster_extend takes it, over rows 0..n_old of r:
 * the base's faces less those of images no longer in the bucket or changed since. A person left
 * without faces is gone (the persons after it move up one number); one that lost
 * faces gets its owner and confidences again. */
static fc_status base_clustering(fc_cj_ctx *c, const face_rows *r, fc_clustering **out,
                                 fc_error *err)
{
    fc_face_list bf = {0};
    fc_person_list bp = {0};
    int64_t *row = NULL, *owner = NULL;
    fc_strmap by_id = {0}; /* face_id -> base face: a person's members among bf */
    int32_t *person_of = NULL;
    float *conf = NULL;
    char *keep = NULL;
    *out = NULL;
    fc_status rc = fc_store_face_list(c->store, c->base_id, NULL, 0, &bf, err);
    if (!rc)
        rc = fc_store_person_list(c->store, c->base_id, NULL, &bp, err);
    if (rc)
        goto out;
    int64_t n = r->n_old;
    size_t nn = n ? (size_t)n : 1, nb = bf.n ? bf.n : 1, np = bp.n ? bp.n : 1;
    person_of = malloc(nn * sizeof *person_of);
    conf = malloc(nn * sizeof *conf);
    owner = malloc(np * sizeof *owner);
    keep = malloc(np);
    row = malloc(nb * sizeof *row);
    if (!person_of || !conf || !owner || !keep || !row || fc_face_list_index(&bf, &by_id)) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "base clustering");
        goto out;
    }
    if ((rc = base_rows(&bf, r, row, err)))
        goto out;
    for (int64_t i = 0; i < n; i++)
        person_of[i] = -1;
    int n_persons = 0;
    for (size_t q = 0; q < bp.n; q++) {
        const fc_person_rec *pr = &bp.items[q];
        int kept = 0, owner_kept = 0;
        for (size_t m = 0; m < pr->n_members; m++) {
            int b = fc_strmap_get(&by_id, pr->members[m].face_id);
            if (b < 0) {
                rc = fc_error_set(err, FC_ERR_INTERNAL, "base person %s: face %s is not in the run",
                                  pr->person_id, pr->members[m].face_id);
                goto out;
            }
            if (row[b] < 0)
                continue;
            kept++;
            person_of[row[b]] = n_persons;
            conf[row[b]] = pr->members[m].cluster_confidence;
            if (!strcmp(pr->owner_face_id, pr->members[m].face_id))
                owner[n_persons] = row[b], owner_kept = 1;
        }
        if (!kept)
            continue;
        keep[n_persons] = (size_t)kept == pr->n_members && owner_kept;
        n_persons++;
    }
    c->res->removed_faces = (int64_t)bf.n - n;
    c->res->removed_persons = (int)bp.n - n_persons;
    rc = base_assemble(r, person_of, n_persons, keep, owner, conf, out, err);
out:
    fc_strmap_free(&by_id);
    fc_face_list_free(&bf);
    fc_person_list_free(&bp);
    free(row);
    free(person_of);
    free(conf);
    free(owner);
    free(keep);
    return rc;
}

/* Groups the rows with the job's method. */
static fc_status cluster_rows(fc_cj_ctx *c, const face_rows *r, fc_clustering **cl,
                              fc_error *err)
{
    fc_cluster_params p = fc_cluster_params_default();
    p.edge_threshold = c->edge;
    p.merge_threshold = c->merge;
    p.attach_threshold = c->attach;
    p.cannot_link = c->cannot_link;
    p.min_faces = c->min_faces > 0 ? c->min_faces : 1;
    p.index.n_threads = c->o->threads > 0 ? c->o->threads : 1;
    fc_cluster_faces all = faces_of(r, 0, r->n);
    if (c->method == FC_CLUSTER_METHOD_ORIGINAL)
        return fc_cluster_original(&all, c->edge, p.index.n_threads, cl, err);
    if (!c->base_id[0])
        return fc_cluster_run(&all, &p, cl, err);
    fc_clustering *prev = NULL;
    fc_cluster_changes ch = {0};
    fc_status rc = base_clustering(c, r, &prev, err);
    if (rc)
        return rc;
    fc_cluster_faces old_f = faces_of(r, 0, r->n_old), new_f = faces_of(r, r->n_old, r->n);
    rc = fc_cluster_extend(&old_f, prev, &new_f, &p, cl, &ch, err);
    if (!rc) {
        fc_cluster_job_result *res = c->res;
        res->n_persons_before = ch.n_persons_before;
        res->n_new_persons = ch.n_new_persons;
        res->joined_faces = ch.n_joined;
        res->new_faces = r->n - r->n_old;
        res->changes = calloc((size_t)((*cl)->n_persons ? (*cl)->n_persons : 1),
                              sizeof *res->changes);
        for (int q = 0; res->changes && q < (*cl)->n_persons; q++) {
            if (!ch.faces_added[q])
                continue;
            fc_person_change *pc = &res->changes[res->n_changes++];
            snprintf(pc->person_id, sizeof pc->person_id, "person_%d", q);
            pc->faces_added = ch.faces_added[q];
            pc->size = (*cl)->member_start[q + 1] - (*cl)->member_start[q];
            pc->is_new = q >= ch.n_persons_before;
        }
    }
    fc_cluster_changes_free(&ch);
    fc_clustering_free(prev);
    return rc;
}

/* Persons of cl as store records (pointers into r and cl). */
static fc_status make_persons(const face_rows *r, const fc_clustering *cl, fc_person_rec **out,
                              fc_member_rec **members, fc_error *err)
{
    size_t np = (size_t)cl->n_persons;
    fc_person_rec *ps = calloc(np ? np : 1, sizeof *ps);
    fc_member_rec *ms = calloc((size_t)(r->n ? r->n : 1), sizeof *ms);
    if (!ps || !ms) {
        free(ps), free(ms);
        return fc_error_set(err, FC_ERR_NOMEM, "%zu persons", np);
    }
    for (size_t q = 0; q < np; q++) {
        fc_person_rec *p = &ps[q];
        snprintf(p->person_id, sizeof p->person_id, "person_%zu", q);
        snprintf(p->cluster_id, sizeof p->cluster_id, "%s", p->person_id);
        int64_t owner = cl->owner[q];
        memcpy(p->owner_face_id, r->list.items[r->ord[owner]].face_id, sizeof p->owner_face_id);
        p->owner_embedding = r->emb + owner * r->dim;
        p->centroid = cl->centroids + q * (size_t)r->dim;
        p->dim = r->dim;
        p->members = ms + cl->member_start[q];
        p->n_members = (size_t)(cl->member_start[q + 1] - cl->member_start[q]);
        double sum = 0;
        for (size_t m = 0; m < p->n_members; m++) {
            int64_t i = cl->members[cl->member_start[q] + (int64_t)m];
            const fc_face_rec *f = &r->list.items[r->ord[i]];
            memcpy(p->members[m].face_id, f->face_id, sizeof p->members[m].face_id);
            p->members[m].cluster_confidence = cl->face_confidence[i];
            sum += f->confidence;
            if (f->quality_score > p->best_quality_score)
                p->best_quality_score = f->quality_score;
        }
        p->avg_confidence = p->n_members ? (float)(sum / (double)p->n_members) : 0;
    }
    *out = ps;
    *members = ms;
    return FC_OK;
}

/* single/multi-person images and the most persons in one image. */
static void overlap_stats(const face_rows *r, const fc_clustering *cl, fc_cluster_job_result *res)
{
    int64_t *cnt = calloc((size_t)(r->n_images ? r->n_images : 1), sizeof *cnt);
    int32_t *last = malloc((size_t)(r->n_images ? r->n_images : 1) * sizeof *last);
    if (!cnt || !last)
        goto out;
    for (int q = 0; q < cl->n_persons; q++)
        for (int64_t m = cl->member_start[q]; m < cl->member_start[q + 1]; m++) {
            int64_t im = r->image[cl->members[m]];
            if (cnt[im] == 0 || last[im] != q)
                cnt[im]++, last[im] = q;
        }
    for (int64_t i = 0; i < r->n_images; i++) {
        res->single_person_images += cnt[i] == 1;
        res->multi_person_images += cnt[i] > 1;
        if (cnt[i] > res->max_persons_per_image)
            res->max_persons_per_image = cnt[i];
    }
out:
    free(cnt);
    free(last);
}

/* Upserts every face's point again, now with person, owner flag, cluster confidence. */
static fc_status update_vectors(fc_cj_ctx *c, const face_rows *r, const fc_clustering *cl,
                                fc_error *err)
{
    fc_vec_point *pts = calloc((size_t)(r->n ? r->n : 1), sizeof *pts);
    if (!pts)
        return fc_error_set(err, FC_ERR_NOMEM, "vectors");
    for (int64_t i = 0; i < r->n; i++) {
        const fc_face_rec *f = &r->list.items[r->ord[i]];
        fc_vec_payload *p = &pts[i].payload;
        memcpy(p->face_id, f->face_id, sizeof p->face_id);
        memcpy(p->clustering_id, c->id, sizeof p->clustering_id);
        snprintf(p->bucket_name, sizeof p->bucket_name, "%s", c->o->bucket);
        snprintf(p->sub_bucket, sizeof p->sub_bucket, "%s", c->o->sub);
        p->image_path = f->image_path;
        memcpy(p->bbox, f->bbox, sizeof p->bbox);
        p->confidence = f->confidence, p->quality_score = f->quality_score;
        int32_t q = cl->person_of[i];
        if (q >= 0) {
            snprintf(p->person_id, sizeof p->person_id, "person_%d", q);
            p->is_owner_face = cl->owner[q] == i;
            p->cluster_confidence = cl->face_confidence[i];
        }
        pts[i].vector = r->emb + i * r->dim;
        pts[i].dim = r->dim;
    }
    fc_status rc = r->n ? fc_vectors_upsert(c->vec, pts, (size_t)r->n, err) : FC_OK;
    free(pts);
    return rc;
}

static int cmp_image(const void *a, const void *b)
{
    return strcmp(((const fc_image_rec *)a)->image_path, ((const fc_image_rec *)b)->image_path);
}

/* The sorted keys of the base run's images that were read and are unchanged, pointing
 * into imgs; *n_keys of them. Its failed ones are read again as new (fc_cj_copy_base),
 * and so are the changed ones: this run's record of the image has another
 * fingerprint than the base's (counted in c->res->changed_images; from the stored
 * records, so a resumed run counts the same). */
static fc_status base_keys_of(fc_cj_ctx *c, fc_image_list *imgs, char ***keys, size_t *n_keys,
                              fc_error *err)
{
    fc_image_list now = {0};
    *keys = NULL, *n_keys = 0;
    if (!c->base_id[0])
        return FC_OK;
    fc_status rc = fc_store_run_images(c->store, c->base_id, imgs, err);
    if (!rc)
        rc = fc_store_run_images(c->store, c->id, &now, err);
    if (rc)
        goto out;
    *keys = malloc((imgs->n ? imgs->n : 1) * sizeof **keys);
    if (!*keys) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "base keys");
        goto out;
    }
    qsort(now.items, now.n, sizeof *now.items, cmp_image);
    c->res->changed_images = 0;
    for (size_t i = 0; i < imgs->n; i++) {
        const fc_image_rec *b = &imgs->items[i];
        const fc_image_rec *r = now.n ? bsearch(b, now.items, now.n, sizeof *now.items, cmp_image)
                                      : NULL;
        if (b->ok && r && fc_cj_base_changed(b, r->fingerprint))
            c->res->changed_images++;
        else if (b->ok)
            (*keys)[(*n_keys)++] = b->image_path;
    }
    qsort(*keys, *n_keys, sizeof **keys, cmp_str);
out:
    fc_image_list_free(&now);
    return rc;
}

fc_status fc_cj_finish(fc_cj_ctx *c, fc_error *err)
{
    face_rows r = {0};
    fc_image_list base_imgs = {0};
    char **base_keys = NULL;
    fc_clustering *cl = NULL;
    fc_person_rec *persons = NULL;
    fc_member_rec *members = NULL;
    fc_run_rec run = {0};
    fc_cluster_job_result *res = c->res;
    c->prog.phase = FC_JOB_PHASE_CLUSTER;
    fc_cj_report(c, 1);
    size_t n_base_keys = 0;
    fc_status rc = base_keys_of(c, &base_imgs, &base_keys, &n_base_keys, err);
    if (!rc)
        rc = load_rows(c, base_keys, n_base_keys, &r, err);
    if (!rc)
        rc = cluster_rows(c, &r, &cl, err);
    if (!rc)
        rc = make_persons(&r, cl, &persons, &members, err);
    if (rc)
        goto out;
    res->total_faces = r.n;
    res->total_persons = cl->n_persons;
    res->unassigned_faces = cl->n_unassigned;
    res->avg_faces_per_person =
        cl->n_persons ? (double)(r.n - cl->n_unassigned) / cl->n_persons : 0;
    overlap_stats(&r, cl, res);
    c->prog.phase = FC_JOB_PHASE_SAVE;
    fc_cj_report(c, 1);
    int found = 0;
    rc = fc_cj_load_images(c, err);
    if (!rc)
        rc = fc_store_run_get(c->store, c->id, &run, &found, err);
    if (rc)
        goto out;
    /* new since the base, however many of them a resume found stored already */
    if (c->base_id[0])
        res->new_images = res->total_images + res->failed_count -
                          ((int64_t)base_imgs.n - res->removed_images);
    res->processing_time_seconds = fc_now_s() - c->t0;
    res->database_saved = 1;
    free(run.image_overlap_stats), free(run.processing_stats);
    run.image_overlap_stats = run.processing_stats = NULL;
    rc = fc_cj_stats_json(c, &run.image_overlap_stats, &run.processing_stats);
    /* the points get their person ids before the run becomes done: if that fails, the
       run stays failed and resumable, never done with points that lack their persons */
    if (!rc)
        rc = update_vectors(c, &r, cl, err);
    if (!rc)
        rc = fc_store_run_finish(c->store, &run, persons, (size_t)cl->n_persons, err);
    if (rc)
        res->database_saved = 0;
out:
    free(persons);
    free(members);
    fc_clustering_free(cl);
    fc_run_rec_clear(&run);
    free(base_keys);
    fc_image_list_free(&base_imgs);
    rows_free(&r);
    return rc;
}
