/* test_store_leases.c - shared runs on the SQLite store (docs/workers.md): two
 * handles as two workers; claiming, expiry and takeover, a complete refused after a
 * takeover, heartbeats, the finish claimed exactly once, a dead process's shared run
 * left running, and FC_ERR_UNSUPPORTED from a backend without the ops. */
#include "test.h"
#include "test_store_fixtures.h"

#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define W1 "host:1:1:aaaa"
#define W2 "host:2:2:bbbb"

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Opens a shared run of b/s with the images of all on s; *id set. */
static int open_shared(fc_store *s, const fx_batch *all, char id[FC_OBJECTID_LEN + 1],
                       int *joined)
{
    fc_error err = {0};
    char **paths = calloc(all->n_images + 1, sizeof *paths);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    for (size_t i = 0; i < all->n_images; i++)
        paths[i] = all->images[i].image_path;
    fc_status rc = fc_store_run_open_shared(s, &run, paths, all->n_images, joined, &err);
    free(paths);
    if (rc)
        printf("  open_shared: %s\n", err.msg);
    memcpy(id, run.clustering_id, FC_OBJECTID_LEN + 1);
    return rc;
}

/* Completes lease l with its images and faces from all; returns *committed, or -1. */
static int complete(fc_store *s, const char *id, const char *worker, const fx_batch *all,
                    const fc_lease *l)
{
    fc_image_rec *imgs = calloc(l->n + 1, sizeof *imgs);
    fc_face_rec *faces = calloc(all->n_faces + 1, sizeof *faces);
    size_t ni = 0, nf = 0;
    for (size_t i = 0; i < all->n_images; i++)
        for (size_t k = 0; k < l->n; k++)
            if (!strcmp(all->images[i].image_path, l->image_paths[k]))
                imgs[ni++] = all->images[i];
    for (size_t f = 0; f < all->n_faces; f++)
        for (size_t k = 0; k < ni; k++)
            if (!strcmp(all->faces[f].image_path, imgs[k].image_path))
                faces[nf++] = all->faces[f];
    fc_error err = {0};
    int committed = 0;
    fc_status rc = fc_store_lease_complete(s, id, worker, faces, nf, imgs, ni, &committed, &err);
    if (rc)
        printf("  lease_complete: %s\n", err.msg);
    free(imgs);
    free(faces);
    return rc ? -1 : committed;
}

static int disjoint(const fc_lease *a, const fc_lease *b)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t k = 0; k < b->n; k++)
            if (!strcmp(a->image_paths[i], b->image_paths[k]))
                return 0;
    return 1;
}

TEST(store_lease_claim_join_complete)
{
    char path[512], id1[FC_OBJECTID_LEN + 1], id2[FC_OBJECTID_LEN + 1];
    fx_db_path("lease_claim", path, sizeof path);
    fc_store *a = fx_open(path), *b = fx_open(path);
    CHECK(a && b);
    fx_batch all;
    CHECK(fx_batch_make(&all, "b/s", 0, 6, 2, 16) == 0);
    int joined = -1;
    fc_error err = {0};
    CHECK(open_shared(a, &all, id1, &joined) == 0 && joined == 0);
    CHECK(open_shared(b, &all, id2, &joined) == 0 && joined == 1);
    CHECK(!strcmp(id1, id2));

    fc_lease l1, l2, l3;
    CHECK_OK(fc_store_lease_claim(a, id1, W1, 4, 5000, &l1, &err), &err);
    CHECK(l1.n == 4 && l1.n_taken_over == 0 && l1.n_left == 6 && l1.run_open);
    CHECK_OK(fc_store_lease_claim(b, id1, W2, 4, 5000, &l2, &err), &err);
    CHECK(l2.n == 2 && disjoint(&l1, &l2));
    CHECK_OK(fc_store_lease_claim(b, id1, W2 "x", 4, 5000, &l3, &err), &err);
    CHECK(l3.n == 0 && l3.n_left == 6);
    fc_lease_clear(&l3);

    /* a worker cannot commit images leased to another */
    CHECK(complete(a, id1, W1, &all, &l2) == 0);
    CHECK(complete(a, id1, W1, &all, &l1) == 1);
    int64_t n;
    CHECK_OK(fc_store_face_count(a, id1, &n, &err), &err);
    CHECK(n == 8);
    /* a committed lease cannot be committed again */
    CHECK(complete(a, id1, W1, &all, &l1) == 0);
    int claimed = -1;
    CHECK_OK(fc_store_run_claim_finish(a, id1, W1, 5000, &claimed, &err), &err);
    CHECK(claimed == 0); /* two images left */
    CHECK(complete(b, id1, W2, &all, &l2) == 1);
    CHECK_OK(fc_store_face_count(a, id1, &n, &err), &err);
    CHECK(n == 12);
    CHECK_OK(fc_store_lease_claim(a, id1, W1, 4, 5000, &l3, &err), &err);
    CHECK(l3.n == 0 && l3.n_left == 0 && l3.run_open);
    fc_lease_clear(&l1), fc_lease_clear(&l2), fc_lease_clear(&l3);
    fx_batch_free(&all);
    fc_store_close(a);
    fc_store_close(b);
    return FC_TEST_PASS;
}

