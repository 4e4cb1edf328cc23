/* cluster_bench.c - clustering at scale on synthetic faces (tests/synth.h): index build,
 * clustering, assignment to enrolled users, quality against the true identities, peak
 * memory. Prints one JSON object. Built and run by bench/cluster_run against
 * build/libfc.a; not part of facecluster itself.
 *
 *   cluster_bench --faces 100000 --ids 10000 [--dim 512] [--threads 2] [--users 1000]
 *                 [--seed 1] [--kind auto|flat|hnsw] [--ef-construction N] [--original]
 *                 [--save PREFIX]
 * --save writes PREFIX.emb.npy (float32), PREFIX.labels.npy, PREFIX.images.npy for peers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cluster/assign.h"
#include "cluster/cluster.h"
#include "core/npy.h"
#include "synth.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double rss_mb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * 4096.0 / 1048576.0;
}

static int save_npy(const char *prefix, const char *what, fc_dtype dtype, int rank,
                    const int64_t *dims, void *data)
{
    char path[1024];
    snprintf(path, sizeof path, "%s.%s.npy", prefix, what);
    fc_tensor t = {0};
    t.dtype = dtype;
    t.shape = fc_shape_make(rank, dims);
    t.data = data;
    fc_error err = {0};
    if (fc_npy_write(path, &t, &err)) {
        fprintf(stderr, "cluster_bench: %s: %s\n", path, err.msg);
        return -1;
    }
    return 0;
}

/* Majority identity of each person, for assignment accuracy. */
static int64_t majority_label(const fc_clustering *c, int p, const int64_t *label)
{
    int64_t best = -1, best_n = 0;
    for (int64_t a = c->member_start[p]; a < c->member_start[p + 1]; a++) {
        int64_t l = label[c->members[a]], cnt = 0;
        for (int64_t b = c->member_start[p]; b < c->member_start[p + 1]; b++)
            cnt += label[c->members[b]] == l;
        if (cnt > best_n || (cnt == best_n && l < best))
            best = l, best_n = cnt;
        if (best_n * 2 > c->member_start[p + 1] - c->member_start[p])
            break;
    }
    return best;
}

