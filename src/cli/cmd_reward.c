/*
 * `fidele rewards`, `fidele redeem MEMBER REWARD`, `fidele voucher show|use CODE`. Redemptions and
 * voucher uses are events: --key makes a retry safe; without it each run is a new request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/codes.h"
#include "util/timeutil.h"

int cmd_rewards(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK)
        return cli_fail(cli, &err);
    const struct program *p = engine_program(e);
    json_t *list = engine_rewards_json(e);
    for (size_t i = 0; !cli->json && i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        char cost[64];
        if (r->cost_cashback_minor)
            cli_money(e, r->cost_cashback_minor, cost, sizeof cost);
        else
            snprintf(cost, sizeof cost, "%lld %s",
                     (long long)(r->cost_stamps ? r->cost_stamps : r->cost_points),
                     r->cost_stamps ? "stamps" : "points");
        char name[256];
        printf("%-18s %s %-16s %s\n", r->id, cli_pad(r->name, 32, name, sizeof name),
               reward_kind_name(r->kind), cost);
    }
    if (cli->json)
        cli_print_json(list);
    else
        json_decref(list);
    engine_close(e);
    return 0;
}

/* Applies one event and prints its result; shared by redeem and voucher use. */
static int post_one(struct cli *cli, json_t *event)
{
    struct fid_error err;
    fid_error_clear(&err);
    const char *key = cli_option(cli, "key");
    char generated[EVENT_KEY_MAX];
    if (key == NULL) {
        cli_new_key(generated, sizeof generated);
        key = generated;
    }
    json_object_set_new(event, "key", json_string(key));
    if (cli_option(cli, "at"))
        json_object_set_new(event, "at", json_string(cli_option(cli, "at")));
    struct engine *e = NULL;
    json_t *r = NULL;
    if (cli_open_engine(cli, &e, &err) != FID_OK) {
        json_decref(event);
        return cli_fail(cli, &err);
    }
    if (cli_apply_one(cli, e, event, &r, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    if (cli->json) {
        engine_close(e);
        cli_print_json(r);
        return 0;
    }
    const char *type = json_string_value(json_object_get(r, "type"));
    if (strcmp(type, "redeem") == 0) {
        json_t *v = json_array_get(json_object_get(r, "vouchers"), 0);
        printf("Redeemed %s for %s", json_string_value(json_object_get(r, "reward")),
               json_string_value(json_object_get(r, "customer")));
        char until[FID_TIME_LOCAL_MAX];
        if (v)
            printf(": voucher %s valid until %s", json_string_value(json_object_get(v, "code")),
                   cli_local_time(engine_tz(e),
                                  json_string_value(json_object_get(v, "valid_until")), until));
        printf("%s.\n", cli_replay_note(r));
    } else {
        /* a reward no version kept has no name: its id stands for it */
        const char *name = json_string_value(json_object_get(r, "name"));
        printf("Voucher %s used: %s for %s%s.\n", json_string_value(json_object_get(r, "code")),
               name ? name : json_string_value(json_object_get(r, "reward")),
               json_string_value(json_object_get(r, "customer")), cli_replay_note(r));
    }
    engine_close(e);
    json_decref(r);
    return 0;
}

int cmd_redeem(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"key", true}, {"at", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 2, 2, &err) != FID_OK)
        return cli_fail(cli, &err);
    return post_one(cli, json_pack("{s:s, s:s, s:s}", "type", "redeem", "customer",
                                   cli->positional[0], "reward", cli->positional[1]));
}

/* `fidele voucher list MEMBER [--state usable|used|expired|all]`: what a member can use now, by
 * default. */
