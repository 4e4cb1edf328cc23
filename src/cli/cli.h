/* cli.h - subcommands of the facecluster program. Each takes the arguments after
 * its name and returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef FC_CLI_CLI_H
#define FC_CLI_CLI_H

int fc_cli_nn(int argc, char **argv);

/* `nn MODEL --bench N ...` (src/cli/nn_bench.c); fc_cli_nn hands over the same
 * arguments when they contain --bench. */
int fc_cli_nn_bench(int argc, char **argv);

/* `detect IMG... [--embeddings] [--crops DIR] [--threads T]` (src/cli/detect.c). */
int fc_cli_detect(int argc, char **argv);

/* `compare A B` (src/cli/compare.c). */
int fc_cli_compare(int argc, char **argv);

/* `serve`: the HTTP API (src/cli/serve.c). */
int fc_cli_serve(int argc, char **argv);

/* Job commands (src/cli/cluster.c, enroll.c, assign.c, runs.c, persons.c). */
int fc_cli_cluster(int argc, char **argv);
int fc_cli_enroll(int argc, char **argv);
int fc_cli_assign(int argc, char **argv);
int fc_cli_runs(int argc, char **argv);
int fc_cli_persons(int argc, char **argv);

#endif
