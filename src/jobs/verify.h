/* verify.h - do the metadata store and the vector store agree on a run? The face ids
 * of the run's face rows against the point ids whose payload names the run, for any
 * pair of backends (SQLite or MongoDB with local vectors or Qdrant). Used by
 * `facecluster verify RUN` and GET /verify-storage. */
#ifndef FC_JOBS_VERIFY_H
#define FC_JOBS_VERIFY_H

#include "store/store.h"
#include "store/vectors.h"

typedef struct {
    size_t n_matching;      /* in both */
    size_t n_metadata_only; /* face rows without a vector */
    size_t n_vectors_only;  /* vectors without a face row */
    char **metadata_only;   /* their face ids (all of them), owned */
    char **vectors_only;
    int consistent;         /* 1 when both "only" lists are empty */
} fc_verify_report;

void fc_verify_report_free(fc_verify_report *r);

/* Compares run clustering_id in store s and vectors v into *out (zero it first). */
fc_status fc_verify_run(fc_store *s, fc_vectors *v, const char *clustering_id,
                        fc_verify_report *out, fc_error *err);

#endif
