/*
 * JSON views of members and ledger entries, shared by the CLI (--json) and the HTTP API so that
 * both speak the same shapes.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/labels.h"
#include "core/tier.h"
#include "util/jsonwrite.h"

/* A label in a member's words: the engine's words around a name the merchant gave (120 bytes). */
#define LEDGER_LABEL_MAX 512

static json_t *time_json(int64_t t)
{
    char text[FID_TIME_ISO_MAX];
    fid_time_format(t, text);
    return json_string(text);
}

/* Instant 0 in a customer's row means "none"; a tier change always has its instant. */
static json_t *time_or_null(int64_t t)
{
    return t == 0 ? json_null() : time_json(t);
}

json_t *engine_money_json(const struct engine *e, int64_t amount_minor)
{
    return json_pack("{s:I, s:s}", "amount_minor", (json_int_t)amount_minor, "currency",
                     e->merchant.currency);
}

void engine_money_write(const struct engine *e, int64_t amount_minor, struct jsonw *w)
{
    jsonw_text(w, "{\"amount_minor\":");
    jsonw_int(w, amount_minor);
    jsonw_text(w, ",\"currency\":");
    jsonw_cstring(w, e->merchant.currency);
    jsonw_text(w, "}");
}

static json_t *benefits_json(const struct perks *perks)
{
    json_t *list = json_array();
    for (size_t i = 0; perks && i < perks->benefits.count; i++)
        json_array_append_new(list, json_string(perks->benefits.items[i]));
    return list;
}

json_t *engine_member_json(struct engine *e, const struct customer *c, int64_t now)
{
    json_t *consents = json_array();
    static const char *const names[] = {"email", "sms", "push"};
    for (int i = 0; i < 3; i++)
        if (c->consents & (1u << i))
            json_array_append_new(consents, json_string(names[i]));
    json_t *out = json_pack(
        "{s:s, s:b, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:{s:I, s:s}, s:o, s:o, s:s, "
        "s:s, s:o}",
        "id", c->ref, "member", c->is_member, "enrolled_at", time_or_null(c->enrolled_at),
        "card_code", c->card_code, "email", c->email, "phone", c->phone, "name", c->name,
        "birthday", c->birthday, "locale", c->locale, "consents", consents, "orders",
        (json_int_t)c->order_count, "spend", "amount_minor", (json_int_t)c->spend_minor, "currency",
        e->merchant.currency, "first_order_at", time_or_null(c->first_order_at), "last_order_at",
        time_or_null(c->last_order_at), "tier", c->tier, "vip_plan", c->vip_plan, "vip_until",
        time_or_null(c->vip_until));
    /* what the tier and the plan give, in the merchant's words, as the programme names them */
    const struct tier_level *tier = program_tier(e->program, c->tier);
    bool running = vip_active(c, now);
    const struct vip_plan *plan = running ? program_vip_plan(e->program, c->vip_plan) : NULL;
    json_object_set_new(out, "vip_active", json_boolean(running));
    json_object_set_new(out, "tier_benefits", benefits_json(tier ? &tier->perks : NULL));
    json_object_set_new(out, "vip_benefits", benefits_json(plan ? &plan->perks : NULL));
    if (c->is_member)
        json_object_set_new(out, "balance", engine_balance_json(e, c));
    return out;
}

static int collect_tier_change(const struct tier_change *change, void *context)
{
    json_array_append_new(context, json_pack("{s:o, s:s, s:s, s:s}", "at", time_json(change->at),
                                             "tier", change->tier, "previous", change->previous,
                                             "reason", tier_change_reason_name(change->reason)));
    return 0;
}

