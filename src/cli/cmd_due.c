/*
 * `fidele run-due` (scheduled work up to --now) and `fidele verify` (every ledger invariant).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/timeutil.h"

/* Adds each integer field of one merchant's summary to the total. */
static void add_summary(json_t *total, const json_t *summary)
{
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)summary, name, value)
    {
        if (json_is_integer(value))
            json_object_set_new(total, name,
                                json_integer(json_integer_value(json_object_get(total, name)) +
                                             json_integer_value(value)));
        else if (json_object_get(total, name) == NULL)
            json_object_set(total, name, value);
    }
}

struct due_run {
    int64_t now;
    json_t *total; /* the summaries added up */
    /* now as the merchants read it; in UTC when their zones disagree on its offset */
    char now_text[FID_TIME_LOCAL_MAX];
};

static enum fid_status run_due_of(struct engine *e, void *context, struct fid_error *err)
{
    struct due_run *run = context;
    json_t *summary = NULL;
    enum fid_status st = engine_run_due(e, run->now, &summary, err);
    if (st == FID_OK)
        add_summary(run->total, summary);
    char local[FID_TIME_LOCAL_MAX];
    fid_time_format_local(run->now, engine_tz(e), local);
    if (run->now_text[0] == '\0')
        memcpy(run->now_text, local, sizeof local);
    else if (strcmp(run->now_text, local) != 0)
        fid_time_format_local(run->now, NULL, run->now_text);
    json_decref(summary);
    return st;
}

int cmd_run_due(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    json_t *summary = json_object();
    struct due_run run = {.now = cli->now, .total = summary};
    size_t n = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_each_merchant(cli, run_due_of, &run, &n, &err) != FID_OK) {
        json_decref(summary);
        return cli_fail(cli, &err);
    }
    json_object_set_new(summary, "merchants", json_integer((json_int_t)n));
    if (cli->json) {
        cli_print_json(summary);
        return 0;
    }
    char c[6][48];
#define FIGURE(i, name, one, many)                                                                 \
    cli_count(json_integer_value(json_object_get(summary, name)), one, many, c[i], sizeof c[i])
    if (run.now_text[0] == '\0') /* no merchant */
        fid_time_format_local(run.now, NULL, run.now_text);
    printf("Due work up to %s: %s confirmed (%s), %s expired (%s), %s, %s expired", run.now_text,
           FIGURE(0, "points_confirmed", "point", "points"),
           FIGURE(1, "lots_confirmed", "lot", "lots"),
           FIGURE(2, "points_expired", "point", "points"), FIGURE(3, "lots_expired", "lot", "lots"),
           FIGURE(4, "tier_changes", "tier change", "tier changes"),
           FIGURE(5, "vouchers_expired", "voucher", "vouchers"));
#undef FIGURE
    printf(n > 1 ? " (%zu merchants).\n" : ".\n", n);
    json_decref(summary);
    return 0;
}

/* Appends one merchant's violations to the list, each naming its merchant. */
static enum fid_status verify_one(struct engine *e, void *context, struct fid_error *err)
{
    json_t *all = context, *violations = NULL;
    enum fid_status st = engine_verify(e, &violations, err);
    size_t i;
    json_t *v;
    json_array_foreach(violations, i, v)
    {
        json_object_set_new(v, "merchant", json_integer((json_int_t)engine_merchant(e)->id));
        json_array_append(all, v);
    }
    json_decref(violations);
    return st;
}

int cmd_verify(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    json_t *violations = json_array();
    size_t merchants = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_each_merchant(cli, verify_one, violations, &merchants, &err) != FID_OK) {
        json_decref(violations);
        return cli_fail(cli, &err);
    }
    size_t n = json_array_size(violations);
    if (cli->json) {
        cli_print_json(json_pack("{s:b, s:I, s:O}", "ok", n == 0, "merchants",
                                 (json_int_t)merchants, "violations", violations));
    } else if (n == 0) {
        printf(merchants > 1 ? "All invariants hold (%zu merchants).\n" : "All invariants hold.\n",
               merchants);
    } else {
        cli_print_violations(violations);
    }
    json_decref(violations);
    return n == 0 ? 0 : 1;
}
