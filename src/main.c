/* main.c - the facecluster program: dispatches to the subcommands in src/cli/. */
#include "cli/cli.h"
#include "store/mongo_shm.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"detect", fc_cli_detect, "faces of images as JSON lines: detect IMG... [--embeddings] [--crops DIR] [--threads T]"},
    {"compare", fc_cli_compare, "same person? compare IMAGE_A IMAGE_B: cosine of the best faces, verdict"},
    {"cluster", fc_cli_cluster, "the main job: faces of a folder or bucket -> persons, saved run, summary, HTML report"},
    {"enroll", fc_cli_enroll, "enroll USER IMG: a user's profile from the single face of a photo (quality gate)"},
    {"assign", fc_cli_assign, "assign --run ID [--strategy centroid|vote] [--threshold T]: persons -> users"},
    {"worker", fc_cli_worker, "worker PATH: one of several processes sharing a bucket's run (leases, takeover)"},
    {"runs", fc_cli_runs, "list clustering runs (done, failed, running)"},
    {"persons", fc_cli_persons, "persons RUN|latest [--json]: the persons of a run and their faces"},
    {"verify", fc_cli_verify, "verify RUN|latest [--json]: metadata and vector store hold the same faces"},
    {"nn", fc_cli_nn, "inspect, run or time an ONNX model: nn MODEL.onnx --info | --input NAME=X.npy --out DIR | --bench N"},
    {"serve", fc_cli_serve, "HTTP API server: serve [--host H] [--port P] [--threads N]"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: facecluster COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'facecluster COMMAND --help' tells more.\n");
}

int main(int argc, char **argv)
{
    fc_mongo_unlink_counters();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "facecluster: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
