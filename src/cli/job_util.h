/* job_util.h - what the job commands (cluster, enroll, assign, runs, persons) share:
 * configuration, the pipeline, the store, and run ids ("latest"). */
#ifndef FC_CLI_JOB_UTIL_H
#define FC_CLI_JOB_UTIL_H

#include "core/config.h"
#include "face/pipeline.h"
#include "store/store.h"

/* The pipeline from the environment with `workers` concurrent runs (>= 1), one
 * executor thread each. NULL + err on failure. */
fc_pipeline *fc_cli_pipeline(int workers, fc_error *err);

/* Resolves RUN ("latest", or a clustering id) to a done run's id in out: "latest" is
 * the newest done run of any bucket. FC_ERR_ARG when there is none. */
fc_status fc_cli_run_id(fc_store *s, const char *run, char out[FC_OBJECTID_LEN + 1],
                        fc_error *err);

/* Folder mode of `cluster PATH` and `worker PATH`: links
 * $FC_DATA_DIR/folders/local/<name>-<8 hex FNV-1a of the real path> to the folder and
 * sets root (the storage root) and sub (that link's name, under bucket "local"). An
 * existing link to the same folder is kept (several workers start at once). Returns 0,
 * or -1 after saying why on stderr as "facecluster CMD: ...". */
int fc_cli_link_folder(const char *cmd, const fc_config *cfg, const char *path, char *root,
                       size_t root_size, char *sub, size_t sub_size);

#endif
