/*
 * store/wal_buffer through db_open (FULL durability, the default):
 * - frames gathered in memory reach the log at every commit: a second connection sees each
 *   commit at once, and a copy of the three files taken right after a commit (as a crash would
 *   leave them) opens with every committed row;
 * - frames of a transaction that rolls back never reach the log: connection A spills a large
 *   transaction into the log and rolls it back, B commits over the same place in the log, then A
 *   commits again; every row of B and of A's second transaction is intact, in the live files and
 *   after recovery from a copy, and the database passes integrity_check;
 * - a sync_apart connection commits without syncing (another connection still sees each commit
 *   at once), db_sync_log syncs, and a checkpoint on that connection still syncs the log before
 *   copying it: every fsync of the process is counted here (these definitions come before the C
 *   library's for SQLite too), and an ordinary FULL commit must count, or the test proves
 *   nothing;
 * - a commit that starts the log over syncs its new header before its frames, deferral or not;
 * - once a sync of the log failed, every later db_sync_log of that connection fails.
 */
#include "store_support.h"
#include "sync_counter.h"

#define BLOB_BYTES (64 * 1024) /* as intact_rows checks */

static struct db *open_with(const char *path, bool sync_apart)
{
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL, .sync_apart = sync_apart};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    return db;
}

static struct db *open_full(const char *path)
{
    return open_with(path, false);
}

/* Inserts rows [first, first + n) of tag, each with a blob of its own bytes. */
static void insert_rows(struct db *db, int tag, int first, int n)
{
    unsigned char *blob = xmalloc(BLOB_BYTES);
    struct fid_error err;
    for (int i = first; i < first + n; i++) {
        memset(blob, (tag * 31 + i) & 0xff, BLOB_BYTES);
        struct db_stmt *s = db_prepare(db, "INSERT INTO t (tag, i, b) VALUES (?, ?, ?)");
        db_bind_int(s, 1, tag);
        db_bind_int(s, 2, i);
        db_bind_blob(s, 3, blob, BLOB_BYTES);
        assert_int_equal(db_run(s, &err), FID_OK);
    }
    free(blob);
}

/* Rows of tag whose blob holds insert_rows's byte at its start, middle and end. */
static int64_t intact_rows(struct db *db, int tag)
{
    struct fid_error err;
    int64_t n = -1;
    struct db_stmt *s = db_prepare(
        db, "SELECT COUNT(*) FROM t WHERE tag = ?1 AND length(b) = 65536 AND hex(substr(b, 1, 1) "
            "|| substr(b, 32768, 1) || substr(b, 65536, 1)) = printf('%02X%02X%02X', (tag * 31 + "
            "i) % 256, (tag * 31 + i) % 256, (tag * 31 + i) % 256)");
    db_bind_int(s, 1, tag);
    assert_int_equal(db_run_int(s, -1, &n, &err), FID_OK);
    return n;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (in == NULL) { /* an absent file (no log yet) copies as absent */
        if (out)
            fclose(out);
        unlink(to);
        return;
    }
    assert_non_null(out);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        assert_int_equal(fwrite(chunk, 1, n, out), n);
    fclose(in);
    fclose(out);
}

/* Copies the database's three files as they are now (a crash's view) and opens the copy. */
static struct db *open_crash_copy(const char *path, char *copy, size_t size)
{
    snprintf(copy, size, "%s-copy", path);
    static const char *const suffixes[] = {"", "-wal"};
    char from[256], to[256];
    for (size_t i = 0; i < N_ELEMENTS(suffixes); i++) {
        snprintf(from, sizeof from, "%s%s", path, suffixes[i]);
        snprintf(to, sizeof to, "%s%s", copy, suffixes[i]);
        copy_file(from, to);
    }
    snprintf(to, sizeof to, "%s-shm", copy);
    unlink(to); /* without the index, opening the copy recovers it from the log's checksums */
    return open_full(copy);
}

static void test_commits_reach_the_log(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-walbuf-XXXXXX";
    store_test_path(path);
    struct db *writer = open_full(path), *reader = open_full(path);
    store_test_exec(writer,
                    "CREATE TABLE t (tag INTEGER, i INTEGER, b BLOB, PRIMARY KEY (tag, i))");
    struct fid_error err;
    for (int round = 0; round < 5; round++) {
        assert_int_equal(db_begin(writer, &err), FID_OK);
        insert_rows(writer, 1, round * 40, 40); /* ~2.6 MiB: more than the buffer holds */
        assert_int_equal(db_commit(writer, &err), FID_OK);
        UNIT_EQ_INT("seen by another connection", intact_rows(reader, 1), (round + 1) * 40);
        char copy[256];
        struct db *recovered = open_crash_copy(path, copy, sizeof copy);
        UNIT_EQ_INT("in a copy of the files", intact_rows(recovered, 1), (round + 1) * 40);
        db_close(recovered);
        store_test_remove(copy);
    }
    db_close(reader);
    db_close(writer);
    store_test_remove(path);
}

