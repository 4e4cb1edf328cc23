/* status.h - the one status type of facecluster, with an optional detail message. */
#ifndef FC_CORE_STATUS_H
#define FC_CORE_STATUS_H

typedef enum {
    FC_OK = 0,
    FC_ERR_IO,          /* a file or stream could not be read or written */
    FC_ERR_FORMAT,      /* the bytes are not what they claim to be */
    FC_ERR_UNSUPPORTED, /* valid, but a feature we do not implement */
    FC_ERR_SHAPE,       /* tensor shapes do not fit together */
    FC_ERR_NOMEM,       /* an allocation failed */
    FC_ERR_LIMIT,       /* a size limit was exceeded */
    FC_ERR_ARG,         /* a caller passed a bad argument */
    FC_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    FC_ERR_UNAVAILABLE, /* a server did not answer, or said it cannot now, after every
                           retry (network, timeout, 5xx): later may work */
    FC_STATUS_COUNT
} fc_status;

/* An error: the status plus a human-readable reason. Zero-initialise it. */
typedef struct {
    fc_status code;
    char msg[384];
} fc_error;

/* Short fixed description of a status ("format error"); never NULL. */
const char *fc_strerror(fc_status code);

/* Records code and a printf-style reason in err (which may be NULL) and returns code.
 * The arguments may point into err->msg: fc_error_set(err, c, "context: %s", err->msg).
 * A reason too long for msg is cut, never inside a UTF-8 character. */
fc_status fc_error_set(fc_error *err, fc_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
