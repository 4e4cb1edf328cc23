/* heif_refs.c - refuses HEIF files whose derived images reference themselves.
 *
 * libheif 1.15 (Debian 12) follows 'dimg' item references recursively while decoding
 * a derived image (grid, overlay, identity) and never checks for a cycle: a 676-byte
 * file with item 2 -> 2 overflows the stack and kills the process (found by
 * fuzz/fuzz_image_heif.c). Before libheif sees the bytes, this reads the container's
 * meta/iref box itself (every size checked against its parent) and rejects any cycle
 * among 'dimg' references. */
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REFS 4096

typedef struct {
    uint32_t from, to;
} ref;

static uint32_t be(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The box at d[off..end): its type and the bounds of its payload; 0 when malformed. */
static int box_at(const uint8_t *d, size_t off, size_t end, char type[5], size_t *body,
                  size_t *next)
{
    if (end - off < 8)
        return 0;
    uint64_t size = be(d + off, 4), hdr = 8;
    memcpy(type, d + off + 4, 4);
    type[4] = '\0';
    if (size == 1) {
        if (end - off < 16)
            return 0;
        size = (uint64_t)be(d + off + 8, 4) << 32 | be(d + off + 12, 4), hdr = 16;
    } else if (size == 0) {
        size = end - off;
    }
    if (size < hdr || size > end - off)
        return 0;
    *body = off + hdr, *next = off + size;
    return 1;
}

/* Collects the 'dimg' references of the iref box payload d[off..end). */
static int read_iref(const uint8_t *d, size_t off, size_t end, ref *refs, int *n)
{
    if (end - off < 4)
        return 0;
    int w = d[off] == 0 ? 2 : 4; /* version 0: 16-bit item ids */
    char type[5];
    size_t body, next;
    for (off += 4; off < end && box_at(d, off, end, type, &body, &next); off = next) {
        if (next - body < (size_t)w + 2)
            return 0;
        uint32_t from = be(d + body, w), count = be(d + body + w, 2);
        if ((size_t)count * (size_t)w > next - body - (size_t)w - 2)
            return 0;
        for (uint32_t i = 0; i < count && strcmp(type, "dimg") == 0; i++) {
            if (*n == MAX_REFS)
                return 0;
            refs[(*n)++] = (ref){from, be(d + body + w + 2 + (size_t)i * (size_t)w, w)};
        }
    }
    return 1;
}

static int by_from(const void *a, const void *b)
{
    const ref *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from ? 1 : (x->to > y->to) - (x->to < y->to);
}

/* The first reference leaving item id in refs (sorted by from), or n. */
static int first_from(const ref *refs, int n, uint32_t id)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (refs[mid].from < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Depth-first search over the reference graph (refs sorted by from); returns an item
 * on a cycle, or 0 when there is none. An item is known by the index of its first
 * outgoing reference; state[] at that index: 0 new, 1 on the current path, 2 done.
 * base[] and next[] are the path: each item's first reference and the next one to
 * follow. All three arrays hold n entries. */
static uint32_t find_cycle(const ref *refs, int n, unsigned char *state, int *base, int *next)
{
    for (int s = 0; s < n; s = first_from(refs, n, refs[s].from + 1)) {
        if (state[s] || (s > 0 && refs[s - 1].from == refs[s].from))
            continue;
        int top = 0;
        base[0] = next[0] = s, top = 1;
        state[s] = 1;
        while (top > 0) {
            int b = base[top - 1], e = next[top - 1];
            if (e >= n || refs[e].from != refs[b].from) { /* every reference followed */
                state[b] = 2;
                top--;
                continue;
            }
            next[top - 1]++;
            int t = first_from(refs, n, refs[e].to);
            if (t == n || refs[t].from != refs[e].to || state[t] == 2)
                continue; /* an item without references, or one already searched */
            if (state[t] == 1)
                return refs[e].to;
            if (top == n)
                return refs[e].to; /* cannot happen: a path longer than the graph */
            state[t] = 1;
            base[top] = next[top] = t, top++;
        }
    }
    return 0;
}

fc_status fc_heif_check_refs(const uint8_t *d, size_t len, fc_error *err)
{
    char type[5], type2[5];
    size_t body, next, b2, n2;
    ref *refs = NULL;
    int n = 0;
    fc_status rc = FC_OK;
    for (size_t off = 0; off < len && box_at(d, off, len, type, &body, &next); off = next) {
        if (strcmp(type, "meta") != 0 || next - body < 4)
            continue;
        for (size_t o = body + 4; o < next && box_at(d, o, next, type2, &b2, &n2); o = n2) {
            if (strcmp(type2, "iref") != 0)
                continue;
            if (!refs && !(refs = malloc(MAX_REFS * sizeof *refs)))
                return fc_error_set(err, FC_ERR_NOMEM, "heif: no memory for the reference check");
            if (!read_iref(d, b2, n2, refs, &n)) {
                rc = fc_error_set(err, FC_ERR_FORMAT, "heif: malformed item references (iref)");
                goto out;
            }
        }
    }
    if (n > 0) {
        unsigned char *state = calloc((size_t)n, 1);
        int *base = malloc((size_t)n * sizeof *base), *path_next = malloc((size_t)n * sizeof *path_next);
        uint32_t on_cycle = 0;
        if (!state || !base || !path_next)
            rc = fc_error_set(err, FC_ERR_NOMEM, "heif: no memory for the reference check");
        else {
            qsort(refs, (size_t)n, sizeof *refs, by_from);
            on_cycle = find_cycle(refs, n, state, base, path_next);
        }
        free(state);
        free(base);
        free(path_next);
        if (!rc && on_cycle)
            rc = fc_error_set(err, FC_ERR_FORMAT,
                              "heif: derived image %u references itself (a cycle of 'dimg' "
                              "references): refused", (unsigned)on_cycle);
    }
out:
    free(refs);
    return rc;
}
