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
/* A finished run of n_persons persons of 512-float vectors (2000: more than one
 * MongoDB document holds inline, docs/backends.md), each of one face, plus unassigned
 * faces: every person read back in order, with its vectors and member, all and one
 * by one. inspect (NULL: none) is called with the run's id once it is read back
 * (deleted 0) and once it is deleted (deleted 1), for a backend's own checks of what
 * it stored; it returns FC_TEST_PASS or FC_TEST_FAIL. */
typedef int (*fc_conformance_inspect)(fc_store *s, const char *clustering_id, size_t n_persons,
                                      int deleted);
int fc_conformance_large_run(fc_store *s, const char *tag, size_t n_persons,
                             fc_conformance_inspect inspect);
/* Shared runs (docs/workers.md): two workers on one handle, join, disjoint claims,
 * refused completes, expiry and takeover, heartbeat, release, the finish claimed
 * once. About 1 s (it waits for a lease to expire). */
int fc_conformance_leases(fc_store *s, const char *tag);
int fc_conformance_vectors(fc_vectors *v, const char *tag);

#endif
