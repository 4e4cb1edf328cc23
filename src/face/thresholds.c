/* thresholds.c - the table of default thresholds per embedder kind (cosine; a pair
 * matches at or above the threshold).
 *
 * arcface112 (fr_feature.onnx, fed BGR: it separates faces better than RGB, 97.9%
 * vs 97.0% on celebs_aligned) - calibrated on ../shared/data, method and numbers in
 * docs/calibration.md (bench/calibrate.py, bench/verify.py):
 * - verify 0.22: the best 10-fold threshold on the 6000 celebs_aligned pairs
 *   (accuracy 97.9%); the stricter FAR 1e-3 point is 0.352.
 * - cluster edge 0.55: just above the highest different-person cosine seen on the
 *   labelled sets (a wrong edge merges two persons in connected components; at 0.50
 *   celebs' pairwise precision was already 0.76).
 * - merge 0.46 and assign 0.46: a centroid against one face; lower (0.42) chained
 *   two people through single faces (precision 0.883).
 * With edge 0.55 / merge 0.46: celebs BCubed F 0.963, pairwise precision 1.000.
 * facenet160: the original service's values (edge 0.75, merge = edge + 0.1, assign
 * 0.65); verify = assign. Not measured here (no FaceNet model available). */
#include "face/thresholds.h"

#include <assert.h>

static const fc_thresholds table[] = {
    [FC_EMBEDDER_AUTO] = {0.22f, 0.55f, 0.46f, 0.46f},
    [FC_EMBEDDER_ARCFACE112] = {0.22f, 0.55f, 0.46f, 0.46f},
    [FC_EMBEDDER_FACENET160] = {0.65f, 0.75f, 0.85f, 0.65f},
};
static_assert(sizeof table / sizeof table[0] == FC_EMBEDDER_COUNT, "one row per embedder kind");

const fc_thresholds *fc_thresholds_for(fc_embedder_kind kind)
{
    return (unsigned)kind < FC_EMBEDDER_COUNT ? &table[kind] : &table[FC_EMBEDDER_ARCFACE112];
}