static int list_vouchers(struct cli *cli)
{
    struct fid_error err;
    fid_error_clear(&err);
    enum voucher_filter filter = VOUCHERS_USABLE;
    const char *state = cli_option(cli, "state");
    if (state && !voucher_filter_parse(state, &filter)) {
        fid_fail(&err, FID_ERR_INPUT, "--state",
                 "expected usable, used, expired or all, not \"%s\"", state);
        return cli_fail(cli, &err);
    }
    struct engine *e = NULL;
    struct customer c;
    json_t *items = NULL;
    if (cli_open_engine(cli, &e, &err) != FID_OK ||
        customer_find_any(engine_store(e), cli->positional[1], &c, &err) != FID_OK ||
        engine_member_vouchers_json(e, &c, filter, cli->now, &items, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    if (cli->json) {
        engine_close(e);
        cli_print_json(json_pack("{s:s, s:o}", "member", c.ref, "vouchers", items));
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        const char *used_at = json_string_value(json_object_get(v, "used_at"));
        char padded[256], when[FID_TIME_LOCAL_MAX];
        /* a used voucher says when it was used; the others how long they hold */
        printf("%s  %s %-8s %s %s\n", json_string_value(json_object_get(v, "code")),
               cli_pad(name ? name : json_string_value(json_object_get(v, "reward")), 28, padded,
                       sizeof padded),
               json_string_value(json_object_get(v, "state")), used_at ? "used" : "valid until",
               cli_local_time(
                   engine_tz(e),
                   used_at ? used_at : json_string_value(json_object_get(v, "valid_until")), when));
    }
    engine_close(e);
    if (json_array_size(items) == 0 && filter == VOUCHERS_ALL)
        printf("%s has no voucher.\n", c.ref);
    else if (json_array_size(items) == 0)
        printf("%s has no %s voucher.\n", c.ref, state ? state : "usable");
    json_decref(items);
    return 0;
}

int cmd_voucher(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"key", true}, {"at", true}, {"order", true}, {"state", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 2, 2, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *action = cli->positional[0];
    static const char *const list_takes[] = {"state", NULL}, *const show_takes[] = {NULL};
    static const char *const use_takes[] = {"key", "at", "order", NULL};
    const char *const *takes = strcmp(action, "list") == 0   ? list_takes
                               : strcmp(action, "use") == 0  ? use_takes
                               : strcmp(action, "show") == 0 ? show_takes
                                                             : NULL;
    if (takes && cli_action_takes(cli, takes, &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strcmp(action, "list") == 0)
        return list_vouchers(cli);
    char code[FID_CODE_MAX];
    if (fid_code_normalise(cli->positional[1], code) != 0) {
        fid_fail(&err, FID_ERR_INPUT, "code", "\"%s\" is not a voucher code", cli->positional[1]);
        return cli_fail(cli, &err);
    }
    if (strcmp(action, "use") == 0) {
        json_t *event = json_pack("{s:s, s:s}", "type", "voucher_use", "code", code);
        if (cli_option(cli, "order"))
            json_object_set_new(event, "order_id", json_string(cli_option(cli, "order")));
        return post_one(cli, event);
    }
    if (strcmp(action, "show") != 0) {
        fid_fail(&err, FID_ERR_INPUT, action, "expected list, show or use");
        return cli_fail(cli, &err);
    }
    struct engine *e = NULL;
    struct voucher v;
    struct customer c;
    if (cli_open_engine(cli, &e, &err) != FID_OK ||
        voucher_find(engine_store(e), code, &v, &err) != FID_OK ||
        customer_find_id(engine_store(e), v.customer_id, &c, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    engine_voucher_as_of(&v, cli->now);
    json_t *out = engine_voucher_json(e, &v, &c);
    if (cli->json) {
        engine_close(e);
        cli_print_json(out);
        return 0;
    }
    char issued[FID_TIME_LOCAL_MAX], until[FID_TIME_LOCAL_MAX], used[FID_TIME_LOCAL_MAX];
    char withdrawn[FID_TIME_LOCAL_MAX];
    fid_time_format_local(v.issued_at, engine_tz(e), issued);
    fid_time_format_local(v.valid_until, engine_tz(e), until);
    fid_time_format_local(v.used_at, engine_tz(e), used);
    fid_time_format_local(v.withdrawn_at, engine_tz(e), withdrawn);
    engine_close(e);
    const char *name = json_string_value(json_object_get(out, "name"));
    printf("%s  %s  %s  (%s, member %s)\n  issued %s, valid until %s\n", v.code,
           name ? name : v.reward_id, voucher_state_name(v.state), voucher_source_name(v.source),
           c.ref, issued, until);
    if (v.state == VOUCHER_USED)
        printf("  used %s%s%s\n", used, v.used_order[0] ? " on order " : "", v.used_order);
    if (v.withdrawn_by[0])
        printf("  taken back %s by the VIP refund %s\n", withdrawn, v.withdrawn_by);
    json_decref(out);
    return 0;
}
