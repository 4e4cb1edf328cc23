/* plain_main.c - runs a libFuzzer target without libFuzzer (gcc builds): each file
 * named on the command line once, then, with -mutate N, N random byte mutations of
 * each (flips, truncations, splices) from a fixed seed. No coverage guidance: this
 * is the fallback, `make fuzz` with clang is the real fuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void mutate_and_run(const unsigned char *seed, size_t len, long rounds)
{
    unsigned char *buf = malloc(len + 1);
    if (!buf)
        return;
    for (long r = 0; r < rounds; r++) {
        memcpy(buf, seed, len);
        size_t n = len;
        int edits = 1 + (int)(next() % 8);
        for (int e = 0; e < edits && n; e++) {
            size_t at = (size_t)(next() % n);
            switch (next() % 4) {
            case 0: buf[at] ^= (unsigned char)(1u << (next() % 8)); break;
            case 1: buf[at] = (unsigned char)next(); break;
            case 2: n = at + 1; break; /* truncate */
            default: buf[at] = (unsigned char)(0x80 | (next() & 0x7f)); break; /* varint bloat */
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    long rounds = 0;
    int ran = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-mutate") && i + 1 < argc) {
            rounds = strtol(argv[++i], NULL, 10);
            continue;
        }
        size_t len;
        unsigned char *buf = read_file(argv[i], &len);
        if (!buf) {
            fprintf(stderr, "plain fuzz: cannot read %s\n", argv[i]);
            return 2;
        }
        LLVMFuzzerTestOneInput(buf, len);
        mutate_and_run(buf, len, rounds);
        free(buf);
        ran++;
    }
    printf("plain fuzz: %d inputs, %ld mutations each, no crash\n", ran, rounds);
    return 0;
}
