/* tile.h - detection on overlapping tiles, for photos the whole-image pass sees badly:
 * panoramas and tall stacks (a fixed-input detector such as UltraFace stretches the
 * whole photo to its 4:3 input, squashing their faces) and crowds of faces too small
 * at the detector's input size. The pipeline (face_run.c) runs the detector on each
 * tile, maps the boxes back and merges them with the whole-image pass here.
 *
 *   fc_tile t[FC_TILE_MAX];
 *   int n = fc_tile_plan(w, h, 320, 240, 1, max_tiles, t);   // 0: no tiling needed
 *   ... detect in each t[i], offset the boxes, mark cut ones (fc_tile_cut) ...
 *   n_dets = fc_tile_merge(dets, cut, n_dets, 0.3f);
 */
#ifndef FC_FACE_TILE_H
#define FC_FACE_TILE_H

#include "face/face.h"

/* Tiles per image at most (DETECT_TILES is clamped to it). */
#define FC_TILE_MAX 16

/* A tile: a rectangle of the image, in its pixels. */
typedef struct {
    int x, y, w, h;
} fc_tile;

/* Neighbouring tiles overlap by this share of a tile's short side: a face up to that
 * wide lies whole in some tile. */
#define FC_TILE_OVERLAP 0.34f

/* The image's stretch: how far its aspect is from the detector input's (in_w x in_h),
 * as a factor >= 1 (1: the same aspect; 2: twice as wide or as tall). */
float fc_tile_stretch(int img_w, int img_h, int in_w, int in_h);

/* Cuts an img_w x img_h image into overlapping tiles of about the detector input's
 * aspect: `across` tiles (1 or more) span the image's short side and as many as the
 * long side needs (each tile stretched by at most about 1.5 on the way into the
 * input), neighbours overlapping by FC_TILE_OVERLAP of a tile's short side. With more
 * than max_tiles, fewer and longer tiles along the long side; if even one per
 * row does not fit, no tiles. Writes the tiles, row by row, to tiles (room for
 * max_tiles) and returns how many; 0 when a single tile would be the whole image. */
int fc_tile_plan(int img_w, int img_h, int in_w, int in_h, int across, int max_tiles,
                 fc_tile *tiles);

/* 1 if box (in image pixels) touches an edge of tile t that lies inside the image
 * (the face may go on in the neighbouring tile); edges on the image border do not
 * count. */
int fc_tile_cut(const fc_tile *t, const fc_rect *box, int img_w, int img_h);

/* Merges detections from the whole image and from tiles (all in image pixels; cut[i]
 * says detection i touched an inner tile edge): a cut box goes when an uncut box of
 * the same face (covering half of the smaller box or more) exists, then greedy NMS at
 * iou over what is left. Kept detections move to the front, best score first;
 * returns how many. cut is scratch afterwards. */
int fc_tile_merge(fc_detection *dets, unsigned char *cut, int n, float iou);

#endif
