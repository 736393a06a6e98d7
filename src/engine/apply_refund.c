/*
 * Refunds, whole or partial, by line or by amount. The money refunded is tracked on the order so
 * that the total never exceeds what was paid. What the refunded part earned is taken back: for
 * refunded lines, the difference between what the order earned and what its remaining lines
 * earn under the same programme version and context (so refunding the beans takes back the beans'
 * multiplier, not the coffee stamps); for refunds by amount, a share of what the remaining lines
 * earn in proportion to the merchandise they hold (core/refund.h). A full refund takes back
 * everything. Points come from the order's own lot first.
 * Points still pending are cancelled outright. When the points were already spent the programme
 * decides: the balance goes negative, or the shortfall is forgiven and said so in the entry.
 * Points of the order that expired left the balance already: what the refunds take back stops at
 * what the order earned less what of it expired.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/earn.h"
#include "core/refund.h"
#include "util/jsonread.h"
#include "util/money.h"
#include "util/xalloc.h"

static const char *line_key(size_t index, char key[24])
{
    snprintf(key, 24, "%zu", index);
    return key;
}

/* Gross amount of the units refunded so far (units: JSON object line index -> units), and how
 * many they are in *count when not NULL. */
static int64_t units_gross(const struct event *order, const json_t *units, int64_t *count)
{
    int64_t gross = 0, n = 0;
    char key[24];
    for (size_t i = 0; i < order->n_lines; i++) {
        int64_t taken = json_integer_value(json_object_get(units, line_key(i, key)));
        gross += taken * order->lines[i].unit_price_minor;
        n += taken;
    }
    if (count)
        *count = n;
    return gross;
}

/* What the lines were paid: gross less the discount, with the tax added on top (core/refund.h). */
static int64_t merchandise_of(const struct event *order)
{
    return event_order_paid(order) - order->shipping_minor;
}

/* Whether the order's line is one the refund's names: its SKU, at its price when named. */
static bool line_named(const struct order_line *line, const struct order_line *wanted)
{
    return strcmp(line->sku, wanted->sku) == 0 &&
           (wanted->unit_price_minor == REFUND_ANY_PRICE ||
            line->unit_price_minor == wanted->unit_price_minor);
}

/* Adds the refund's lines to units, refusing more units than the order has left. */
static enum fid_status take_units(const struct event *refund, const struct event *order,
                                  json_t *units, struct fid_error *err)
{
    char key[24];
    for (size_t r = 0; r < refund->n_lines; r++) {
        int64_t want = refund->lines[r].quantity, price = refund->lines[r].unit_price_minor;
        /* the order's lines of that SKU (at that price, when named): with units left at two
         * prices, the refund must say which, or it would give back the cheaper or the dearer
         * unit by chance */
        int64_t left_at = REFUND_ANY_PRICE;
        bool sold = false, two_prices = false;
        for (size_t i = 0; i < order->n_lines; i++) {
            const struct order_line *line = &order->lines[i];
            if (!line_named(line, &refund->lines[r]))
                continue;
            sold = true;
            if (line->quantity - json_integer_value(json_object_get(units, line_key(i, key))) == 0)
                continue;
            two_prices |= left_at != REFUND_ANY_PRICE && line->unit_price_minor != left_at;
            left_at = line->unit_price_minor;
        }
        char at[JSONR_PATH_MAX];
        if (!sold) {
            snprintf(at, sizeof at, "/lines/%zu/%s", r,
                     price == REFUND_ANY_PRICE ? "sku" : "unit_price_minor");
            return price == REFUND_ANY_PRICE
                       ? fid_fail(err, FID_ERR_INPUT, at, "the order has no line of %s",
                                  refund->lines[r].sku)
                       : fid_fail(err, FID_ERR_INPUT, at, "the order has no line of %s at %lld",
                                  refund->lines[r].sku, (long long)price);
        }
        if (two_prices) {
            snprintf(at, sizeof at, "/lines/%zu/unit_price_minor", r);
            return fid_fail(err, FID_ERR_INPUT, at,
                            "the order sold %s at several prices: name the refunded unit's",
                            refund->lines[r].sku);
        }
        for (size_t i = 0; i < order->n_lines && want > 0; i++) {
            if (!line_named(&order->lines[i], &refund->lines[r]))
                continue;
            int64_t done = json_integer_value(json_object_get(units, line_key(i, key)));
            int64_t left = order->lines[i].quantity - done;
            int64_t take = want < left ? want : left;
            if (take > 0) {
                json_object_set_new(units, key, json_integer(done + take));
                want -= take;
            }
        }
        if (want > 0) {
            snprintf(at, sizeof at, "/lines/%zu/quantity", r);
            return fid_fail(err, FID_ERR_INPUT, at,
                            "refund of %lld x %s is more than the order has left to refund",
                            (long long)refund->lines[r].quantity, refund->lines[r].sku);
        }
    }
    return FID_OK;
}

