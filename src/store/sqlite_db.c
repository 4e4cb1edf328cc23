/* sqlite_db.c - see sqlite_db.h. */
#include "store/sqlite_db.h"

#include "core/clock.h"
#include "core/ids.h"
#include "store/sqlite_schema.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FC_BIG_ENDIAN 1
#else
#define FC_BIG_ENDIAN 0
#endif

int fc_sqlite_schema_version(void)
{
    return fc_sqlite_n_migrations;
}

fc_status fc_sqlite_fail(fc_sqlite *c, int rc, const char *what, fc_error *err)
{
    fc_status code;
    switch (rc & 0xFF) {
    case SQLITE_NOMEM: code = FC_ERR_NOMEM; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = FC_ERR_FORMAT; break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: code = FC_ERR_ARG; break;
    case SQLITE_MISUSE:
    case SQLITE_ERROR:
    case SQLITE_INTERNAL: code = FC_ERR_INTERNAL; break;
    default: code = FC_ERR_IO; break; /* BUSY, LOCKED, IOERR, FULL, CANTOPEN, ... */
    }
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    if ((rc & 0xFF) == SQLITE_READONLY)
        return fc_error_set(err, code, "%s: cannot write: the file or its folder is read-only for this user (%s: %s)",
                            c ? c->path : "?", what, msg);
    if ((rc & 0xFF) == SQLITE_NOTADB || (rc & 0xFF) == SQLITE_CORRUPT)
        return fc_error_set(err, code, "%s: %s: the file is not a facecluster database or is corrupt (%s)",
                            c ? c->path : "?", what, msg);
    /* SQLite says only "disk I/O error" when the -shm file cannot grow */
    if ((rc & 0xFF) == SQLITE_IOERR && c && c->db && sqlite3_system_errno(c->db) == ENOSPC)
        return fc_error_set(err, code, "%s: %s: the disk is full (%s)", what, msg, c->path);
    return fc_error_set(err, code, "%s: %s (%s)", what, msg, c ? c->path : "?");
}

void fc_sqlite_lock(fc_sqlite *c)
{
    pthread_mutex_lock(&c->mu);
}

void fc_sqlite_unlock(fc_sqlite *c)
{
    for (int i = 0; i < c->n_stmts; i++)
        if (sqlite3_stmt_busy(c->stmts[i]))
            sqlite3_reset(c->stmts[i]);
    pthread_mutex_unlock(&c->mu);
}

fc_status fc_sqlite_prepare(fc_sqlite *c, const char *sql, sqlite3_stmt **out, fc_error *err)
{
    *out = NULL;
    for (int i = 0; i < c->n_stmts; i++) {
        if (!strcmp(c->stmt_sql[i], sql)) {
            sqlite3_reset(c->stmts[i]);
            sqlite3_clear_bindings(c->stmts[i]);
            *out = c->stmts[i];
            return FC_OK;
        }
    }
    if (c->n_stmts == FC_SQLITE_MAX_STMTS)
        return fc_error_set(err, FC_ERR_INTERNAL, "more than %d distinct SQL statements",
                            FC_SQLITE_MAX_STMTS);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return fc_sqlite_fail(c, rc, "prepare", err);
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    }
    c->stmt_sql[c->n_stmts] = copy;
    c->stmts[c->n_stmts++] = st;
    *out = st;
    return FC_OK;
}

fc_status fc_sqlite_bind_failed(fc_sqlite *c, int rc, fc_error *err)
{
    if ((rc & 0xFF) == SQLITE_NOMEM)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory binding a value");
    return fc_sqlite_fail(c, rc, "bind", err);
}

fc_status fc_sqlite_exec(fc_sqlite *c, const char *sql, fc_error *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? FC_OK : fc_sqlite_fail(c, rc, "exec", err);
}

fc_status fc_sqlite_begin(fc_sqlite *c, fc_error *err)
{
    int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? FC_OK : fc_sqlite_fail(c, rc, "begin transaction", err);
}

fc_status fc_sqlite_commit(fc_sqlite *c, fc_error *err)
{
    int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return FC_OK;
    fc_status st = fc_sqlite_fail(c, rc, "commit", err);
    fc_sqlite_rollback(c);
    return st;
}

