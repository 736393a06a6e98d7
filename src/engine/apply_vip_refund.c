/*
 * VIP refunds: money given back for one VIP payment, in full or in part, takes back the time it
 * bought (docs/events.md has the rules for merchants):
 *  - the time removed is floor(span x refunded / paid) seconds of the payment's span, counted
 *    over all its refunds together, so that refunds adding up to the payment remove its whole
 *    span and partial refunds never remove more than their share;
 *  - it comes off the end of the running membership when the payment is part of it: payments
 *    made after it, which extended from its end, slide earlier by as much;
 *  - an end that falls at or before the refund's instant ends the membership at that instant,
 *    never earlier: what was earned or redeemed with the perks before the refund stands;
 *  - the payment of a membership that has ended since shortens nothing: its time has run;
 *  - the plan's welcome voucher the payment issued is taken back once the payment is refunded in
 *    full, when it is still unused and valid; a used one stays;
 *  - a welcome the payment gave as a cashback credit is taken back once the payment is refunded
 *    in full, by a clawback entry of the refund: what the cashback balance holds of it, the rest
 *    as refunds.allow_negative_balance says of an order's cashback (a debt, or forgiven). A
 *    partial refund leaves it, as it leaves the voucher.
 * A refund is dated at or after the member's last VIP payment or refund, so that the history of
 * the membership (store/store.h, VIP payments) reads in the order it happened.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/arith.h"

static enum fid_status find_payment(struct engine *e, const struct event *ev,
                                    const struct customer *c, struct vip_payment *payment,
                                    struct fid_error *err)
{
    enum fid_status st = vip_payment_find(&e->store, ev->payment_key, payment, err);
    if (st == FID_ERR_NOT_FOUND)
        return fid_fail(err, FID_ERR_INPUT, "/payment",
                        "no VIP payment was made by an event of key \"%.100s\"", ev->payment_key);
    if (st != FID_OK)
        return st;
    if (payment->customer_id != c->id)
        return fid_fail(err, FID_ERR_INPUT, "/payment",
                        "VIP payment \"%.100s\" is another customer's, not \"%.100s\"'s",
                        ev->payment_key, c->ref);
    int64_t left = payment->amount_minor - payment->refunded_minor;
    if (left <= 0)
        return fid_fail(err, FID_ERR_INPUT, "/payment",
                        "VIP payment \"%.100s\" is refunded in full already (%lld of %lld)",
                        ev->payment_key, (long long)payment->refunded_minor,
                        (long long)payment->amount_minor);
    if (ev->amount_minor > left)
        return fid_fail(err, FID_ERR_INPUT, "/amount_minor",
                        "refunds %lld but %lld is left to refund of VIP payment \"%.100s\" (paid "
                        "%lld, refunded %lld)",
                        (long long)ev->amount_minor, (long long)left, ev->payment_key,
                        (long long)payment->amount_minor, (long long)payment->refunded_minor);
    return FID_OK;
}

/* Takes `removed` seconds off the running membership, when the payment is part of it. A
 * payment refunded in full (`full`) leaves the membership the plan of the latest payment of it
 * that is not: a change of plan refunded in full gives back the plan paid before it. */
static enum fid_status shorten(struct engine *e, const struct event *ev,
                               const struct vip_payment *payment, struct customer *c,
                               int64_t removed, bool full, struct fid_error *err)
{
    bool new_since = false;
    enum fid_status st = vip_new_membership_since(&e->store, c->id, payment->id, &new_since, err);
    if (st != FID_OK || new_since || !vip_active(c, ev->at))
        return st;
    char plan[PROGRAM_ID_MAX] = "";
    if (full && (st = vip_plan_left(&e->store, c->id, payment->id, plan, err)) != FID_OK)
        return st;
    bool plan_back = full && plan[0] && strcmp(plan, c->vip_plan) != 0;
    if (plan_back)
        snprintf(c->vip_plan, sizeof c->vip_plan, "%s", plan);
    if (removed == 0 && !plan_back)
        return FID_OK;
    int64_t end = c->vip_until - removed > ev->at ? c->vip_until - removed : ev->at;
    c->vip_until = end;
    /* From the new end on the row tells (no membership); before it, the history of payments and
     * refunds does. A payment that extends it counts its periods from this end. */
    c->vip_started_at = end;
    c->vip_months = 0;
    return FID_OK;
}

struct welcome_search {
    const char *payment_key;
    struct voucher found;
    bool any;
};

static int find_welcome(const struct voucher *v, void *context)
{
    struct welcome_search *w = context;
    if (v->source != VOUCHER_FROM_VIP_WELCOME || strcmp(v->event_key, w->payment_key) != 0)
        return 0;
    w->found = *v;
    w->any = true;
    return 1;
}

/* The welcome voucher the payment issued, taken back when still unused and valid; written as
 * the result's "welcome_voucher" (absent when the payment issued none). */