/* What the order's remaining lines earn, under the programme version and context the order
 * earned with: *points, and *stamps as a new JSON object card -> stamps. */
static enum fid_status remaining_earning(struct engine *e, const struct order_row *order,
                                         const struct event *original, const json_t *units,
                                         int64_t *points, json_t **stamps, struct fid_error *err)
{
    struct program *old = NULL;
    const struct program *p = e->program;
    enum fid_status st = FID_OK;
    if (order->program_version != 0 && order->program_version != p->version) {
        if ((st = engine_program_version(e, order->program_version, &old, err)) != FID_OK)
            return st;
        p = old;
    }
    int64_t *refunded = xcalloc(original->n_lines ? original->n_lines : 1, sizeof *refunded);
    char key[24];
    for (size_t i = 0; i < original->n_lines; i++)
        refunded[i] = json_integer_value(json_object_get(units, line_key(i, key)));
    struct event remaining;
    refund_remaining_order(original, refunded, &remaining);
    json_error_t jerr;
    json_t *context_json = json_loads(order->earn_context, 0, &jerr);
    struct earn_context context = {
        .first_order = json_is_true(json_object_get(context_json, "first_order")),
        .tier_id = json_string_value(json_object_get(context_json, "tier")),
        .vip_plan_id = json_string_value(json_object_get(context_json, "vip")),
        .labels = e->labels,
    };
    fid_tz_local(e->tz, original->at, &context.local);
    struct earning earning;
    earn_order(p, &remaining, &context, &earning);
    *points = earning.points;
    *stamps = json_object();
    for (size_t i = 0; i < earning.n_stamps; i++)
        json_object_set_new(*stamps, p->stamp_cards[earning.stamps[i].card_index].id,
                            json_integer(earning.stamps[i].stamps));
    earning_clear(&earning);
    json_decref(context_json);
    free(remaining.lines);
    free(refunded);
    program_free(old);
    return FID_OK;
}

/* The explanation of a clawback: what was taken (with the entry's sign) and what forgiven. A
 * clawback that forgave everything still writes its entry, of 0: the refund is in the member's
 * ledger either way. */
static void clawback_why(const struct engine *e, const char *what, int64_t take, int64_t forgiven,
                         char *out, size_t size)
{
    labels_explain_clawback(out, size, "refund", e->labels->refund_clawback, what, take, forgiven);
}

