/* metrics.c - BCubed and pairwise precision/recall of a clustering against ground truth,
 * from the contingency counts n(cluster, label): BCubed P = sum n_cl^2 / n_c / N,
 * R = sum n_cl^2 / n_l / N; pairs: TP = sum C(n_cl, 2) over C(n_c, 2) and C(n_l, 2). */
#include "cluster/cluster.h"

#include <stdlib.h>

typedef struct {
    int64_t c, l;
} cl_pair;

static int by_c_then_l(const void *pa, const void *pb)
{
    const cl_pair *a = pa, *b = pb;
    if (a->c != b->c)
        return a->c < b->c ? -1 : 1;
    return (a->l > b->l) - (a->l < b->l);
}

static int by_l(const void *pa, const void *pb)
{
    const cl_pair *a = pa, *b = pb;
    return (a->l > b->l) - (a->l < b->l);
}

static double harmonic(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0; }

fc_status fc_cluster_score(const int64_t *truth, const int32_t *person_of, int64_t n_faces,
                           fc_cluster_quality *out, fc_error *err)
{
    *out = (fc_cluster_quality){0};
    if (n_faces <= 0)
        return fc_error_set(err, FC_ERR_ARG, "score: %lld faces", (long long)n_faces);
    cl_pair *v = malloc((size_t)n_faces * sizeof *v);
    double *size_c = malloc((size_t)n_faces * sizeof *size_c);
    if (!v || !size_c) {
        free(v), free(size_c);
        return fc_error_set(err, FC_ERR_NOMEM, "score: %lld faces", (long long)n_faces);
    }
    /* unassigned faces: singleton clusters with ids past every person */
    for (int64_t i = 0; i < n_faces; i++)
        v[i] = (cl_pair){person_of[i] >= 0 ? person_of[i] : (int64_t)INT32_MAX + 1 + i,
                         truth[i]};
    qsort(v, (size_t)n_faces, sizeof *v, by_c_then_l);
    /* cluster sizes per face position, then cells n_cl */
    double tp = 0, pairs_c = 0, bp = 0;
    for (int64_t i = 0, j; i < n_faces; i = j) {
        for (j = i; j < n_faces && v[j].c == v[i].c; j++)
            ;
        double nc = (double)(j - i);
        pairs_c += nc * (nc - 1) / 2;
        for (int64_t a = i, b; a < j; a = b) {
            for (b = a; b < j && v[b].l == v[a].l; b++)
                ;
            double ncl = (double)(b - a);
            tp += ncl * (ncl - 1) / 2;
            bp += ncl * ncl / nc;
            for (int64_t t = a; t < b; t++)
                size_c[t] = ncl;
        }
    }
    /* recall side: per label, sum of n_cl^2 / n_l, with n_cl carried in size_c */
    for (int64_t i = 0; i < n_faces; i++)
        v[i].c = (int64_t)size_c[i]; /* reuse: c now holds the face's cell size */
    qsort(v, (size_t)n_faces, sizeof *v, by_l);
    double br = 0, pairs_l = 0;
    for (int64_t i = 0, j; i < n_faces; i = j) {
        double sum_cell = 0;
        for (j = i; j < n_faces && v[j].l == v[i].l; j++)
            sum_cell += (double)v[j].c; /* each face adds n_cl: sum over cells n_cl^2 */
        double nl = (double)(j - i);
        pairs_l += nl * (nl - 1) / 2;
        br += sum_cell / nl;
    }
    double n = (double)n_faces;
    out->bcubed_precision = bp / n;
    out->bcubed_recall = br / n;
    out->bcubed_f = harmonic(out->bcubed_precision, out->bcubed_recall);
    out->pair_precision = pairs_c > 0 ? tp / pairs_c : 1;
    out->pair_recall = pairs_l > 0 ? tp / pairs_l : 1;
    out->pair_f = harmonic(out->pair_precision, out->pair_recall);
    free(v), free(size_c);
    return FC_OK;
}
