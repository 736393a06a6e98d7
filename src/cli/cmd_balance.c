/*
 * `fidele balance MEMBER` and `fidele ledger MEMBER`: what a member has, and every entry that
 * made it so with the lines that explain it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/timeutil.h"

static enum fid_status open_member(struct cli *cli, struct engine **e, struct customer *c,
                                   struct fid_error *err)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    enum fid_status st = cli_parse(cli, specs, 1, 1, err);
    if (st == FID_OK)
        st = cli_open_engine(cli, e, err);
    if (st == FID_OK)
        st = customer_find_any(engine_store(*e), cli->positional[0], c, err);
    if (st == FID_OK && !c->is_member)
        st = fid_fail(err, FID_ERR_NOT_FOUND, "member", "\"%s\" is a customer but not a member",
                      cli->positional[0]);
    return st;
}

int cmd_balance(struct cli *cli)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    struct customer c;
    if (open_member(cli, &e, &c, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    json_t *balance = engine_balance_json(e, &c);
    if (cli->json) {
        json_object_set_new(balance, "customer", json_string(c.ref));
        json_object_set_new(balance, "tier", json_string(c.tier));
        cli_print_json(balance);
    } else {
        char cashback[64];
        cli_money(e, c.cashback_minor, cashback, sizeof cashback);
        printf("%s: %lld points available, %lld pending, %lld earned in all\n", c.ref,
               (long long)c.points_available, (long long)c.points_pending,
               (long long)c.points_lifetime);
        const struct tier_level *tier = c.tier[0] ? program_tier(engine_program(e), c.tier) : NULL;
        if (c.tier[0])
            printf("  tier %s\n", tier ? tier->name : c.tier);
        if (c.cashback_minor)
            printf("  cashback %s\n", cashback);
        const char *card;
        json_t *s;
        json_object_foreach(json_object_get(balance, "stamps"), card, s)
            printf("  %s: %lld of %lld stamps\n", engine_stamp_card_name(e, card),
                   (long long)json_integer_value(json_object_get(s, "stamps")),
                   (long long)json_integer_value(json_object_get(s, "required")));
        json_decref(balance);
    }
    engine_close(e);
    return 0;
}

/* Explanation lines start a little past where the entry's kind does, after its local time
 * ("2026-03-03 15:30:00+01:00", 25 characters) and two spaces. */
#define LEDGER_INDENT 29

struct ledger_print {
    bool json;
    json_t *rows;
    const struct engine *engine; /* for the programme's names and the currency */
};

/* A change with its sign ("+5", "-3"), and 0 without one: a clawback that forgave everything. */
static const char *signed_text(long long n, char out[24])
{
    snprintf(out, 24, n == 0 ? "%lld" : "%+lld", n);
    return out;
}

static int visit_entry(struct db_stmt *row, void *context)
{
    struct ledger_print *ctx = context;
    json_t *entry = engine_ledger_entry_json(ctx->engine, row, NULL);
    if (ctx->json) {
        json_array_append_new(ctx->rows, entry);
        return 0;
    }
    char at[FID_TIME_LOCAL_MAX];
    fid_time_format_local(db_column_int(row, 1), engine_tz(ctx->engine), at);
    const json_t *explanation = json_object_get(entry, "explanation");
    const char *account = db_column_text(row, 3);
    int64_t amount = db_column_int(row, 5), pending = db_column_int(row, 6);
    char what[192], n[24];
    if (strcmp(account, "stamps") == 0) {
        snprintf(what, sizeof what, "%s %s (%s)", signed_text(amount, n),
                 amount == 1 || amount == -1 ? "stamp" : "stamps",
                 engine_stamp_card_name(ctx->engine, db_column_text(row, 4)));
    } else if (strcmp(account, "cashback") == 0) {
        char money[64];
        cli_money(ctx->engine, amount < 0 ? -amount : amount, money, sizeof money);
        snprintf(what, sizeof what, "%s%s cashback",
                 amount < 0   ? "-"
                 : amount > 0 ? "+"
                              : "",
                 money);
    } else if (pending != 0 && amount == 0)
        snprintf(what, sizeof what, "%s pending", signed_text(pending, n));
    else
        snprintf(what, sizeof what, "%s points", signed_text(amount, n));
    char padded[256];
    printf("%s  %-12s %s", at, db_column_text(row, 2), cli_pad(what, 28, padded, sizeof padded));
    if (!db_column_is_null(row, 8))
        printf(" order %s", db_column_text(row, 8));
    printf("\n");
    size_t i;
    json_t *line;
    json_array_foreach(explanation, i, line)
    {
        json_t *points = json_object_get(line, "points");
        json_int_t forgiven = json_integer_value(json_object_get(line, "forgiven"));
        bool all_forgiven = forgiven > 0 && amount == 0;
        if (points && json_is_integer(points) && !all_forgiven)
            printf("%*s%6s  %s\n", LEDGER_INDENT, "", signed_text(json_integer_value(points), n),
                   json_string_value(json_object_get(line, "label")));
        else
            printf("%*s        %s\n", LEDGER_INDENT, "",
                   json_string_value(json_object_get(line, "label")));
        if (forgiven > 0)
            printf("%*s        %lld %sforgiven: the balance may not go below zero\n", LEDGER_INDENT,
                   "", (long long)forgiven, all_forgiven ? "" : "more ");
    }
    /* an adjustment's explanation is its reason already: only who made it is left to say */
    const char *reason = db_column_is_null(row, 12) ? NULL : db_column_text(row, 12);
    const char *first_label =
        json_string_value(json_object_get(json_array_get(explanation, 0), "label"));
    if (reason && first_label && strcmp(reason, first_label) == 0)
        printf("%*s        by %s\n", LEDGER_INDENT, "", db_column_text(row, 13));
    else if (reason)
        printf("%*s        reason: %s (by %s)\n", LEDGER_INDENT, "", reason,
               db_column_text(row, 13));
    json_decref(entry);
    return 0;
}

int cmd_ledger(struct cli *cli)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    struct customer c;
    if (open_member(cli, &e, &c, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    struct ledger_print ctx = {.json = cli->json, .rows = json_array(), .engine = e};
    enum fid_status st = ledger_list(engine_store(e), &c, visit_entry, &ctx, &err);
    engine_close(e);
    if (st != FID_OK) {
        json_decref(ctx.rows);
        return cli_fail(cli, &err);
    }
    if (cli->json)
        cli_print_json(json_pack("{s:s, s:o}", "customer", c.ref, "entries", ctx.rows));
    else
        json_decref(ctx.rows);
    return 0;
}
