/*
 * Rewards: redeeming a catalogue item for points or stamps issues a voucher (or, for cashback
 * credits, credits the cashback account), and vouchers are used once at the till or the e-shop.
 * The balance check and the debit happen in the same write transaction, so two redemptions can
 * never both spend the same points.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/money.h"

/* Eligibility as it stood at the redemption's instant (a till may sync late). */
static enum fid_status check_eligible(struct engine *e, const struct customer *c,
                                      const struct reward *r, int64_t at, struct fid_error *err)
{
    char tier[PROGRAM_ID_MAX];
    enum fid_status st = r->tiers.count > 0 ? tier_held(e, c, at, tier, err) : FID_OK;
    if (st != FID_OK)
        return st;
    if (r->tiers.count > 0 && !string_list_contains(&r->tiers, tier)) {
        char tiers[256] = "";
        for (size_t i = 0, used = 0; i < r->tiers.count && used < sizeof tiers; i++)
            used += (size_t)snprintf(tiers + used, sizeof tiers - used, "%s%s", i ? ", " : "",
                                     r->tiers.items[i]);
        return fid_fail(err, FID_ERR_STATE, "/reward",
                        "reward \"%s\" is for the tiers %s only; the member's tier is %s", r->id,
                        tiers, tier[0] ? tier : "none");
    }
    char plan[PROGRAM_ID_MAX];
    if (r->vip_only && (st = vip_plan_held(e, c, at, plan, err)) != FID_OK)
        return st;
    if (r->vip_only && plan[0] == '\0')
        return fid_fail(err, FID_ERR_STATE, "/reward", "reward \"%s\" is for VIP members only",
                        r->id);
    if (r->stock >= 0) {
        int64_t issued = 0;
        st = reward_count_redeemed(&e->store, r->id, &issued, err);
        if (st != FID_OK)
            return st;
        if (issued >= r->stock)
            return fid_fail(err, FID_ERR_INSUFFICIENT, "/reward", "reward \"%s\" is out of stock",
                            r->id);
    }
    return FID_OK;
}

/* A cashback credit reward: the credit, and its record for the reward's stock. */
static enum fid_status credit_cashback(struct engine *e, struct customer *c, const struct reward *r,
                                       const struct event *ev, const char *explanation,
                                       struct fid_error *err)
{
    enum fid_status st = account_move(e, c, ACCOUNT_CASHBACK, NULL, LEDGER_EARN, r->value_minor,
                                      ev->at, 0, ev->key, explanation, NULL, NULL, err);
    /* the entry just appended heads the customer's chain */
    return st == FID_OK ? reward_credit_insert(&e->store, r->id, c->last_ledger_id, err) : st;
}

