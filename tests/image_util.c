/* image_util.c - shared fixtures for the image tests (see image_util.h). */
#include "image_util.h"

#include "test.h"

#include <libheif/heif.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

void tu_block_rgb(int bx, int by, uint8_t rgb[3])
{
    uint32_t h = (uint32_t)bx * 0x9E3779B1u ^ (uint32_t)by * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    /* keep away from 0 and 255 so lossy codecs cannot clip */
    rgb[0] = (uint8_t)(24 + (h & 0xFF) * 208 / 255);
    rgb[1] = (uint8_t)(24 + (h >> 8 & 0xFF) * 208 / 255);
    rgb[2] = (uint8_t)(24 + (h >> 16 & 0xFF) * 208 / 255);
}

fc_image *tu_pattern(int w, int h, int block)
{
    fc_error err = {0};
    fc_image *img = fc_image_new(w, h, &err);
    for (int y = 0; img && y < h; y++)
        for (int x = 0; x < w; x++)
            tu_block_rgb(x / block, y / block, tu_px(img, x, y));
    return img;
}

fc_image *tu_noise(int w, int h, uint32_t seed)
{
    fc_error err = {0};
    fc_image *img = fc_image_new(w, h, &err);
    uint32_t s = seed ? seed : 1;
    for (int y = 0; img && y < h; y++)
        for (int x = 0; x < 3 * w; x++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            tu_px(img, 0, y)[x] = (uint8_t)s;
        }
    return img;
}

int tu_max_diff(const fc_image *a, const fc_image *b)
{
    if (!a || !b || a->width != b->width || a->height != b->height)
        return -1;
    int m = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < 3 * a->width; x++) {
            int d = abs(tu_px(a, 0, y)[x] - tu_px(b, 0, y)[x]);
            m = d > m ? d : m;
        }
    return m;
}

double tu_mean_diff(const fc_image *a, const fc_image *b)
{
    if (!a || !b || a->width != b->width || a->height != b->height)
        return -1;
    double sum = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < 3 * a->width; x++)
            sum += abs(tu_px(a, 0, y)[x] - tu_px(b, 0, y)[x]);
    return sum / (3.0 * a->width * a->height);
}

int tu_max_diff_centres(const fc_image *a, const fc_image *b, int block)
{
    if (!a || !b || a->width != b->width || a->height != b->height)
        return -1;
    int m = 0;
    for (int y = block / 2; y < a->height; y += block)
        for (int x = block / 2; x < a->width; x += block)
            for (int c = 0; c < 3; c++) {
                int d = abs(tu_px(a, x, y)[c] - tu_px(b, x, y)[c]);
                m = d > m ? d : m;
            }
    return m;
}

const char *tu_write_tmp(const char *name, const void *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fc_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || put != len)
        return NULL;
    return path;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *len = (size_t)n;
    return buf;
}

uint8_t *tu_jpeg(const fc_image *img, int quality, int subsamp, int flags, size_t *len)
{
    tjhandle tj = tjInitCompress();
    unsigned char *out = NULL;
    unsigned long n = 0;
    uint8_t *copy = NULL;
    if (tj && tjCompress2(tj, img->rgb, img->width, img->stride, img->height, TJPF_RGB, &out,
                          &n, subsamp, quality, flags) == 0 &&
        (copy = malloc(n)))
        memcpy(copy, out, n);
    tjFree(out);
    if (tj)
        tjDestroy(tj);
    *len = n;
    return copy;
}

static void put16(uint8_t *p, unsigned v, int be)
{
    p[be ? 0 : 1] = (uint8_t)(v >> 8);
    p[be ? 1 : 0] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[be ? i : 3 - i] = (uint8_t)(v >> (24 - 8 * i));
}

size_t tu_exif_tiff(uint8_t *out, int orientation, int big_endian)
{
    /* header (8) + IFD0: count (2), one entry (12), next-IFD offset (4) */
    memset(out, 0, 26);
    out[0] = out[1] = big_endian ? 'M' : 'I';
    put16(out + 2, 42, big_endian);
    put32(out + 4, 8, big_endian);
    put16(out + 8, 1, big_endian);
    put16(out + 10, 0x0112, big_endian);
    put16(out + 12, 3, big_endian); /* SHORT */
    put32(out + 14, 1, big_endian);
    put16(out + 18, (unsigned)orientation, big_endian);
    put32(out + 22, 0, big_endian);
    return 26;
}

uint8_t *tu_jpeg_with_orientation(const uint8_t *jpeg, size_t len, int orientation,
                                  int big_endian, size_t *out_len)
{
    uint8_t tiff[64];
    size_t tl = tu_exif_tiff(tiff, orientation, big_endian);
    size_t seg = 2 + 6 + tl; /* length field counts itself */
    uint8_t *out = malloc(len + 2 + seg);
    if (!out || len < 2)
        return free(out), NULL;
    memcpy(out, jpeg, 2); /* SOI */
    out[2] = 0xFF, out[3] = 0xE1;
    out[4] = (uint8_t)(seg >> 8), out[5] = (uint8_t)seg;
    memcpy(out + 6, "Exif\0\0", 6);
    memcpy(out + 12, tiff, tl);
    memcpy(out + 12 + tl, jpeg + 2, len - 2);
    *out_len = len + 2 + seg;
    return out;
}

