/* tile.c - the tile geometry and the merge of tile detections (tile.h). */
#include "face/tile.h"

#include "face/nms.h"

#include <math.h>

/* A tile may be stretched this much (wider or taller than the input's aspect) before
 * the long side gets one more tile. */
#define MAX_TILE_STRETCH 1.5f

float fc_tile_stretch(int img_w, int img_h, int in_w, int in_h)
{
    float r = ((float)img_w / (float)img_h) / ((float)in_w / (float)in_h);
    return r >= 1 ? r : 1 / r;
}

/* Start positions of n segments of length len (n >= 1) spread evenly over total,
 * the first at 0 and the last ending at total. */
static int seg_start(int i, int n, int total, int len)
{
    return n > 1 ? (int)lroundf((float)i * (float)(total - len) / (float)(n - 1)) : 0;
}

/* The length of each of n segments overlapping by ov that together cover total. */
static int seg_len(int n, int total, float ov)
{
    int len = (int)ceilf(((float)total + (float)(n - 1) * ov) / (float)n);
    return len < total ? len : total;
}

int fc_tile_plan(int img_w, int img_h, int in_w, int in_h, int across, int max_tiles,
                 fc_tile *tiles)
{
    if (img_w <= 0 || img_h <= 0 || in_w <= 0 || in_h <= 0 || across < 1 || max_tiles < 1)
        return 0;
    if (max_tiles > FC_TILE_MAX)
        max_tiles = FC_TILE_MAX;
    /* work as if the image were wide: short = its height, long = its width */
    const int wide = (float)img_w / (float)img_h >= (float)in_w / (float)in_h;
    const int lng = wide ? img_w : img_h, sht = wide ? img_h : img_w;
    const float aspect = wide ? (float)in_w / (float)in_h : (float)in_h / (float)in_w;
    const float ov = FC_TILE_OVERLAP * (float)sht / (float)across;
    const int ts = seg_len(across, sht, ov);
    /* the tile's long side at the input's aspect, then how many cover the long side */
    const float tl = (float)ts * aspect;
    int n_long = 1;
    while ((float)seg_len(n_long, lng, ov) > tl * MAX_TILE_STRETCH)
        n_long++;
    if (n_long * across > max_tiles)
        n_long = max_tiles / across;
    if (n_long < 1 || n_long * across <= 1)
        return 0;
    const int tlen = seg_len(n_long, lng, ov);
    int n = 0;
    for (int s = 0; s < across; s++) {
        for (int l = 0; l < n_long; l++) {
            int ps = seg_start(s, across, sht, ts), pl = seg_start(l, n_long, lng, tlen);
            tiles[n++] = wide ? (fc_tile){pl, ps, tlen, ts} : (fc_tile){ps, pl, ts, tlen};
        }
    }
    return n;
}

int fc_tile_cut(const fc_tile *t, const fc_rect *box, int img_w, int img_h)
{
    /* within a pixel or 1% of the tile of the edge: the detector's boxes are clipped
     * to the tile, and a cut face's box ends at (or just short of) its edge */
    const float mx = 1 + 0.01f * (float)t->w, my = 1 + 0.01f * (float)t->h;
    return (t->x > 0 && box->x1 <= (float)t->x + mx) ||
           (t->y > 0 && box->y1 <= (float)t->y + my) ||
           (t->x + t->w < img_w && box->x2 >= (float)(t->x + t->w) - mx) ||
           (t->y + t->h < img_h && box->y2 >= (float)(t->y + t->h) - my);
}

int fc_tile_merge(fc_detection *dets, unsigned char *cut, int n, float iou)
{
    /* mark (2) the cut boxes another tile or the whole image holds whole, then drop
     * them; a marked box is still cut, so marking does not change later tests */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n && cut[i] == 1; k++)
            if (k != i && !cut[k] && fc_rect_overlap_small(&dets[i].box, &dets[k].box) >= 0.5f)
                cut[i] = 2;
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (cut[i] != 2)
            dets[kept++] = dets[i];
    return fc_face_nms(dets, kept, iou);
}
