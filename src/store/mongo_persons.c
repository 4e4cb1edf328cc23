/* mongo_persons.c - the persons of a run on MongoDB, without I/O: a finish's
 * persons checked against the run's faces before anything is written, and the
 * update that gives each member face its person, grouped for bulk writes. Linear
 * in the faces and persons of the run (an event has tens of thousands of faces). */
#include "store/mongo_int.h"

#include <stdlib.h>
#include <string.h>

static fc_status no_memory(fc_error *err)
{
    return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
}

/* Person i of persons checked and completed into out->persons[i]; face_of = face_id
 * -> index in faces; seen = the person_ids of persons before i, to which i's is
 * added; taken[f] = 1 for each face f it takes. */
static fc_status check_person(const char *id, const fc_face_list *faces, const fc_strmap *face_of,
                              const fc_person_rec *persons, size_t i, fc_strmap *seen, int *taken,
                              fc_mongo_finish_plan *out, fc_error *err)
{
    const fc_person_rec *p = &persons[i];
    fc_person_rec *full = &out->persons[i];
    *full = *p;
    full->members = calloc(p->n_members ? p->n_members : 1, sizeof *full->members);
    if (!full->members)
        return no_memory(err);
    if (fc_strmap_get(seen, p->person_id) >= 0)
        return fc_error_set(err, FC_ERR_ARG, "person %s appears twice", p->person_id);
    if (fc_strmap_put(seen, p->person_id, (int)i))
        return no_memory(err);
    int has_owner = 0;
    for (size_t j = 0; j < p->n_members; j++) {
        int f = fc_strmap_get(face_of, p->members[j].face_id);
        if (f < 0 || taken[f])
            return fc_error_set(err, FC_ERR_ARG, "person %s: face %s is not a face of run %s, or "
                                "is in two persons", p->person_id, p->members[j].face_id, id);
        taken[f] = 1;
        fc_member_rec *mm = &full->members[j];
        *mm = p->members[j];
        mm->image_path = faces->items[f].image_path;
        mm->confidence = faces->items[f].confidence;
        mm->quality_score = faces->items[f].quality_score;
        has_owner |= !strcmp(mm->face_id, p->owner_face_id);
    }
    if (p->owner_face_id[0] && !has_owner)
        return fc_error_set(err, FC_ERR_ARG, "person %s: owner face %s is not one of its members",
                            p->person_id, p->owner_face_id);
    return FC_OK;
}

fc_status fc_mongo_finish_check(const char *id, const fc_face_list *faces,
                                const fc_person_rec *persons, size_t n_persons,
                                fc_mongo_finish_plan *out, fc_error *err)
{
    fc_status rc = FC_OK;
    fc_strmap face_of = {0}, seen = {0};
    memset(out, 0, sizeof *out);
    int *taken = calloc(faces->n ? faces->n : 1, sizeof *taken);
    out->persons = calloc(n_persons ? n_persons : 1, sizeof *out->persons);
    out->unassigned = calloc(faces->n ? faces->n : 1, sizeof *out->unassigned);
    if (!taken || !out->persons || !out->unassigned || fc_face_list_index(faces, &face_of)) {
        rc = no_memory(err);
        goto out;
    }
    out->n_persons = n_persons;
    for (size_t i = 0; !rc && i < n_persons; i++)
        rc = check_person(id, faces, &face_of, persons, i, &seen, taken, out, err);
    for (size_t f = 0; !rc && f < faces->n; f++)
        if (!taken[f])
            out->unassigned[out->n_unassigned++] = faces->items[f].face_id;
out:
    fc_strmap_free(&face_of);
    fc_strmap_free(&seen);
    free(taken);
    return rc;
}

void fc_mongo_finish_plan_free(fc_mongo_finish_plan *plan)
{
    for (size_t i = 0; plan->persons && i < plan->n_persons; i++)
        free(plan->persons[i].members);
    free(plan->persons);
    free(plan->unassigned);
    memset(plan, 0, sizeof *plan);
}

