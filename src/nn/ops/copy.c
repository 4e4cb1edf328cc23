/* copy.c - row copies and strided walks for the layout ops; see copy.h. */
#include "nn/ops/copy.h"

#include <string.h>

/* Edge of the square tiles a strided plane is copied through, for cache locality. */
#define TILE 32

/* The row loop. Inlined with a constant bytes, each memcpy becomes a move or two. */
static inline void copy_rows_of(unsigned char *dst, int64_t dst_stride,
                                const unsigned char *src, int64_t src_stride, int64_t rows,
                                size_t bytes)
{
    for (int64_t r = 0; r < rows; r++)
        memcpy(dst + r * dst_stride, src + r * src_stride, bytes);
}

void fc_copy_rows(void *dst, int64_t dst_stride, const void *src, int64_t src_stride,
                  int64_t rows, int64_t row_bytes)
{
    unsigned char *y = dst;
    const unsigned char *x = src;
    if (rows <= 0 || row_bytes <= 0)
        return;
    if (dst_stride == row_bytes && src_stride == row_bytes) {
        memcpy(y, x, (size_t)(rows * row_bytes));
        return;
    }
    switch (row_bytes) { /* 1 to 4 floats, 1 or 2 int64 */
    case 4: copy_rows_of(y, dst_stride, x, src_stride, rows, 4); break;
    case 8: copy_rows_of(y, dst_stride, x, src_stride, rows, 8); break;
    case 12: copy_rows_of(y, dst_stride, x, src_stride, rows, 12); break;
    case 16: copy_rows_of(y, dst_stride, x, src_stride, rows, 16); break;
    default: copy_rows_of(y, dst_stride, x, src_stride, rows, (size_t)row_bytes); break;
    }
}

/* n elements of es (4 or 8) bytes: dst and src step by ds and ss elements. */
static void copy_strided_row(unsigned char *dst, int64_t ds, const unsigned char *src,
                             int64_t ss, int64_t n, int64_t es)
{
    if (es == 4) {
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + 4 * i * ds, src + 4 * i * ss, 4);
    } else {
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + 8 * i * ds, src + 8 * i * ss, 8);
    }
}

/* rows x cols (dense dst) <- src[i*sr + j*sc]: whole rows when they are contiguous in
 * the source, else in tiles. A plane narrower than a tile (the 4 to 12 box values of
 * a detector head) goes through tiles of rows column by column, so the source, often
 * contiguous along i, is read in runs rather than one element per row. */
static void copy_plane(unsigned char *dst, const unsigned char *src, int64_t rows,
                       int64_t cols, int64_t sr, int64_t sc, int64_t es)
{
    if (sc == 1) {
        fc_copy_rows(dst, cols * es, src, sr * es, rows, cols * es);
        return;
    }
    if (cols < TILE) {
        for (int64_t i0 = 0; i0 < rows; i0 += TILE) {
            int64_t ni = rows - i0 < TILE ? rows - i0 : TILE;
            for (int64_t j = 0; j < cols; j++)
                copy_strided_row(dst + (i0 * cols + j) * es, cols, src + (i0 * sr + j * sc) * es,
                                 sr, ni, es);
        }
        return;
    }
    for (int64_t j0 = 0; j0 < cols; j0 += TILE) {
        int64_t nj = cols - j0 < TILE ? cols - j0 : TILE;
        for (int64_t i = 0; i < rows; i++)
            copy_strided_row(dst + (i * cols + j0) * es, 1, src + (i * sr + j0 * sc) * es, sc, nj,
                             es);
    }
}

/* Drops 1-dims and merges neighbours that are contiguous in the source too. */
static void walk_simplify(fc_copy_walk *w)
{
    fc_copy_walk s = {0};
    for (int i = 0; i < w->ndim; i++) {
        if (w->d[i] == 1)
            continue;
        if (s.ndim > 0 && s.st[s.ndim - 1] == w->st[i] * w->d[i]) {
            s.d[s.ndim - 1] *= w->d[i];
            s.st[s.ndim - 1] = w->st[i];
        } else {
            s.d[s.ndim] = w->d[i];
            s.st[s.ndim++] = w->st[i];
        }
    }
    *w = s;
}

/* As planes of the last two dims of the simplified walk. */
void fc_copy_strided(void *dst, const void *src, fc_copy_walk w, int64_t es)
{
    unsigned char *y = dst;
    const unsigned char *x = src;
    int64_t n = 1;
    for (int k = 0; k < w.ndim; k++)
        if (w.d[k] == 0)
            return;
    for (int k = 0; k < w.ndim; k++)
        n *= w.d[k];
    walk_simplify(&w);
    while (w.ndim < 2) { /* pad to a plane with leading 1-dims */
        memmove(w.d + 1, w.d, (size_t)w.ndim * sizeof w.d[0]);
        memmove(w.st + 1, w.st, (size_t)w.ndim * sizeof w.st[0]);
        w.d[0] = 1, w.st[0] = 0, w.ndim++;
    }
    int r = w.ndim;
    int64_t rows = w.d[r - 2], cols = w.d[r - 1], plane = rows * cols, off = 0;
    int64_t idx[FC_MAX_DIMS] = {0};
    for (int64_t o = 0; o < n; o += plane) {
        copy_plane(y + o * es, x + off * es, rows, cols, w.st[r - 2], w.st[r - 1], es);
        for (int k = r - 3; k >= 0; k--) { /* odometer over the outer dims */
            off += w.st[k];
            if (++idx[k] < w.d[k])
                break;
            off -= w.st[k] * w.d[k];
            idx[k] = 0;
        }
    }
}
