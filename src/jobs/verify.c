/* verify.c - metadata store against vector store for one run: both id lists sorted,
 * then one merge pass. */
#include "jobs/verify.h"

#include <stdlib.h>
#include <string.h>

void fc_verify_report_free(fc_verify_report *r)
{
    for (size_t i = 0; i < r->n_metadata_only; i++)
        free(r->metadata_only[i]);
    for (size_t i = 0; i < r->n_vectors_only; i++)
        free(r->vectors_only[i]);
    free(r->metadata_only);
    free(r->vectors_only);
    memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static fc_status keep(char ***list, size_t *n, const char *id, fc_error *err)
{
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        return fc_error_set(err, FC_ERR_NOMEM, "verify");
    *list = l;
    if (!(l[*n] = strdup(id)))
        return fc_error_set(err, FC_ERR_NOMEM, "verify");
    (*n)++;
    return FC_OK;
}

fc_status fc_verify_run(fc_store *s, fc_vectors *v, const char *clustering_id,
                        fc_verify_report *out, fc_error *err)
{
    fc_face_list faces = {0};
    fc_vec_list points = {0};
    fc_vec_filter filter = {.clustering_id = clustering_id};
    const char **a = NULL, **b = NULL;
    fc_status rc = fc_store_face_list(s, clustering_id, NULL, 0, &faces, err);
    if (!rc)
        rc = fc_vectors_get(v, &filter, 0, &points, err);
    if (rc)
        goto out;
    a = malloc((faces.n + 1) * sizeof *a);
    b = malloc((points.n + 1) * sizeof *b);
    if (!a || !b) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "verify");
        goto out;
    }
    for (size_t i = 0; i < faces.n; i++)
        a[i] = faces.items[i].face_id;
    for (size_t i = 0; i < points.n; i++)
        b[i] = points.items[i].payload.face_id;
    qsort(a, faces.n, sizeof *a, cmp_str);
    qsort(b, points.n, sizeof *b, cmp_str);
    size_t i = 0, j = 0;
    while (!rc && (i < faces.n || j < points.n)) {
        int c = i == faces.n ? 1 : j == points.n ? -1 : strcmp(a[i], b[j]);
        if (c == 0)
            out->n_matching++, i++, j++;
        else if (c < 0)
            rc = keep(&out->metadata_only, &out->n_metadata_only, a[i++], err);
        else
            rc = keep(&out->vectors_only, &out->n_vectors_only, b[j++], err);
    }
    out->consistent = !rc && out->n_metadata_only == 0 && out->n_vectors_only == 0;
out:
    free(a);
    free(b);
    fc_face_list_free(&faces);
    fc_vec_list_free(&points);
    if (rc)
        fc_verify_report_free(out);
    return rc;
}
