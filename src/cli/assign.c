/* assign.c - `facecluster assign --run ID|latest [--strategy centroid|vote]
 * [--threshold T] [--margin M] [--one-to-one] [--dry-run] [--overwrite]`: the persons
 * of a run to enrolled users; prints the API's JSON answer. */
#include "cli/cli.h"

#include "cli/job_util.h"
#include "jobs/assign_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fc_cli_assign(int argc, char **argv)
{
    const char *run = NULL;
    fc_assign_job_opts o = {0};
    int bad = 0;
    for (int i = 0; i < argc && !bad; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(argv[i], "--run") && v) run = argv[++i];
        else if (!strcmp(argv[i], "--strategy") && v) {
            i++;
            o.strategy = !strcmp(v, "vote") ? FC_ASSIGN_VOTE : FC_ASSIGN_CENTROID;
            bad = strcmp(v, "vote") && strcmp(v, "centroid");
        } else if (!strcmp(argv[i], "--threshold") && v) o.threshold = strtof(argv[++i], &end);
        else if (!strcmp(argv[i], "--margin") && v) o.margin = strtof(argv[++i], &end);
        else if (!strcmp(argv[i], "--one-to-one")) o.one_to_one = 1;
        else if (!strcmp(argv[i], "--dry-run")) o.dry_run = 1;
        else if (!strcmp(argv[i], "--overwrite")) o.overwrite = 1;
        else bad = 1;
        if (end && *end)
            bad = 1;
    }
    if (!run || bad || o.threshold < 0 || o.threshold > 1 || o.margin < 0) {
        fprintf(stderr, "usage: facecluster assign --run ID|latest [--strategy centroid|vote] "
                        "[--threshold T] [--margin M] [--one-to-one] [--dry-run] [--overwrite]\n");
        return 2;
    }
    fc_error err = {0};
    char id[FC_OBJECTID_LEN + 1];
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_store *s = cfg ? fc_store_open(cfg, &err) : NULL;
    fc_assign_job_result *r = NULL;
    int status = 1;
    if (!s || fc_cli_run_id(s, run, id, &err))
        goto out;
    o.clustering_id = id;
    if (!o.threshold && cfg->assign_threshold > 0)
        o.threshold = (float)cfg->assign_threshold;
    if (fc_assign_job_run(s, &o, &r, &err))
        goto out;
    printf("%s\n", r->json ? r->json : "{}");
    status = 0;
out:
    if (status)
        fprintf(stderr, "facecluster assign: %s\n", err.msg);
    fc_assign_job_result_free(r);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
