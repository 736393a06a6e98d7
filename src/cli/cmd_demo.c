/*
 * `fidele demo`: a demo café ("Café des Arts", the cafe template) with a year of made-up but
 * plausible activity, applied through the engine exactly as real events would be.
 *
 * This file is the command: it creates the merchant, runs the simulation (demo.h tells how it
 * works and which file does what), verifies the ledger and reports what the year holds.
 * Load: about 60 events per customer and year; the default 400 customers take a few seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "core/templates.h"
#include "store/store.h"
#include "util/codes.h"
#include "util/timeutil.h"

#define DEMO_CUSTOMERS_DEFAULT 400
#define DEMO_CUSTOMERS_MAX     9999 /* refs are client-0001 .. client-9999 */
#define DEMO_NAME              "Café des Arts"
#define DEMO_TIMEZONE          "Europe/Paris"

static const char *const PERSONA_IDS[N_PERSONAS] = {"morning_regulars", "afternoon_workers",
                                                    "weekend_visitors", "lapsed_regulars",
                                                    "one_off_buyers"};
static const char *const PERSONA_NAMES[N_PERSONAS] = {"morning regulars", "afternoon workers",
                                                      "weekend visitors", "lapsed regulars",
                                                      "one-off buyers"};

/* ---- the report ---------------------------------------------------------------------------- */

enum figure {
    FIG_CUSTOMERS,
    FIG_MEMBERS,
    FIG_ORDERS,
    FIG_MEMBER_ORDERS,
    FIG_REVENUE,
    FIG_REFUNDS,
    FIG_POINTS_EARNED,
    FIG_POINTS_REDEEMED,
    FIG_POINTS_EXPIRED,
    FIG_POINTS_CLAWED,
    FIG_POINTS_AVAILABLE,
    FIG_ADJUSTMENTS,
    FIG_VOUCHERS,
    FIG_VOUCHERS_FROM_STAMPS,
    FIG_VOUCHERS_USED,
    FIG_VOUCHERS_EXPIRED,
    FIG_VOUCHERS_OPEN,
    FIG_TIER_REGULAR,
    FIG_TIER_FAMILY,
    FIG_FIRST_ORDER,
    FIG_LAST_ORDER,
    N_FIGURES
};

