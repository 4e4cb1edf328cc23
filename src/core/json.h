/* json.h - small JSON helpers over jansson: text that is whole or nothing, and
 * values the stores keep as text (string arrays, opaque JSON objects). */
#ifndef FC_CORE_JSON_H
#define FC_CORE_JSON_H

#include "core/status.h"

#include <jansson.h>
#include <stddef.h>

/* json_dumps(j, flags), in a new string (free it), or NULL when out of memory; use it
 * instead of json_dumps. jansson (2.14) ignores a failed write of an object's key, so
 * with memory short json_dumps can return text with part of a key left out; here
 * the text is sized first, then written into a buffer where no write can fail
 * (json_dumpb, twice). */
char *fc_json_dump(const json_t *j, size_t flags);

/* 1 when json_loads (which filled e) returned NULL for want of memory, as far as
 * jansson tells: it says json_error_out_of_memory, or says nothing at all (when its
 * lexer cannot start or a value cannot be made). Its lexer reports a string it had no
 * memory to copy as a syntax error, which cannot be told from one. */
int fc_json_load_nomem(const json_error_t *e);

/* The length (1..4) of the UTF-8 sequence at text when it is one jansson takes (no
 * overlong forms, surrogates or code points past U+10FFFF), else 0; text is not at
 * its end. */
int fc_utf8_seq_len(const char *text);

/* A new JSON string of text s (NULL when s is NULL or out of memory), for any text
 * that comes from outside: file names, S3 keys, messages holding them. jansson
 * refuses a string that is not valid UTF-8 (json_string returns NULL and the entry
 * that held it is silently left out), but Linux file names are bytes: a photo named
 * "caf\xe9.jpg" on a Latin-1 system. Here each byte that is not part of a valid UTF-8
 * sequence becomes the character of its Latin-1 value (\xe9 -> U+00E9 "\u00e9"), so
 * nothing is dropped and such names read as their Latin-1 systems meant them. The
 * store keeps the real bytes; this is only how JSON shows them (docs/jobs.md). */
json_t *fc_json_text(const char *s);

/* 1 when s is valid UTF-8 as jansson takes it (a JSON string can carry it), else 0. */
int fc_utf8_valid(const char *s);

/* The bytes of s as lower-case hex in a new string (free it); NULL when out of
 * memory. For text JSON cannot carry: fc_bytes_from_hex gives it back. */
char *fc_bytes_hex(const char *s);

/* The bytes that hex (lower-case pairs, as fc_bytes_hex writes) stands for, in a new
 * string; NULL when hex is NULL, not such pairs or holds a NUL byte (*nomem 0), or
 * when out of memory (*nomem 1). */
char *fc_bytes_from_hex(const char *hex, int *nomem);

/* v[0..n) as a compact JSON array of strings, in a new string *out (free it), for
 * the store: every string comes back byte for byte (fc_json_strv_load). One that is
 * not valid UTF-8 (a Latin-1 file name), which JSON cannot carry, is written as
 * {"bytes_hex": "..."} (its bytes in hex). FC_ERR_NOMEM when out of memory (*out
 * NULL). */
fc_status fc_json_strv_dump(char *const *v, size_t n, char **out, fc_error *err);

/* Parses a JSON array of strings (and {"bytes_hex"} items, see fc_json_strv_dump)
 * into a new array of new strings (*out, *n; free each and the array).
 * FC_ERR_FORMAT when text is not such an array. */
fc_status fc_json_strv_load(const char *text, char ***out, size_t *n, fc_error *err);

/* 1 if text is one JSON object (and nothing else), 0 if not, -1 when out of memory
 * to tell (as far as jansson says: fc_json_load_nomem). */
int fc_json_is_object(const char *text);

#endif
