/* open.c - choosing the image source from the configuration: S3 when it is
 * configured, else the local folder tree. */
#include "source/s3.h"
#include "source/source.h"

int fc_source_config_is_s3(const fc_config *cfg)
{
    /* WASABI_REGION alone (not its default, nor AWS_REGION) also selects S3, with the
       endpoint taken from Wasabi's table. */
    return cfg->wasabi_endpoint || (fc_env_get(cfg->vars, "WASABI_REGION") &&
                                    cfg->wasabi_access_key && cfg->wasabi_secret_key);
}

fc_source *fc_source_open(const fc_config *cfg, fc_error *err)
{
    if (!fc_source_config_is_s3(cfg))
        return fc_source_local_new(cfg->local_storage_path, err);
    if (!cfg->wasabi_bucket) {
        fc_error_set(err, FC_ERR_ARG, "S3 source: WASABI_BUCKET_NAME is not set");
        return NULL;
    }
    fc_s3_config c = {
        .endpoint = cfg->wasabi_endpoint,
        .region = cfg->wasabi_region,
        .bucket = cfg->wasabi_bucket,
        .access_key = cfg->wasabi_access_key,
        .secret_key = cfg->wasabi_secret_key,
        .stall_timeout_s = cfg->wasabi_timeout_seconds,
        .attempts = (int)cfg->wasabi_attempts,
    };
    fc_source *src = fc_source_s3_new(&c, err);
    if (src && fc_source_s3_check(src, err) != FC_OK) {
        fc_source_free(src);
        return NULL;
    }
    return src;
}
