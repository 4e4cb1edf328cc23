/* test_face_input.c - what comes in: EXIF orientations (the same faces in the
 * displayed orientation), bad files (truncated JPEG/PNG/HEIC, 60000x60000 headers,
 * empty, text) as clear per-file errors through fc_pipeline_run and through the
 * detect command, and the detect/compare commands end to end. */
#include "test.h"

#include "face/pipeline.h"
#include "face_util.h"
#include "image_util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <turbojpeg.h>
#include <unistd.h>

/* The lossless JPEG transform that undoes orientation o's display transform, so that
 * the stored pixels plus the tag display as the original photo. */
static int undo_op(int o)
{
    static const int ops[9] = {TJXOP_NONE, TJXOP_NONE, TJXOP_HFLIP, TJXOP_ROT180, TJXOP_VFLIP,
                               TJXOP_TRANSPOSE, TJXOP_ROT270, TJXOP_TRANSVERSE, TJXOP_ROT90};
    return ops[o];
}

/* sample1 stored as orientation o needs it (lossless, MCU-aligned), with the tag. */
static uint8_t *oriented_jpeg(const uint8_t *jpeg, size_t len, int o, int transform, size_t *out_len)
{
    tjhandle h = tjInitTransform();
    unsigned char *dst = NULL;
    unsigned long dst_len = 0;
    tjtransform xf;
    memset(&xf, 0, sizeof xf);
    xf.op = transform ? undo_op(o) : TJXOP_NONE;
    xf.options = TJXOPT_PERFECT;
    uint8_t *out = NULL;
    if (h && tjTransform(h, jpeg, len, 1, &dst, &dst_len, &xf, 0) == 0)
        out = tu_jpeg_with_orientation(dst, dst_len, o, o % 2, out_len);
    tjFree(dst);
    if (h)
        tjDestroy(h);
    return out;
}

static int box_near(const fc_rect *a, const fc_rect *b, float tol)
{
    return fabsf(a->x1 - b->x1) <= tol && fabsf(a->y1 - b->y1) <= tol && fabsf(a->x2 - b->x2) <= tol &&
           fabsf(a->y2 - b->y2) <= tol;
}

TEST(face_input_exif_orientations)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    size_t len = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &len);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err);
    CHECK_MSG(p, "%s", err.msg);
    fc_faces *ref = NULL;
    int result = FC_TEST_PASS;
    if (fc_pipeline_run(p, jpeg, len, &ref, &err) || ref->n_faces != 3)
        result = fc_test_fail(__FILE__, __LINE__, "reference: %s", err.msg);
    const int W = 1920, H = 1280;
    for (int o = 1; o <= 8 && result == FC_TEST_PASS; o++) {
        /* (a) pixels stored so that they display upright: the same faces */
        size_t n = 0;
        uint8_t *data = oriented_jpeg(jpeg, len, o, 1, &n);
        fc_faces *f = NULL;
        if (!data || fc_pipeline_run(p, data, n, &f, &err))
            result = fc_test_fail(__FILE__, __LINE__, "orientation %d: %s", o, data ? err.msg : "transform failed");
        else if (f->width != W || f->height != H || f->n_faces != ref->n_faces)
            result = fc_test_fail(__FILE__, __LINE__, "orientation %d: %dx%d with %d faces", o, f->width,
                                  f->height, f->n_faces);
        for (int i = 0; result == FC_TEST_PASS && i < ref->n_faces; i++) {
            int j = fc_face_test_match(f, &ref->faces[i].box);
            double cs = 0;
            for (int k = 0; j >= 0 && k < f->dim; k++)
                cs += (double)ref->faces[i].embedding[k] * f->faces[j].embedding[k];
            if (j < 0 || !box_near(&f->faces[j].box, &ref->faces[i].box, 4) || cs < 0.98)
                result = fc_test_fail(__FILE__, __LINE__, "orientation %d face %d: box off by > 4 px or cosine %.3f",
                                      o, i, cs);
        }
        free(data);
        fc_faces_free(f);
        f = NULL;
        /* (b) the tag alone: the photo displays transformed (sizes swap for 5..8);
         * mirrored (2) the faces stay upright, so they come back mirrored, within 10%
         * of their size (the detector is not exactly mirror-symmetric) */
        data = oriented_jpeg(jpeg, len, o, 0, &n);
        if (result == FC_TEST_PASS && (!data || fc_pipeline_run(p, data, n, &f, &err)))
            result = fc_test_fail(__FILE__, __LINE__, "orientation %d (tag only): %s", o, err.msg);
        else if (result == FC_TEST_PASS && (f->width != (o >= 5 ? H : W) || f->height != (o >= 5 ? W : H)))
            result = fc_test_fail(__FILE__, __LINE__, "orientation %d (tag only): displayed as %dx%d", o,
                                  f->width, f->height);
        for (int i = 0; result == FC_TEST_PASS && o == 2 && i < ref->n_faces; i++) {
            fc_rect m = {W - ref->faces[i].box.x2, ref->faces[i].box.y1, W - ref->faces[i].box.x1, ref->faces[i].box.y2};
            int j = fc_face_test_match(f, &m);
            if (f->n_faces != ref->n_faces || j < 0 || !box_near(&f->faces[j].box, &m, 0.1f * ref->faces[i].size))
                result = fc_test_fail(__FILE__, __LINE__, "mirrored: face %d not at its mirrored box", i);
        }
        free(data);
        fc_faces_free(f);
    }
    fc_faces_free(ref);
    fc_pipeline_free(p);
    free(jpeg);
    return result;
}

