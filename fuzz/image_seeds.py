#!/usr/bin/python3
"""Writes small valid images of one format as seeds for fuzz_image_<format>: each
variant a decoder handles differently (colour types, depths, compressions,
progressive/interlaced, orientation, animation, truncation-prone layouts) in a few
KB, so the fuzzer starts with coverage of every path.
Usage: fuzz/image_seeds.py FORMAT OUTDIR   (FORMAT: jpeg png webp heif bmp tiff gif)
Needs Debian's /usr/bin/python3 with python3-pil; HEIF seeds come from heif-enc
(libheif-examples)."""
import io
import os
import struct
import subprocess
import sys
import tempfile
import zlib

from PIL import Image


def picture(w, h, mode="RGB"):
    """Blocks, gradients and noise: something every codec has to work on."""
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1),
                        ((x // 4 + y // 4) * 97 + x * y) & 255)
    if mode == "RGBA":
        im.putalpha(Image.linear_gradient("L").resize((w, h)))
        return im
    return im.convert(mode)


def exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def saved(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def jpeg_seeds():
    rgb = picture(48, 32)
    yield "baseline", saved(rgb, "JPEG", quality=90)
    yield "q100_444", saved(rgb, "JPEG", quality=100, subsampling=0)
    yield "progressive", saved(rgb, "JPEG", quality=80, progressive=True)
    yield "optimized_422", saved(rgb, "JPEG", quality=75, optimize=True, subsampling=1)
    yield "grey", saved(picture(33, 17, "L"), "JPEG", quality=85)
    yield "cmyk_adobe", saved(picture(24, 16, "CMYK"), "JPEG", quality=90)
    yield "orientation6", saved(rgb, "JPEG", quality=70, exif=exif(6))
    yield "odd_size", saved(picture(7, 5), "JPEG", quality=50)


def png_interlaced(im):
    """Adam7 RGB PNG (PIL cannot write interlaced PNG)."""
    w, h = im.size
    px = im.load()
    raw = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        for y in range(y0, h, dy):
            row = [px[x, y] for x in range(x0, w, dx)]
            if row:
                raw += b"\0" + bytes(c for p in row for c in p)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png_seeds():
    yield "rgb", saved(picture(40, 24), "PNG")
    yield "rgba", saved(picture(20, 20, "RGBA"), "PNG")
    yield "grey", saved(picture(17, 9, "L"), "PNG")
    yield "grey_alpha", saved(picture(16, 8, "RGBA").convert("LA"), "PNG")
    yield "bilevel", saved(picture(21, 7, "1"), "PNG")
    pal = picture(16, 16).convert("P", palette=Image.ADAPTIVE, colors=16)
    yield "palette4", saved(pal, "PNG", bits=4)
    yield "palette_trns", saved(pal, "PNG", transparency=3)
    yield "grey16", saved(picture(12, 12, "L").convert("I").point(lambda v: v * 257).convert("I;16"), "PNG")
    yield "exif_orientation8", saved(picture(24, 16), "PNG", exif=exif(8))
    yield "interlaced", png_interlaced(picture(19, 11))


def webp_seeds():
    yield "lossy", saved(picture(48, 32), "WEBP", quality=80)
    yield "lossless", saved(picture(24, 16), "WEBP", lossless=True)
    yield "alpha", saved(picture(20, 20, "RGBA"), "WEBP", quality=70)
    yield "alpha_lossless", saved(picture(16, 16, "RGBA"), "WEBP", lossless=True)
    yield "exif_orientation6", saved(picture(32, 16), "WEBP", quality=60, exif=exif(6))
    frames = [picture(24, 24), picture(24, 24).transpose(Image.FLIP_LEFT_RIGHT)]
    yield "animated", saved(frames[0], "WEBP", save_all=True, append_images=frames[1:],
                            duration=100, lossless=True)


def bmp_file(w, h, bpp, rows, compression=0, palette=b"", header=40, top_down=False,
             masks=b""):
    """A BMP from already-encoded rows (bottom row first unless top_down)."""
    data = b"".join(rows)
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bpp)
    else:
        info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, compression,
                           len(data), 2835, 2835, len(palette) // (3 if header == 12 else 4), 0)
    off = 14 + len(info) + len(masks) + len(palette)
    return b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + masks + palette + data


def bmp_seeds():
    yield "rgb24", saved(picture(13, 7), "BMP")
    yield "rgba32", saved(picture(8, 8, "RGBA"), "BMP")
    yield "grey8", saved(picture(9, 9, "L"), "BMP")
    yield "palette8", saved(picture(16, 8).convert("P", palette=Image.ADAPTIVE, colors=32), "BMP")
    yield "bilevel", saved(picture(20, 6, "1"), "BMP")
    pal16 = b"".join(bytes((i * 16, 255 - i * 16, i * 7, 0)) for i in range(16))
    rle8 = bytes([3, 1, 0, 3, 2, 3, 4, 0, 0, 0, 2, 5, 0, 2, 2, 0, 1, 6, 0, 1])
    yield "rle8", bmp_file(6, 2, 8, [rle8], compression=1, palette=pal16)
    rle4 = bytes([4, 0x12, 0, 3, 0x34, 0x50, 0, 0, 0, 2, 1, 1, 7, 0xAB, 0, 1])
    yield "rle4", bmp_file(7, 2, 4, [rle4], compression=2, palette=pal16)
    rows565 = [b"".join(struct.pack("<H", (x * 4 << 11) | (y * 8 << 5) | x) for x in range(6)) + b"\0\0"
               for y in range(4)]
    yield "bitfields565", bmp_file(6, 4, 16, rows565, compression=3,
                                   masks=struct.pack("<III", 0xF800, 0x07E0, 0x001F))
    rows24 = [b"".join(bytes((x * 40 & 255, y * 60 & 255, 128)) for x in range(5)) + b"\0"
              for y in range(3)]
    yield "top_down24", bmp_file(5, 3, 24, rows24, top_down=True)
    yield "os2_core24", bmp_file(5, 3, 24, rows24, header=12)


def tiff_seeds():
    rgb = picture(24, 16)
    yield "raw", saved(rgb, "TIFF")
    yield "lzw", saved(rgb, "TIFF", compression="tiff_lzw")
    yield "deflate", saved(rgb, "TIFF", compression="tiff_adobe_deflate")
    yield "packbits", saved(rgb, "TIFF", compression="packbits")
    yield "jpeg", saved(rgb, "TIFF", compression="jpeg")
    yield "grey", saved(picture(17, 9, "L"), "TIFF")
    yield "group4", saved(picture(32, 8, "1"), "TIFF", compression="group4")
    yield "palette", saved(rgb.convert("P", palette=Image.ADAPTIVE, colors=16), "TIFF")
    yield "cmyk", saved(picture(8, 8, "CMYK"), "TIFF")
    yield "rgba", saved(picture(8, 8, "RGBA"), "TIFF")
    yield "grey16", saved(picture(8, 8, "L").convert("I;16"), "TIFF")
    yield "orientation6", saved(rgb, "TIFF", tiffinfo={0x0112: 6})
    yield "two_pages", saved(rgb, "TIFF", save_all=True, append_images=[picture(8, 8)])


def gif_seeds():
    yield "plain", saved(picture(24, 16).convert("P"), "GIF")
    yield "interlaced", saved(picture(20, 20).convert("P"), "GIF", interlace=True)
    yield "transparent", saved(picture(16, 16).convert("P"), "GIF", transparency=0)
    frames = [picture(16, 12).convert("P"), picture(8, 6).convert("P")]
    yield "animated", saved(frames[0], "GIF", save_all=True, append_images=frames[1:],
                            duration=50, loop=0)


def heif_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("rgb", picture(32, 32), []), ("rgba", picture(16, 16, "RGBA"), []),
                    ("lossless", picture(16, 8), ["-L"]), ("odd", picture(13, 9), []),
                    ("avif", picture(16, 16), ["-A"])]
        for name, im, args in variants:
            png = os.path.join(tmp, name + ".png")
            out = os.path.join(tmp, name + (".avif" if "-A" in args else ".heic"))
            im.save(png)
            r = subprocess.run(["heif-enc", "-q", "50", *args, png, "-o", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0 and os.path.exists(out):
                with open(out, "rb") as f:
                    yield name, f.read()


SEEDS = {"jpeg": jpeg_seeds, "png": png_seeds, "webp": webp_seeds, "heif": heif_seeds,
         "bmp": bmp_seeds, "tiff": tiff_seeds, "gif": gif_seeds}


def main():
    fmt, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS[fmt]():
        with open(os.path.join(out, "seed_" + name + "." + fmt), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
