/* assign.h - one run's persons to enrolled users as POST /assignments answers it:
 * the jobs library's assign job (src/jobs/assign_job.h) with the API's body. */
#ifndef FC_API_ASSIGN_H
#define FC_API_ASSIGN_H

#include "api/app.h"

#include <jansson.h>

typedef struct {
    double threshold, margin;
    const char *strategy; /* "centroid" | "vote" */
    int dry_run, overwrite, one_to_one, explain;
} fc_api_assign_opts;

/* Assigns run (a done run); *out = API.md's POST /assignments body
 * (collection_name = "person_clustering_{run norm}"). FC_OK, or the job's error
 * with err set (FC_ERR_ARG "No user profiles found", a store failure, ...). */
fc_status fc_api_assign_one(fc_app *app, const fc_run_rec *run, const fc_api_assign_opts *o,
                            json_t **out, fc_error *err);

#endif