static int arg_long(int argc, char **argv, int *i, long long *out)
{
    if (*i + 1 >= argc)
        return -1;
    char *end;
    *out = strtoll(argv[++*i], &end, 10);
    return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
    long long n = 10000, ids = 1000, dim = 512, threads = 2, users = 1000, seed = 1, efc = 0;
    int original = 0;
    const char *save = NULL, *kind_s = "auto";
    for (int i = 1; i < argc; i++) {
        int bad = 0;
        if (!strcmp(argv[i], "--faces"))
            bad = arg_long(argc, argv, &i, &n);
        else if (!strcmp(argv[i], "--ids"))
            bad = arg_long(argc, argv, &i, &ids);
        else if (!strcmp(argv[i], "--dim"))
            bad = arg_long(argc, argv, &i, &dim);
        else if (!strcmp(argv[i], "--threads"))
            bad = arg_long(argc, argv, &i, &threads);
        else if (!strcmp(argv[i], "--users"))
            bad = arg_long(argc, argv, &i, &users);
        else if (!strcmp(argv[i], "--ef-construction"))
            bad = arg_long(argc, argv, &i, &efc);
        else if (!strcmp(argv[i], "--seed"))
            bad = arg_long(argc, argv, &i, &seed);
        else if (!strcmp(argv[i], "--original"))
            original = 1;
        else if (!strcmp(argv[i], "--save") && i + 1 < argc)
            save = argv[++i];
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc)
            kind_s = argv[++i];
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "cluster_bench: bad argument %s\n", argv[i]);
            return 2;
        }
    }
    if (users > ids)
        users = ids;
    fc_index_kind kind = !strcmp(kind_s, "flat")   ? FC_INDEX_FLAT
                         : !strcmp(kind_s, "hnsw") ? FC_INDEX_HNSW
                                                   : FC_INDEX_AUTO;
    fc_error err = {0};
    fc_synth_spec spec = {.n_faces = n, .n_ids = (int)ids, .dim = (int)dim, .seed = (uint64_t)seed,
                          .size_spread = 0.7, .max_faces_per_image = 4,
                          .hard_fraction = 0.1, .hard_hi = 1.6, .lookalike_fraction = 0.1,
                          .lookalike_cos = 0.5,
                          .n_threads = (int)threads};
    fc_synth_set s;
    double t0 = now_s();
    if (fc_synth_make(&spec, &s, &err)) {
        fprintf(stderr, "cluster_bench: %s\n", err.msg);
        return 1;
    }
    double gen_s = now_s() - t0, data_mb = rss_mb();
    if (save) {
        int64_t dims[2] = {n, dim};
        if (save_npy(save, "emb", FC_DT_FLOAT, 2, dims, s.emb) ||
            save_npy(save, "labels", FC_DT_INT64, 1, dims, s.label) ||
            save_npy(save, "images", FC_DT_INT64, 1, dims, s.image))
            return 1;
    }
    fc_cluster_faces f = {s.n_faces, s.dim, s.emb, s.image, s.quality, s.confidence};
    fc_cluster_params p = fc_cluster_params_default();
    fc_cluster_stats st;
    p.index_kind = kind;
    p.index.n_threads = (int)threads;
    if (efc > 0)
        p.index.hnsw_ef_construction = (int)efc;
    p.stats = &st;
    fc_clustering *c;
    t0 = now_s();
    double c0 = cpu_s();
    if (fc_cluster_run(&f, &p, &c, &err)) {
        fprintf(stderr, "cluster_bench: cluster: %s\n", err.msg);
        return 1;
    }
    double cluster_s = now_s() - t0, cluster_cpu_s = cpu_s() - c0;
    double cluster_peak_mb = peak_rss_mb();
    fc_cluster_quality q;
    fc_cluster_score(s.label, c->person_of, s.n_faces, &q, &err);

    /* Enrolled users: one fresh face of each of the first `users` identities. */
    fc_synth_rng r;
    fc_synth_seed(&r, (uint64_t)seed + 999);
    float *u = malloc((size_t)users * (size_t)dim * sizeof *u);
    fc_assignment *a = malloc((size_t)(c->n_persons ? c->n_persons : 1) * sizeof *a);
    if (!u || !a)
        return 1;
    for (long long i = 0; i < users; i++)
        fc_synth_face(&r, s.centres + (size_t)i * (size_t)dim, (int)dim, 0.3,
                      u + (size_t)i * (size_t)dim);
    fc_assign_params ap = fc_assign_params_default();
    ap.threshold = 0.5f;
    ap.index.n_threads = (int)threads;
    fc_assign_clusters ac = fc_assign_clusters_of(c, s.emb);
    double assign_s[2];
    int64_t right[2] = {0}, wrong[2] = {0}, should = 0;
    for (int k = 0; k < 2; k++) {
        ap.strategy = k ? FC_ASSIGN_VOTE : FC_ASSIGN_CENTROID;
        t0 = now_s();
        if (fc_assign_run(&ac, u, users, &ap, a, &err)) {
            fprintf(stderr, "cluster_bench: assign: %s\n", err.msg);
            return 1;
        }
        assign_s[k] = now_s() - t0;
        for (int pp = 0; pp < c->n_persons; pp++) {
            int64_t l = majority_label(c, pp, s.label);
            should += k == 0 && l < users;
            if (a[pp].user >= 0)
                (a[pp].user == l ? right : wrong)[k]++;
        }
    }
    double orig_s = -1, orig_f = -1, orig_pp = -1, orig_pr = -1;
    if (original && n <= FC_CLUSTER_ORIGINAL_MAX_FACES) {
        fc_clustering *o;
        t0 = now_s();
        if (fc_cluster_original(&f, p.edge_threshold, (int)threads, &o, &err) == FC_OK) {
            orig_s = now_s() - t0;
            fc_cluster_quality oq;
            fc_cluster_score(s.label, o->person_of, s.n_faces, &oq, &err);
            orig_f = oq.bcubed_f, orig_pp = oq.pair_precision, orig_pr = oq.pair_recall;
            fc_clustering_free(o);
        }
    }
    printf("{\"faces\": %lld, \"ids\": %lld, \"dim\": %lld, \"threads\": %lld, \"gen_s\": %.3f, "
           "\"data_mb\": %.0f, \"index\": \"%s\", \"index_s\": %.3f, \"edges_s\": %.3f, "
           "\"unions_s\": %.3f, \"merge_s\": %.3f, \"merge_rounds\": %d, \"n_merged\": %lld, "
           "\"assemble_s\": %.3f, \"cluster_s\": %.3f, \"cluster_cpu_s\": %.3f, \"n_edges\": %lld, \"n_rescue_walks\": %lld, \"n_refused\": %lld, "
           "\"persons\": %d, \"unassigned\": %lld, \"cluster_peak_mb\": %.0f, "
           "\"bcubed_p\": %.5f, \"bcubed_r\": %.5f, \"bcubed_f\": %.5f, \"pair_p\": %.5f, "
           "\"pair_r\": %.5f, \"users\": %lld, \"assign_centroid_s\": %.3f, "
           "\"assign_vote_s\": %.3f, \"assign_should\": %lld, \"assign_centroid_right\": %lld, "
           "\"assign_centroid_wrong\": %lld, \"assign_vote_right\": %lld, "
           "\"assign_vote_wrong\": %lld, \"peak_mb\": %.0f, \"original_s\": %.3f, "
           "\"original_bcubed_f\": %.5f, \"original_pair_p\": %.5f, \"original_pair_r\": %.5f}\n",
           n, ids, dim, threads, gen_s, data_mb,
           st.index_used == FC_INDEX_HNSW ? "hnsw" : "flat", st.index_s, st.edges_s,
           st.unions_s, st.merge_s, st.merge_rounds, (long long)st.n_merged, st.assemble_s,
           cluster_s, cluster_cpu_s, (long long)st.n_edges, (long long)st.n_rescue_walks, (long long)st.n_refused, c->n_persons,
           (long long)c->n_unassigned, cluster_peak_mb, q.bcubed_precision, q.bcubed_recall,
           q.bcubed_f, q.pair_precision, q.pair_recall, users, assign_s[0], assign_s[1],
           (long long)should, (long long)right[0], (long long)wrong[0], (long long)right[1],
           (long long)wrong[1], peak_rss_mb(), orig_s, orig_f, orig_pp, orig_pr);
    free(u), free(a);
    fc_clustering_free(c);
    fc_synth_set_free(&s);
    return 0;
}