static void test_rolled_back_frames_never_reach_the_log(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-walbuf-XXXXXX";
    store_test_path(path);
    struct db *a = open_full(path), *b = open_full(path);
    store_test_exec(a, "CREATE TABLE t (tag INTEGER, i INTEGER, b BLOB, PRIMARY KEY (tag, i))");
    /* A small cache makes A's transaction spill its pages into the log before it ends. */
    store_test_exec(a, "PRAGMA cache_size = 20");
    struct fid_error err;
    assert_int_equal(db_begin(a, &err), FID_OK);
    insert_rows(a, 9, 0, 12); /* ~200 pages, most spilled into A's buffer */
    db_rollback(a);
    assert_int_equal(db_begin(b, &err), FID_OK);
    insert_rows(b, 2, 0, 3); /* fewer frames than A spilled: A's stale ones lie beyond */
    assert_int_equal(db_commit(b, &err), FID_OK);
    assert_int_equal(db_begin(a, &err), FID_OK);
    insert_rows(a, 3, 0, 2);
    assert_int_equal(db_commit(a, &err), FID_OK);

    struct db *reader = open_full(path);
    UNIT_EQ_INT("B's rows", intact_rows(reader, 2), 3);
    UNIT_EQ_INT("A's second rows", intact_rows(reader, 3), 2);
    UNIT_EQ_INT("A's rolled back rows",
                store_test_int(reader, "SELECT COUNT(*) FROM t WHERE tag = 9"), 0);
    char copy[256];
    struct db *recovered = open_crash_copy(path, copy, sizeof copy);
    UNIT_EQ_INT("B's rows after recovery", intact_rows(recovered, 2), 3);
    UNIT_EQ_INT("A's rows after recovery", intact_rows(recovered, 3), 2);
    struct db_stmt *s = db_prepare(recovered, "PRAGMA integrity_check");
    assert_int_equal(db_step(s), DB_ROW);
    UNIT_EQ_STR("integrity", db_column_text(s, 0), "ok");
    db_done(s);
    db_close(recovered);
    store_test_remove(copy);
    db_close(reader);
    db_close(a);
    db_close(b);
    store_test_remove(path);
}

/* One committed transaction of n rows of tag; returns the syncs it cost. */
static int commit_rows(struct db *db, int tag, int first, int n)
{
    struct fid_error err;
    int before = syncs;
    assert_int_equal(db_begin(db, &err), FID_OK);
    insert_rows(db, tag, first, n);
    assert_int_equal(db_commit(db, &err), FID_OK);
    return syncs - before;
}