enum fid_status engine_tier_history_json(struct engine *e, const struct customer *c, json_t **out,
                                         struct fid_error *err)
{
    *out = json_array();
    enum fid_status st = tier_changes_each(&e->store, c->id, collect_tier_change, *out, err);
    if (st != FID_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return st;
}

static const char *const VOUCHER_FILTERS[] = {"usable", "used", "expired", "all"};

bool voucher_filter_parse(const char *name, enum voucher_filter *out)
{
    for (int f = VOUCHERS_USABLE; f <= VOUCHERS_ALL; f++)
        if (strcmp(name, VOUCHER_FILTERS[f]) == 0) {
            *out = (enum voucher_filter)f;
            return true;
        }
    return false;
}

struct voucher_listing {
    struct engine *engine;
    const struct customer *customer;
    enum voucher_filter filter;
    int64_t now;
    json_t *items;
};

void engine_voucher_as_of(struct voucher *v, int64_t now)
{
    /* a voucher past its validity is expired, whether or not run-due marked it yet */
    if (v->state == VOUCHER_ISSUED && v->valid_until <= now)
        v->state = VOUCHER_EXPIRED;
}

static int collect_voucher(const struct voucher *v, void *context)
{
    struct voucher_listing *l = context;
    struct voucher shown = *v;
    engine_voucher_as_of(&shown, l->now);
    bool keep = l->filter == VOUCHERS_ALL ||
                (l->filter == VOUCHERS_USABLE && shown.state == VOUCHER_ISSUED) ||
                (l->filter == VOUCHERS_USED && shown.state == VOUCHER_USED) ||
                (l->filter == VOUCHERS_EXPIRED && shown.state == VOUCHER_EXPIRED);
    if (keep)
        json_array_append_new(l->items, engine_voucher_json(l->engine, &shown, l->customer));
    return 0;
}

enum fid_status engine_member_vouchers_json(struct engine *e, const struct customer *c,
                                            enum voucher_filter filter, int64_t now, json_t **out,
                                            struct fid_error *err)
{
    struct voucher_listing listing = {e, c, filter, now, json_array()};
    enum fid_status st = voucher_each_of(&e->store, c->id, collect_voucher, &listing, err);
    if (st != FID_OK) {
        json_decref(listing.items);
        listing.items = NULL;
    }
    *out = listing.items;
    return st;
}

const char *engine_stamp_card_name(const struct engine *e, const char *id)
{
    const struct stamp_card *card = program_stamp_card(e->program, id);
    return card ? card->name : id;
}

/* The explanation's lines of the engine's own rules in locale's words. */
static void explanation_translate(json_t *explanation, const char *locale)
{
    size_t i;
    json_t *line;
    json_array_foreach(explanation, i, line)
    {
        const char *rule = json_string_value(json_object_get(line, "rule"));
        const char *label = json_string_value(json_object_get(line, "label"));
        if (rule == NULL || label == NULL)
            continue;
        char words[LEDGER_LABEL_MAX];
        labels_translate(rule, label, locale, words, sizeof words);
        if (strcmp(words, label) != 0)
            json_object_set_new(line, "label", json_string(words));
    }
}

json_t *engine_ledger_entry_json(const struct engine *e, struct db_stmt *row, const char *locale)
{
    char at[FID_TIME_ISO_MAX];
    fid_time_format(db_column_int(row, 1), at);
    json_error_t jerr;
    json_t *explanation = json_loads(db_column_text(row, 11), 0, &jerr);
    if (explanation == NULL)
        explanation = json_array();
    if (locale != NULL)
        explanation_translate(explanation, locale);
    json_t *entry = json_pack(
        "{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "id", (json_int_t)db_column_int(row, 0), "at",
        at, "kind", db_column_text(row, 2), "account", db_column_text(row, 3), "amount",
        (json_int_t)db_column_int(row, 5), "pending_delta", (json_int_t)db_column_int(row, 6),
        "program_version", (json_int_t)db_column_int(row, 10), "explanation", explanation);
    static const struct {
        int column;
        const char *name;
    } optional[] = {{4, "card"}, {7, "event_key"}, {8, "order_id"}, {12, "reason"}, {13, "author"}};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (!db_column_is_null(row, optional[i].column) &&
            db_column_text(row, optional[i].column)[0])
            json_object_set_new(entry, optional[i].name,
                                json_string(db_column_text(row, optional[i].column)));
    const char *card = json_string_value(json_object_get(entry, "card"));
    if (card)
        json_object_set_new(entry, "card_name", json_string(engine_stamp_card_name(e, card)));
    return entry;
}

/* Whether the member may redeem the reward for points at `now` (its tier, VIP membership):
 * rewards they may not are neither affordable nor next. */
static bool reward_open_to(const struct reward *r, const struct customer *c, int64_t now)
{
    return r->cost_points > 0 &&
           (r->tiers.count == 0 || string_list_contains(&r->tiers, c->tier)) &&
           (!r->vip_only || vip_active(c, now));
}

/* The cheapest affordable-next reward: the one needing the fewest more points, or NULL. */
static const struct reward *next_reward(const struct program *p, const struct customer *c,
                                        int64_t now)
{
    const struct reward *best = NULL;
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        if (!reward_open_to(r, c, now) || r->cost_points <= c->points_available)
            continue;
        if (best == NULL || r->cost_points < best->cost_points)
            best = r;
    }
    return best;
}