static enum fid_status claw_points(struct engine *e, struct customer *c,
                                   const struct order_row *order, int64_t amount, int64_t at,
                                   const char *key, struct jsonw *result, struct fid_error *err)
{
    struct lot_row lot;
    enum fid_status st = lot_of_order(&e->store, order, &lot, err);
    if (st != FID_OK && st != FID_ERR_NOT_FOUND)
        return st;
    int64_t from_pending = 0;
    if (st == FID_OK && lot.state == LOT_PENDING) {
        from_pending = amount < lot.remaining ? amount : lot.remaining;
        char why[160];
        labels_explain(why, sizeof why, "refund", e->labels->refund_pending);
        struct ledger_row row = {
            .customer_id = c->id,
            .at = at,
            .kind = LEDGER_CLAWBACK,
            .account = ACCOUNT_POINTS,
            .pending_delta = -from_pending,
            .event_key = key,
            .order_id = order->id,
            .lot_id = lot.id,
            .program_version = e->program->version,
            .explanation = why,
        };
        if ((st = ledger_append(&e->store, c, &row, err)) != FID_OK ||
            (st = lot_use_insert(&e->store, row.id, lot.id, from_pending, err)) != FID_OK)
            return st;
        lot.remaining -= from_pending;
        if (lot.remaining == 0)
            lot.state = LOT_CANCELLED;
        if ((st = lot_save(&e->store, &lot, err)) != FID_OK)
            return st;
        c->points_pending -= from_pending;
    }
    int64_t rest = amount - from_pending, take = 0, forgiven = 0;
    refund_split(rest, c->points_available, e->program->refund_allow_negative, &take, &forgiven);
    /* the line's points carry the entry's sign, as an earning's do */
    char explanation[200];
    clawback_why(e, "points", take, forgiven, explanation, sizeof explanation);
    struct debit debit = {
        .kind = LEDGER_CLAWBACK,
        .amount = take,
        .at = at,
        .order_id = order->id,
        .first_lot = st == FID_OK ? lot.id : 0,
        .allow_debt = e->program->refund_allow_negative,
        .event_key = key,
        .explanation = explanation,
    };
    if ((st = points_debit(e, c, &debit, NULL, err)) != FID_OK)
        return st;
    if (take == 0 && forgiven > 0 &&
        (st = account_entry(e, c, ACCOUNT_POINTS, NULL, LEDGER_CLAWBACK, 0, at, order->id, key,
                            explanation, NULL, NULL, err)) != FID_OK)
        return st;
    jsonw_key(result, "points_clawed_back");
    jsonw_int(result, from_pending + take);
    if (forgiven) {
        jsonw_key(result, "points_forgiven");
        jsonw_int(result, forgiven);
    }
    return FID_OK;
}

/* Of the points the refunds take back from `before` to `target` (running totals over the order's
 * refunds), those still to take from the balance: the total stops at what the order earned less
 * what of its lot expired, which left the balance already. */
static enum fid_status points_not_expired(struct engine *e, const struct order_row *order,
                                          int64_t before, int64_t target, int64_t *take,
                                          struct fid_error *err)
{
    int64_t expired = 0;
    enum fid_status st =
        order->lot_id ? lot_expired(&e->store, order->lot_id, &expired, err) : FID_OK;
    if (st != FID_OK)
        return st;
    int64_t cap = order->points_earned - expired;
    *take = (target < cap ? target : cap) - (before < cap ? before : cap);
    if (*take < 0)
        *take = 0;
    return FID_OK;
}

