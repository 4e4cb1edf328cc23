/* bmp.c - Windows and OS/2 bitmaps, parsed by hand: 1/4/8-bit palette, 16/32-bit
 * with BI_RGB or (ALPHA)BITFIELDS masks, 24-bit, bottom-up and top-down rows, RLE8
 * and RLE4. Embedded JPEG/PNG and OS/2 Huffman/RLE24 are refused as unsupported.
 * Every offset is checked against the file length; pixels an RLE stream skips stay
 * black. */
#include "core/alloc.h"
#include "image/codec.h"

#include <inttypes.h>
#include <string.h>

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5,
       BI_ALPHABITFIELDS = 6 };

typedef struct { /* one colour channel of a packed 16/32-bit pixel */
    uint32_t mask;
    int shift, bits;
    uint8_t lut[256]; /* value -> 0..255 when bits <= 8 */
} bmp_channel;

typedef struct {
    int64_t width, height; /* height > 0 */
    int top_down;
    unsigned bpp, compression;
    size_t data_offset, row_bytes;
    bmp_channel ch[3]; /* r, g, b */
    uint8_t palette[256][3];
} bmp_header;

static int bmp_sniff(const uint8_t *d, size_t n)
{
    if (n < 18 || d[0] != 'B' || d[1] != 'M')
        return 0;
    uint32_t hsize = fc_rd_le32(d + 14);
    return hsize == 12 || (hsize >= 16 && hsize <= 64) || hsize == 108 || hsize == 124;
}

static fc_status set_channel(bmp_channel *c, uint32_t mask, fc_error *err)
{
    memset(c, 0, sizeof *c);
    if (!mask)
        return FC_OK;
    c->mask = mask;
    c->shift = __builtin_ctz(mask);
    uint32_t v = mask >> c->shift;
    if (v & (v + 1)) /* not one run of ones */
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: colour mask 0x%08x is not contiguous", mask);
    c->bits = __builtin_popcount(v);
    if (c->bits <= 8)
        for (uint32_t i = 0; i <= v; i++)
            c->lut[i] = (uint8_t)((i * 255 + v / 2) / v);
    return FC_OK;
}

static inline uint8_t channel_value(const bmp_channel *c, uint32_t px)
{
    uint32_t v = (px & c->mask) >> c->shift;
    return c->bits <= 8 ? c->lut[v] : (uint8_t)(v >> (c->bits - 8));
}

/* Masks for 16/32-bit pixels: from the file for BITFIELDS, else the defaults. */
static fc_status read_masks(const uint8_t *d, size_t n, size_t hsize, bmp_header *b,
                            fc_error *err)
{
    uint32_t m[3];
    if (b->compression == BI_BITFIELDS || b->compression == BI_ALPHABITFIELDS) {
        if (hsize < 40 || n < 14 + 40 + 12)
            return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated colour masks");
        for (int i = 0; i < 3; i++)
            m[i] = fc_rd_le32(d + 54 + 4 * i);
    } else if (b->bpp == 16) {
        m[0] = 0x7C00, m[1] = 0x03E0, m[2] = 0x001F;
    } else {
        m[0] = 0xFF0000, m[1] = 0xFF00, m[2] = 0xFF;
    }
    for (int i = 0; i < 3; i++)
        if (set_channel(&b->ch[i], m[i], err))
            return err ? err->code : FC_ERR_FORMAT;
    return FC_OK;
}

/* Palette entries (BGR or BGRX) between the header (and masks) and the pixels;
 * missing ones stay black. */
static void read_palette(const uint8_t *d, size_t n, size_t hsize, uint32_t n_used,
                         bmp_header *b)
{
    size_t entry = hsize == 12 ? 3 : 4;
    size_t at = 14 + hsize;
    if (hsize == 40 && b->compression == BI_BITFIELDS)
        at += 12;
    else if (hsize == 40 && b->compression == BI_ALPHABITFIELDS)
        at += 16;
    size_t end = b->data_offset < n ? b->data_offset : n;
    size_t count = n_used && n_used < 256 ? n_used : 256;
    if (count > (1u << b->bpp))
        count = 1u << b->bpp;
    for (size_t i = 0; i < count && at <= end && end - at >= entry; i++, at += entry) {
        b->palette[i][0] = d[at + 2];
        b->palette[i][1] = d[at + 1];
        b->palette[i][2] = d[at];
    }
}