/* One integer each; ?1 is the merchant. Literals: db_prepare caches by address. */
static const char *const FIGURE_SQL[N_FIGURES] = {
    [FIG_CUSTOMERS] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ?",
    [FIG_MEMBERS] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND is_member = 1",
    [FIG_ORDERS] = "SELECT COUNT(*) FROM orders WHERE merchant_id = ?",
    [FIG_MEMBER_ORDERS] =
        "SELECT COUNT(*) FROM orders WHERE merchant_id = ? AND member_at_order = 1",
    [FIG_REVENUE] =
        "SELECT COALESCE(SUM(paid_minor - refunded_minor), 0) FROM orders WHERE merchant_id = ?",
    [FIG_REFUNDS] = "SELECT COUNT(*) FROM refunds WHERE merchant_id = ?",
    [FIG_POINTS_EARNED] = "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE merchant_id = ? AND "
                          "account = 'points' AND kind IN ('earn', 'confirm')",
    [FIG_POINTS_REDEEMED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                            "AND account = 'points' AND kind = 'redeem'",
    [FIG_POINTS_EXPIRED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                           "AND account = 'points' AND kind = 'expire'",
    [FIG_POINTS_CLAWED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                          "AND account = 'points' AND kind = 'clawback'",
    [FIG_POINTS_AVAILABLE] =
        "SELECT COALESCE(SUM(points_available), 0) FROM customers WHERE merchant_id = ?",
    [FIG_ADJUSTMENTS] = "SELECT COUNT(*) FROM ledger WHERE merchant_id = ? AND kind = 'adjust'",
    [FIG_VOUCHERS] = "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ?",
    [FIG_VOUCHERS_FROM_STAMPS] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND source = 'stamp_card'",
    [FIG_VOUCHERS_USED] = "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'used'",
    [FIG_VOUCHERS_EXPIRED] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'expired'",
    [FIG_VOUCHERS_OPEN] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'issued'",
    [FIG_TIER_REGULAR] =
        "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND tier = 'regular'",
    [FIG_TIER_FAMILY] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND tier = 'family'",
    [FIG_FIRST_ORDER] = "SELECT COALESCE(MIN(at), 0) FROM orders WHERE merchant_id = ?",
    [FIG_LAST_ORDER] = "SELECT COALESCE(MAX(at), 0) FROM orders WHERE merchant_id = ?",
};

static enum fid_status read_figures(struct engine *e, int64_t figures[N_FIGURES],
                                    struct fid_error *err)
{
    struct db *db = engine_store(e)->db;
    for (int i = 0; i < N_FIGURES; i++) {
        struct db_stmt *s = db_prepare(db, FIGURE_SQL[i]);
        db_bind_int(s, 1, engine_merchant(e)->id);
        enum fid_status st = db_run_int(s, 0, &figures[i], err);
        if (st != FID_OK)
            return st;
    }
    return FID_OK;
}

static json_t *time_json(int64_t t)
{
    char text[FID_TIME_ISO_MAX];
    fid_time_format(t, text);
    return json_string(text);
}

static void print_report(const struct cli *cli, struct demo *d, uint64_t seed,
                         const int64_t f[N_FIGURES], double seconds)
{
    char from[FID_TIME_ISO_MAX], to[FID_TIME_ISO_MAX];
    fid_time_format(d->days[0].start, from);
    fid_time_format(d->now, to);
    if (cli->json) {
        json_t *populations = json_object();
        for (int p = 0; p < N_PERSONAS; p++)
            json_object_set_new(populations, PERSONA_IDS[p], json_integer(d->persona_count[p]));
        json_t *out = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s, s:o, s:o}, s:I, s:I, s:o, s:I, s:I, "
            "s:I, s:I, s:I}",
            "database", cli->db_path, "merchant", DEMO_NAME, "currency", "EUR", "timezone",
            DEMO_TIMEZONE, "template", "cafe", "seed", (json_int_t)(seed & INT64_MAX), "period",
            "from", from, "to", to, "first_order", time_json(f[FIG_FIRST_ORDER]), "last_order",
            time_json(f[FIG_LAST_ORDER]), "customers", (json_int_t)f[FIG_CUSTOMERS], "members",
            (json_int_t)f[FIG_MEMBERS], "populations", populations, "orders",
            (json_int_t)f[FIG_ORDERS], "member_orders", (json_int_t)f[FIG_MEMBER_ORDERS],
            "revenue_minor", (json_int_t)f[FIG_REVENUE], "refunds", (json_int_t)f[FIG_REFUNDS],
            "adjustments", (json_int_t)f[FIG_ADJUSTMENTS]);
        json_object_set_new(out, "points",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "earned",
                                      (json_int_t)f[FIG_POINTS_EARNED], "redeemed",
                                      (json_int_t)f[FIG_POINTS_REDEEMED], "expired",
                                      (json_int_t)f[FIG_POINTS_EXPIRED], "clawed_back",
                                      (json_int_t)f[FIG_POINTS_CLAWED], "available",
                                      (json_int_t)f[FIG_POINTS_AVAILABLE]));
        json_object_set_new(out, "vouchers",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "issued",
                                      (json_int_t)f[FIG_VOUCHERS], "from_stamp_cards",
                                      (json_int_t)f[FIG_VOUCHERS_FROM_STAMPS], "used",
                                      (json_int_t)f[FIG_VOUCHERS_USED], "expired",
                                      (json_int_t)f[FIG_VOUCHERS_EXPIRED], "open",
                                      (json_int_t)f[FIG_VOUCHERS_OPEN]));
        json_object_set_new(out, "tiers",
                            json_pack("{s:I, s:I}", "regular", (json_int_t)f[FIG_TIER_REGULAR],
                                      "family", (json_int_t)f[FIG_TIER_FAMILY]));
        json_object_set_new(out, "engine",
                            json_pack("{s:I, s:I, s:I, s:b}", "events", (json_int_t)d->events,
                                      "batches", (json_int_t)d->batches, "run_due",
                                      (json_int_t)d->due_runs, "verified", 1));
        if (seed > INT64_MAX) { /* beyond JSON integers: the decimal text */
            char text[24];
            snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
            json_object_set_new(out, "seed", json_string(text));
        }
        cli_print_json(out);
        return;
    }
    char revenue[64];
    cli_money(d->engine, f[FIG_REVENUE], revenue, sizeof revenue);
    printf("Created %s: \"%s\" (EUR, %s, fr) with the cafe programme, seed %llu.\n", cli->db_path,
           DEMO_NAME, DEMO_TIMEZONE, (unsigned long long)seed);
    struct fid_local last;
    fid_tz_local(d->tz, d->now, &last);
    printf("A year of activity, %04d-%02d-%02d to %04d-%02d-%02d:\n", d->days[0].year,
           d->days[0].month, d->days[0].day, last.year, last.month, last.day);
    printf("  customers  %lld, %lld of them members:", (long long)f[FIG_CUSTOMERS],
           (long long)f[FIG_MEMBERS]);
    for (int p = 0; p < N_PERSONAS; p++)
        printf("%s %d %s", p ? "," : "", d->persona_count[p], PERSONA_NAMES[p]);
    printf("\n  orders     %lld (%lld by members), %s after %lld %s\n", (long long)f[FIG_ORDERS],
           (long long)f[FIG_MEMBER_ORDERS], revenue, (long long)f[FIG_REFUNDS],
           f[FIG_REFUNDS] == 1 ? "refund" : "refunds");
    printf("  points     %lld earned, %lld redeemed, %lld expired, %lld clawed back, %lld "
           "available\n",
           (long long)f[FIG_POINTS_EARNED], (long long)f[FIG_POINTS_REDEEMED],
           (long long)f[FIG_POINTS_EXPIRED], (long long)f[FIG_POINTS_CLAWED],
           (long long)f[FIG_POINTS_AVAILABLE]);
    printf("  vouchers   %lld issued (%lld from full coffee cards), %lld used, %lld expired, "
           "%lld open\n",
           (long long)f[FIG_VOUCHERS], (long long)f[FIG_VOUCHERS_FROM_STAMPS],
           (long long)f[FIG_VOUCHERS_USED], (long long)f[FIG_VOUCHERS_EXPIRED],
           (long long)f[FIG_VOUCHERS_OPEN]);
    printf("  tiers      %lld family, %lld regular; %lld goodwill adjustments by the manager\n",
           (long long)f[FIG_TIER_FAMILY], (long long)f[FIG_TIER_REGULAR],
           (long long)f[FIG_ADJUSTMENTS]);
    printf("%lld events in %lld batches, %lld run-due passes, %.1f s; all invariants hold.\n",
           (long long)d->events, (long long)d->batches, (long long)d->due_runs, seconds);
    printf("Next: fidele --db %s member list\n", cli->db_path);
}

