/* env.c - fc_env (see config.h): the variables of a .env file, parsed line by line
 * with quoting and comments, the process environment winning over the file, and
 * typed, range-checked getters that name the variable and its line in errors. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define ENV_FILE_MAX (1 << 20) /* a .env file larger than this is refused */
#define ENV_NAME_MAX 128

/* ---- fc_env: the file's variables ------------------------------------------- */

typedef struct {
    char *name, *value;
    int line;
} env_var;

struct fc_env {
    char *path; /* the file read, NULL if none */
    env_var *vars;
    size_t n, cap;
};

const char *fc_env_path(const fc_env *e)
{
    return e ? e->path : NULL;
}

void fc_env_free(fc_env *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->vars[i].name);
        free(e->vars[i].value);
    }
    free(e->vars);
    free(e->path);
    free(e);
}

/* Adds or replaces (a later line wins) name=value; takes ownership of both. */
static int env_set(fc_env *e, char *name, char *value, int line)
{
    for (size_t i = 0; i < e->n; i++) {
        if (!strcmp(e->vars[i].name, name)) {
            free(e->vars[i].value);
            free(name);
            e->vars[i].value = value;
            e->vars[i].line = line;
            return 0;
        }
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        env_var *v = realloc(e->vars, cap * sizeof *v);
        if (!v) {
            free(name);
            free(value);
            return -1;
        }
        e->vars = v;
        e->cap = cap;
    }
    e->vars[e->n++] = (env_var){name, value, line};
    return 0;
}

static const char *skip_blank(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* After a value: nothing but blanks and an optional comment. */
static int rest_is_comment(const char *p)
{
    p = skip_blank(p);
    return *p == '\0' || *p == '#';
}

/* Parses the value starting at p into a new string (*out); returns NULL on
 * success, else why the line is malformed. */
static const char *parse_value(const char *p, char **out)
{
    size_t len = strlen(p);
    char *v = malloc(len + 1), *w = v;
    if (!v)
        return "out of memory";
    *out = v;
    if (*p == '\'') {
        const char *end = strchr(p + 1, '\'');
        if (!end)
            return "unterminated single quote";
        memcpy(v, p + 1, (size_t)(end - p - 1));
        v[end - p - 1] = '\0';
        return rest_is_comment(end + 1) ? NULL : "text after the closing quote";
    }
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p != '\\') {
                *w++ = *p;
                continue;
            }
            switch (*++p) {
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            case '"': *w++ = '"'; break;
            case '\\': *w++ = '\\'; break;
            case '\0': return "unterminated double quote";
            default: *w++ = '\\'; *w++ = *p; break;
            }
        }
        *w = '\0';
        if (*p != '"')
            return "unterminated double quote";
        return rest_is_comment(p + 1) ? NULL : "text after the closing quote";
    }
    /* unquoted: up to a '#' that follows a blank, trailing blanks dropped */
    for (; *p; p++) {
        if (*p == '#' && w > v && (w[-1] == ' ' || w[-1] == '\t'))
            break;
        *w++ = *p;
    }
    while (w > v && (w[-1] == ' ' || w[-1] == '\t'))
        w--;
    *w = '\0';
    return NULL;
}

/* Parses one line (NUL-terminated, no newline) into e. */
static fc_status parse_line(fc_env *e, const char *line, int lineno, fc_error *err)
{
    const char *why = NULL, *p = skip_blank(line);
    char *name = NULL, *value = NULL;
    if (*p == '\0' || *p == '#')
        return FC_OK;
    if (!strncmp(p, "export", 6) && (p[6] == ' ' || p[6] == '\t'))
        p = skip_blank(p + 6);
    const char *start = p;
    if (isalpha((unsigned char)*p) || *p == '_')
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
    size_t len = (size_t)(p - start);
    p = skip_blank(p);
    if (len == 0 || *p != '=')
        why = "expected NAME=VALUE";
    else if (len > ENV_NAME_MAX)
        why = "name too long";
    else if (!(name = strndup(start, len)))
        why = "out of memory";
    else if (!(why = parse_value(skip_blank(p + 1), &value))) {
        int failed = env_set(e, name, value, lineno); /* owns both from here */
        name = value = NULL;
        if (failed)
            why = "out of memory";
    }
    free(name);
    free(value);
    return why ? fc_error_set(err, FC_ERR_FORMAT, "%s:%d: %s", e->path, lineno, why) : FC_OK;
}

/* Reads the whole file into a NUL-terminated buffer; refuses NUL bytes and files
 * over ENV_FILE_MAX. */
