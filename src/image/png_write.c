/* png_write.c - writes an image as an 8-bit RGB PNG (debug crops, tools, tests). */
#include "image/image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char msg[256];
} png_out_err;

static void on_error(png_structp png, png_const_charp msg)
{
    png_out_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

fc_status fc_image_write_png(const fc_image *img, const char *path, fc_error *err)
{
    if (!img || !img->rgb || img->width < 1 || img->height < 1 || !path)
        return fc_error_set(err, FC_ERR_ARG, "fc_image_write_png: no image or path");
    png_out_err e = {""};
    png_structp png = NULL;
    png_infop info = NULL;
    FILE *volatile f = fopen(path, "wb");
    volatile fc_status rc = FC_OK;
    if (!f)
        return fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &e, on_error, on_warning);
    info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: no memory for the PNG writer", path);
        goto out;
    }
    if (setjmp(png_jmpbuf(png))) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: %s", path, e.msg);
        goto out;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->rgb + (size_t)y * (size_t)img->stride);
    png_write_end(png, info);
out:
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0 && rc == FC_OK)
        rc = fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc != FC_OK)
        remove(path);
    return rc;
}