/* ---- the command --------------------------------------------------------------------------- */

static enum fid_status load_rewards(struct demo *d, struct fid_error *err)
{
    const struct program *p = engine_program(d->engine);
    for (int i = 0; i < N_REWARDS; i++) {
        const struct reward *r = program_reward(p, DEMO_REWARD_IDS[i]);
        if (r == NULL || r->cost_points <= 0)
            return fid_fail(err, FID_ERR_INTERNAL, "template",
                            "the cafe template has no reward \"%s\" paid in points",
                            DEMO_REWARD_IDS[i]);
        d->reward_cost[i] = r->cost_points;
        d->reward_value[i] = r->value_minor;
    }
    d->stamp_card = p->n_stamp_cards > 0 ? p->stamp_cards[0].id : NULL;
    return FID_OK;
}

/* Removes path and the SQLite files beside it. */
static enum fid_status remove_database(const char *path, struct fid_error *err)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < COUNT(suffixes); i++) {
        char name[DB_PATH_MAX + 16];
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (access(name, F_OK) == 0 && unlink(name) != 0)
            return fid_fail(err, FID_ERR_IO, "--db", "cannot remove %s", name);
    }
    return FID_OK;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    return (double)(end.tv_sec - start->tv_sec) + (double)(end.tv_nsec - start->tv_nsec) / 1e9;
}

