/* jpeg.c - JPEG through the libjpeg API of libjpeg-turbo: RGB, grey, CMYK/YCCK
 * (Adobe-inverted when an Adobe marker is present, as Photoshop writes them), DCT
 * scaling to 1/2, 1/4, 1/8 when the caller needs fewer pixels.
 *
 * Damaged data is an error, not a grey-filled picture: libjpeg only warns on a
 * truncated file or corrupt entropy data and fills the rest, so those warnings are
 * turned into errors. Harmless ones (junk bytes before a marker, an unknown Adobe
 * transform or JFIF version, a bad ICC marker) are ignored. A missing EOI marker is
 * forgiven only where that cannot hide missing pixels: at the end of the one scan of
 * a sequential Huffman-coded file holding every component (if data is missing there,
 * libjpeg meets the supplied EOI too early and says so). In a progressive or
 * multi-scan file a scan may end exactly where the file was cut, and arithmetic
 * decoding takes a marker inside the data as legal (it decodes zeros from there on,
 * without a warning), so there the end of the data without EOI is an error. */
#include "image/codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
/* after jpeglib.h: jconfig.h decides which messages exist */
#include <jerror.h>

/* libjpeg-turbo's own TurboJPEG limit against the many-scans progressive exploit. */
#define MAX_SCANS 500

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX + 64];
} jpeg_err;

/* The input, with an EOI supplied at its end (see the top of the file). */
typedef struct {
    struct jpeg_source_mgr pub;
    int ended; /* times the end was reached */
} mem_source;

static const JOCTET fake_eoi[2] = {0xFF, JPEG_EOI};

static void src_init(j_decompress_ptr c) { (void)c; }

static void src_term(j_decompress_ptr c) { (void)c; }

static boolean src_fill(j_decompress_ptr c)
{
    mem_source *s = (mem_source *)c->src;
    int in_only_scan = !c->progressive_mode && c->comps_in_scan == c->num_components;
    if (s->ended++ || !in_only_scan || c->arith_code)
        WARNMS(c, JWRN_JPEG_EOF); /* fatal: see on_message */
    s->pub.next_input_byte = fake_eoi;
    s->pub.bytes_in_buffer = sizeof fake_eoi;
    return TRUE;
}

static void src_skip(j_decompress_ptr c, long n)
{
    if (n <= 0)
        return;
    while ((size_t)n > c->src->bytes_in_buffer) {
        n -= (long)c->src->bytes_in_buffer;
        src_fill(c);
    }
    c->src->next_input_byte += n;
    c->src->bytes_in_buffer -= (size_t)n;
}

static void src_memory(j_decompress_ptr c, mem_source *s, const uint8_t *data, size_t len)
{
    memset(s, 0, sizeof *s);
    s->pub.init_source = src_init;
    s->pub.fill_input_buffer = src_fill;
    s->pub.skip_input_data = src_skip;
    s->pub.resync_to_restart = jpeg_resync_to_restart;
    s->pub.term_source = src_term;
    s->pub.next_input_byte = data;
    s->pub.bytes_in_buffer = len;
    c->src = &s->pub;
}

static int jpeg_sniff(const uint8_t *d, size_t n)
{
    return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}

/* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
static int is_sof(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

/* Walks the marker segments up to the first scan: the frame size from SOFn and the
 * orientation from the first APP1 "Exif" segment. */
static fc_status jpeg_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    size_t pos = 2;
    int have_sof = 0, have_exif = 0;
    while (pos + 4 <= n) {
        uint8_t m = d[pos + 1];
        if (d[pos] != 0xFF || m == 0xFF) { /* junk or fill bytes: resynchronise */
            pos++;
            continue;
        }
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) { /* no length */
            pos += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* EOI, SOS: the header is over */
            break;
        size_t seg = fc_rd_be16(d + pos + 2);
        if (seg < 2)
            return fc_error_set(err, FC_ERR_FORMAT, "jpeg: bad length %zu of marker 0x%02x",
                                seg, m);
        if (seg - 2 > n - pos - 4)
            break; /* truncated segment */
        const uint8_t *body = d + pos + 4;
        size_t body_len = seg - 2;
        if (is_sof(m) && !have_sof) {
            if (body_len < 6)
                return fc_error_set(err, FC_ERR_FORMAT, "jpeg: short frame header");
            out->height = (int)fc_rd_be16(body + 1);
            out->width = (int)fc_rd_be16(body + 3);
            have_sof = 1;
        } else if (m == 0xE1 && !have_exif && body_len >= 6 &&
                   memcmp(body, "Exif\0\0", 6) == 0) {
            out->orientation = fc_exif_orientation(body, body_len);
            have_exif = 1;
        }
        pos += 2 + seg;
    }
    if (!have_sof)
        return fc_error_set(err, FC_ERR_FORMAT,
                            "jpeg: no frame header before the image data (%zu bytes: "
                            "truncated or corrupt)", n);
    if (out->height == 0)
        return fc_error_set(err, FC_ERR_UNSUPPORTED,
                            "jpeg: height given by a DNL marker after the data, not supported");
    return FC_OK;
}

