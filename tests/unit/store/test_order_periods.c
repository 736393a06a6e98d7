/*
 * store/order_periods: a customer's orders summed by period. Counting: orders land in their
 * period, periods stay in key order, the oldest fold into one summary past ORDER_PERIODS_MAX and
 * orders older than every kept period go straight into it (before 1970 too); a refund moves an
 * order's share and an instant no period holds is refused. A period remembers whether an order
 * arrived dated before one already in it. A window's bounds take the periods it holds whole as
 * the low bound and adds those it cuts for the high one. The stored form reads back to the same
 * summary, and every malformed blob (truncated at each byte, a byte more, another format, too
 * many periods, a summary claiming kept periods, keys out of order) is refused.
 * Windows, on a real SQLite file: random orders of three customers over four years (some dated
 * before orders already recorded, prices of 0 included), some refunded in part or in whole, give
 * for 300 random windows the same spend, points and count as summing the orders in SQL; the
 * summaries kept while inserting equal those built from the orders afterwards. A chain that loops
 * or names a missing order is an error, never followed for ever.
 */
#include "store_support.h"

#include <stdlib.h>

#include "store/schema.h"
#include "store/store.h"
#include "util/codes.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DAY    86400LL
#define START  1735689600LL /* 2025-01-01T00:00:00Z */
#define PERIOD (1LL << ORDER_PERIOD_SHIFT)

static struct order_share share(int64_t spend)
{
    return order_share_of(spend, 0, false, spend / 10, 0);
}

static void test_orders_land_in_their_period(void **state)
{
    (void)state;
    struct order_periods p = {0};
    order_periods_add(&p, 1, START, share(100));
    order_periods_add(&p, 2, START + 2 * PERIOD, share(300));
    order_periods_add(&p, 3, START + PERIOD, share(200)); /* late: between the two */
    order_periods_add(&p, 4, START + 10, share(50));
    UNIT_EQ_INT("periods", p.n, 3);
    UNIT_EQ_INT("head", p.last_order_id, 4);
    UNIT_EQ_INT("first period's spend", p.periods[0].sum.spend_minor, 150);
    UNIT_EQ_INT("first period's orders", p.periods[0].orders, 2);
    UNIT_EQ_INT("first period's newest", p.periods[0].newest_id, 4);
    UNIT_EQ_INT("first period's oldest", p.periods[0].oldest_id, 1);
    UNIT_EQ_INT("first period's last instant", p.periods[0].last_at, START + 10);
    UNIT_EQ_INT("keys in order", p.periods[1].key, order_period_key(START + PERIOD));
    UNIT_EQ_INT("all orders", order_periods_orders(&p), 4);
    UNIT_EQ_INT("inside", order_period_overlap(&p.periods[0], START, START + 11), PERIOD_INSIDE);
    UNIT_EQ_INT("cut", order_period_overlap(&p.periods[0], START + 1, START + 11), PERIOD_PARTLY);
    UNIT_EQ_INT("outside", order_period_overlap(&p.periods[0], START + 11, START + PERIOD),
                PERIOD_OUTSIDE);
    UNIT_EQ_INT("before 1970", order_period_key(-1), -1);
}

static void test_oldest_periods_fold(void **state)
{
    (void)state;
    struct order_periods p = {0};
    for (int64_t i = 0; i < ORDER_PERIODS_MAX + 5; i++)
        order_periods_add(&p, i + 1, START + i * PERIOD, share(100));
    UNIT_EQ_INT("kept", p.n, ORDER_PERIODS_MAX);
    UNIT_EQ_INT("folded", p.folded.orders, 5);
    UNIT_EQ_INT("folded spend", p.folded.sum.spend_minor, 500);
    UNIT_EQ_INT("folded until", p.folded_until, order_period_key(START + 4 * PERIOD) + 1);
    UNIT_EQ_INT("oldest kept", p.periods[0].key, order_period_key(START + 5 * PERIOD));
    order_periods_add(&p, 100, START - 3 * PERIOD, share(7)); /* older than everything kept */
    UNIT_EQ_INT("into the summary", p.folded.orders, 6);
    UNIT_EQ_INT("its oldest instant", p.folded.first_at, START - 3 * PERIOD);
    UNIT_EQ_INT("still kept", p.n, ORDER_PERIODS_MAX);
    assert_true(order_period_holds(&p, &p.folded, START - 3 * PERIOD));
    assert_false(order_period_holds(&p, &p.folded, START + 5 * PERIOD));
    assert_true(order_period_holds(&p, &p.periods[0], START + 5 * PERIOD));
    UNIT_EQ_INT("all orders", order_periods_orders(&p), ORDER_PERIODS_MAX + 6);
}

