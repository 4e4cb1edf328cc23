/* thresholds.c - the table of default thresholds per embedder kind.
 *
 * PROVISIONAL: these are rough placeholders until the calibration on shared/data
 * (done separately) replaces them.
 * - arcface112 (fr_feature.onnx, BGR): measured roughly on celebs_aligned/pairs.tsv
 *   (6000 pairs): same-person cosines 0.566 +- 0.159, different 0.015 +- 0.093;
 *   best pair accuracy 97.9% at 0.22; 1% false matches at 0.26, 0.1% at 0.36.
 *   verify 0.25 ~ the 1% point; cluster edges 0.40, above the 0.1% point, because a
 *   wrong edge merges two persons; merge and assign follow the original's offsets.
 * - facenet160: the original service's values (edge 0.75, merge = edge + 0.1,
 *   assign 0.65); verify = assign. Not measured here (no FaceNet model available). */
#include "face/thresholds.h"

#include <assert.h>

static const fc_thresholds table[] = {
    [FC_EMBEDDER_AUTO] = {0.25f, 0.40f, 0.50f, 0.30f},
    [FC_EMBEDDER_ARCFACE112] = {0.25f, 0.40f, 0.50f, 0.30f},
    [FC_EMBEDDER_FACENET160] = {0.65f, 0.75f, 0.85f, 0.65f},
};
static_assert(sizeof table / sizeof table[0] == FC_EMBEDDER_COUNT, "one row per embedder kind");

const fc_thresholds *fc_thresholds_for(fc_embedder_kind kind)
{
    return (unsigned)kind < FC_EMBEDDER_COUNT ? &table[kind] : &table[FC_EMBEDDER_ARCFACE112];
}
