/*
 * store/schema, migrations that move data. Migration 6 moves the idempotency records from a table
 * keyed by (merchant, key) to one in arrival order with a unique index of the keys. On a file
 * migrated to 5 and filled with records of two merchants, it keeps every record as it was, in the
 * order they were applied; a key is found through the index, the same key stays free for another
 * merchant, and a second record of one merchant's key is refused. Migrating again changes nothing.
 * Migration 7 chains each customer's ledger entries: on entries of two customers interleaved,
 * each entry names the same customer's previous one and each customer its newest (none for a
 * customer without entries), and the index by customer is gone.
 * Migration 8 rebuilds the ledger, lots and vouchers with their enumerations checked by OR: the
 * rows and indexes are the same, a value outside an enumeration is still refused, and inserting
 * into them no longer builds a temporary B-tree (no OpenEphemeral in the statement's program).
 * Migration 9 moves the stamp balances into their customer's row: for customers of two merchants
 * with balances on several cards (and one without any), the view stamp_balances shows the same
 * rows as the table did, and the row holds them as a JSON object in card order; after migration
 * 11 a row whose stamps are not JSON drops out of the view instead of failing it.
 * Migration 10 chains each customer's lots: on lots of two customers interleaved, some used up,
 * each lot names the same customer's previous one, each customer its newest and the oldest lot
 * still open (past the newest when none is), and the index of open lots by customer is gone.
 * Migration 12 chains each customer's orders and sums them by period in the customer's row: on
 * orders of two customers interleaved, one refunded, each order names the same customer's
 * previous one, each customer's summary holds its orders (none for a customer without); after
 * migration 13 the index of orders by customer is gone.
 * Migration 14 has each order name the points lot it earned: of two merchants' orders, one with
 * two lots, one with none, each names its first lot (none for the one without), and the index
 * of lots by order is gone.
 * Migration 15 orders orders_at by id within a second: orders of one second from customers in no
 * order come out of the index in id order, and the KPI pass's query still reads the index alone.
 * Migration 16 orders the vouchers' indexes by reward and by end of validity by issuing ledger
 * entry: vouchers with codes in no order come out of both in the order they were issued.
 * Migration 17 writes again the explanations an earlier version cut: an adjustment's from its
 * reason and amount, a reward redemption's from the reward of the voucher it issued; whole ones
 * stay as they are. Migration 20 records the tiers members hold as the start of their history,
 * once the rows hold the images a server's journal kept. Migration 21 rewrites phones in
 * international form (cy's tier, reached at the epoch, is kept with the instant 0); migration 22
 * marks as members' the orders after a backdated enrolment. Migration 24 keeps e-mail addresses
 * in lower case.
 */
#include "store_support.h"

#include "store/customer_journal.h"
#include "store/schema.h"
#include "store/store.h"

/* A fresh file at path (a mkstemp template) migrated to version. */
static struct db *open_at_version(char *path, int version)
{
    store_test_path(path);
    struct fid_error err;
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(path, &options, &db, &err), FID_OK);
    assert_int_equal(schema_migrate_to(db, version, &err), FID_OK);
    return db;
}

/* open_at_version with merchant 1 ("A", EUR, Europe/Paris) in it. */
static struct db *open_with_merchant(char *path, int version)
{
    struct db *db = open_at_version(path, version);
    store_test_exec(db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'Europe/Paris', 'fr', 0)");
    return db;
}

static void close_and_remove(struct db *db, const char *path)
{
    db_close(db);
    store_test_remove(path);
}

/* The one text a query gives (rows joined by group_concat). */
static void table_text(struct db *db, const char *sql, char *out, size_t size)
{
    struct db_stmt *s = db_prepare(db, sql);
    assert_int_equal(db_step(s), DB_ROW);
    snprintf(out, size, "%s", db_column_text(s, 0));
    db_done(s);
}

static void test_migration_6_keeps_the_records(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_at_version(path, 5);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'Europe/Paris', 'fr', 0),"
                        " (2, 'B', 'EUR', 'Europe/Paris', 'fr', 0)");
    /* Applied in the order c, a, b for merchant 1 (keys out of order), then merchant 2's a. */
    store_test_exec(db, "INSERT INTO events VALUES"
                        " (1, 'c', 'd-c', 'order', 10, 100, '{\"key\":\"c\"}'),"
                        " (1, 'a', 'd-a', 'enrol', 11, 101, '{\"key\":\"a\"}'),"
                        " (1, 'b', 'd-b', 'order', 12, 102, '{\"key\":\"b\"}'),"
                        " (2, 'a', 'd-2a', 'enrol', 13, 103, '{\"key\":\"a\",\"m\":2}')");
    char before[512], after[512];
    table_text(db,
               "SELECT group_concat(merchant_id || key || digest || type || at || applied_at || "
               "result, ';') FROM (SELECT * FROM events ORDER BY applied_at)",
               before, sizeof before);
    assert_int_equal(schema_migrate(db, &err), FID_OK);
    assert_int_equal(schema_migrate(db, &err), FID_OK); /* again: nothing to do */
    table_text(db,
               "SELECT group_concat(merchant_id || key || digest || type || at || applied_at || "
               "result, ';') FROM (SELECT * FROM events ORDER BY rowid)",
               after, sizeof after);
    UNIT_EQ_STR("records in arrival order", after, before);
    UNIT_EQ_INT("found by key through the index",
                store_test_int(db, "SELECT COUNT(*) FROM events INDEXED BY events_key "
                                   "WHERE merchant_id = 2 AND key = 'a'"),
                1);
    if (db_exec(db, "INSERT INTO events VALUES (1, 'b', 'x', 'order', 1, 1, '{}')", &err) == FID_OK)
        fail_msg("a second record of merchant 1's key b was accepted");
    store_test_exec(db, "INSERT INTO events VALUES (2, 'b', 'x', 'order', 1, 1, '{}')");
    UNIT_EQ_INT("records", store_test_int(db, "SELECT COUNT(*) FROM events"), 5);
    close_and_remove(db, path);
}

