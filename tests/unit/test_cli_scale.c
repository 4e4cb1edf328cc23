/* test_cli_scale.c - what reads a whole run stays linear in its faces: `persons RUN
 * --json` and the HTML report on a run of 40k faces in 4k persons give every member
 * its own face row (bbox, owner) in member order, and take no more process CPU time
 * than 15 times reading the run's faces and persons from the store.
 *
 * Both once matched each member to its face row by scanning every face of the run:
 * O(faces^2), at 100k faces 111 s for persons --json and 48 s for the report, where
 * reading the rows takes about 1 s. The bound is relative to that read, measured in
 * the same process, so a slow or sanitizer build moves both sides alike; at this
 * size the scan took 40x (report) and 105x (persons) the read, the linear code takes
 * 1.7x and 3.8x. */
#include "test.h"
#include "test_store_fixtures.h"

#include "cli/cli.h"
#include "report/report.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_IMAGES 20000 /* 2 faces each */
#define N_PERSONS 4000
#define MAX_RATIO 15.0 /* CPU time of the command / CPU time of reading the run */

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A done run of N_IMAGES images with 2 faces each in the store at db: person p has
 * the faces p, p + N_PERSONS, p + 2 N_PERSONS, ... (spread over the run, in that
 * order), its owner the last; faces from N_PERSONS * 9 on are unassigned. */
static int make_run(const char *db, char *id)
{
    fx_batch b;
    fc_error err = {0};
    fc_store *s = fx_open(db);
    fc_run_rec run = {0};
    fc_person_rec *ps = calloc(N_PERSONS, sizeof *ps);
    fc_member_rec *ms = calloc(2 * N_IMAGES, sizeof *ms);
    int rc = -1;
    snprintf(run.bucket, sizeof run.bucket, "big");
    snprintf(run.sub, sizeof run.sub, "day1");
    if (!s || !ps || !ms || fx_batch_make(&b, "big/day1", 0, N_IMAGES, 2, 0) ||
        fc_store_run_create(s, &run, &err) ||
        fc_store_run_add_batch(s, run.clustering_id, b.faces, b.n_faces, b.images, b.n_images,
                               &err))
        goto out;
    for (int p = 0; p < N_PERSONS; p++) {
        fc_person_rec *pr = &ps[p];
        snprintf(pr->person_id, sizeof pr->person_id, "person_%d", p);
        pr->members = ms + 9 * p;
        for (int k = 0; k < 9; k++)
            memcpy(pr->members[pr->n_members++].face_id, b.faces[p + k * N_PERSONS].face_id,
                   sizeof(fc_face_id));
        memcpy(pr->owner_face_id, pr->members[8].face_id, sizeof pr->owner_face_id);
    }
    if (fc_store_run_finish(s, &run, ps, N_PERSONS, &err))
        goto out;
    snprintf(id, FC_OBJECTID_LEN + 1, "%s", run.clustering_id);
    rc = 0;
out:
    if (rc)
        printf("  make_run: %s\n", err.msg);
    fx_batch_free(&b);
    free(ps);
    free(ms);
    fc_store_close(s);
    return rc;
}

/* CPU seconds of reading run id's faces and persons from the store at db, or -1. */
static double read_run_s(const char *db, const char *id, fc_face_list *faces,
                         fc_person_list *persons)
{
    fc_error err = {0};
    double t0 = cpu_s();
    fc_store *s = fx_open(db);
    int bad = !s || fc_store_face_list(s, id, NULL, 0, faces, &err) ||
              fc_store_person_list(s, id, NULL, persons, &err);
    fc_store_close(s);
    return bad ? -1 : cpu_s() - t0;
}

/* Runs `persons ID --json` with stdout to out_path; its CPU seconds, or -1. */
static double persons_json_s(const char *id, const char *out_path)
{
    char arg[FC_OBJECTID_LEN + 1];
    snprintf(arg, sizeof arg, "%s", id);
    char *argv[] = {arg, "--json", NULL};
    fflush(stdout);
    int saved = dup(1), fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (saved < 0 || fd < 0 || dup2(fd, 1) != 1)
        return -1;
    close(fd);
    double t0 = cpu_s();
    int rc = fc_cli_persons(2, argv);
    fflush(stdout);
    double t = cpu_s() - t0;
    dup2(saved, 1);
    close(saved);
    return rc ? -1 : t;
}

/* The tests' folder: the CLI's FC_DATA_DIR, its database {dir}/facecluster.db. */
static void data_dir(char *dir, size_t size)
{
    snprintf(dir, size, "%s/cli_scale", fc_test_tmpdir());
}

/* The tests' run, made once, in the database of data_dir. */
static int setup(char *db, size_t size, char *id)
{
    static char made[FC_OBJECTID_LEN + 1];
    char dir[512];
    data_dir(dir, sizeof dir);
    snprintf(db, size, "%s/facecluster.db", dir);
    if (!made[0]) {
        mkdir(dir, 0777);
        unlink(db);
        if (make_run(db, made))
            return -1;
    }
    snprintf(id, FC_OBJECTID_LEN + 1, "%s", made);
    return 0;
}