static enum fid_status claw_stamps(struct engine *e, struct customer *c, struct order_row *order,
                                   const json_t *remaining, const struct refund_state *refunds,
                                   int64_t at, const char *key, struct jsonw *result,
                                   struct fid_error *err)
{
    json_error_t jerr;
    json_t *earned = json_loads(order->stamps, 0, &jerr);
    json_t *clawed = json_loads(order->stamps_clawed, 0, &jerr);
    json_t *taken = json_object(), *spared = json_object();
    enum fid_status st = FID_OK;
    const char *card_id;
    json_t *value;
    json_object_foreach(earned, card_id, value)
    {
        int64_t before = json_integer_value(json_object_get(clawed, card_id));
        int64_t target = refund_target(refunds, json_integer_value(value),
                                       json_integer_value(json_object_get(remaining, card_id)));
        int64_t claw = target > before ? target - before : 0;
        if (claw == 0)
            continue;
        json_object_set_new(clawed, card_id, json_integer(before + claw));
        int64_t count, completed;
        if ((st = stamps_get(&e->store, c->id, card_id, &count, &completed, err)) != FID_OK)
            break;
        int64_t take, forgiven;
        refund_split(claw, count, e->program->refund_allow_negative, &take, &forgiven);
        char why[200];
        clawback_why(e, "stamps", take, forgiven, why, sizeof why);
        if ((take > 0 || forgiven > 0) &&
            (st = account_entry(e, c, ACCOUNT_STAMPS, card_id, LEDGER_CLAWBACK, -take, at,
                                order->id, key, why, NULL, NULL, err)) != FID_OK)
            break;
        if ((st = stamps_set(&e->store, c->id, card_id, count - take, completed, err)) != FID_OK)
            break;
        json_object_set_new(taken, card_id, json_integer(take));
        if (forgiven)
            json_object_set_new(spared, card_id, json_integer(forgiven));
    }
    free(order->stamps_clawed);
    order->stamps_clawed = jsonw_dump_sorted(clawed);
    result_put(result, "stamps_clawed_back", taken);
    if (json_object_size(spared) > 0)
        result_put(result, "stamps_forgiven", spared);
    else
        json_decref(spared);
    json_decref(earned);
    json_decref(clawed);
    return st;
}

enum fid_status refund_settle(struct engine *e, struct customer *c, struct order_row *order,
                              const struct event *original, int64_t at, const char *key,
                              struct jsonw *result, struct fid_error *err)
{
    json_error_t jerr;
    json_t *units = json_loads(order->refunded_units, 0, &jerr);
    struct refund_state refunds = {
        .gross = order->gross_minor,
        .merchandise = merchandise_of(original),
        .paid = order->paid_minor,
        .refunded = order->refunded_minor,
    };
    refunds.lines_gross = units_gross(original, units, &refunds.lines_units);
    order->refunded_in_full = refund_is_full(&refunds);
    enum fid_status st = FID_OK;
    int64_t remaining_points = order->points_earned;
    json_t *remaining_stamps = NULL;
    if (refunds.lines_units > 0 && !refund_is_full(&refunds) &&
        (st = remaining_earning(e, order, original, units, &remaining_points, &remaining_stamps,
                                err)) != FID_OK)
        goto done;
    int64_t target = refund_target(&refunds, order->points_earned, remaining_points);
    int64_t points = target > order->points_clawed ? target - order->points_clawed : 0;
    int64_t unexpired = points;
    if (points > 0 && (st = points_not_expired(e, order, order->points_clawed, target, &unexpired,
                                               err)) != FID_OK)
        goto done;
    if (unexpired > 0 && (st = claw_points(e, c, order, unexpired, at, key, result, err)) != FID_OK)
        goto done;
    order->points_clawed += points;
    if ((st = claw_stamps(e, c, order, remaining_stamps, &refunds, at, key, result, err)) != FID_OK)
        goto done;
    int64_t cashback_target = refund_money_target(&refunds, order->cashback_earned);
    int64_t cashback =
        cashback_target > order->cashback_clawed ? cashback_target - order->cashback_clawed : 0;
    if (cashback > 0) {
        int64_t take, forgiven;
        if ((st = cashback_clawback(e, c, cashback, at, order->id, key, "refund",
                                    e->labels->refund_clawback, &take, &forgiven, err)) != FID_OK)
            goto done;
        order->cashback_clawed += cashback;
        jsonw_key(result, "cashback_clawed_back");
        engine_money_write(e, take, result);
        if (forgiven) {
            jsonw_key(result, "cashback_forgiven");
            engine_money_write(e, forgiven, result);
        }
    }
done:
    json_decref(remaining_stamps);
    json_decref(units);
    return st;
}

