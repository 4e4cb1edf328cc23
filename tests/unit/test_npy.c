/* test_npy.c - .npy files (src/core/npy.c): what fc_npy_write writes reads back,
 * the dtypes converted on reading, and headers that promise more than the file
 * holds. */
#include "test.h"

#include "core/alloc.h"
#include "core/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A version 1.0 .npy file: header dict (padded as numpy does) + data bytes. */
static int write_npy(const char *path, const char *dict, const void *data, size_t len)
{
    char header[256];
    int n = snprintf(header, sizeof header, "%s", dict);
    while ((10 + n + 1) % 64 && n < (int)sizeof header - 2)
        header[n++] = ' ';
    header[n++] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff),
                             (unsigned char)(n >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)n, f) == (size_t)n &&
             (!len || fwrite(data, 1, len, f) == len);
    return fclose(f) == 0 && ok ? 0 : -1;
}

TEST(npy_round_trip_and_conversions)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/t.npy", fc_test_tmpdir());
    float v[6] = {1.5f, -2, 0.25f, 3, 4, 5};
    fc_tensor t = {.dtype = FC_DT_FLOAT, .shape = fc_shape_make(2, (int64_t[]){2, 3}), .data = v};
    fc_error err = {0};
    CHECK_OK(fc_npy_write(path, &t, &err), &err);
    fc_tensor back;
    CHECK_OK(fc_npy_read(path, &back, &err), &err);
    CHECK(back.dtype == FC_DT_FLOAT && fc_shape_equal(&back.shape, &t.shape));
    CHECK(!memcmp(back.data, v, sizeof v));
    fc_aligned_free(back.data);

    int32_t i4[3] = {1, -2, INT32_MIN};
    CHECK(!write_npy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i4, sizeof i4));
    CHECK_OK(fc_npy_read(path, &back, &err), &err);
    CHECK(back.dtype == FC_DT_INT64 && back.shape.ndim == 1 && back.shape.d[0] == 3);
    CHECK(((int64_t *)back.data)[1] == -2 && ((int64_t *)back.data)[2] == INT32_MIN);
    fc_aligned_free(back.data);
    return FC_TEST_PASS;
}

/* Found by fuzz/fuzz_responses.c (libFuzzer out-of-memory): a 150-byte file whose
 * header declares shape (2, 1, 1, 222222222, 2, 1) of float32 made fc_npy_read
 * allocate and zero 3.5 GB, then 3.5 GB more, before finding the data missing.
 * The data is now read before the array is allocated, into memory that grows as it
 * arrives; an int32 file whose data fits the 4 GiB limit but whose int64 array would
 * not is refused too. */
TEST(npy_header_larger_than_file_fails_before_allocating)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/big.npy", fc_test_tmpdir());
    float two[2] = {1, 2};
    CHECK(!write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,1 1,222222222,2, 1)}",
                     two, sizeof two));
    fc_tensor t;
    fc_error err = {0};
    uint64_t allocs = fc_alloc_count();
    CHECK(fc_npy_read(path, &t, &err) == FC_ERR_FORMAT && !t.data);
    CHECK_MSG(strstr(err.msg, "truncated data (3555555552 bytes expected, 8 present)"), "%s", err.msg);
    CHECK(fc_alloc_count() == allocs);

    /* one element short */
    CHECK(!write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", two, sizeof two));
    CHECK(fc_npy_read(path, &t, &err) == FC_ERR_FORMAT && strstr(err.msg, "truncated data"));
    CHECK(fc_alloc_count() == allocs);

    /* 4 GiB of int32 is 8 GiB of int64 */
    CHECK(!write_npy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (1073741824,)}",
                     two, sizeof two));
    CHECK(fc_npy_read(path, &t, &err) == FC_ERR_LIMIT && strstr(err.msg, "too large"));
    CHECK(fc_alloc_count() == allocs);

    /* an empty array is not truncated */
    CHECK(!write_npy(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4)}", NULL, 0));
    CHECK_OK(fc_npy_read(path, &t, &err), &err);
    CHECK(t.data && t.shape.ndim == 2 && t.shape.d[0] == 0 && t.shape.d[1] == 4);
    fc_aligned_free(t.data);
    return FC_TEST_PASS;
}

/* Copies the file at src into the FIFO at fifo from a child process; returns its pid. */
static pid_t feed_fifo(const char *src, const char *fifo)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    FILE *in = fopen(src, "rb"), *out = fopen(fifo, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            break;
    if (out)
        fclose(out); /* _exit flushes nothing */
    _exit(0);
}

/* Through a pipe nothing can be measured beforehand: the data is read into memory
 * that grows with what arrives (past the first 1 MiB chunk here), and the array is
 * allocated only once it has all come. A pipe that ends early is "truncated" without
 * the array ever being allocated. */
TEST(npy_read_from_a_pipe)
{
    char file[1024], fifo[1024];
    snprintf(file, sizeof file, "%s/pipe_src.npy", fc_test_tmpdir());
    snprintf(fifo, sizeof fifo, "%s/pipe.npy", fc_test_tmpdir());
    CHECK(mkfifo(fifo, 0600) == 0);
    enum { N = 600000 }; /* 2.4 MB of float32 */
    float *v = malloc(N * sizeof *v);
    CHECK(v);
    for (int i = 0; i < N; i++)
        v[i] = (float)i * 0.5f;
    fc_tensor t = {.dtype = FC_DT_FLOAT, .shape = fc_shape_make(1, (int64_t[]){N}), .data = v};
    fc_error err = {0};
    CHECK_OK(fc_npy_write(file, &t, &err), &err);
    pid_t pid = feed_fifo(file, fifo);
    fc_tensor back;
    fc_status rc = fc_npy_read(fifo, &back, &err);
    waitpid(pid, NULL, 0);
    CHECK_OK(rc, &err);
    CHECK(back.shape.ndim == 1 && back.shape.d[0] == N && !memcmp(back.data, v, N * sizeof *v));
    fc_aligned_free(back.data);
    free(v);

    float two[2] = {1, 2};
    CHECK(!write_npy(file, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,1 1,222222222,2, 1)}",
                     two, sizeof two));
    uint64_t allocs = fc_alloc_count();
    pid = feed_fifo(file, fifo);
    rc = fc_npy_read(fifo, &back, &err);
    waitpid(pid, NULL, 0);
    CHECK(rc == FC_ERR_FORMAT && !back.data);
    CHECK_MSG(strstr(err.msg, "truncated data (3555555552 bytes expected, 8 present)"), "%s", err.msg);
    CHECK(fc_alloc_count() == allocs);
    unlink(fifo);
    return FC_TEST_PASS;
}