void fc_sqlite_rollback(fc_sqlite *c)
{
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

fc_status fc_sqlite_end(fc_sqlite *c, fc_status rc, fc_error *err)
{
    if (rc) {
        fc_sqlite_rollback(c);
        return rc;
    }
    return fc_sqlite_commit(c, err);
}

/* Runs st (its ?1 bound, or the binding's failure in b) and counts the changes. */
static fc_status exec_bound(fc_sqlite *c, sqlite3_stmt *st, int b, int64_t *changes, fc_error *err)
{
    fc_status rc = b ? fc_sqlite_bind_failed(c, b, err) : fc_sqlite_run(c, st, err);
    if (!rc && changes)
        *changes = sqlite3_changes64(c->db);
    return rc;
}

fc_status fc_sqlite_exec_text(fc_sqlite *c, const char *sql, const char *text, int64_t *changes,
                              fc_error *err)
{
    sqlite3_stmt *st;
    fc_status rc = fc_sqlite_prepare(c, sql, &st, err);
    return rc ? rc : exec_bound(c, st, sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT), changes, err);
}

fc_status fc_sqlite_exec_id(fc_sqlite *c, const char *sql, int64_t id, int64_t *changes,
                            fc_error *err)
{
    sqlite3_stmt *st;
    fc_status rc = fc_sqlite_prepare(c, sql, &st, err);
    return rc ? rc : exec_bound(c, st, sqlite3_bind_int64(st, 1, id), changes, err);
}

fc_status fc_sqlite_step(fc_sqlite *c, sqlite3_stmt *st, int *row, fc_error *err)
{
    int rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return FC_OK;
    return fc_sqlite_fail(c, rc, "query", err);
}

fc_status fc_sqlite_run(fc_sqlite *c, sqlite3_stmt *st, fc_error *err)
{
    int row;
    fc_status rc = fc_sqlite_step(c, st, &row, err);
    sqlite3_reset(st);
    if (!rc && row)
        return fc_error_set(err, FC_ERR_INTERNAL, "a statement that writes returned a row");
    return rc;
}

int fc_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (!s || !*s)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

int fc_sqlite_bind_floats(sqlite3_stmt *st, int idx, const float *v, int n)
{
    if (!v || n <= 0)
        return sqlite3_bind_null(st, idx);
    size_t bytes = (size_t)n * sizeof(float);
    if (!FC_BIG_ENDIAN)
        return sqlite3_bind_blob64(st, idx, v, bytes, SQLITE_TRANSIENT);
    uint32_t *le = malloc(bytes);
    if (!le)
        return SQLITE_NOMEM;
    memcpy(le, v, bytes);
    for (int i = 0; i < n; i++)
        le[i] = __builtin_bswap32(le[i]);
    return sqlite3_bind_blob64(st, idx, le, bytes, free);
}

fc_status fc_sqlite_column_floats_to(sqlite3_stmt *st, int col, int n, float *dst, fc_error *err)
{
    int bytes = sqlite3_column_bytes(st, col);
    if (n <= 0 || (size_t)bytes != (size_t)n * sizeof(float))
        return fc_error_set(err, FC_ERR_FORMAT, "stored vector of %d bytes, expected %d floats",
                            bytes, n);
    memcpy(dst, sqlite3_column_blob(st, col), (size_t)bytes);
    if (FC_BIG_ENDIAN) {
        uint32_t w;
        for (int i = 0; i < n; i++) {
            memcpy(&w, &dst[i], sizeof w);
            w = __builtin_bswap32(w);
            memcpy(&dst[i], &w, sizeof w);
        }
    }
    return FC_OK;
}

fc_status fc_sqlite_column_floats(sqlite3_stmt *st, int col, int n, float **out, fc_error *err)
{
    *out = NULL;
    if (n <= 0 && sqlite3_column_bytes(st, col) == 0)
        return FC_OK;
    float *v = n > 0 ? malloc((size_t)n * sizeof(float)) : NULL;
    if (n > 0 && !v)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    fc_status rc = fc_sqlite_column_floats_to(st, col, n, v, err);
    if (rc)
        free(v);
    else
        *out = v;
    return rc;
}