static void test_migration_7_chains_the_ledger(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 6);
    struct fid_error err;
    store_test_exec(
        db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES (1, 1, 'ann', 0),"
            " (1, 2, 'bob', 0), (1, 3, 'cy', 0)");
    /* Entries 1..6: ann, bob, ann, ann, bob, ann. */
    store_test_exec(db,
                    "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
                    "program_version) VALUES (1, 1, 1, 0, 'earn', 'points', 5, 1),"
                    " (1, 2, 2, 0, 'earn', 'points', 5, 1), (1, 3, 1, 0, 'earn', 'points', 5, 1),"
                    " (1, 4, 1, 0, 'earn', 'points', 5, 1), (1, 5, 2, 0, 'earn', 'points', 5, 1),"
                    " (1, 6, 1, 0, 'earn', 'points', 5, 1)");
    assert_int_equal(schema_migrate(db, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(id || '<' || COALESCE(prev_id, '-'), ' ') FROM (SELECT * "
               "FROM ledger ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("links", text, "1<- 2<- 3<1 4<3 5<2 6<4");
    table_text(db,
               "SELECT group_concat(ref || ':' || COALESCE(last_ledger_id, '-'), ' ') FROM "
               "(SELECT * FROM customers ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("heads", text, "ann:6 bob:5 cy:-");
    UNIT_EQ_INT(
        "no index by customer",
        store_test_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ledger_customer'"), 0);
    close_and_remove(db, path);
}

static bool builds_temporary_btree(struct db *db, const char *insert)
{
    char explain[512];
    snprintf(explain, sizeof explain, "EXPLAIN %s", insert);
    struct db_stmt *s = db_prepare(db, explain);
    bool found = false;
    while (db_step(s) == DB_ROW)
        found = found || strcmp(db_column_text(s, 1), "OpenEphemeral") == 0;
    db_done(s);
    return found;
}

static const char LEDGER_ROWS[] =
    "SELECT group_concat(id || kind || account || amount || COALESCE(prev_id, '-'), ';') FROM "
    "(SELECT * FROM ledger ORDER BY merchant_id, id)";
static const char LOT_ROWS[] = "SELECT group_concat(id || state || amount || remaining, ';') FROM "
                               "(SELECT * FROM lots ORDER BY merchant_id, id)";
static const char VOUCHER_ROWS[] = "SELECT group_concat(code || source || state, ';') FROM "
                                   "(SELECT * FROM vouchers ORDER BY merchant_id, code)";
static const char LEDGER_INSERT[] =
    "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
    "program_version) VALUES (1, 9, 1, 0, 'earn', 'points', 5, 1)";

static void test_migration_8_checks_without_temporary_btrees(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 7);
    struct fid_error err;
    store_test_exec(
        db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES (1, 1, 'ann', 0)");
    store_test_exec(db,
                    "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
                    "program_version, prev_id) VALUES (1, 1, 1, 0, 'earn', 'points', 50, 1, NULL),"
                    " (1, 2, 1, 0, 'redeem', 'points', -20, 1, 1),"
                    " (1, 3, 1, 0, 'earn', 'stamps', 2, 1, 2)");
    store_test_exec(db,
                    "INSERT INTO lots VALUES (1, 1, 1, 'available', 0, 0, NULL, 50, 30, NULL, 1),"
                    " (1, 2, 1, 'pending', 0, 9, NULL, 10, 10, 4, 3)");
    store_test_exec(db, "INSERT INTO vouchers VALUES (1, 'AAAA', 1, 'free-coffee', 'stamp_card', "
                        "'issued', 0, 99, NULL, NULL, 3, 'k1'), (1, 'BBBB', 1, 'pastry', 'redeem', "
                        "'used', 0, 99, 5, 'o-1', 2, 'k2')");
    assert_true(builds_temporary_btree(db, LEDGER_INSERT)); /* what migration 8 removes */
    char ledger[512], lots[512], vouchers[512], now[512];
    table_text(db, LEDGER_ROWS, ledger, sizeof ledger);
    table_text(db, LOT_ROWS, lots, sizeof lots);
    table_text(db, VOUCHER_ROWS, vouchers, sizeof vouchers);

    assert_int_equal(schema_migrate_to(db, 8, &err), FID_OK);
    table_text(db, LEDGER_ROWS, now, sizeof now);
    UNIT_EQ_STR("ledger", now, ledger);
    table_text(db, LOT_ROWS, now, sizeof now);
    UNIT_EQ_STR("lots", now, lots);
    table_text(db, VOUCHER_ROWS, now, sizeof now);
    UNIT_EQ_STR("vouchers", now, vouchers);
    UNIT_EQ_INT(
        "indexes",
        store_test_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                           "('lots_open', 'lots_order', 'vouchers_customer', 'vouchers_reward', "
                           "'vouchers_due')"),
        5);
    assert_false(builds_temporary_btree(db, LEDGER_INSERT));
    assert_false(builds_temporary_btree(
        db, "INSERT INTO lots VALUES (1, 3, 1, 'available', 0, 0, NULL, 5, 5, NULL, 9)"));
    assert_false(builds_temporary_btree(db, "INSERT INTO vouchers VALUES (1, 'CCCC', 1, 'x', "
                                            "'redeem', 'issued', 0, 9, NULL, NULL, NULL, 'k')"));
    static const char *const refused[] = {
        "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
        "program_version) VALUES (1, 10, 1, 0, 'gift', 'points', 5, 1)",
        "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
        "program_version) VALUES (1, 10, 1, 0, 'earn', 'miles', 5, 1)",
        "INSERT INTO lots VALUES (1, 3, 1, 'frozen', 0, 0, NULL, 5, 5, NULL, 9)",
        "INSERT INTO vouchers VALUES (1, 'CCCC', 1, 'x', 'gift', 'issued', 0, 9, NULL, NULL, "
        "NULL, 'k')",
        "INSERT INTO vouchers VALUES (1, 'CCCC', 1, 'x', 'redeem', 'lost', 0, 9, NULL, NULL, "
        "NULL, 'k')",
    };
    for (size_t i = 0; i < N_ELEMENTS(refused); i++)
        if (db_exec(db, refused[i], &err) == FID_OK)
            fail_msg("accepted: %s", refused[i]);
    close_and_remove(db, path);
}

static void test_migration_9_holds_stamps_in_the_customer_row(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_at_version(path, 8);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'Europe/Paris', 'fr', 0),"
                        " (2, 'B', 'EUR', 'Europe/Paris', 'fr', 0)");
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES"
                        " (1, 1, 'ann', 0), (1, 2, 'bob', 0), (2, 1, 'cat', 0)");
    store_test_exec(db,
                    "INSERT INTO stamp_balances VALUES (1, 1, 'tea', 3, 0), (1, 1, 'coffee', 7, 2),"
                    " (2, 1, 'coffee', 0, 1)");
    static const char rows[] = "SELECT group_concat(merchant_id || '/' || customer_id || '/' || "
                               "card_id || '=' || stamps || '+' || cards_completed, ' ') FROM "
                               "(SELECT * FROM stamp_balances ORDER BY merchant_id, customer_id, "
                               "card_id)";
    char before[256], after[256], held[256];
    table_text(db, rows, before, sizeof before);
    assert_int_equal(schema_migrate_to(db, 9, &err), FID_OK);
    table_text(db, rows, after, sizeof after);
    UNIT_EQ_STR("balances through the view", after, before);
    table_text(db,
               "SELECT group_concat(ref || ':' || stamps, ' ') FROM (SELECT * FROM customers "
               "ORDER BY merchant_id, id)",
               held, sizeof held);
    UNIT_EQ_STR("rows", held, "ann:{\"coffee\":[7,2],\"tea\":[3,0]} bob:{} cat:{\"coffee\":[0,1]}");
    /* Migration 11: a row whose stamps are not a JSON object is left out, not an error. */
    assert_int_equal(schema_migrate_to(db, 11, &err), FID_OK);
    store_test_exec(db, "UPDATE customers SET stamps = 'x' WHERE ref = 'ann'");
    table_text(db, rows, after, sizeof after);
    UNIT_EQ_STR("the others' balances", after, "2/1/coffee=0+1");
    close_and_remove(db, path);
}

