/* original.c - the original Python service's clustering, kept as a baseline for
 * reports: the full n x n cosine matrix (the index's SIMD block kernel, rows on threads),
 * connected components of cosine >= threshold, one pass of transitive merges of
 * components whose centroids have cosine >= threshold + 0.1, no cannot-link. */
#include "cluster/internal.h"

#include <stdlib.h>

#include "index/dot.h"
#include "index/par.h"

typedef struct {
    const fc_cluster_faces *f;
    float *m;
    size_t stride;
} matrix_job;

/* Rows [b, e) of the cosine matrix. */
static void matrix_rows(void *ctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    matrix_job *j = ctx;
    const fc_cluster_faces *f = j->f;
    fc_dot_block_get(fc_simd_best())(f->emb + (size_t)b * (size_t)f->dim, (size_t)f->dim,
                                     (int)(e - b), f->emb, (size_t)f->dim, (int)f->n_faces,
                                     f->dim, j->m + (size_t)b * j->stride, j->stride);
}

fc_status fc_cluster_original(const fc_cluster_faces *f, float threshold, int n_threads,
                              fc_clustering **out, fc_error *err)
{
    *out = NULL;
    fc_status rc = fc_cluster_check_faces(f, err);
    if (rc)
        return rc;
    if (f->n_faces > FC_CLUSTER_ORIGINAL_MAX_FACES)
        return fc_error_set(err, FC_ERR_LIMIT,
                            "original method: %lld faces need a %lld x %lld matrix (max %d faces)",
                            (long long)f->n_faces, (long long)f->n_faces,
                            (long long)f->n_faces, FC_CLUSTER_ORIGINAL_MAX_FACES);
    int32_t n = (int32_t)f->n_faces;
    size_t nn = n ? (size_t)n : 1;
    fc_uf u;
    rc = fc_uf_init(&u, n, NULL, err);
    if (rc)
        return rc;
    float *m = malloc(nn * nn * sizeof *m);
    int32_t *gid = malloc(nn * sizeof *gid), *rep = malloc(nn * sizeof *rep);
    int32_t *person_of = malloc(nn * sizeof *person_of);
    float *cen = NULL;
    if (!m || !gid || !rep || !person_of) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "original method: %d x %d matrix", n, n);
        goto out;
    }
    matrix_job job = {f, m, nn};
    rc = fc_par_for(n_threads, n, 64, matrix_rows, &job, err);
    if (rc)
        goto out;
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = i + 1; j < n; j++)
            if (m[(size_t)i * nn + (size_t)j] >= threshold)
                fc_uf_union(&u, i, j);
    /* centroids of the components, then their pairwise cosines */
    int32_t g = 0;
    for (int32_t i = 0; i < n; i++)
        gid[i] = -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t r = fc_uf_find(&u, i);
        if (gid[r] < 0)
            rep[g] = i, gid[r] = g++;
    }
    cen = calloc((size_t)(g ? g : 1) * (size_t)f->dim, sizeof *cen);
    if (!cen) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "original method: centroids");
        goto out;
    }
    for (int32_t i = 0; i < n; i++) {
        float *c = cen + (size_t)gid[fc_uf_find(&u, i)] * (size_t)f->dim;
        for (int k = 0; k < f->dim; k++)
            c[k] += f->emb[(size_t)i * (size_t)f->dim + (size_t)k];
    }
    for (int32_t k = 0; k < g; k++)
        fc_cluster_normalise(cen + (size_t)k * (size_t)f->dim, f->dim);
    /* the matrix is free now: reuse it for the g x g centroid cosines */
    fc_dot_block_get(fc_simd_best())(cen, (size_t)f->dim, g, cen, (size_t)f->dim, g, f->dim, m,
                                     (size_t)g);
    for (int32_t a = 0; a < g; a++)
        for (int32_t b = a + 1; b < g; b++)
            if (m[(size_t)a * (size_t)g + (size_t)b] >= threshold + 0.1f)
                fc_uf_union(&u, rep[a], rep[b]);
    int n_persons = fc_cluster_number(&u, 1, person_of);
    if (n_persons < 0) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "original method: numbering");
        goto out;
    }
    rc = fc_cluster_assemble(f, person_of, n_persons, out, err);
out:
    free(m), free(gid), free(rep), free(person_of), free(cen);
    fc_uf_free(&u);
    return rc;
}