static void test_folding_before_1970(void **state)
{
    (void)state;
    struct order_periods p = {0};
    const int64_t before = -100 * PERIOD; /* forty periods all before 1970 */
    for (int64_t i = 0; i < ORDER_PERIODS_MAX; i++)
        order_periods_add(&p, i + 1, before + i * PERIOD, share(100));
    order_periods_add(&p, 99, before - 5 * PERIOD, share(7)); /* older than all: folded */
    UNIT_EQ_INT("folded", p.folded.orders, 1);
    UNIT_EQ_INT("folded until the oldest kept", p.folded_until, p.periods[0].key);
    assert_false(order_period_holds(&p, &p.folded, before + 3 * PERIOD));
    assert_true(order_period_holds(&p, &p.periods[3], before + 3 * PERIOD));
    assert_true(order_periods_change(&p, before + 3 * PERIOD, share(100), share(50)));
    UNIT_EQ_INT("the kept period changed", p.periods[3].sum.spend_minor, 50);
    UNIT_EQ_INT("not the summary", p.folded.sum.spend_minor, 7);
}

static void test_late_orders_mark_their_period(void **state)
{
    (void)state;
    struct order_periods p = {0};
    order_periods_add(&p, 1, START + 100, share(1));
    order_periods_add(&p, 2, START + 100, share(1)); /* the same instant keeps the order */
    order_periods_add(&p, 3, START + 2 * PERIOD, share(1));
    assert_false(p.periods[0].out_of_order);
    order_periods_add(&p, 4, START + 50, share(1));
    assert_true(p.periods[0].out_of_order);
    assert_false(p.periods[1].out_of_order);
}

static void test_bounds_take_cut_periods_as_all_or_nothing(void **state)
{
    (void)state;
    struct order_periods p = {0};
    order_periods_add(&p, 1, START + 10, order_share_of(100, 0, false, 10, 0));
    order_periods_add(&p, 2, START + 1000, order_share_of(200, 0, false, 20, 0));
    order_periods_add(&p, 3, START + PERIOD, order_share_of(400, 0, false, 40, 0));
    order_periods_add(&p, 4, START + 3 * PERIOD, order_share_of(800, 0, false, 80, 0));
    struct order_share low, high;
    order_window_bounds(&p, START + 500, START + 2 * PERIOD, &low, &high);
    UNIT_EQ_INT("low: the period wholly inside", low.spend_minor, 400);
    UNIT_EQ_INT("high: and the cut one", high.spend_minor, 700);
    UNIT_EQ_INT("high points", high.points, 70);
    UNIT_EQ_INT("high count", high.counted, 3);
    order_window_bounds(&p, START, START + 4 * PERIOD, &low, &high);
    UNIT_EQ_INT("everything: exact", low.spend_minor, 1500);
    UNIT_EQ_INT("the same", high.spend_minor, 1500);
}

static void test_refunds_move_the_share(void **state)
{
    (void)state;
    struct order_periods p = {0};
    order_periods_add(&p, 1, START, order_share_of(1000, 0, false, 100, 0));
    assert_true(order_periods_change(&p, START + 5, order_share_of(1000, 0, false, 100, 0),
                                     order_share_of(1000, 1000, false, 100, 100)));
    UNIT_EQ_INT("spend", p.periods[0].sum.spend_minor, 0);
    UNIT_EQ_INT("points", p.periods[0].sum.points, 0);
    UNIT_EQ_INT("no longer counted", p.periods[0].sum.counted, 0);
    UNIT_EQ_INT("still an order", p.periods[0].orders, 1);
    assert_false(order_periods_change(&p, START + PERIOD, order_share_of(1, 0, false, 0, 0),
                                      order_share_of(1, 1, false, 0, 0)));
    UNIT_EQ_INT("free orders count", order_share_of(0, 0, false, 0, 0).counted, 1);
    UNIT_EQ_INT("all merchandise refunded, shipping kept",
                order_share_of(1000, 900, true, 9, 9).counted, 0);
}

/* A summary with a folded part, late orders and instants before 1970. */
static void sample(struct order_periods *p)
{
    memset(p, 0, sizeof *p);
    for (int64_t i = 0; i < ORDER_PERIODS_MAX + 3; i++)
        order_periods_add(p, 2 * i + 1, START + i * PERIOD + i,
                          order_share_of(i * 100, i, false, i, 0));
    order_periods_add(p, 1000, -5 * DAY, order_share_of(99, 0, false, 9, 0));
    order_periods_add(p, 1001, START + 20 * PERIOD + 7, order_share_of(5, 5, false, 1, 1));
}

