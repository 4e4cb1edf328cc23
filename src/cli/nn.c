/* nn.c - `facecluster nn`: inspect an ONNX model or run it on .npy inputs, so
 * anyone can compare facecluster with another runtime on their own files. */
#include "cli/cli.h"

#include "core/alloc.h"
#include "core/npy.h"
#include "nn/nn.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 64

static const char usage_text[] =
    "usage: facecluster nn MODEL.onnx --info\n"
    "       facecluster nn MODEL.onnx --input NAME=FILE.npy [--input ...] --out DIR\n"
    "       facecluster nn MODEL.onnx --bench N [--threads T] [--batch B]\n"
    "                      [--shape NAME=DIMS ...] [--input NAME=FILE.npy ...]\n"
    "\n"
    "  --info             print inputs, outputs, op counts, parameter count and, for\n"
    "                     declared shapes, the plan and its multiply-adds\n"
    "  --input NAME=FILE  a float32/int64 .npy array for input NAME (dynamic dims\n"
    "                     take the array's shape); a model with one input also\n"
    "                     accepts --input FILE\n"
    "  --out DIR          write each output to DIR/<output name>.npy (characters\n"
    "                     other than letters, digits, '.', '_', '-' become '_')\n"
    "  --bench N          time N runs of one context after 5 warm-up runs: prints the\n"
    "                     load time, steps, arena, min/median/p90/max ms, the\n"
    "                     multiply-adds of Conv/ConvTranspose/Gemm/MatMul per run\n"
    "                     (counted as direct convolution) and their rate, and last\n"
    "                     `median_ms=<x>`; inputs without --input get seeded random\n"
    "                     values of the declared shape\n"
    "  --threads T        threads per run (default: FC_THREADS, else cores)\n"
    "  --batch B          set dim 0 of the generated inputs to B\n"
    "  --shape NAME=DIMS  shape of a generated input, e.g. input=1x3x480x640 (needed\n"
    "                     for dynamic dims; NAME= may be left out for one input)\n";

typedef struct {
    const char *model_path, *out_dir;
    int info;
    int n_inputs;
    char *names[MAX_INPUTS];
    const char *files[MAX_INPUTS];
} nn_args;

static int parse_args(int argc, char **argv, nn_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--info")) {
            a->info = 1;
        } else if (!strcmp(arg, "--out") && i + 1 < argc) {
            a->out_dir = argv[++i];
        } else if (!strcmp(arg, "--input") && i + 1 < argc) {
            if (a->n_inputs == MAX_INPUTS)
                return -1;
            char *spec = argv[++i], *eq = strchr(spec, '=');
            a->names[a->n_inputs] = eq ? spec : NULL;
            a->files[a->n_inputs] = eq ? eq + 1 : spec;
            if (eq)
                *eq = '\0';
            a->n_inputs++;
        } else if (arg[0] != '-' && !a->model_path) {
            a->model_path = arg;
        } else {
            fprintf(stderr, "facecluster nn: unexpected argument '%s'\n", arg);
            return -1;
        }
    }
    if (!a->model_path || (!a->info && (!a->n_inputs || !a->out_dir)))
        return -1;
    return 0;
}

static void print_io(const char *title, const fc_nn_io_info *info)
{
    char shape[160] = "[";
    size_t used = 1;
    for (int d = 0; d < info->shape.ndim && used < sizeof shape; d++) {
        if (info->shape.d[d] >= 0)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", d ? "," : "",
                                     (long long)info->shape.d[d]);
        else
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%s", d ? "," : "",
                                     info->dim_names[d] ? info->dim_names[d] : "?");
    }
    if (used < sizeof shape)
        snprintf(shape + used, sizeof shape - used, "]");
    printf("  %-6s %-24s %-8s %s\n", title, info->name, fc_dtype_name(info->dtype), shape);
}

static void print_op(const char *op, int count, void *user)
{
    (void)user;
    printf("  %-20s %d\n", op, count);
}

