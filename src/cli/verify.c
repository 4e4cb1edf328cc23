/* verify.c - `facecluster verify RUN [--json]`: do the metadata store and the vector
 * store agree on a run (RUN: a clustering id or "latest")? Exit status 0 when they do,
 * 1 when they do not or on error. */
#include "cli/cli.h"
#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "core/json.h"
#include "jobs/verify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *id_array(char **ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
}

static void print_report(const char *id, const fc_verify_report *r, int json)
{
    if (json) {
        json_t *o = json_pack("{s:s, s:I, s:o, s:o, s:b}", "clustering_id", id, "matching_face_ids",
                              (json_int_t)r->n_matching, "metadata_only",
                              id_array(r->metadata_only, r->n_metadata_only), "vectors_only",
                              id_array(r->vectors_only, r->n_vectors_only), "total_consistency",
                              r->consistent);
        char *s = o ? fc_json_dump(o, JSON_COMPACT) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        return;
    }
    printf("run %s: %zu faces in both stores, %zu only in metadata, %zu only in vectors: %s\n",
           id, r->n_matching, r->n_metadata_only, r->n_vectors_only,
           r->consistent ? "consistent" : "INCONSISTENT");
    for (size_t i = 0; i < r->n_metadata_only && i < 20; i++)
        printf("  metadata only: %s\n", r->metadata_only[i]);
    for (size_t i = 0; i < r->n_vectors_only && i < 20; i++)
        printf("  vectors only:  %s\n", r->vectors_only[i]);
}

static const char usage_text[] =
    "usage: facecluster verify RUN|latest [--json]\n"
    "  checks that the metadata store and the vector store hold the same\n"
    "  faces for the run; exit status 0 when they do\n";

int fc_cli_verify(int argc, char **argv)
{
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *run = NULL;
    int json = 0, bad = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!run && argv[i][0] != '-')
            run = argv[i];
        else
            bad = 1;
    }
    if (!run || bad) {
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    char id[FC_OBJECTID_LEN + 1];
    fc_verify_report r = {0};
    int status = 1;
    fc_config *cfg = fc_config_load(NULL, &err);
    /* the reader open, so that it answers on a full disk (the vectors share its file) */
    fc_store *s = cfg ? fc_store_open_reader(cfg, &err) : NULL;
    fc_vectors *v = s ? fc_vectors_open(cfg, &err) : NULL;
    if (!v || fc_cli_run_id(s, run, id, &err) || fc_verify_run(s, v, id, &r, &err))
        goto out;
    print_report(id, &r, json);
    status = r.consistent ? 0 : 1;
out:
    if (err.code)
        fprintf(stderr, "facecluster verify: %s\n", err.msg);
    fc_verify_report_free(&r);
    fc_vectors_close(v);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
