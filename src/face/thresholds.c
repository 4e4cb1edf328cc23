/* thresholds.c - the table of default thresholds per embedder kind (cosine; a pair
 * matches at or above the threshold).
 *
 * arcface112 (fr_feature.onnx, fed BGR: it separates faces better than RGB, 97.9%
 * vs 97.0% on celebs_aligned) - calibrated on ../shared/data, method and numbers in
 * docs/calibration.md (bench/calibrate.py, bench/verify.py):
 * - verify 0.22: the best 10-fold threshold on the 6000 celebs_aligned pairs
 *   (accuracy 97.9%); the stricter FAR 1e-3 point is 0.352.
 * - cluster edge 0.58: above the highest different-person cosine seen through the
 *   whole pipeline on the labelled sets (0.552, two actresses in facenet-pytorch's
 *   photos; 0.543 on celebs_aligned): a wrong edge merges two persons.
 * - merge 0.25: the floor of the size-dependent average-linkage bar (cluster.h); the
 *   highest mean cosine between two different identities' faces on celebs_aligned is
 *   0.213, the same identity's faces average 0.553. A floor of 0.22 merged two
 *   celebrities, 0.27-0.30 leaves an actor's photos of different ages apart.
 * - attach off (0): on the labelled sets alone, attach 0.20 (margin 0.10) gave every
 *   leftover face of 1-2 its own identity, but with the faces of strangers' group photos
 *   beside them (bench/cluster_quality.py --strangers) it put 21 of 268 strangers into
 *   celebs_aligned's persons and 19 into face-api.js's 8 (pairwise precision 0.457): a
 *   stranger's best mean with a person is as high as a hard face's with its own. Opt in
 *   with PERSON_ATTACH_THRESHOLD / --attach-threshold 0.2 (docs/clustering.md).
 * - assign 0.46: a centroid against one enrolled face (~1e-3 false matches).
 * Clustering figures with these values: docs/clustering.md (bench/cluster_quality.py).
 * facenet160: the original service's edge 0.75 and assign 0.65 (verify = assign);
 * merge 0.6 translates its centroid rule (edge + 0.1) into a mean cosine; attach off.
 * Not measured here (no FaceNet model available). */
#include "face/thresholds.h"

#include <assert.h>

static const fc_thresholds table[] = {
    [FC_EMBEDDER_AUTO] = {0.22f, 0.58f, 0.25f, 0.0f, 0.46f},
    [FC_EMBEDDER_ARCFACE112] = {0.22f, 0.58f, 0.25f, 0.0f, 0.46f},
    [FC_EMBEDDER_FACENET160] = {0.65f, 0.75f, 0.6f, 0.0f, 0.65f},
};
static_assert(sizeof table / sizeof table[0] == FC_EMBEDDER_COUNT, "one row per embedder kind");

const fc_thresholds *fc_thresholds_for(fc_embedder_kind kind)
{
    return (unsigned)kind < FC_EMBEDDER_COUNT ? &table[kind] : &table[FC_EMBEDDER_ARCFACE112];
}
