/* exif.c - tags of the first directory (IFD0) of a TIFF-structured block: the EXIF
 * orientation (0x0112) of JPEG, PNG and WebP files, and the size and orientation of
 * a TIFF file, read without libtiff (tiff.c). The block comes from the file, so every
 * offset and count is checked against its length before it is read. */
#include "image/codec.h"

#include <string.h>

#define TAG_ORIENTATION 0x0112
#define TYPE_BYTE 1
#define TYPE_SHORT 3
#define TYPE_LONG 4
#define TYPE_LONG8 16

/* An n-byte unsigned number (n <= 8) in the block's byte order. */
static uint64_t rd(const uint8_t *p, int n, int le)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[le ? n - 1 - i : i];
    return v;
}

int fc_tiff_tag(const uint8_t *data, size_t len, uint32_t tag, uint64_t *value)
{
    if (!data || len < 8)
        return -1;
    int le;
    if (data[0] == 'I' && data[1] == 'I')
        le = 1;
    else if (data[0] == 'M' && data[1] == 'M')
        le = 0;
    else
        return -1;
    uint64_t magic = rd(data + 2, 2, le);
    int big = magic == 43; /* BigTIFF: 8-byte offsets and counts, 20-byte entries */
    if (magic != 42 && !(big && len >= 16 && rd(data + 4, 2, le) == 8))
        return -1;
    size_t word = big ? 8 : 4, entry = big ? 20 : 12;
    uint64_t ifd = rd(data + 4 + (big ? 4 : 0), (int)word, le);
    if (ifd < 8 || ifd > len - word)
        return -1;
    uint64_t n = rd(data + ifd, big ? 8 : 2, le);
    size_t first = (size_t)ifd + (big ? 8 : 2);
    size_t fit = (len - first) / entry; /* entries that lie inside the block */
    if (n > fit)
        n = fit;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = data + first + entry * (size_t)i;
        if (rd(e, 2, le) != tag)
            continue;
        uint64_t type = rd(e + 2, 2, le), count = rd(e + 4, (int)word, le);
        const uint8_t *v = e + 4 + word;
        if (count < 1)
            return 0;
        if (type == TYPE_BYTE)
            *value = v[0];
        else if (type == TYPE_SHORT)
            *value = rd(v, 2, le);
        else if (type == TYPE_LONG)
            *value = rd(v, 4, le);
        else if (type == TYPE_LONG8 && big)
            *value = rd(v, 8, le);
        else
            return 0;
        return 1;
    }
    return 0;
}

int fc_exif_orientation(const uint8_t *data, size_t len)
{
    if (data && len >= 6 && memcmp(data, "Exif\0\0", 6) == 0) {
        data += 6;
        len -= 6;
    }
    uint64_t v = 0;
    if (fc_tiff_tag(data, len, TAG_ORIENTATION, &v) != 1)
        return 1;
    return v >= 1 && v <= 8 ? (int)v : 1;
}
