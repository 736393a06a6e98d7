/*
 * SQLite driver for the db seam. WAL journal, foreign keys declared but not enforced (below), a
 * busy timeout for concurrent writers, and a per-connection cache of prepared statements keyed
 * by the SQL text's address (open addressing; the cache never evicts: the set of statements is
 * fixed by the program).
 */
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/wal_buffer.h"
#include "store/wal_checkpointer.h"
#include "util/text.h"
#include "util/xalloc.h"

#define STMT_CACHE_SLOTS 512 /* power of two, well above the number of distinct statements */

struct db_stmt {
    sqlite3_stmt *stmt;
    struct db *db;
};

struct stmt_slot {
    const char *sql;
    struct db_stmt handle;
};

struct statement_profile {
    char *sql; /* copied: statements run through db_exec do not outlive their call */
    uint64_t calls, nanoseconds;
};

struct db {
    sqlite3 *conn;
    struct statement_profile
        *profile; /* FIDELE_SQL_PROFILE: time per statement, printed at close */
    size_t n_profile;
    struct stmt_slot cache[STMT_CACHE_SLOTS];
    int savepoint_depth;
    struct wal_checkpointer *checkpointer;
    /* sync_apart: commits leave the log's fsync to db_sync_log, which holds its own descriptor
     * of the log (under log_lock: it runs on another thread than the connection's) */
    bool sync_apart;
    char *log_path;
    int log_fd;
    pthread_mutex_t log_lock;
    /* a sync of the log failed: the kernel may have dropped what it did not write, and a later
     * sync may succeed without it; every later db_sync_log fails with the first failure */
    bool log_lost;
    struct fid_error log_lost_err;
    const char *plans_path; /* FIDELE_SQL_PLANS: where each statement's query plan is appended */
};

static enum fid_status fail_db(struct db *db, struct fid_error *err, const char *what)
{
    return fid_fail(err, FID_ERR_DB, "", "%s: %s", what, sqlite3_errmsg(db->conn));
}

/* Appends the query plan SQLite chose for sql, one line per step, each followed by the statement
 * on one line: "PLAN\tdetail\tsql". For audits of the plans a test run uses (without statistics
 * SQLite's choice does not depend on the data's size, so a small database shows a large one's
 * plan): an equality the planner leaves to a scan of the merchant's rows went unseen until the
 * ingest benchmark's enrolments took 700 s instead of 2. One write per statement (O_APPEND). */
static void log_plan(struct db *db, const char *sql)
{
    char *explain = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *s = NULL;
    if (explain != NULL && sqlite3_prepare_v2(db->conn, explain, -1, &s, NULL) == SQLITE_OK) {
        char *flat = xstrdup(sql);
        for (char *c = flat; *c; c++)
            if (*c == '\n' || *c == '\t')
                *c = ' ';
        sqlite3_str *out = sqlite3_str_new(db->conn);
        while (sqlite3_step(s) == SQLITE_ROW)
            sqlite3_str_appendf(out, "PLAN\t%s\t%s\n", sqlite3_column_text(s, 3), flat);
        int len = sqlite3_str_length(out);
        char *text = sqlite3_str_finish(out);
        int fd = open(db->plans_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || (len > 0 && write(fd, text, (size_t)len) != len))
            fprintf(stderr, "fidele: could not write the query plans to %s\n", db->plans_path);
        if (fd >= 0)
            close(fd);
        sqlite3_free(text);
        free(flat);
    }
    sqlite3_finalize(s);
    sqlite3_free(explain);
}

/* sqlite3_trace_v2 callback: adds a finished statement's run time to its row. */
static int on_profile(unsigned type, void *context, void *stmt, void *nanoseconds)
{
    struct db *db = context;
    if (type != SQLITE_TRACE_PROFILE)
        return 0;
    const char *sql = sqlite3_sql(stmt);
    for (size_t i = 0; i < db->n_profile; i++)
        if (strcmp(db->profile[i].sql, sql) == 0) {
            db->profile[i].calls++;
            db->profile[i].nanoseconds += *(sqlite3_int64 *)nanoseconds;
            return 0;
        }
    db->profile = xrealloc(db->profile, (db->n_profile + 1) * sizeof *db->profile);
    db->profile[db->n_profile++] = (struct statement_profile){
        .sql = xstrdup(sql), .calls = 1, .nanoseconds = (uint64_t) * (sqlite3_int64 *)nanoseconds};
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct statement_profile *x = a, *y = b;
    return (x->nanoseconds < y->nanoseconds) - (x->nanoseconds > y->nanoseconds);
}

