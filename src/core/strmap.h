/* strmap.h - a string -> int map (open addressing), for name lookups while
 * building graphs. Keys are borrowed: they must outlive the map. */
#ifndef FC_CORE_STRMAP_H
#define FC_CORE_STRMAP_H

#include <stddef.h>

typedef struct {
    const char **keys;
    int *vals;
    size_t cap, n;
} fc_strmap;

/* Inserts or replaces; returns 0, or -1 when out of memory. */
int fc_strmap_put(fc_strmap *m, const char *key, int val);
/* The value for key, or -1 when absent. */
int fc_strmap_get(const fc_strmap *m, const char *key);
void fc_strmap_free(fc_strmap *m);

#endif