/* 8-bit RGB PNG of a noise image (malloc'd). */
static uint8_t *noise_png(int w, int h, size_t *len)
{
    fc_image *img = tu_noise(w, h, 5);
    tu_png_spec s = {.width = w, .height = h, .color_type = 2, .bit_depth = 8, .pixels = img->rgb,
                     .rowbytes = (size_t)img->stride};
    uint8_t *png = tu_png(&s, len);
    fc_image_free(img);
    return png;
}

/* A PNG whose IHDR says w x h (valid CRC), followed by a little data. */
static uint8_t *png_header(uint32_t w, uint32_t h, size_t *len)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t *p = calloc(1, 64);
    memcpy(p, sig, 8);
    uint8_t *c = p + 8;
    c[3] = 13;
    memcpy(c + 4, "IHDR", 4);
    for (int i = 0; i < 4; i++) {
        c[8 + i] = (uint8_t)(w >> (24 - 8 * i));
        c[12 + i] = (uint8_t)(h >> (24 - 8 * i));
    }
    c[16] = 8; /* depth */
    c[17] = 2; /* RGB */
    uint32_t crc = tu_crc32(c + 4, 17);
    for (int i = 0; i < 4; i++)
        c[21 + i] = (uint8_t)(crc >> (24 - 8 * i));
    *len = 8 + 25 + 16; /* and 16 bytes of junk where IDAT should be */
    return p;
}

/* sample1 with its frame header patched to 60000 x 60000. */
static uint8_t *huge_jpeg(const uint8_t *jpeg, size_t len, size_t *out_len)
{
    uint8_t *j = malloc(len);
    memcpy(j, jpeg, len);
    for (size_t i = 2; i + 9 < len; i++)
        if (j[i] == 0xFF && (j[i + 1] == 0xC0 || j[i + 1] == 0xC2)) {
            j[i + 5] = j[i + 7] = 60000 >> 8;
            j[i + 6] = j[i + 8] = 60000 & 0xFF;
            break;
        }
    *out_len = len;
    return j;
}

typedef struct {
    const char *name;
    uint8_t *data;
    size_t len;
} bad_file;

/* The bad inputs; entries whose data is NULL could not be made here (no HEVC encoder). */
static int make_bad_files(bad_file *b, const uint8_t *jpeg, size_t jlen)
{
    int n = 0;
    size_t len = 0;
    b[n++] = (bad_file){"truncated.jpg", memcpy(malloc(jlen * 2 / 5), jpeg, jlen * 2 / 5), jlen * 2 / 5};
    uint8_t *png = noise_png(200, 150, &len);
    b[n++] = (bad_file){"truncated.png", png, len / 2};
    fc_image *img = tu_noise(128, 96, 9);
    uint8_t *heic = fc_face_test_heic(img, &len);
    fc_image_free(img);
    b[n++] = (bad_file){"truncated.heic", heic, len / 2};
    b[n] = (bad_file){"huge.png", NULL, 0};
    b[n].data = png_header(60000, 60000, &b[n].len);
    n++;
    b[n] = (bad_file){"huge.jpg", NULL, 0};
    b[n].data = huge_jpeg(jpeg, jlen, &b[n].len);
    n++;
    b[n++] = (bad_file){"empty.jpg", malloc(1), 0};
    const char *text = "name,score\nalice,3\n";
    b[n++] = (bad_file){"notes.jpg", (uint8_t *)strdup(text), strlen(text)};
    return n;
}

