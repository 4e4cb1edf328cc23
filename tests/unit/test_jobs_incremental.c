/* test_jobs_incremental.c - the incremental copy (fc_cj_copy_base): the base run's
 * faces come into the new run in the base's order, whatever order their images'
 * names have, over several copy batches; removed, failed and already copied images
 * stay out. The finish pairs base and copied faces in one pass on that order; a copy
 * in name order made every incremental run of an incremental run whose new photo
 * sorted first fail ("the run copied 22 base faces, 13 match the base"). Its progress
 * never shows more images done than in all. */
#include "test.h"
#include "test_store_fixtures.h"

#include "jobs/cluster_int.h"
#include "source/source.h"

#include <stdlib.h>
#include <string.h>

#define DIM 8

/* A progress callback: counts the reports and those whose done exceeds total. */
typedef struct {
    int reports, over;
} progress_seen;

static void on_progress(const fc_job_progress *p, void *user)
{
    progress_seen *seen = user;
    seen->reports++;
    seen->over += p->done > p->total;
}

/* Stores image number idx of "b/s" with n_faces faces (fx_batch_make: bbox x = 10 idx,
 * y = 20 + face) into run id; ok = 0 stores it as failed. */
static int store_image(fc_store *s, const char *id, int idx, int n_faces, int ok)
{
    fx_batch b;
    fc_error err = {0};
    if (fx_batch_make(&b, "b/s", idx, 1, n_faces, DIM))
        return -1;
    b.images[0].ok = ok;
    b.images[0].reason = ok ? NULL : strdup("not an image");
    int rc = fc_store_run_add_batch(s, id, b.faces, b.n_faces, b.images, 1, &err);
    if (rc)
        printf("  add_batch: %s\n", err.msg);
    fx_batch_free(&b);
    return rc;
}

TEST(jobs_copy_base_keeps_base_order)
{
    char db[512];
    fc_error err = {0};
    fx_db_path("jobs_copy", db, sizeof db);
    fc_store *s = fx_open(db);
    fc_vectors *v = fc_vectors_open_with(&fc_vectors_local, db, "face_embeddings", &err);
    CHECK(s && v);
    CHECK_OK(fc_vectors_ensure(v, DIM, &err), &err);
    /* the base: images stored out of name order, as parallel workers store them; img_2
       has no face, img_6 failed */
    fc_run_rec base = {0}, run = {0};
    snprintf(base.bucket, sizeof base.bucket, "b");
    snprintf(base.sub, sizeof base.sub, "s");
    run = base;
    CHECK_OK(fc_store_run_create(s, &base, &err), &err);
    static const int order[][3] = {{4, 1, 1}, {1, 1, 1}, {0, 2, 1}, {5, 2, 1},
                                   {2, 0, 1}, {3, 3, 1}, {6, 0, 0}}; /* image, faces, ok */
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        CHECK(store_image(s, base.clustering_id, order[i][0], order[i][1], order[i][2]) == 0);
    CHECK_OK(fc_store_run_finish(s, &base, NULL, 0, &err), &err);
    /* the bucket now: img_5 removed, img_9 new */
    fc_key_list keys = {0};
    for (int i = 0; i <= 9; i++) {
        char key[64];
        snprintf(key, sizeof key, "b/s/img_%d.jpg", i);
        if (i != 5 && (i <= 6 || i == 9))
            CHECK_OK(fc_key_list_add(&keys, key, &err), &err);
    }
    CHECK_OK(fc_key_list_sort(&keys, &err), &err);
    CHECK_OK(fc_store_run_create(s, &run, &err), &err);
    /* copy batches of 4 images (batch_size 1): the 5 copied images take two */
    fc_cluster_job_opts o;
    fc_cluster_job_opts_default(&o);
    o.bucket = "b", o.sub = "s", o.batch_size = 1;
    fc_cluster_job_result res = {0};
    progress_seen seen = {0};
    fc_cj_ctx c = {.o = &o, .store = s, .vec = v, .res = &res, .progress_fn = on_progress,
                   .user = &seen};
    snprintf(c.id, sizeof c.id, "%s", run.clustering_id);
    snprintf(c.base_id, sizeof c.base_id, "%s", base.clustering_id);
    CHECK_OK(fc_cj_copy_base(&c, &keys, &err), &err);
    fc_face_list bf = {0}, nf = {0};
    fc_image_list imgs = {0};
    CHECK_OK(fc_store_face_list(s, base.clustering_id, NULL, 0, &bf, &err), &err);
    CHECK_OK(fc_store_face_list(s, run.clustering_id, NULL, 0, &nf, &err), &err);
    CHECK_OK(fc_store_run_images(s, run.clustering_id, &imgs, &err), &err);
    int good = res.removed_images == 1 && imgs.n == 5 && bf.n == 9 && nf.n == 7;
    for (size_t i = 0; good && i < imgs.n; i++) /* img_0 .. img_4, all read fine */
        good = imgs.items[i].ok && imgs.items[i].image_path[8] == (char)('0' + i);
    size_t k = 0; /* the base's faces but img_5's, in the base's order, with new ids */
    for (size_t i = 0; good && i < bf.n; i++) {
        if (strstr(bf.items[i].image_path, "img_5"))
            continue;
        const fc_face_rec *a = &bf.items[i], *b = &nf.items[k++];
        good = !strcmp(a->image_path, b->image_path) && !memcmp(a->bbox, b->bbox, sizeof a->bbox) &&
               strcmp(a->face_id, b->face_id) != 0;
        if (!good)
            printf("  copied face %zu is %s [%d,%d], the base has %s [%d,%d]\n", k - 1,
                   b->image_path, b->bbox[0], b->bbox[1], a->image_path, a->bbox[0], a->bbox[1]);
    }
    fc_face_list_free(&bf);
    fc_face_list_free(&nf);
    fc_image_list_free(&imgs);
    fc_key_list_free(&keys);
    fc_run_rec_clear(&base);
    fc_run_rec_clear(&run);
    fc_vectors_close(v);
    fc_store_close(s);
    CHECK(good && k == 7);
    /* the copy's progress counts against the images to copy (its total was 0) */
    CHECK_MSG(seen.reports > 0 && seen.over == 0, "%d progress reports, %d with done > total",
              seen.reports, seen.over);
    return FC_TEST_PASS;
}
