/* jobs.c - the job manager (jobs.h): a FIFO of jobs served by a few job threads,
 * per-key exclusion (one clustering run per bucket), waiting requests, progress,
 * cancellation; and the /jobs/{job_id} routes. */
#include "api/jobs.h"

#include "api/app.h"
#include "api/handlers.h"
#include "api/metrics.h"
#include "core/json.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FINISHED_KEPT 256 /* finished jobs kept for GET /jobs/{id} */

struct fc_api_job {
    char id[FC_OBJECTID_LEN + 1];
    char kind[32];
    char *lock_key, *result_url, *error;
    char clustering_id[FC_OBJECTID_LEN + 1];
    fc_api_job_status status;
    int64_t done, total, faces;
    double eta_s;
    char started_at[FC_TIMESTAMP_LEN + 1], finished_at[FC_TIMESTAMP_LEN + 1];
    volatile int cancel;
    int waiting;           /* a request will collect the body */
    int http_status;
    json_t *body;
    fc_api_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
    fc_api_jobs *mgr;
    fc_api_job *next;      /* every job, newest first */
    fc_api_job *next_queued;
};

struct fc_api_jobs {
    pthread_mutex_t mu;
    pthread_cond_t work, ended;
    fc_api_job *all;
    fc_api_job *queue_head, *queue_tail;
    pthread_t *threads;
    int n_threads, n_busy, max_waiters, n_waiters, stopping;
};

static fc_metric *m_jobs(const char *status)
{
    return fc_metric_counter("fc_jobs_total", "Jobs ended, by status",
                             (const char *[]){"status", status, NULL});
}

static fc_metric *m_running(void)
{
    return fc_metric_gauge("fc_jobs_running", "Jobs running now", NULL);
}

static const char *status_name(fc_api_job_status s)
{
    static const char *const names[] = {"queued", "running", "done", "failed", "cancelled"};
    return names[s];
}

static int is_active(const fc_api_job *j)
{
    return j->status == FC_API_JOB_QUEUED || j->status == FC_API_JOB_RUNNING;
}

static void job_free(fc_api_job *j)
{
    if (!j)
        return;
    if (j->free_arg && j->arg)
        j->free_arg(j->arg);
    json_decref(j->body);
    free(j->lock_key);
    free(j->result_url);
    free(j->error);
    free(j);
}

static fc_api_job *find(fc_api_jobs *m, const char *id)
{
    for (fc_api_job *j = m->all; j; j = j->next)
        if (!strcmp(j->id, id))
            return j;
    return NULL;
}

/* Frees the oldest finished jobs nobody waits for beyond MAX_FINISHED_KEPT. Locked. */
static void prune(fc_api_jobs *m)
{
    int kept = 0;
    for (fc_api_job **p = &m->all; *p;) {
        fc_api_job *j = *p;
        if (!is_active(j) && !j->waiting && ++kept > MAX_FINISHED_KEPT) {
            *p = j->next;
            job_free(j);
        } else {
            p = &j->next;
        }
    }
}

/* Records the end of j (locked). */
static void finish(fc_api_jobs *m, fc_api_job *j, int http_status, json_t *body)
{
    j->http_status = http_status;
    if (j->cancel && (http_status < 200 || http_status > 299))
        j->status = FC_API_JOB_CANCELLED;
    else
        j->status = http_status >= 200 && http_status <= 299 ? FC_API_JOB_DONE
                                                              : FC_API_JOB_FAILED;
    if (j->status != FC_API_JOB_DONE && body) {
        const char *detail = json_string_value(json_object_get(body, "detail"));
        j->error = strdup(detail ? detail : "failed");
    }
    fc_timestamp_now(j->finished_at);
    j->eta_s = 0;
    if (j->waiting)
        j->body = body;
    else
        json_decref(body);
    fc_metric_add(m_jobs(status_name(j->status)), 1);
    pthread_cond_broadcast(&m->ended);
}

