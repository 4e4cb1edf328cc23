/* runs.c - `facecluster runs [--json]`: every clustering run in the store, newest
 * first, whatever its status (an interrupted run shows as failed, never as done). */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: facecluster runs [--json]\n"
    "\n"
    "Lists every clustering run of the store ($FC_DATA_DIR/facecluster.db), newest first:\n"
    "done, failed (with the reason; --resume continues it) or running.\n"
    "  --json   one JSON object per run and line: clustering_id, status, timestamp,\n"
    "           bucket, sub, total_images, total_faces, total_persons\n";

int fc_cli_runs(int argc, char **argv)
{
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    int json = argc == 1 && !strcmp(argv[0], "--json");
    if (argc > 1 || (argc == 1 && !json)) {
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_store *s = cfg ? fc_store_open_reader(cfg, &err) : NULL;
    fc_run_list l = {0};
    int status = 1;
    if (!s || fc_store_run_list(s, NULL, FC_RUNS_ALL, &l, &err))
        goto out;
    if (!json)
        printf("%-24s %-7s %-26s %6s %6s %7s  %s\n", "clustering_id", "status", "timestamp",
               "images", "faces", "persons", "bucket");
    for (size_t i = 0; i < l.n; i++) {
        const fc_run_rec *r = &l.items[i];
        if (json)
            printf("{\"clustering_id\":\"%s\",\"status\":\"%s\",\"timestamp\":\"%s\","
                   "\"bucket\":\"%s\",\"sub\":\"%s\",\"total_images\":%lld,\"total_faces\":%lld,"
                   "\"total_persons\":%lld}\n",
                   r->clustering_id, fc_run_status_name(r->status), r->timestamp, r->bucket,
                   r->sub, (long long)r->total_images, (long long)r->total_faces,
                   (long long)r->total_persons);
        else
            printf("%-24s %-7s %-26s %6lld %6lld %7lld  %s/%s%s%s\n", r->clustering_id,
                   fc_run_status_name(r->status), r->timestamp, (long long)r->total_images,
                   (long long)r->total_faces, (long long)r->total_persons, r->bucket, r->sub,
                   r->error ? "  " : "", r->error ? r->error : "");
    }
    status = 0;
out:
    if (status)
        fprintf(stderr, "facecluster runs: %s\n", err.msg);
    fc_run_list_free(&l);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
