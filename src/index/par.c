/* par.c - fc_par_for: threads pull chunks from a shared atomic counter. */
#include "index/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
    fc_par_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;
} par_job;

typedef struct {
    par_job *job;
    int worker;
} par_arg;

static void run_chunks(par_job *job, int worker)
{
    for (;;) {
        int64_t b = atomic_fetch_add(&job->next, job->chunk);
        if (b >= job->n)
            return;
        int64_t e = b + job->chunk < job->n ? b + job->chunk : job->n;
        job->fn(job->ctx, b, e, worker);
    }
}

static void *thread_main(void *p)
{
    par_arg *a = p;
    run_chunks(a->job, a->worker);
    return NULL;
}

fc_status fc_par_for(int n_threads, int64_t n, int64_t chunk, fc_par_fn fn, void *ctx,
                     fc_error *err)
{
    if (n <= 0)
        return FC_OK;
    if (chunk < 1)
        chunk = 1;
    if (n_threads < 1)
        n_threads = 1;
    if ((int64_t)n_threads > (n + chunk - 1) / chunk)
        n_threads = (int)((n + chunk - 1) / chunk);
    par_job job = {.fn = fn, .ctx = ctx, .n = n, .chunk = chunk};
    atomic_init(&job.next, 0);
    if (n_threads == 1) {
        run_chunks(&job, 0);
        return FC_OK;
    }
    fc_status rc = FC_OK;
    pthread_t *tids = calloc((size_t)n_threads, sizeof *tids);
    par_arg *args = calloc((size_t)n_threads, sizeof *args);
    int started = 0;
    if (!tids || !args) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "par_for: %d threads", n_threads);
        goto out;
    }
    for (int t = 1; t < n_threads; t++) {
        args[t] = (par_arg){&job, t};
        if (pthread_create(&tids[t], NULL, thread_main, &args[t]) != 0)
            break;
        started = t;
    }
    /* Threads that could not start leave their share to the ones that did. */
    run_chunks(&job, 0);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
out:
    free(tids);
    free(args);
    return rc;
}