void fc_mongo_member_update(const char *id, const fc_person_rec *p, size_t j, bson_t *sel,
                            bson_t *update)
{
    const fc_member_rec *mm = &p->members[j];
    bson_init(sel);
    bson_init(update);
    BCON_APPEND(sel, "clustering_id", BCON_UTF8(id), "face_id", BCON_UTF8(mm->face_id));
    BCON_APPEND(update, "$set", "{", "person_id", BCON_UTF8(p->person_id), "member_ord",
                BCON_INT64((int64_t)j), "cluster_confidence", BCON_DOUBLE(mm->cluster_confidence),
                "is_owner_face", BCON_BOOL(!strcmp(mm->face_id, p->owner_face_id)), "}");
}

size_t fc_mongo_member_batch(const fc_person_rec *persons, size_t n_persons,
                             fc_mongo_member_pos *at, fc_mongo_member_pos *batch, size_t max)
{
    size_t n = 0;
    while (n < max && at->i < n_persons) {
        if (at->j < persons[at->i].n_members)
            batch[n++] = *at;
        if (++at->j >= persons[at->i].n_members) {
            at->i++;
            at->j = 0;
        }
    }
    return n;
}

/* ---- reading persons back ------------------------------------------------------ */

void fc_mongo_members_query(const char *id, const char *person_id, bson_t **filter, bson_t **opts)
{
    if (person_id) {
        *filter = BCON_NEW("clustering_id", BCON_UTF8(id), "person_id", BCON_UTF8(person_id));
        *opts = BCON_NEW("sort", "{", "member_ord", BCON_INT32(1), "}");
    } else {
        *filter = BCON_NEW("clustering_id", BCON_UTF8(id), "person_id", "{", "$ne", BCON_NULL, "}");
        *opts = BCON_NEW("sort", "{", "person_id", BCON_INT32(1), "member_ord", BCON_INT32(1), "}");
    }
    BCON_APPEND(*opts, "projection", "{", "embedding", BCON_INT32(0), "}");
}

/* to's members: copies of from's (image paths duplicated). */
static fc_status copy_members(fc_person_rec *to, const fc_person_rec *from, fc_error *err)
{
    to->members = calloc(from->n_members ? from->n_members : 1, sizeof *to->members);
    if (!to->members)
        return no_memory(err);
    for (size_t j = 0; j < from->n_members; j++) {
        to->members[j] = from->members[j];
        to->members[j].image_path = NULL;
        if (from->members[j].image_path && !(to->members[j].image_path = strdup(from->members[j].image_path)))
            return no_memory(err);
        to->n_members = j + 1;
    }
    return FC_OK;
}

fc_status fc_mongo_person_members(fc_person_rec *persons, size_t n_persons, fc_face_list *faces,
                                  fc_error *err)
{
    fc_status rc = FC_OK;
    fc_strmap first = {0}; /* person_id -> the first person of that id */
    size_t *count = calloc(n_persons ? n_persons : 1, sizeof *count);
    if (!count)
        return no_memory(err);
    for (size_t i = 0; !rc && i < n_persons; i++)
        if (fc_strmap_get(&first, persons[i].person_id) < 0 &&
            fc_strmap_put(&first, persons[i].person_id, (int)i))
            rc = no_memory(err);
    for (size_t f = 0; !rc && f < faces->n; f++) {
        int p = fc_strmap_get(&first, faces->items[f].person_id);
        if (p >= 0)
            count[p]++;
    }
    for (size_t i = 0; !rc && i < n_persons; i++)
        if (fc_strmap_get(&first, persons[i].person_id) == (int)i &&
            !(persons[i].members = calloc(count[i] ? count[i] : 1, sizeof *persons[i].members)))
            rc = no_memory(err);
    for (size_t f = 0; !rc && f < faces->n; f++) {
        fc_face_rec *face = &faces->items[f];
        int p = fc_strmap_get(&first, face->person_id);
        if (p < 0)
            continue;
        fc_member_rec *mm = &persons[p].members[persons[p].n_members++];
        memcpy(mm->face_id, face->face_id, sizeof mm->face_id);
        mm->image_path = face->image_path;
        face->image_path = NULL;
        mm->confidence = face->confidence;
        mm->quality_score = face->quality_score;
        mm->cluster_confidence = face->cluster_confidence;
    }
    for (size_t i = 0; !rc && i < n_persons; i++) {
        int p = fc_strmap_get(&first, persons[i].person_id);
        if (p != (int)i)
            rc = copy_members(&persons[i], &persons[p], err);
    }
    fc_strmap_free(&first);
    free(count);
    return rc;
}
