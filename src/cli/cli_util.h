/* cli_util.h - small helpers shared by the subcommands. */
#ifndef FC_CLI_CLI_UTIL_H
#define FC_CLI_CLI_UTIL_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Reads a whole file into a malloc'd buffer (*data, *len; caller frees *data).
 * max_bytes > 0 refuses a larger file before reading it (FC_ERR_LIMIT). */
fc_status fc_cli_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                           fc_error *err);

/* Parses a positive int in [lo, hi] with strtol and end checks; -1 when invalid. */
int fc_cli_parse_int(const char *s, int lo, int hi);

/* Parses a finite number in [lo, hi] with strtod and end checks into *out; -1 when
 * invalid (nan, inf, trailing characters, out of range). */
int fc_cli_parse_real(const char *s, double lo, double hi, double *out);

/* 1 when argv holds --help or -h: the command then prints its usage on stdout and
 * exits 0 (a usage error prints it on stderr and exits 2). */
int fc_cli_wants_help(int argc, char **argv);

/* "s" unless n is 1, for counts in sentences: printf("%lld face%s", n, fc_cli_s(n)). */
const char *fc_cli_s(long long n);

/* Writes s (a file name, a key, an error naming one) to f with control characters
 * escaped as \n, \r, \t or \xHH and a backslash as \\, so that a table row or a
 * summary line stays one line whatever the names hold. */
void fc_cli_put_escaped(FILE *f, const char *s);

/* The exit status of a command that failed with err: 4 when the image source stopped
 * answering (FC_ERR_UNAVAILABLE: the run is kept, try again later), else 1. */
int fc_cli_fail_status(const fc_error *err);

#endif