TEST(face_input_bad_files)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    size_t jlen = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &jlen);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    fc_error err = {0};
    fc_pipeline *p = fc_pipeline_new(&cfg, &err);
    CHECK_MSG(p, "%s", err.msg);
    bad_file bad[8];
    int n = make_bad_files(bad, jpeg, jlen), result = FC_TEST_PASS;
    for (int i = 0; i < n && result == FC_TEST_PASS; i++) {
        if (!bad[i].data)
            continue; /* no HEVC encoder: nothing to truncate */
        fc_faces *f = (fc_faces *)1;
        memset(&err, 0, sizeof err);
        fc_status rc = fc_pipeline_run(p, bad[i].data, bad[i].len, &f, &err);
        if (rc == FC_OK || f != NULL || !err.msg[0])
            result = fc_test_fail(__FILE__, __LINE__, "%s: status %s, message '%s'", bad[i].name,
                                  fc_strerror(rc), err.msg);
        if (!strncmp(bad[i].name, "huge", 4) && rc != FC_ERR_LIMIT)
            result = fc_test_fail(__FILE__, __LINE__, "%s: %s, expected a limit error", bad[i].name, err.msg);
    }
    /* and the pipeline still works */
    fc_faces *good = NULL;
    if (result == FC_TEST_PASS && (fc_pipeline_run(p, jpeg, jlen, &good, &err) || good->n_faces != 3))
        result = fc_test_fail(__FILE__, __LINE__, "after the bad files: %s", err.msg);
    fc_faces_free(good);
    for (int i = 0; i < n; i++)
        free(bad[i].data);
    fc_pipeline_free(p);
    free(jpeg);
    return result;
}

/* The facecluster program beside this test program. */
static const char *program(void)
{
    static char path[1100];
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    snprintf(path, sizeof path, "%s/facecluster", self);
    return access(path, X_OK) == 0 ? path : NULL;
}

/* Runs cmd, collecting up to max stdout lines (malloc'd) and the exit status. */
static int run_lines(const char *cmd, char **lines, int max, int *n_lines)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char buf[1 << 16];
    *n_lines = 0;
    while (fgets(buf, sizeof buf, f))
        if (*n_lines < max)
            lines[(*n_lines)++] = strdup(buf);
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        if (len)
            fwrite(data, 1, len, f);
        fclose(f);
    }
}

