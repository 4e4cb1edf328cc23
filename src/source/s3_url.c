/* s3_url.c - where S3 requests go: Wasabi's regional endpoints, endpoint parsing,
 * path-style and virtual-host URLs, SigV4 percent-encoding, and the retry backoff. */
#include "source/s3.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Wasabi's service URLs (docs/s3.md): region -> host. us-east-1 is the one that does
 * not follow s3.<region>.wasabisys.com. */
static const struct {
    const char *region, *host;
} wasabi_regions[] = {
    {"us-east-1", "s3.wasabisys.com"},
    {"us-east-2", "s3.us-east-2.wasabisys.com"},
    {"us-central-1", "s3.us-central-1.wasabisys.com"},
    {"us-west-1", "s3.us-west-1.wasabisys.com"},
    {"us-west-2", "s3.us-west-2.wasabisys.com"},
    {"ca-central-1", "s3.ca-central-1.wasabisys.com"},
    {"eu-central-1", "s3.eu-central-1.wasabisys.com"},
    {"eu-central-2", "s3.eu-central-2.wasabisys.com"},
    {"eu-west-1", "s3.eu-west-1.wasabisys.com"},
    {"eu-west-2", "s3.eu-west-2.wasabisys.com"},
    {"eu-west-3", "s3.eu-west-3.wasabisys.com"},
    {"eu-south-1", "s3.eu-south-1.wasabisys.com"},
    {"ap-northeast-1", "s3.ap-northeast-1.wasabisys.com"},
    {"ap-northeast-2", "s3.ap-northeast-2.wasabisys.com"},
    {"ap-southeast-1", "s3.ap-southeast-1.wasabisys.com"},
    {"ap-southeast-2", "s3.ap-southeast-2.wasabisys.com"},
};

fc_status fc_s3_region_endpoint(const char *region, char *out, size_t cap, int *known,
                                fc_error *err)
{
    size_t n = region ? strlen(region) : 0;
    *known = 0;
    if (n == 0 || n > 32)
        return fc_error_set(err, FC_ERR_ARG, "WASABI_REGION '%.40s' is not a region name",
                            region ? region : "");
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)region[i]) && !isdigit((unsigned char)region[i]) &&
            region[i] != '-')
            return fc_error_set(err, FC_ERR_ARG,
                                "WASABI_REGION '%s' is not a region name ([a-z0-9-])", region);
    int w;
    for (size_t i = 0; i < sizeof wasabi_regions / sizeof wasabi_regions[0]; i++)
        if (strcmp(region, wasabi_regions[i].region) == 0) {
            *known = 1;
            w = snprintf(out, cap, "https://%s", wasabi_regions[i].host);
            goto done;
        }
    w = snprintf(out, cap, "https://s3.%s.wasabisys.com", region);
done:
    if (w < 0 || (size_t)w >= cap)
        return fc_error_set(err, FC_ERR_LIMIT, "endpoint buffer of %zu bytes", cap);
    return FC_OK;
}

static int is_ip_literal(const char *host)
{
    if (host[0] == '[')
        return 1;
    for (const char *p = host; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    return 1;
}

static int is_local_name(const char *host)
{
    size_t n = strlen(host);
    return strcmp(host, "localhost") == 0 ||
           (n > 10 && strcmp(host + n - 10, ".localhost") == 0);
}

/* A bucket usable as a DNS label under TLS: lower-case letters, digits and '-'. */
static int bucket_is_dns_safe(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) && b[i] != '-')
            return 0;
    return 1;
}

static int bucket_is_valid(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)b[i]) && !strchr(".-_", b[i]))
            return 0;
    return 1;
}

/* Splits "host[:port][/]" (after the scheme) into t->host and t->port. */
static fc_status parse_authority(fc_s3_target *t, const char *a, const char *endpoint,
                                 fc_error *err)
{
    size_t n = strcspn(a, "/?#@");
    if (a[n] == '?' || a[n] == '#' || a[n] == '@' || (a[n] == '/' && a[n + 1] != '\0'))
        return fc_error_set(err, FC_ERR_ARG,
                            "WASABI_ENDPOINT '%.200s': only scheme://host[:port] is supported",
                            endpoint);
    const char *colon;
    size_t host_len;
    if (a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close)
            return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': unclosed '['",
                                endpoint);
        host_len = (size_t)(close - a) + 1;
        colon = host_len < n && a[host_len] == ':' ? a + host_len : NULL;
        if (!colon && host_len != n)
            return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': bad host", endpoint);
    } else {
        colon = memchr(a, ':', n);
        host_len = colon ? (size_t)(colon - a) : n;
        for (size_t i = 0; i < host_len; i++)
            if (!isalnum((unsigned char)a[i]) && a[i] != '.' && a[i] != '-')
                return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': bad host",
                                    endpoint);
    }
    if (host_len == 0 || host_len >= sizeof t->host)
        return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': bad host", endpoint);
    for (size_t i = 0; i < host_len; i++)
        t->host[i] = (char)tolower((unsigned char)a[i]);
    t->host[host_len] = '\0';
    if (colon) {
        size_t plen = n - (size_t)(colon + 1 - a);
        long port = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)colon[1 + i]) || port > 65535)
                return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': bad port",
                                    endpoint);
            port = port * 10 + (colon[1 + i] - '0');
        }
        if (plen == 0 || port < 1 || port > 65535)
            return fc_error_set(err, FC_ERR_ARG, "WASABI_ENDPOINT '%.200s': bad port", endpoint);
        snprintf(t->port, sizeof t->port, "%ld", port);
    }
    return FC_OK;
}