static void test_stored_form_reads_back(void **state)
{
    (void)state;
    struct order_periods p, back;
    sample(&p);
    unsigned char blob[ORDER_PERIODS_BLOB_MAX], again[ORDER_PERIODS_BLOB_MAX];
    size_t size = order_periods_encode(&p, blob);
    assert_true(size > 0 && size <= ORDER_PERIODS_BLOB_MAX);
    assert_true(order_periods_decode(blob, size, &back));
    assert_memory_equal(&back, &p, sizeof p);
    UNIT_EQ_INT("same bytes", order_periods_encode(&back, again), size);
    assert_memory_equal(again, blob, size);
    struct order_periods none = {0};
    UNIT_EQ_INT("no order, nothing stored", order_periods_encode(&none, blob), 0);
    assert_true(order_periods_decode(NULL, 0, &back));
    UNIT_EQ_INT("read back empty", back.n, 0);
}

static void test_malformed_blobs_are_refused(void **state)
{
    (void)state;
    struct order_periods p, back;
    sample(&p);
    unsigned char blob[ORDER_PERIODS_BLOB_MAX + 1];
    size_t size = order_periods_encode(&p, blob);
    for (size_t cut = 1; cut < size; cut++)
        if (order_periods_decode(blob, cut, &back))
            fail_msg("a blob cut at %zu of %zu bytes was read", cut, size);
    blob[size] = 0;
    assert_false(order_periods_decode(blob, size + 1, &back));
    unsigned char other[ORDER_PERIODS_BLOB_MAX];
    memcpy(other, blob, size);
    other[0] = 9; /* another format */
    assert_false(order_periods_decode(other, size, &back));
    /* one order, then the count of periods raised past the maximum */
    struct order_periods one = {0};
    order_periods_add(&one, 1, START, share(1));
    size = order_periods_encode(&one, other);
    other[2] = ORDER_PERIODS_MAX + 1;
    assert_false(order_periods_decode(other, size, &back));
    /* a summary that claims periods it keeps */
    struct order_periods folded;
    sample(&folded);
    folded.folded_until = folded.periods[1].key + 1;
    size = order_periods_encode(&folded, other);
    assert_false(order_periods_decode(other, size, &back));
    /* two periods whose keys step back */
    order_periods_add(&one, 2, START + PERIOD, share(1));
    one.periods[1].key = one.periods[0].key - 1;
    size = order_periods_encode(&one, other);
    assert_false(order_periods_decode(other, size, &back));
}

/* ---- windows against the orders themselves ----------------------------------------------------
 */

struct world {
    char path[64];
    struct db *db;
    struct store store;
    struct order_periods periods[3];
    int64_t next_order;
};

static void world_open(struct world *w)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "/tmp/fidele-periods-XXXXXX");
    store_test_path(w->path);
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(w->path, &options, &w->db, &err), FID_OK);
    assert_int_equal(schema_migrate(w->db, &err), FID_OK);
    store_test_exec(w->db, "INSERT INTO merchants VALUES (1, 'A', 'EUR', 'UTC', 'en', 0)");
    store_test_exec(w->db, "INSERT INTO customers (merchant_id, id, ref, created_at) VALUES "
                           "(1, 1, 'ann', 0), (1, 2, 'bob', 0), (1, 3, 'cy', 0)");
    w->store.db = w->db;
    w->store.merchant_id = 1;
}

static void world_order(struct world *w, int customer, int64_t at, int64_t paid)
{
    struct order_row row = {.id = ++w->next_order,
                            .customer_id = customer + 1,
                            .at = at,
                            .gross_minor = paid,
                            .paid_minor = paid,
                            .basis_minor = paid,
                            .points_earned = paid / 100,
                            .body = xstrdup("{}")};
    snprintf(row.ref, sizeof row.ref, "o%lld", (long long)row.id);
    struct fid_error err;
    assert_int_equal(order_insert(&w->store, &w->periods[customer], &row, &err), FID_OK);
    order_row_clear(&row);
}

static void world_refund(struct world *w, int64_t order_id, bool whole)
{
    char ref[32];
    snprintf(ref, sizeof ref, "o%lld", (long long)order_id);
    struct order_row row;
    struct fid_error err;
    assert_int_equal(order_find_ref(&w->store, ref, &row, &err), FID_OK);
    int64_t money = whole ? row.paid_minor - row.refunded_minor : row.paid_minor / 3;
    row.refunded_minor += money;
    row.points_clawed = whole ? row.points_earned : row.points_earned / 3;
    /* every fifth order's third is all its merchandise, the rest shipping */
    row.refunded_in_full = whole || order_id % 5 == 0;
    assert_int_equal(order_save_refund(&w->store, &w->periods[row.customer_id - 1], &row, &err),
                     FID_OK);
    order_row_clear(&row);
}

