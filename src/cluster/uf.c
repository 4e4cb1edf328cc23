/* uf.c - union-find with optional cannot-link: a root knows the images of its members,
 * and a union whose two sides share an image is refused. The smaller side's images are
 * looked up in the larger side's sorted set, then the two sorted sets are merged. */
#include "cluster/internal.h"

#include <stdlib.h>
#include <string.h>

fc_status fc_uf_init(fc_uf *u, int64_t n, const int64_t *image, fc_error *err)
{
    memset(u, 0, sizeof *u);
    if (n < 0 || n > INT32_MAX)
        return fc_error_set(err, FC_ERR_LIMIT, "union-find: %lld items", (long long)n);
    u->n = (int32_t)n;
    size_t m = n ? (size_t)n : 1;
    u->parent = malloc(m * sizeof *u->parent);
    u->size = malloc(m * sizeof *u->size);
    if (image) {
        u->image = image;
        u->set = calloc(m, sizeof *u->set);
        u->n_set = malloc(m * sizeof *u->n_set);
        u->one = malloc(m * sizeof *u->one);
    }
    if (!u->parent || !u->size || (image && (!u->set || !u->n_set || !u->one))) {
        fc_uf_free(u);
        return fc_error_set(err, FC_ERR_NOMEM, "union-find: %lld items", (long long)n);
    }
    for (int32_t i = 0; i < u->n; i++) {
        u->parent[i] = i, u->size[i] = 1;
        if (image) {
            u->n_set[i] = image[i] >= 0;
            u->one[i] = image[i];
        }
    }
    return FC_OK;
}

void fc_uf_free(fc_uf *u)
{
    if (u->set)
        for (int32_t i = 0; i < u->n; i++)
            free(u->set[i]);
    free(u->parent), free(u->size), free(u->set), free(u->n_set), free(u->one);
    memset(u, 0, sizeof *u);
}

int32_t fc_uf_find(fc_uf *u, int32_t a)
{
    while (u->parent[a] != a) {
        u->parent[a] = u->parent[u->parent[a]];
        a = u->parent[a];
    }
    return a;
}

static const int64_t *images_of(const fc_uf *u, int32_t r)
{
    return u->n_set[r] > 1 ? u->set[r] : &u->one[r];
}

static int has_image(const int64_t *s, int32_t n, int64_t img)
{
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (s[mid] < img)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && s[lo] == img;
}

/* Merges root small's images into root big's; 0 or -1 (no memory). */
static int merge_sets(fc_uf *u, int32_t big, int32_t small)
{
    int32_t nb = u->n_set[big], ns = u->n_set[small];
    if (ns == 0)
        return 0;
    if (nb == 0) {
        u->n_set[big] = ns, u->one[big] = u->one[small];
        u->set[big] = u->set[small], u->set[small] = NULL;
        u->n_set[small] = 0;
        return 0;
    }
    int64_t *m = malloc((size_t)(nb + ns) * sizeof *m);
    if (!m)
        return -1;
    const int64_t *a = images_of(u, big), *b = images_of(u, small);
    int32_t i = 0, j = 0, k = 0;
    while (i < nb || j < ns)
        m[k++] = j >= ns || (i < nb && a[i] < b[j]) ? a[i++] : b[j++];
    free(u->set[big]), free(u->set[small]);
    u->set[big] = m, u->set[small] = NULL;
    u->n_set[big] = k, u->n_set[small] = 0;
    return 0;
}

int fc_uf_union(fc_uf *u, int32_t a, int32_t b)
{
    int32_t ra = fc_uf_find(u, a), rb = fc_uf_find(u, b);
    if (ra == rb)
        return FC_UF_SAME;
    if (u->size[ra] < u->size[rb] || (u->size[ra] == u->size[rb] && rb < ra)) {
        int32_t t = ra;
        ra = rb, rb = t;
    }
    if (u->image) {
        int32_t nb = u->n_set[rb], na = u->n_set[ra];
        const int64_t *sb = images_of(u, rb), *sa = images_of(u, ra);
        if (nb > na) { /* look up the smaller set in the larger */
            const int64_t *ts = sa;
            int32_t tn = na;
            sa = sb, na = nb, sb = ts, nb = tn;
        }
        for (int32_t i = 0; i < nb; i++)
            if (has_image(sa, na, sb[i]))
                return FC_UF_REFUSED;
        if (merge_sets(u, ra, rb))
            return FC_UF_NOMEM;
    }
    u->parent[rb] = ra;
    u->size[ra] += u->size[rb];
    return FC_UF_JOINED;
}
