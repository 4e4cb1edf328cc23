/* progress.c - the progress bar of `facecluster cluster` (see progress.h). */
#include "cli/progress.h"

#include <unistd.h>

void fc_cli_progress_init(fc_cli_progress *p, FILE *to, int quiet)
{
    p->to = to;
    p->tty = isatty(fileno(to));
    p->quiet = quiet;
    p->last_line = -1e9;
    p->drawn = 0;
    p->last_phase = FC_JOB_PHASE_LIST;
}

static void fmt_eta(double s, char *out, size_t size)
{
    if (s < 0) {
        snprintf(out, size, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

void fc_cli_progress_cb(const fc_job_progress *pr, void *user)
{
    fc_cli_progress *p = user;
    if (p->quiet)
        return;
    char eta[32];
    fmt_eta(pr->eta_s, eta, sizeof eta);
    if (pr->phase != FC_JOB_PHASE_IMAGES) {
        if (pr->phase == p->last_phase)
            return;
        p->last_phase = pr->phase;
        fc_cli_progress_end(p);
        if (pr->phase == FC_JOB_PHASE_CLUSTER || pr->phase == FC_JOB_PHASE_SAVE)
            fprintf(p->to, "%s: %lld faces of %lld images (%.1fs)\n",
                    pr->phase == FC_JOB_PHASE_CLUSTER ? "clustering" : "saving",
                    (long long)pr->faces, (long long)pr->done, pr->elapsed_s);
        return;
    }
    p->last_phase = pr->phase;
    if (p->tty) {
        int width = 30, fill = pr->total > 0 ? (int)(width * pr->done / pr->total) : 0;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(p->to, "\r[%s] %lld/%lld images, %lld faces, %lld failed, %.1f img/s, ETA %s ",
                bar, (long long)pr->done, (long long)pr->total, (long long)pr->faces,
                (long long)pr->failed, pr->images_per_s, eta);
        fflush(p->to);
        p->drawn = 1;
    } else if (pr->elapsed_s - p->last_line >= 5 || pr->done == pr->total) {
        if (pr->done == pr->total && p->last_line >= 0 && pr->elapsed_s == p->last_line)
            return;
        p->last_line = pr->elapsed_s;
        fprintf(p->to, "progress: %lld/%lld images, %lld faces, %lld failed, %.1f img/s, ETA %s\n",
                (long long)pr->done, (long long)pr->total, (long long)pr->faces,
                (long long)pr->failed, pr->images_per_s, eta);
        fflush(p->to);
    }
}

void fc_cli_progress_end(fc_cli_progress *p)
{
    if (p->drawn) {
        fputc('\n', p->to);
        p->drawn = 0;
    }
}
