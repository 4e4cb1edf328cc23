/* isolate.c - a codec's probe or decode in a forked child process, for the libraries
 * that kill the process they run in: libheif 1.15 has memory-safety bugs that hostile
 * files reach (the fuzzer found an out-of-bounds write inside heif_decode_image) and
 * aborts on a failed allocation (std::bad_alloc thrown through its C API); libtiff 4.5
 * reads through NULL when an allocation fails in _TIFFMergeFields (LZW, Deflate,
 * unknown tags). A child that dies costs one file and a clear error, not the process.
 *
 * The child writes its answer into a shared anonymous mapping sized for the pixel
 * limit (MAP_NORESERVE: pages are only touched as written), then _exits. It is made
 * undumpable, so that a crash on a hostile file leaves no core file of a large
 * process, and its stderr goes to /dev/null (an abort's "terminate called ..." would
 * land in the middle of the command's output): the parent's error says what happened.
 * Not in sanitizer builds, whose reports on the child's bugs must be seen.
 * FC_DECODE_IN_PROCESS=1 runs everything here instead (debugging). */
#include "image/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child leaves in shared memory; a decode's pixels follow it. */
typedef struct {
    int done, code;
    fc_image_info info; /* probe */
    int width, height;  /* decode: pixels of 3 * width bytes per row */
    char msg[sizeof(((fc_error *)0)->msg)];
} child_result;

/* The work of one child: a probe (decode NULL) or a decode. */
typedef struct {
    const fc_image_codec *codec;
    fc_status (*probe)(const uint8_t *d, size_t n, fc_image_info *out, fc_error *err);
    fc_image *(*decode)(const uint8_t *d, size_t n, const fc_decode_opts *opts, fc_error *err);
    const uint8_t *d;
    size_t n;
    const fc_decode_opts *opts;
    uint64_t max_px; /* pixels the mapping holds */
} child_job;

static int in_process(void)
{
    const char *v = getenv("FC_DECODE_IN_PROCESS");
    return v && strcmp(v, "1") == 0;
}

/* Runs in the child: fills r, never returns. */
static void child_work(const child_job *j, child_result *r)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#if !defined(__SANITIZE_ADDRESS__) /* a sanitizer's report on the child must show */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO);
#endif
    fc_error e = {0};
    if (j->probe) {
        r->code = j->probe(j->d, j->n, &r->info, &e);
    } else {
        fc_image *c = j->decode(j->d, j->n, j->opts, &e);
        if (c && (uint64_t)c->width * (uint64_t)c->height <= j->max_px) {
            for (int y = 0; y < c->height; y++)
                memcpy((uint8_t *)(r + 1) + (size_t)y * 3 * (size_t)c->width,
                       c->rgb + (size_t)y * (size_t)c->stride, 3 * (size_t)c->width);
            r->width = c->width, r->height = c->height;
        } else if (c) {
            r->code = fc_error_set(&e, FC_ERR_LIMIT,
                                   "%s: %dx%d pixels, more than the %llu the decoder process "
                                   "can return", j->codec->name, c->width, c->height,
                                   (unsigned long long)j->max_px);
        } else {
            r->code = e.code ? e.code : FC_ERR_FORMAT;
        }
    }
    if (r->code)
        memcpy(r->msg, e.msg[0] ? e.msg : "failed without a reason", sizeof r->msg);
    r->done = 1;
    _exit(0);
}

/* Forks, runs j in the child and waits. On FC_OK *out is the mapping (size *size)
 * holding the child's answer, for the caller to munmap; otherwise err says why the
 * child could not run, died or failed. */
static fc_status run_child(const child_job *j, child_result **out, size_t *size, fc_error *err)
{
    const char *name = j->codec->name;
    *size = sizeof(child_result) + (j->decode ? (size_t)j->max_px * 3 : 0);
    child_result *r = mmap(NULL, *size, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return fc_error_set(err, FC_ERR_NOMEM, "%s: no memory for the decoder's output", name);
    fc_status rc = FC_OK;
    pid_t pid = fork();
    if (pid == 0)
        child_work(j, r);
    int status = 0;
    if (pid < 0) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: cannot start the decoder process: %s", name,
                          strerror(errno));
        goto out;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || !r->done)
        rc = fc_error_set(err, FC_ERR_FORMAT,
                          "%s: the decoder (lib%s) crashed on this file%s%s: refused", name, name,
                          WIFSIGNALED(status) ? ", signal " : "",
                          WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
    else if (r->code)
        rc = fc_error_set(err, (fc_status)r->code, "%.*s", (int)sizeof r->msg - 1, r->msg);
out:
    if (rc)
        munmap(r, *size);
    else
        *out = r;
    return rc;
}

fc_status fc_probe_isolated(const fc_image_codec *codec,
                            fc_status (*probe)(const uint8_t *, size_t, fc_image_info *,
                                               fc_error *),
                            const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    if (in_process())
        return probe(d, n, out, err);
    child_job j = {.codec = codec, .probe = probe, .d = d, .n = n};
    child_result *r;
    size_t size;
    fc_status rc = run_child(&j, &r, &size, err);
    if (rc)
        return rc;
    *out = r->info;
    munmap(r, size);
    return FC_OK;
}

fc_image *fc_decode_isolated(const fc_image_codec *codec,
                             fc_image *(*decode)(const uint8_t *, size_t,
                                                 const fc_decode_opts *, fc_error *),
                             const uint8_t *d, size_t n, const fc_decode_opts *opts,
                             fc_error *err)
{
    if (in_process())
        return decode(d, n, opts, err);
    child_job j = {.codec = codec, .decode = decode, .d = d, .n = n, .opts = opts,
                   .max_px = opts->limits.max_pixels ? opts->limits.max_pixels
                                                     : FC_IMAGE_DEFAULT_MAX_PIXELS};
    child_result *r;
    size_t size;
    if (run_child(&j, &r, &size, err))
        return NULL;
    fc_image *img = fc_image_alloc_checked(codec->name, r->width, r->height, &opts->limits, err);
    for (int y = 0; img && y < r->height; y++)
        memcpy(img->rgb + (size_t)y * (size_t)img->stride,
               (const uint8_t *)(r + 1) + (size_t)y * 3 * (size_t)r->width, 3 * (size_t)r->width);
    munmap(r, size);
    return img;
}
