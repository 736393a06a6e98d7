/*
 * `fidele member add|show|list|find`. Adding a member posts an enrol event (key "enrol:REF" unless
 * --key is given), so adding the same member twice is a replay, not a second welcome bonus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeutil.h"

static const char *consent_names(unsigned consents, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", consents & 1 ? "email " : "", consents & 2 ? "sms " : "",
             consents & 4 ? "push" : "");
    size_t n = strlen(out);
    if (n > 0 && out[n - 1] == ' ') /* no blank at the end of the line */
        out[n - 1] = '\0';
    if (out[0] == '\0')
        snprintf(out, size, "none");
    return out;
}

static int add_member(struct cli *cli)
{
    struct fid_error err;
    fid_error_clear(&err);
    json_t *event = json_pack("{s:s, s:s}", "type", "enrol", "customer", cli->positional[1]);
    static const char *const fields[] = {"email", "phone", "name", "birthday", "locale", NULL};
    for (int i = 0; fields[i]; i++)
        if (cli_option(cli, fields[i]))
            json_object_set_new(event, fields[i], json_string(cli_option(cli, fields[i])));
    const char *consent = cli_option(cli, "consent");
    if (consent) {
        json_t *list = json_array();
        char copy[64];
        snprintf(copy, sizeof copy, "%s", consent);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            json_array_append_new(list, json_string(tok));
        json_object_set_new(event, "consents", list);
    }
    /* The key is made of the id: a control character in it is the id's fault, named so. */
    int control = fid_text_control(cli->positional[1]);
    if (control >= 0 && cli_option(cli, "key") == NULL) {
        json_decref(event);
        fid_fail(&err, FID_ERR_INPUT, "/customer", "control character U+%04X in the text", control);
        return cli_fail(cli, &err);
    }
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "enrol:%s", cli->positional[1]);
    json_object_set_new(event, "key",
                        json_string(cli_option(cli, "key") ? cli_option(cli, "key") : key));
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
        /* its default key taken by an enrolment with other details: the member exists */
        if (err.status == FID_ERR_CONFLICT && strcmp(err.field, "/key") == 0 &&
            cli_option(cli, "key") == NULL)
            fid_fail(&err, FID_ERR_CONFLICT, "/customer",
                     "\"%.100s\" is already a member, enrolled with other details",
                     cli->positional[1]);
        return cli_fail(cli, &err);
    }
    if (cli->json) {
        cli_print_json(r);
    } else {
        printf("Member %s enrolled: card %s, %lld welcome points%s.\n", cli->positional[1],
               json_string_value(json_object_get(r, "card_code")),
               (long long)json_integer_value(json_object_get(r, "welcome_points")),
               cli_replay_note(r));
        json_decref(r);
    }
    engine_close(e);
    return 0;
}

static int stop_at_first(const struct tier_change *change, void *context)
{
    (void)change;
    *(bool *)context = true;
    return 1;
}

/* A tier by the name the programme gives it (its id when a later version dropped it). */
static const char *tier_name(const struct engine *e, const char *id)
{
    const struct tier_level *tier = program_tier(engine_program(e), id);
    return id[0] == '\0' ? "(none)" : tier ? tier->name : id;
}

/* "  benefits   a; b" under the tier or the plan that gives them, when there are any. */
static void print_benefits(const struct perks *perks)
{
    for (size_t i = 0; i < perks->benefits.count; i++)
        printf("%s%s", i ? "; " : "  benefits   ", perks->benefits.items[i]);
    if (perks->benefits.count > 0)
        printf("\n");
}

static void print_customer(struct engine *e, const struct customer *c, int64_t now)
{
    char spend[64];
    cli_money(e, c->spend_minor, spend, sizeof spend);
    char consents[32];
    printf("%s%s\n", c->ref, c->is_member ? "" : " (not a member)");
    if (c->name[0])
        printf("  name       %s\n", c->name);
    if (c->email[0])
        printf("  e-mail     %s\n", c->email);
    if (c->phone[0])
        printf("  phone      %s\n", c->phone);
    if (c->is_member) {
        char enrolled[FID_TIME_LOCAL_MAX];
        fid_time_format_local(c->enrolled_at, engine_tz(e), enrolled);
        printf("  card       %s\n  enrolled   %s\n  consents   %s\n", c->card_code, enrolled,
               consent_names(c->consents, consents, sizeof consents));
        printf("  points     %lld available, %lld pending, %lld earned in all\n",
               (long long)c->points_available, (long long)c->points_pending,
               (long long)c->points_lifetime);
        if (c->tier[0]) {
            char since[FID_TIME_LOCAL_MAX];
            fid_time_format_local(c->tier_since, engine_tz(e), since);
            printf("  tier       %s since %s\n", tier_name(e, c->tier), since);
            const struct tier_level *tier = program_tier(engine_program(e), c->tier);
            if (tier)
                print_benefits(&tier->perks);
        }
        if (c->vip_plan[0]) {
            const struct vip_plan *plan = program_vip_plan(engine_program(e), c->vip_plan);
            char until[FID_TIME_LOCAL_MAX];
            fid_time_format_local(c->vip_until, engine_tz(e), until);
            bool running = c->vip_until > now; /* an ended membership gives nothing */
            printf("  VIP        %s %s %s%s\n", plan ? plan->name : c->vip_plan,
                   running ? "until" : "ended", until,
                   running && plan && plan->free_delivery ? ", free delivery" : "");
            if (running && plan)
                print_benefits(&plan->perks);
        }
    }
    printf("  orders     %lld, %s\n", (long long)c->order_count, spend);
}