static void print_profile(struct db *db)
{
    qsort(db->profile, db->n_profile, sizeof *db->profile, by_time);
    fprintf(stderr, "%12s %10s %9s  statement\n", "total ms", "calls", "us/call");
    for (size_t i = 0; i < db->n_profile; i++)
        fprintf(stderr, "%12.1f %10llu %9.2f  %.110s\n", db->profile[i].nanoseconds / 1e6,
                (unsigned long long)db->profile[i].calls,
                db->profile[i].nanoseconds / 1e3 / (double)db->profile[i].calls,
                db->profile[i].sql);
}

/* Runs once, before SQLite's first use: allocation statistics (which nothing reads) would take
 * one process-wide mutex on every allocation of every connection, and threads queue on it. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* fold(text): text in lower case in every script ("ÉLODIE" -> "élodie", where SQLite's lower()
 * lowers ASCII alone), for searches by name. */
static void sql_fold(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *text = sqlite3_value_text(argv[0]);
    if (text == NULL) {
        sqlite3_result_null(context);
        return;
    }
    char out[1024]; /* a name is at most 128 bytes */
    fid_text_lower((const char *)text, out, sizeof out);
    sqlite3_result_text(context, out, -1, SQLITE_TRANSIENT);
}

/* A connection to name (a path or a URI) with flags, before any pragma; path names the
 * database in the error. */
static enum fid_status connect_to(const char *name, const char *path, int flags, const char *vfs,
                                  struct db **out, struct fid_error *err)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->log_fd = -1;
    pthread_mutex_init(&db->log_lock, NULL);
    if (sqlite3_open_v2(name, &db->conn, flags | SQLITE_OPEN_NOMUTEX, vfs) == SQLITE_OK) {
        sqlite3_create_function(db->conn, "fold", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                sql_fold, NULL, NULL);
        *out = db;
        return FID_OK;
    }
    struct stat about;
    /* a directory given for the file is the caller's mistake, not a failing disk */
    enum fid_status st =
        stat(path, &about) == 0 && S_ISDIR(about.st_mode)
            ? fid_fail(err, FID_ERR_INPUT, "--db", "%s is a directory, not a database file", path)
            : fid_fail(err, FID_ERR_IO, "--db", "cannot open database %s: %s", path,
                       db->conn ? sqlite3_errmsg(db->conn) : "no memory");
    db_close(db);
    return st;
}

/* A database closed cleanly (no log beside it) that cannot be written: on a file system it
 * cannot write to, SQLite cannot make the shared-memory file a WAL database is read with and
 * fails to open it; a file it may not write (a copy made read-only) fails the journal's
 * pragma. */
static bool cannot_open_read_only(struct db *db, const char *path)
{
    int code = sqlite3_extended_errcode(db->conn) & 0xff;
    if (code != SQLITE_CANTOPEN && code != SQLITE_READONLY)
        return false;
    char log[PATH_MAX], dir[PATH_MAX];
    snprintf(log, sizeof log, "%s-wal", path);
    snprintf(dir, sizeof dir, "%s", path);
    return access(path, R_OK) == 0 && access(log, F_OK) != 0 &&
           (access(dirname(dir), W_OK) != 0 || access(path, W_OK) != 0);
}

/* Such a database is opened immutable, read-only: with no log, the file holds every commit, and
 * nothing writes it through this file system. */
static enum fid_status open_immutable(const char *path, struct db **out, struct fid_error *err)
{
    char uri[3 * PATH_MAX + 32] = "file:";
    size_t n = strlen(uri);
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof uri; p++)
        if (*p == '?' || *p == '#' || *p == '%' || *p <= ' ')
            n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", *p);
        else
            uri[n++] = (char)*p;
    snprintf(uri + n, sizeof uri - n, "?immutable=1");
    struct db *db = NULL;
    enum fid_status st =
        connect_to(uri, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL, &db, err);
    if (st == FID_OK &&
        (st = db_exec(db, "PRAGMA cache_size=-8000; PRAGMA temp_store=MEMORY;", err)) != FID_OK)
        db_close(db);
    else if (st == FID_OK)
        *out = db;
    return st;
}

