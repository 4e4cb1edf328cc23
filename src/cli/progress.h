/* progress.h - the cluster job's progress on stderr: a redrawn bar on a terminal
 * (images done/total, faces, images/s, ETA), plain lines every few seconds otherwise. */
#ifndef FC_CLI_PROGRESS_H
#define FC_CLI_PROGRESS_H

#include "jobs/job.h"

#include <stdio.h>

typedef struct {
    FILE *to;
    int tty;          /* redraw one line */
    int quiet;        /* nothing at all */
    double last_line; /* when the last plain line was written (elapsed seconds) */
    int drawn;        /* a bar is on screen (needs a newline before other output) */
    fc_job_phase last_phase;
} fc_cli_progress;

/* to: stderr normally; tty is detected with isatty. */
void fc_cli_progress_init(fc_cli_progress *p, FILE *to, int quiet);
/* An fc_job_progress_fn; user is the fc_cli_progress. */
void fc_cli_progress_cb(const fc_job_progress *pr, void *user);
/* Ends the bar's line if one is drawn. */
void fc_cli_progress_end(fc_cli_progress *p);

#endif
