/* records.c - see records.h: clearing records and lists. */
#include "store/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const run_status_names[] = {
    [FC_RUN_RUNNING] = "running",
    [FC_RUN_DONE] = "done",
    [FC_RUN_FAILED] = "failed",
};

const char *fc_run_status_name(fc_run_status st)
{
    return (unsigned)st < sizeof run_status_names / sizeof run_status_names[0]
               ? run_status_names[st]
               : "unknown";
}

int fc_run_status_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof run_status_names / sizeof run_status_names[0]; i++)
        if (!strcmp(name, run_status_names[i]))
            return (int)i;
    return -1;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void fc_profile_rec_clear(fc_profile_rec *r)
{
    if (!r)
        return;
    free(r->embedding);
    memset(r, 0, sizeof *r);
}

void fc_face_rec_clear(fc_face_rec *r)
{
    if (!r)
        return;
    free(r->image_path);
    free(r->embedding);
    memset(r, 0, sizeof *r);
}

void fc_image_rec_clear(fc_image_rec *r)
{
    if (!r)
        return;
    free(r->image_path);
    free(r->reason);
    free(r->fingerprint);
    memset(r, 0, sizeof *r);
}

void fc_person_rec_clear(fc_person_rec *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->members && i < r->n_members; i++)
        free(r->members[i].image_path);
    free(r->members);
    free(r->owner_embedding);
    free(r->centroid);
    memset(r, 0, sizeof *r);
}

void fc_run_rec_clear(fc_run_rec *r)
{
    if (!r)
        return;
    free(r->error);
    free(r->image_overlap_stats);
    free(r->processing_stats);
    free(r->params);
    memset(r, 0, sizeof *r);
}

void fc_assignment_rec_clear(fc_assignment_rec *r)
{
    if (!r)
        return;
    strv_free(r->image_paths, r->n_image_paths);
    strv_free(r->face_ids, r->n_face_ids);
    memset(r, 0, sizeof *r);
}

/* One list-freeing function per record type, all the same shape. */
#define LIST_FREE(list_type, clear)                                                         \
    void list_type##_free(list_type *l)                                                     \
    {                                                                                       \
        if (!l)                                                                             \
            return;                                                                         \
        for (size_t i = 0; i < l->n; i++)                                                   \
            clear(&l->items[i]);                                                            \
        free(l->items);                                                                     \
        l->items = NULL;                                                                    \
        l->n = 0;                                                                           \
    }

static void collection_rec_clear(fc_collection_rec *r) { (void)r; }

LIST_FREE(fc_profile_list, fc_profile_rec_clear)
LIST_FREE(fc_face_list, fc_face_rec_clear)
LIST_FREE(fc_image_list, fc_image_rec_clear)
LIST_FREE(fc_person_list, fc_person_rec_clear)
LIST_FREE(fc_run_list, fc_run_rec_clear)
LIST_FREE(fc_assignment_list, fc_assignment_rec_clear)
LIST_FREE(fc_collection_list, collection_rec_clear)

int fc_face_list_index(const fc_face_list *l, fc_strmap *by_id)
{
    for (size_t i = 0; i < l->n; i++)
        if (fc_strmap_put(by_id, l->items[i].face_id, (int)i))
            return -1;
    return 0;
}

void *fc_rec_append(void **items, size_t *n, size_t elem_size)
{
    /* capacity is implicit: 0, then 8, 16, 32, ... so it grows when n is 0 or a
       power of two from 8 on */
    if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
        size_t cap = *n == 0 ? 8 : 2 * *n;
        if (cap > SIZE_MAX / elem_size)
            return NULL;
        void *grown = realloc(*n == 0 ? NULL : *items, cap * elem_size);
        if (!grown)
            return NULL;
        *items = grown;
    }
    char *slot = (char *)*items + *n * elem_size;
    memset(slot, 0, elem_size);
    (*n)++;
    return slot;
}

int fc_bucket_path(const char *bucket, const char *sub, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", bucket, sub);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int fc_collection_norm(const char *name, char *out, size_t size)
{
    static const char *const prefixes[] = {"person_clustering_", "person_faces_"};
    if (size > 0)
        out[0] = '\0';
    for (size_t i = 0; name && i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t len = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], len) != 0)
            continue;
        const char *norm = name + len;
        size_t n = strlen(norm);
        if (n < 3 || n >= FC_NORM_MAX || n >= size || !strchr(norm, '_') ||
            strspn(norm, "abcdefghijklmnopqrstuvwxyz0123456789._") != n)
            return -1;
        memcpy(out, norm, n + 1);
        return 0;
    }
    return -1;
}