typedef struct {
    uint8_t *data;
    size_t len, cap;
} mem_out;

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
    mem_out *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        size_t cap = (m->len + n) * 2;
        uint8_t *p = realloc(m->data, cap);
        if (!p)
            png_error(png, "no memory");
        m->data = p, m->cap = cap;
    }
    memcpy(m->data + m->len, data, n);
    m->len += n;
}

static void png_flush_mem(png_structp png) { (void)png; }

uint8_t *tu_png(const tu_png_spec *s, size_t *len)
{
    /* on the heap: set before setjmp and only written through the pointer after */
    mem_out *m = calloc(1, sizeof *m);
    uint8_t *data = NULL;
    png_structp png = m ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        if (m)
            free(m->data);
        free(m);
        return NULL;
    }
    png_set_write_fn(png, m, png_write_mem, png_flush_mem);
    png_set_IHDR(png, info, (png_uint_32)s->width, (png_uint_32)s->height, s->bit_depth,
                 s->color_type, s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette) {
        png_color pal[256];
        for (int i = 0; i < s->n_palette; i++)
            pal[i].red = s->palette[i][0], pal[i].green = s->palette[i][1],
            pal[i].blue = s->palette[i][2];
        png_set_PLTE(png, info, pal, s->n_palette);
    }
    if (s->trans)
        png_set_tRNS(png, info, s->trans, s->n_trans, NULL);
    if (s->exif)
        png_set_eXIf_1(png, info, (png_uint_32)s->exif_len, (png_bytep)s->exif);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < s->height; y++)
            png_write_row(png, s->pixels + (size_t)y * s->rowbytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *len = m->len;
    data = m->data;
    free(m);
    return data;
}

uint32_t tu_crc32(const uint8_t *data, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= data[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

int tu_orient_in_place(fc_image **img, int orientation)
{
    fc_error err = {0};
    fc_image *o = fc_image_orient(*img, orientation, &err);
    if (!o)
        return -1;
    fc_image_free(*img);
    *img = o;
    return 0;
}

/* Each HEVC encode leaks one block allocated inside x265_encoder_open (x265 3.5 via
 * libheif 1.15, not our code); only the test fixtures encode (tu_heic), so
 * LeakSanitizer is told to look away from libx265. No effect outside sanitizer builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

typedef struct {
    uint8_t *data;
    size_t len;
} heif_out;

static struct heif_error write_mem(struct heif_context *ctx, const void *data, size_t size,
                                   void *user)
{
    (void)ctx;
    heif_out *o = user;
    struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
    o->data = malloc(size);
    if (!o->data)
        return (struct heif_error){heif_error_Memory_allocation_error,
                                   heif_suberror_Unspecified, "no memory"};
    memcpy(o->data, data, size);
    o->len = size;
    return ok;
}

uint8_t *tu_heic(const fc_image *img, int orientation, int exif_orientation, size_t *len)
{
    heif_out out = {0};
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *im = NULL;
    struct heif_encoding_options *eo = heif_encoding_options_alloc();
    struct heif_image_handle *handle = NULL;
    if (heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc).code)
        goto out;
    heif_encoder_set_lossy_quality(enc, 95);
    if (heif_image_create(img->width, img->height, heif_colorspace_RGB,
                          heif_chroma_interleaved_RGB, &im).code ||
        heif_image_add_plane(im, heif_channel_interleaved, img->width, img->height, 8).code)
        goto out;
    int stride;
    uint8_t *p = heif_image_get_plane(im, heif_channel_interleaved, &stride);
    for (int y = 0; y < img->height; y++)
        memcpy(p + (size_t)y * stride, tu_px(img, 0, y), 3 * (size_t)img->width);
    eo->image_orientation = (enum heif_orientation)orientation;
    if (heif_context_encode_image(ctx, im, enc, eo, &handle).code)
        goto out;
    if (exif_orientation) {
        uint8_t exif[80] = "Exif\0\0";
        size_t n = tu_exif_tiff(exif + 6, exif_orientation, 1);
        heif_context_add_exif_metadata(ctx, handle, exif, (int)n + 6);
    }
    struct heif_writer w = {1, write_mem};
    heif_context_write(ctx, &w, &out);
out:
    heif_image_handle_release(handle);
    heif_encoding_options_free(eo);
    heif_image_release(im);
    if (enc)
        heif_encoder_release(enc);
    heif_context_free(ctx);
    *len = out.len;
    return out.data;
}