enum fid_status apply_redeem(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    const struct reward *r = program_reward(e->program, ev->reward_id);
    if (r == NULL)
        return fid_fail(err, FID_ERR_NOT_FOUND, "/reward", "no reward \"%.60s\" in the catalogue",
                        ev->reward_id);
    /* a reward without a price is one a full stamp card or a VIP welcome gives */
    if (r->cost_points == 0 && r->cost_stamps == 0 && r->cost_cashback_minor == 0)
        return fid_fail(err, FID_ERR_STATE, "/reward",
                        "reward \"%s\" has no cost: it is given (by a full stamp card or a VIP "
                        "welcome), not redeemed",
                        r->id);
    struct customer c;
    enum fid_status st = load_member(e, ev, &c, err);
    if (st != FID_OK || (st = check_eligible(e, &c, r, ev->at, err)) != FID_OK ||
        (st = activity_at(e, &c, ev->at, ev->key, err)) != FID_OK)
        return st;
    /* Room for the name escaped at its longest: the explanation must stay whole JSON. */
    char explanation[JSONW_STRING_MAX(PROGRAM_NAME_MAX) + 64];
    json_t *why = json_pack("[{s:s, s:s}]", "rule", "reward", "label", r->name);
    char *why_text = jsonw_dump(why);
    snprintf(explanation, sizeof explanation, "%s", why_text);
    free(why_text);
    json_decref(why);
    int64_t ledger_id = 0;
    if (r->cost_stamps > 0) {
        int64_t count, completed;
        if ((st = stamps_get(&e->store, c.id, r->stamp_card, &count, &completed, err)) != FID_OK)
            return st;
        if (count < r->cost_stamps)
            return fid_fail(err, FID_ERR_INSUFFICIENT, "/reward",
                            "reward \"%s\" costs %lld stamps; the card holds %lld", r->id,
                            (long long)r->cost_stamps, (long long)count);
        if ((st = account_move(e, &c, ACCOUNT_STAMPS, r->stamp_card, LEDGER_REDEEM, -r->cost_stamps,
                               ev->at, 0, ev->key, explanation, NULL, NULL, err)) != FID_OK ||
            (st = stamps_set(&e->store, c.id, r->stamp_card, count - r->cost_stamps, completed,
                             err)) != FID_OK)
            return st;
    } else if (r->cost_cashback_minor > 0) {
        if (c.cashback_minor < r->cost_cashback_minor) {
            char cost[FID_MONEY_TEXT_MAX], held[FID_MONEY_TEXT_MAX];
            fid_money_format(r->cost_cashback_minor, e->currency_digits, cost);
            fid_money_format(c.cashback_minor, e->currency_digits, held);
            return fid_fail(err, FID_ERR_INSUFFICIENT, "/reward",
                            "reward \"%s\" costs %s %s of cashback; the cashback balance is %s %s",
                            r->id, cost, e->merchant.currency, held, e->merchant.currency);
        }
        if ((st =
                 account_move(e, &c, ACCOUNT_CASHBACK, NULL, LEDGER_REDEEM, -r->cost_cashback_minor,
                              ev->at, 0, ev->key, explanation, NULL, NULL, err)) != FID_OK)
            return st;
    } else if (r->cost_points > 0) {
        /* a shortfall names /at and what was available at the redemption's date when points
         * were earned since, else the reward and today's balance */
        struct debit debit = {.kind = LEDGER_REDEEM,
                              .amount = r->cost_points,
                              .at = ev->at,
                              .available_then = true,
                              .reward = r->id,
                              .event_key = ev->key,
                              .explanation = explanation};
        if ((st = points_debit(e, &c, &debit, &ledger_id, err)) != FID_OK)
            return st;
    }
    struct jsonw vouchers;
    vouchers_open(&vouchers);
    if (r->kind == REWARD_CASHBACK_CREDIT)
        st = credit_cashback(e, &c, r, ev, explanation, err);
    else
        st = voucher_issue(e, &c, r, VOUCHER_FROM_REDEEM, ev->at, ledger_id, ev->key, &vouchers,
                           err);
    if (st == FID_OK)
        st = late_activity_lapse(e, &c, ev->at, err);
    if (st == FID_OK)
        st = customer_save(&e->store, &c, err);
    if (st != FID_OK) {
        jsonw_free(&vouchers);
        return st;
    }
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "reward");
    jsonw_cstring(ctx->result, r->id);
    jsonw_key(ctx->result, "cost_points");
    jsonw_int(ctx->result, r->cost_points);
    jsonw_key(ctx->result, "cost_stamps");
    jsonw_int(ctx->result, r->cost_stamps);
    if (r->cost_cashback_minor) {
        jsonw_key(ctx->result, "cost_cashback");
        engine_money_write(e, r->cost_cashback_minor, ctx->result);
    }
    result_vouchers(ctx->result, &vouchers);
    jsonw_key(ctx->result, "balance");
    engine_balance_write(e, &c, ctx->result);
    return FID_OK;
}

struct order_vouchers {
    const char *order_id;
    int64_t used;
};