fc_status fc_s3_target_init(fc_s3_target *t, const char *endpoint, const char *bucket,
                            fc_s3_addressing addressing, fc_error *err)
{
    memset(t, 0, sizeof *t);
    if (!endpoint || !*endpoint)
        return fc_error_set(err, FC_ERR_ARG, "no S3 endpoint");
    if (!bucket || !bucket_is_valid(bucket))
        return fc_error_set(err, FC_ERR_ARG,
                            "WASABI_BUCKET_NAME '%.80s' is not a bucket name (3-63 of "
                            "[A-Za-z0-9._-])", bucket ? bucket : "");
    memcpy(t->bucket, bucket, strlen(bucket) + 1);
    const char *rest = strstr(endpoint, "://");
    if (rest) {
        size_t sl = (size_t)(rest - endpoint);
        if (sl == 4 && strncasecmp(endpoint, "http", 4) == 0)
            memcpy(t->scheme, "http", 5);
        else if (sl == 5 && strncasecmp(endpoint, "https", 5) == 0)
            memcpy(t->scheme, "https", 6);
        else
            return fc_error_set(err, FC_ERR_ARG,
                                "WASABI_ENDPOINT '%.200s': scheme must be http or https",
                                endpoint);
        rest += 3;
    } else {
        memcpy(t->scheme, "https", 6);
        rest = endpoint;
    }
    fc_status rc = parse_authority(t, rest, endpoint, err);
    if (rc)
        return rc;
    int ip = is_ip_literal(t->host), local = is_local_name(t->host);
    switch (addressing) {
    case FC_S3_ADDR_PATH:
        t->path_style = 1;
        break;
    case FC_S3_ADDR_VHOST:
        if (ip || !bucket_is_dns_safe(bucket))
            return fc_error_set(err, FC_ERR_ARG,
                                "virtual-host addressing needs a host name and a bucket of "
                                "[a-z0-9-] (host '%s', bucket '%s')", t->host, bucket);
        t->path_style = 0;
        break;
    default:
        t->path_style = ip || local || t->port[0] || !bucket_is_dns_safe(bucket);
        break;
    }
    return FC_OK;
}

long fc_s3_uri_encode(const char *in, int keep_slash, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int keep = isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
                   (keep_slash && *p == '/');
        if (o + (keep ? 1 : 3) >= cap)
            return -1;
        if (keep) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return (long)o;
}

/* scheme://[bucket.]host[:port] into out; returns the length or -1. */
static int origin(const fc_s3_target *t, char *out, size_t cap)
{
    int w = snprintf(out, cap, "%s://%s%s%s%s%s", t->scheme, t->path_style ? "" : t->bucket,
                     t->path_style ? "" : ".", t->host, t->port[0] ? ":" : "", t->port);
    return w < 0 || (size_t)w >= cap ? -1 : w;
}

fc_status fc_s3_object_url(const fc_s3_target *t, const char *key, char *out, size_t cap,
                           fc_error *err)
{
    int o = origin(t, out, cap);
    if (o < 0)
        goto small;
    int w = t->path_style ? snprintf(out + o, cap - (size_t)o, "/%s/", t->bucket)
                          : snprintf(out + o, cap - (size_t)o, "/");
    if (w < 0 || (size_t)(o + w) >= cap)
        goto small;
    if (fc_s3_uri_encode(key, 1, out + o + w, cap - (size_t)(o + w)) < 0)
        goto small;
    return FC_OK;
small:
    return fc_error_set(err, FC_ERR_LIMIT, "S3 URL longer than %zu bytes (key '%.100s')", cap,
                        key);
}

fc_status fc_s3_list_url(const fc_s3_target *t, const char *prefix, const char *token,
                         int max_keys, char *out, size_t cap, fc_error *err)
{
    char enc_prefix[3 * 1024 + 1], enc_token[3 * 1024 + 1];
    if (fc_s3_uri_encode(prefix ? prefix : "", 0, enc_prefix, sizeof enc_prefix) < 0 ||
        fc_s3_uri_encode(token ? token : "", 0, enc_token, sizeof enc_token) < 0)
        return fc_error_set(err, FC_ERR_LIMIT, "S3 prefix or continuation token over 1024 bytes");
    int o = origin(t, out, cap);
    if (o < 0)
        goto small;
    char mk[32] = "";
    if (max_keys > 0)
        snprintf(mk, sizeof mk, "&max-keys=%d", max_keys);
    /* sorted by name, as the SigV4 canonical query string wants; encoding-type=url:
       keys come URL-encoded, so one with a byte XML 1.0 cannot carry (S3 allows any)
       does not make the page unreadable */
    int w = snprintf(out + o, cap - (size_t)o,
                     "/%s?%s%s%sencoding-type=url&list-type=2%s&prefix=%s",
                     t->path_style ? t->bucket : "", token ? "continuation-token=" : "",
                     token ? enc_token : "", token ? "&" : "", mk, enc_prefix);
    if (w < 0 || (size_t)(o + w) >= cap)
        goto small;
    return FC_OK;
small:
    return fc_error_set(err, FC_ERR_LIMIT, "S3 list URL longer than %zu bytes", cap);
}

long fc_s3_backoff_ms(int retry, long base_ms, long cap_ms, double u)
{
    long d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < retry && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    if (u < 0)
        u = 0;
    if (u >= 1)
        u = 0.999999;
    return d / 2 + (long)(u * (double)(d - d / 2));
}