static void test_migration_10_chains_the_lots(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 9);
    struct fid_error err;
    store_test_exec(
        db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES (1, 1, 'ann', 0),"
            " (1, 2, 'bob', 0), (1, 3, 'cy', 0)");
    /* Lots 1..5: ann (used up), bob (used up), ann, bob (used up), ann. */
    store_test_exec(
        db, "INSERT INTO lots (merchant_id, id, customer_id, state, earned_at, available_at, "
            "amount, remaining, ledger_id) VALUES (1, 1, 1, 'available', 0, 0, 5, 0, 1),"
            " (1, 2, 2, 'available', 0, 0, 5, 0, 2), (1, 3, 1, 'available', 0, 0, 5, 5, 3),"
            " (1, 4, 2, 'available', 0, 0, 5, 0, 4), (1, 5, 1, 'pending', 0, 0, 5, 5, 5)");
    assert_int_equal(schema_migrate_to(db, 10, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(id || '<' || COALESCE(prev_id, '-'), ' ') FROM (SELECT * "
               "FROM lots ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("links", text, "1<- 2<- 3<1 4<2 5<3");
    table_text(db,
               "SELECT group_concat(ref || ':' || COALESCE(last_lot_id, '-') || '/' || "
               "COALESCE(open_lots_from, '-'), ' ') FROM (SELECT * FROM customers ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("heads and oldest open", text, "ann:5/3 bob:4/5 cy:-/-");
    UNIT_EQ_INT("index gone",
                store_test_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'lots_open'"),
                0);
    close_and_remove(db, path);
}

/* The summary of a customer's orders as its row holds it. */
static void row_periods(struct db *db, int64_t customer, struct order_periods *out)
{
    struct db_stmt *s =
        db_prepare(db, "SELECT order_periods FROM customers WHERE merchant_id = 1 AND id = ?");
    db_bind_int(s, 1, customer);
    assert_int_equal(db_step(s), DB_ROW);
    size_t size = 0;
    const void *blob = db_column_blob(s, 0, &size);
    assert_true(order_periods_decode(blob, size, out));
    db_done(s);
}

static void test_migration_12_sums_orders_by_period(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 11);
    struct fid_error err;
    store_test_exec(
        db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES (1, 1, 'ann', 0),"
            " (1, 2, 'bob', 0), (1, 3, 'cy', 0)");
    /* Orders 1..4: ann, bob, ann (refunded 300 of 500, 2 points clawed), bob. */
    store_test_exec(db, "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, "
                        "member_at_order, gross_minor, paid_minor, basis_minor, points_earned, "
                        "points_clawed, refunded_minor, body) VALUES "
                        "(1, 1, 'a1', 1, 1000, 'store', 1, 100, 100, 100, 1, 0, 0, '{}'),"
                        " (1, 2, 'b1', 2, 2000, 'store', 1, 200, 200, 200, 2, 0, 0, '{}'),"
                        " (1, 3, 'a2', 1, 5000000, 'store', 1, 500, 500, 500, 5, 2, 300, '{}'),"
                        " (1, 4, 'b2', 2, 3000, 'store', 1, 400, 400, 400, 4, 0, 0, '{}')");
    assert_int_equal(schema_migrate_to(db, 12, &err), FID_OK);
    UNIT_EQ_INT(
        "index kept for the rebuild",
        store_test_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'orders_customer'"), 1);
    assert_int_equal(schema_migrate_to(db, 13, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(id || '<' || COALESCE(prev_id, '-'), ' ') FROM (SELECT * "
               "FROM orders ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("links", text, "1<- 2<- 3<1 4<2");
    struct order_periods ann, bob, cy;
    row_periods(db, 1, &ann);
    row_periods(db, 2, &bob);
    row_periods(db, 3, &cy);
    UNIT_EQ_INT("ann's head", ann.last_order_id, 3);
    UNIT_EQ_INT("ann's periods", ann.n, 2);
    UNIT_EQ_INT("ann's refunded order", ann.periods[1].sum.spend_minor, 200);
    UNIT_EQ_INT("its points", ann.periods[1].sum.points, 3);
    UNIT_EQ_INT("bob's head", bob.last_order_id, 4);
    UNIT_EQ_INT("bob's one period", bob.n, 1);
    UNIT_EQ_INT("bob's spend", bob.periods[0].sum.spend_minor, 600);
    UNIT_EQ_INT("bob's oldest", bob.periods[0].oldest_id, 2);
    UNIT_EQ_INT("cy has none", cy.last_order_id, 0);
    UNIT_EQ_INT(
        "index gone",
        store_test_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'orders_customer'"), 0);
    close_and_remove(db, path);
}

static void test_migration_14_orders_name_their_lot(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_at_version(path, 13);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'Europe/Paris', 'fr', 0),"
                        " (2, 'B', 'EUR', 'Europe/Paris', 'fr', 0)");
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0), (2, 1, 'bob', 0)");
    /* Order 1 of each merchant; merchant 1 also has order 2, which earned no lot. */
    store_test_exec(db, "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, "
                        "member_at_order, gross_minor, paid_minor, basis_minor, body) VALUES "
                        "(1, 1, 'a1', 1, 1000, 'store', 1, 100, 100, 100, '{}'),"
                        " (1, 2, 'a2', 1, 2000, 'store', 1, 100, 100, 100, '{}'),"
                        " (2, 1, 'b1', 1, 1000, 'store', 1, 100, 100, 100, '{}')");
    /* Merchant 1's order 1 earned lots 3 and 4 (a lot with no order between), merchant 2's lot
     * 7: the same order id in two merchants names each its own. */
    store_test_exec(
        db, "INSERT INTO lots (merchant_id, id, customer_id, state, earned_at, available_at, "
            "amount, remaining, order_id, ledger_id) VALUES "
            "(1, 2, 1, 'available', 0, 0, 5, 5, NULL, 1), (1, 4, 1, 'available', 0, 0, 5, 5, 1, 3),"
            " (1, 3, 1, 'available', 0, 0, 5, 5, 1, 2), (2, 7, 1, 'available', 0, 0, 5, 5, 1, 1)");
    assert_int_equal(schema_migrate_to(db, 14, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(merchant_id || '/' || ref || ':' || COALESCE(lot_id, '-'), "
               "' ') FROM (SELECT * FROM orders ORDER BY merchant_id, id)",
               text, sizeof text);
    UNIT_EQ_STR("lots named", text, "1/a1:3 1/a2:- 2/b1:7");
    UNIT_EQ_INT("index gone",
                store_test_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'lots_order'"),
                0);
    close_and_remove(db, path);
}

static void test_migration_15_orders_of_a_second_in_id_order(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 14);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0), (1, 2, 'bob', 0), (1, 3, 'cy', 0)");
    /* Orders 1 to 4 in one second from customers 3, 1, 2, 1; order 5 a second later. */
    store_test_exec(db, "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, "
                        "member_at_order, gross_minor, paid_minor, basis_minor, body) VALUES "
                        "(1, 1, 'o1', 3, 1000, 'store', 1, 100, 100, 100, '{}'),"
                        " (1, 2, 'o2', 1, 1000, 'store', 1, 100, 100, 100, '{}'),"
                        " (1, 3, 'o3', 2, 1000, 'store', 1, 100, 100, 100, '{}'),"
                        " (1, 4, 'o4', 1, 1000, 'store', 1, 100, 100, 100, '{}'),"
                        " (1, 5, 'o5', 2, 1001, 'store', 1, 100, 100, 100, '{}')");
    assert_int_equal(schema_migrate_to(db, 15, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(ref, ' ') FROM (SELECT ref FROM orders INDEXED BY orders_at "
               "WHERE merchant_id = 1 AND at < 2000)",
               text, sizeof text);
    UNIT_EQ_STR("one second's orders in id order", text, "o1 o2 o3 o4 o5");
    /* The KPI pass reads the live orders by time from the index alone. */
    struct db_stmt *s = db_prepare(db, "EXPLAIN QUERY PLAN SELECT customer_id, at, paid_minor, "
                                       "member_at_order FROM orders WHERE merchant_id = ? AND "
                                       "at < ?");
    bool covering = false;
    while (db_step(s) == DB_ROW)
        covering = covering || strstr(db_column_text(s, 3), "COVERING INDEX orders_at") != NULL;
    db_done(s);
    UNIT_EQ_INT("the KPI pass reads the index alone", covering, 1);
    close_and_remove(db, path);
}

static void test_migration_16_vouchers_in_issue_order(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 15);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0)");
    /* Issued by ledger entries 1, 2, 3 in that order, codes in reverse order, one second. */
    store_test_exec(db, "INSERT INTO vouchers (merchant_id, code, customer_id, reward_id, source, "
                        "state, issued_at, valid_until, ledger_id, event_key) VALUES "
                        "(1, 'ZZZZ', 1, 'coffee', 'stamp_card', 'issued', 10, 100, 1, 'k1'),"
                        " (1, 'MMMM', 1, 'coffee', 'stamp_card', 'issued', 10, 100, 2, 'k2'),"
                        " (1, 'AAAA', 1, 'coffee', 'stamp_card', 'issued', 10, 100, 3, 'k3')");
    assert_int_equal(schema_migrate_to(db, 16, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(code, ' ') FROM (SELECT code FROM vouchers INDEXED BY "
               "vouchers_reward WHERE merchant_id = 1 AND reward_id = 'coffee' AND "
               "source = 'stamp_card')",
               text, sizeof text);
    UNIT_EQ_STR("by reward, in issue order", text, "ZZZZ MMMM AAAA");
    table_text(db,
               "SELECT group_concat(code, ' ') FROM (SELECT code FROM vouchers INDEXED BY "
               "vouchers_due WHERE merchant_id = 1 AND state = 'issued' AND valid_until <= 100)",
               text, sizeof text);
    UNIT_EQ_STR("by end of validity, in issue order", text, "ZZZZ MMMM AAAA");
    close_and_remove(db, path);
}

static void test_migration_17_mends_cut_explanations(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 16);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0)");
    /* 1 whole, 2 an adjustment cut, 3 a redemption cut (it issued voucher V1), 4 a redemption
     * cut that issued none. */
    store_test_exec(db, "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, "
                        "amount, program_version, explanation, reason, author) VALUES "
                        "(1, 1, 1, 0, 'earn', 'points', 5, 1, '[{\"rule\":\"base\"}]', NULL, "
                        "NULL), (1, 2, 1, 0, 'adjust', 'points', -7, 1, '[{\"rule\":\"adjustm', "
                        "'a \"gift\"', 'me'), (1, 3, 1, 0, 'redeem', 'points', -9, 1, "
                        "'[{\"rule\":\"rew', NULL, NULL), (1, 4, 1, 0, 'redeem', 'points', -1, 1, "
                        "'[', NULL, NULL)");
    store_test_exec(db, "INSERT INTO vouchers (merchant_id, code, customer_id, reward_id, source, "
                        "state, issued_at, valid_until, ledger_id, event_key) VALUES "
                        "(1, 'V1', 1, 'free-coffee', 'redeem', 'issued', 0, 100, 3, 'k')");
    assert_int_equal(schema_migrate_to(db, 17, &err), FID_OK);
    char text[512];
    table_text(db,
               "SELECT group_concat(explanation, ' ') FROM (SELECT explanation FROM ledger "
               "ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("mended", text,
                "[{\"rule\":\"base\"}] "
                "[{\"rule\":\"adjustment\",\"label\":\"a \\\"gift\\\"\",\"points\":-7}] "
                "[{\"rule\":\"reward\",\"label\":\"free-coffee\"}] "
                "[{\"rule\":\"reward\",\"label\":\"\"}]");
    close_and_remove(db, path);
}

static void test_migration_19_counts_earlier_cashback_credits(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 18);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0)");
    /* 2 and 4 are credits of redemptions (of cb and cb2); 3 is an order's cashback, 5 a credit
     * whose redemption's record is gone. */
    store_test_exec(db, "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, "
                        "amount, event_key, program_version) VALUES "
                        "(1, 1, 1, 0, 'redeem', 'points', -10, 'r1', 1), "
                        "(1, 2, 1, 0, 'earn', 'cashback', 500, 'r1', 1), "
                        "(1, 3, 1, 0, 'earn', 'cashback', 20, 'o1', 1), "
                        "(1, 4, 1, 0, 'earn', 'cashback', 300, 'r2', 1), "
                        "(1, 5, 1, 0, 'earn', 'cashback', 300, 'r3', 1)");
    store_test_exec(db, "INSERT INTO events (merchant_id, key, digest, type, at, applied_at, "
                        "result) VALUES "
                        "(1, 'r1', 'd', 'redeem', 0, 0, '{\"reward\":\"cb\"}'), "
                        "(1, 'o1', 'd', 'order', 0, 0, '{\"points\":2}'), "
                        "(1, 'r2', 'd', 'redeem', 0, 0, '{\"reward\":\"cb2\"}')");
    assert_int_equal(schema_migrate_to(db, 19, &err), FID_OK);
    char text[512];
    table_text(db,
               "SELECT group_concat(reward_id || ':' || ledger_id, ' ') FROM (SELECT * FROM "
               "reward_credits ORDER BY ledger_id)",
               text, sizeof text);
    UNIT_EQ_STR("credits found", text, "cb:2 cb2:4");
    close_and_remove(db, path);
}

/* Migration 20 records the tiers members hold, from the rows once they hold what a journal kept:
 * ann's tier is in her row, bob's newer one only in an image a server left (it stopped without
 * folding), cy has none. */
static void test_migration_20_records_tiers_held(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 19);
    struct fid_error err;
    struct store store;
    store_init(&store, db, 1);
    store_test_add_customer(&store, "ann", 0);
    store_test_add_customer(&store, "bob", 0);
    store_test_add_customer(&store, "cy", 0);
    store_test_exec(db, "UPDATE customers SET tier = 'gold', tier_since = 100 WHERE ref = 'ann'");
    /* a tier reached at the epoch: its instant 0 is kept as NULL, as optional instants are */
    store_test_exec(db, "UPDATE customers SET tier = 'bronze', tier_since = NULL WHERE ref = 'cy'");
    struct customer_journal *journal = customer_journal_new();
    store.journal = journal;
    struct customer bob;
    assert_int_equal(store_begin(&store, &err), FID_OK);
    assert_int_equal(customer_find_ref(&store, "bob", &bob, &err), FID_OK);
    snprintf(bob.tier, sizeof bob.tier, "silver");
    bob.tier_since = 200;
    assert_int_equal(customer_save(&store, &bob, &err), FID_OK);
    assert_int_equal(store_commit(&store, &err), FID_OK);
    store_release(&store);
    customer_journal_free(journal);
    char text[512];
    table_text(db, "SELECT group_concat(ref || ':' || tier, ' ') FROM customers", text,
               sizeof text);
    UNIT_EQ_STR("bob's tier is in the journal only", text, "ann:gold bob: cy:bronze");

    assert_int_equal(schema_migrate_to(db, 20, &err), FID_OK);
    table_text(db,
               "SELECT group_concat(t.id || ':' || c.ref || ':' || t.tier || '@' || t.at || ':' || "
               "t.reason || ':' || quote(t.program_version), ' ') FROM tier_changes t JOIN "
               "customers c ON c.id = t.customer_id ORDER BY t.id",
               text, sizeof text);
    UNIT_EQ_STR(
        "tiers recorded", text,
        "1:ann:gold@100:recorded:NULL 2:bob:silver@200:recorded:NULL 3:cy:bronze@0:recorded:NULL");
    close_and_remove(db, path);
}

/* Migration 21 rewrites phones typed with spaces and brackets in international form; national
 * numbers, which have none, stay. */
static void test_migration_21_keeps_phones_in_international_form(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 20);
    struct fid_error err;
    store_test_exec(db,
                    "INSERT INTO customers (merchant_id, id, ref, phone, created_at) VALUES "
                    "(1, 1, 'ann', '+33 6 12 34 56 78', 0), (1, 2, 'bob', '06 12 34 56 78', 0), "
                    "(1, 3, 'cy', '+44 (0)20 7946 0958', 0), (1, 4, 'dee', NULL, 0), "
                    "(1, 5, 'eve', '+33612345679', 0)");
    assert_int_equal(schema_migrate_to(db, 21, &err), FID_OK);
    char text[512];
    table_text(db,
               "SELECT group_concat(ref || ':' || COALESCE(phone, 'none'), ' ') FROM (SELECT * "
               "FROM customers ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("phones", text,
                "ann:+33612345678 bob:06 12 34 56 78 cy:+442079460958 dee:none eve:+33612345679");
    struct store store;
    store_init(&store, db, 1);
    struct customer c;
    assert_int_equal(customer_find_any(&store, "+33 6 12 34 56 78", &c, &err), FID_OK);
    UNIT_EQ_STR("found as typed", c.ref, "ann");
    store_release(&store);
    close_and_remove(db, path);
}

