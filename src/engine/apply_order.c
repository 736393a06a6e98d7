/*
 * Orders: recorded for every customer (analytics count non-members too); members earn points,
 * stamps and cashback as core/earn decides, and may move up a tier.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/earn.h"
#include "store/history_store.h"
#include "util/jsonwrite.h"
#include "util/xalloc.h"

/* Finds the order's customer, creating a non-member customer on first sight. */
static enum fid_status find_or_create_customer(struct engine *e, const struct event *ev,
                                               struct customer *c, struct fid_error *err)
{
    enum fid_status st = customer_find_ref(&e->store, ev->customer, c, err);
    if (st != FID_ERR_NOT_FOUND)
        return st;
    fid_error_clear(err);
    memset(c, 0, sizeof *c);
    snprintf(c->ref, sizeof c->ref, "%s", ev->customer);
    c->created_at = ev->at;
    return customer_insert(&e->store, c, err);
}

/* The order's stamps by card id, keys sorted as the order rows have always held them (cards
 * are few and their ids unique: each round takes the least id above the last one written). */
static char *stamps_text(const struct program *p, const struct earning *earning)
{
    struct jsonw w;
    jsonw_init(&w);
    jsonw_text(&w, "{");
    const char *last = NULL;
    for (size_t k = 0; k < earning->n_stamps; k++) {
        const struct earn_stamps *next = NULL;
        for (size_t i = 0; i < earning->n_stamps; i++) {
            const char *id = p->stamp_cards[earning->stamps[i].card_index].id;
            if ((last == NULL || strcmp(id, last) > 0) &&
                (next == NULL || strcmp(id, p->stamp_cards[next->card_index].id) < 0))
                next = &earning->stamps[i];
        }
        if (next == NULL) /* ids repeat: the earning holds no such card twice */
            break;
        last = p->stamp_cards[next->card_index].id;
        jsonw_key(&w, last);
        jsonw_int(&w, next->stamps);
    }
    jsonw_text(&w, "}");
    return jsonw_detach(&w);
}

enum fid_status credit_order(struct engine *e, struct customer *c, const struct event *order,
                             struct order_row *row, int64_t at, const char *event_key,
                             struct jsonw *result, struct fid_error *err)
{
    const struct program *p = e->program;
    char tier[PROGRAM_ID_MAX], vip_plan[PROGRAM_ID_MAX];
    enum fid_status st = tier_held(e, c, order->at, tier, err);
    if (st == FID_OK)
        st = vip_plan_held(e, c, order->at, vip_plan, err);
    if (st != FID_OK)
        return st;
    /* The customer's first order: none counted before it (past orders credited at enrolment are
     * counted one by one as they are credited). An instant equal to the first order's is not
     * enough: orders of the same second each earned the bonus. */
    struct earn_context context = {
        .first_order = c->order_count == 0,
        .tier_id = tier,
        .vip_plan_id = vip_plan,
        .labels = e->labels,
    };
    fid_tz_local(e->tz, order->at, &context.local);
    struct earning earning;
    earn_order(p, order, &context, &earning);
    if (earning.beyond) {
        earning_clear(&earning);
        return fid_fail(err, FID_ERR_LIMIT, "/lines",
                        "the order would earn more than %lld points, the most a balance counts",
                        EARN_PART_MAX);
    }
    struct jsonw breakdown, vouchers;
    jsonw_init(&breakdown);
    earning_breakdown_write(&earning, &breakdown);
    char *explanation = jsonw_detach(&breakdown);
    vouchers_open(&vouchers);
    row->basis_minor = earning.basis_minor;
    row->program_version = p->version;
    /* Keys in sorted order, as the stored context has always been written. */
    struct jsonw context_text;
    jsonw_init(&context_text);
    jsonw_text(&context_text, "{\"first_order\":");
    jsonw_bool(&context_text, context.first_order);
    jsonw_text(&context_text, ",\"tier\":");
    jsonw_cstring(&context_text, context.tier_id);
    jsonw_text(&context_text, ",\"vip\":");
    jsonw_cstring(&context_text, context.vip_plan_id);
    jsonw_text(&context_text, "}");
    free(row->earn_context);
    row->earn_context = jsonw_detach(&context_text);
    row->points_earned = earning.points;
    row->cashback_earned = earning.cashback_minor;

