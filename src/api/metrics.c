/* metrics.c - the Prometheus registry: families (name, help, type) holding series
 * (one label set each), found through a hash table under one mutex; values are
 * atomics updated without the lock. Series are never freed before exit. */
#include "api/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_BUCKETS 512
#define MAX_LABELS_TEXT 1024

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

typedef struct family {
    char *name, *help;
    metric_kind kind;
    struct fc_metric *first, *last; /* series in creation order */
    struct family *next;
} family;

struct fc_metric {
    family *fam;
    char *labels;               /* formatted: a="x",b="y" (may be "") */
    _Atomic uint64_t value;     /* double bits: counter/gauge value, histogram sum */
    _Atomic uint64_t count;     /* histogram observations */
    int n_bounds;
    double *bounds;
    _Atomic uint64_t *buckets;  /* n_bounds + 1 (last: +Inf), not cumulative */
    struct fc_metric *next_in_family, *next_in_hash;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static family *families, *families_last;
static struct fc_metric *table[N_BUCKETS];

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void atomic_add_double(_Atomic uint64_t *p, double v)
{
    uint64_t old = atomic_load_explicit(p, memory_order_relaxed), next;
    do
        next = double_to_bits(bits_to_double(old) + v);
    while (!atomic_compare_exchange_weak_explicit(p, &old, next, memory_order_relaxed,
                                                  memory_order_relaxed));
}

static uint64_t hash_key(const char *name, const char *labels)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = labels; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* Appends text to out[*used..cap), escaping \ " and newline when escape is set.
 * Returns -1 when it does not fit. */
static int append(char *out, size_t cap, size_t *used, const char *text, int escape)
{
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        char one[2] = {*p, 0};
        if (escape && *p == '\\')
            rep = "\\\\";
        else if (escape && *p == '"')
            rep = "\\\"";
        else if (escape && *p == '\n')
            rep = "\\n";
        else
            rep = one;
        size_t n = strlen(rep);
        if (*used + n >= cap)
            return -1;
        memcpy(out + *used, rep, n);
        *used += n;
    }
    out[*used] = '\0';
    return 0;
}

static int format_labels(const char *const *labels, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        if ((i && append(out, cap, &used, ",", 0)) || append(out, cap, &used, labels[i], 0) ||
            append(out, cap, &used, "=\"", 0) || append(out, cap, &used, labels[i + 1], 1) ||
            append(out, cap, &used, "\"", 0))
            return -1;
    }
    return 0;
}

static family *find_family(const char *name)
{
    for (family *f = families; f; f = f->next)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static family *new_family(const char *name, const char *help, metric_kind kind)
{
    family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->kind = kind;
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        free(f);
        return NULL;
    }
    if (families_last)
        families_last->next = f;
    else
        families = f;
    families_last = f;
    return f;
}

static struct fc_metric *new_series(family *f, const char *labels, const double *bounds,
                                    int n_bounds)
{
    struct fc_metric *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->fam = f;
    m->labels = strdup(labels);
    if (f->kind == KIND_HISTOGRAM) {
        m->n_bounds = n_bounds > 0 ? n_bounds : 0;
        m->bounds = calloc((size_t)m->n_bounds + 1, sizeof *m->bounds);
        m->buckets = calloc((size_t)m->n_bounds + 1, sizeof *m->buckets);
        if (m->bounds && m->n_bounds)
            memcpy(m->bounds, bounds, (size_t)m->n_bounds * sizeof *bounds);
    }
    if (!m->labels || (f->kind == KIND_HISTOGRAM && (!m->bounds || !m->buckets))) {
        free(m->labels);
        free(m->bounds);
        free(m->buckets);
        free(m);
        return NULL;
    }
    if (f->last)
        f->last->next_in_family = m;
    else
        f->first = m;
    f->last = m;
    return m;
}

static fc_metric *get_or_create(const char *name, const char *help, const char *const *labels,
                                metric_kind kind, const double *bounds, int n_bounds)
{
    char text[MAX_LABELS_TEXT];
    if (!name || format_labels(labels, text, sizeof text))
        return NULL;
    uint64_t slot = hash_key(name, text) % N_BUCKETS;
    struct fc_metric *m;
    pthread_mutex_lock(&lock);
    for (m = table[slot]; m; m = m->next_in_hash)
        if (!strcmp(m->fam->name, name) && !strcmp(m->labels, text))
            break;
    if (m) {
        if (m->fam->kind != kind)
            m = NULL;
        goto out;
    }
    family *f = find_family(name);
    if (f && f->kind != kind)
        goto out;
    if (!f && !(f = new_family(name, help, kind)))
        goto out;
    m = new_series(f, text, bounds, n_bounds);
    if (m) {
        m->next_in_hash = table[slot];
        table[slot] = m;
    }
out:
    pthread_mutex_unlock(&lock);
    return m;
}

