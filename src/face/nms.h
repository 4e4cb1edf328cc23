/* nms.h - box overlap and non-maximum suppression for detector heads. */
#ifndef FC_FACE_NMS_H
#define FC_FACE_NMS_H

#include "face/face.h"

/* Intersection over union of two boxes (0 when either is empty). */
float fc_rect_iou(const fc_rect *a, const fc_rect *b);

/* Intersection over the smaller box's area (0 when either is empty): 1 when one box
 * lies inside the other. */
float fc_rect_overlap_small(const fc_rect *a, const fc_rect *b);

/* Sorts dets[0..n) by score, descending (ties broken by the box, so the result is
 * deterministic), then keeps each box whose IoU with every kept
 * higher-scoring box is <= iou_threshold. Kept boxes are moved to the front in score
 * order; returns how many were kept. Needs no memory beyond dets. */
int fc_face_nms(fc_detection *dets, int n, float iou_threshold);

#endif
