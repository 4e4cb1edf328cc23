/* persons.c - `facecluster persons RUN [--json]`: the persons of a done run (RUN is
 * a clustering id or "latest") as a table, or as JSON lines: one object per person
 * {person_id, size, owner_face_id, faces: [{face_id, image_path, bbox, quality_score,
 * confidence, is_owner}]}, then one {"unassigned": [faces]} object. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "cli/job_util.h"
#include "core/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *face_json(const fc_face_rec *f)
{
    return json_pack("{s:s, s:o, s:[i,i,i,i], s:f, s:f, s:f, s:b}", "face_id", f->face_id,
                     "image_path", fc_json_text(f->image_path), "bbox", f->bbox[0], f->bbox[1], f->bbox[2],
                     f->bbox[3], "quality_score", (double)f->quality_score, "confidence",
                     (double)f->confidence, "cluster_confidence", (double)f->cluster_confidence,
                     "is_owner", f->is_owner_face);
}

static void print_json(json_t *o)
{
    char *s = o ? fc_json_dump(o, JSON_COMPACT) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

static const char usage_text[] =
    "usage: facecluster persons RUN|latest [--json]\n"
    "\n"
    "The persons of a finished run (RUN: its clustering_id, or latest) and their faces.\n"
    "  --json   one JSON object per person and line: person_id, cluster_id,\n"
    "           owner_face_id, size, avg_confidence, best_quality_score, faces: [{face_id,\n"
    "           image_path, bbox [x,y,w,h], quality_score, confidence, cluster_confidence,\n"
    "           is_owner}]; then one {clustering_id, unassigned: [faces]} object\n";

int fc_cli_persons(int argc, char **argv)
{
    if (fc_cli_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *run = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!run && argv[i][0] != '-')
            run = argv[i];
        else
            run = NULL, argc = -1;
    }
    if (!run) {
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    char id[FC_OBJECTID_LEN + 1];
    fc_config *cfg = fc_config_load(NULL, &err);
    fc_store *s = cfg ? fc_store_open_reader(cfg, &err) : NULL;
    fc_face_list faces = {0};
    fc_person_list persons = {0};
    fc_strmap by_id = {0}; /* face_id -> row of faces, for the members' full rows */
    int status = 1;
    if (!s || fc_cli_run_id(s, run, id, &err) ||
        fc_store_person_list(s, id, NULL, &persons, &err) ||
        fc_store_face_list(s, id, NULL, 0, &faces, &err))
        goto out;
    if (json && fc_face_list_index(&faces, &by_id)) {
        fc_error_set(&err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t p = 0; p < persons.n; p++) {
        const fc_person_rec *pr = &persons.items[p];
        if (!json) {
            if (!p)
                printf("%-12s %6s %8s %8s  %s\n", "person", "faces", "avg_conf", "best_q", "images");
            printf("%-12s %6zu %8.3f %8.3f ", pr->person_id, pr->n_members, pr->avg_confidence,
                   pr->best_quality_score);
            for (size_t m = 0; m < pr->n_members && m < 4; m++) {
                putchar(' ');
                fc_cli_put_escaped(stdout, pr->members[m].image_path);
            }
            printf("%s\n", pr->n_members > 4 ? " ..." : "");
            continue;
        }
        json_t *arr = json_array();
        for (size_t m = 0; m < pr->n_members; m++) {
            int i = fc_strmap_get(&by_id, pr->members[m].face_id);
            if (i >= 0)
                json_array_append_new(arr, face_json(&faces.items[i]));
        }
        print_json(json_pack("{s:s, s:s, s:s, s:i, s:f, s:f, s:o}", "person_id", pr->person_id,
                             "cluster_id", pr->cluster_id, "owner_face_id", pr->owner_face_id,
                             "size", (int)pr->n_members, "avg_confidence",
                             (double)pr->avg_confidence, "best_quality_score",
                             (double)pr->best_quality_score, "faces", arr));
    }
    size_t n_un = 0;
    json_t *un = json ? json_array() : NULL;
    for (size_t i = 0; i < faces.n; i++)
        if (!faces.items[i].person_id[0]) {
            n_un++;
            if (un)
                json_array_append_new(un, face_json(&faces.items[i]));
        }
    if (json)
        print_json(json_pack("{s:s, s:o}", "clustering_id", id, "unassigned", un));
    else
        printf("%zu person%s, %zu unassigned face%s (run %s)\n", persons.n,
               fc_cli_s((long long)persons.n), n_un, fc_cli_s((long long)n_un), id);
    status = 0;
out:
    if (status)
        fprintf(stderr, "facecluster persons: %s\n", err.msg);
    fc_strmap_free(&by_id);
    fc_face_list_free(&faces);
    fc_person_list_free(&persons);
    fc_store_close(s);
    fc_config_free(cfg);
    return status;
}