static void expect_window(struct world *w, int customer, int64_t from, int64_t to)
{
    struct db_stmt *s =
        db_prepare(w->db, "SELECT COALESCE(SUM(paid_minor - refunded_minor), 0), "
                          "COALESCE(SUM(points_earned - points_clawed), 0), "
                          "COALESCE(SUM(NOT refunded_in_full AND (refunded_minor < paid_minor OR "
                          "paid_minor = 0)), 0) FROM orders "
                          "WHERE customer_id = ? AND at >= ? AND at < ?");
    db_bind_int(s, 1, customer + 1);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    assert_int_equal(db_step(s), DB_ROW);
    int64_t spend = db_column_int(s, 0), points = db_column_int(s, 1), count = db_column_int(s, 2);
    db_done(s);
    struct order_share got;
    struct fid_error err;
    assert_int_equal(order_window_totals(&w->store, &w->periods[customer], from, to, &got, &err),
                     FID_OK);
    int64_t got_spend = got.spend_minor, got_points = got.points, got_count = got.counted;
    if (got_spend != spend || got_points != points || got_count != count)
        fail_msg("customer %d [%lld, %lld): %lld/%lld/%lld, the orders give %lld/%lld/%lld",
                 customer, (long long)from, (long long)to, (long long)got_spend,
                 (long long)got_points, (long long)got_count, (long long)spend, (long long)points,
                 (long long)count);
    /* The instants of the same orders, ascending. */
    int64_t *instants = NULL;
    size_t n = 0;
    assert_int_equal(
        order_window_instants(&w->store, &w->periods[customer], from, to, &instants, &n, &err),
        FID_OK);
    s = db_prepare(w->db, "SELECT at FROM orders WHERE customer_id = ? AND at >= ? AND at < ? "
                          "ORDER BY at");
    db_bind_int(s, 1, customer + 1);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    size_t i = 0;
    while (db_step(s) == DB_ROW) {
        if (i >= n || instants[i] != db_column_int(s, 0))
            fail_msg("customer %d [%lld, %lld): instant %zu differs from the orders'", customer,
                     (long long)from, (long long)to, i);
        i++;
    }
    db_done(s);
    UNIT_EQ_INT("instants in the window", (int64_t)n, (int64_t)i);
    /* The same through a cache of the cut periods' orders: twice (read, then held), and the
     * instants period by period, which give the window's in time order. */
    struct order_window_cache cache = {0};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(order_window_totals_cached(&w->store, &w->periods[customer], &cache, from,
                                                    to, &got, &err),
                         FID_OK);
        if (got.spend_minor != spend || got.points != points || got.counted != count)
            fail_msg("customer %d [%lld, %lld), through the cache: %lld/%lld/%lld", customer,
                     (long long)from, (long long)to, (long long)got.spend_minor,
                     (long long)got.points, (long long)got.counted);
    }
    const struct order_periods *periods = &w->periods[customer];
    size_t k = 0;
    for (size_t p = 0; p <= periods->n; p++) {
        int64_t *some = NULL;
        size_t m = 0;
        assert_int_equal(order_period_instants(&w->store, periods, &cache,
                                               p == 0 ? &periods->folded : &periods->periods[p - 1],
                                               from, to, &some, &m, &err),
                         FID_OK);
        for (size_t j = 0; j < m; j++, k++)
            if (k >= n || some[j] != instants[k])
                fail_msg("customer %d [%lld, %lld): instant %zu of the periods differs", customer,
                         (long long)from, (long long)to, k);
        free(some);
    }
    UNIT_EQ_INT("instants of the periods", (int64_t)k, (int64_t)n);
    order_window_cache_free(&cache);
    free(instants);
}

/* The instant of one of the customer's orders, picked at random. */
static int64_t order_instant(struct world *w, int customer, int64_t pick_index)
{
    struct db_stmt *s = db_prepare(w->db, "SELECT at FROM orders WHERE customer_id = ? ORDER BY "
                                          "id LIMIT 1 OFFSET ?");
    db_bind_int(s, 1, customer + 1);
    db_bind_int(s, 2, pick_index);
    assert_int_equal(db_step(s), DB_ROW);
    int64_t at = db_column_int(s, 0);
    db_done(s);
    return at;
}

/* A number in [0, n), from the seeded generator. */
static int64_t pick(struct fid_rng *rng, int64_t n)
{
    uint64_t v;
    fid_rng_bytes(rng, &v, sizeof v);
    return (int64_t)(v % (uint64_t)n);
}

