/* nn_bench.c - `facecluster nn MODEL.onnx --bench N`: time the executor on one model
 * (load, then warm-up runs, then N timed runs of one context) and print the
 * distribution, ending with `median_ms=<x>` for scripts (bench/nn.py). */
#include "cli/cli.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/npy.h"
#include "nn/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPECS 64
#define WARMUP_RUNS 5
#define MAX_RUNS 1000000

typedef struct {
    char *name;       /* NULL: the model's only input */
    const char *value; /* a file (--input) or dims such as 1x3x480x640 (--shape) */
} spec;

typedef struct {
    const char *model_path;
    long runs, threads, batch; /* threads and batch: 0 when not given */
    int n_files, n_shapes;
    spec files[MAX_SPECS], shapes[MAX_SPECS];
} bench_args;

/* A whole number in [1, max] from s, or -1. */
static long parse_count(const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (end == s || *end || v < 1 || v > max) ? -1 : v;
}

/* NAME=VALUE (or a bare VALUE) into out; splits s in place. */
static void parse_spec(char *s, spec *out)
{
    char *eq = strchr(s, '=');
    out->name = eq ? s : NULL;
    out->value = eq ? eq + 1 : s;
    if (eq)
        *eq = '\0';
}

static int parse_args(int argc, char **argv, bench_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(arg, "--bench") && has_value) {
            a->runs = parse_count(argv[++i], MAX_RUNS);
        } else if (!strcmp(arg, "--threads") && has_value) {
            a->threads = parse_count(argv[++i], 1024);
        } else if (!strcmp(arg, "--batch") && has_value) {
            a->batch = parse_count(argv[++i], 1 << 20);
        } else if (!strcmp(arg, "--input") && has_value && a->n_files < MAX_SPECS) {
            parse_spec(argv[++i], &a->files[a->n_files++]);
        } else if (!strcmp(arg, "--shape") && has_value && a->n_shapes < MAX_SPECS) {
            parse_spec(argv[++i], &a->shapes[a->n_shapes++]);
        } else if (arg[0] != '-' && !a->model_path) {
            a->model_path = arg;
        } else {
            fprintf(stderr, "facecluster nn: unexpected argument '%s'\n", arg);
            return -1;
        }
    }
    if (a->runs < 1 || a->threads < 0 || a->batch < 0) {
        fprintf(stderr, "facecluster nn: --bench, --threads and --batch take a whole number >= 1\n");
        return -1;
    }
    return a->model_path ? 0 : -1;
}

/* Dims such as "1x3x480x640" (or "1,3,480,640") into out. */
static fc_status parse_dims(const char *s, fc_shape *out, fc_error *err)
{
    const char *p = s;
    out->ndim = 0;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || out->ndim == FC_MAX_DIMS || (*end && *end != 'x' && *end != ','))
            return fc_error_set(err, FC_ERR_ARG, "--shape '%s': want dims like 1x3x480x640", s);
        out->d[out->ndim++] = v;
        p = *end ? end + 1 : end;
    }
    if (!out->ndim)
        return fc_error_set(err, FC_ERR_ARG, "--shape '%s': no dims", s);
    return FC_OK;
}

/* Index of the input that sp names (or the only input when unnamed); sets err if none. */
static int spec_input(const fc_nn_model *m, const spec *sp, const char *flag, fc_error *err)
{
    if (!sp->name) {
        if (fc_nn_n_inputs(m) == 1)
            return 0;
        fc_error_set(err, FC_ERR_ARG, "the model has %d inputs: name them, %s NAME=%s",
                     fc_nn_n_inputs(m), flag, sp->value);
        return -1;
    }
    for (int i = 0; i < fc_nn_n_inputs(m); i++)
        if (!strcmp(fc_nn_input_info(m, i)->name, sp->name))
            return i;
    fc_error_set(err, FC_ERR_ARG, "%s %s: the model has no input '%s'", flag, sp->name, sp->name);
    return -1;
}

