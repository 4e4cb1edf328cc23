/* cli_util.c - file reading, integer parsing and timing for the subcommands. */
#include "cli/cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fc_status fc_cli_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                           fc_error *err)
{
    *data = NULL;
    *len = 0;
    fc_status rc = FC_OK;
    uint8_t *buf = NULL;
    /* O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused
     * below); reads of a regular file do not care */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    struct stat st;
    if (!f && fd >= 0)
        close(fd);
    if (!f || fstat(fileno(f), &st) != 0) {
        rc = fc_error_set(err, FC_ERR_IO, "cannot open: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = fc_error_set(err, FC_ERR_IO, "not a regular file");
        goto out;
    }
    if (max_bytes > 0 && (uint64_t)st.st_size > max_bytes) {
        rc = fc_error_set(err, FC_ERR_LIMIT, "file is %lld bytes, over the limit of %zu (MAX_IMAGE_SIZE_BYTES)",
                          (long long)st.st_size, max_bytes);
        goto out;
    }
    size_t n = (size_t)st.st_size;
    buf = malloc(n ? n : 1);
    if (!buf) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory reading %zu bytes", n);
        goto out;
    }
    if (n && fread(buf, 1, n, f) != n) {
        rc = fc_error_set(err, FC_ERR_IO, "read error");
        goto out;
    }
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

int fc_cli_parse_int(const char *s, int lo, int hi)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    return (int)v;
}

int fc_cli_parse_real(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int fc_cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

const char *fc_cli_s(long long n)
{
    return n == 1 ? "" : "s";
}

int fc_cli_fail_status(const fc_error *err)
{
    return err->code == FC_ERR_UNAVAILABLE ? 4 : 1;
}

void fc_cli_put_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
}
