/* ids.c - see ids.h. */
#include "core/ids.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <wctype.h>

static const char hexdig[] = "0123456789abcdef";

/* Fills buf with n random bytes from getrandom(2), or /dev/urandom when that
 * fails; 0, or -1 if the kernel gives none. */
static int random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    int fd = -1; /* -1: getrandom; else /dev/urandom */
    while (n > 0) {
        ssize_t got = fd < 0 ? getrandom(p, n, 0) : read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (fd >= 0 || (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
                break;
            continue;
        }
        p += got;
        n -= (size_t)got;
    }
    if (fd >= 0)
        close(fd);
    return n == 0 ? 0 : -1;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void hex_encode(const unsigned char *src, size_t n, char *dst)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = hexdig[src[i] >> 4];
        dst[2 * i + 1] = hexdig[src[i] & 15];
    }
}

/* ObjectId state: the per-process random part and the counter, chosen again in a
 * forked child so that parent and child never make the same id. */
static struct {
    pthread_mutex_t mu;
    pid_t pid;
    unsigned char process[5];
    uint32_t counter;
} oid = {.mu = PTHREAD_MUTEX_INITIALIZER};

void fc_objectid_new(char out[FC_OBJECTID_LEN + 1])
{
    unsigned char b[12];
    uint32_t secs = (uint32_t)time(NULL);
    pthread_mutex_lock(&oid.mu);
    if (oid.pid != getpid()) {
        unsigned char seed[8];
        if (random_bytes(seed, sizeof seed)) { /* no kernel randomness: time and pid */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32;
            memcpy(seed, &x, sizeof seed);
        }
        memcpy(oid.process, seed, 5);
        oid.counter = (uint32_t)seed[5] << 16 | (uint32_t)seed[6] << 8 | seed[7];
        oid.pid = getpid();
    }
    uint32_t count = oid.counter++ & 0xFFFFFF;
    memcpy(b + 4, oid.process, 5);
    pthread_mutex_unlock(&oid.mu);
    b[0] = (unsigned char)(secs >> 24);
    b[1] = (unsigned char)(secs >> 16);
    b[2] = (unsigned char)(secs >> 8);
    b[3] = (unsigned char)secs;
    b[9] = (unsigned char)(count >> 16);
    b[10] = (unsigned char)(count >> 8);
    b[11] = (unsigned char)count;
    hex_encode(b, sizeof b, out);
    out[FC_OBJECTID_LEN] = '\0';
}

int fc_objectid_valid(const char *s)
{
    if (!s)
        return 0;
    for (int i = 0; i < FC_OBJECTID_LEN; i++)
        if (!is_hex(s[i]))
            return 0;
    return s[FC_OBJECTID_LEN] == '\0';
}

int fc_objectid_canon(const char *s, char out[FC_OBJECTID_LEN + 1])
{
    out[0] = '\0';
    if (!fc_objectid_valid(s))
        return -1;
    for (int i = 0; i <= FC_OBJECTID_LEN; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    return 0;
}

fc_status fc_uuid4_new(char out[FC_UUID_LEN + 1], fc_error *err)
{
    unsigned char b[16];
    if (random_bytes(b, sizeof b)) {
        out[0] = '\0';
        return fc_error_set(err, FC_ERR_IO, "no randomness from getrandom or /dev/urandom");
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10xx */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        hex_encode(b + i, 1, p);
        p += 2;
    }
    *p = '\0';
    return FC_OK;
}

int fc_uuid_valid(const char *s, int require_v4)
{
    if (!s)
        return 0;
    for (int i = 0; i < FC_UUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    }
    if (s[FC_UUID_LEN] != '\0')
        return 0;
    if (!require_v4)
        return 1;
    return s[14] == '4' && strchr("89abAB", s[19]) != NULL;
}

/* Writes v as exactly n decimal digits (the low ones) at p. */
static void put_digits(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

void fc_timestamp_format(struct timespec t, char out[FC_TIMESTAMP_LEN + 1])
{
    struct tm tm;
    time_t secs = t.tv_sec;
    gmtime_r(&secs, &tm);
    memcpy(out, "0000-00-00T00:00:00.000000", FC_TIMESTAMP_LEN + 1);
    put_digits(out, tm.tm_year + 1900L, 4);
    put_digits(out + 5, tm.tm_mon + 1L, 2);
    put_digits(out + 8, tm.tm_mday, 2);
    put_digits(out + 11, tm.tm_hour, 2);
    put_digits(out + 14, tm.tm_min, 2);
    put_digits(out + 17, tm.tm_sec, 2);
    put_digits(out + 20, (long)(t.tv_nsec / 1000), 6);
}

void fc_timestamp_now(char out[FC_TIMESTAMP_LEN + 1])
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    fc_timestamp_format(t, out);
}

/* Reads n digits at s into *v; 0, or -1 if one is not a digit. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int fc_timestamp_valid(const char *s)
{
    static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return 0;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in[mo - 1] || h > 23 || mi > 59 || se > 59)
        return 0;
    const char *p = s + 19;
    if (*p == '\0')
        return 1;
    if (*p++ != '.')
        return 0;
    int n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return n >= 1 && n <= 6 && p[n] == '\0';
}

int fc_name_valid(const char *name)
{
    if (!name || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok || n >= FC_NAME_MAX)
            return 0;
    }
    return 1;
}

/* Decodes one UTF-8 sequence at s (strictly: no overlong forms, surrogates or code
 * points past U+10FFFF); returns its length and the code point, or 0 if invalid. */
static int utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len)
        return 0;
    uint32_t c = s[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static locale_t utf8_locale;
static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int fc_user_id_valid(const char *id)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (!id || !*id)
        return 0;
    pthread_once(&once, utf8_locale_init);
    int chars = 0;
    const unsigned char *p = (const unsigned char *)id;
    while (*p) {
        uint32_t cp;
        int len = utf8_decode(p, &cp);
        if (!len || ++chars > FC_USER_ID_MAX)
            return 0;
        int ok;
        if (cp < 0x80)
            ok = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
                 cp == '_' || cp == '-' || cp == '.' || cp == '@';
        else
            ok = utf8_locale != (locale_t)0 && iswalnum_l((wint_t)cp, utf8_locale);
        if (!ok)
            return 0;
        p += len;
    }
    return 1;
}

int fc_norm_collection(const char *bucket, const char *sub, char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    if (!fc_name_valid(bucket) || !fc_name_valid(sub))
        return -1;
    int n = snprintf(out, size, "%s_%s", bucket, sub);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            out[0] = '\0';
        return -1;
    }
    for (char *p = out; *p; p++) {
        if (*p == '/' || *p == '-')
            *p = '_';
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return 0;
}
