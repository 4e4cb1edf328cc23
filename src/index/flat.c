/* flat.c - exact search: tiles of FLAT_QT queries x FLAT_XT stored rows go through the
 * SIMD block kernel (index/dot.c), then each score is offered to its query's top-k heap.
 * Query tiles are spread over threads; each query's result depends only on its own
 * scores, so results are identical for any thread count. */
#include "index/flat.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "index/par.h"
#include "index/topk.h"

enum { FLAT_QT = 32, FLAT_XT = 128 };

typedef struct {
    const fc_flat_view *v;
    const float *q;
    int64_t nq, self_base;
    int k;
    float min_score;
    int32_t *out_pos;
    float *out_scores;
    float **scores;     /* per worker: FLAT_QT x FLAT_XT */
    fc_scored **heaps;  /* per worker: FLAT_QT x k */
} flat_job;

static void flat_tile(void *ctx, int64_t qb, int64_t qe, int worker)
{
    flat_job *j = ctx;
    const fc_flat_view *v = j->v;
    fc_dot_block_fn block = fc_dot_block_get(v->simd);
    float *sc = j->scores[worker];
    fc_topk tk[FLAT_QT];
    for (int64_t q0 = qb; q0 < qe; q0 += FLAT_QT) {
        int nq = (int)(qe - q0 < FLAT_QT ? qe - q0 : FLAT_QT);
        for (int i = 0; i < nq; i++)
            tk[i] = (fc_topk){j->heaps[worker] + (size_t)i * (size_t)j->k, 0, j->k};
        for (int64_t x0 = 0; x0 < v->n; x0 += FLAT_XT) {
            int nx = (int)(v->n - x0 < FLAT_XT ? v->n - x0 : FLAT_XT);
            block(j->q + (size_t)q0 * (size_t)v->dim, (size_t)v->dim, nq,
                  v->x + (size_t)x0 * (size_t)v->dim, (size_t)v->dim, nx, v->dim, sc,
                  FLAT_XT);
            for (int i = 0; i < nq; i++) {
                const float *row = sc + (size_t)i * FLAT_XT;
                float bar = fc_topk_floor(&tk[i]);
                if (bar < j->min_score)
                    bar = j->min_score;
                int64_t self = j->self_base >= 0 ? j->self_base + q0 + i - x0 : -1;
                for (int c = 0; c < nx; c++) {
                    if (row[c] < bar || c == self)
                        continue;
                    fc_topk_push(&tk[i], row[c], (int32_t)(x0 + c));
                    bar = fc_topk_floor(&tk[i]);
                    if (bar < j->min_score)
                        bar = j->min_score;
                }
            }
        }
        for (int i = 0; i < nq; i++) {
            int64_t base = (q0 + i) * (int64_t)j->k;
            fc_scored *res = tk[i].h;
            int got = fc_topk_drain(&tk[i], res);
            for (int r = 0; r < j->k; r++) {
                j->out_pos[base + r] = r < got ? res[r].id : -1;
                j->out_scores[base + r] = r < got ? res[r].score : -INFINITY;
            }
        }
    }
}

fc_status fc_flat_search(const fc_flat_view *v, const float *q, int64_t nq, int k,
                         float min_score, int64_t self_base, int32_t *out_pos,
                         float *out_scores, fc_error *err)
{
    if (k <= 0 || nq < 0)
        return fc_error_set(err, FC_ERR_ARG, "flat search: k = %d, nq = %lld", k,
                            (long long)nq);
    int nt = v->n_threads < 1 ? 1 : v->n_threads;
    fc_status rc = FC_OK;
    flat_job job = {.v = v, .q = q, .nq = nq, .self_base = self_base, .k = k,
                    .min_score = min_score, .out_pos = out_pos, .out_scores = out_scores};
    job.scores = calloc((size_t)nt, sizeof *job.scores);
    job.heaps = calloc((size_t)nt, sizeof *job.heaps);
    if (!job.scores || !job.heaps) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "flat search scratch");
        goto out;
    }
    for (int t = 0; t < nt; t++) {
        job.scores[t] = fc_aligned_alloc((size_t)FLAT_QT * FLAT_XT * sizeof(float));
        job.heaps[t] = malloc((size_t)FLAT_QT * (size_t)k * sizeof(fc_scored));
        if (!job.scores[t] || !job.heaps[t]) {
            rc = fc_error_set(err, FC_ERR_NOMEM, "flat search scratch (k = %d)", k);
            goto out;
        }
    }
    /* Chunks of whole query tiles, small enough to balance two or more threads. */
    int64_t chunk = FLAT_QT * 4;
    rc = fc_par_for(nt, nq, chunk, flat_tile, &job, err);
out:
    for (int t = 0; job.scores && job.heaps && t < nt; t++) {
        fc_aligned_free(job.scores[t]);
        free(job.heaps[t]);
    }
    free(job.scores);
    free(job.heaps);
    return rc;
}
