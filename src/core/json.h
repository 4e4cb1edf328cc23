/* json.h - small JSON helpers over jansson for values the stores keep as text:
 * string arrays and opaque JSON objects. */
#ifndef FC_CORE_JSON_H
#define FC_CORE_JSON_H

#include "core/status.h"

#include <stddef.h>

/* v[0..n) as a compact JSON array of strings, in a new string (free it), or NULL
 * when out of memory or a string is not valid UTF-8. */
char *fc_json_strv_dump(char *const *v, size_t n);

/* Parses a JSON array of strings into a new array of new strings (*out, *n; free
 * each and the array). FC_ERR_FORMAT when text is not such an array. */
fc_status fc_json_strv_load(const char *text, char ***out, size_t *n, fc_error *err);

/* 1 if text is one JSON object (and nothing else), else 0. */
int fc_json_is_object(const char *text);

#endif
