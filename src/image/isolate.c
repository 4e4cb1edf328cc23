/* isolate.c - a codec's probe or decode in a forked child process, for the libraries
 * that kill the process they run in: libheif 1.15 has memory-safety bugs that hostile
 * files reach (the fuzzer found an out-of-bounds write inside heif_decode_image) and
 * aborts on a failed allocation (std::bad_alloc thrown through its C API); libtiff 4.5
 * reads through NULL when an allocation fails in _TIFFMergeFields (LZW, Deflate,
 * unknown tags). A child that dies costs one file and a clear error, not the process.
 *
 * The child writes its answer, and a decode's pixels after it, into a memory file
 * (memfd) that the parent reads once the child has exited: the file takes whatever
 * size the image has, so no limit is set here. The child is made undumpable, so that
 * a crash on a hostile file leaves no core file of a large process, and its stderr
 * goes to /dev/null (an abort's "terminate called ..." would land in the middle of
 * the command's output): the parent's error says what happened. Not in sanitizer
 * builds, whose reports on the child's bugs must be seen. A child that runs longer
 * than MAX_DECODE_SECONDS (a hostile file can keep libheif busy for seconds, a loop
 * for ever) is stopped by its own alarm, so a worker thread or an HTTP request is
 * never held by one file. FC_DECODE_IN_PROCESS=1 runs everything here instead
 * (debugging; no time limit then). */
#define _GNU_SOURCE
#include "image/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child writes at the start of the memory file; a decode's pixels follow,
 * rows of 3 * width bytes. */
typedef struct {
    int done, code;
    fc_image_info info; /* probe */
    int width, height;  /* decode */
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
    unsigned seconds; /* MAX_DECODE_SECONDS; 0: no limit */
} child_job;

static int in_process(void)
{
    const char *v = getenv("FC_DECODE_IN_PROCESS");
    return v && strcmp(v, "1") == 0;
}

/* pwrite (write) or pread of all n bytes at off; 0 on success. */
static int io_all(int fd, void *buf, size_t n, off_t off, int write)
{
    for (size_t done = 0; done < n;) {
        uint8_t *at = (uint8_t *)buf + done;
        off_t pos = off + (off_t)done;
        ssize_t k = write ? pwrite(fd, at, n - done, pos) : pread(fd, at, n - done, pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        done += (size_t)k;
    }
    return 0;
}

static int put_all(int fd, const void *buf, size_t n, off_t off)
{
    return io_all(fd, (void *)buf, n, off, 1);
}

static int get_all(int fd, void *buf, size_t n, off_t off)
{
    return io_all(fd, buf, n, off, 0);
}

/* The pixels of img to fd after the answer, rows of 3 * width bytes; 0 on success. */
static int put_pixels(int fd, const fc_image *img)
{
    size_t row = 3 * (size_t)img->width;
    if ((size_t)img->stride == row)
        return put_all(fd, img->rgb, row * (size_t)img->height, sizeof(child_result));
    for (int y = 0; y < img->height; y++)
        if (put_all(fd, img->rgb + (size_t)y * (size_t)img->stride, row,
                    (off_t)(sizeof(child_result) + row * (size_t)y)))
            return -1;
    return 0;
}

/* Runs in the child: SIGALRM ends it after the given seconds (0: never). The forking
 * thread's mask and handlers were inherited, so the default action and an unblocked
 * signal are set first; threads the codec starts inherit them. */
static void start_alarm(unsigned seconds)
{
    if (!seconds)
        return;
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    alarm(seconds);
}

/* Runs in the child: writes its answer to fd, never returns. */
static void child_work(const child_job *j, int fd)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    start_alarm(j->seconds);
#if !defined(__SANITIZE_ADDRESS__) /* a sanitizer's report on the child must show */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO);
#endif
    child_result r = {0};
    fc_error e = {0};
    if (j->probe) {
        r.code = j->probe(j->d, j->n, &r.info, &e);
    } else {
        fc_image *c = j->decode(j->d, j->n, j->opts, &e);
        if (c && put_pixels(fd, c))
            r.code = fc_error_set(&e, FC_ERR_NOMEM, "%s: no memory to return %dx%d pixels",
                                  j->codec->name, c->width, c->height);
        else if (c)
            r.width = c->width, r.height = c->height;
        else
            r.code = e.code ? e.code : FC_ERR_FORMAT;
    }
    if (r.code)
        snprintf(r.msg, sizeof r.msg, "%s", e.msg[0] ? e.msg : "failed without a reason");
    r.done = 1;
    _exit(put_all(fd, &r, sizeof r, 0) ? 1 : 0);
}

/* Forks, runs j in the child and waits; *r gets the child's answer. On FC_OK, *fd is
 * the memory file (a decode's pixels at sizeof *r) for the caller to close; otherwise
 * err says why the child could not run, died or failed. */
static fc_status run_child(const child_job *j, child_result *r, int *fd, fc_error *err)
{
    const char *name = j->codec->name;
    *fd = memfd_create("fc-decode", MFD_CLOEXEC);
    if (*fd < 0)
        return fc_error_set(err, FC_ERR_NOMEM, "%s: no memory file for the decoder's output: %s",
                            name, strerror(errno));
    fc_status rc = FC_OK;
    pid_t pid = fork();
    if (pid == 0)
        child_work(j, *fd);
    int status = 0;
    if (pid < 0) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: cannot start the decoder process: %s", name,
                          strerror(errno));
        goto out;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    memset(r, 0, sizeof *r);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        rc = fc_error_set(err, FC_ERR_LIMIT,
                          "%s: decoding this file took longer than MAX_DECODE_SECONDS=%u: "
                          "stopped",
                          name, j->seconds);
    else if (!WIFEXITED(status) || get_all(*fd, r, sizeof *r, 0) || !r->done)
        rc = fc_error_set(err, FC_ERR_FORMAT,
                          "%s: the decoder (lib%s) crashed on this file%s%s: refused", name, name,
                          WIFSIGNALED(status) ? ", signal " : "",
                          WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
    else if (r->code)
        rc = fc_error_set(err, (fc_status)r->code, "%.*s", (int)sizeof r->msg - 1, r->msg);
out:
    if (rc) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

fc_status fc_probe_isolated(const fc_image_codec *codec,
                            fc_status (*probe)(const uint8_t *, size_t, fc_image_info *,
                                               fc_error *),
                            const uint8_t *d, size_t n, fc_image_info *out, fc_error *err)
{
    if (in_process())
        return probe(d, n, out, err);
    child_job j = {.codec = codec, .probe = probe, .d = d, .n = n,
                   .seconds = fc_decode_opts_default().limits.max_decode_seconds};
    child_result r;
    int fd;
    fc_status rc = run_child(&j, &r, &fd, err);
    if (rc)
        return rc;
    *out = r.info;
    close(fd);
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
                   .seconds = opts->limits.max_decode_seconds};
    child_result r;
    int fd;
    if (run_child(&j, &r, &fd, err))
        return NULL;
    fc_image *img = fc_image_alloc_checked(codec->name, r.width, r.height, &opts->limits, err);
    size_t row = 3 * (size_t)r.width;
    for (int y = 0; img && y < r.height; y++)
        if (get_all(fd, img->rgb + (size_t)y * (size_t)img->stride, row,
                    (off_t)(sizeof r + row * (size_t)y))) {
            fc_error_set(err, FC_ERR_IO, "%s: the decoder's output is cut short", codec->name);
            fc_image_free(img);
            img = NULL;
        }
    close(fd);
    return img;
}