/* The order a refund names: a recorded one, else an imported one, made a row first. */
static enum fid_status find_order(struct engine *e, const char *ref, struct order_row *out,
                                  struct fid_error *err)
{
    enum fid_status st = order_find_ref(&e->store, ref, out, err);
    if (st != FID_ERR_NOT_FOUND)
        return st;
    struct fid_error missing = *err;
    bool found = false;
    if ((st = history_order_row(e, ref, &found, err)) != FID_OK)
        return st;
    if (!found) {
        *err = missing;
        return FID_ERR_NOT_FOUND;
    }
    return order_find_ref(&e->store, ref, out, err);
}

enum fid_status apply_refund(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    struct order_row order;
    struct event *original = NULL;
    json_t *body = NULL, *units = NULL;
    enum fid_status st = find_order(e, ev->order_id, &order, err);
    if (st != FID_OK)
        return st;
    struct customer c;
    if ((st = customer_find_id(&e->store, order.customer_id, &c, err)) != FID_OK)
        goto done;
    if (c.is_member && c.next_due_at != 0 && c.next_due_at <= ev->at &&
        (st = due_customer(e, &c, ev->at, NULL, err)) != FID_OK)
        goto done;
    if (ev->at < order.at) {
        st = fid_fail(err, FID_ERR_INPUT, "/at", "refund dated before its order");
        goto done;
    }
    if ((st = jsonr_parse(order.body, strlen(order.body), &body, err)) != FID_OK ||
        (st = event_parse(body, order.at, &original, err)) != FID_OK)
        goto done;
    json_error_t jerr;
    units = json_loads(order.refunded_units, 0, &jerr);
    int64_t gross = order.gross_minor, merchandise = merchandise_of(original);
    int64_t lines_money_before =
        refund_lines_money(gross, merchandise, units_gross(original, units, NULL));
    if (ev->n_lines > 0 && (st = take_units(ev, original, units, err)) != FID_OK)
        goto done;
    int64_t lines_money =
        refund_lines_money(gross, merchandise, units_gross(original, units, NULL));
    int64_t money = ev->n_lines > 0 ? lines_money - lines_money_before : ev->amount_minor;
    if (order.refunded_minor + money > order.paid_minor) {
        char refund[FID_MONEY_TEXT_MAX], total[FID_MONEY_TEXT_MAX], paid[FID_MONEY_TEXT_MAX];
        fid_money_format(money, e->currency_digits, refund);
        fid_money_format(order.refunded_minor + money, e->currency_digits, total);
        fid_money_format(order.paid_minor, e->currency_digits, paid);
        st = fid_fail(err, FID_ERR_INPUT, ev->n_lines ? "/lines" : "/amount_minor",
                      "a refund of %s %s would bring the order's refunds to %s %s, above the %s %s "
                      "paid (minor units %lld, %lld, %lld)",
                      refund, e->merchant.currency, total, e->merchant.currency, paid,
                      e->merchant.currency, (long long)money,
                      (long long)(order.refunded_minor + money), (long long)order.paid_minor);
        goto done;
    }
    order.refunded_minor += money;
    free(order.refunded_units);
    order.refunded_units = jsonw_dump_sorted(units);
    jsonw_key(ctx->result, "order_id");
    jsonw_cstring(ctx->result, order.ref);
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "refunded");
    engine_money_write(e, money, ctx->result);
    if ((st = refund_settle(e, &c, &order, original, ev->at, ev->key, ctx->result, err)) != FID_OK)
        goto done;
    c.spend_minor -= money;
    if ((st = order_save_refund(&e->store, &c.order_periods, &order, err)) != FID_OK ||
        (st = refund_insert(&e->store, order.id, ev->at, money, ev->key, err)) != FID_OK ||
        (st = customer_save(&e->store, &c, err)) != FID_OK)
        goto done;
    if (c.is_member) {
        jsonw_key(ctx->result, "balance");
        engine_balance_write(e, &c, ctx->result);
    }
done:
    json_decref(units);
    json_decref(body);
    event_free(original);
    order_row_clear(&order);
    return st;
}
