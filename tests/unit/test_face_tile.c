/* test_face_tile.c - the second search on tiles (face/tile.h): the tile geometry
 * (coverage, overlap, aspect, the tile cap), which boxes count as cut by a tile edge,
 * the merge (a cut box gives way to the face held whole elsewhere), and the pipeline
 * on composites of sample4 copies where the whole-image search loses faces: a crowd
 * of small faces (tiled by default) and a panorama (tiled with DETECT_TILE_ASPECT). */
#include "test.h"

#include "face/pipeline.h"
#include "face/tile.h"
#include "face_util.h"
#include "image_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

static fc_detection det(float x1, float y1, float x2, float y2, float score)
{
    fc_detection d = {{x1, y1, x2, y2}, score, 0, {{0, 0}}};
    return d;
}

/* NULL if tiles[0..n) cover img_w x img_h in rows and columns that overlap by at least
 * min_ov and stay inside the image, else what is wrong. */
static const char *tiling_problem(const fc_tile *t, int n, int img_w, int img_h, float min_ov)
{
    for (int i = 0; i < n; i++)
        if (t[i].x < 0 || t[i].y < 0 || t[i].w <= 0 || t[i].h <= 0 || t[i].x + t[i].w > img_w ||
            t[i].y + t[i].h > img_h)
            return "a tile outside the image";
    /* every pixel column and row is covered; neighbours overlap */
    for (int i = 0; i < n; i++) {
        const fc_tile *a = &t[i];
        if (a->x + a->w < img_w) { /* the tile to its right in the same row */
            int found = 0;
            for (int k = 0; k < n && !found; k++)
                found = t[k].y == a->y && t[k].x > a->x && t[k].x <= a->x + a->w - min_ov;
            if (!found)
                return "no right neighbour overlapping enough";
        }
        if (a->y + a->h < img_h) {
            int found = 0;
            for (int k = 0; k < n && !found; k++)
                found = t[k].x == a->x && t[k].y > a->y && t[k].y <= a->y + a->h - min_ov;
            if (!found)
                return "no lower neighbour overlapping enough";
        }
    }
    if (t[0].x != 0 || t[0].y != 0)
        return "the first tile is not at the origin";
    return NULL;
}

TEST(face_tile_plan_geometry)
{
    fc_tile t[FC_TILE_MAX];
    /* a photo of the detector's aspect: one tile would be the whole photo */
    CHECK(fc_tile_plan(1920, 1448, 320, 240, 1, 8, t) == 0);
    CHECK_NEAR(fc_tile_stretch(1920, 1440, 320, 240), 1.0, 1e-6);
    CHECK_NEAR(fc_tile_stretch(9600, 1440, 320, 240), 5.0, 1e-5);
    CHECK_NEAR(fc_tile_stretch(1440, 1920, 320, 240), 16.0 / 9.0, 1e-5);

    /* a panorama: one row of full-height tiles of about 4:3 */
    int n = fc_tile_plan(9600, 1448, 320, 240, 1, 8, t);
    CHECK(n >= 4 && n <= 8); /* 9600 / (1448 * 4 / 3) = 5 at 4:3, fewer stretched a little */
    const char *why = tiling_problem(t, n, 9600, 1448, FC_TILE_OVERLAP * 1448 - 1);
    CHECK_MSG(!why, "panorama: %s", why);
    for (int i = 0; i < n; i++) {
        CHECK(t[i].y == 0 && t[i].h == 1448);
        float stretch = fc_tile_stretch(t[i].w, t[i].h, 320, 240);
        CHECK_MSG(stretch <= 1.5f, "tile %d: %dx%d stretched %g", i, t[i].w, t[i].h, stretch);
    }
    CHECK(t[n - 1].x + t[n - 1].w == 9600);

    /* the cap: fewer, longer tiles, still covering */
    CHECK(fc_tile_plan(9600, 1448, 320, 240, 1, 3, t) == 3);
    why = tiling_problem(t, 3, 9600, 1448, FC_TILE_OVERLAP * 1448 - 1);
    CHECK_MSG(!why, "capped: %s", why);
    CHECK(fc_tile_plan(9600, 1448, 320, 240, 1, 1, t) == 0); /* one tile = the image */
    CHECK(fc_tile_plan(9600, 1448, 320, 240, 1, 1000, t) <= FC_TILE_MAX);

    /* a tall stack: one column of full-width tiles */
    n = fc_tile_plan(1920, 7240, 320, 240, 1, 8, t);
    CHECK(n >= 4 && n <= 8);
    why = tiling_problem(t, n, 1920, 7240, FC_TILE_OVERLAP * 1920 - 1);
    CHECK_MSG(!why, "tall: %s", why);
    for (int i = 0; i < n; i++)
        CHECK(t[i].x == 0 && t[i].w == 1920 && fc_tile_stretch(t[i].w, t[i].h, 320, 240) <= 1.5f);

    /* small faces: two tiles across the short side of a 4:3 photo, 2 x 2 */
    n = fc_tile_plan(3072, 2316, 320, 240, 2, 8, t);
    CHECK(n == 4);
    why = tiling_problem(t, n, 3072, 2316, FC_TILE_OVERLAP * 2316 / 2 - 1);
    CHECK_MSG(!why, "2 x 2: %s", why);
    CHECK(fc_tile_plan(3072, 2316, 320, 240, 2, 3, t) == 2); /* capped: 2 x 1 */
    CHECK(fc_tile_plan(0, 100, 320, 240, 1, 8, t) == 0 && fc_tile_plan(100, 100, 320, 240, 0, 8, t) == 0);
    return FC_TEST_PASS;
}