/* tier_window_start, remembered for the last instant asked. */
static int64_t tier_window_at(struct engine *e, int64_t now)
{
    const struct program *p = e->program;
    if (!e->tier_window.known || e->tier_window.at != now ||
        e->tier_window.window != p->tiers.window) {
        e->tier_window.start = tier_window_start(p, e->tz, now);
        e->tier_window.at = now;
        e->tier_window.window = p->tiers.window;
        e->tier_window.known = true;
    }
    return e->tier_window.start;
}

/* The customer's stamps by card into *by_card (none when they could not be read: the balance
 * then shows 0, as it always has). The caller clears it. */
static void stamp_counts(struct engine *e, const struct customer *c, struct stamp_balances *by_card)
{
    struct fid_error ignored;
    if (e->program->n_stamp_cards > 0 &&
        stamps_of_customer(&e->store, c->id, by_card, &ignored) != FID_OK)
        stamp_balances_clear(by_card);
}

static int64_t stamps_on(const struct stamp_balances *by_card, const struct stamp_card *card)
{
    const struct stamp_balance *on = stamp_balances_find(by_card, card->id);
    return on ? on->stamps : 0;
}

static void put_int(struct jsonw *w, const char *key_text, int64_t value)
{
    jsonw_text(w, key_text);
    jsonw_int(w, value);
}

static void put_string(struct jsonw *w, const char *key_text, const char *value)
{
    jsonw_text(w, key_text);
    jsonw_cstring(w, value);
}

/* The balance's members, which the balance view continues with its own. */
static void balance_members_write(struct engine *e, const struct customer *c, struct jsonw *w)
{
    const struct program *p = e->program;
    put_int(w, "\"available\":", c->points_available);
    put_int(w, ",\"pending\":", c->points_pending);
    put_int(w, ",\"lifetime\":", c->points_lifetime);
    jsonw_text(w, ",\"cashback\":");
    engine_money_write(e, c->cashback_minor, w);
    jsonw_text(w, ",\"stamps\":{");
    struct stamp_balances by_card = {0};
    stamp_counts(e, c, &by_card);
    for (size_t i = 0; i < p->n_stamp_cards; i++) {
        const struct stamp_card *card = &p->stamp_cards[i];
        jsonw_key(w, card->id);
        put_int(w, "{\"stamps\":", stamps_on(&by_card, card));
        put_int(w, ",\"required\":", card->stamps_required);
        jsonw_text(w, "}");
    }
    stamp_balances_clear(&by_card);
    jsonw_text(w, "}");
}

void engine_balance_write(struct engine *e, const struct customer *c, struct jsonw *w)
{
    jsonw_text(w, "{");
    balance_members_write(e, c, w);
    jsonw_text(w, "}");
}

json_t *engine_balance_json(struct engine *e, const struct customer *c)
{
    struct jsonw w;
    jsonw_init(&w);
    engine_balance_write(e, c, &w);
    json_error_t jerr;
    json_t *balance = json_loadb(w.data, w.len, 0, &jerr);
    jsonw_free(&w);
    return balance;
}

enum fid_status engine_balance_view_write(struct engine *e, const struct customer *c, int64_t now,
                                          struct jsonw *w, struct fid_error *err)
{
    const struct program *p = e->program;
    jsonw_text(w, "{");
    balance_members_write(e, c, w);
    put_string(w, ",\"id\":", c->ref);
    put_string(w, ",\"tier\":", c->tier);
    const struct reward *next = next_reward(p, c, now);
    if (next == NULL) {
        jsonw_text(w, ",\"next_reward\":null");
    } else {
        put_string(w, ",\"next_reward\":{\"reward\":", next->id);
        put_string(w, ",\"name\":", next->name);
        put_int(w, ",\"cost_points\":", next->cost_points);
        put_int(w, ",\"points_missing\":", next->cost_points - c->points_available);
        jsonw_text(w, "}");
    }
    jsonw_text(w, ",\"affordable_rewards\":[");
    for (size_t i = 0; i < p->n_rewards; i++)
        if (reward_open_to(&p->rewards[i], c, now) &&
            p->rewards[i].cost_points <= c->points_available) {
            jsonw_next(w);
            jsonw_cstring(w, p->rewards[i].id);
        }
    jsonw_text(w, "]");
    int rank = program_tier_rank(p, c->tier);
    if (p->tiers.n_levels == 0 || rank + 1 >= (int)p->tiers.n_levels) {
        jsonw_text(w, ",\"next_tier\":null}");
        return FID_OK;
    }
    struct order_share sum;
    enum fid_status st = order_window_totals(&e->store, &c->order_periods, tier_window_at(e, now),
                                             now + 1, &sum, err);
    if (st != FID_OK)
        return st;
    const struct tier_level *level = &p->tiers.levels[rank + 1];
    static const char *const metric_names[] = {"spend_minor", "points", "orders"};
    int64_t value = tier_metric_of(p, &sum);
    put_string(w, ",\"next_tier\":{\"tier\":", level->id);
    put_string(w, ",\"name\":", level->name);
    put_string(w, ",\"metric\":", metric_names[p->tiers.metric]);
    put_int(w, ",\"current\":", value);
    put_int(w, ",\"threshold\":", level->threshold);
    put_int(w, ",\"missing\":", level->threshold - value);
    jsonw_text(w, "}}");
    return FID_OK;
}

