/* assets.c - the files of the npm packages swagger-ui-dist and redoc, served
 * under /static/ for /docs and /redoc. A file name is one path segment of
 * [A-Za-z0-9._-], not starting with '.', opened without following a symlink,
 * inside one of two folders resolved at start-up: nothing else can be reached. */
#include "api/assets.h"

#include "api/handlers.h"
#include "api/internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *real_dir(const char *root, const char *sub)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", root, sub) >= (int)sizeof path)
        return NULL;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return NULL;
    return realpath(path, NULL);
}

/* The directory of the running binary, into out. */
static int exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

void fc_api_assets_find(const char *configured, char **swagger_dir, char **redoc_dir)
{
    char candidates[5][PATH_MAX];
    int n = 0;
    const char *root = getenv("FC_ROOT");
    char bin[PATH_MAX];
    *swagger_dir = *redoc_dir = NULL;
    if (configured && *configured)
        snprintf(candidates[n++], PATH_MAX, "%s", configured);
    if (root && *root)
        snprintf(candidates[n++], PATH_MAX, "%s/node_modules", root);
    if (!exe_dir(bin, sizeof bin)) {
        snprintf(candidates[n++], PATH_MAX, "%.*s/../node_modules", PATH_MAX - 20, bin);
        snprintf(candidates[n++], PATH_MAX, "%.*s/../../node_modules", PATH_MAX - 20, bin);
    }
    snprintf(candidates[n++], PATH_MAX, "node_modules");
    for (int i = 0; i < n && !*swagger_dir && !*redoc_dir; i++) {
        *swagger_dir = real_dir(candidates[i], "swagger-ui-dist");
        *redoc_dir = real_dir(candidates[i], "redoc/bundles");
        if (configured && *configured && i == 0)
            break; /* an explicit setting is not second-guessed */
    }
}

static const char *media_type(const char *name)
{
    static const char *const types[][2] = {
        {".js", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".png", "image/png"},
        {".map", "application/json"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

bool fc_api_asset_name_ok(const char *name, size_t len)
{
    if (len < 1 || len > 128 || strlen(name) != len || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void serve(const char *dir, const char *package, const char *name, size_t len,
                  fc_api_response *res)
{
    char path[PATH_MAX];
    struct stat st;
    if (!fc_api_asset_name_ok(name, len))
        return fc_api_res_detail(res, 404, "Not Found");
    if (!dir)
        return fc_api_res_detail(res, 404,
                                 "Not Found: the npm package %s is not installed (run "
                                 "scripts/setup, or set FC_WEB_ASSETS to a node_modules folder)",
                                 package);
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return fc_api_res_detail(res, 404, "Not Found");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return fc_api_res_detail(res, 404, "Not Found");
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return fc_api_res_detail(res, 404, "Not Found");
    }
    fc_api_res_file(res, 200, media_type(name), fd, (uint64_t)st.st_size);
    fc_api_res_header(res, "Cache-Control", "public, max-age=86400");
}

static const char *file_param(const fc_api_request *req, size_t *len)
{
    *len = req->match.n_values ? req->match.lengths[0] : 0;
    return req->match.n_values ? req->match.values[0] : "";
}

void fc_api_swagger_asset(const fc_api_request *req, fc_api_response *res)
{
    size_t len;
    const char *name = file_param(req, &len);
    serve(req->env ? req->env->swagger_dir : NULL, "swagger-ui-dist", name, len, res);
}

void fc_api_redoc_asset(const fc_api_request *req, fc_api_response *res)
{
    size_t len;
    const char *name = file_param(req, &len);
    serve(req->env ? req->env->redoc_dir : NULL, "redoc", name, len, res);
}

void fc_api_swagger_oauth2_redirect(const fc_api_request *req, fc_api_response *res)
{
    static const char name[] = "oauth2-redirect.html";
    serve(req->env ? req->env->swagger_dir : NULL, "swagger-ui-dist", name, sizeof name - 1, res);
}