fc_metric *fc_metric_counter(const char *name, const char *help, const char *const *labels)
{
    return get_or_create(name, help, labels, KIND_COUNTER, NULL, 0);
}

fc_metric *fc_metric_gauge(const char *name, const char *help, const char *const *labels)
{
    return get_or_create(name, help, labels, KIND_GAUGE, NULL, 0);
}

fc_metric *fc_metric_histogram(const char *name, const char *help, const char *const *labels,
                               const double *bounds, int n_bounds)
{
    return get_or_create(name, help, labels, KIND_HISTOGRAM, bounds, n_bounds);
}

void fc_metric_add(fc_metric *m, double v)
{
    if (!m || m->fam->kind == KIND_HISTOGRAM || (m->fam->kind == KIND_COUNTER && !(v >= 0)))
        return;
    atomic_add_double(&m->value, v);
}

void fc_metric_set(fc_metric *m, double v)
{
    if (m && m->fam->kind == KIND_GAUGE)
        atomic_store_explicit(&m->value, double_to_bits(v), memory_order_relaxed);
}

void fc_metric_observe(fc_metric *m, double v)
{
    if (!m || m->fam->kind != KIND_HISTOGRAM)
        return;
    int b = 0;
    while (b < m->n_bounds && !(v <= m->bounds[b]))
        b++;
    atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
    atomic_add_double(&m->value, v);
}

double fc_metric_value(const fc_metric *m)
{
    if (!m)
        return 0;
    if (m->fam->kind == KIND_HISTOGRAM)
        return (double)atomic_load_explicit(&m->count, memory_order_relaxed);
    return bits_to_double(atomic_load_explicit(&m->value, memory_order_relaxed));
}

/* A growing output buffer; failure sticks. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} outbuf;

static void outf(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(outbuf *o, const char *fmt, ...)
{
    for (int tries = 0; !o->failed && tries < 2; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if (o->p && o->len + (size_t)n < o->cap) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap ? o->cap : 4096;
        while (cap <= o->len + (size_t)n)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
}

/* Prometheus sample values: integers without a fraction, +Inf/-Inf/NaN spelled out. */
static void out_value(outbuf *o, double v)
{
    if (isnan(v))
        outf(o, "NaN");
    else if (isinf(v))
        outf(o, v > 0 ? "+Inf" : "-Inf");
    else {
        /* the shortest of %.15g..%.17g that reads back as v (0.005, not 0.0050000000000000001) */
        char buf[32];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        outf(o, "%s", buf);
    }
}

static void render_histogram(outbuf *o, const struct fc_metric *m)
{
    const char *name = m->fam->name, *sep = m->labels[0] ? "," : "";
    uint64_t cum = 0;
    for (int b = 0; b <= m->n_bounds; b++) {
        cum += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
        outf(o, "%s_bucket{%s%sle=\"", name, m->labels, sep);
        if (b == m->n_bounds)
            outf(o, "+Inf");
        else
            out_value(o, m->bounds[b]);
        outf(o, "\"} %llu\n", (unsigned long long)cum);
    }
    outf(o, "%s_sum%s%s%s ", name, m->labels[0] ? "{" : "", m->labels, m->labels[0] ? "}" : "");
    out_value(o, bits_to_double(atomic_load_explicit(&m->value, memory_order_relaxed)));
    outf(o, "\n%s_count%s%s%s %llu\n", name, m->labels[0] ? "{" : "", m->labels,
         m->labels[0] ? "}" : "",
         (unsigned long long)atomic_load_explicit(&m->count, memory_order_relaxed));
}

char *fc_metrics_render(size_t *len)
{
    static const char *const kind_names[] = {"counter", "gauge", "histogram"};
    outbuf o = {0};
    outf(&o, "%s", ""); /* an empty registry still renders as "" */
    pthread_mutex_lock(&lock);
    for (const family *f = families; f; f = f->next) {
        outf(&o, "# HELP %s ", f->name);
        for (const char *p = f->help; *p; p++) /* help escapes \ and newline only */
            outf(&o, "%s", *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : (char[2]){*p, 0});
        outf(&o, "\n# TYPE %s %s\n", f->name, kind_names[f->kind]);
        for (const struct fc_metric *m = f->first; m; m = m->next_in_family) {
            if (f->kind == KIND_HISTOGRAM) {
                render_histogram(&o, m);
                continue;
            }
            outf(&o, "%s%s%s%s ", f->name, m->labels[0] ? "{" : "", m->labels,
                 m->labels[0] ? "}" : "");
            out_value(&o, fc_metric_value(m));
            outf(&o, "\n");
        }
    }
    pthread_mutex_unlock(&lock);
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.p;
}
