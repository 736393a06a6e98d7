/*
 * Orders posted in no order of time (an import of history not sorted by date, tills syncing
 * late): the tier a late order brings is judged at every later order whose window still holds
 * it, which the engine settles from the periods' bounds where it can and by reading orders only
 * where a higher tier is within reach. Here, for seeded random customers with orders over four
 * years posted in a shuffled order (then partial refunds and run_due), two engines must end with
 * the same results, ledger, lots, customers, orders and tier history: one judging that way, one
 * reading every later order (engine_options.tiers_judge_every_order, the reference). A
 * programme per tier window, with thresholds that a good part of the customers cross (some more
 * than once, some back down at a review). FIDELE_LATE_SEED=N replays one seed.
 */
#include "engine_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/order_periods.h"
#include "util/codes.h"

#define N_CUSTOMERS     16
#define ORDERS_MAX      90
#define BATCH           25
#define DEFAULT_SEEDS   6
#define START_AT        1704067200LL        /* 2024-01-01T00:00:00Z */
#define HISTORY_SECONDS (4 * 365 * 86400LL) /* past ORDER_PERIODS_MAX periods: some fold */
#define NOW_AT          (START_AT + HISTORY_SECONDS + 86400)

#define PROGRAM(window)                                                                            \
    "{\"earning\": {\"points\": 10, \"per_minor\": 100, \"first_order_bonus\": 20},"               \
    " \"tiers\": {\"metric\": \"spend\", \"window\": \"" window "\", \"grace_days\": 30,"          \
    "  \"levels\": [{\"id\": \"silver\", \"threshold\": 40000, \"multiplier_pct\": 110},"          \
    "   {\"id\": \"gold\", \"threshold\": 90000, \"multiplier_pct\": 125},"                        \
    "   {\"id\": \"platinum\", \"threshold\": 5000000, \"multiplier_pct\": 150}]},"                \
    " \"expiry\": {\"mode\": \"per_lot\", \"months\": 12}}"

struct late_order {
    int customer;
    int64_t at, paid;
};

struct history {
    struct late_order orders[N_CUSTOMERS * ORDERS_MAX];
    size_t n;
};

static int64_t below(struct fid_rng *rng, int64_t n)
{
    return (int64_t)fid_rng_below(rng, (uint64_t)n);
}

/* Customers from occasional to daily-ish, each active for a part of the four years (so that some
 * fall back at a review), then all the orders shuffled. */
static void history_make(uint64_t seed, struct history *h)
{
    struct fid_rng *rng = fid_rng_new(&seed);
    h->n = 0;
    for (int c = 0; c < N_CUSTOMERS; c++) {
        int64_t n = 2 + below(rng, ORDERS_MAX - 1), price = 300 + below(rng, 3000);
        int64_t begin = below(rng, HISTORY_SECONDS / 2);
        int64_t span = 86400 + below(rng, HISTORY_SECONDS - begin - 86400);
        for (int64_t i = 0; i < n; i++)
            h->orders[h->n++] =
                (struct late_order){.customer = c,
                                    .at = START_AT + 3600 + begin + below(rng, span),
                                    .paid = price / 2 + below(rng, price)};
    }
    for (size_t i = h->n - 1; i > 0; i--) {
        size_t j = (size_t)below(rng, (int64_t)i + 1);
        struct late_order x = h->orders[i];
        h->orders[i] = h->orders[j];
        h->orders[j] = x;
    }
    fid_rng_free(rng);
}

/* text with more appended (both NUL-terminated); takes text, returns the result (owned). */
static char *append(char *text, const char *more)
{
    size_t n = strlen(text), m = strlen(more);
    text = xrealloc(text, n + m + 1);
    memcpy(text + n, more, m + 1);
    return text;
}