enum fid_status db_open(const char *path, const struct db_options *options, struct db **out,
                        struct fid_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    *out = NULL;
    int flags =
        options->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /* The log is written in large writes where every commit syncs it (store/wal_buffer.c). */
    const char *vfs =
        !options->read_only && options->durability == DB_DURABILITY_FULL ? wal_buffer_vfs() : NULL;
    struct db *db = NULL;
    enum fid_status opened = connect_to(path, path, flags, vfs, &db, err);
    if (opened != FID_OK)
        return opened;
    sqlite3_busy_timeout(db->conn, 10000);
    db->plans_path = getenv("FIDELE_SQL_PLANS");
    if (getenv("FIDELE_SQL_PROFILE"))
        sqlite3_trace_v2(db->conn, SQLITE_TRACE_PROFILE, on_profile, db);
    /* Writers read and rewrite customer rows at random places: 32 MB of cache took a quarter off
     * the CPU per purchase at 100,000 members, and 40 MB, once orders had no index by customer,
     * 6-7% more at a million purchases, whose customers table is then ~29 MB (peak RSS 60 MB of
     * the ingest benchmark's 64; docs/benchmarks.md). Connections reading through mmap keep a
     * small cache of their own. */
    int cache_kib = options->map_bytes > 0 ? 8000 : 40000;
    /* Foreign keys are not enforced: each order's insert looked its customer up again in the
     * customers' key, which the engine had just read in the same transaction (a random page, 1 µs
     * of a purchase's 31 on the writer; docs/benchmarks.md). `fidele verify` checks that every
     * order, ledger entry, lot and voucher names a customer of its merchant. */
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=OFF; PRAGMA synchronous=%s;"
             "PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY;",
             options->durability == DB_DURABILITY_FULL ? "FULL" : "NORMAL", cache_kib);
    enum fid_status st = options->read_only ? FID_OK : db_exec(db, pragmas, err);
    if (st != FID_OK && cannot_open_read_only(db, path)) {
        db_close(db);
        return open_immutable(path, out, err);
    }
    if (st == FID_OK && options->map_bytes > 0) {
        snprintf(pragmas, sizeof pragmas, "PRAGMA mmap_size=%lld", (long long)options->map_bytes);
        st = db_exec(db, pragmas, err);
    }
    if (st != FID_OK && (sqlite3_extended_errcode(db->conn) & 0xff) == SQLITE_NOTADB)
        st = fid_fail(err, FID_ERR_INPUT, "--db", "%s is not a database file", path);
    if (st != FID_OK) {
        db_close(db);
        return st;
    }
    if (options->sync_apart && vfs != NULL) {
        db->sync_apart = true;
        db->log_path = xstrdup(sqlite3_filename_wal(sqlite3_db_filename(db->conn, "main")));
    }
    if (options->checkpoint_thread && !options->read_only)
        db->checkpointer =
            wal_checkpointer_start(db->conn, path, options->durability == DB_DURABILITY_FULL);
    *out = db;
    return FID_OK;
}

void db_close(struct db *db)
{
    if (db == NULL)
        return;
    wal_checkpointer_stop(db->checkpointer);
    if (db->n_profile)
        print_profile(db);
    for (size_t i = 0; i < db->n_profile; i++)
        free(db->profile[i].sql);
    free(db->profile);
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
        sqlite3_finalize(db->cache[i].handle.stmt);
    sqlite3_close(db->conn);
    if (db->log_fd >= 0)
        close(db->log_fd);
    free(db->log_path);
    pthread_mutex_destroy(&db->log_lock);
    free(db);
}

enum fid_status db_exec(struct db *db, const char *sql, struct fid_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        enum fid_status st = fid_fail(err, FID_ERR_DB, "", "database: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return st;
    }
    return FID_OK;
}

enum fid_status db_begin(struct db *db, struct fid_error *err)
{
    return db_exec(db, "BEGIN IMMEDIATE", err);
}

enum fid_status db_commit(struct db *db, struct fid_error *err)
{
    if (db->sync_apart)
        sqlite3_file_control(db->conn, "main", WAL_BUFFER_FCNTL_DEFER_SYNC, NULL);
    enum fid_status st = db_exec(db, "COMMIT", err);
    if (db->sync_apart) /* a commit that wrote nothing did not consume it */
        sqlite3_file_control(db->conn, "main", WAL_BUFFER_FCNTL_SYNC_NORMAL, NULL);
    return st;
}

/* Syncs the directory holding path, so that a log created since is found after a crash (SQLite
 * does so at a file's first sync, which for a sync_apart log may be a deferred one). */
static int sync_directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = xstrdup(len ? path : ".");
    if (len)
        dir[len] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    int rc = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