TEST(store_lease_expiry_takeover_and_refused_complete)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    fx_db_path("lease_expiry", path, sizeof path);
    fc_store *a = fx_open(path), *b = fx_open(path);
    CHECK(a && b);
    fx_batch all;
    CHECK(fx_batch_make(&all, "b/s", 0, 3, 1, 8) == 0);
    int joined;
    fc_error err = {0};
    CHECK(open_shared(a, &all, id, &joined) == 0);
    fc_lease l1, l2, l3;
    CHECK_OK(fc_store_lease_claim(a, id, W1, 10, 300, &l1, &err), &err);
    CHECK(l1.n == 3);

    /* heartbeats keep the lease */
    int64_t held = 0;
    sleep_ms(200);
    CHECK_OK(fc_store_lease_heartbeat(a, id, W1, 300, &held, &err), &err);
    CHECK(held == 3);
    sleep_ms(200);
    CHECK_OK(fc_store_lease_claim(b, id, W2, 10, 300, &l2, &err), &err);
    CHECK(l2.n == 0);
    fc_lease_clear(&l2);

    /* without them it expires and is taken over */
    sleep_ms(350);
    CHECK_OK(fc_store_lease_claim(b, id, W2, 10, 5000, &l2, &err), &err);
    CHECK(l2.n == 3 && l2.n_taken_over == 3);
    CHECK_OK(fc_store_lease_heartbeat(a, id, W1, 300, &held, &err), &err);
    CHECK(held == 0);
    /* the slow worker's commit is refused: nothing written */
    CHECK(complete(a, id, W1, &all, &l1) == 0);
    int64_t n;
    CHECK_OK(fc_store_face_count(a, id, &n, &err), &err);
    CHECK(n == 0);
    CHECK(complete(b, id, W2, &all, &l2) == 1);
    CHECK_OK(fc_store_face_count(a, id, &n, &err), &err);
    CHECK(n == 3);

    /* release gives images back at once */
    fc_lease_clear(&l1);
    fc_lease_clear(&l2);
    fx_batch more;
    CHECK(fx_batch_make(&more, "b/s", 10, 2, 1, 8) == 0);
    char id2[FC_OBJECTID_LEN + 1];
    fc_run_rec done_run = {0};
    memcpy(done_run.clustering_id, id, sizeof id);
    int claimed;
    CHECK_OK(fc_store_run_claim_finish(a, id, W1, 5000, &claimed, &err), &err);
    CHECK(claimed == 1);
    CHECK_OK(fc_store_run_finish(a, &done_run, NULL, 0, &err), &err);
    CHECK(open_shared(b, &more, id2, &joined) == 0 && joined == 0 && strcmp(id, id2) != 0);
    CHECK_OK(fc_store_lease_claim(b, id2, W2, 10, 60000, &l3, &err), &err);
    CHECK(l3.n == 2);
    fc_lease_clear(&l3);
    CHECK_OK(fc_store_lease_release(b, id2, W2, &err), &err);
    CHECK_OK(fc_store_lease_claim(a, id2, W1, 10, 60000, &l3, &err), &err);
    CHECK(l3.n == 2 && l3.n_taken_over == 0);
    fc_lease_clear(&l3);
    fx_batch_free(&more);
    fx_batch_free(&all);
    fc_store_close(a);
    fc_store_close(b);
    return FC_TEST_PASS;
}