/* Fills t with seeded uniform values in [-1, 1) (float) or zeros (int64). */
static void fill_random(fc_tensor *t, uint64_t seed)
{
    if (t->dtype != FC_DT_FLOAT)
        return; /* fc_aligned_alloc zero-fills */
    float *x = t->data;
    uint64_t s = seed;
    for (int64_t i = 0, n = fc_shape_numel(&t->shape); i < n; i++) {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull); /* splitmix64 */
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        x[i] = (float)((double)(z >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
    }
}

/* Shape of a generated input i: declared, then --shape, then --batch on dim 0. */
static fc_status generated_shape(const fc_nn_model *m, const bench_args *a, int i, fc_shape *out,
                                 fc_error *err)
{
    const fc_nn_io_info *info = fc_nn_input_info(m, i);
    *out = info->shape;
    for (int k = 0; k < a->n_shapes; k++) {
        int j = spec_input(m, &a->shapes[k], "--shape", err);
        if (j < 0)
            return err->code;
        if (j == i && parse_dims(a->shapes[k].value, out, err))
            return err->code;
    }
    if (a->batch && out->ndim > 0)
        out->d[0] = a->batch;
    for (int d = 0; d < out->ndim; d++)
        if (out->d[d] < 0)
            return fc_error_set(err, FC_ERR_ARG, "input '%s' has dynamic dim %d (%s): give "
                                "--shape %s=DIMS", info->name, d,
                                info->dim_names[d] ? info->dim_names[d] : "unnamed", info->name);
    return FC_OK;
}

/* Input i as seeded random values (zeros for int64) of its generated shape; t->data
 * from fc_aligned_alloc. */
static fc_status generate_input(const fc_nn_model *m, const bench_args *a, int i, fc_tensor *t,
                                fc_error *err)
{
    const char *name = fc_nn_input_info(m, i)->name;
    if (generated_shape(m, a, i, &t->shape, err))
        return err->code;
    t->dtype = fc_nn_input_info(m, i)->dtype;
    int64_t bytes = fc_tensor_bytes(t);
    if (bytes < 0)
        return fc_error_set(err, FC_ERR_LIMIT, "input '%s' is too large", name);
    if (!(t->data = fc_aligned_alloc((size_t)bytes)))
        return fc_error_set(err, FC_ERR_NOMEM, "no memory for input '%s'", name);
    fill_random(t, 1 + (uint64_t)i);
    return FC_OK;
}

/* Reads --input files, generates the other inputs, and says what each one is. */
static fc_status make_inputs(const fc_nn_model *m, const bench_args *a, fc_tensor *ins,
                             fc_shape *shapes, fc_error *err)
{
    for (int k = 0; k < a->n_files; k++) {
        int i = spec_input(m, &a->files[k], "--input", err);
        if (i < 0)
            return err->code;
        fc_aligned_free(ins[i].data);
        ins[i].data = NULL;
        if (fc_npy_read(a->files[k].value, &ins[i], err))
            return err->code;
        if (a->batch && ins[i].shape.ndim > 0 && ins[i].shape.d[0] != a->batch)
            return fc_error_set(err, FC_ERR_ARG, "--batch %ld, but %s has %lld in dim 0",
                                a->batch, a->files[k].value, (long long)ins[i].shape.d[0]);
    }
    for (int i = 0; i < fc_nn_n_inputs(m); i++) {
        char s[128];
        const char *source = "file";
        if (!ins[i].data) {
            if (generate_input(m, a, i, &ins[i], err))
                return err->code;
            source = ins[i].dtype == FC_DT_FLOAT ? "random uniform [-1,1), seeded" : "zeros";
        }
        shapes[i] = ins[i].shape;
        printf("input: %s %s %s (%s)\n", fc_nn_input_info(m, i)->name, fc_dtype_name(ins[i].dtype),
               fc_shape_str(&ins[i].shape, s, sizeof s), source);
    }
    return FC_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* WARMUP_RUNS untimed runs, then runs timed ones into ms[] (sorted on return). */
static fc_status time_runs(fc_nn_ctx *ctx, const fc_tensor *ins, fc_tensor *outs, long runs,
                           double *ms, fc_error *err)
{
    for (int w = 0; w < WARMUP_RUNS; w++)
        if (fc_nn_run(ctx, ins, outs, err))
            return err->code;
    for (long r = 0; r < runs; r++) {
        double t0 = 1e3 * fc_now_s();
        if (fc_nn_run(ctx, ins, outs, err))
            return err->code;
        ms[r] = 1e3 * fc_now_s() - t0;
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    return FC_OK;
}

/* The median of sorted[0..n): the mean of the middle two for even n. */
static double median_of(const double *sorted, long n)
{
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* min, median, nearest-rank p90 and max of sorted[0..n). */
static void print_stats(const double *sorted, long n)
{
    long p90 = (9 * n + 9) / 10 - 1;
    printf("ms: min %.3f  median %.3f  p90 %.3f  max %.3f\n", sorted[0], median_of(sorted, n),
           sorted[p90], sorted[n - 1]);
}

/* The multiply-adds of the convolutions and matrix products per run, and their
 * rate at the median time: how close the model runs to the CPU's peak. */
static void print_rate(int64_t macs, double median_ms)
{
    if (macs <= 0 || !(median_ms > 0))
        return;
    printf("compute: %.1f M multiply-adds per run (convolutions, matrix products), %.1f G/s at the median\n",
           (double)macs / 1e6, (double)macs / (median_ms * 1e6));
}

static int bench(const fc_nn_model *m, const bench_args *a, double load_ms)
{
    int n_in = fc_nn_n_inputs(m), rc = 1;
    fc_tensor *ins = calloc((size_t)n_in + 1, sizeof *ins);
    fc_tensor *outs = calloc((size_t)fc_nn_n_outputs(m) + 1, sizeof *outs);
    fc_shape *shapes = calloc((size_t)n_in + 1, sizeof *shapes);
    double *ms = calloc((size_t)a->runs, sizeof *ms);
    fc_nn_ctx *ctx = NULL;
    fc_error err = {0};
    if (!ins || !outs || !shapes || !ms) {
        fc_error_set(&err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The thread count goes in at creation too: the fast path plans its kernels for it. */
    fc_nn_ctx_opts opts = {.threads = a->threads ? (int)a->threads : fc_nn_default_threads()};
    if (make_inputs(m, a, ins, shapes, &err) || !(ctx = fc_nn_ctx_new_opts(m, shapes, &opts, &err)))
        goto out;
    printf("threads: %d\n", fc_nn_ctx_threads(ctx));
    printf("steps: %d (nodes run per call after constant folding)\n", fc_nn_ctx_n_steps(ctx));
    printf("arena: %.2f MiB (%zu bytes)\n", (double)fc_nn_ctx_arena_bytes(ctx) / (1 << 20),
           fc_nn_ctx_arena_bytes(ctx));
    fflush(stdout);
    if (time_runs(ctx, ins, outs, a->runs, ms, &err))
        goto out;
    printf("runs: %ld timed after %d warm-up\n", a->runs, WARMUP_RUNS);
    print_stats(ms, a->runs);
    print_rate(fc_nn_ctx_macs(ctx), median_of(ms, a->runs));
    printf("load_ms=%.3f\nmedian_ms=%.3f\n", load_ms, median_of(ms, a->runs));
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "facecluster nn: %s\n", err.msg);
    for (int i = 0; ins && i < n_in; i++)
        fc_aligned_free(ins[i].data);
    fc_nn_ctx_free(ctx);
    free(ins);
    free(outs);
    free(shapes);
    free(ms);
    return rc;
}

int fc_cli_nn_bench(int argc, char **argv)
{
    bench_args a = {0};
    if (parse_args(argc, argv, &a))
        return 2;
    fc_error err = {0};
    double t0 = 1e3 * fc_now_s();
    fc_nn_model *m = fc_nn_load(a.model_path, &err);
    double load_ms = 1e3 * fc_now_s() - t0;
    if (!m) {
        fprintf(stderr, "facecluster nn: %s\n", err.msg);
        return 1;
    }
    printf("model: %s\n", a.model_path);
    int rc = bench(m, &a, load_ms);
    fc_nn_free(m);
    return rc;
}
