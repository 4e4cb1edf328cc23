/* ids.h - identifiers and names shared by every reader and writer: MongoDB ObjectIds
 * (clustering_id), UUID v4 (face_id), ISO-8601 timestamps, the collection-name
 * normalisation, and the validation of bucket, sub-bucket and user names.
 *
 *   char id[FC_OBJECTID_LEN + 1], face[FC_UUID_LEN + 1], now[FC_TIMESTAMP_LEN + 1];
 *   fc_objectid_new(id);                 // "66d3e1f4a1b2c3d4e5000001"
 *   fc_uuid4_new(face, &err);            // "0f8e...-4...-a..."
 *   fc_timestamp_now(now);               // "2025-09-01T03:42:12.123000"
 *   char norm[FC_NORM_MAX];
 *   fc_norm_collection("Wedding-2024", "day/1", norm, sizeof norm); // "wedding_2024_day_1"
 */
#ifndef FC_CORE_IDS_H
#define FC_CORE_IDS_H

#include "core/status.h"

#include <stddef.h>
#include <time.h>

#define FC_OBJECTID_LEN 24  /* hex digits */
#define FC_UUID_LEN 36      /* 8-4-4-4-12 */
#define FC_TIMESTAMP_LEN 26 /* YYYY-MM-DDTHH:MM:SS.ffffff */
#define FC_NAME_MAX 128     /* bucket and sub-bucket names, in bytes */
#define FC_NORM_MAX (2 * FC_NAME_MAX + 2) /* "{bucket}_{sub}" and its NUL */
#define FC_USER_ID_MAX 64   /* user ids, in characters (code points) */
#define FC_USER_ID_BYTES (4 * FC_USER_ID_MAX + 1) /* room for one in UTF-8, NUL included */

/* A new ObjectId as 24 lowercase hex digits + NUL: 4 bytes of seconds since the
 * epoch (big-endian), 5 random bytes chosen once per process (again after fork),
 * a 3-byte counter starting at a random value. Thread-safe; never fails. */
void fc_objectid_new(char out[FC_OBJECTID_LEN + 1]);

/* 1 if s is exactly 24 hex digits (either case), else 0. NULL gives 0. */
int fc_objectid_valid(const char *s);
/* The canonical (lowercase) form of an ObjectId into out: 0, or -1 (out "") if s
 * is not one. */
int fc_objectid_canon(const char *s, char out[FC_OBJECTID_LEN + 1]);

/* A new random (version 4) UUID, lowercase 8-4-4-4-12 + NUL, from getrandom(2)
 * or /dev/urandom. FC_ERR_IO only if the kernel gives no randomness. */
fc_status fc_uuid4_new(char out[FC_UUID_LEN + 1], fc_error *err);

/* 1 if s is a UUID in 8-4-4-4-12 hex form (either case); with require_v4, also
 * version 4 and the RFC 4122 variant. NULL gives 0. */
int fc_uuid_valid(const char *s, int require_v4);

/* The current time (UTC) as "YYYY-MM-DDTHH:MM:SS.ffffff" + NUL, no zone, as the
 * original service wrote it. */
void fc_timestamp_now(char out[FC_TIMESTAMP_LEN + 1]);
/* The same for a given instant. */
void fc_timestamp_format(struct timespec t, char out[FC_TIMESTAMP_LEN + 1]);
/* 1 if s is "YYYY-MM-DDTHH:MM:SS" with an optional ".f" to ".ffffff" fraction
 * (Python's isoformat() drops a zero fraction) and no zone; else 0. */
int fc_timestamp_valid(const char *s);

/* 1 if name is a valid bucket or sub-bucket name: [A-Za-z0-9._-]{1,128}, and
 * neither "." nor ".."; else 0. */
int fc_name_valid(const char *name);

/* 1 if id matches ^[\w\-\.@]{1,64}$ as Python's re does on str: \w is a Unicode
 * letter or digit (iswalnum in C.UTF-8) or '_'; length counted in characters;
 * the text must be valid UTF-8 and, unlike Python's '$', may not end in '\n'. */
int fc_user_id_valid(const char *id);

/* THE collection-name normalisation: "{bucket}_{sub}" with '/' and '-' turned into
 * '_' and ASCII letters lowercased, into out (size bytes; FC_NORM_MAX is always
 * enough). Every reader and writer of per-bucket collections calls this. Returns 0,
 * or -1 (out set to "" when size > 0) when a name is not valid (fc_name_valid) or
 * the result does not fit. */
int fc_norm_collection(const char *bucket, const char *sub, char *out, size_t size);

#endif