TEST(face_tile_cut_edges)
{
    const fc_tile mid = {1000, 0, 2000, 1500}; /* an inner tile of a 5000 x 1500 panorama */
    fc_rect inside = {1500, 200, 1700, 400}, left = {1000, 200, 1100, 400}, right = {2900, 200, 3000, 400};
    CHECK(!fc_tile_cut(&mid, &inside, 5000, 1500));
    CHECK(fc_tile_cut(&mid, &left, 5000, 1500));
    CHECK(fc_tile_cut(&mid, &right, 5000, 1500));
    /* the top and bottom edges are the image's: a face there is not cut by the tile */
    fc_rect top = {1500, 0, 1700, 150}, bottom = {1500, 1400, 1700, 1500};
    CHECK(!fc_tile_cut(&mid, &top, 5000, 1500) && !fc_tile_cut(&mid, &bottom, 5000, 1500));
    /* the first tile's left edge is the image's too */
    const fc_tile first = {0, 0, 2000, 1500};
    fc_rect at0 = {0, 200, 100, 400};
    CHECK(!fc_tile_cut(&first, &at0, 5000, 1500));
    return FC_TEST_PASS;
}

TEST(face_tile_merge_cut_and_duplicates)
{
    /* face A: cut in tile 1 (higher score, half a face), whole in tile 2; face B: found
     * by the whole-image pass and by a tile (a duplicate); face C: only a cut box */
    fc_detection d[5] = {
        det(900, 100, 1000, 300, 0.99f),  /* A, cut at x = 1000 */
        det(880, 100, 1080, 300, 0.90f),  /* A, whole */
        det(2000, 100, 2200, 300, 0.95f), /* B, tile */
        det(2005, 105, 2195, 305, 0.80f), /* B, whole image */
        det(3900, 100, 4000, 300, 0.85f), /* C, cut, nothing else holds it */
    };
    unsigned char cut[5] = {1, 0, 0, 0, 1};
    int n = fc_tile_merge(d, cut, 5, 0.3f);
    CHECK_MSG(n == 3, "%d kept", n);
    CHECK(d[0].score == 0.95f && d[1].score == 0.90f && d[2].score == 0.85f);
    CHECK(d[1].box.x1 == 880 && d[1].box.x2 == 1080); /* A whole, not its cut half */

    /* two cut halves of one face in neighbouring tiles, no whole box: NMS keeps one */
    fc_detection e[2] = {det(0, 0, 100, 100, 0.9f), det(10, 0, 100, 100, 0.8f)};
    unsigned char ecut[2] = {1, 1};
    CHECK(fc_tile_merge(e, ecut, 2, 0.3f) == 1 && e[0].score == 0.9f);
    CHECK(fc_tile_merge(e, ecut, 0, 0.3f) == 0);
    return FC_TEST_PASS;
}

/* A JPEG of cols x rows copies of sample4, each resized to cw x ch; NULL if the
 * sample is missing. */