static int compare_built(int64_t merchant_id, int64_t customer_id,
                         const struct order_periods *built, bool chained, void *context)
{
    (void)merchant_id;
    assert_true(chained);
    struct world *w = context;
    unsigned char kept[ORDER_PERIODS_BLOB_MAX];
    size_t size = order_periods_encode(&w->periods[customer_id - 1], kept);
    assert_true(order_periods_stored_as(built, kept, size));
    return 0;
}

static void test_windows_match_the_orders(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    uint64_t seed = 42;
    struct fid_rng *rng = fid_rng_new(&seed);
    const int64_t span = 4 * 365 * DAY;
    int64_t last[3] = {START, START, START};
    for (int i = 0; i < 900; i++) {
        int customer = i % 3;
        /* Mostly forward in time, one in eight dated up to 400 days before the latest. */
        int64_t at = pick(rng, 8) == 0 ? last[customer] - pick(rng, 400 * DAY)
                                       : last[customer] + pick(rng, span / 150);
        if (at > last[customer])
            last[customer] = at;
        world_order(&w, customer, at, pick(rng, 20) == 0 ? 0 : 100 + pick(rng, 9000));
        if (pick(rng, 10) == 0)
            world_refund(&w, 1 + pick(rng, w.next_order), pick(rng, 2) == 0);
    }
    assert_true(w.periods[0].folded.orders > 0); /* the fold is exercised */
    for (int i = 0; i < 300; i++) {
        int customer = (int)pick(rng, 3);
        int64_t from = START - 500 * DAY + pick(rng, span + 500 * DAY);
        int64_t to = from + pick(rng, pick(rng, 3) == 0 ? 30 * DAY : 400 * DAY);
        expect_window(&w, customer, from, to);
    }
    expect_window(&w, 1, FID_TIME_MIN, START + 10 * span);
    /* Windows that begin or end exactly at an order's instant (or just after it). */
    for (int i = 0; i < 200; i++) {
        int customer = (int)pick(rng, 3);
        int64_t a = order_instant(&w, customer, pick(rng, 300)) + pick(rng, 2);
        int64_t b = order_instant(&w, customer, pick(rng, 300)) + pick(rng, 2);
        expect_window(&w, customer, a < b ? a : b, a < b ? b : a);
    }
    fid_rng_free(rng);
    struct fid_error err;
    assert_int_equal(order_periods_build(w.db, 1, compare_built, &w, &err), FID_OK);
    db_close(w.db);
    store_test_remove(w.path);
}

static void test_broken_chains_are_errors(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    world_order(&w, 0, START + 10, 100);
    world_order(&w, 0, START + 1000, 200);
    struct order_share sum;
    struct fid_error err;
    assert_int_equal(
        order_window_totals(&w.store, &w.periods[0], START + 500, START + PERIOD, &sum, &err),
        FID_OK);
    UNIT_EQ_INT("the cut period's later order", sum.spend_minor, 200);
    /* An order naming itself as the previous one would loop: refused, not followed. */
    store_test_exec(w.db, "UPDATE orders SET prev_id = id WHERE id = 2");
    assert_int_equal(
        order_window_totals(&w.store, &w.periods[0], START + 500, START + PERIOD, &sum, &err),
        FID_ERR_DB);
    struct order_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(order_uncredited(&w.store, &w.periods[0], &rows, &n, &err), FID_ERR_DB);
    for (size_t i = 0; i < n; i++)
        order_row_clear(&rows[i]);
    free(rows);
    /* An order the chain names but that is gone. */
    store_test_exec(w.db, "UPDATE orders SET prev_id = 1 WHERE id = 2");
    store_test_exec(w.db, "DELETE FROM orders WHERE id = 1");
    assert_int_equal(
        order_window_totals(&w.store, &w.periods[0], START + 500, START + PERIOD, &sum, &err),
        FID_ERR_DB);
    db_close(w.db);
    store_test_remove(w.path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_land_in_their_period),
        cmocka_unit_test(test_oldest_periods_fold),
        cmocka_unit_test(test_folding_before_1970),
        cmocka_unit_test(test_late_orders_mark_their_period),
        cmocka_unit_test(test_bounds_take_cut_periods_as_all_or_nothing),
        cmocka_unit_test(test_refunds_move_the_share),
        cmocka_unit_test(test_stored_form_reads_back),
        cmocka_unit_test(test_malformed_blobs_are_refused),
        cmocka_unit_test(test_windows_match_the_orders),
        cmocka_unit_test(test_broken_chains_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
