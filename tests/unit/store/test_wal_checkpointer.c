/*
 * store/wal_checkpointer through db_open's checkpoint_thread: a writer that commits ~96 MiB of
 * pages in a row (more than the bound at which it checkpoints itself) keeps its log bounded, the
 * database file receives pages from the background rounds well before that bound, and every row
 * is there after reopening. Without the option, SQLite's own checkpoints keep the log small as
 * before. Rounds are spaced: a writer that rewrites the same pages in every commit gets a round
 * per WAL_CHECKPOINT_ROUND_PAGES of log, which copies each page once, not a round per commit
 * (each round syncs the log and the database: the process's syncs are counted); and once the
 * writer goes quiet, a last round copies what the spaced ones left.
 */
#include "store_support.h"
#include "sync_counter.h"

#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "store/wal_checkpointer.h"

#define ROW_BYTES (100 * 1024) /* ~25 pages of 4 KiB per transaction */
/* Enough for a log that never started over to pass twice the writer's own bound. */
#define TRANSACTIONS (WAL_CHECKPOINT_INLINE_PAGES * 5 / 2 / 25)
/* The log stays under twice the writer's bound (past the bound the writer copies at the first
 * commit that finds no round running, past twice it waits) plus one transaction (4,120 bytes a
 * frame). */
#define WAL_BOUND_BYTES ((2 * WAL_CHECKPOINT_INLINE_PAGES + 2 * 26) * 4120LL + 32)

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static void write_rows(const char *path, bool checkpoint_thread, int64_t *max_wal,
                       int64_t *max_db_during)
{
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL,
                                 .checkpoint_thread = checkpoint_thread};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    assert_int_equal(db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)", &err), FID_OK);
    char wal[512];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unsigned char *blob = xmalloc(ROW_BYTES);
    *max_wal = *max_db_during = 0;
    for (int i = 0; i < TRANSACTIONS; i++) {
        memset(blob, i & 0xff, ROW_BYTES);
        assert_int_equal(db_begin(db, &err), FID_OK);
        struct db_stmt *s = db_prepare(db, "INSERT INTO t (id, b) VALUES (?, ?)");
        db_bind_int(s, 1, i);
        db_bind_blob(s, 2, blob, ROW_BYTES);
        assert_int_equal(db_run(s, &err), FID_OK);
        assert_int_equal(db_commit(db, &err), FID_OK);
        if (file_size(wal) > *max_wal)
            *max_wal = file_size(wal);
        /* What the database file holds before the writer's own bound is near. */
        if (file_size(wal) <
                (WAL_CHECKPOINT_INLINE_PAGES - WAL_CHECKPOINT_CATCH_UP_PAGES) * 4120LL &&
            file_size(path) > *max_db_during)
            *max_db_during = file_size(path);
    }
    free(blob);
    db_close(db);
}

static void check_rows(const char *path)
{
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.read_only = true};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    struct db_stmt *s = db_prepare(db, "SELECT COUNT(*), SUM(length(b)), SUM(unicode(b)) FROM t");
    assert_int_equal(db_step(s), DB_ROW);
    UNIT_EQ_INT("rows", db_column_int(s, 0), TRANSACTIONS);
    UNIT_EQ_INT("bytes", db_column_int(s, 1), (int64_t)TRANSACTIONS * ROW_BYTES);
    db_done(s);
    db_close(db);
}

/* Writes every row on a fresh file, checks the log's bound and the rows, removes the file. */
static void run_writer(bool checkpoint_thread, int64_t *max_db)
{
    char path[] = "/tmp/fidele-wal-XXXXXX";
    store_test_path(path);
    store_test_remove(path);
    int64_t max_wal = 0;
    write_rows(path, checkpoint_thread, &max_wal, max_db);
    if (max_wal > WAL_BOUND_BYTES)
        fail_msg("the log reached %lld bytes (bound %lld)", (long long)max_wal,
                 (long long)WAL_BOUND_BYTES);
    check_rows(path);
    store_test_remove(path);
}

static void test_checkpoint_thread_bounds_the_log(void **state)
{
    (void)state;
    int64_t max_db = 0;
    run_writer(true, &max_db);
    /* The background rounds copied pages into the database before the writer's bound. */
    if (max_db < 1024 * 1024)
        fail_msg("the database held %lld bytes before the bound", (long long)max_db);
}

static void test_without_the_thread_sqlite_checkpoints(void **state)
{
    (void)state;
    int64_t max_db = 0;
    run_writer(false, &max_db);
}

static void test_rounds_are_spaced(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-wal-XXXXXX";
    store_test_path(path);
    store_test_remove(path);
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL, .checkpoint_thread = true};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    store_test_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
    /* Twenty rows of a page each, all rewritten by every commit: ~21 pages of log per commit. */
    /* Each commit rewrites the same 20 rows (21 pages of log): enough commits for the log to
     * pass two rounds' worth of pages, not the catch-up before the writer's own bound. */
    enum { ROWS = 20, COMMITS = WAL_CHECKPOINT_ROUND_PAGES * 23 / 10 / 21 };
    _Static_assert(COMMITS * 21 < WAL_CHECKPOINT_INLINE_PAGES - WAL_CHECKPOINT_CATCH_UP_PAGES,
                   "the log stays short of the catch-up");
    unsigned char *blob = xcalloc(1, 3500);
    int before = syncs;
    for (int i = 0; i < COMMITS; i++) {
        memset(blob, i & 0xff, 3500);
        assert_int_equal(db_begin(db, &err), FID_OK);
        for (int r = 0; r < ROWS; r++) {
            struct db_stmt *s = db_prepare(db, "INSERT OR REPLACE INTO t (id, b) VALUES (?, ?)");
            db_bind_int(s, 1, r);
            db_bind_blob(s, 2, blob, 3500);
            assert_int_equal(db_run(s, &err), FID_OK);
        }
        assert_int_equal(db_commit(db, &err), FID_OK);
    }
    /* ~2.3 rounds' worth of log: rounds asked at one and two WAL_CHECKPOINT_ROUND_PAGES, two
     * syncs each (a round asked by every commit past the first made 14 to 90 here, at 4,000). */
    int rounds_syncs = syncs - before;
    if (rounds_syncs > 6)
        fail_msg("%d syncs for %d commits", rounds_syncs, COMMITS);
    /* The writer has gone quiet with pages not yet copied: a round runs all the same. */
    int quiet = syncs;
    for (int waited = 0; waited < 40 && syncs == quiet; waited++)
        usleep(50 * 1000);
    assert_true(syncs > quiet);
    free(blob);
    db_close(db);
    store_test_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_thread_bounds_the_log),
        cmocka_unit_test(test_without_the_thread_sqlite_checkpoints),
        cmocka_unit_test(test_rounds_are_spaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
