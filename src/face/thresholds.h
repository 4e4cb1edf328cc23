/* thresholds.h - the per-embedder default thresholds (cosine similarity), in one
 * table: every command and the service read them from here. */
#ifndef FC_FACE_THRESHOLDS_H
#define FC_FACE_THRESHOLDS_H

#include "face/face.h"

typedef struct {
    float verify;       /* two faces are the same person at or above this */
    float cluster_edge; /* PERSON_SIMILARITY_THRESHOLD: a clustering graph edge */
    float merge;        /* persons merge when the mean cosine between their faces is at
                         * least merge + (edge - merge) / sqrt(size product) */
    float attach;       /* a person of 1-2 faces joins the larger person whose faces it
                         * matches best on average at or above this (with a margin);
                         * 0 = off */
    float assign;       /* a person is assigned to an enrolled user at or above this */
} fc_thresholds;

/* The defaults for an embedder kind (AUTO gives arcface112's). Never NULL. */
const fc_thresholds *fc_thresholds_for(fc_embedder_kind kind);

#endif
