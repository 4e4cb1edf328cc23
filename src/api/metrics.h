/* metrics.h - a small process-wide registry of Prometheus metrics (counters, gauges,
 * histograms) that any module can add to, rendered by GET /metrics in the text
 * exposition format 0.0.4. Depends on nothing else in src/api.
 *
 *   static const double ms_buckets[] = {0.005, 0.01, 0.05, 0.1, 0.5, 1};
 *   fc_metric *m = fc_metric_histogram("fc_model_seconds", "Model run time",
 *                                      (const char *[]){"model", "detect", NULL},
 *                                      ms_buckets, 6);
 *   fc_metric_observe(m, 0.012);
 *
 * A series is one (name, label set): asking again for the same pair returns the
 * same series, so callers may look it up per event or keep the pointer. Updates are
 * lock-free; every function is thread-safe. A NULL series is accepted everywhere
 * and ignored (what the constructors return when out of memory or when a name is
 * reused with another type or help text). */
#ifndef FC_API_METRICS_H
#define FC_API_METRICS_H

#include <stddef.h>

typedef struct fc_metric fc_metric;

/* Get-or-create a series. name: [a-zA-Z_:][a-zA-Z0-9_:]*; help: one line; labels:
 * NULL, or a NULL-terminated array of key, value, key, value, ... (values are
 * escaped here; keys must be valid label names). */
fc_metric *fc_metric_counter(const char *name, const char *help, const char *const *labels);
fc_metric *fc_metric_gauge(const char *name, const char *help, const char *const *labels);
/* bounds: n_bounds ascending upper bounds (the +Inf bucket is implicit); only the
 * first creation of a series uses them. */
fc_metric *fc_metric_histogram(const char *name, const char *help, const char *const *labels,
                               const double *bounds, int n_bounds);

/* Counters: add v >= 0. Gauges: add any v. */
void fc_metric_add(fc_metric *m, double v);
/* Gauges: set the value. */
void fc_metric_set(fc_metric *m, double v);
/* Histograms: record one observation. */
void fc_metric_observe(fc_metric *m, double v);
/* Current value of a counter or gauge, or the observation count of a histogram
 * (tests, health checks); 0 for NULL. */
double fc_metric_value(const fc_metric *m);

/* Every series in the text format, grouped by name in creation order. Returns a
 * malloc'd NUL-terminated string (caller frees) and its length in *len, or NULL
 * when out of memory. */
char *fc_metrics_render(size_t *len);

#endif