static fc_status parse_header(const uint8_t *d, size_t n, bmp_header *b, fc_error *err)
{
    memset(b, 0, sizeof *b);
    if (n < 14 + 12)
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated header (%zu bytes)", n);
    size_t hsize = fc_rd_le32(d + 14);
    if (hsize > n - 14)
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated header (%zu bytes)", n);
    b->data_offset = fc_rd_le32(d + 10);
    unsigned planes;
    uint32_t n_used = 0;
    if (hsize == 12) {
        b->width = fc_rd_le16(d + 18);
        b->height = fc_rd_le16(d + 20);
        planes = fc_rd_le16(d + 22);
        b->bpp = fc_rd_le16(d + 24);
    } else {
        b->width = (int32_t)fc_rd_le32(d + 18);
        b->height = (int32_t)fc_rd_le32(d + 22);
        planes = fc_rd_le16(d + 26);
        b->bpp = fc_rd_le16(d + 28);
        b->compression = hsize >= 20 ? fc_rd_le32(d + 30) : BI_RGB;
        n_used = hsize >= 36 ? fc_rd_le32(d + 46) : 0;
    }
    if (b->height < 0) {
        b->top_down = 1;
        b->height = -b->height;
    }
    if (planes != 1 || b->width < 1 || b->height < 1)
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: bad header (%" PRId64 "x%" PRId64
                            ", %u planes)", b->width, b->height, planes);
    int windows = hsize == 40 || hsize == 52 || hsize == 56 || hsize == 108 || hsize == 124;
    unsigned c = b->compression, bpp = b->bpp;
    if (c == BI_JPEG || c == BI_PNG || (!windows && c > BI_RLE4))
        return fc_error_set(err, FC_ERR_UNSUPPORTED,
                            "bmp: compression %u (embedded JPEG/PNG or OS/2 Huffman/RLE24) "
                            "not supported", c);
    int ok = (c == BI_RGB && (bpp == 1 || bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 ||
                              bpp == 32)) ||
             (c == BI_RLE8 && bpp == 8) || (c == BI_RLE4 && bpp == 4) ||
             ((c == BI_BITFIELDS || c == BI_ALPHABITFIELDS) && (bpp == 16 || bpp == 32));
    if (!ok)
        return fc_error_set(err, FC_ERR_UNSUPPORTED, "bmp: %u bits per pixel with compression "
                            "%u not supported", bpp, c);
    if ((c == BI_RLE8 || c == BI_RLE4) && b->top_down)
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: top-down rows cannot be RLE-compressed");
    b->row_bytes = (size_t)((b->width * bpp + 31) / 32 * 4);
    if (bpp >= 16)
        return read_masks(d, n, hsize, b, err);
    read_palette(d, n, hsize, n_used, b);
    return FC_OK;
}

static fc_status bmp_probe(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    bmp_header b;
    fc_status rc = parse_header(d, n, &b, err);
    if (rc)
        return rc;
    if (b.width > INT32_MAX || b.height > INT32_MAX)
        return fc_error_set(err, FC_ERR_LIMIT, "bmp: image %" PRId64 "x%" PRId64
                            " is too large", b.width, b.height);
    out->width = (int)b.width;
    out->height = (int)b.height;
    return FC_OK;
}

/* One stored row of any uncompressed depth to RGB. */
static void convert_row(const bmp_header *b, const uint8_t *src, uint8_t *dst)
{
    int w = (int)b->width;
    switch (b->bpp) {
    case 1:
    case 4:
    case 8: {
        unsigned bpp = b->bpp, per_byte = 8 / bpp, mask = (1u << bpp) - 1;
        for (int x = 0; x < w; x++, dst += 3) {
            unsigned shift = 8 - bpp * (x % per_byte + 1);
            memcpy(dst, b->palette[(src[x / per_byte] >> shift) & mask], 3);
        }
        break;
    }
    case 24:
        for (int x = 0; x < w; x++, src += 3, dst += 3)
            dst[0] = src[2], dst[1] = src[1], dst[2] = src[0];
        break;
    default: /* 16, 32: masks */
        for (int x = 0; x < w; x++, dst += 3) {
            uint32_t px = b->bpp == 16 ? fc_rd_le16(src + 2 * x) : fc_rd_le32(src + 4 * x);
            dst[0] = channel_value(&b->ch[0], px);
            dst[1] = channel_value(&b->ch[1], px);
            dst[2] = channel_value(&b->ch[2], px);
        }
    }
}