int cmd_demo(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"customers", true}, {"force", false}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    int64_t customers = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_option_int(cli, "customers", 1, DEMO_CUSTOMERS_MAX, DEMO_CUSTOMERS_DEFAULT, &customers,
                       &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strlen(cli->db_path) >= DB_PATH_MAX) {
        fid_fail(&err, FID_ERR_INPUT, "--db", "a path of at most %d bytes", DB_PATH_MAX - 1);
        return cli_fail(cli, &err);
    }
    if (access(cli->db_path, F_OK) == 0) {
        if (!cli_flag(cli, "force")) {
            fid_fail(&err, FID_ERR_STATE, "--db",
                     "%s already exists; give --force to replace it with a new demo", cli->db_path);
            return cli_fail(cli, &err);
        }
        if (remove_database(cli->db_path, &err) != FID_OK)
            return cli_fail(cli, &err);
    }
    uint64_t seed = cli->seed;
    if (!cli->has_seed) { /* reported, so that the run can be repeated */
        struct fid_rng *entropy = fid_rng_new(NULL);
        fid_rng_bytes(entropy, &seed, sizeof seed);
        fid_rng_free(entropy);
        seed >>= 1; /* stays within json_int_t */
    }

    struct demo d = {.now = cli->now,
                     .batch = json_array(),
                     .contacts = json_object(),
                     .rng = fid_rng_new(&seed)};
    json_t *violations = NULL;
    int64_t figures[N_FIGURES] = {0};
    int code = 1;
    char *program = template_program_in("cafe", "EUR", 2, "fr");
    enum fid_status st = fid_tz_open(DEMO_TIMEZONE, &d.tz, &err);
    if (st != FID_OK)
        goto done;
    demo_build_calendar(&d);
    struct merchant_setup setup = {.name = DEMO_NAME,
                                   .currency = "EUR",
                                   .timezone = DEMO_TIMEZONE,
                                   .locale = "fr",
                                   .program_text = program};
    struct engine_options options = {
        .db_path = cli->db_path, .durability = DB_DURABILITY_NORMAL, .seed = &seed};
    int64_t merchant_id = 0;
    if ((st = engine_create_merchant(cli->db_path, &setup, d.days[0].start, &merchant_id, &err)) !=
            FID_OK ||
        (st = engine_open(&options, &d.engine, &err)) != FID_OK ||
        (st = db_exec(engine_store(d.engine)->db, "PRAGMA cache_size=-65536", &err)) != FID_OK ||
        (st = load_rewards(&d, &err)) != FID_OK)
        goto done;
    demo_build_population(&d, (int)customers);
    if ((st = demo_simulate(&d, &err)) != FID_OK ||
        (st = engine_verify(d.engine, &violations, &err)) != FID_OK)
        goto done;
    if (json_array_size(violations) > 0) {
        cli_print_violations(violations);
        st = fid_fail(&err, FID_ERR_INTERNAL, "verify", "the demo broke %zu ledger invariants",
                      json_array_size(violations));
        goto done;
    }
    if ((st = read_figures(d.engine, figures, &err)) != FID_OK)
        goto done;
    print_report(cli, &d, seed, figures, seconds_since(&started));
    code = 0;
done:
    if (st != FID_OK)
        code = cli_fail(cli, &err);
    json_decref(violations);
    json_decref(d.batch);
    json_decref(d.contacts);
    engine_close(d.engine);
    fid_tz_free(d.tz);
    fid_rng_free(d.rng);
    free(d.days);
    free(d.customers);
    free(d.vouchers);
    free(d.heap);
    free(program);
    return code;
}
