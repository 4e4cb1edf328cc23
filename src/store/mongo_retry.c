/* mongo_retry.c - which MongoDB failures are worth another try, and how long to
 * wait before it. The server codes are those of the MongoDB retryable-writes
 * specification (specifications/source/retryable-writes/retryable-writes.md); the
 * driver itself retries a write once, this covers longer outages (an election). */
#include "store/mongo_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int retryable_code(uint32_t code)
{
    static const uint32_t codes[] = {
        6,     /* HostUnreachable */
        7,     /* HostNotFound */
        89,    /* NetworkTimeout */
        91,    /* ShutdownInProgress */
        189,   /* PrimarySteppedDown */
        262,   /* ExceededTimeLimit */
        9001,  /* SocketException */
        10107, /* NotWritablePrimary */
        11600, /* InterruptedAtShutdown */
        11602, /* InterruptedDueToReplStateChange */
        13435, /* NotPrimaryNoSecondaryOk */
        13436, /* NotPrimaryOrSecondary */
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == code)
            return 1;
    return 0;
}

static int has_label(const bson_t *reply, const char *label)
{
    bson_iter_t it, arr;
    if (!reply || !bson_iter_init_find(&it, reply, "errorLabels") || !BSON_ITER_HOLDS_ARRAY(&it))
        return 0;
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr))
        if (BSON_ITER_HOLDS_UTF8(&arr) && !strcmp(bson_iter_utf8(&arr, NULL), label))
            return 1;
    return 0;
}

int fc_mongo_transient(const bson_error_t *e, const bson_t *reply)
{
    if (has_label(reply, "RetryableWriteError") || has_label(reply, "TransientTransactionError"))
        return 1;
    if (!e)
        return 0;
    switch (e->domain) {
    case MONGOC_ERROR_STREAM:
        return e->code == MONGOC_ERROR_STREAM_SOCKET || e->code == MONGOC_ERROR_STREAM_CONNECT ||
               e->code == MONGOC_ERROR_STREAM_NOT_ESTABLISHED;
    case MONGOC_ERROR_SERVER_SELECTION:
        return e->code == MONGOC_ERROR_SERVER_SELECTION_FAILURE;
    case MONGOC_ERROR_SERVER:
    case MONGOC_ERROR_QUERY:
    case MONGOC_ERROR_WRITE_CONCERN:
    case MONGOC_ERROR_COLLECTION:
    case MONGOC_ERROR_COMMAND:
        return retryable_code(e->code);
    default:
        return 0;
    }
}

long fc_mongo_backoff_ms(int attempt, double rnd)
{
    long base = 50L << (attempt < 5 ? (attempt < 0 ? 0 : attempt) : 5);
    if (base > 2000)
        base = 2000;
    if (rnd < 0 || !(rnd < 1))
        rnd = 0;
    return (long)((double)base * (0.5 + rnd / 2));
}

void fc_mongo_backoff(int attempt)
{
    long ms = fc_mongo_backoff_ms(attempt, (double)rand() / ((double)RAND_MAX + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

fc_status fc_mongo_error(fc_error *err, const char *what, const bson_error_t *e)
{
    fc_status code = e->code == 11000 ? FC_ERR_ARG : FC_ERR_IO;
    return fc_error_set(err, code, "mongodb %s: %s (domain %u, code %u)", what, e->message,
                        e->domain, e->code);
}