static int count_on_order(const struct voucher *v, void *context)
{
    struct order_vouchers *o = context;
    if (v->state == VOUCHER_USED && strcmp(v->used_order, o->order_id) == 0)
        o->used++;
    return 0;
}

/* The programme's cap on the vouchers a customer uses on one order (vouchers_per_order): rewards
 * do not stack beyond it. */
static enum fid_status order_has_room(struct engine *e, const struct event *ev,
                                      const struct voucher *v, struct fid_error *err)
{
    int64_t cap = e->program->vouchers_per_order;
    if (cap == 0 || ev->order_id[0] == '\0')
        return FID_OK;
    struct order_vouchers o = {.order_id = ev->order_id};
    enum fid_status st = voucher_each_of(&e->store, v->customer_id, count_on_order, &o, err);
    if (st != FID_OK || o.used < cap)
        return st;
    return fid_fail(err, FID_ERR_STATE, "/order_id",
                    "order \"%.100s\" has %lld voucher%s used already: the programme allows %lld "
                    "per order",
                    ev->order_id, (long long)o.used, o.used == 1 ? "" : "s", (long long)cap);
}

enum fid_status apply_voucher_use(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    struct voucher v;
    enum fid_status st = voucher_find(&e->store, ev->code, &v, err);
    if (st != FID_OK)
        return st;
    if (v.state == VOUCHER_USED) {
        char when[FID_TIME_LOCAL_MAX];
        fid_time_format_local(v.used_at, e->tz, when);
        return fid_fail(err, FID_ERR_STATE, "/code", "voucher %s was already used on %s", v.code,
                        when);
    }
    if (v.withdrawn_by[0])
        return fid_fail(err, FID_ERR_STATE, "/code",
                        "voucher %s was taken back by the VIP refund \"%.100s\"", v.code,
                        v.withdrawn_by);
    /* judged at the use's instant: a use recorded late, dated while the voucher was valid,
     * stands even when the scheduled work has marked it expired since */
    if (v.valid_until <= ev->at) {
        char when[FID_TIME_LOCAL_MAX];
        fid_time_format_local(v.valid_until, e->tz, when);
        return fid_fail(err, FID_ERR_STATE, "/code", "voucher %s expired on %s", v.code, when);
    }
    if (ev->at < v.issued_at)
        return fid_fail(err, FID_ERR_INPUT, "/at", "voucher %s used before it was issued", v.code);
    if ((st = order_has_room(e, ev, &v, err)) != FID_OK)
        return st;
    v.state = VOUCHER_USED;
    v.used_at = ev->at;
    snprintf(v.used_order, sizeof v.used_order, "%s", ev->order_id);
    if ((st = voucher_save_state(&e->store, &v, err)) != FID_OK)
        return st;
    struct customer c;
    if ((st = customer_find_id(&e->store, v.customer_id, &c, err)) != FID_OK)
        return st;
    const struct reward *r = NULL;
    struct program *issued_under = NULL; /* the voucher is worth what it was issued as */
    if ((st = voucher_reward(e, &v, &r, &issued_under, err)) != FID_OK) {
        program_free(issued_under);
        return st;
    }
    jsonw_key(ctx->result, "code");
    jsonw_cstring(ctx->result, v.code);
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "reward");
    jsonw_cstring(ctx->result, v.reward_id);
    if (r) {
        jsonw_key(ctx->result, "name");
        jsonw_cstring(ctx->result, r->name);
        jsonw_key(ctx->result, "kind");
        jsonw_cstring(ctx->result, reward_kind_name(r->kind));
        if (r->value_minor) {
            jsonw_key(ctx->result, "value");
            engine_money_write(e, r->value_minor, ctx->result);
        }
        if (r->percent) {
            jsonw_key(ctx->result, "percent");
            jsonw_int(ctx->result, r->percent);
        }
        if (r->sku[0]) {
            jsonw_key(ctx->result, "sku");
            jsonw_cstring(ctx->result, r->sku);
        }
    }
    program_free(issued_under);
    return FID_OK;
}