static void test_sync_apart(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-walbuf-XXXXXX";
    store_test_path(path);
    struct db *plain = open_full(path), *apart = open_with(path, true);
    store_test_exec(plain, "CREATE TABLE t (tag INTEGER, i INTEGER, b BLOB, PRIMARY KEY (tag, i))");
    assert_true(commit_rows(plain, 1, 0, 2) >= 1); /* the control: syncs are counted */

    struct fid_error err;
    for (int round = 0; round < 3; round++) {
        UNIT_EQ_INT("syncs of a sync_apart commit", commit_rows(apart, 2, round * 5, 5), 0);
        UNIT_EQ_INT("seen by another connection", intact_rows(plain, 2), (round + 1) * 5);
        int before = syncs;
        assert_int_equal(db_sync_log(apart, &err), FID_OK);
        /* the log, and the first time its directory too */
        assert_true(syncs - before == (round == 0 ? 2 : 1));
    }
    int before = syncs;
    assert_int_equal(db_sync_log(plain, &err), FID_OK);
    UNIT_EQ_INT("syncs of a plain connection's db_sync_log", syncs - before, 0);

    /* A checkpoint after a deferred commit syncs the log before copying it, then the file. */
    assert_int_equal(commit_rows(apart, 3, 0, 3), 0);
    before = syncs;
    store_test_exec(apart, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_true(syncs - before >= 2);

    /* The log goes when the last connection closes; a new one is synced, directory included. */
    db_close(plain);
    db_close(apart);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_true(access(wal, F_OK) != 0);
    apart = open_with(path, true); /* opening makes a new, empty log */
    before = syncs;
    assert_int_equal(db_sync_log(apart, &err), FID_OK);
    UNIT_EQ_INT("a new log and its directory", syncs - before, 2);
    /* The commit that starts writing a log syncs its header first (SQLite, under FULL), for
     * real, and the directory with a new file's first sync; its own sync, like the next ones',
     * is deferred. */
    UNIT_EQ_INT("the commit that starts the log", commit_rows(apart, 4, 0, 1), 2);
    UNIT_EQ_INT("after reopening", commit_rows(apart, 4, 1, 1), 0);
    before = syncs;
    assert_int_equal(db_sync_log(apart, &err), FID_OK);
    UNIT_EQ_INT("the same log", syncs - before, 1);
    char copy[256];
    struct db *recovered = open_crash_copy(path, copy, sizeof copy);
    UNIT_EQ_INT("rows after recovery", intact_rows(recovered, 2) + intact_rows(recovered, 4), 17);
    db_close(recovered);
    store_test_remove(copy);
    db_close(apart);
    store_test_remove(path);
}

/* A log that starts over (after a checkpoint that copied all of it) has its new header synced
 * before any frame is written over the old ones, deferral or not: otherwise, after a power
 * loss, a header of the old run followed by frames of both could bring back pages older than the
 * database holds (SQLite's reason for that sync). The commit's own sync stays deferred. */
static void test_a_log_starting_over_syncs_its_header(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-walbuf-XXXXXX";
    store_test_path(path);
    struct db *apart = open_with(path, true);
    store_test_exec(apart, "CREATE TABLE t (tag INTEGER, i INTEGER, b BLOB, PRIMARY KEY (tag, i))");
    struct fid_error err;
    for (int round = 0; round < 3; round++) {
        /* the next write starts the log over; truncated, so that the size of the file at a sync
         * tells what it covered (a log restarted in place keeps its old size) */
        store_test_exec(apart, "PRAGMA wal_checkpoint(TRUNCATE)");
        int before = syncs;
        commit_rows(apart, 5, round * 5, 4);
        UNIT_EQ_INT("syncs of the commit that starts the log over", syncs - before, 1);
        UNIT_EQ_INT("what that sync covered: the log's header alone", (int)synced_size, 32);
        UNIT_EQ_INT("the next commit", commit_rows(apart, 5, round * 5 + 4, 1), 0);
        before = syncs;
        assert_int_equal(db_sync_log(apart, &err), FID_OK);
        assert_true(syncs - before >= 1);
    }
    db_close(apart);
    store_test_remove(path);
}

/* Once a sync of the log failed, the kernel may have dropped the pages it did not write, and a
 * later sync can succeed without them: every later db_sync_log fails too, so that nothing
 * committed after the failure is taken as durable. */
static void test_a_failed_log_sync_stays_failed(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-walbuf-XXXXXX";
    store_test_path(path);
    struct db *apart = open_with(path, true);
    store_test_exec(apart, "CREATE TABLE t (tag INTEGER, i INTEGER, b BLOB, PRIMARY KEY (tag, i))");
    struct fid_error err;
    commit_rows(apart, 6, 0, 1);
    assert_int_equal(db_sync_log(apart, &err), FID_OK);
    commit_rows(apart, 6, 1, 1);
    __atomic_store_n(&syncs_failing, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(db_sync_log(apart, &err), FID_ERR_IO);
    __atomic_store_n(&syncs_failing, 0, __ATOMIC_SEQ_CST);
    commit_rows(apart, 6, 2, 1);
    fid_error_clear(&err);
    assert_int_equal(db_sync_log(apart, &err), FID_ERR_IO);
    assert_non_null(strstr(err.message, "syncing log"));
    db_close(apart);
    /* a new connection (a restarted server) starts from what the files hold */
    apart = open_with(path, true);
    assert_int_equal(db_sync_log(apart, &err), FID_OK);
    db_close(apart);
    store_test_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commits_reach_the_log),
        cmocka_unit_test(test_rolled_back_frames_never_reach_the_log),
        cmocka_unit_test(test_sync_apart),
        cmocka_unit_test(test_a_log_starting_over_syncs_its_header),
        cmocka_unit_test(test_a_failed_log_sync_stays_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