static uint8_t *composite(int cols, int rows, int cw, int ch, size_t *len)
{
    size_t n = 0;
    uint8_t *data = fc_face_test_sample(4, &n);
    fc_decode_opts o = fc_decode_opts_default();
    o.min_long_side = cw > ch ? cw : ch;
    fc_image *one = data ? fc_image_decode(data, n, &o, NULL) : NULL;
    fc_image *copy = one ? fc_image_new(cw, ch, NULL) : NULL;
    fc_image *all = copy ? fc_image_new(cw * cols, ch * rows, NULL) : NULL;
    uint8_t *jpeg = NULL;
    if (all)
        fc_image_resize(one, copy);
    for (int c = 0; all && c < cols * rows; c++)
        for (int y = 0; y < ch; y++)
            memcpy(all->rgb + (size_t)(c / cols * ch + y) * (size_t)all->stride +
                       (size_t)(c % cols) * (size_t)cw * 3,
                   copy->rgb + (size_t)y * (size_t)copy->stride, (size_t)cw * 3);
    if (all)
        jpeg = tu_jpeg(all, 92, TJSAMP_420, 0, len);
    fc_image_free(all);
    fc_image_free(copy);
    fc_image_free(one);
    free(data);
    return jpeg;
}

/* Faces found in bytes with tiles at most (0: off), for aspect too or not; -1 on
 * failure. */
static int count_faces(const fc_pipeline_config *base, int tiles, int aspect,
                       const uint8_t *bytes, size_t len, fc_error *err)
{
    fc_pipeline_config cfg = *base;
    cfg.detect_tiles = tiles;
    cfg.detect_tile_aspect = aspect;
    cfg.embed = 0;
    cfg.workers = 1;
    fc_pipeline *p = fc_pipeline_new(&cfg, err);
    fc_faces *f = NULL;
    int n = -1;
    if (p && !fc_pipeline_run(p, bytes, len, &f, err))
        n = f->n_faces;
    fc_faces_free(f);
    fc_pipeline_free(p);
    return n;
}

/* A panorama: tiled for its aspect only with DETECT_TILE_ASPECT=1. */
TEST(face_tile_wide_composite)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    size_t len = 0;
    uint8_t *jpeg = composite(4, 1, 960, 724, &len); /* 3840 x 724, 16 faces */
    if (!jpeg)
        SKIP("samples/sample4.jpg not present (scripts/setup fetches them)");
    fc_error err = {0};
    int off = count_faces(&cfg, 0, 0, jpeg, len, &err);
    int dflt = off >= 0 ? count_faces(&cfg, 8, 0, jpeg, len, &err) : -1;
    int on = dflt >= 0 ? count_faces(&cfg, 8, 1, jpeg, len, &err) : -1;
    free(jpeg);
    CHECK_MSG(off >= 0 && dflt >= 0 && on >= 0, "%s", err.msg);
    /* the whole-image search squashes the faces 5x sideways and loses them */
    CHECK_MSG(off < 16, "without tiles %d of 16 (the problem this guards is gone?)", off);
    CHECK_MSG(dflt == off, "tiles for small faces only: %d faces, %d without tiles", dflt, off);
    CHECK_MSG(on == 16, "with tiles %d of 16 faces (without: %d)", on, off);
    return FC_TEST_PASS;
}

/* A crowd of small faces: tiled by default. */
TEST(face_tile_crowd_composite)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    CHECK(cfg.detect_tiles == 8 && cfg.detect_tile_aspect == 0);
    size_t len = 0;
    uint8_t *jpeg = composite(4, 4, 640, 483, &len); /* 2560 x 1932, 64 faces of ~58 px */
    if (!jpeg)
        SKIP("samples/sample4.jpg not present (scripts/setup fetches them)");
    fc_error err = {0};
    int off = count_faces(&cfg, 0, 0, jpeg, len, &err);
    int on = off >= 0 ? count_faces(&cfg, cfg.detect_tiles, 0, jpeg, len, &err) : -1;
    free(jpeg);
    CHECK_MSG(off >= 0 && on >= 0, "%s", err.msg);
    printf("  4x4 grid: %d of 64 faces without tiles, %d with\n", off, on);
    CHECK_MSG(off < 48, "without tiles %d of 64 (the problem this guards is gone?)", off);
    CHECK_MSG(on >= 56 && on <= 64, "with tiles %d of 64 faces (without: %d)", on, off);
    return FC_TEST_PASS;
}