TEST(face_input_cli_detect_and_compare)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    const char *prog = program();
    if (!prog)
        SKIP("facecluster program not built beside the tests");
    size_t jlen = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &jlen);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    char dir[600], crops[700], cmd[8192], path[900];
    snprintf(dir, sizeof dir, "%s/face_cli", fc_test_tmpdir());
    snprintf(crops, sizeof crops, "%s/crops", dir);
    mkdir(dir, 0755);
    mkdir(crops, 0755);
    bad_file bad[8];
    int n_bad = make_bad_files(bad, jpeg, jlen);
    int used = snprintf(cmd, sizeof cmd, "FC_MODELS_DIR='%s/models' '%s' detect --embeddings --threads 2 --crops '%s' '%s/good.jpg'",
                        fc_test_root(), prog, crops, dir);
    snprintf(path, sizeof path, "%s/good.jpg", dir);
    write_file(path, jpeg, jlen);
    int n_files = 1;
    for (int i = 0; i < n_bad; i++) {
        if (!bad[i].data)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, bad[i].name);
        write_file(path, bad[i].data, bad[i].len);
        used += snprintf(cmd + used, sizeof cmd - (size_t)used, " '%s'", path);
        n_files++;
    }
    snprintf(cmd + used, sizeof cmd - (size_t)used, " 2>/dev/null");
    char *lines[16] = {0};
    int n_lines = 0, status = run_lines(cmd, lines, 16, &n_lines), result = FC_TEST_PASS;
    if (status != 1 || n_lines != n_files)
        result = fc_test_fail(__FILE__, __LINE__, "detect: exit %d, %d lines for %d files", status, n_lines, n_files);
    for (int i = 0; i < n_lines && result == FC_TEST_PASS; i++) {
        json_error_t je;
        json_t *o = json_loads(lines[i], 0, &je);
        json_t *faces = o ? json_object_get(o, "faces") : NULL, *error = o ? json_object_get(o, "error") : NULL;
        if (!o || !json_is_string(json_object_get(o, "image")))
            result = fc_test_fail(__FILE__, __LINE__, "line %d is not a result: %s", i, lines[i]);
        else if (i == 0 && (!json_is_array(faces) || json_array_size(faces) != 3 || error ||
                            json_array_size(json_object_get(json_array_get(faces, 0), "embedding")) != 512 ||
                            json_array_size(json_object_get(json_array_get(faces, 0), "bbox")) != 4 ||
                            json_array_size(json_object_get(json_array_get(faces, 0), "landmarks")) != 5 ||
                            json_integer_value(json_object_get(o, "width")) != 1920))
            result = fc_test_fail(__FILE__, __LINE__, "good image: %.300s", lines[i]);
        else if (i > 0 && (faces || !json_is_string(error) || !json_string_length(error)))
            result = fc_test_fail(__FILE__, __LINE__, "bad file without a clear error: %s", lines[i]);
        json_decref(o);
    }
    for (int k = 0; k < 3 && result == FC_TEST_PASS; k++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/good_%d.png", crops, k);
        if (stat(path, &st) != 0 || st.st_size < 1000)
            result = fc_test_fail(__FILE__, __LINE__, "crop %s missing", path);
    }
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);

    /* compare: the same photo is the same person; an unreadable one fails */
    snprintf(cmd, sizeof cmd, "FC_MODELS_DIR='%s/models' '%s' compare '%s/good.jpg' '%s/good.jpg'", fc_test_root(),
             prog, dir, dir);
    status = run_lines(cmd, lines, 16, &n_lines);
    json_t *o = n_lines == 1 ? json_loads(lines[0], 0, NULL) : NULL;
    if (result == FC_TEST_PASS && (status != 0 || !o || !json_is_true(json_object_get(o, "same")) ||
                                   json_real_value(json_object_get(o, "cosine")) < 0.999))
        result = fc_test_fail(__FILE__, __LINE__, "compare: exit %d, %s", status, n_lines ? lines[0] : "(nothing)");
    json_decref(o);
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    snprintf(cmd, sizeof cmd, "FC_MODELS_DIR='%s/models' '%s' compare '%s/good.jpg' '%s/notes.jpg' 2>/dev/null",
             fc_test_root(), prog, dir, dir);
    status = run_lines(cmd, lines, 16, &n_lines);
    if (result == FC_TEST_PASS && (status != 1 || n_lines != 0))
        result = fc_test_fail(__FILE__, __LINE__, "compare with a text file: exit %d", status);
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    snprintf(cmd, sizeof cmd, "'%s' detect 2>/dev/null", prog);
    if (result == FC_TEST_PASS && run_lines(cmd, lines, 0, &n_lines) != 2)
        result = fc_test_fail(__FILE__, __LINE__, "detect without images is not a usage error");
    for (int i = 0; i < n_bad; i++)
        free(bad[i].data);
    free(jpeg);
    return result;
}

/* Photos of one name in different folders (a phone's IMG_0001.jpg in two albums), one
 * of them also as .png, and one literally named like a renamed copy: every face gets
 * its own crop file, named in its "crop" field. */
