/* assign.c - `facecluster assign --run ID|latest [--strategy centroid|vote]
 * [--threshold T] [--margin M] [--one-to-one] [--dry-run] [--overwrite] [--quiet]`:
 * the persons of a run to enrolled users; prints the API's JSON answer on stdout and,
 * unless --quiet, a summary on stderr that says why each unassigned person has no
 * user. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "jobs/assign_job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One unassigned person of the answer's "unassigned_details". */
static void explain(const char *cluster, json_t *d)
{
    const char *reason = json_string_value(json_object_get(d, "reason"));
    const char *user = json_string_value(json_object_get(d, "best_user_id"));
    const char *taken_by = json_string_value(json_object_get(d, "taken_by"));
    double sim = json_number_value(json_object_get(d, "similarity"));
    json_t *second = json_object_get(d, "second_similarity");
    if (!reason || !user)
        fprintf(stderr, "  %-12s no user came close\n", cluster);
    else if (!strcmp(reason, "taken") && taken_by)
        fprintf(stderr, "  %-12s %s at %.2f, but %s is closer to that user (one person in two "
                        "clusters?)\n", cluster, user, sim, taken_by);
    else if (!strcmp(reason, "ambiguous") && json_is_number(second))
        fprintf(stderr, "  %-12s ambiguous: %s at %.2f, the next user at %.2f\n", cluster, user, sim,
                json_number_value(second));
    else
        fprintf(stderr, "  %-12s below the threshold: closest %s at %.2f\n", cluster, user, sim);
}

static void summary(const char *json)
{
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    if (!o)
        return;
    long long total = (long long)json_integer_value(json_object_get(o, "total_clusters"));
    fprintf(stderr, "assigned %lld of %lld person%s (%s, threshold %.2f)%s\n",
            (long long)json_integer_value(json_object_get(o, "assigned_clusters")), total,
            fc_cli_s(total),
            json_string_value(json_object_get(o, "strategy")),
            json_number_value(json_object_get(o, "threshold")),
            json_is_true(json_object_get(o, "saved_to_db")) ? "" : "; dry run, nothing saved");
    json_t *why = json_object_get(o, "unassigned_details");
    if (json_object_size(why))
        fprintf(stderr, "without a user:\n");
    const char *cluster;
    json_t *d;
    json_object_foreach(why, cluster, d)
        explain(cluster, d);
    json_decref(o);
}

static const char usage_text[] =
    "usage: facecluster assign --run ID|latest [--strategy centroid|vote] [--threshold T]\n"
    "                          [--margin M] [--one-to-one] [--dry-run] [--overwrite] [--quiet]\n"
    "\n"
    "Gives the persons of a finished run to enrolled users (facecluster enroll) and saves\n"
    "the assignments. The API's JSON answer goes to stdout; a summary that says why each\n"
    "person without a user has none goes to stderr.\n"
    "  --strategy S    centroid (default): the person's mean face; vote: its faces' majority\n"
    "  --threshold T   least cosine, 0 < T <= 1 (default: the embedder's, or ASSIGN_THRESHOLD)\n"
    "  --margin M      the best user must beat the runner-up by M, 0..1 (default 0)\n"
    "  --one-to-one    a user gets at most one person (the closest)\n"
    "  --dry-run       compute, save nothing\n"
    "  --overwrite     remove the run's saved assignments first\n"
    "  --quiet         no summary on stderr\n";

int fc_cli_assign(int argc, char **argv)
{
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *run = NULL;
    fc_assign_job_opts o = {0};
    int bad = 0, quiet = 0;
    for (int i = 0; i < argc && !bad; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x = 0;
        if (!strcmp(argv[i], "--run") && v) run = argv[++i];
        else if (!strcmp(argv[i], "--strategy") && v) {
            i++;
            o.strategy = !strcmp(v, "vote") ? FC_ASSIGN_VOTE : FC_ASSIGN_CENTROID;
            bad = strcmp(v, "vote") && strcmp(v, "centroid");
        } else if (!strcmp(argv[i], "--threshold") && v) {
            /* 0 would mean "the default" to the job: refused rather than ignored */
            bad = fc_cli_parse_real(argv[++i], 0, 1, &x) || x == 0;
            o.threshold = (float)x;
        } else if (!strcmp(argv[i], "--margin") && v) {
            bad = fc_cli_parse_real(argv[++i], 0, 1, &x);
            o.margin = (float)x;
        } else if (!strcmp(argv[i], "--one-to-one")) o.one_to_one = 1;
        else if (!strcmp(argv[i], "--dry-run")) o.dry_run = 1;
        else if (!strcmp(argv[i], "--overwrite")) o.overwrite = 1;
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else bad = 1;
    }
    if (!run || bad) {
        fputs(usage_text, stderr);
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
    o.explain = 1;
    if (!o.threshold && cfg->assign_threshold > 0)
        o.threshold = (float)cfg->assign_threshold;
    if (fc_assign_job_run(s, &o, &r, &err))
        goto out;
    printf("%s\n", r->json ? r->json : "{}");
    fflush(stdout);
    if (!quiet)
        summary(r->json);
    status = 0;
out:
    if (status)
        fprintf(stderr, "facecluster assign: %s\n", err.msg);
    fc_assign_job_result_free(r);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
