/*
 * store/schema: migration 6 moves the idempotency records from a table keyed by (merchant, key)
 * to one in arrival order with a unique index of the keys. On a file migrated to 5 and filled
 * with records of two merchants, it keeps every record as it was, in the order they were applied;
 * a key is found through the index, the same key stays free for another merchant, and a second
 * record of one merchant's key is refused. Migrating again changes nothing.
 */
#include "../unit_support.h"

#include <unistd.h>

#include "store/db.h"
#include "store/schema.h"

static void exec_ok(struct db *db, const char *sql)
{
    struct fid_error err;
    if (db_exec(db, sql, &err) != FID_OK)
        fail_msg("%s: %s", sql, err.message);
}

static int64_t count(struct db *db, const char *sql)
{
    struct fid_error err;
    int64_t n = -1;
    assert_int_equal(db_run_int(db_prepare(db, sql), -1, &n, &err), FID_OK);
    return n;
}

static void test_migration_6_keeps_the_records(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    assert_int_equal(schema_migrate_to(db, 5, &err), FID_OK);
    exec_ok(db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'Europe/Paris', 'fr', 0),"
                " (2, 'B', 'EUR', 'Europe/Paris', 'fr', 0)");
    /* Applied in the order c, a, b for merchant 1 (keys out of order), then merchant 2's a. */
    exec_ok(db, "INSERT INTO events VALUES"
                " (1, 'c', 'd-c', 'order', 10, 100, '{\"key\":\"c\"}'),"
                " (1, 'a', 'd-a', 'enrol', 11, 101, '{\"key\":\"a\"}'),"
                " (1, 'b', 'd-b', 'order', 12, 102, '{\"key\":\"b\"}'),"
                " (2, 'a', 'd-2a', 'enrol', 13, 103, '{\"key\":\"a\",\"m\":2}')");
    char before[512] = "";
    struct db_stmt *s =
        db_prepare(db, "SELECT group_concat(merchant_id || key || digest || type || "
                       "at || applied_at || result, ';') FROM (SELECT * FROM "
                       "events ORDER BY applied_at)");
    assert_int_equal(db_step(s), DB_ROW);
    snprintf(before, sizeof before, "%s", db_column_text(s, 0));
    db_done(s);

    assert_int_equal(schema_migrate(db, &err), FID_OK);
    assert_int_equal(schema_migrate(db, &err), FID_OK); /* again: nothing to do */
    s = db_prepare(db, "SELECT group_concat(merchant_id || key || digest || type || at || "
                       "applied_at || result, ';') FROM (SELECT * FROM events ORDER BY rowid)");
    assert_int_equal(db_step(s), DB_ROW);
    UNIT_EQ_STR("records in arrival order", db_column_text(s, 0), before);
    db_done(s);
    UNIT_EQ_INT("found by key through the index",
                count(db, "SELECT COUNT(*) FROM events INDEXED BY events_key "
                          "WHERE merchant_id = 2 AND key = 'a'"),
                1);
    if (db_exec(db, "INSERT INTO events VALUES (1, 'b', 'x', 'order', 1, 1, '{}')", &err) == FID_OK)
        fail_msg("a second record of merchant 1's key b was accepted");
    exec_ok(db, "INSERT INTO events VALUES (2, 'b', 'x', 'order', 1, 1, '{}')");
    UNIT_EQ_INT("records", count(db, "SELECT COUNT(*) FROM events"), 5);
    db_close(db);
    char file[64];
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < N_ELEMENTS(suffixes); i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_6_keeps_the_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