static fc_status read_file(const char *path, char **out, fc_error *err)
{
    fc_status rc = FC_OK;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fc_error_set(err, FC_ERR_IO, "%s: %s", path, strerror(errno));
    if (!(buf = malloc(ENV_FILE_MAX + 1))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    size_t n = fread(buf, 1, ENV_FILE_MAX + 1, f);
    if (ferror(f))
        rc = fc_error_set(err, FC_ERR_IO, "%s: read error", path);
    else if (n > ENV_FILE_MAX)
        rc = fc_error_set(err, FC_ERR_LIMIT, "%s: larger than %d bytes", path, ENV_FILE_MAX);
    else if (memchr(buf, '\0', n))
        rc = fc_error_set(err, FC_ERR_FORMAT, "%s: contains a NUL byte: not a text file", path);
    else
        buf[n] = '\0';
out:
    fclose(f);
    if (rc)
        free(buf);
    else
        *out = buf;
    return rc;
}

fc_env *fc_env_load(const char *path, int required, fc_error *err)
{
    char *text = NULL;
    fc_env *e = calloc(1, sizeof *e);
    if (!e) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    struct stat st;
    if (!path || (!required && stat(path, &st) != 0 && errno == ENOENT))
        return e;
    if (!(e->path = strdup(path))) {
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (read_file(path, &text, err))
        goto fail;
    int lineno = 1;
    for (char *line = text; line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (parse_line(e, line, lineno, err))
            goto fail;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return e;
fail:
    free(text);
    fc_env_free(e);
    return NULL;
}

/* Where a value was found, for error messages. */
typedef struct {
    const char *value;
    char name[ENV_NAME_MAX + 1]; /* which of the aliases */
    char where[320];             /* "environment" or "path:line" */
} env_hit;

/* Looks names ("A|B") up: each in the environment first, then each in the file. */
static int env_find(const fc_env *e, const char *names, env_hit *hit)
{
    for (int in_file = 0; in_file < 2; in_file++) {
        if (in_file && !e)
            break;
        for (const char *p = names; *p;) {
            size_t len = strcspn(p, "|");
            char name[ENV_NAME_MAX + 1];
            if (len <= ENV_NAME_MAX) {
                memcpy(name, p, len);
                name[len] = '\0';
                const char *v = NULL;
                int line = 0;
                if (!in_file)
                    v = getenv(name);
                else
                    for (size_t i = 0; i < e->n && !v; i++)
                        if (!strcmp(e->vars[i].name, name))
                            v = e->vars[i].value, line = e->vars[i].line;
                if (v && *v) {
                    hit->value = v;
                    memcpy(hit->name, name, len + 1);
                    if (in_file)
                        snprintf(hit->where, sizeof hit->where, "%s:%d", e->path, line);
                    else
                        snprintf(hit->where, sizeof hit->where, "environment");
                    return 1;
                }
            }
            p += len;
            if (*p == '|')
                p++;
        }
    }
    return 0;
}

const char *fc_env_get(const fc_env *e, const char *names)
{
    env_hit hit;
    return env_find(e, names, &hit) ? hit.value : NULL;
}

static fc_status bad_value(const env_hit *hit, fc_error *err, const char *expected)
{
    return fc_error_set(err, FC_ERR_ARG, "%s=\"%.64s\" (%s): expected %s", hit->name, hit->value,
                        hit->where, expected);
}

fc_status fc_env_int(const fc_env *e, const char *names, int64_t def, int64_t min, int64_t max,
                     int64_t *out, fc_error *err)
{
    env_hit hit;
    *out = def;
    if (!env_find(e, names, &hit))
        return FC_OK;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(hit.value, &end, 10);
    if (isspace((unsigned char)hit.value[0]) || errno || *end || v < min || v > max) {
        char expected[96];
        snprintf(expected, sizeof expected, "a whole number from %lld to %lld", (long long)min,
                 (long long)max);
        return bad_value(&hit, err, expected);
    }
    *out = v;
    return FC_OK;
}

fc_status fc_env_double(const fc_env *e, const char *names, double def, double min, double max,
                        double *out, fc_error *err)
{
    env_hit hit;
    *out = def;
    if (!env_find(e, names, &hit))
        return FC_OK;
    char *end = NULL;
    errno = 0;
    double v = strtod(hit.value, &end);
    if (isspace((unsigned char)hit.value[0]) || errno || *end || !isfinite(v) || v < min || v > max) {
        char expected[96];
        snprintf(expected, sizeof expected, "a number from %g to %g", min, max);
        return bad_value(&hit, err, expected);
    }
    *out = v;
    return FC_OK;
}

fc_status fc_env_choice(const fc_env *e, const char *names, const char *const *choices, int def,
                        int *out, fc_error *err)
{
    env_hit hit;
    *out = def;
    if (!env_find(e, names, &hit))
        return FC_OK;
    char expected[256] = "one of";
    size_t used = strlen(expected);
    for (int i = 0; choices[i]; i++) {
        if (!strcasecmp(hit.value, choices[i])) {
            *out = i;
            return FC_OK;
        }
        int n = snprintf(expected + used, sizeof expected - used, "%s %s", i ? "," : "", choices[i]);
        if (n > 0 && (size_t)n < sizeof expected - used)
            used += (size_t)n;
    }
    return bad_value(&hit, err, expected);
}

fc_status fc_env_bool(const fc_env *e, const char *names, int def, int *out, fc_error *err)
{
    static const char *const words[] = {"0", "1", "false", "true", "no", "yes", "off", "on", NULL};
    int i;
    fc_status rc = fc_env_choice(e, names, words, def, &i, err);
    *out = rc ? def : i % 2; /* the words alternate false, true */
    return rc;
}

int fc_env_export(const fc_env *e)
{
    for (size_t i = 0; e && i < e->n; i++) {
        const char *cur = getenv(e->vars[i].name);
        if ((!cur || !*cur) && setenv(e->vars[i].name, e->vars[i].value, 1))
            return -1;
    }
    return 0;
}

