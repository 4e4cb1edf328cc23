/* detect.c - `facecluster detect IMG...`: faces of each image as one JSON line, in
 * the order given, from T worker threads sharing one pipeline. */
#include "cli/cli.h"

#include "cli/cli_util.h"
#include "core/clock.h"
#include "core/json.h"
#include "face/pipeline.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: facecluster detect IMG... [--embeddings] [--crops DIR] [--threads T]\n"
    "\n"
    "Prints one JSON line per image, in order: {\"image\", \"width\", \"height\", \"faces\":\n"
    "[{\"bbox\": [x,y,w,h], \"landmarks\": [[x,y] x5], \"score\", \"quality_score\", \"blur\",\n"
    "\"pose\", \"size\", ...}]}, or {\"image\", \"error\"} for a file that cannot be read or\n"
    "decoded (the exit status is then 1, after all images). Coordinates are pixels of the\n"
    "photo as displayed (EXIF orientation applied).\n"
    "\n"
    "  --embeddings   add each face's \"embedding\" (L2-normalised)\n"
    "  --crops DIR    write the aligned faces to DIR/<image name>_<i>.png (DIR is made\n"
    "                 if missing; each face's \"crop\" names its file). Images of one\n"
    "                 name from several folders: the 2nd is <name>~2_<i>.png, ...\n"
    "  --threads T    images processed at once (default: cores)\n"
    "\n"
    "Models and thresholds come from the environment (DETECTOR, EMBEDDER,\n"
    "DETECT_MODEL_PATH, YOLO_MODEL_PATH, EMBED_MODEL_PATH, FC_MODELS_DIR, MIN_FACE_SIZE, ...).\n"
    "With several images, stderr shows progress (on a terminal) and a summary line.\n";

typedef struct {
    char **images;
    int n_images;
    int embeddings, threads;
    const char *crops_dir;
    char **crop_stems; /* per image, with --crops: see crop_stems() */
} detect_args;

/* Shared by the worker threads; everything below mu is guarded by it. */
typedef struct {
    const detect_args *args;
    fc_pipeline *pipe;
    size_t max_bytes;
    pthread_mutex_t mu;
    int next;           /* next image to take */
    int next_print;     /* next line to print */
    char **lines;       /* finished lines not printed yet */
    int n_failed, n_faces;
    int progress;       /* stderr is a terminal: show "i/N" as images finish */
} detect_job;

static int parse_args(int argc, char **argv, detect_args *a)
{
    a->images = calloc((size_t)(argc > 0 ? argc : 1), sizeof *a->images);
    if (!a->images)
        return -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--embeddings")) {
            a->embeddings = 1;
        } else if (!strcmp(arg, "--crops") && i + 1 < argc) {
            a->crops_dir = argv[++i];
        } else if (!strcmp(arg, "--threads") && i + 1 < argc) {
            if ((a->threads = fc_cli_parse_int(argv[++i], 1, 256)) < 0) {
                fprintf(stderr, "facecluster detect: --threads takes 1..256\n");
                return -1;
            }
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "facecluster detect: unexpected argument '%s'\n", arg);
            return -1;
        } else {
            a->images[a->n_images++] = argv[i];
        }
    }
    return a->n_images ? 0 : -1;
}

static json_t *point_json(fc_point p)
{
    return json_pack("[f,f]", (double)p.x, (double)p.y);
}

static json_t *face_json(const fc_face *f, int dim, int with_embedding, const char *crop)
{
    json_t *lm = json_array();
    for (int j = 0; j < 5; j++)
        json_array_append_new(lm, point_json(f->landmarks[j]));
    json_t *o = json_pack("{s:[f,f,f,f],s:o,s:f,s:f,s:f,s:f,s:f,s:s}", "bbox", (double)f->box.x1,
                          (double)f->box.y1, (double)(f->box.x2 - f->box.x1),
                          (double)(f->box.y2 - f->box.y1), "landmarks", lm, "score", (double)f->score,
                          "quality_score", (double)f->quality_score, "blur", (double)f->blur, "pose",
                          (double)f->pose, "size", (double)f->size, "landmarks_from",
                          f->landmarks_from ? "landmark_model" : "detector");
    if (o && with_embedding && f->embedding) {
        json_t *e = json_array();
        for (int k = 0; k < dim; k++)
            json_array_append_new(e, json_real(f->embedding[k]));
        json_object_set_new(o, "embedding", e);
    }
    if (o && crop)
        json_object_set_new(o, "crop", json_string(crop));
    return o;
}

