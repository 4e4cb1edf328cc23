/* job_util.c - helpers of the job commands (see job_util.h). */
#include "cli/job_util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fc_pipeline *fc_cli_pipeline(int workers, fc_error *err)
{
    fc_pipeline_config pc;
    if (fc_pipeline_config_from_env(&pc, err))
        return NULL;
    pc.workers = workers > 0 ? workers : 1;
    pc.nn_threads = 1;
    return fc_pipeline_new(&pc, err);
}

fc_status fc_cli_run_id(fc_store *s, const char *run, char out[FC_OBJECTID_LEN + 1],
                        fc_error *err)
{
    out[0] = 0;
    if (strcmp(run, "latest")) {
        if (fc_objectid_canon(run, out) != 0)
            return fc_error_set(err, FC_ERR_ARG, "Invalid clustering_id format: %s", run);
        return FC_OK;
    }
    fc_run_list l = {0};
    fc_status rc = fc_store_run_list(s, NULL, FC_RUNS_DONE, &l, err);
    if (rc)
        return rc;
    if (!l.n)
        rc = fc_error_set(err, FC_ERR_ARG, "no finished clustering run yet");
    else
        snprintf(out, FC_OBJECTID_LEN + 1, "%s", l.items[0].clustering_id);
    fc_run_list_free(&l);
    return rc;
}

int fc_cli_link_folder(const char *cmd, const fc_config *cfg, const char *path, char *root,
                       size_t root_size, char *sub, size_t sub_size)
{
    char real[PATH_MAX], link_dir[4096], link[4400], have[PATH_MAX];
    if (!realpath(path, real)) {
        fprintf(stderr, "facecluster %s: %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    uint32_t h = 2166136261u;
    for (const char *p = real; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    const char *name = strrchr(real, '/');
    name = name && name[1] ? name + 1 : "root";
    char clean[64];
    size_t n = 0;
    for (; *name && n < 40; name++)
        clean[n++] = (strchr("._-", *name) || (*name >= '0' && *name <= '9') ||
                      ((*name | 32) >= 'a' && (*name | 32) <= 'z')) ? *name : '_';
    clean[n] = 0;
    snprintf(sub, sub_size, "%s-%08x", clean, h);
    if ((size_t)snprintf(root, root_size, "%s/folders", cfg->data_dir) >= root_size ||
        (size_t)snprintf(link_dir, sizeof link_dir, "%.4000s/local", root) >= sizeof link_dir ||
        (size_t)snprintf(link, sizeof link, "%s/%s", link_dir, sub) >= sizeof link) {
        fprintf(stderr, "facecluster %s: FC_DATA_DIR path too long\n", cmd);
        return -1;
    }
    const char *dirs[] = {cfg->data_dir, root, link_dir};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (mkdir(dirs[i], 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "facecluster %s: cannot create %s: %s\n", cmd, dirs[i], strerror(errno));
            return -1;
        }
    }
    ssize_t len = readlink(link, have, sizeof have - 1);
    if (len > 0 && (have[len] = '\0', !strcmp(have, real)))
        return 0;
    unlink(link);
    if (symlink(real, link) != 0 && errno != EEXIST) {
        fprintf(stderr, "facecluster %s: cannot link %s: %s\n", cmd, link, strerror(errno));
        return -1;
    }
    return 0;
}