static void *worker(void *arg)
{
    fc_api_jobs *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (!m->queue_head && !m->stopping)
            pthread_cond_wait(&m->work, &m->mu);
        fc_api_job *j = m->queue_head;
        if (!j)
            break; /* stopping, queue empty */
        m->queue_head = j->next_queued;
        if (!m->queue_head)
            m->queue_tail = NULL;
        if (j->cancel) {
            finish(m, j, 503, json_pack("{s:s}", "detail", "Job cancelled before it started"));
            continue;
        }
        j->status = FC_API_JOB_RUNNING;
        m->n_busy++;
        fc_timestamp_now(j->started_at);
        fc_metric_add(m_running(), 1);
        pthread_mutex_unlock(&m->mu);

        json_t *body = NULL;
        int http_status = j->fn(j, j->arg, &body);
        if (!body)
            body = json_pack("{s:s}", "detail", "job produced no result");

        pthread_mutex_lock(&m->mu);
        m->n_busy--;
        fc_metric_add(m_running(), -1);
        if (j->free_arg && j->arg)
            j->free_arg(j->arg);
        j->arg = NULL;
        finish(m, j, http_status, body);
        prune(m);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

fc_api_jobs *fc_api_jobs_new(int threads, int max_waiters, fc_error *err)
{
    fc_api_jobs *m = calloc(1, sizeof *m);
    if (!m || threads < 1) {
        free(m);
        fc_error_set(err, threads < 1 ? FC_ERR_ARG : FC_ERR_NOMEM, "job manager: %s",
                     threads < 1 ? "no threads" : "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->work, NULL);
    pthread_cond_init(&m->ended, NULL);
    m->max_waiters = max_waiters;
    m->threads = calloc((size_t)threads, sizeof *m->threads);
    if (!m->threads)
        goto fail;
    for (; m->n_threads < threads; m->n_threads++)
        if (pthread_create(&m->threads[m->n_threads], NULL, worker, m))
            goto fail;
    return m;
fail:
    fc_error_set(err, FC_ERR_NOMEM, "job manager: cannot start %d threads", threads);
    fc_api_jobs_free(m);
    return NULL;
}

void fc_api_jobs_cancel_all(fc_api_jobs *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    for (fc_api_job *j = m->all; j; j = j->next)
        if (is_active(j))
            j->cancel = 1;
    pthread_cond_broadcast(&m->work);
    pthread_mutex_unlock(&m->mu);
}

void fc_api_jobs_free(fc_api_jobs *m)
{
    if (!m)
        return;
    fc_api_jobs_cancel_all(m);
    for (int i = 0; i < m->n_threads; i++)
        pthread_join(m->threads[i], NULL);
    /* Threads are gone: jobs still queued never ran. */
    for (fc_api_job *j = m->all, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    free(m->threads);
    pthread_cond_destroy(&m->work);
    pthread_cond_destroy(&m->ended);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int fc_api_jobs_submit(fc_api_jobs *m, const fc_api_job_spec *spec,
                       char id_out[FC_OBJECTID_LEN + 1])
{
    int refused = 0;
    fc_api_job *j = calloc(1, sizeof *j);
    pthread_mutex_lock(&m->mu);
    if (!j || m->stopping || (spec->wait && m->n_waiters >= m->max_waiters)) {
        refused = 503;
        goto out;
    }
    if (spec->lock_key)
        for (fc_api_job *o = m->all; o; o = o->next)
            if (is_active(o) && o->lock_key && !strcmp(o->lock_key, spec->lock_key)) {
                refused = 409;
                goto out;
            }
    fc_objectid_new(j->id);
    snprintf(j->kind, sizeof j->kind, "%s", spec->kind);
    j->lock_key = spec->lock_key ? strdup(spec->lock_key) : NULL;
    j->result_url = spec->result_url ? strdup(spec->result_url) : NULL;
    if (spec->clustering_id)
        snprintf(j->clustering_id, sizeof j->clustering_id, "%s", spec->clustering_id);
    j->eta_s = -1;
    j->fn = spec->fn;
    j->arg = spec->arg;
    j->free_arg = spec->free_arg;
    j->waiting = spec->wait;
    j->mgr = m;
    if (spec->wait)
        m->n_waiters++;
    j->next = m->all;
    m->all = j;
    if (m->queue_tail)
        m->queue_tail->next_queued = j;
    else
        m->queue_head = j;
    m->queue_tail = j;
    memcpy(id_out, j->id, sizeof j->id);
    pthread_cond_signal(&m->work);
out:
    pthread_mutex_unlock(&m->mu);
    if (refused) {
        free(j);
        if (spec->free_arg && spec->arg)
            spec->free_arg(spec->arg);
    }
    return refused;
}

int fc_api_jobs_wait(fc_api_jobs *m, const char *id, json_t **body)
{
    *body = NULL;
    pthread_mutex_lock(&m->mu);
    fc_api_job *j = find(m, id);
    if (!j || !j->waiting) {
        pthread_mutex_unlock(&m->mu);
        return 404;
    }
    while (is_active(j))
        pthread_cond_wait(&m->ended, &m->mu);
    int status = j->http_status;
    *body = j->body;
    j->body = NULL;
    j->waiting = 0;
    m->n_waiters--;
    pthread_mutex_unlock(&m->mu);
    return status;
}

json_t *fc_api_jobs_describe(fc_api_jobs *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    fc_api_job *j = find(m, id);
    json_t *o = NULL;
    char result_url[512] = "";
    if (j && j->result_url)
        snprintf(result_url, sizeof result_url, "%s%s", j->result_url, j->clustering_id);
    if (j) {
        o = json_pack("{s:s,s:s,s:s,s:{s:I,s:I,s:I},s:s?,s:s?,s:o,s:s?,s:o?,s:s?}", "job_id",
                      j->id, "kind", j->kind, "status", status_name(j->status), "progress",
                      "done", (json_int_t)j->done, "total", (json_int_t)j->total, "faces",
                      (json_int_t)j->faces, "started_at", j->started_at[0] ? j->started_at : NULL,
                      "finished_at", j->finished_at[0] ? j->finished_at : NULL, "eta_seconds",
                      j->status == FC_API_JOB_RUNNING && j->eta_s >= 0 ? json_real(j->eta_s)
                                                                         : json_null(),
                      "result_url", j->status == FC_API_JOB_DONE ? result_url : NULL,
                      "error", fc_json_text(j->error), "clustering_id",
                      j->clustering_id[0] ? j->clustering_id : NULL);
    }
    pthread_mutex_unlock(&m->mu);
    return o;
}

void fc_api_jobs_wait_clustering_id(fc_api_jobs *m, const char *id, int timeout_ms,
                                    char out[FC_OBJECTID_LEN + 1])
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    out[0] = 0;
    pthread_mutex_lock(&m->mu);
    fc_api_job *j = find(m, id);
    /* A job queued behind busy job threads may wait for minutes: no id then. */
    while (j && !j->clustering_id[0] && is_active(j) &&
           !(j->status == FC_API_JOB_QUEUED && m->n_busy >= m->n_threads))
        if (pthread_cond_timedwait(&m->ended, &m->mu, &until))
            break;
    if (j)
        memcpy(out, j->clustering_id, sizeof j->clustering_id);
    pthread_mutex_unlock(&m->mu);
}

/* Takes queued job j out of the queue (locked). */
static void unqueue(fc_api_jobs *m, fc_api_job *j)
{
    fc_api_job *prev = NULL;
    for (fc_api_job *q = m->queue_head; q; prev = q, q = q->next_queued) {
        if (q != j)
            continue;
        if (prev)
            prev->next_queued = j->next_queued;
        else
            m->queue_head = j->next_queued;
        if (m->queue_tail == j)
            m->queue_tail = prev;
        j->next_queued = NULL;
        return;
    }
}

int fc_api_jobs_cancel(fc_api_jobs *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    fc_api_job *j = find(m, id);
    if (j && is_active(j))
        j->cancel = 1;
    /* A queued job ends now: waiting behind another bucket's run, it would hold its
     * own bucket (409 to a new run) and its waiting request until that run ended. */
    if (j && j->status == FC_API_JOB_QUEUED) {
        unqueue(m, j);
        finish(m, j, 503, json_pack("{s:s}", "detail", "Job cancelled before it started"));
    }
    pthread_mutex_unlock(&m->mu);
    return j ? 0 : -1;
}

void fc_api_job_progress(fc_api_job *job, int64_t done, int64_t total, int64_t faces,
                         double eta_s)
{
    pthread_mutex_lock(&job->mgr->mu);
    job->done = done;
    job->total = total;
    job->faces = faces;
    job->eta_s = eta_s;
    pthread_mutex_unlock(&job->mgr->mu);
}

volatile int *fc_api_job_cancel_flag(fc_api_job *job)
{
    return &job->cancel;
}

void fc_api_job_set_clustering_id(fc_api_job *job, const char *clustering_id)
{
    pthread_mutex_lock(&job->mgr->mu);
    snprintf(job->clustering_id, sizeof job->clustering_id, "%s", clustering_id);
    pthread_cond_broadcast(&job->mgr->ended);
    pthread_mutex_unlock(&job->mgr->mu);
}

/* ---- routes ------------------------------------------------------------------ */

void fc_api_get_job(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *id = fc_api_req_str(req, "job_id");
    json_t *o = fc_api_jobs_describe(app->jobs, id);
    if (!o)
        return fc_api_res_detail(res, 404, "Job %s not found", id);
    fc_api_res_json(res, 200, o);
}

void fc_api_cancel_job(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    const char *id = fc_api_req_str(req, "job_id");
    if (fc_api_jobs_cancel(app->jobs, id))
        return fc_api_res_detail(res, 404, "Job %s not found", id);
    fc_api_res_json(res, 200, fc_api_jobs_describe(app->jobs, id));
}
