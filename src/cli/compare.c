/* compare.c - `facecluster compare A B`: the cosine similarity of the best face of
 * each image and the verdict at the embedder's verification threshold. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "core/json.h"
#include "face/pipeline.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: facecluster compare IMAGE_A IMAGE_B\n"
    "\n"
    "Finds the best face of each image (the largest; the most confident among equals),\n"
    "and prints {\"image_a\", \"image_b\", \"cosine\", \"threshold\", \"same\"} where same is\n"
    "cosine >= the verification threshold of the configured embedder. Exit status 1\n"
    "when an image cannot be read or has no face.\n";

/* Index of the largest face (area), ties to the higher score; -1 if none. */
static int best_face(const fc_faces *f)
{
    int best = -1;
    float best_area = -1, best_score = -1;
    for (int i = 0; i < f->n_faces; i++) {
        const fc_rect *b = &f->faces[i].box;
        float area = (b->x2 - b->x1) * (b->y2 - b->y1);
        if (area > best_area || (area == best_area && f->faces[i].score > best_score)) {
            best = i;
            best_area = area;
            best_score = f->faces[i].score;
        }
    }
    return best;
}

static fc_status faces_of(fc_pipeline *p, const char *path, size_t max_bytes, fc_faces **out,
                          fc_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    fc_status rc = fc_cli_read_file(path, max_bytes, &data, &len, err);
    if (!rc)
        rc = fc_pipeline_run(p, data, len, out, err);
    free(data);
    return rc;
}

int fc_cli_compare(int argc, char **argv)
{
    if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    int status = 1;
    fc_error err = {0};
    fc_pipeline_config cfg;
    fc_pipeline *p = NULL;
    fc_faces *faces[2] = {NULL, NULL};
    int best[2];
    const char *bad = NULL;
    if (fc_pipeline_config_from_env(&cfg, &err))
        goto out;
    cfg.workers = 1;
    if (!(p = fc_pipeline_new(&cfg, &err)))
        goto out;
    for (int i = 0; i < 2; i++) {
        bad = argv[i];
        if (faces_of(p, argv[i], cfg.limits.max_bytes, &faces[i], &err))
            goto out;
        if ((best[i] = best_face(faces[i])) < 0) {
            fc_error_set(&err, FC_ERR_ARG, "no face found");
            goto out;
        }
    }
    bad = NULL;
    const float *ea = faces[0]->faces[best[0]].embedding, *eb = faces[1]->faces[best[1]].embedding;
    double cosine = 0;
    for (int k = 0; k < faces[0]->dim; k++)
        cosine += (double)ea[k] * eb[k];
    double threshold = fc_pipeline_thresholds(p)->verify;
    json_t *o = json_pack("{s:o,s:o,s:f,s:f,s:b,s:s}", "image_a", fc_json_text(argv[0]),
                          "image_b", fc_json_text(argv[1]),
                          "cosine", cosine, "threshold", threshold, "same", cosine >= threshold,
                          "embedder", fc_embedder_kind_name(fc_pipeline_embedder_kind(p)));
    char *line = fc_json_dump(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (line)
        puts(line);
    free(line);
    json_decref(o);
    status = 0;
out:
    if (err.code && bad)
        fprintf(stderr, "facecluster compare: %s: %s\n", bad, err.msg);
    else if (err.code)
        fprintf(stderr, "facecluster compare: %s\n", err.msg);
    fc_faces_free(faces[0]);
    fc_faces_free(faces[1]);
    fc_pipeline_free(p);
    return status;
}
