/*
 * store/log_syncer: a sync_apart connection's commits made durable on a thread of their own.
 * Every fsync of the process is counted (sync_counter.h), so the tests see the syncs happen:
 * - a wait for a ticket returns once a sync after its commit ran; a wait for no ticket at once;
 * - commits asked while the thread is busy share one sync (never more syncs than asks);
 * - stopping syncs what was committed since the last ask;
 * - a failed sync fails its wait and every later one, the disk healthy again or not: the commits
 *   after it sit on a log not known to be on disk.
 */
#include "store/log_syncer.h"

#include "store_support.h"
#include "sync_counter.h"

static struct db *open_apart(const char *path)
{
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL, .sync_apart = true};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    return db;
}

static void commit_row(struct db *db, int i)
{
    struct fid_error err;
    assert_int_equal(db_begin(db, &err), FID_OK);
    struct db_stmt *s = db_prepare(db, "INSERT INTO t (i) VALUES (?)");
    db_bind_int(s, 1, i);
    assert_int_equal(db_run(s, &err), FID_OK);
    assert_int_equal(db_commit(db, &err), FID_OK);
}

static int current_syncs(void)
{
    return __atomic_load_n(&syncs, __ATOMIC_SEQ_CST);
}

static struct db *fresh(char *path)
{
    store_test_path(path);
    struct db *db = open_apart(path);
    store_test_exec(db, "CREATE TABLE t (i INTEGER PRIMARY KEY)");
    struct fid_error err;
    assert_int_equal(db_sync_log(db, &err), FID_OK); /* the log's first sync, and its directory */
    return db;
}

static void test_wait_returns_after_a_sync(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-syncer-XXXXXX";
    struct db *db = fresh(path);
    struct log_syncer *s = NULL;
    struct fid_error err;
    assert_int_equal(log_syncer_start(db, &s, &err), FID_OK);
    assert_int_equal(log_syncer_wait(s, 0, &err), FID_OK); /* no ticket: nothing to wait for */

    int before = current_syncs();
    commit_row(db, 1);
    UNIT_EQ_INT("syncs of the commit itself", current_syncs() - before, 0);
    uint64_t ticket = log_syncer_ask(s);
    assert_int_equal(log_syncer_wait(s, ticket, &err), FID_OK);
    assert_true(current_syncs() - before >= 1);

    /* Many asks, one wait: as many syncs as asks at most, at least one. */
    before = current_syncs();
    uint64_t last = 0;
    for (int i = 2; i < 50; i++) {
        commit_row(db, i);
        last = log_syncer_ask(s);
    }
    assert_int_equal(last, ticket + 48);
    assert_int_equal(log_syncer_wait(s, last, &err), FID_OK);
    int made = current_syncs() - before;
    assert_true(made >= 1 && made <= 48);

    /* Stopping syncs what was committed since the last ask. */
    commit_row(db, 50);
    before = current_syncs();
    assert_int_equal(log_syncer_stop(s, &err), FID_OK);
    assert_true(current_syncs() - before >= 1);
    db_close(db);
    store_test_remove(path);
}

static void test_a_failed_sync_fails_every_later_wait(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-syncer-XXXXXX";
    struct db *db = fresh(path);
    struct log_syncer *s = NULL;
    struct fid_error err;
    assert_int_equal(log_syncer_start(db, &s, &err), FID_OK);
    commit_row(db, 1);
    uint64_t good = log_syncer_ask(s);
    assert_int_equal(log_syncer_wait(s, good, &err), FID_OK);

    __atomic_store_n(&syncs_failing, 1, __ATOMIC_SEQ_CST);
    commit_row(db, 2);
    uint64_t bad = log_syncer_ask(s);
    assert_int_equal(log_syncer_wait(s, bad, &err), FID_ERR_IO);
    assert_non_null(strstr(err.message, "syncing log"));
    __atomic_store_n(&syncs_failing, 0, __ATOMIC_SEQ_CST);

    commit_row(db, 3);
    uint64_t after = log_syncer_ask(s);
    assert_int_equal(log_syncer_wait(s, after, &err), FID_ERR_IO);
    assert_int_equal(log_syncer_wait(s, good, &err), FID_ERR_IO); /* the log is not known good */
    assert_int_equal(log_syncer_stop(s, &err), FID_ERR_IO);
    db_close(db);
    store_test_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_returns_after_a_sync),
        cmocka_unit_test(test_a_failed_sync_fails_every_later_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