static int info(const char *path, const fc_nn_model *m)
{
    fc_nn_model_info mi;
    fc_nn_model_info_get(m, &mi);
    printf("model: %s\nir_version: %lld  opset: %lld  producer: %s\n", path,
           (long long)mi.ir_version, (long long)mi.opset, *mi.producer ? mi.producer : "-");
    for (int i = 0; i < fc_nn_n_inputs(m); i++)
        print_io("input", fc_nn_input_info(m, i));
    for (int i = 0; i < fc_nn_n_outputs(m); i++)
        print_io("output", fc_nn_output_info(m, i));
    printf("nodes: %d\n", mi.n_nodes);
    fc_nn_op_counts(m, print_op, NULL);
    printf("parameters: %lld\n", (long long)mi.n_params);
    fc_error err = {0};
    fc_nn_ctx *ctx = fc_nn_ctx_new(m, NULL, &err);
    if (ctx) {
        printf("planned for the declared input shapes: %d steps run after constant folding and fusion, "
               "arena %.1f MiB, %.1f M multiply-adds per run\n", fc_nn_ctx_n_steps(ctx),
               (double)fc_nn_ctx_arena_bytes(ctx) / (1 << 20), (double)fc_nn_ctx_macs(ctx) / 1e6);
        for (int i = 0; i < fc_nn_n_outputs(m); i++) {
            char s[128];
            printf("  output %s: %s\n", fc_nn_output_info(m, i)->name,
                   fc_shape_str(&fc_nn_ctx_output(ctx, i)->shape, s, sizeof s));
        }
    } else {
        printf("not planned for declared shapes: %s\n", err.msg);
    }
    fc_nn_ctx_free(ctx);
    return 0;
}

/* Index of the model input named name (or the only input for NULL); -1 if none. */
static int input_index(const fc_nn_model *m, const char *name)
{
    if (!name)
        return fc_nn_n_inputs(m) == 1 ? 0 : -1;
    for (int i = 0; i < fc_nn_n_inputs(m); i++)
        if (!strcmp(fc_nn_input_info(m, i)->name, name))
            return i;
    return -1;
}

static int write_outputs(const fc_nn_model *m, const fc_tensor *outs, const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "facecluster nn: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < fc_nn_n_outputs(m); i++) {
        char name[256], path[4096];
        snprintf(name, sizeof name, "%s", fc_nn_output_info(m, i)->name);
        for (char *p = name; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
                *p = '_';
        snprintf(path, sizeof path, "%s/%s.npy", dir, name);
        fc_error err = {0};
        if (fc_npy_write(path, &outs[i], &err)) {
            fprintf(stderr, "facecluster nn: %s\n", err.msg);
            return 1;
        }
    }
    return 0;
}

static int run(const fc_nn_model *m, const nn_args *a)
{
    int n = fc_nn_n_inputs(m), rc = 1;
    fc_tensor *ins = calloc((size_t)n + 1, sizeof *ins);
    fc_tensor *outs = calloc((size_t)fc_nn_n_outputs(m) + 1, sizeof *outs);
    fc_shape *shapes = calloc((size_t)n + 1, sizeof *shapes);
    fc_nn_ctx *ctx = NULL;
    fc_error err = {0};
    if (!ins || !outs || !shapes)
        goto out;
    for (int k = 0; k < a->n_inputs; k++) {
        int i = input_index(m, a->names[k]);
        if (i < 0) {
            fprintf(stderr, "facecluster nn: the model has no input '%s'\n",
                    a->names[k] ? a->names[k] : "(name it: NAME=FILE)");
            goto out;
        }
        fc_aligned_free(ins[i].data);
        if (fc_npy_read(a->files[k], &ins[i], &err)) {
            fprintf(stderr, "facecluster nn: %s\n", err.msg);
            goto out;
        }
        shapes[i] = ins[i].shape;
    }
    for (int i = 0; i < n; i++)
        if (!ins[i].data) {
            fprintf(stderr, "facecluster nn: missing --input %s=FILE.npy\n", fc_nn_input_info(m, i)->name);
            goto out;
        }
    if (!(ctx = fc_nn_ctx_new(m, shapes, &err)) || fc_nn_run(ctx, ins, outs, &err)) {
        fprintf(stderr, "facecluster nn: %s\n", err.msg);
        goto out;
    }
    rc = write_outputs(m, outs, a->out_dir);
out:
    for (int i = 0; ins && i < n; i++)
        fc_aligned_free(ins[i].data);
    fc_nn_ctx_free(ctx);
    free(ins);
    free(outs);
    free(shapes);
    return rc;
}

int fc_cli_nn(int argc, char **argv)
{
    int help = 0, bench = 0;
    for (int i = 0; i < argc; i++) {
        help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
        bench |= !strcmp(argv[i], "--bench");
    }
    if (help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (bench) {
        int rc = fc_cli_nn_bench(argc, argv);
        if (rc == 2)
            fputs(usage_text, stderr);
        return rc;
    }
    nn_args a = {0};
    if (parse_args(argc, argv, &a)) {
        fputs(usage_text, stderr);
        return 2;
    }
    fc_error err = {0};
    fc_nn_model *m = fc_nn_load(a.model_path, &err);
    if (!m) {
        fprintf(stderr, "facecluster nn: %s\n", err.msg);
        return 1;
    }
    int rc = a.info ? info(a.model_path, m) : run(m, &a);
    fc_nn_free(m);
    return rc;
}