/* How many customers have orders in more periods than a customer's row keeps apart. */
static int64_t customers_folded(const struct history *h)
{
    int64_t folded = 0;
    for (int c = 0; c < N_CUSTOMERS; c++) {
        int64_t keys[N_CUSTOMERS * ORDERS_MAX];
        size_t n = 0;
        for (size_t i = 0; i < h->n; i++) {
            if (h->orders[i].customer != c)
                continue;
            int64_t key = order_period_key(h->orders[i].at);
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = keys[k] == key;
            if (!seen)
                keys[n++] = key;
        }
        folded += n > ORDER_PERIODS_MAX;
    }
    return folded;
}

static json_t *order_event(size_t i, const struct late_order *o)
{
    char key[32], ref[16], at[FID_TIME_ISO_MAX];
    snprintf(key, sizeof key, "o%05zu", i);
    snprintf(ref, sizeof ref, "c%02d", o->customer);
    fid_time_format(o->at, at);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:I}]}", "type", "order", "key", key,
                     "at", at, "customer", ref, "order_id", key, "lines", "sku", "ITEM", "quantity",
                     1, "unit_price_minor", (json_int_t)o->paid);
}

/* Applies events and returns their results as text (owned). */
static char *apply(struct engine *e, json_t *events)
{
    json_t *results = NULL;
    struct fid_error err;
    if (engine_apply(e, events, NOW_AT, ENGINE_EACH_ON_ITS_OWN, &results, &err) != FID_OK)
        fail_msg("engine_apply: %s %s", err.field, err.message);
    char *text = json_dumps(results, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(results);
    json_decref(events);
    return text;
}

/* Posts the history to e: enrolments, the orders in their shuffled order, partial refunds of
 * every seventh order, run_due. Returns every call's results, concatenated (owned). */
static char *post_history(struct engine *e, const struct history *h)
{
    json_t *enrol = json_array();
    char at[FID_TIME_ISO_MAX];
    fid_time_format(START_AT, at);
    for (int c = 0; c < N_CUSTOMERS; c++) {
        char key[24], ref[24];
        snprintf(key, sizeof key, "enrol-%02d", c);
        snprintf(ref, sizeof ref, "c%02d", c);
        json_array_append_new(enrol, json_pack("{s:s, s:s, s:s, s:s}", "type", "enrol", "key", key,
                                               "at", at, "customer", ref));
    }
    char *all = apply(e, enrol);
    for (size_t first = 0; first < h->n; first += BATCH) {
        json_t *batch = json_array();
        for (size_t i = first; i < h->n && i < first + BATCH; i++)
            json_array_append_new(batch, order_event(i, &h->orders[i]));
        char *text = apply(e, batch);
        all = append(append(all, "\n"), text);
        free(text);
    }
    json_t *refunds = json_array();
    fid_time_format(NOW_AT - 3600, at);
    for (size_t i = 0; i < h->n; i += 7) {
        char key[32], ref[32];
        snprintf(key, sizeof key, "r%05zu", i);
        snprintf(ref, sizeof ref, "o%05zu", i);
        json_array_append_new(refunds,
                              json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "refund", "key", key,
                                        "at", at, "order_id", ref, "amount_minor",
                                        (json_int_t)(h->orders[i].paid / 2)));
    }
    char *text = apply(e, refunds);
    json_t *summary = NULL;
    struct fid_error err;
    assert_int_equal(engine_run_due(e, NOW_AT, &summary, &err), FID_OK);
    char *due = json_dumps(summary, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(summary);
    all = append(append(append(append(all, "\n"), text), "\n"), due);
    free(text);
    free(due);
    return all;
}

static void open_engine(struct engine_test *t, const char *program, bool every_order)
{
    engine_test_open(t, "Late orders", program, START_AT - 86400);
    /* engine_test_open's options, again, with the reference judging when asked */
    engine_close(t->engine);
    static const uint64_t seed = 1;
    struct engine_options options = {.db_path = t->path,
                                     .durability = DB_DURABILITY_NORMAL,
                                     .seed = &seed,
                                     .tiers_judge_every_order = every_order};
    struct fid_error err;
    t->engine = NULL;
    assert_int_equal(engine_open(&options, &t->engine, &err), FID_OK);
}

/* One table, one line per row, every column as text. */
static char *dump(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    /* a stream that grows by doubling: appending row by row copied the whole text each time,
     * which under ASan (a realloc always copies) took most of the suite's time */
    char *out = NULL;
    size_t size = 0;
    FILE *text = open_memstream(&out, &size);
    assert_non_null(text);
    while (sqlite3_step(stmt) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            const unsigned char *v = sqlite3_column_text(stmt, c);
            fputs(v ? (const char *)v : "NULL", text);
            fputc(c + 1 < sqlite3_column_count(stmt) ? '|' : '\n', text);
        }
    assert_int_equal(fclose(text), 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

static const char *const TABLES[] = {
    "SELECT * FROM customers ORDER BY id",    "SELECT * FROM ledger ORDER BY id",
    "SELECT * FROM lots ORDER BY id",         "SELECT * FROM orders ORDER BY id",
    "SELECT * FROM tier_changes ORDER BY id", "SELECT * FROM refunds ORDER BY id",
};

static int64_t count(const char *path, const char *sql)
{
    char *text = dump(path, sql);
    int64_t n = strtoll(text, NULL, 10);
    free(text);
    return n;
}

static void run_window(const char *program, const char *window, bool want_reviews)
{
    const char *one = getenv("FIDELE_LATE_SEED");
    uint64_t from = one ? strtoull(one, NULL, 10) : 1, to = one ? from + 1 : 1 + DEFAULT_SEEDS;
    int64_t changes = 0, reviews = 0, folded = 0;
    struct history *h = xcalloc(1, sizeof *h);
    for (uint64_t seed = from; seed < to; seed++) {
        history_make(seed, h);
        folded += customers_folded(h);
        struct engine_test bounded, every;
        open_engine(&bounded, program, false);
        open_engine(&every, program, true);
        char *a = post_history(bounded.engine, h), *b = post_history(every.engine, h);
        if (strcmp(a, b) != 0)
            fail_msg("[%s, seed %llu] the results differ", window, (unsigned long long)seed);
        free(a);
        free(b);
        engine_close(bounded.engine);
        engine_close(every.engine);
        bounded.engine = every.engine = NULL;
        for (size_t i = 0; i < N_ELEMENTS(TABLES); i++) {
            char *x = dump(bounded.path, TABLES[i]), *y = dump(every.path, TABLES[i]);
            if (strcmp(x, y) != 0)
                fail_msg("[%s, seed %llu] %s differs:\n%s\n---\n%s", window,
                         (unsigned long long)seed, TABLES[i], x, y);
            free(x);
            free(y);
        }
        changes += count(bounded.path, "SELECT count(*) FROM tier_changes");
        reviews += count(bounded.path, "SELECT count(*) FROM tier_changes WHERE reason = 'review'");
        engine_test_close(&bounded);
        engine_test_close(&every);
    }
    free(h);
    /* the histories did cross thresholds (and, over a rolling window, go back down) */
    if (!one) {
        assert_true(changes > 10 * DEFAULT_SEEDS);
        assert_true(reviews > 0 || !want_reviews);
        assert_true(folded > 0);
    }
}

static void test_rolling_window_same_as_every_order(void **state)
{
    (void)state;
    run_window(PROGRAM("rolling_12_months"), "rolling_12_months", true);
}

static void test_calendar_year_same_as_every_order(void **state)
{
    (void)state;
    run_window(PROGRAM("calendar_year"), "calendar_year", false);
}

/* A lifetime window only grows, but the first later order that reaches a tier dates it. */
static void test_lifetime_same_as_every_order(void **state)
{
    (void)state;
    run_window(PROGRAM("lifetime"), "lifetime", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rolling_window_same_as_every_order),
        cmocka_unit_test(test_calendar_year_same_as_every_order),
        cmocka_unit_test(test_lifetime_same_as_every_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
