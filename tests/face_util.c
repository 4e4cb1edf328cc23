/* face_util.c - synthetic face models, default-model lookup and in-memory images
 * for the face tests. */
#include "face_util.h"

#include "face/nms.h"
#include "test.h"

#include <libheif/heif.h>

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
                     "/usr/bin/python3 with python3-onnx could not build the synthetic models");
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

int fc_face_test_default_config(fc_pipeline_config *cfg)
{
    fc_pipeline_config_default(cfg);
    const char *files[3] = {"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx"};
    char *dst[3] = {cfg->detect_model, cfg->landmark_model, cfg->embed_model};
    for (int i = 0; i < 3; i++)
        if (!fc_face_test_default_model(files[i], dst[i], FC_PATH_MAX))
            return 0;
    cfg->workers = 1;
    return 1;
}

uint8_t *fc_face_test_sample(int i, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/samples/sample%d.jpg", fc_test_root(), i);
    return fc_face_test_read(path, len);
}

typedef struct {
    uint8_t *data;
    size_t len;
} heic_out;

static struct heif_error heic_write(struct heif_context *ctx, const void *data, size_t size, void *user)
{
    (void)ctx;
    heic_out *o = user;
    o->data = malloc(size);
    if (!o->data)
        return (struct heif_error){heif_error_Memory_allocation_error, heif_suberror_Unspecified, "no memory"};
    memcpy(o->data, data, size);
    o->len = size;
    return (struct heif_error){heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

uint8_t *fc_face_test_heic(const fc_image *img, size_t *len)
{
    heic_out out = {0};
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *im = NULL;
    struct heif_image_handle *handle = NULL;
    if (heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc).code ||
        heif_image_create(img->width, img->height, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &im).code ||
        heif_image_add_plane(im, heif_channel_interleaved, img->width, img->height, 8).code)
        goto out;
    int stride;
    uint8_t *p = heif_image_get_plane(im, heif_channel_interleaved, &stride);
    for (int y = 0; y < img->height; y++)
        memcpy(p + (size_t)y * (size_t)stride, img->rgb + (size_t)y * img->stride, 3 * (size_t)img->width);
    if (heif_context_encode_image(ctx, im, enc, NULL, &handle).code)
        goto out;
    struct heif_writer w = {1, heic_write};
    heif_context_write(ctx, &w, &out);
out:
    heif_image_handle_release(handle);
    heif_image_release(im);
    if (enc)
        heif_encoder_release(enc);
    heif_context_free(ctx);
    *len = out.len;
    return out.data;
}

int fc_face_test_match(const fc_faces *f, const fc_rect *box)
{
    int best = -1;
    float best_iou = 0;
    for (int i = 0; i < f->n_faces; i++) {
        float iou = fc_rect_iou(&f->faces[i].box, box);
        if (iou > best_iou) {
            best_iou = iou;
            best = i;
        }
    }
    return best;
}