/* Customers of merchant 1 given phones as an earlier schema (version to - 1) kept them, then
 * migration to: their phones in id order, "ref:phone" each, must be want. */
static void check_phones_migrated(int to, const char *phones, const char *want)
{
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, to - 1);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO customers (merchant_id, id, ref, phone, created_at) "
             "VALUES %s",
             phones);
    struct fid_error err;
    assert_int_equal(db_exec(db, sql, &err), FID_OK);
    assert_int_equal(schema_migrate_to(db, to, &err), FID_OK);
    char text[512];
    table_text(db,
               "SELECT group_concat(ref || ':' || phone, ' ') FROM (SELECT * FROM customers "
               "ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("phones", text, want);
    close_and_remove(db, path);
}

/* Migration 27 drops the trunk prefix typed after a country code, and leaves Italy's 0, national
 * numbers and numbers already right as they are. */
static void test_migration_27_drops_a_trunk_prefix_after_the_country_code(void **state)
{
    (void)state;
    check_phones_migrated(27,
                          "(1, 1, 'ann', '+330612345678', 0), (1, 2, 'bob', '06 12 34 56 78', 0), "
                          "(1, 3, 'cy', '+390612345678', 0), (1, 4, 'dee', '+33612345679', 0)",
                          "ann:+33612345678 bob:06 12 34 56 78 cy:+390612345678 dee:+33612345679");
}