TEST(face_input_cli_detect_crops_of_same_name)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    const char *prog = program();
    if (!prog)
        SKIP("facecluster program not built beside the tests");
    size_t jlen = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &jlen);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    static const char *const names[] = {"a/photo.jpg", "b/photo.jpg", "b/photo.JPEG",
                                        "a/photo~2.jpg"};
    enum { N = sizeof names / sizeof names[0] };
    char dir[600], crops[700], cmd[8192], path[900];
    snprintf(dir, sizeof dir, "%s/face_cli_crops", fc_test_tmpdir());
    snprintf(crops, sizeof crops, "%s/crops", dir);
    mkdir(dir, 0755);
    int used = snprintf(cmd, sizeof cmd, "FC_MODELS_DIR='%s/models' '%s' detect --crops '%s'",
                        fc_test_root(), prog, crops);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%c", dir, names[i][0]);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        write_file(path, jpeg, jlen);
        used += snprintf(cmd + used, sizeof cmd - (size_t)used, " '%s'", path);
    }
    snprintf(cmd + used, sizeof cmd - (size_t)used, " 2>/dev/null");
    char *lines[N] = {0};
    int n_lines = 0, status = run_lines(cmd, lines, N, &n_lines), result = FC_TEST_PASS;
    if (status != 0 || n_lines != N)
        result = fc_test_fail(__FILE__, __LINE__, "detect: exit %d, %d lines", status, n_lines);
    char seen[N * 3][900];
    int n_seen = 0;
    for (int i = 0; i < n_lines && result == FC_TEST_PASS; i++) {
        json_t *o = json_loads(lines[i], 0, NULL);
        json_t *faces = json_object_get(o, "faces");
        if (json_array_size(faces) != 3)
            result = fc_test_fail(__FILE__, __LINE__, "%s: %.200s", names[i], lines[i]);
        for (size_t k = 0; k < json_array_size(faces) && result == FC_TEST_PASS; k++) {
            const char *crop = json_string_value(json_object_get(json_array_get(faces, k), "crop"));
            struct stat st;
            if (!crop || stat(crop, &st) != 0 || st.st_size < 1000) {
                result = fc_test_fail(__FILE__, __LINE__, "%s face %zu: crop '%s' missing", names[i],
                                      k, crop ? crop : "(no field)");
                break;
            }
            for (int s = 0; s < n_seen; s++)
                if (!strcmp(seen[s], crop))
                    result = fc_test_fail(__FILE__, __LINE__, "crop %s written twice", crop);
            snprintf(seen[n_seen++], sizeof seen[0], "%s", crop);
        }
        json_decref(o);
    }
    /* the first image of a name keeps the documented <name>_<i>.png */
    snprintf(path, sizeof path, "%s/photo_0.png", crops);
    if (result == FC_TEST_PASS && (n_seen != 3 * N || strcmp(seen[0], path)))
        result = fc_test_fail(__FILE__, __LINE__, "%d crops, the first %s", n_seen, n_seen ? seen[0] : "");
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    free(jpeg);
    return result;
}

/* A named pipe among the arguments (a FIFO matched by photos/[*]) is a
 * failed file; opening it used to wait for a writer forever. */
TEST(face_input_cli_detect_named_pipe_is_an_error)
{
    fc_pipeline_config cfg;
    SKIP_WITHOUT_DEFAULTS(cfg);
    const char *prog = program();
    if (!prog)
        SKIP("facecluster program not built beside the tests");
    size_t jlen = 0;
    uint8_t *jpeg = fc_face_test_sample(1, &jlen);
    if (!jpeg)
        SKIP("samples/ not present (scripts/setup fetches them)");
    char dir[600], fifo[700], good[700], cmd[4096];
    snprintf(dir, sizeof dir, "%s/face_cli_fifo", fc_test_tmpdir());
    snprintf(fifo, sizeof fifo, "%s/pipe.jpg", dir);
    snprintf(good, sizeof good, "%s/good.jpg", dir);
    mkdir(dir, 0755);
    unlink(fifo);
    CHECK(mkfifo(fifo, 0644) == 0);
    write_file(good, jpeg, jlen);
    free(jpeg);
    snprintf(cmd, sizeof cmd, "FC_MODELS_DIR='%s/models' timeout 60 '%s' detect --threads 1 '%s' '%s' 2>/dev/null",
             fc_test_root(), prog, fifo, good);
    char *lines[4] = {0};
    int n_lines = 0, status = run_lines(cmd, lines, 4, &n_lines), result = FC_TEST_PASS;
    if (status != 1 || n_lines != 2 || !strstr(lines[0], "\"error\"") ||
        !strstr(lines[0], "not a regular file") || !strstr(lines[1], "\"faces\""))
        result = fc_test_fail(__FILE__, __LINE__, "exit %d (124: hung), %d lines: %s", status,
                              n_lines, n_lines ? lines[0] : "");
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    return result;
}