static enum fid_status sync_log_locked(struct db *db, struct fid_error *err)
{
    struct stat named, held;
    if (stat(db->log_path, &named) != 0) {
        if (errno == ENOENT) /* no log: the last connection closed it after a full checkpoint */
            return FID_OK;
        return fid_fail(err, FID_ERR_IO, "", "log %s: %s", db->log_path, strerror(errno));
    }
    if (db->log_fd >= 0 && (fstat(db->log_fd, &held) != 0 || held.st_ino != named.st_ino ||
                            held.st_dev != named.st_dev)) {
        close(db->log_fd); /* the log was removed and made again: sync the new one */
        db->log_fd = -1;
    }
    if (db->log_fd < 0) {
        db->log_fd = open(db->log_path, O_RDONLY | O_CLOEXEC);
        if (db->log_fd < 0 || sync_directory_of(db->log_path) != 0) {
            enum fid_status st =
                fid_fail(err, FID_ERR_IO, "", "log %s: %s", db->log_path, strerror(errno));
            if (db->log_fd >= 0) /* the directory's sync is tried again with the next call */
                close(db->log_fd);
            db->log_fd = -1;
            return st;
        }
    }
    if (fdatasync(db->log_fd) != 0) {
        db->log_lost = true;
        enum fid_status st = fid_fail(
            &db->log_lost_err, FID_ERR_IO, "",
            "syncing log %s: %s (what was committed since its last sync may not be on disk)",
            db->log_path, strerror(errno));
        *err = db->log_lost_err;
        return st;
    }
    return FID_OK;
}

enum fid_status db_sync_log(struct db *db, struct fid_error *err)
{
    if (!db->sync_apart)
        return FID_OK;
    pthread_mutex_lock(&db->log_lock);
    enum fid_status st = FID_ERR_IO;
    if (db->log_lost)
        *err = db->log_lost_err;
    else
        st = sync_log_locked(db, err);
    pthread_mutex_unlock(&db->log_lock);
    return st;
}

void db_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->conn)) {
        sqlite3_stmt *rollback = db_prepare(db, "ROLLBACK")->stmt;
        sqlite3_step(rollback);
        sqlite3_reset(rollback);
    }
    db->savepoint_depth = 0;
}

enum fid_status db_read_begin(struct db *db, struct fid_error *err)
{
    return db_run(db_prepare(db, "BEGIN"), err);
}

enum fid_status db_others_version(struct db *db, uint64_t *out, struct fid_error *err)
{
    int64_t version = 0;
    enum fid_status st = db_run_int(db_prepare(db, "PRAGMA data_version"), 0, &version, err);
    *out = (uint64_t)version;
    return st;
}

enum fid_status db_data_version(struct db *db, uint64_t *out, struct fid_error *err)
{
    uint64_t others = 0;
    enum fid_status st = db_others_version(db, &others, err);
    /* data_version moves on commits of other connections, total_changes on this one's writes;
     * both only grow, so their sum moves when either does. */
    *out = others + (uint64_t)db_total_changes(db);
    return st;
}

enum fid_status db_savepoint(struct db *db, struct fid_error *err)
{
    enum fid_status st = db_exec(db, "SAVEPOINT ev", err);
    if (st == FID_OK)
        db->savepoint_depth++;
    return st;
}

void db_savepoint_release(struct db *db)
{
    sqlite3_exec(db->conn, "RELEASE ev", NULL, NULL, NULL);
    db->savepoint_depth--;
}

void db_savepoint_rollback(struct db *db)
{
    sqlite3_exec(db->conn, "ROLLBACK TO ev; RELEASE ev", NULL, NULL, NULL);
    db->savepoint_depth--;
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull;
    for (size_t probe = 0; probe < STMT_CACHE_SLOTS; probe++) {
        struct stmt_slot *slot = &db->cache[(h + probe) & (STMT_CACHE_SLOTS - 1)];
        if (slot->sql == sql)
            return &slot->handle;
        if (slot->sql == NULL) {
            if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->handle.stmt,
                                   NULL) != SQLITE_OK) {
                fprintf(stderr, "fidele: internal error preparing SQL: %s\n%s\n",
                        sqlite3_errmsg(db->conn), sql);
                abort();
            }
            slot->sql = sql;
            slot->handle.db = db;
            if (db->plans_path != NULL)
                log_plan(db, sql);
            return &slot->handle;
        }
    }
    fprintf(stderr, "fidele: statement cache full\n");
    abort();
}

void db_bind_int(struct db_stmt *s, int index, int64_t value)
{
    sqlite3_bind_int64(s->stmt, index, value);
}

void db_bind_text(struct db_stmt *s, int index, const char *value)
{
    if (value == NULL)
        sqlite3_bind_null(s->stmt, index);
    else
        sqlite3_bind_text(s->stmt, index, value, -1, SQLITE_TRANSIENT);
}