/* Migration 29 reads phones until they read as themselves: a trunk 0 typed twice after Austria's
 * code kept one 0, which a look-up by the stored number then dropped. */
static void test_migration_29_settles_phones(void **state)
{
    (void)state;
    check_phones_migrated(29,
                          "(1, 1, 'ann', '+4300390003', 0), (1, 2, 'bob', '+43390003', 0), "
                          "(1, 3, 'cy', '+390612345678', 0)",
                          "ann:+43390003 bob:+43390003 cy:+390612345678");
}

/* Migration 22: orders recorded before an enrolment backdated before them become members'. */
static void test_migration_22_marks_orders_after_a_backdated_enrolment(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 21);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, is_member, enrolled_at, "
                        "created_at) VALUES (1, 1, 'ann', 1, 100, 0), (1, 2, 'bob', 0, 0, 0)");
    store_test_exec(db, "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, "
                        "member_at_order, gross_minor, paid_minor, basis_minor, body) VALUES "
                        "(1, 1, 'A1', 1, 50, 'store', 0, 1, 1, 1, '{}'), "
                        "(1, 2, 'A2', 1, 150, 'store', 0, 1, 1, 1, '{}'), "
                        "(1, 3, 'B1', 2, 150, 'store', 0, 1, 1, 1, '{}')");
    assert_int_equal(schema_migrate_to(db, 22, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(ref || ':' || member_at_order, ' ') FROM (SELECT * FROM "
               "orders ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("flags", text, "A1:0 A2:1 B1:0");
    close_and_remove(db, path);
}

/* Migration 23: a refund's clawback explains its points with the entry's sign. */
static void test_migration_23_signs_clawback_explanations(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 22);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0)");
    store_test_exec(
        db, "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, amount, "
            "program_version, explanation) VALUES "
            "(1, 1, 1, 0, 'earn', 'points', 300, 1, '[{\"rule\":\"base\",\"points\":300}]'), "
            "(1, 2, 1, 0, 'clawback', 'points', -125, 1, "
            "'[{\"rule\":\"refund\",\"label\":\"Refund clawback\",\"points\":125,"
            "\"forgiven\":400}]'), "
            "(1, 3, 1, 0, 'clawback', 'cashback', -5, 1, "
            "'[{\"rule\":\"refund\",\"label\":\"Refund clawback\"}]')");
    assert_int_equal(schema_migrate_to(db, 23, &err), FID_OK);
    char text[512];
    table_text(db, "SELECT group_concat(explanation, ' ') FROM (SELECT * FROM ledger ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("explanations", text,
                "[{\"rule\":\"base\",\"points\":300}] "
                "[{\"rule\":\"refund\",\"label\":\"Refund clawback\",\"points\":-125,"
                "\"forgiven\":400}] [{\"rule\":\"refund\",\"label\":\"Refund clawback\"}]");
    close_and_remove(db, path);
}

