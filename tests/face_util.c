/* face_util.c - synthetic face models, default-model lookup and in-memory images
 * for the face tests. */
#include "face_util.h"

#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char fc_face_test_why[256];

const char *fc_face_test_synth_dir(void)
{
    static char dir[512];
    static int state; /* 0: not tried, 1: built, -1: failed */
    if (state == 0) {
        snprintf(dir, sizeof dir, "%s/face_models", fc_test_tmpdir());
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/fixtures/make_face_models.py %s >/dev/null 2>&1",
                 fc_test_root(), dir);
        state = system(cmd) == 0 ? 1 : -1;
        if (state < 0)
            snprintf(fc_face_test_why, sizeof fc_face_test_why,
                     "skipped: /usr/bin/python3 with python3-onnx could not build the synthetic models");
    }
    return state > 0 ? dir : NULL;
}

const char *fc_face_test_path(char *path, size_t n, const char *dir, const char *file)
{
    snprintf(path, n, "%s/%s", dir, file);
    return path;
}

int fc_face_test_default_model(const char *file, char *path, size_t n)
{
    struct stat st;
    snprintf(path, n, "%s/models/%s", fc_test_root(), file);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

fc_image *fc_face_test_image(int w, int h)
{
    fc_image *img = calloc(1, sizeof *img);
    if (!img)
        return NULL;
    img->rgb = calloc((size_t)w * (size_t)h, 3);
    if (!img->rgb) {
        free(img);
        return NULL;
    }
    img->width = img->full_width = w;
    img->height = img->full_height = h;
    img->stride = 3 * w;
    img->scale = 1;
    return img;
}

void fc_face_test_image_free(fc_image *img)
{
    if (!img)
        return;
    free(img->rgb);
    free(img);
}

void fc_face_test_fill_noise(fc_image *img, uint32_t seed)
{
    uint32_t s = seed ? seed : 1;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < 3 * img->width; x++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            img->rgb[(size_t)y * img->stride + x] = (uint8_t)(s >> 24);
        }
}

uint8_t *fc_face_test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? (size_t)n : 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}
