/* nms.c - greedy IoU non-maximum suppression (the usual detector post-processing). */
#include "face/nms.h"

#include <stdlib.h>

float fc_rect_iou(const fc_rect *a, const fc_rect *b)
{
    float aw = a->x2 - a->x1, ah = a->y2 - a->y1;
    float bw = b->x2 - b->x1, bh = b->y2 - b->y1;
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0))
        return 0;
    float iw = (a->x2 < b->x2 ? a->x2 : b->x2) - (a->x1 > b->x1 ? a->x1 : b->x1);
    float ih = (a->y2 < b->y2 ? a->y2 : b->y2) - (a->y1 > b->y1 ? a->y1 : b->y1);
    if (iw <= 0 || ih <= 0)
        return 0;
    float inter = iw * ih;
    return inter / (aw * ah + bw * bh - inter);
}

float fc_rect_overlap_small(const fc_rect *a, const fc_rect *b)
{
    float aw = a->x2 - a->x1, ah = a->y2 - a->y1;
    float bw = b->x2 - b->x1, bh = b->y2 - b->y1;
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0))
        return 0;
    float iw = (a->x2 < b->x2 ? a->x2 : b->x2) - (a->x1 > b->x1 ? a->x1 : b->x1);
    float ih = (a->y2 < b->y2 ? a->y2 : b->y2) - (a->y1 > b->y1 ? a->y1 : b->y1);
    if (iw <= 0 || ih <= 0)
        return 0;
    float small = aw * ah < bw * bh ? aw * ah : bw * bh;
    return iw * ih / small;
}

/* Score descending, then the box corners: a total order on what matters, so the
 * result does not depend on qsort's (unstable) handling of equal keys. */
static int cmp_det(const void *pa, const void *pb)
{
    const fc_detection *a = pa, *b = pb;
    const float ka[5] = {-a->score, a->box.x1, a->box.y1, a->box.x2, a->box.y2};
    const float kb[5] = {-b->score, b->box.x1, b->box.y1, b->box.x2, b->box.y2};
    for (int i = 0; i < 5; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

int fc_face_nms(fc_detection *dets, int n, float iou_threshold)
{
    if (n <= 0)
        return 0;
    qsort(dets, (size_t)n, sizeof *dets, cmp_det);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        for (int k = 0; k < kept && keep; k++)
            if (fc_rect_iou(&dets[k].box, &dets[i].box) > iou_threshold)
                keep = 0;
        if (keep)
            dets[kept++] = dets[i];
    }
    return kept;
}