/* Migration 24: e-mail addresses a profile change kept as typed are kept in lower case, and
 * found by a look-up in any case. */
static void test_migration_24_keeps_emails_in_lower_case(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 23);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, email, created_at) VALUES "
                        "(1, 1, 'ann', 'Ann.New@Example.com', 0), (1, 2, 'bob', NULL, 0), "
                        "(1, 3, 'cy', 'cy@example.com', 0)");
    assert_int_equal(schema_migrate_to(db, 24, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(ref || ':' || COALESCE(email, 'none'), ' ') FROM (SELECT * "
               "FROM customers ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("e-mails", text, "ann:ann.new@example.com bob:none cy:cy@example.com");
    struct store store;
    store_init(&store, db, 1);
    struct customer c;
    assert_int_equal(customer_find_any(&store, "ANN.NEW@example.COM", &c, &err), FID_OK);
    UNIT_EQ_STR("found in any case", c.ref, "ann");
    store_release(&store);
    close_and_remove(db, path);
}

/* Migration 25: e-mail addresses folded in every script, and found however they are typed. */
static void test_migration_25_folds_emails_in_every_script(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 24);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, email, created_at) VALUES "
                        "(1, 1, 'elo', 'Élodie@example.fr', 0), (1, 2, 'bob', NULL, 0), "
                        "(1, 3, 'cy', 'cy@example.com', 0), (1, 4, 'zoe', 'ZOË@example.fr', 0)");
    assert_int_equal(schema_migrate_to(db, 25, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(ref || ':' || COALESCE(email, 'none'), ' ') FROM (SELECT * "
               "FROM customers ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("e-mails", text,
                "elo:élodie@example.fr bob:none cy:cy@example.com zoe:zoë@example.fr");
    struct store store;
    store_init(&store, db, 1);
    struct customer c;
    assert_int_equal(customer_find_any(&store, "ÉLODIE@EXAMPLE.FR", &c, &err), FID_OK);
    UNIT_EQ_STR("found in any case and script", c.ref, "elo");
    store_release(&store);
    close_and_remove(db, path);
}

/* Migration 26: payments keep the start of the time they bought (the end the one before left
 * when it still ran then, else their own instant), and are found by their event's key. */
static void test_migration_26_payments_keep_the_time_they_bought(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 25);
    struct fid_error err;
    /* ann: paid at 100 until 200, renewed at 150 until 300, paid again after a lapse at 400;
     * bob: one payment, in between */
    store_test_exec(db, "INSERT INTO vip_payments (merchant_id, id, customer_id, plan_id, at, "
                        "amount_minor, periods, valid_until, event_key) VALUES "
                        "(1, 1, 1, 'club', 100, 10, 1, 200, 'a1'), "
                        "(1, 2, 2, 'club', 120, 10, 1, 220, 'b1'), "
                        "(1, 3, 1, 'club', 150, 10, 1, 300, 'a2'), "
                        "(1, 4, 1, 'club', 400, 10, 1, 500, 'a3')");
    assert_int_equal(schema_migrate_to(db, 26, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(event_key || ':' || valid_from || '-' || valid_until || ':' || "
               "COALESCE(refund_of, 'payment'), ' ') FROM (SELECT * FROM vip_payments ORDER BY "
               "id)",
               text, sizeof text);
    UNIT_EQ_STR("valid_from", text,
                "a1:100-200:payment b1:120-220:payment a2:200-300:payment a3:400-500:payment");
    struct store store;
    store_init(&store, db, 1);
    struct vip_payment payment;
    assert_int_equal(vip_payment_find(&store, "a2", &payment, &err), FID_OK);
    assert_int_equal(payment.valid_from, 200);
    assert_int_equal(payment.refunded_minor, 0);
    assert_int_equal(vip_payment_find(&store, "none", &payment, &err), FID_ERR_NOT_FOUND);
    int64_t until = 0;
    assert_int_equal(vip_until_at(&store, 1, 160, &until, &err), FID_OK);
    assert_int_equal(until, 300);
    store_release(&store);
    table_text(db, "SELECT COUNT(*) FROM vouchers WHERE withdrawn_by IS NOT NULL", text,
               sizeof text);
    UNIT_EQ_STR("vouchers take a withdrawal", text, "0");
    close_and_remove(db, path);
}

static void test_migration_31_lets_an_expiry_be_given_back(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 30);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO lot_uses VALUES (1, 2, 1, 30), (1, 3, 1, 20), (1, 3, 2, 5)");
    assert_int_equal(schema_migrate_to(db, 31, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(ledger_id || ':' || lot_id || ':' || amount, ' ') FROM (SELECT "
               "* FROM lot_uses ORDER BY ledger_id, lot_id)",
               text, sizeof text);
    UNIT_EQ_STR("uses kept", text, "2:1:30 3:1:20 3:2:5");
    /* a use given back is negative; a use of nothing is still refused */
    assert_int_equal(db_exec(db, "INSERT INTO lot_uses VALUES (1, 4, 1, -20)", &err), FID_OK);
    assert_int_not_equal(db_exec(db, "INSERT INTO lot_uses VALUES (1, 5, 1, 0)", &err), FID_OK);
    table_text(db,
               "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('lot_uses_lot', "
               "'ledger_expiries')",
               text, sizeof text);
    UNIT_EQ_STR("indexes", text, "2");
    close_and_remove(db, path);
}

static void test_migration_32_orders_refunded_in_full_with_their_shipping_kept(void **state)
{
    (void)state;
    char path[] = "/tmp/fidele-schema-XXXXXX";
    struct db *db = open_with_merchant(path, 31);
    struct fid_error err;
    store_test_exec(db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                        "(1, 1, 'ann', 0)");
    /* 1: all merchandise refunded, shipping (500) kept; 2: part of it; 3: everything; 4: no
     * refund; 5: a body that is not JSON, refunded in part */
    store_test_exec(db, "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, "
                        "member_at_order, gross_minor, paid_minor, basis_minor, points_earned, "
                        "points_clawed, refunded_minor, body, prev_id) VALUES "
                        "(1, 1, 'a1', 1, 1000, 'store', 1, 3000, 3500, 3000, 30, 30, 3000, "
                        "'{\"shipping_minor\":500}', NULL),"
                        " (1, 2, 'a2', 1, 2000, 'store', 1, 3000, 3500, 3000, 30, 10, 1000, "
                        "'{\"shipping_minor\":500}', 1),"
                        " (1, 3, 'a3', 1, 3000, 'store', 1, 100, 100, 100, 1, 1, 100, '{}', 2),"
                        " (1, 4, 'a4', 1, 4000, 'store', 1, 100, 100, 100, 1, 0, 0, '{}', 3),"
                        " (1, 5, 'a5', 1, 5000, 'store', 1, 100, 100, 100, 1, 0, 50, 'x', 4)");
    assert_int_equal(schema_migrate_to(db, 32, &err), FID_OK);
    char text[256];
    table_text(db,
               "SELECT group_concat(id || ':' || refunded_in_full, ' ') FROM (SELECT * FROM "
               "orders ORDER BY id)",
               text, sizeof text);
    UNIT_EQ_STR("refunded in full", text, "1:1 2:0 3:1 4:0 5:0");
    struct order_periods ann;
    row_periods(db, 1, &ann);
    UNIT_EQ_INT("one period", ann.n, 1);
    UNIT_EQ_INT("orders counted", ann.periods[0].sum.counted, 3);
    UNIT_EQ_INT("spend", ann.periods[0].sum.spend_minor, 500 + 2500 + 0 + 100 + 50);
    assert_int_not_equal(db_exec(db, "UPDATE orders SET refunded_in_full = 2 WHERE id = 4", &err),
                         FID_OK);
    close_and_remove(db, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_6_keeps_the_records),
        cmocka_unit_test(test_migration_7_chains_the_ledger),
        cmocka_unit_test(test_migration_8_checks_without_temporary_btrees),
        cmocka_unit_test(test_migration_9_holds_stamps_in_the_customer_row),
        cmocka_unit_test(test_migration_10_chains_the_lots),
        cmocka_unit_test(test_migration_12_sums_orders_by_period),
        cmocka_unit_test(test_migration_14_orders_name_their_lot),
        cmocka_unit_test(test_migration_15_orders_of_a_second_in_id_order),
        cmocka_unit_test(test_migration_16_vouchers_in_issue_order),
        cmocka_unit_test(test_migration_17_mends_cut_explanations),
        cmocka_unit_test(test_migration_19_counts_earlier_cashback_credits),
        cmocka_unit_test(test_migration_20_records_tiers_held),
        cmocka_unit_test(test_migration_21_keeps_phones_in_international_form),
        cmocka_unit_test(test_migration_27_drops_a_trunk_prefix_after_the_country_code),
        cmocka_unit_test(test_migration_29_settles_phones),
        cmocka_unit_test(test_migration_22_marks_orders_after_a_backdated_enrolment),
        cmocka_unit_test(test_migration_23_signs_clawback_explanations),
        cmocka_unit_test(test_migration_24_keeps_emails_in_lower_case),
        cmocka_unit_test(test_migration_25_folds_emails_in_every_script),
        cmocka_unit_test(test_migration_26_payments_keep_the_time_they_bought),
        cmocka_unit_test(test_migration_31_lets_an_expiry_be_given_back),
        cmocka_unit_test(test_migration_32_orders_refunded_in_full_with_their_shipping_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
