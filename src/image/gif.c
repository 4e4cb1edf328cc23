/* gif.c - GIF through giflib's low-level reader (DGifOpen on memory): the first frame,
 * composed on the logical screen. The screen starts black (a transparent canvas with
 * its alpha dropped, as for animated WebP); the frame is drawn at its offset, clipped
 * to the screen, its transparent index left out. A screen of size 0 takes the frame's
 * extent. Reading stops after the first frame, so later frames cost nothing. */
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} gif_src;

typedef struct {
    GifFileType *gif;
    int transparent;           /* palette index, or -1 */
    int64_t width, height;     /* the canvas */
} gif_first;

static int gif_sniff(const uint8_t *d, size_t n)
{
    return n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0);
}

static int on_read(GifFileType *g, GifByteType *buf, int n)
{
    gif_src *s = g->UserData;
    size_t k = n > 0 ? (size_t)n : 0;
    if (k > s->len - s->pos)
        k = s->len - s->pos;
    memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return (int)k;
}

static fc_status gif_fail(int code, fc_error *err)
{
    const char *why = GifErrorString(code);
    return fc_error_set(err, code == D_GIF_ERR_NOT_ENOUGH_MEM ? FC_ERR_NOMEM : FC_ERR_FORMAT,
                        "gif: %s", why ? why : "unknown error");
}

/* Skips one extension block, noting a graphics control block's transparent index. */
static int read_extension(GifFileType *g, int *transparent)
{
    int code;
    GifByteType *ext;
    if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
        return GIF_ERROR;
    if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
        GraphicsControlBlock gcb;
        if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
            *transparent = gcb.TransparentColor;
    }
    while (ext)
        if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/* Opens the file and reads up to the first image descriptor; close f->gif after. */
static fc_status open_first(gif_src *src, gif_first *f, fc_error *err)
{
    int code = 0;
    f->transparent = -1;
    f->gif = DGifOpen(src, on_read, &code);
    if (!f->gif)
        return gif_fail(code, err);
    GifFileType *g = f->gif;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(g, &type) == GIF_ERROR)
            return gif_fail(g->Error, err);
        if (type == IMAGE_DESC_RECORD_TYPE)
            break;
        if (type == TERMINATE_RECORD_TYPE)
            return fc_error_set(err, FC_ERR_FORMAT, "gif: the file has no image");
        if (type != EXTENSION_RECORD_TYPE)
            return fc_error_set(err, FC_ERR_FORMAT, "gif: unknown record");
        if (read_extension(g, &f->transparent) == GIF_ERROR)
            return gif_fail(g->Error, err);
    }
    if (DGifGetImageDesc(g) == GIF_ERROR)
        return gif_fail(g->Error, err);
    const GifImageDesc *im = &g->Image;
    f->width = g->SWidth > 0 ? g->SWidth : (int64_t)im->Left + im->Width;
    f->height = g->SHeight > 0 ? g->SHeight : (int64_t)im->Top + im->Height;
    return FC_OK;
}

static void close_first(gif_first *f)
{
    int code;
    if (f->gif)
        DGifCloseFile(f->gif, &code);
}

static fc_status gif_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    gif_src src = {.data = d, .len = n};
    gif_first f = {0};
    fc_status rc = open_first(&src, &f, err);
    close_first(&f);
    if (rc)
        return rc;
    if (f.width < 1 || f.height < 1)
        return fc_error_set(err, FC_ERR_FORMAT, "gif: empty screen and frame");
    out->width = (int)f.width;
    out->height = (int)f.height;
    return FC_OK;
}

/* Reads the frame's rows (in interlaced order if need be) onto the canvas. */
static fc_status draw_frame(gif_first *f, fc_image *img, fc_error *err)
{
    static const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    GifFileType *g = f->gif;
    const GifImageDesc *im = &g->Image;
    const ColorMapObject *map = im->ColorMap ? im->ColorMap : g->SColorMap;
    if (im->Width < 1 || im->Height < 1)
        return FC_OK;
    if (!map || !map->Colors)
        return fc_error_set(err, FC_ERR_FORMAT, "gif: the frame has no colour table");
    GifPixelType *line = malloc((size_t)im->Width);
    if (!line)
        return fc_error_set(err, FC_ERR_NOMEM, "gif: no memory for a row");
    fc_status rc = FC_OK;
    int passes = im->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes && !rc; pass++) {
        int row0 = im->Interlace ? start[pass] : 0, dy = im->Interlace ? step[pass] : 1;
        for (int row = row0; row < im->Height; row += dy) {
            if (DGifGetLine(g, line, im->Width) == GIF_ERROR) {
                rc = gif_fail(g->Error, err);
                break;
            }
            int64_t y = (int64_t)im->Top + row;
            if (y >= img->height)
                continue;
            uint8_t *q = img->rgb + (size_t)y * (size_t)img->stride;
            for (int x = 0; x < im->Width && (int64_t)im->Left + x < img->width; x++) {
                int idx = line[x];
                if (idx == f->transparent || idx >= map->ColorCount)
                    continue;
                uint8_t *p = q + 3 * ((size_t)im->Left + (size_t)x);
                p[0] = map->Colors[idx].Red;
                p[1] = map->Colors[idx].Green;
                p[2] = map->Colors[idx].Blue;
            }
        }
    }
    free(line);
    return rc;
}

static fc_image *gif_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                            fc_error *err)
{
    gif_src src = {.data = d, .len = n};
    gif_first f = {0};
    fc_image *img = NULL;
    if (open_first(&src, &f, err))
        goto out;
    /* Decoding time follows the frame's size, which may exceed the screen's. */
    const GifImageDesc *im = &f.gif->Image;
    if (im->Width > 0 && im->Height > 0 &&
        fc_image_check_pixels("gif", im->Width, im->Height, &opts->limits, err))
        goto out;
    img = fc_image_alloc_checked("gif", f.width, f.height, &opts->limits, err);
    if (img && draw_frame(&f, img, err)) {
        fc_image_free(img);
        img = NULL;
    }
out:
    close_first(&f);
    return img;
}

const fc_image_codec fc_codec_gif = {
    .format = FC_IMAGE_GIF,
    .name = "gif",
    .sniff = gif_sniff,
    .probe = gif_probe,
    .decode = gif_decode,
};