static fc_status decode_rows(const uint8_t *d, size_t n, const bmp_header *b, fc_image *img,
                             fc_error *err)
{
    /* The last row may lack its padding. */
    size_t last = (size_t)((b->width * b->bpp + 7) / 8);
    int64_t before_last;
    if (fc_mul_overflow((int64_t)b->row_bytes, b->height - 1, &before_last) ||
        b->data_offset > n || (uint64_t)before_last > n - b->data_offset ||
        last > n - b->data_offset - (size_t)before_last)
        return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated: %" PRId64 " rows of %zu bytes "
                            "at offset %zu do not fit in %zu bytes", b->height, b->row_bytes,
                            b->data_offset, n);
    for (int64_t r = 0; r < b->height; r++) {
        int64_t y = b->top_down ? r : b->height - 1 - r;
        convert_row(b, d + b->data_offset + (size_t)r * b->row_bytes,
                    img->rgb + (size_t)y * (size_t)img->stride);
    }
    return FC_OK;
}

/* Writes palette index `idx` at stored (x, row) of a bottom-up RLE image if inside. */
static inline void rle_put(const bmp_header *b, fc_image *img, int64_t x, int64_t row,
                           unsigned idx)
{
    if (x < b->width && row < b->height)
        memcpy(img->rgb + (size_t)(b->height - 1 - row) * (size_t)img->stride + 3 * (size_t)x,
               b->palette[idx], 3);
}

static fc_status decode_rle(const uint8_t *d, size_t n, const bmp_header *b, fc_image *img,
                            fc_error *err)
{
    int four = b->compression == BI_RLE4;
    int64_t x = 0, row = 0;
    size_t p = b->data_offset;
    while (row < b->height) {
        if (p > n || n - p < 2)
            return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated RLE data at row %" PRId64
                                " of %" PRId64, row, b->height);
        unsigned count = d[p], value = d[p + 1];
        p += 2;
        if (count) { /* a run: one index, or two alternating nibbles */
            for (unsigned i = 0; i < count; i++, x++)
                rle_put(b, img, x, row, four ? (i & 1 ? value & 15 : value >> 4) : value);
        } else if (value == 0) { /* end of line */
            x = 0;
            row++;
        } else if (value == 1) { /* end of bitmap */
            break;
        } else if (value == 2) { /* delta */
            if (n - p < 2)
                return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated RLE delta");
            x += d[p];
            row += d[p + 1];
            p += 2;
        } else { /* `value` literal indices, padded to 16 bits */
            size_t bytes = four ? (value + 1) / 2 : value;
            size_t padded = (bytes + 1) & ~(size_t)1;
            if (n - p < bytes)
                return fc_error_set(err, FC_ERR_FORMAT, "bmp: truncated RLE literal");
            for (unsigned i = 0; i < value; i++, x++)
                rle_put(b, img, x, row,
                        four ? (i & 1 ? d[p + i / 2] & 15 : d[p + i / 2] >> 4) : d[p + i]);
            p += n - p < padded ? n - p : padded;
        }
    }
    return FC_OK;
}

static fc_image *bmp_decode(const uint8_t *d, size_t n, const fc_decode_opts *opts,
                            fc_error *err)
{
    bmp_header b;
    if (parse_header(d, n, &b, err))
        return NULL;
    fc_image *img = fc_image_alloc_checked("bmp", b.width, b.height, &opts->limits, err);
    if (!img)
        return NULL;
    fc_status rc = b.compression == BI_RLE8 || b.compression == BI_RLE4
                       ? decode_rle(d, n, &b, img, err)
                       : decode_rows(d, n, &b, img, err);
    if (rc) {
        fc_image_free(img);
        return NULL;
    }
    return img;
}

const fc_image_codec fc_codec_bmp = {
    .format = FC_IMAGE_BMP,
    .name = "bmp",
    .sniff = bmp_sniff,
    .probe = bmp_probe,
    .decode = bmp_decode,
};