void db_bind_textn(struct db_stmt *s, int index, const char *value, size_t len)
{
    sqlite3_bind_text64(s->stmt, index, value, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void db_bind_textn_kept(struct db_stmt *s, int index, const char *value, size_t len)
{
    sqlite3_bind_text64(s->stmt, index, value, len, SQLITE_STATIC, SQLITE_UTF8);
}

void db_bind_blob(struct db_stmt *s, int index, const void *data, size_t size)
{
    sqlite3_bind_blob64(s->stmt, index, data, size, SQLITE_TRANSIENT);
}

void db_bind_null(struct db_stmt *s, int index)
{
    sqlite3_bind_null(s->stmt, index);
}

void db_bind_opt_int(struct db_stmt *s, int index, int64_t value)
{
    if (value == 0)
        sqlite3_bind_null(s->stmt, index);
    else
        sqlite3_bind_int64(s->stmt, index, value);
}

enum db_step db_step(struct db_stmt *s)
{
    int rc = sqlite3_step(s->stmt);
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return DB_CONSTRAINT;
    return DB_FAILED;
}

int64_t db_column_int(struct db_stmt *s, int index)
{
    return sqlite3_column_int64(s->stmt, index);
}

const char *db_column_text(struct db_stmt *s, int index)
{
    const unsigned char *t = sqlite3_column_text(s->stmt, index);
    return t ? (const char *)t : "";
}

void db_column_copy(struct db_stmt *s, int index, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(s->stmt, index);
    size_t len = t ? (size_t)sqlite3_column_bytes(s->stmt, index) : 0;
    if (size == 0)
        return;
    if (len >= size)
        len = size - 1;
    if (len)
        memcpy(out, t, len);
    out[len] = '\0';
}

const void *db_column_blob(struct db_stmt *s, int index, size_t *size)
{
    const void *data = sqlite3_column_blob(s->stmt, index);
    *size = (size_t)sqlite3_column_bytes(s->stmt, index);
    return data;
}

bool db_column_is_null(struct db_stmt *s, int index)
{
    return sqlite3_column_type(s->stmt, index) == SQLITE_NULL;
}

void db_done(struct db_stmt *s)
{
    sqlite3_reset(s->stmt);
    sqlite3_clear_bindings(s->stmt);
}

enum fid_status db_run(struct db_stmt *s, struct fid_error *err)
{
    enum db_step rc = db_step(s);
    enum fid_status st = FID_OK;
    if (rc == DB_CONSTRAINT)
        st = fid_fail(err, FID_ERR_CONFLICT, "", "%s", sqlite3_errmsg(s->db->conn));
    else if (rc == DB_FAILED)
        st = fail_db(s->db, err, "database");
    db_done(s);
    return st;
}

enum fid_status db_run_int(struct db_stmt *s, int64_t def, int64_t *out, struct fid_error *err)
{
    enum db_step rc = db_step(s);
    enum fid_status st = FID_OK;
    *out = def;
    if (rc == DB_ROW && !db_column_is_null(s, 0))
        *out = db_column_int(s, 0);
    else if (rc == DB_CONSTRAINT)
        st = fid_fail(err, FID_ERR_CONFLICT, "", "%s", sqlite3_errmsg(s->db->conn));
    else if (rc == DB_FAILED)
        st = fail_db(s->db, err, "database");
    db_done(s);
    return st;
}

enum fid_status db_run_text(struct db_stmt *s, char *out, size_t size, const char *what,
                            struct fid_error *err)
{
    out[0] = '\0';
    enum db_step rc = db_step(s);
    if (rc == DB_ROW)
        db_column_copy(s, 0, out, size);
    db_done(s);
    return db_rows_status(s->db, rc, what, err);
}

enum fid_status db_run_ints(struct db_stmt *s, int64_t **out, size_t *n, struct fid_error *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        (*out)[(*n)++] = db_column_int(s, 0);
    }
    enum fid_status st = rc == DB_FAILED ? fail_db(s->db, err, "database") : FID_OK;
    db_done(s);
    return st;
}

enum fid_status db_rows_status(struct db *db, enum db_step last, const char *what,
                               struct fid_error *err)
{
    if (last == DB_ROW || last == DB_DONE)
        return FID_OK;
    return fid_fail(err, FID_ERR_DB, "", "reading %s failed: %s", what, db_errmsg(db));
}

bool db_writes_refused(struct db *db)
{
    int code = sqlite3_extended_errcode(db->conn) & 0xff;
    return sqlite3_db_readonly(db->conn, "main") == 1 || code == SQLITE_READONLY ||
           code == SQLITE_FULL;
}

const char *db_errmsg(struct db *db)
{
    return sqlite3_errmsg(db->conn);
}

int64_t db_changes(struct db *db)
{
    return sqlite3_changes64(db->conn);
}

int64_t db_total_changes(struct db *db)
{
    return sqlite3_total_changes64(db->conn);
}
