/* assign.h - one run's persons to enrolled users, as POST /assignments answers it:
 * the run's faces and the profiles from the store, fc_assign_run
 * (src/cluster/assign.h), the optional save. Written in src/api until the jobs
 * library's assign_job lands. */
#ifndef FC_API_ASSIGN_H
#define FC_API_ASSIGN_H

#include "api/app.h"

#include <jansson.h>

typedef struct {
    double threshold, margin;
    const char *strategy; /* "centroid" | "vote" */
    int dry_run, overwrite, one_to_one;
} fc_api_assign_opts;

/* Assigns run (a done run) against profiles (non-empty); *out = API.md's POST
 * /assignments body (collection_name = "person_clustering_{run norm}"). FC_OK, or
 * an error (store) with err set. */
fc_status fc_api_assign_one(fc_app *app, const fc_run_rec *run, const fc_profile_list *profiles,
                            const fc_api_assign_opts *o, json_t **out, fc_error *err);

#endif