json_t *engine_rewards_json(const struct engine *e)
{
    const struct program *p = e->program;
    json_t *list = json_array();
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        json_t *item = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I}", "id", r->id, "name", r->name, "kind",
            reward_kind_name(r->kind), "cost_points", (json_int_t)r->cost_points, "cost_stamps",
            (json_int_t)r->cost_stamps, "valid_days", (json_int_t)r->valid_days);
        if (r->cost_cashback_minor)
            json_object_set_new(item, "cost_cashback",
                                engine_money_json(e, r->cost_cashback_minor));
        if (r->stamp_card[0])
            json_object_set_new(item, "stamp_card", json_string(r->stamp_card));
        if (r->value_minor)
            json_object_set_new(item, "value", engine_money_json(e, r->value_minor));
        if (r->percent)
            json_object_set_new(item, "percent", json_integer(r->percent));
        if (r->sku[0])
            json_object_set_new(item, "sku", json_string(r->sku));
        if (r->stock >= 0)
            json_object_set_new(item, "stock", json_integer(r->stock));
        if (r->tiers.count) {
            json_t *tiers = json_array();
            for (size_t t = 0; t < r->tiers.count; t++)
                json_array_append_new(tiers, json_string(r->tiers.items[t]));
            json_object_set_new(item, "tiers", tiers);
        }
        json_object_set_new(item, "vip_only", json_boolean(r->vip_only));
        json_array_append_new(list, item);
    }
    return list;
}

enum fid_status voucher_reward(struct engine *e, const struct voucher *v,
                               const struct reward **reward, struct program **old,
                               struct fid_error *err)
{
    *old = NULL;
    int64_t version = 0;
    enum fid_status st =
        v->ledger_id ? ledger_entry_version(&e->store, v->ledger_id, &version, err) : FID_OK;
    if (st == FID_OK && version != 0 && version != e->program->version)
        st = engine_program_version(e, version, old, err);
    *reward = program_reward(*old ? *old : e->program, v->reward_id);
    return st;
}

json_t *engine_voucher_json(struct engine *e, const struct voucher *v, const struct customer *c)
{
    char issued[FID_TIME_ISO_MAX], until[FID_TIME_ISO_MAX];
    fid_time_format(v->issued_at, issued);
    fid_time_format(v->valid_until, until);
    json_t *out =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", v->code, "member", c->ref,
                  "reward", v->reward_id, "source", voucher_source_name(v->source), "state",
                  voucher_state_name(v->state), "issued_at", issued, "valid_until", until);
    const struct reward *r = NULL;
    struct program *old = NULL;
    struct fid_error err;
    if (voucher_reward(e, v, &r, &old, &err) != FID_OK) /* shown as the current version has it */
        r = program_reward(e->program, v->reward_id);
    if (r) {
        json_object_set_new(out, "name", json_string(r->name));
        json_object_set_new(out, "kind", json_string(reward_kind_name(r->kind)));
        if (r->value_minor)
            json_object_set_new(out, "value", engine_money_json(e, r->value_minor));
        if (r->percent)
            json_object_set_new(out, "percent", json_integer(r->percent));
    }
    program_free(old);
    if (v->withdrawn_by[0]) {
        char withdrawn[FID_TIME_ISO_MAX];
        fid_time_format(v->withdrawn_at, withdrawn);
        json_object_set_new(out, "withdrawn_at", json_string(withdrawn));
        json_object_set_new(out, "withdrawn_by", json_string(v->withdrawn_by));
    }
    if (v->state == VOUCHER_USED) {
        char used[FID_TIME_ISO_MAX];
        fid_time_format(v->used_at, used);
        json_object_set_new(out, "used_at", json_string(used));
        json_object_set_new(out, "used_order", json_string(v->used_order));
    }
    return out;
}