int fc_sqlite_column_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    int n = snprintf(dst, size, "%s", s ? s : "");
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int fc_sqlite_column_dup(sqlite3_stmt *st, int col, char **out)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* mkdir -p of the directory part of path. */
static fc_status make_parent_dirs(const char *path, fc_error *err)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return fc_error_set(err, FC_ERR_ARG, "%.64s...: path too long", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return FC_OK;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return fc_error_set(err, FC_ERR_IO, "%s: cannot create directory: %s", dir, strerror(errno));
        *p = saved;
        if (!saved)
            return FC_OK;
    }
}

/* The schema version of an open database: 0 for a new, empty file. */
static fc_status read_version(fc_sqlite *c, int *version, fc_error *err)
{
    fc_status rc = FC_OK;
    int row, has_table = 0, n_tables = 0;
    sqlite3_stmt *st;
    if ((rc = fc_sqlite_prepare(c, "SELECT name FROM sqlite_master WHERE type = 'table'", &st, err)))
        return rc;
    while (!(rc = fc_sqlite_step(c, st, &row, err)) && row) {
        n_tables++;
        has_table |= !strcmp((const char *)sqlite3_column_text(st, 0), "schema_version");
    }
    if (rc)
        return rc;
    *version = 0;
    if (!has_table)
        return n_tables ? fc_error_set(err, FC_ERR_FORMAT,
                                       "%s: an SQLite database of another program (no schema_version table)",
                                       c->path)
                        : FC_OK;
    if ((rc = fc_sqlite_prepare(c, "SELECT coalesce(max(version), 0) FROM schema_version", &st, err)))
        return rc;
    if ((rc = fc_sqlite_step(c, st, &row, err)))
        return rc;
    *version = row ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    return FC_OK;
}

/* Brings the schema to the current version, in one transaction. */
static fc_status migrate(fc_sqlite *c, fc_error *err)
{
    int version;
    fc_status rc = fc_sqlite_begin(c, err);
    if (rc)
        return rc;
    if ((rc = read_version(c, &version, err)))
        goto out;
    if (version > fc_sqlite_n_migrations) {
        rc = fc_error_set(err, FC_ERR_FORMAT,
                          "%s: schema version %d is newer than this build's %d: use a newer facecluster",
                          c->path, version, fc_sqlite_n_migrations);
        goto out;
    }
    if (version < fc_sqlite_n_migrations && sqlite3_db_readonly(c->db, "main") == 1) {
        rc = fc_error_set(err, FC_ERR_IO,
                          "%s: schema version %d is older than this build's %d, and the file is read-only for "
                          "this user: open it once with write access to upgrade it",
                          c->path, version, fc_sqlite_n_migrations);
        goto out;
    }
    for (int v = version + 1; v <= fc_sqlite_n_migrations; v++) {
        char ts[FC_TIMESTAMP_LEN + 1], sql[128];
        fc_timestamp_now(ts);
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d, '%s')", v, ts);
        int src = sqlite3_exec(c->db, fc_sqlite_migrations[v - 1], NULL, NULL, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
        if (src != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migration to schema version %d", v);
            rc = fc_sqlite_fail(c, src, what, err);
            goto out;
        }
    }
    rc = fc_sqlite_commit(c, err);
out:
    if (rc)
        fc_sqlite_rollback(c);
    return rc;
}

/* Switches the file to WAL (or checks it is). SQLite can answer SQLITE_BUSY here without
 * calling the busy handler (another process is creating the file or recovering its
 * WAL at the same moment: seen with two workers starting together under load), so the
 * pragma is retried every 10 ms until FC_SQLITE_BUSY_MS have passed in all, counting
 * the busy handler's own waits (a file held alone makes each try wait the whole busy
 * timeout). Returns the last step's code; *wal = 1 when the journal is WAL. */
static int set_wal(fc_sqlite *c, int *wal)
{
    int rc = SQLITE_BUSY;
    *wal = 0;
    for (double end = fc_now_s() + FC_SQLITE_BUSY_MS / 1e3; fc_now_s() <= end;) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        *wal = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        if ((rc & 0xFF) != SQLITE_BUSY && (rc & 0xFF) != SQLITE_LOCKED)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return rc;
}

