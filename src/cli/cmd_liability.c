/*
 * `fidele liability --from DATE --to DATE`: the points the merchant owes its members over [from,
 * to) in the merchant's time zone, every figure summed from the ledger. The liability is the sum
 * of the members' positive balances (available + pending): a member whose balance a refund left
 * below zero (refunds.allow_negative_balance) owes points, which future earnings repay; that debt
 * is reported apart ("owed by members") and never lowers what is owed to the others. The
 * roll-forward runs on the ledger's net, which is the liability less the debts:
 *   opening - owed by members = opening net
 *   opening net + earned - redeemed - expired - clawed back + adjusted = closing net
 *   closing net + owed by members = closing
 * and is checked; so are the closing figures against the members' materialised balances when the
 * period reaches the last entry. Points are valued at the programme's point value, and the
 * expected breakage (points owed that will expire unredeemed) is estimated from history,
 * expired / (expired + redeemed) up to `to`, applied to the closing liability: never negative.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arith.h"
#include "store/store.h"
#include "util/money.h"
#include "util/timeutil.h"

static json_t *money(const struct engine *e, int64_t minor)
{
    return json_pack("{s:I, s:s}", "amount_minor", (json_int_t)minor, "currency",
                     engine_merchant(e)->currency);
}

static enum fid_status read_date(const struct cli *cli, const char *name, const struct fid_tz *tz,
                                 int64_t *out, char text[16], struct fid_error *err)
{
    const char *value = cli_option(cli, name);
    char field[32];
    snprintf(field, sizeof field, "--%s", name);
    if (value == NULL)
        return fid_fail(err, FID_ERR_INPUT, field, "required: a date YYYY-MM-DD");
    int y, m, d;
    enum fid_status st = fid_date_parse(value, &y, &m, &d, field, err);
    if (st == FID_OK) {
        *out = fid_tz_midnight(tz, y, m, d);
        snprintf(text, 16, "%04d-%02d-%02d", y, m, d);
    }
    return st;
}

int cmd_liability(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"from", true}, {"to", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    char from_text[16], to_text[16];
    int64_t from, to;
    struct points_totals before, period, upto;
    struct points_position opening, closing, balances;
    int64_t last_entry = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK ||
        read_date(cli, "from", engine_tz(e), &from, from_text, &err) != FID_OK ||
        read_date(cli, "to", engine_tz(e), &to, to_text, &err) != FID_OK)
        goto fail;
    if (to <= from) {
        fid_fail(&err, FID_ERR_INPUT, "--to", "must be after --from (the period is [from, to))");
        goto fail;
    }
    struct store *store = engine_store(e);
    struct db_stmt *last =
        db_prepare(store->db, "SELECT MAX(at) FROM ledger WHERE merchant_id = ?");
    db_bind_int(last, 1, store->merchant_id);
    if (ledger_points_totals(store, FID_TIME_MIN, from, &before, &err) != FID_OK ||
        ledger_points_totals(store, from, to, &period, &err) != FID_OK ||
        ledger_points_totals(store, FID_TIME_MIN, to, &upto, &err) != FID_OK ||
        ledger_points_position(store, from, &opening, &err) != FID_OK ||
        ledger_points_position(store, to, &closing, &err) != FID_OK ||
        engine_rows_current(e, "the liability", &err) != FID_OK ||
        customer_points_position(store, &balances, &err) != FID_OK ||
        db_run_int(last, 0, &last_entry, &err) != FID_OK)
        goto fail;
    /* The ledger's net summed by kind, and the same balances summed member by member: the two
     * must meet, at both ends, and the net must roll forward through the period's movements. */
    int64_t opening_net = before.net, closing_net = upto.net;
    bool rolls = opening_net + period.earned - period.redeemed - period.expired -
                         period.clawed_back + period.adjusted ==
                     closing_net &&
                 opening.owed - opening.owed_by_members == opening_net &&
                 closing.owed - closing.owed_by_members == closing_net;
    bool reaches_end = last_entry < to;
    bool balances_agree = !reaches_end || (balances.owed_available == closing.owed_available &&
                                           balances.owed_pending == closing.owed_pending &&
                                           balances.owed_by_members == closing.owed_by_members);
    /* Breakage: of the points that left balances by redemption or expiry, the expired share,
     * applied to what is owed (a debt is repaid by earnings, it does not expire). */
    int64_t ended = upto.expired + upto.redeemed;
    double rate = ended > 0 ? (double)upto.expired / (double)ended : NAN;
    int64_t value_minor = 0, value_points = 0;
    bool valued = program_point_value(engine_program(e), &value_minor, &value_points);
    int64_t breakage = ended > 0 ? (int64_t)llround((double)closing.owed * rate) : 0;
    json_t *out = json_pack(
        "{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}, "
        "s:{s:I, s:I}, s:{s:b, s:b, s:b}}",
        "from", from_text, "to", to_text, "points", "opening", (json_int_t)opening.owed, "earned",
        (json_int_t)period.earned, "redeemed", (json_int_t)period.redeemed, "expired",
        (json_int_t)period.expired, "clawed_back", (json_int_t)period.clawed_back, "adjusted",
        (json_int_t)period.adjusted, "closing", (json_int_t)closing.owed, "closing_split",
        "available", (json_int_t)closing.owed_available, "pending",
        (json_int_t)closing.owed_pending, "owed_by_members", "opening",
        (json_int_t)opening.owed_by_members, "closing", (json_int_t)closing.owed_by_members,
        "members", (json_int_t)closing.members_owing, "net", "opening", (json_int_t)opening_net,
        "closing", (json_int_t)closing_net, "checks", "roll_forward", rolls, "balances_agree",
        balances_agree, "balances_checked", reaches_end);
    json_object_set_new(out, "breakage_rate", ended > 0 ? json_real(rate) : json_null());
    json_object_set_new(out, "expected_breakage_points", json_integer(breakage));
    if (valued) {
        json_t *value =
            json_pack("{s:o, s:o, s:o, s:o, s:o}", "point_value",
                      json_pack("{s:o, s:I}", "amount", money(e, value_minor), "points",
                                (json_int_t)value_points),
                      "closing", money(e, arith_share(closing.owed, value_minor, value_points)),
                      "expected_breakage",
                      money(e, arith_share(breakage, value_minor, value_points)), "net_of_breakage",
                      money(e, arith_share(closing.owed - breakage, value_minor, value_points)),
                      "owed_by_members",
                      money(e, arith_share(closing.owed_by_members, value_minor, value_points)));
        json_object_set_new(out, "value", value);
    } else {
        json_object_set_new(out, "value", json_null());
    }
    int code = rolls && balances_agree ? 0 : 1;
    if (cli->json) {
        cli_print_json(out);
    } else {
        printf("Points liability from %s to %s (to excluded)\n", from_text, to_text);
        printf("  opening            %12lld\n  - owed by members  %12lld\n"
               "  = opening net      %12lld\n",
               (long long)opening.owed, (long long)opening.owed_by_members, (long long)opening_net);
        printf("  + earned           %12lld\n  - redeemed         %12lld\n"
               "  - expired          %12lld\n  - clawed back      %12lld\n"
               "  +/- adjusted       %12lld\n  = closing net      %12lld\n",
               (long long)period.earned, (long long)period.redeemed, (long long)period.expired,
               (long long)period.clawed_back, (long long)period.adjusted, (long long)closing_net);
        printf("  + owed by members  %12lld   (%lld member%s below zero)\n",
               (long long)closing.owed_by_members, (long long)closing.members_owing,
               closing.members_owing == 1 ? "" : "s");
        printf("  = closing          %12lld   (%lld available, %lld pending)\n",
               (long long)closing.owed, (long long)closing.owed_available,
               (long long)closing.owed_pending);
        printf("  checks: roll-forward %s; balances %s\n", rolls ? "holds" : "BROKEN",
               !reaches_end     ? "not compared (entries after the period)"
               : balances_agree ? "equal the ledger"
                                : "DIFFER from the ledger");
        if (ended > 0)
            printf("  breakage: %.1f%% of points leaving balances expired; expected %lld points\n",
                   rate * 100.0, (long long)breakage);
        if (valued) {
            char closing_money[64], net[64], owing[64];
            cli_money(e, arith_share(closing.owed, value_minor, value_points), closing_money,
                      sizeof closing_money);
            cli_money(e, arith_share(closing.owed - breakage, value_minor, value_points), net,
                      sizeof net);
            printf("  value: %s at closing, %s net of expected breakage\n", closing_money, net);
            if (closing.owed_by_members > 0) {
                cli_money(e, arith_share(closing.owed_by_members, value_minor, value_points), owing,
                          sizeof owing);
                printf("  owed by members: %s, repaid by their future earnings\n", owing);
            }
        }
        json_decref(out);
    }
    engine_close(e);
    return code;
fail:
    engine_close(e);
    return cli_fail(cli, &err);
}