static int print_tier_change(const struct tier_change *change, void *context)
{
    const struct engine *e = context;
    char at[FID_TIME_LOCAL_MAX], before[256], after[256];
    fid_time_format_local(change->at, engine_tz(e), at);
    printf("  %s  %s -> %s %s\n", at,
           cli_pad(tier_name(e, change->previous), 12, before, sizeof before),
           cli_pad(tier_name(e, change->tier), 12, after, sizeof after),
           tier_change_reason_name(change->reason));
    return 0;
}

/* `member show`: the member, then the history of their tier when it has one. */
static enum fid_status show_customer(struct cli *cli, struct engine *e, const struct customer *c,
                                     struct fid_error *err)
{
    if (cli->json) {
        json_t *history = NULL;
        enum fid_status st = engine_tier_history_json(e, c, &history, err);
        if (st != FID_OK)
            return st;
        json_t *out = engine_member_json(e, c, cli->now);
        json_object_set_new(out, "tier_history", history);
        cli_print_json(out);
        return FID_OK;
    }
    print_customer(e, c, cli->now);
    bool any = false;
    enum fid_status st = tier_changes_each(engine_store(e), c->id, stop_at_first, &any, err);
    if (st == FID_OK && any) {
        printf("tier history\n");
        st = tier_changes_each(engine_store(e), c->id, print_tier_change, e, err);
    }
    return st;
}

struct list_context {
    struct engine *engine;
    int64_t now;
    json_t *json;
    int64_t count;
};

static int visit_customer(const struct customer *c, void *context)
{
    struct list_context *ctx = context;
    ctx->count++;
    if (ctx->json) {
        json_array_append_new(ctx->json, engine_member_json(ctx->engine, c, ctx->now));
        return 0;
    }
    char ref[512];
    printf("%s %-12s %-19s %8lld pts %5lld %-6s %s\n", cli_pad(c->ref, 20, ref, sizeof ref),
           c->is_member ? c->tier[0] ? c->tier : "member" : "-", c->card_code,
           (long long)c->points_available, (long long)c->order_count,
           c->order_count == 1 ? "order" : "orders", c->name);
    return 0;
}

int cmd_member(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"email", true},  {"phone", true},   {"name", true}, {"birthday", true},
        {"locale", true}, {"consent", true}, {"key", true},  {"at", true},
        {"limit", true},  {"after", true},   {"all", false}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 1, 2, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *action = cli->positional[0];
    bool needs_arg = strcmp(action, "list") != 0;
    if (needs_arg && cli->n_positional != 2) {
        fid_fail(&err, FID_ERR_INPUT, action, "expected a member (id, card code, e-mail or phone)");
        return cli_fail(cli, &err);
    }
    static const char *const add_takes[] = {"email",   "phone", "name", "birthday", "locale",
                                            "consent", "key",   "at",   NULL};
    static const char *const show_takes[] = {NULL}, *const find_takes[] = {"limit", NULL};
    static const char *const list_takes[] = {"limit", "after", "all", NULL};
    const char *const *takes = strcmp(action, "add") == 0    ? add_takes
                               : strcmp(action, "show") == 0 ? show_takes
                               : strcmp(action, "list") == 0 ? list_takes
                               : strcmp(action, "find") == 0 ? find_takes
                                                             : NULL;
    if (takes == NULL) {
        fid_fail(&err, FID_ERR_INPUT, action, "expected add, show, list or find");
        return cli_fail(cli, &err);
    }
    if (cli_action_takes(cli, takes, &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strcmp(action, "add") == 0)
        return add_member(cli);
    struct engine *e = NULL;
    if (cli_open_engine(cli, &e, &err) != FID_OK)
        return cli_fail(cli, &err);
    struct store *store = engine_store(e);
    int code = 0;
    if (strcmp(action, "show") == 0) {
        struct customer c;
        if (customer_find_any(store, cli->positional[1], &c, &err) != FID_OK ||
            show_customer(cli, e, &c, &err) != FID_OK)
            code = cli_fail(cli, &err);
    } else {
        int64_t limit = 0;
        struct list_context ctx = {
            .engine = e, .now = cli->now, .json = cli->json ? json_array() : NULL};
        enum fid_status st = cli_option_int(cli, "limit", 1, 100000, 50, &limit, &err);
        if (st == FID_OK && strcmp(action, "list") == 0)
            st = customer_list(store, cli_option(cli, "after"), limit, !cli_flag(cli, "all"),
                               visit_customer, &ctx, &err);
        else if (st == FID_OK)
            st = customer_search(store, cli->positional[1], limit, visit_customer, &ctx, &err);
        if (st != FID_OK) {
            json_decref(ctx.json);
            code = cli_fail(cli, &err);
        } else if (ctx.json) {
            cli_print_json(ctx.json);
        } else if (ctx.count == 0) {
            printf("No customers.\n");
        }
        if (st == FID_OK && strcmp(action, "find") == 0 && ctx.count == 0)
            code = 1;
    }
    engine_close(e);
    return code;
}
