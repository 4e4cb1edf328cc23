/* exif.c - the EXIF orientation tag (0x0112) from IFD0 of a TIFF-structured EXIF
 * block. The block comes from the file, so every offset and count is checked against
 * its length before it is read. */
#include "image/codec.h"

#include <string.h>

#define TAG_ORIENTATION 0x0112
#define TYPE_BYTE 1
#define TYPE_SHORT 3
#define TYPE_LONG 4

int fc_exif_orientation(const uint8_t *data, size_t len)
{
    if (!data)
        return 1;
    if (len >= 6 && memcmp(data, "Exif\0\0", 6) == 0) {
        data += 6;
        len -= 6;
    }
    if (len < 8)
        return 1;
    int le;
    if (data[0] == 'I' && data[1] == 'I' && fc_rd_le16(data + 2) == 42)
        le = 1;
    else if (data[0] == 'M' && data[1] == 'M' && fc_rd_be16(data + 2) == 42)
        le = 0;
    else
        return 1;
    uint32_t ifd = le ? fc_rd_le32(data + 4) : fc_rd_be32(data + 4);
    if (ifd < 8 || ifd > len - 2)
        return 1;
    uint32_t n = le ? fc_rd_le16(data + ifd) : fc_rd_be16(data + ifd);
    size_t fit = (len - ifd - 2) / 12; /* entries that lie inside the block */
    if (n > fit)
        n = (uint32_t)fit;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = data + ifd + 2 + 12 * (size_t)i;
        uint32_t tag = le ? fc_rd_le16(e) : fc_rd_be16(e);
        if (tag != TAG_ORIENTATION)
            continue;
        uint32_t type = le ? fc_rd_le16(e + 2) : fc_rd_be16(e + 2);
        uint32_t count = le ? fc_rd_le32(e + 4) : fc_rd_be32(e + 4);
        uint32_t v = 0;
        if (count < 1)
            return 1;
        if (type == TYPE_SHORT)
            v = le ? fc_rd_le16(e + 8) : fc_rd_be16(e + 8);
        else if (type == TYPE_LONG)
            v = le ? fc_rd_le32(e + 8) : fc_rd_be32(e + 8);
        else if (type == TYPE_BYTE)
            v = e[8];
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}