static void on_error_exit(j_common_ptr c)
{
    jpeg_err *e = (jpeg_err *)c->err;
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    snprintf(e->msg, sizeof e->msg, "%s", text);
    longjmp(e->jump, 1);
}

/* Warnings that mean pixels are missing or wrong. */
static int warning_is_fatal(int code)
{
    switch (code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_MUST_RESYNC:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
        return 1;
    default:
        return 0;
    }
}

static void on_message(j_common_ptr c, int level)
{
    if (level < 0 && warning_is_fatal(c->err->msg_code))
        on_error_exit(c);
}

static void on_progress(j_common_ptr c)
{
    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > MAX_SCANS) {
        jpeg_err *e = (jpeg_err *)c->err;
        snprintf(e->msg, sizeof e->msg, "progressive JPEG with more than %d scans", MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

/* The largest of 8, 4, 2 that keeps the long side >= min_long_side; else 1. */
static int choose_denom(unsigned w, unsigned h, int min_long_side)
{
    unsigned long_side = w > h ? w : h;
    if (min_long_side <= 0)
        return 1;
    for (unsigned d = 8; d > 1; d /= 2)
        if ((long_side + d - 1) / d >= (unsigned)min_long_side)
            return (int)d;
    return 1;
}

/* x / 255 rounded, for x in 0..255*255. */
static inline uint8_t div255(unsigned x) { return (uint8_t)((x + 128 + ((x + 128) >> 8)) >> 8); }

/* CMYK row to RGB. Adobe files store inverted values (0 = full ink). */
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, unsigned width, int inverted)
{
    for (unsigned x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted)
            c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        rgb[0] = div255(c * k);
        rgb[1] = div255(m * k);
        rgb[2] = div255(y * k);
    }
}

static fc_image *jpeg_decode(const uint8_t *data, size_t len, const fc_decode_opts *opts,
                             fc_error *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress = {.progress_monitor = on_progress};
    jpeg_err jerr = {0};
    mem_source src;
    fc_image *volatile img = NULL;
    uint8_t *volatile cmyk_row = NULL;
    volatile int ok = 0;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error_exit;
    jerr.pub.emit_message = on_message;
    if (setjmp(jerr.jump)) {
        fc_error_set(err, FC_ERR_FORMAT, "jpeg: %s", jerr.msg);
        goto out;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress;
    src_memory(&cinfo, &src, data, len);
    jpeg_read_header(&cinfo, TRUE);
    if (fc_image_check_pixels("jpeg", cinfo.image_width, cinfo.image_height, &opts->limits,
                              err))
        goto out;
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int denom = choose_denom(cinfo.image_width, cinfo.image_height, opts->min_long_side);
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)denom;
    jpeg_calc_output_dimensions(&cinfo);
    img = fc_image_alloc_checked("jpeg", cinfo.output_width, cinfo.output_height,
                                 &opts->limits, err);
    if (!img)
        goto out;
    img->scale = (float)denom;
    if (cmyk && !(cmyk_row = malloc(4 * (size_t)cinfo.output_width))) {
        fc_error_set(err, FC_ERR_NOMEM, "jpeg: no memory for a CMYK row");
        goto out;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != (cmyk ? 4 : 3) || (int)cinfo.output_width != img->width ||
        (int)cinfo.output_height != img->height) {
        fc_error_set(err, FC_ERR_INTERNAL, "jpeg: output is not the size or layout asked for");
        goto out;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = img->rgb + (size_t)cinfo.output_scanline * (size_t)img->stride;
        JSAMPROW row = cmyk ? cmyk_row : dst;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            fc_error_set(err, FC_ERR_FORMAT, "jpeg: decoding stopped at row %u of %u",
                         cinfo.output_scanline, cinfo.output_height);
            goto out;
        }
        if (cmyk)
            cmyk_to_rgb(cmyk_row, dst, cinfo.output_width, cinfo.saw_Adobe_marker);
    }
    ok = 1;
out:
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    if (!ok) {
        fc_image_free(img);
        return NULL;
    }
    return img;
}

const fc_image_codec fc_codec_jpeg = {
    .format = FC_IMAGE_JPEG,
    .name = "jpeg",
    .sniff = jpeg_sniff,
    .probe = jpeg_probe,
    .decode = jpeg_decode,
};