TEST(store_lease_finish_once)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    fx_db_path("lease_finish", path, sizeof path);
    fc_store *a = fx_open(path), *b = fx_open(path);
    CHECK(a && b);
    fx_batch all;
    CHECK(fx_batch_make(&all, "b/s", 0, 2, 1, 8) == 0);
    int joined, ca = -1, cb = -1;
    fc_error err = {0};
    CHECK(open_shared(a, &all, id, &joined) == 0);
    fc_lease l;
    CHECK_OK(fc_store_lease_claim(a, id, W1, 10, 5000, &l, &err), &err);
    CHECK(complete(a, id, W1, &all, &l) == 1);
    fc_lease_clear(&l);
    CHECK_OK(fc_store_run_claim_finish(b, id, W2, 300, &cb, &err), &err);
    CHECK_OK(fc_store_run_claim_finish(a, id, W1, 300, &ca, &err), &err);
    CHECK(cb == 1 && ca == 0);
    /* only the finisher's handle may write the run */
    fc_run_rec run = {0};
    memcpy(run.clustering_id, id, sizeof id);
    CHECK(fc_store_run_finish(a, &run, NULL, 0, &err) == FC_ERR_ARG);
    /* a finisher that stops heartbeating loses the claim */
    sleep_ms(350);
    CHECK_OK(fc_store_run_claim_finish(a, id, W1, 5000, &ca, &err), &err);
    CHECK(ca == 1);
    CHECK(fc_store_run_finish(b, &run, NULL, 0, &err) == FC_ERR_ARG);
    CHECK_OK(fc_store_run_finish(a, &run, NULL, 0, &err), &err);
    CHECK_OK(fc_store_run_claim_finish(b, id, W2, 5000, &cb, &err), &err);
    CHECK(cb == 0);
    CHECK_OK(fc_store_lease_claim(b, id, W2, 10, 5000, &l, &err), &err);
    CHECK(l.n == 0 && !l.run_open);
    fc_run_rec got;
    int found;
    CHECK_OK(fc_store_run_get(b, id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_DONE && got.total_images == 2 && got.total_faces == 2);
    fc_run_rec_clear(&got);
    fx_batch_free(&all);
    fc_store_close(a);
    fc_store_close(b);
    return FC_TEST_PASS;
}

TEST(store_lease_dead_process_run_stays_open)
{
    char path[512], id[FC_OBJECTID_LEN + 1];
    fx_db_path("lease_dead", path, sizeof path);
    fx_batch all;
    CHECK(fx_batch_make(&all, "b/s", 0, 4, 1, 8) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fc_store *s = fx_open(path);
        int joined;
        fc_error err = {0};
        fc_lease l;
        if (!s || open_shared(s, &all, id, &joined) ||
            fc_store_lease_claim(s, id, W1, 2, 200, &l, &err))
            _exit(1);
        _exit(0); /* dies holding its lease, without closing */
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fc_store *s = fx_open(path);
    CHECK(s);
    int joined;
    fc_error err = {0};
    CHECK(open_shared(s, &all, id, &joined) == 0 && joined == 1);
    fc_run_rec got;
    int found;
    CHECK_OK(fc_store_run_get(s, id, &got, &found, &err), &err);
    CHECK(found && got.status == FC_RUN_RUNNING);
    fc_run_rec_clear(&got);
    fc_lease l;
    CHECK_OK(fc_store_lease_claim(s, id, W2, 10, 5000, &l, &err), &err);
    CHECK(l.n == 2 && l.n_taken_over == 0); /* the dead one's two are still leased */
    fc_lease_clear(&l);
    sleep_ms(250);
    CHECK_OK(fc_store_lease_claim(s, id, W2, 10, 5000, &l, &err), &err);
    CHECK(l.n == 4 && l.n_taken_over == 2);
    CHECK(complete(s, id, W2, &all, &l) == 1);
    fc_lease_clear(&l);
    fx_batch_free(&all);
    fc_store_close(s);
    return FC_TEST_PASS;
}

TEST(store_lease_unsupported_backend)
{
    char path[512];
    fx_db_path("lease_unsupported", path, sizeof path);
    static struct fc_store_ops no_shared;
    no_shared = fc_store_sqlite;
    no_shared.name = "noshared";
    no_shared.run_open_shared = NULL;
    no_shared.lease_claim = NULL;
    fc_error err = {0};
    fc_store *s = fc_store_open_with(&no_shared, path, &err);
    CHECK(s);
    fc_run_rec run = {0};
    snprintf(run.bucket, sizeof run.bucket, "b");
    snprintf(run.sub, sizeof run.sub, "s");
    int joined;
    CHECK(fc_store_run_open_shared(s, &run, NULL, 0, &joined, &err) == FC_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "noshared") != NULL);
    fc_lease l;
    CHECK(fc_store_lease_claim(s, "0123456789abcdef01234567", W1, 1, 1000, &l, &err) ==
          FC_ERR_UNSUPPORTED);
    fc_store_close(s);
    return FC_TEST_PASS;
}
