/*
 * The database seam: a connection, transactions and cached prepared statements with typed binds
 * and columns. Repositories (customer_store, ledger_store, ...) are written once against this
 * interface; the SQLite driver is db_sqlite.c. SQL uses `?` placeholders and the common dialect
 * of SQLite and PostgreSQL (ON CONFLICT, RETURNING), so a second driver only translates.
 * A connection is used by one thread at a time.
 */
#ifndef FIDELE_STORE_DB_H
#define FIDELE_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define DB_PATH_MAX 1024

struct db;
struct db_stmt;

enum db_step { DB_ROW, DB_DONE, DB_FAILED, DB_CONSTRAINT };

enum db_durability {
    DB_DURABILITY_NORMAL, /* WAL, fsync at checkpoints: a power cut may lose the last commits */
    DB_DURABILITY_FULL,   /* WAL, fsync at every commit: the default */
};

struct db_options {
    enum db_durability durability;
    bool read_only;
    /* Reads pages straight from the file mapped in memory, up to this many bytes of it (0: no):
     * for long-lived connections of a server, which then neither copy pages into a cache of
     * their own nor make a system call per page missing from it. */
    int64_t map_bytes;
    /* Checkpoints the log on a thread of its own (store/wal_checkpointer.h): for a connection
     * that writes much and long, as a server's committer or a bulk load. */
    bool checkpoint_thread;
    /* With DB_DURABILITY_FULL: a commit writes the log but does not sync it; db_sync_log does,
     * on any thread. For a server that answers the writes of a commit only after that sync, so
     * that its next transaction runs while the disk syncs the last one. */
    bool sync_apart;
};

/* Opens (creating when absent, unless read_only) the database at path. */
enum fid_status db_open(const char *path, const struct db_options *options, struct db **out,
                        struct fid_error *err) FID_MUST_USE;
void db_close(struct db *db);

/* Runs SQL text without results (schema, pragmas). */
enum fid_status db_exec(struct db *db, const char *sql, struct fid_error *err) FID_MUST_USE;

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE). Savepoints nest inside. */
enum fid_status db_begin(struct db *db, struct fid_error *err) FID_MUST_USE;
enum fid_status db_commit(struct db *db, struct fid_error *err) FID_MUST_USE;
void db_rollback(struct db *db);
enum fid_status db_savepoint(struct db *db, struct fid_error *err) FID_MUST_USE;
void db_savepoint_release(struct db *db);
void db_savepoint_rollback(struct db *db);
/* Makes every commit of a sync_apart connection so far durable (fsync of its log); safe to call
 * on another thread than the one using the connection. A no-op for other connections. Once a
 * sync failed, every later call fails with that failure: a later sync that succeeds would not
 * prove that what the failed one held reached the disk. */
enum fid_status db_sync_log(struct db *db, struct fid_error *err) FID_MUST_USE;
/* A read transaction (BEGIN, not IMMEDIATE: readers never wait for the writer); the snapshot is
 * taken by its first statement. db_rollback ends it. Both use cached statements, not SQL text
 * parsed anew, since a server begins one per request. */
enum fid_status db_read_begin(struct db *db, struct fid_error *err) FID_MUST_USE;
/* A number that differs from the one of the previous call whenever a transaction was committed
 * in between, by any connection, this one included. Inside a read transaction it describes the
 * snapshot and costs no lock of its own. */
enum fid_status db_data_version(struct db *db, uint64_t *out, struct fid_error *err) FID_MUST_USE;
/* The same for commits of other connections only: this connection's own leave it alone. */
enum fid_status db_others_version(struct db *db, uint64_t *out, struct fid_error *err) FID_MUST_USE;

/* The prepared statement for sql, cached per connection under the address of sql: pass string
 * literals (or other text that lives as long as the connection). Reset and unbound on return. */
struct db_stmt *db_prepare(struct db *db, const char *sql);

/* Binds parameter index (1-based). Text is copied. */
void db_bind_int(struct db_stmt *stmt, int index, int64_t value);
void db_bind_text(struct db_stmt *stmt, int index, const char *value); /* NULL binds NULL */
/* Binds the len bytes of value as text. */
void db_bind_textn(struct db_stmt *stmt, int index, const char *value, size_t len);
/* The same without a copy: value must stay as it is until the statement has run (db_run,
 * db_done). For large text bound many times a transaction, such as rows held for an insert. */
void db_bind_textn_kept(struct db_stmt *stmt, int index, const char *value, size_t len);
void db_bind_null(struct db_stmt *stmt, int index);
/* Binds a blob, copied (so the caller may reuse its buffer before stepping). */
void db_bind_blob(struct db_stmt *stmt, int index, const void *data, size_t size);
/* Binds 0 as NULL: for optional instants and ids. */
void db_bind_opt_int(struct db_stmt *stmt, int index, int64_t value);

enum db_step db_step(struct db_stmt *stmt);

/* Columns of the current row (0-based). Text is valid until the next step or reset; "" for NULL. */
int64_t db_column_int(struct db_stmt *stmt, int index);
const char *db_column_text(struct db_stmt *stmt, int index);
/* Copies column index's text into out (size bytes, NUL-terminated; longer text is cut). */
void db_column_copy(struct db_stmt *stmt, int index, char *out, size_t size);
bool db_column_is_null(struct db_stmt *stmt, int index);
/* A blob column and its size; valid until the next step or reset (NULL and 0 for NULL). */
const void *db_column_blob(struct db_stmt *stmt, int index, size_t *size);

/* Ends use of a statement: resets it for the next caller. */
void db_done(struct db_stmt *stmt);

/* Runs a statement that returns no rows (or one ignored row); FID_ERR_CONFLICT on a unique
 * constraint, FID_ERR_DB on other failures. Resets the statement. */
enum fid_status db_run(struct db_stmt *stmt, struct fid_error *err) FID_MUST_USE;

/* Runs a statement that returns one integer (RETURNING id, COUNT(*)); *out = def with no row. */
enum fid_status db_run_int(struct db_stmt *stmt, int64_t def, int64_t *out,
                           struct fid_error *err) FID_MUST_USE;

/* Runs a statement that returns at most one text (a name, an id): its first row's first column
 * copied into out (size bytes, cut when longer), "" with no row; a failure names `what`. */
enum fid_status db_run_text(struct db_stmt *stmt, char *out, size_t size, const char *what,
                            struct fid_error *err) FID_MUST_USE;

/* Runs a statement and collects the integer of its first column in every row (ids) into *out
 * (caller frees), *n of them. */
enum fid_status db_run_ints(struct db_stmt *stmt, int64_t **out, size_t *n,
                            struct fid_error *err) FID_MUST_USE;

/* How a loop over a statement's rows ended: FID_OK when it stopped at a row or ran out of rows,
 * else FID_ERR_DB saying that reading `what` failed, with SQLite's words. */
enum fid_status db_rows_status(struct db *db, enum db_step last, const char *what,
                               struct fid_error *err) FID_MUST_USE;

/* Last error text of the connection, for messages. */
const char *db_errmsg(struct db *db);
/* Whether the database cannot be written: opened read-only (a read-only file or file system),
 * or its last statement failed as read-only or for a full disk. */
bool db_writes_refused(struct db *db);

/* Rows changed by the last statement. */
int64_t db_changes(struct db *db);
/* Rows changed by completed statements of this connection since it opened (a statement that
 * failed and was undone counts nothing): unchanged across some work means it wrote nothing. */
int64_t db_total_changes(struct db *db);

#endif