/* The file name of an image without folders and extension, malloc'd. */
static char *name_stem(const char *image)
{
    const char *base = strrchr(image, '/');
    base = base ? base + 1 : image;
    const char *dot = strrchr(base, '.');
    return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static char *const *sort_stems;
static int cmp_stem_then_index(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(sort_stems[x], sort_stems[y]);
    return c ? c : (x > y) - (x < y);
}

/* 1 if some stems[order[i]] equals name (order sorts stems). */
static int stem_taken(char *const *stems, const int *order, int n, const char *name)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(stems[order[mid]], name);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The crop file stem of each image: its name without folders and extension, and for
 * the 2nd, 3rd ... image of a name already given (in argument order) "<name>~2",
 * "<name>~3" ..., skipping any an image is named, so no two images write the same
 * crop file. Distinct stems give distinct files: "<stem>_<i>" ends in digits, and a
 * generated "<name>~<k>" belongs to one name. NULL when out of memory. */
static char **crop_stems(char **images, int n)
{
    char **stems = calloc((size_t)n, sizeof *stems);
    int *order = malloc((size_t)n * sizeof *order);
    int ok = stems && order;
    for (int i = 0; ok && i < n; i++)
        ok = (stems[i] = name_stem(images[i])) != NULL, order[i] = i;
    if (ok) {
        sort_stems = stems;
        qsort(order, (size_t)n, sizeof *order, cmp_stem_then_index);
    }
    char **out = ok ? calloc((size_t)n, sizeof *out) : NULL;
    ok = out != NULL;
    for (int i = 0, k = 2; ok && i < n; i++) {
        const char *stem = stems[order[i]];
        if (i == 0 || strcmp(stem, stems[order[i - 1]]) != 0) {
            out[order[i]] = strdup(stem);
            k = 2;
        } else {
            char buf[4096];
            do
                snprintf(buf, sizeof buf, "%s~%d", stem, k++);
            while (stem_taken(stems, order, n, buf));
            out[order[i]] = strdup(buf);
        }
        ok = out[order[i]] != NULL;
    }
    for (int i = 0; stems && i < n; i++)
        free(stems[i]);
    free(stems);
    free(order);
    if (!ok && out) {
        for (int i = 0; i < n; i++)
            free(out[i]);
        free(out);
        out = NULL;
    }
    return out;
}

/* DIR/<stem>_<i>.png for face i */
static fc_status crop_path(const char *dir, const char *stem, int i, char *path, size_t size,
                           fc_error *err)
{
    int n = snprintf(path, size, "%s/%s_%d.png", dir, stem, i);
    if (n < 0 || (size_t)n >= size)
        return fc_error_set(err, FC_ERR_ARG, "crop path too long");
    return FC_OK;
}

static fc_status write_crops(const char *dir, const char *stem, const fc_faces *faces,
                             fc_error *err)
{
    for (int i = 0; i < faces->n_faces; i++) {
        char path[4096];
        fc_status rc = crop_path(dir, stem, i, path, sizeof path, err);
        if (!rc)
            rc = fc_image_write_png(faces->crops[i], path, err);
        if (rc)
            return rc;
    }
    return FC_OK;
}

/* The JSON line for one image (malloc'd); counts what it found into job. */
static char *process_one(detect_job *job, int index, int *faces_found, int *failed)
{
    const detect_args *a = job->args;
    const char *path = a->images[index];
    const char *stem = a->crops_dir ? a->crop_stems[index] : NULL;
    fc_error err = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    fc_faces *faces = NULL;
    json_t *o = json_pack("{s:o}", "image", fc_json_text(path));
    fc_status rc = fc_cli_read_file(path, job->max_bytes, &data, &len, &err);
    if (!rc)
        rc = fc_pipeline_run(job->pipe, data, len, &faces, &err);
    if (!rc && stem)
        rc = write_crops(a->crops_dir, stem, faces, &err);
    if (rc) {
        json_object_set_new(o, "error", fc_json_text(err.msg[0] ? err.msg : fc_strerror(rc)));
        *failed = 1;
    } else {
        json_object_set_new(o, "width", json_integer(faces->width));
        json_object_set_new(o, "height", json_integer(faces->height));
        json_t *arr = json_array();
        for (int i = 0; i < faces->n_faces; i++) {
            char crop[4096];
            int named = stem && crop_path(a->crops_dir, stem, i, crop, sizeof crop, NULL) == FC_OK;
            json_array_append_new(arr, face_json(&faces->faces[i], faces->dim, a->embeddings,
                                                 named ? crop : NULL));
        }
        json_object_set_new(o, "faces", arr);
        if (faces->retried)
            json_object_set_new(o, "border_retry", json_true());
        *faces_found = faces->n_faces;
    }
    char *line = fc_json_dump(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
    json_decref(o);
    fc_faces_free(faces);
    free(data);
    return line;
}

static void *worker_main(void *arg)
{
    detect_job *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->mu);
        int i = job->next < job->args->n_images ? job->next++ : -1;
        pthread_mutex_unlock(&job->mu);
        if (i < 0)
            return NULL;
        int found = 0, failed = 0;
        char *line = process_one(job, i, &found, &failed);
        pthread_mutex_lock(&job->mu);
        job->lines[i] = line ? line : strdup("{\"error\":\"out of memory\"}");
        job->n_failed += failed;
        job->n_faces += found;
        /* print every finished line in order */
        while (job->next_print < job->args->n_images && job->lines[job->next_print]) {
            puts(job->lines[job->next_print]);
            free(job->lines[job->next_print]);
            job->lines[job->next_print] = NULL;
            job->next_print++;
        }
        fflush(stdout);
        if (job->progress)
            fprintf(stderr, "\rdetect: %d/%d images, %d faces", job->next_print, job->args->n_images,
                    job->n_faces);
        pthread_mutex_unlock(&job->mu);
    }
}

