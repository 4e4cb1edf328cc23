/* store_conformance.h - checks any backend of struct fc_store_ops and struct
 * fc_vectors_ops must pass, written against the wrappers only: run on the embedded
 * backends by `build/tests store`, and on MongoDB / Qdrant by
 * tests/unit/test_backends_live.c when MONGODB_URL / QDRANT_URL are set. Each
 * returns FC_TEST_PASS or FC_TEST_FAIL (with the reason recorded by CHECK). Each
 * uses a fresh bucket/sub-bucket (from tag) and deletes what it made. */
#ifndef FC_TESTS_STORE_CONFORMANCE_H
#define FC_TESTS_STORE_CONFORMANCE_H

#include "store/store.h"
#include "store/vectors.h"

int fc_conformance_profiles(fc_store *s, const char *tag);
int fc_conformance_runs(fc_store *s, const char *tag);
int fc_conformance_assignments(fc_store *s, const char *tag);
/* Shared runs (docs/workers.md): two workers on one handle, join, disjoint claims,
 * refused completes, expiry and takeover, heartbeat, release, the finish claimed
 * once. About 1 s (it waits for a lease to expire). */
int fc_conformance_leases(fc_store *s, const char *tag);
int fc_conformance_vectors(fc_vectors *v, const char *tag);

#endif
