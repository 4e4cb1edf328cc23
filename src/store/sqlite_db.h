/* sqlite_db.h - one connection to the embedded database file (facecluster.db),
 * shared machinery of the SQLite metadata backend (sqlite.c, sqlite_runs.c) and the
 * local vector store (vec_local.c): opening with the pragmas, the schema and its
 * migrations, a cache of prepared statements, BEGIN IMMEDIATE transactions, float
 * BLOBs, and SQLite errors as fc_error. Internal to src/store; see docs/store.md.
 *
 * Every public operation of a backend holds the connection's mutex from
 * fc_sqlite_lock to fc_sqlite_unlock, so a handle may be shared by threads (calls
 * are serialised); for parallel writers, open one handle per thread.
 */
#ifndef FC_STORE_SQLITE_DB_H
#define FC_STORE_SQLITE_DB_H

#include "core/status.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#define FC_SQLITE_BUSY_MS 10000 /* wait this long for another writer's lock */
#define FC_SQLITE_MAX_STMTS 192 /* distinct statements one connection caches */

typedef struct fc_sqlite {
    sqlite3 *db;
    char *path;
    pthread_mutex_t mu;
    int n_stmts;
    const char *stmt_sql[FC_SQLITE_MAX_STMTS];
    sqlite3_stmt *stmts[FC_SQLITE_MAX_STMTS];
    int shared;                    /* opens sharing this handle held alone; 0: not held alone */
    struct fc_sqlite *next_alone;  /* the process's other handles held alone */
} fc_sqlite;

/* The schema version this build writes (the number of migration steps). */
int fc_sqlite_schema_version(void);

/* Opens (creating it and its parent directories if needed) the database at path:
 * WAL journal, synchronous=NORMAL, foreign keys on, busy timeout; then migrates an
 * older schema to the current one in one transaction. Refuses, with a clear
 * FC_ERR_FORMAT, a file that is not an SQLite database, is corrupt, belongs to
 * another program, or has a newer schema. Close with fc_sqlite_close. */
fc_sqlite *fc_sqlite_open(const char *path, fc_error *err);
/* The same for a command or the server, which must read even when the disk is too
 * full for the -shm file that reading a WAL file needs: the file is then opened
 * holding it exclusively until the last fc_sqlite_close (other processes wait;
 * docs/store.md). While this process holds a file so, every open of the same path
 * in it (fc_sqlite_open too, e.g. the local vector store's) returns that handle: a
 * second connection would wait for its lock and fail. */
fc_sqlite *fc_sqlite_open_reader(const char *path, fc_error *err);
void fc_sqlite_close(fc_sqlite *c);

void fc_sqlite_lock(fc_sqlite *c);
/* Resets every statement still stepping (ending its read transaction) and unlocks. */
void fc_sqlite_unlock(fc_sqlite *c);

/* The prepared statement for sql (prepared on first use and cached by its text, so
 * sql may be built on the stack), reset and with its bindings cleared, in *out. */
fc_status fc_sqlite_prepare(fc_sqlite *c, const char *sql, sqlite3_stmt **out, fc_error *err);

/* Records a failed bind (rc != SQLITE_OK; several bind results may be or-ed). */
fc_status fc_sqlite_bind_failed(fc_sqlite *c, int rc, fc_error *err);

/* Runs sql (no parameters, no rows wanted). */
fc_status fc_sqlite_exec(fc_sqlite *c, const char *sql, fc_error *err);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout),
 * COMMIT, and ROLLBACK (a no-op outside a transaction; never fails). */
fc_status fc_sqlite_begin(fc_sqlite *c, fc_error *err);
fc_status fc_sqlite_commit(fc_sqlite *c, fc_error *err);
void fc_sqlite_rollback(fc_sqlite *c);
/* Ends what fc_sqlite_begin started: COMMIT when rc is FC_OK, else ROLLBACK.
 * Returns rc, or the commit's failure. */
fc_status fc_sqlite_end(fc_sqlite *c, fc_status rc, fc_error *err);

/* Runs sql to completion with ?1 bound to text, or to id; *changes (when not NULL)
 * = the rows it inserted, updated or deleted. */
fc_status fc_sqlite_exec_text(fc_sqlite *c, const char *sql, const char *text, int64_t *changes,
                              fc_error *err);
fc_status fc_sqlite_exec_id(fc_sqlite *c, const char *sql, int64_t id, int64_t *changes,
                            fc_error *err);

/* Steps st once: FC_OK with *row = 1 (a row) or 0 (done), or an error. */
fc_status fc_sqlite_step(fc_sqlite *c, sqlite3_stmt *st, int *row, fc_error *err);
/* Steps st to completion, expecting no rows. */
fc_status fc_sqlite_run(fc_sqlite *c, sqlite3_stmt *st, fc_error *err);

/* Records the connection's last error (rc, sqlite3_errmsg) in err as
 * "what: message (path)", mapping busy/locked/full/IO to FC_ERR_IO, corrupt and
 * not-a-database to FC_ERR_FORMAT, constraints to FC_ERR_ARG. Returns the code. */
fc_status fc_sqlite_fail(fc_sqlite *c, int rc, const char *what, fc_error *err);

/* Binds text, or NULL when s is NULL or "" (so optional ids read back as ""). */
int fc_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Binds n floats as a little-endian float32 BLOB, or NULL when v is NULL or n 0. */
int fc_sqlite_bind_floats(sqlite3_stmt *st, int idx, const float *v, int n);
/* Reads column col, a BLOB of n little-endian float32 (or NULL when n is 0), into a
 * new array (*out, NULL for n 0). FC_ERR_FORMAT when the size disagrees with n. */
fc_status fc_sqlite_column_floats(sqlite3_stmt *st, int col, int n, float **out, fc_error *err);
/* The same into dst (n floats, the caller's), for scans that allocate nothing. */
fc_status fc_sqlite_column_floats_to(sqlite3_stmt *st, int col, int n, float *dst, fc_error *err);
/* Copies a text column into dst (size bytes, always NUL-terminated; NULL gives "").
 * Returns 0, or -1 if it did not fit. */
int fc_sqlite_column_copy(sqlite3_stmt *st, int col, char *dst, size_t size);
/* A text column as a new string (NULL stays NULL); -1 when out of memory. */
int fc_sqlite_column_dup(sqlite3_stmt *st, int col, char **out);

#endif