    struct credit credit = {
        .kind = LEDGER_EARN,
        .amount = earning.points,
        .at = at,
        .pending = p->pending_days > 0,
        .order_id = row->id,
        .event_key = event_key,
        .explanation = explanation,
    };
    int64_t newest_lot = c->last_lot_id;
    st = points_credit(e, c, &credit, NULL, err);
    if (st == FID_OK && c->last_lot_id != newest_lot) /* the order's lot: refunds claw it back */
        row->lot_id = c->last_lot_id;
    for (size_t i = 0; st == FID_OK && i < earning.n_stamps; i++) {
        const struct stamp_card *card = &p->stamp_cards[earning.stamps[i].card_index];
        st = stamps_earn(e, c, card, earning.stamps[i].stamps, at, row->id, event_key, NULL,
                         &vouchers, err);
    }
    if (st == FID_OK && earning.cashback_minor > 0) {
        char why[160];
        labels_explain(why, sizeof why, "cashback", e->labels->cashback);
        st = account_move(e, c, ACCOUNT_CASHBACK, NULL, LEDGER_EARN, earning.cashback_minor, at,
                          row->id, event_key, why, NULL, NULL, err);
    }
    free(row->stamps);
    row->stamps = stamps_text(p, &earning);
    if (st == FID_OK) {
        jsonw_key(result, "points");
        jsonw_int(result, earning.points);
        jsonw_key(result, "pending");
        jsonw_bool(result, credit.pending && earning.points);
        jsonw_key(result, "breakdown");
        jsonw_text(result, explanation);
        jsonw_key(result, "stamps"); /* in the programme's order, unlike the row's */
        jsonw_text(result, "{");
        for (size_t i = 0; i < earning.n_stamps; i++) {
            jsonw_key(result, p->stamp_cards[earning.stamps[i].card_index].id);
            jsonw_int(result, earning.stamps[i].stamps);
        }
        jsonw_text(result, "}");
        jsonw_key(result, "cashback");
        engine_money_write(e, earning.cashback_minor, result);
        result_vouchers(result, &vouchers);
    } else {
        jsonw_free(&vouchers);
    }
    free(explanation);
    earning_clear(&earning);
    return st;
}

enum fid_status apply_order(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    if (ev->currency[0] && strcmp(ev->currency, e->merchant.currency) != 0)
        return fid_fail(err, FID_ERR_INPUT, "/currency",
                        "order in %s but the merchant keeps accounts in %s", ev->currency,
                        e->merchant.currency);
    /* an order id names one order: the imported history's too */
    bool imported = false;
    enum fid_status st = e->history_refs_checked ? FID_OK
                                                 : history_holds_ref_at(&e->store, ev->order_id,
                                                                        ev->at, &imported, err);
    if (st != FID_OK)
        return st;
    if (imported)
        return fid_fail(err, FID_ERR_CONFLICT, "/order_id",
                        "order \"%.100s\" was already recorded by an import of order history",
                        ev->order_id);
    struct customer c;
    if ((st = find_or_create_customer(e, ev, &c, err)) != FID_OK)
        return st;
    if (c.is_member && c.next_due_at != 0 && c.next_due_at <= ev->at &&
        (st = due_customer(e, &c, ev->at, NULL, err)) != FID_OK)
        return st;
    /* a member's order is activity (before it earns: it may give back an expired balance); one
     * imported as history earns nothing and gives nothing back */
    if (c.is_member && ev->history && ev->at > c.last_activity_at)
        c.last_activity_at = ev->at;
    else if (c.is_member && !ev->history &&
             (st = activity_at(e, &c, ev->at, ev->key, err)) != FID_OK)
        return st;
    struct order_row row = {
        .customer_id = c.id,
        .at = ev->at,
        .channel = ev->channel,
        .member_at_order = c.is_member && c.enrolled_at <= ev->at,
        .gross_minor = event_order_gross(ev),
        .paid_minor = event_order_paid(ev),
        .basis_minor = earn_basis(e->program, ev),
    };
    snprintf(row.ref, sizeof row.ref, "%s", ev->order_id);
    /* The order keeps its event as received (canonical form) for refunds by line. */
    row.body = xstrdup(ev->canonical);
    /* The ledger refers to the order's id: draw it first, insert the order once, complete. */
    if ((st = store_next_id(&e->store, TABLE_ORDERS, &row.id, err)) != FID_OK)
        goto done;
    if (c.is_member && !ev->history &&
        ((st = credit_order(e, &c, ev, &row, ev->at, ev->key, ctx->result, err)) != FID_OK ||
         (st = welcome_top_up(e, &c, ev->at, ev->key, err)) != FID_OK))
        goto done;
    if ((st = order_insert(&e->store, &c.order_periods, &row, err)) != FID_OK)
        goto done;
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "order_id");
    jsonw_cstring(ctx->result, ev->order_id);
    jsonw_key(ctx->result, "member");
    jsonw_bool(ctx->result, c.is_member);
    c.order_count++;
    if (__builtin_add_overflow(c.spend_minor, row.paid_minor, &c.spend_minor) ||
        c.spend_minor > EARN_PART_MAX) {
        st = fid_fail(err, FID_ERR_LIMIT, "/lines",
                      "the customer's spend would pass %lld minor units, the most Fidele counts",
                      EARN_PART_MAX);
        goto done;
    }
    if (c.first_order_at == 0 || ev->at < c.first_order_at)
        c.first_order_at = ev->at;
    if (ev->at > c.last_order_at)
        c.last_order_at = ev->at;
    if (c.is_member && (st = tier_after_activity(e, &c, ev->at, true, ctx->result, err)) != FID_OK)
        goto done;
    if (c.is_member && !ev->history && (st = late_activity_lapse(e, &c, ev->at, err)) != FID_OK)
        goto done;
    if (c.is_member)
        due_note(&c, inactivity_deadline(e, &c));
    if ((st = customer_save(&e->store, &c, err)) != FID_OK)
        goto done;
    if (c.is_member) {
        jsonw_key(ctx->result, "balance");
        engine_balance_write(e, &c, ctx->result);
    }
done:
    order_row_clear(&row);
    return st;
}