static enum fid_status take_back_welcome(struct engine *e, const struct event *ev,
                                         const struct customer *c,
                                         const struct vip_payment *payment, struct jsonw *result,
                                         struct fid_error *err)
{
    struct welcome_search w = {.payment_key = payment->event_key};
    enum fid_status st = voucher_each_of(&e->store, c->id, find_welcome, &w, err);
    if (st != FID_OK || !w.any)
        return st;
    bool usable = w.found.state == VOUCHER_ISSUED && w.found.valid_until > ev->at;
    if (usable && (st = voucher_withdraw(&e->store, w.found.code, ev->at, ev->key, err)) != FID_OK)
        return st;
    jsonw_key(result, "welcome_voucher");
    jsonw_text(result, "{\"code\":");
    jsonw_cstring(result, w.found.code);
    jsonw_text(result, ",\"taken_back\":");
    jsonw_bool(result, usable);
    jsonw_text(result, ",\"state\":");
    bool lapsed = w.found.state == VOUCHER_ISSUED && !usable; /* not yet marked by run-due */
    jsonw_cstring(result, voucher_state_name(usable || lapsed ? VOUCHER_EXPIRED : w.found.state));
    jsonw_text(result, "}");
    return FID_OK;
}

/* The cashback credit the payment gave as the plan's welcome, taken back (cashback_clawback);
 * written as the result's "welcome_cashback" (absent when the payment credited none). Only a
 * payment that found no membership running gave a welcome. */
static enum fid_status take_back_welcome_cashback(struct engine *e, const struct event *ev,
                                                  struct customer *c,
                                                  const struct vip_payment *payment,
                                                  struct jsonw *result, struct fid_error *err)
{
    int64_t credited = 0, taken = 0, forgiven = 0;
    enum fid_status st = payment->valid_from == payment->at
                             ? vip_welcome_credit(&e->store, c, payment, &credited, err)
                             : FID_OK;
    if (st != FID_OK || credited <= 0)
        return st;
    if ((st = cashback_clawback(e, c, credited, ev->at, 0, ev->key, "vip_refund",
                                e->labels->vip_credit_back, &taken, &forgiven, err)) != FID_OK)
        return st;
    jsonw_key(result, "welcome_cashback");
    jsonw_text(result, "{\"credited\":");
    engine_money_write(e, credited, result);
    jsonw_text(result, ",\"taken_back\":");
    engine_money_write(e, taken, result);
    jsonw_text(result, ",\"forgiven\":");
    engine_money_write(e, forgiven, result);
    jsonw_text(result, "}");
    return FID_OK;
}

enum fid_status apply_vip_refund(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    if (ev->currency[0] && strcmp(ev->currency, e->merchant.currency) != 0)
        return fid_fail(err, FID_ERR_INPUT, "/currency",
                        "refund in %s but the merchant keeps accounts in %s", ev->currency,
                        e->merchant.currency);
    struct customer c;
    struct vip_payment payment;
    enum fid_status st = load_member(e, ev, &c, err);
    if (st != FID_OK || (st = find_payment(e, ev, &c, &payment, err)) != FID_OK ||
        (st = vip_event_in_order(e, ev, &c, err)) != FID_OK)
        return st;
    int64_t span = payment.valid_until - payment.valid_from;
    int64_t refunded = payment.refunded_minor + ev->amount_minor;
    int64_t removed = arith_share(span, refunded, payment.amount_minor) -
                      arith_share(span, payment.refunded_minor, payment.amount_minor);
    int64_t until_before = c.vip_until;
    bool full = refunded == payment.amount_minor;
    if ((st = shorten(e, ev, &payment, &c, removed, full, err)) != FID_OK ||
        (st = vip_refund_insert(&e->store, &payment, c.vip_plan, ev->at, ev->amount_minor,
                                c.vip_until, ev->key, err)) != FID_OK)
        return st;
    char until[FID_TIME_ISO_MAX];
    fid_time_format(c.vip_until, until);
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "payment");
    jsonw_cstring(ctx->result, payment.event_key);
    jsonw_key(ctx->result, "amount_minor");
    jsonw_int(ctx->result, ev->amount_minor);
    jsonw_key(ctx->result, "refunded_minor");
    jsonw_int(ctx->result, refunded);
    jsonw_key(ctx->result, "paid_minor");
    jsonw_int(ctx->result, payment.amount_minor);
    jsonw_key(ctx->result, "seconds_removed"); /* from the membership's end */
    jsonw_int(ctx->result, until_before - c.vip_until);
    jsonw_key(ctx->result, "vip_until");
    jsonw_cstring(ctx->result, until);
    jsonw_key(ctx->result, "vip");
    jsonw_bool(ctx->result, vip_active(&c, ev->at));
    if (full && (st = take_back_welcome(e, ev, &c, &payment, ctx->result, err)) == FID_OK)
        st = take_back_welcome_cashback(e, ev, &c, &payment, ctx->result, err);
    if (st == FID_OK)
        st = customer_save(&e->store, &c, err);
    return st;
}
