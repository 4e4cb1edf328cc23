/* job_util.c - helpers of the job commands (see job_util.h). */
#include "cli/job_util.h"

#include <stdio.h>
#include <string.h>

fc_pipeline *fc_cli_pipeline(int workers, fc_error *err)
{
    fc_pipeline_config pc;
    if (fc_pipeline_config_from_env(&pc, err))
        return NULL;
    pc.workers = workers > 0 ? workers : 1;
    pc.nn_threads = 1;
    return fc_pipeline_new(&pc, err);
}

fc_status fc_cli_run_id(fc_store *s, const char *run, char out[FC_OBJECTID_LEN + 1],
                        fc_error *err)
{
    out[0] = 0;
    if (strcmp(run, "latest")) {
        if (fc_objectid_canon(run, out) != 0)
            return fc_error_set(err, FC_ERR_ARG, "Invalid clustering_id format: %s", run);
        return FC_OK;
    }
    fc_run_list l = {0};
    fc_status rc = fc_store_run_list(s, NULL, FC_RUNS_DONE, &l, err);
    if (rc)
        return rc;
    if (!l.n)
        rc = fc_error_set(err, FC_ERR_ARG, "no finished clustering run yet");
    else
        snprintf(out, FC_OBJECTID_LEN + 1, "%s", l.items[0].clustering_id);
    fc_run_list_free(&l);
    return rc;
}
