/* assign.c - one run's persons to enrolled users (assign.h), through
 * fc_assign_job_run. */
#include "api/assign.h"

#include "jobs/assign_job.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

fc_status fc_api_assign_one(fc_app *app, const fc_run_rec *run, const fc_api_assign_opts *o,
                            json_t **out, fc_error *err)
{
    fc_assign_job_opts jo = {
        .clustering_id = run->clustering_id,
        .strategy = !strcmp(o->strategy, "vote") ? FC_ASSIGN_VOTE : FC_ASSIGN_CENTROID,
        /* the job reads <= 0 as "the embedder's default"; the API's 0 means 0 */
        .threshold = o->threshold > 0 ? (float)o->threshold : FLT_MIN,
        .margin = (float)o->margin,
        .one_to_one = o->one_to_one,
        .dry_run = o->dry_run,
        .overwrite = o->overwrite,
        .explain = o->explain,
    };
    fc_assign_job_result *r = NULL;
    *out = NULL;
    fc_status rc = fc_assign_job_run(app->store, &jo, &r, err);
    if (rc)
        return rc;
    json_t *body = r->json ? json_loads(r->json, 0, NULL) : NULL;
    fc_assign_job_result_free(r);
    if (!body)
        return fc_error_set(err, FC_ERR_INTERNAL, "assign job gave no result");
    json_object_set_new(body, "threshold", json_real(o->threshold));
    *out = body;
    return FC_OK;
}