/* Sets the pragmas; also the first read of the file, where a file that is not a
 * database shows itself. *sql_rc = SQLite's code when switching to WAL failed.
 *
 * The page size counts only for a new file (switching it to WAL writes its first
 * page): a face's row holds its 2 KB embedding, so a 4 KB page holds one face and
 * leaves the rest empty, in both faces and vec_points; 16 KB pages hold seven. A
 * labelled set of 1541 faces took 13.6 MB, 8.7 MB now. Existing files keep theirs. */
static fc_status configure(fc_sqlite *c, int *sql_rc, fc_error *err)
{
    sqlite3_busy_timeout(c->db, FC_SQLITE_BUSY_MS);
    sqlite3_extended_result_codes(c->db, 1);
    fc_status st = fc_sqlite_exec(c, "PRAGMA page_size = 16384", err);
    if (st)
        return st;
    int wal;
    *sql_rc = set_wal(c, &wal);
    if ((*sql_rc & 0xFF) == SQLITE_BUSY)
        return fc_error_set(err, FC_ERR_IO, "%s: cannot open: another process has held it alone for "
                                            "%d s, as one reading it on a full disk does until it ends (%s)",
                            c->path, FC_SQLITE_BUSY_MS / 1000, sqlite3_errstr(*sql_rc));
    if (*sql_rc != SQLITE_ROW)
        return fc_sqlite_fail(c, *sql_rc, "open", err);
    if (!wal)
        return fc_error_set(err, FC_ERR_IO, "%s: cannot use the WAL journal", c->path);
    return fc_sqlite_exec(c, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", err);
}

/* Whether nothing can be writing the database at path now or later: it has no -wal
 * file (every commit is in the file itself) and its folder is on a read-only file
 * system or has no write permission for anyone, so no writer can create the -wal.
 * Only then may it be read as immutable (SQLite's "Read-Only Databases" of WAL mode:
 * a read-only WAL database whose -shm and -wal cannot be created opens only so). */
static int nothing_can_write(const char *path)
{
    char dir[4096];
    struct stat st;
    struct statvfs vfs;
    int n = snprintf(dir, sizeof dir, "%s-wal", path);
    if (n < 0 || (size_t)n >= sizeof dir || stat(dir, &st) == 0 || errno != ENOENT)
        return 0;
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x" -> "/" */
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
        return 1;
    return stat(dir, &st) == 0 && !(st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH));
}

/* Reopens c read-only and immutable (no locks, no -shm; see nothing_can_write), by
 * the URI "file:{path}?immutable=1" with path's '%', '?' and '#' escaped. */
static fc_status open_immutable(fc_sqlite *c, fc_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(c->path);
    char *uri = malloc(3 * len + 32);
    if (!uri)
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    /* an absolute path gets an empty authority, so that "//x" stays a path */
    char *o = uri + sprintf(uri, "%s", c->path[0] == '/' ? "file://" : "file:");
    for (const char *p = c->path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#') {
            *o++ = '%';
            *o++ = hex[(unsigned char)*p >> 4];
            *o++ = hex[*p & 0xF];
        } else {
            *o++ = *p;
        }
    }
    strcpy(o, "?immutable=1");
    sqlite3_close(c->db);
    c->db = NULL;
    int rc = sqlite3_open_v2(uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return fc_sqlite_fail(c, rc, "open read-only", err);
    sqlite3_busy_timeout(c->db, FC_SQLITE_BUSY_MS);
    sqlite3_extended_result_codes(c->db, 1);
    return fc_sqlite_exec(c, "PRAGMA foreign_keys = ON", err);
}

/* Whether rc, SQLite's answer on c, says that the disk is full. */
static int disk_full(fc_sqlite *c, int rc)
{
    return (rc & 0xFF) == SQLITE_FULL ||
           ((rc & 0xFF) == SQLITE_IOERR && sqlite3_system_errno(c->db) == ENOSPC);
}

/* Reopens c with SQLite's exclusive locking mode set before the first read, for a
 * reader on a full disk: SQLite then keeps the WAL index in its own memory and needs
 * no -shm file, which there is no room to make (SQLite's "WAL" page, "Use of WAL
 * without shared-memory"); the -wal is read as usual. The lock is held until c is
 * closed: other processes wait for it (their busy timeout), and one that has the file
 * open makes this open wait and fail. */