int fc_cli_detect(int argc, char **argv)
{
    detect_args a = {0};
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    int status = 1;
    fc_error err = {0};
    fc_pipeline_config cfg;
    detect_job job = {.args = &a, .mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_t *tids = NULL;
    if (parse_args(argc, argv, &a)) {
        fputs(usage_text, stderr);
        status = 2;
        goto out;
    }
    if (!a.threads) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        a.threads = cores > 0 ? (int)cores : 1;
    }
    if (a.threads > a.n_images)
        a.threads = a.n_images;
    if (a.crops_dir && mkdir(a.crops_dir, 0755) != 0 && errno != EEXIST) {
        fc_error_set(&err, FC_ERR_IO, "--crops %s: %s", a.crops_dir, strerror(errno));
        goto out;
    }
    if (a.crops_dir && !(a.crop_stems = crop_stems(a.images, a.n_images))) {
        fc_error_set(&err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (fc_pipeline_config_from_env(&cfg, &err))
        goto out;
    cfg.embed = a.embeddings;
    cfg.keep_crops = a.crops_dir != NULL;
    cfg.workers = a.threads;
    if (!(job.pipe = fc_pipeline_new(&cfg, &err)))
        goto out;
    job.max_bytes = cfg.limits.max_bytes;
    job.lines = calloc((size_t)a.n_images, sizeof *job.lines);
    tids = calloc((size_t)a.threads, sizeof *tids);
    if (!job.lines || !tids) {
        fc_error_set(&err, FC_ERR_NOMEM, "out of memory");
        goto out;
    }
    job.progress = a.n_images > 1 && isatty(STDERR_FILENO);
    double t0 = fc_now_s();
    int started = 0;
    for (; started < a.threads; started++)
        if (pthread_create(&tids[started], NULL, worker_main, &job))
            break;
    if (!started)
        worker_main(&job);
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    double secs = fc_now_s() - t0;
    if (job.progress)
        fputc('\n', stderr);
    if (a.n_images > 1)
        fprintf(stderr, "detect: %d images, %d failed, %d faces, %.2f s, %.2f images/s (%d threads)\n",
                a.n_images, job.n_failed, job.n_faces, secs, secs > 0 ? a.n_images / secs : 0.0, a.threads);
    status = job.n_failed ? 1 : 0;
out:
    if (err.code)
        fprintf(stderr, "facecluster detect: %s\n", err.msg);
    fc_pipeline_free(job.pipe);
    free(job.lines);
    free(tids);
    for (int i = 0; a.crop_stems && i < a.n_images; i++)
        free(a.crop_stems[i]);
    free(a.crop_stems);
    free(a.images);
    return status;
}
