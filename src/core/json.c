/* json.c - see json.h. */
#include "core/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *fc_json_dump(const json_t *j, size_t flags)
{
    size_t n = j ? json_dumpb(j, NULL, 0, flags) : 0;
    char *text = n ? malloc(n + 1) : NULL;
    if (!text || json_dumpb(j, text, n, flags) != n) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

int fc_utf8_seq_len(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned c = s[0];
    int more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
             : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (more < 0 || c == 0xc0 || c == 0xc1)
        return 0;
    unsigned cp = more ? c & (0x3fu >> more) : c;
    for (int k = 1; k <= more; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3fu);
    }
    if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return more + 1;
}

/* 1 when s is valid UTF-8 as jansson takes it. */
static int utf8_valid(const unsigned char *s)
{
    for (int n; *s; s += n)
        if (!(n = fc_utf8_seq_len((const char *)s)))
            return 0;
    return 1;
}

json_t *fc_json_text(const char *s)
{
    if (!s || utf8_valid((const unsigned char *)s))
        return s ? json_string_nocheck(s) : NULL;
    /* each byte at most doubles: one outside a valid sequence becomes 2 bytes */
    const unsigned char *in = (const unsigned char *)s;
    size_t len = strlen(s);
    unsigned char *out = len < SIZE_MAX / 2 ? malloc(2 * len + 1) : NULL;
    size_t o = 0;
    if (!out)
        return NULL;
    for (int n; *in; in += n) {
        if ((n = fc_utf8_seq_len((const char *)in))) {
            memcpy(out + o, in, (size_t)n);
            o += (size_t)n;
        } else {
            n = 1;
            out[o++] = (unsigned char)(0xc0 | *in >> 6);
            out[o++] = (unsigned char)(0x80 | (*in & 0x3f));
        }
    }
    out[o] = 0;
    json_t *j = json_string_nocheck((const char *)out);
    free(out);
    return j;
}

int fc_utf8_valid(const char *s)
{
    return utf8_valid((const unsigned char *)s);
}

char *fc_bytes_hex(const char *s)
{
    static const char digits[] = "0123456789abcdef";
    size_t len = strlen(s);
    char *hex = len < SIZE_MAX / 2 ? malloc(2 * len + 1) : NULL;
    if (!hex)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[(unsigned char)s[i] >> 4];
        hex[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    hex[2 * len] = 0;
    return hex;
}

/* The value of hex digit c (0-9, a-f), or -1. */
static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *fc_bytes_from_hex(const char *hex, int *nomem)
{
    *nomem = 0;
    size_t len = hex ? strlen(hex) : 0;
    if (!hex || len % 2)
        return NULL;
    char *s = malloc(len / 2 + 1);
    if (!s) {
        *nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0 || !(hi | lo)) { /* a NUL would cut the string */
            free(s);
            return NULL;
        }
        s[i] = (char)(hi << 4 | lo);
    }
    s[len / 2] = 0;
    return s;
}

/* s as a JSON string, or, when it is not valid UTF-8, as {"bytes_hex": "..."}. */
static json_t *strv_item(const char *s)
{
    if (utf8_valid((const unsigned char *)s))
        return json_string_nocheck(s);
    char *hex = fc_bytes_hex(s);
    json_t *o = hex ? json_pack("{s:s}", "bytes_hex", hex) : NULL;
    free(hex);
    return o;
}

/* A new string of item, a string or a strv_item object; NULL when it is neither
 * (*nomem 0) or out of memory (*nomem 1). */
static char *strv_item_load(const json_t *item, int *nomem)
{
    *nomem = 0;
    if (json_is_string(item)) {
        char *s = strdup(json_string_value(item));
        *nomem = !s;
        return s;
    }
    if (json_object_size(item) != 1)
        return NULL;
    return fc_bytes_from_hex(json_string_value(json_object_get(item, "bytes_hex")), nomem);
}

fc_status fc_json_strv_dump(char *const *v, size_t n, char **out, fc_error *err)
{
    *out = NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, strv_item(v[i]))) {
            json_decref(arr);
            arr = NULL;
        }
    *out = arr ? fc_json_dump(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return *out ? FC_OK : fc_error_set(err, FC_ERR_NOMEM, "out of memory writing a JSON array");
}

int fc_json_load_nomem(const json_error_t *e)
{
    return !e->text[0] || json_error_code(e) == json_error_out_of_memory;
}

fc_status fc_json_strv_load(const char *text, char ***out, size_t *n, fc_error *err)
{
    fc_status rc = FC_OK;
    char **v = NULL;
    size_t count = 0;
    json_error_t jerr;
    json_t *arr = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &jerr);
    *out = NULL;
    *n = 0;
    if (!arr && text && fc_json_load_nomem(&jerr)) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory reading a JSON array of strings");
        goto out;
    }
    if (!arr || !json_is_array(arr)) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "not a JSON array of strings: %s",
                          arr ? "not an array" : jerr.text);
        goto out;
    }
    size_t len = json_array_size(arr);
    if (len && !(v = calloc(len, sizeof *v))) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (count = 0; count < len; count++) {
        int nomem;
        if (!(v[count] = strv_item_load(json_array_get(arr, count), &nomem))) {
            rc = nomem ? fc_error_set(err, FC_ERR_NOMEM, "out of memory")
                       : fc_error_set(err, FC_ERR_FORMAT, "not a JSON array of strings: item %zu",
                                      count);
            goto out;
        }
    }
    *out = v;
    *n = count;
    v = NULL;
out:
    for (size_t i = 0; v && i < count; i++)
        free(v[i]);
    free(v);
    json_decref(arr);
    return rc;
}

int fc_json_is_object(const char *text)
{
    json_error_t jerr;
    json_t *j = text ? json_loads(text, 0, &jerr) : NULL;
    int ok = j ? json_is_object(j) != 0 : text && fc_json_load_nomem(&jerr) ? -1 : 0;
    json_decref(j);
    return ok;
}