TEST(cli_persons_json_linear)
{
    char db[600], id[FC_OBJECTID_LEN + 1], out[700], dir[512];
    const char *saved = getenv("FC_DATA_DIR");
    char *saved_copy = saved ? strdup(saved) : NULL;
    fc_face_list faces = {0};
    fc_person_list persons = {0};
    int ok = setup(db, sizeof db, id) == 0;
    double t_read = ok ? read_run_s(db, id, &faces, &persons) : -1;
    data_dir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/persons.jsonl", dir);
    setenv("FC_DATA_DIR", dir, 1);
    double t_cmd = t_read > 0 ? persons_json_s(id, out) : -1;
    if (saved_copy)
        setenv("FC_DATA_DIR", saved_copy, 1);
    else
        unsetenv("FC_DATA_DIR");
    free(saved_copy);
    CHECK(t_read > 0 && t_cmd > 0);
    printf("  40k faces: reading the run %.3f s CPU, persons --json %.3f s\n", t_read, t_cmd);
    /* every person's faces are its members, in order, each with its own row */
    FILE *f = fopen(out, "r");
    CHECK(f);
    char *line = NULL;
    size_t cap = 0, n_persons = 0, n_unassigned = 0;
    int good = 1;
    while (good && getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        json_t *fa = json_object_get(o, "faces");
        if (!fa) {
            n_unassigned = json_array_size(json_object_get(o, "unassigned"));
            json_decref(o);
            continue;
        }
        const fc_person_rec *pr = &persons.items[n_persons++];
        good = n_persons <= persons.n && json_array_size(fa) == pr->n_members;
        for (size_t m = 0; good && m < pr->n_members; m++) {
            json_t *x = json_array_get(fa, m);
            const char *fid = json_string_value(json_object_get(x, "face_id"));
            size_t i = (n_persons - 1) + m * N_PERSONS; /* faces are in stored order */
            good = fid && !strcmp(fid, pr->members[m].face_id) && i < faces.n &&
                   !strcmp(faces.items[i].face_id, fid) &&
                   json_integer_value(json_array_get(json_object_get(x, "bbox"), 0)) ==
                       faces.items[i].bbox[0] &&
                   json_is_true(json_object_get(x, "is_owner")) == (m == 8);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    size_t n_faces = faces.n;
    fc_face_list_free(&faces);
    fc_person_list_free(&persons);
    CHECK(good && n_persons == N_PERSONS);
    CHECK(n_unassigned == n_faces - 9 * N_PERSONS);
    CHECK_MSG(t_cmd < MAX_RATIO * t_read, "persons --json took %.2f s, %.0fx reading the run",
              t_cmd, t_cmd / t_read);
    return FC_TEST_PASS;
}

TEST(report_linear)
{
    char db[600], id[FC_OBJECTID_LEN + 1], html[700], dir[512];
    fc_face_list faces = {0};
    fc_person_list persons = {0};
    fc_error err = {0};
    CHECK(setup(db, sizeof db, id) == 0);
    double t_read = read_run_s(db, id, &faces, &persons);
    size_t n_faces = faces.n;
    fc_face_list_free(&faces);
    fc_person_list_free(&persons);
    CHECK(t_read > 0);
    /* no image files: every face gets the 'image unavailable' placeholder */
    fc_source *src = fc_source_local_new(fc_test_tmpdir(), &err);
    fc_store *s = fx_open(db);
    data_dir(dir, sizeof dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    double t0 = cpu_s();
    fc_status rc = s && src ? fc_report_write(s, src, id, html, NULL, NULL, &err) : FC_ERR_IO;
    double t_cmd = cpu_s() - t0;
    fc_store_close(s);
    fc_source_free(src);
    CHECK_OK(rc, &err);
    printf("  40k faces: reading the run %.3f s CPU, report %.3f s\n", t_read, t_cmd);
    /* each face once; each person's owner (its 9th member) first */
    FILE *f = fopen(html, "r");
    CHECK(f);
    char *line = NULL;
    size_t cap = 0, n_figures = 0, n_owner_first = 0;
    int first = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strstr(line, "<div class=\"faces\">"))
            first = 1;
        if (!strstr(line, "<figure"))
            continue;
        n_figures++;
        n_owner_first += first && strstr(line, "<figure class=\"face owner\">") != NULL;
        first = 0;
    }
    free(line);
    fclose(f);
    CHECK(n_figures == n_faces);
    CHECK(n_owner_first == N_PERSONS);
    CHECK_MSG(t_cmd < MAX_RATIO * t_read, "the report took %.2f s, %.0fx reading the run", t_cmd,
              t_cmd / t_read);
    return FC_TEST_PASS;
}