static fc_status open_exclusive(fc_sqlite *c, fc_error *err)
{
    sqlite3_close(c->db);
    c->db = NULL;
    int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return fc_sqlite_fail(c, rc, "open", err);
    fc_status st = fc_sqlite_exec(c, "PRAGMA locking_mode = EXCLUSIVE", err);
    if (!st && (st = configure(c, &rc, err)) && (rc & 0xFF) == SQLITE_BUSY)
        fc_error_set(err, st, "%s: cannot open: its disk is full, so reading needs the file to itself "
                              "(no room for a -shm file), and another process has it open (%s)",
                     c->path, sqlite3_errstr(rc));
    return st;
}

/* The handles of this process opened by open_exclusive, and the lock of the list and
 * of their share counts. */
static pthread_mutex_t alone_mu = PTHREAD_MUTEX_INITIALIZER;
static fc_sqlite *alone;

/* This process's handle held alone for path, shared once more; NULL when none. */
static fc_sqlite *share_alone(const char *path)
{
    pthread_mutex_lock(&alone_mu);
    fc_sqlite *c = alone;
    while (c && strcmp(c->path, path) != 0)
        c = c->next_alone;
    if (c)
        c->shared++;
    pthread_mutex_unlock(&alone_mu);
    return c;
}

/* Ends one share of c; whether others still share it (then it stays open). */
static int unshare_alone(fc_sqlite *c)
{
    pthread_mutex_lock(&alone_mu);
    int still = c->shared > 1;
    if (c->shared == 1) {
        fc_sqlite **p = &alone;
        while (*p != c)
            p = &(*p)->next_alone;
        *p = c->next_alone;
    }
    if (c->shared > 0)
        c->shared--;
    pthread_mutex_unlock(&alone_mu);
    return still;
}

/* fc_sqlite_open and fc_sqlite_open_reader. */
static fc_sqlite *open_db(const char *path, int reader, fc_error *err)
{
    fc_sqlite *c = share_alone(path);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    if (make_parent_dirs(path, err))
        goto fail;
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fc_sqlite_fail(c, rc, "open", err);
        goto fail;
    }
    /* the first try's failure is the answer only when no other way of opening works */
    fc_error first = {0};
    fc_status st = configure(c, &rc, &first);
    int why = rc & 0xFF;
    int held_alone = st && reader && disk_full(c, rc);
    if (held_alone)
        st = open_exclusive(c, err);
    /* a WAL file in a folder this user cannot write: its -shm cannot be made */
    else if (st && (why == SQLITE_READONLY || why == SQLITE_CANTOPEN) && nothing_can_write(path))
        st = open_immutable(c, err);
    else if (st && why == SQLITE_READONLY)
        fc_error_set(err, st, "%s: cannot open: this user cannot create the -wal and -shm files that "
                              "reading needs in its folder, which others may write (%s)",
                     path, sqlite3_errstr(rc));
    else if (st && err)
        *err = first;
    if (st || migrate(c, err))
        goto fail;
    if (held_alone) {
        fprintf(stderr, "facecluster: warning: %s: its disk is full (no room for the -shm file that "
                        "sharing it needs): this process reads it holding it alone until it ends; "
                        "other processes that open it wait, then fail\n", path);
        pthread_mutex_lock(&alone_mu);
        c->shared = 1;
        c->next_alone = alone;
        alone = c;
        pthread_mutex_unlock(&alone_mu);
    }
    return c;
fail:
    fc_sqlite_close(c);
    return NULL;
}

fc_sqlite *fc_sqlite_open(const char *path, fc_error *err)
{
    return open_db(path, 0, err);
}

fc_sqlite *fc_sqlite_open_reader(const char *path, fc_error *err)
{
    return open_db(path, 1, err);
}

void fc_sqlite_close(fc_sqlite *c)
{
    if (!c || unshare_alone(c))
        return;
    for (int i = 0; i < c->n_stmts; i++) {
        sqlite3_finalize(c->stmts[i]);
        free((char *)c->stmt_sql[i]);
    }
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}
