/*
 * Moving value between a member and the programme: points through lots, stamps and cashback as
 * plain accounts, and vouchers. Invariants kept here and checked by verify:
 *   customer.points_available == sum(ledger.amount) over the points account;
 *   customer.points_pending   == sum(ledger.pending_delta);
 *   lot.remaining == lot.amount - sum(lot_uses.amount);
 *   sum(remaining of available lots) == max(points_available, 0).
 * A negative balance (debt) only arises from a clawback the programme allows; new points repay it
 * before they form a spendable lot.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/earn.h"
#include "core/lots.h"
#include "core/refund.h"
#include "core/stamps.h"
#include "util/xalloc.h"

bool vip_active(const struct customer *c, int64_t t)
{
    return c->vip_plan[0] != '\0' && c->vip_until > t;
}

enum fid_status vip_event_in_order(struct engine *e, const struct event *ev,
                                   const struct customer *c, struct fid_error *err)
{
    int64_t latest = 0;
    enum fid_status st = vip_latest_at(&e->store, c->id, &latest, err);
    if (st != FID_OK || ev->at >= latest)
        return st;
    char when[FID_TIME_LOCAL_MAX];
    fid_time_format_local(latest, e->tz, when);
    return fid_fail(err, FID_ERR_INPUT, "/at",
                    "a VIP %s is dated at or after the member's last VIP payment or refund (%s)",
                    ev->type == EVENT_VIP_PAYMENT ? "payment" : "refund", when);
}

enum fid_status vip_plan_held(struct engine *e, const struct customer *c, int64_t t,
                              char plan[PROGRAM_ID_MAX], struct fid_error *err)
{
    plan[0] = '\0';
    if (c->vip_plan[0] == '\0')
        return FID_OK;
    /* from the start of the current membership on, the row tells: it has run without a gap */
    if (t >= c->vip_started_at) {
        if (c->vip_until > t)
            snprintf(plan, PROGRAM_ID_MAX, "%s", c->vip_plan);
        return FID_OK;
    }
    return vip_payment_plan_at(&e->store, c->id, t, plan, err);
}

/* Whether adding `amount` to a balance `have` leaves it within what Fidele counts (+-2^53 - 1,
 * exact for JSON readers): past it, the event is refused rather than the sum wrapped. */
static bool balance_fits(int64_t have, int64_t amount)
{
    int64_t sum;
    return !__builtin_add_overflow(have, amount, &sum) && sum <= EARN_PART_MAX &&
           sum >= -EARN_PART_MAX;
}

static enum fid_status balance_too_large(const char *what, struct fid_error *err)
{
    return fid_fail(err, FID_ERR_LIMIT, "", "the %s would pass %lld, the most Fidele counts", what,
                    EARN_PART_MAX);
}

enum fid_status points_credit(struct engine *e, struct customer *c, const struct credit *cr,
                              int64_t *ledger_id, struct fid_error *err)
{
    if (cr->amount <= 0)
        return FID_OK;
    if (!balance_fits(cr->pending ? c->points_pending : c->points_available, cr->amount) ||
        !balance_fits(c->points_lifetime, cr->amount))
        return balance_too_large("points balance", err);
    const struct program *p = e->program;
    struct ledger_row row = {
        .customer_id = c->id,
        .at = cr->at,
        .kind = cr->pending ? LEDGER_EARN_PENDING : cr->kind,
        .account = ACCOUNT_POINTS,
        .amount = cr->pending ? 0 : cr->amount,
        .pending_delta = cr->pending ? cr->amount : 0,
        .event_key = cr->event_key,
        .order_id = cr->order_id,
        .program_version = p->version,
        .explanation = cr->explanation,
        .reason = cr->reason,
        .author = cr->author,
    };
    struct lot_row lot = {
        .customer_id = c->id,
        .state = cr->pending ? LOT_PENDING : LOT_AVAILABLE,
        .earned_at = cr->at,
        .available_at = cr->pending ? fid_tz_add_days(e->tz, cr->at, (int)p->pending_days) : cr->at,
        .amount = cr->amount,
        .remaining = cr->amount,
        .order_id = cr->order_id,
    };
    if (p->expiry.mode == EXPIRY_PER_LOT)
        lot.expires_at = fid_tz_add_months(e->tz, cr->at, (int)p->expiry.months);
    /* Points credited while the balance is negative repay the debt before forming a lot. */
    int64_t repay = 0;
    if (!cr->pending && c->points_available < 0)
        repay = -c->points_available < cr->amount ? -c->points_available : cr->amount;
    lot.remaining -= repay;
    enum fid_status st = ledger_append(&e->store, c, &row, err);
    if (st != FID_OK)
        return st;
    lot.ledger_id = row.id;
    if ((st = lot_insert(&e->store, c, &lot, err)) != FID_OK)
        return st;
    if (repay > 0 && (st = lot_use_insert(&e->store, row.id, lot.id, repay, err)) != FID_OK)
        return st;
    if (cr->pending) {
        c->points_pending += cr->amount;
        due_note(c, lot.available_at);
    } else {
        c->points_available += cr->amount;
        if (cr->kind == LEDGER_EARN)
            c->points_lifetime += cr->amount;
    }
    if (lot.remaining > 0)
        due_note(c, lot.expires_at);
    if (ledger_id)
        *ledger_id = row.id;
    return FID_OK;
}

/* The lot a planned use takes from: an open one, or one an expiry after the debit's date took
 * points from (*expired_at is then that expiry's instant, else 0). */
static struct lot_row *used_lot(struct lot_row *rows, size_t n, struct lot_expiry *back,
                                size_t n_back, int64_t id, int64_t *expired_at)
{
    *expired_at = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id)
            return &rows[i];
    for (size_t i = 0; i < n_back; i++)
        if (back[i].lot.id == id) {
            *expired_at = back[i].at;
            return &back[i].lot;
        }
    return NULL;
}

enum fid_status points_debit(struct engine *e, struct customer *c, const struct debit *d,
                             int64_t *ledger_id, struct fid_error *err)
{
    if (d->amount <= 0)
        return FID_OK;
    struct lot_row *rows = NULL, **used = NULL;
    struct lot_expiry *back = NULL;
    size_t n = 0, n_back = 0;
    enum fid_status st = lots_open(&e->store, c, LOT_AVAILABLE, &rows, &n, err);
    /* a debit dated before expiries already recorded spends what they took as it stood then */
    if (st == FID_OK && d->available_then)
        st = expired_since(e, c, d->at, &back, &n_back, err);
    if (st != FID_OK) {
        free(rows);
        return st;
    }
    struct lot *lots = xcalloc(n + n_back + 1, sizeof *lots);
    struct lot_use *uses = xcalloc(n + n_back + 1, sizeof *uses);
    size_t spendable = 0;
    int64_t then = 0; /* what the lots available at d->at hold */
    for (size_t i = 0; i < n; i++) {
        if (d->available_then && rows[i].available_at > d->at)
            continue; /* earned, or confirmed, after the debit's date */
        then += rows[i].remaining;
        lots[spendable++] = (struct lot){.id = rows[i].id,
                                         .earned_at = rows[i].earned_at,
                                         .expires_at = rows[i].expires_at,
                                         .remaining = rows[i].remaining};
    }
    for (size_t i = 0; i < n_back; i++) { /* their validity ended at the expiry: spent first */
        then += back[i].amount;
        lots[spendable++] = (struct lot){.id = back[i].lot.id,
                                         .earned_at = back[i].lot.earned_at,
                                         .expires_at = back[i].at,
                                         .remaining = back[i].amount};
    }
    lots_sort(lots, spendable);
    /* A named first lot (the refunded order's own points) goes to the front. */
    for (size_t i = 1; d->first_lot && i < spendable; i++)
        if (lots[i].id == d->first_lot) {
            struct lot first = lots[i];
            memmove(&lots[1], &lots[0], i * sizeof *lots);
            lots[0] = first;
        }
    size_t n_uses = 0;
    int64_t covered = lots_consume(lots, spendable, d->amount, uses, &n_uses);
    if (covered < d->amount && !d->allow_debt && spendable < n + n_back) {
        char when[FID_TIME_LOCAL_MAX];
        fid_time_format_local(d->at, e->tz, when);
        st = fid_fail(err, FID_ERR_INSUFFICIENT, "/at",
                      "%lld points needed but only %lld of those available on %s are left: points "
                      "earned since count from their own date",
                      (long long)d->amount, (long long)then, when);
        goto done;
    }
    if (covered < d->amount && !d->allow_debt && d->reward) {
        st = fid_fail(err, FID_ERR_INSUFFICIENT, "/reward",
                      "reward \"%s\" costs %lld points; the available balance is %lld", d->reward,
                      (long long)d->amount, (long long)c->points_available);
        goto done;
    }
    if (covered < d->amount && !d->allow_debt) {
        st = fid_fail(err, FID_ERR_INSUFFICIENT, "/points",
                      "%lld points needed but only %lld available", (long long)d->amount,
                      (long long)(c->points_available > 0 ? c->points_available : 0));
        goto done;
    }
    /* each use's lot; one an expiry took points from gets them back first (that entry before
     * the debit's) */
    used = xcalloc(n_uses + 1, sizeof *used);
    for (size_t u = 0; u < n_uses && st == FID_OK; u++) {
        int64_t expired_at;
        used[u] = used_lot(rows, n, back, n_back, uses[u].lot_id, &expired_at);
        if (used[u] == NULL) /* a plan names only the lots it was given */
            abort();
        if (expired_at != 0)
            st = expiry_give_back(e, c, used[u], expired_at, uses[u].amount, d->event_key, err);
    }
    if (st != FID_OK)
        goto done;
    struct ledger_row row = {
        .customer_id = c->id,
        .at = d->at,
        .kind = d->kind,
        .account = ACCOUNT_POINTS,
        .amount = -d->amount,
        .event_key = d->event_key,
        .order_id = d->order_id,
        .program_version = e->program->version,
        .explanation = d->explanation,
        .reason = d->reason,
        .author = d->author,
    };
    if ((st = ledger_append(&e->store, c, &row, err)) != FID_OK)
        goto done;
    for (size_t u = 0; u < n_uses; u++) {
        if ((st = lot_use_insert(&e->store, row.id, uses[u].lot_id, uses[u].amount, err)) != FID_OK)
            goto done;
        used[u]->remaining -= uses[u].amount;
        if ((st = lot_save(&e->store, used[u], err)) != FID_OK)
            goto done;
    }
    c->points_available -= d->amount;
    if (d->kind == LEDGER_CLAWBACK)
        c->points_lifetime -= d->amount;
    if (ledger_id)
        *ledger_id = row.id;
done:
    free(rows);
    free(back);
    free(lots);
    free(uses);
    free(used);
    return st;
}

enum fid_status account_move(struct engine *e, struct customer *c, enum ledger_account account,
                             const char *card_id, enum ledger_kind kind, int64_t amount, int64_t at,
                             int64_t order_id, const char *event_key, const char *explanation,
                             const char *reason, const char *author, struct fid_error *err)
{
    if (amount == 0)
        return FID_OK;
    return account_entry(e, c, account, card_id, kind, amount, at, order_id, event_key, explanation,
                         reason, author, err);
}

enum fid_status account_entry(struct engine *e, struct customer *c, enum ledger_account account,
                              const char *card_id, enum ledger_kind kind, int64_t amount,
                              int64_t at, int64_t order_id, const char *event_key,
                              const char *explanation, const char *reason, const char *author,
                              struct fid_error *err)
{
    if (account == ACCOUNT_CASHBACK && !balance_fits(c->cashback_minor, amount))
        return balance_too_large("cashback balance", err);
    struct ledger_row row = {
        .customer_id = c->id,
        .at = at,
        .kind = kind,
        .account = account,
        .card_id = card_id,
        .amount = amount,
        .event_key = event_key,
        .order_id = order_id,
        .program_version = e->program->version,
        .explanation = explanation,
        .reason = reason,
        .author = author,
    };
    enum fid_status st = ledger_append(&e->store, c, &row, err);
    if (st == FID_OK && account == ACCOUNT_CASHBACK)
        c->cashback_minor += amount;
    return st;
}

enum fid_status cashback_clawback(struct engine *e, struct customer *c, int64_t amount, int64_t at,
                                  int64_t order_id, const char *event_key, const char *rule,
                                  const char *label, int64_t *taken, int64_t *forgiven,
                                  struct fid_error *err)
{
    refund_split(amount, c->cashback_minor, e->program->refund_allow_negative, taken, forgiven);
    char why[256];
    labels_explain_clawback(why, sizeof why, rule, label, "amount_minor", *taken, *forgiven);
    return account_entry(e, c, ACCOUNT_CASHBACK, NULL, LEDGER_CLAWBACK, -*taken, at, order_id,
                         event_key, why, NULL, NULL, err);
}

enum fid_status voucher_issue(struct engine *e, const struct customer *c,
                              const struct reward *reward, enum voucher_source source, int64_t at,
                              int64_t ledger_id, const char *event_key, struct jsonw *vouchers,
                              struct fid_error *err)
{
    struct voucher v = {
        .customer_id = c->id,
        .source = source,
        .state = VOUCHER_ISSUED,
        .issued_at = at,
        .valid_until = fid_tz_add_days(e->tz, at, (int)reward->valid_days),
        .ledger_id = ledger_id,
    };
    snprintf(v.reward_id, sizeof v.reward_id, "%s", reward->id);
    snprintf(v.event_key, sizeof v.event_key, "%s", event_key ? event_key : "");
    enum fid_status st;
    int attempts = 0;
    do { /* 80-bit codes: a collision is astronomically rare, but never fatal */
        fid_code_new(e->rng, 16, v.code);
        st = voucher_insert(&e->store, &v, err);
    } while (st == FID_ERR_CONFLICT && ++attempts < 5);
    if (st != FID_OK)
        return st;
    if (vouchers) {
        char until[FID_TIME_ISO_MAX];
        fid_time_format(v.valid_until, until);
        jsonw_next(vouchers);
        jsonw_text(vouchers, "{\"code\":");
        jsonw_cstring(vouchers, v.code);
        jsonw_text(vouchers, ",\"reward\":");
        jsonw_cstring(vouchers, reward->id);
        jsonw_text(vouchers, ",\"name\":");
        jsonw_cstring(vouchers, reward->name);
        jsonw_text(vouchers, ",\"source\":");
        jsonw_cstring(vouchers, voucher_source_name(source));
        jsonw_text(vouchers, ",\"valid_until\":");
        jsonw_cstring(vouchers, until);
        jsonw_text(vouchers, "}");
    }
    return FID_OK;
}

enum fid_status reward_give(struct engine *e, struct customer *c, const struct reward *reward,
                            enum voucher_source source, int64_t at, int64_t ledger_id,
                            int64_t order_id, const char *event_key, const char *explanation,
                            struct jsonw *vouchers, struct fid_error *err)
{
    if (reward->kind != REWARD_CASHBACK_CREDIT)
        return voucher_issue(e, c, reward, source, at, ledger_id, event_key, vouchers, err);
    return account_move(e, c, ACCOUNT_CASHBACK, NULL, LEDGER_EARN, reward->value_minor, at,
                        order_id, event_key, explanation, NULL, NULL, err);
}

enum fid_status stamps_earn(struct engine *e, struct customer *c, const struct stamp_card *card,
                            int64_t stamps, int64_t at, int64_t order_id, const char *event_key,
                            const struct manual_note *by_hand, struct jsonw *vouchers,
                            struct fid_error *err)
{
    int64_t count, completed_before, new_count, completed;
    enum fid_status st = stamps_get(&e->store, c->id, card->id, &count, &completed_before, err);
    if (st != FID_OK)
        return st;
    if ((st = account_move(e, c, ACCOUNT_STAMPS, card->id, by_hand ? LEDGER_ADJUST : LEDGER_EARN,
                           stamps, at, order_id, event_key, by_hand ? by_hand->explanation : NULL,
                           by_hand ? by_hand->reason : NULL, by_hand ? by_hand->author : NULL,
                           err)) != FID_OK)
        return st;
    stamps_add(count, stamps, card->stamps_required, &new_count, &completed);
    if (completed > STAMP_CARDS_AT_ONCE_MAX) /* each is a voucher or a credit, a row apiece */
        return fid_fail(err, FID_ERR_LIMIT, by_hand ? "/points" : "/lines",
                        "the event would fill %lld cards \"%s\" at once, more than %d",
                        (long long)completed, card->id, STAMP_CARDS_AT_ONCE_MAX);
    const struct reward *reward = program_reward(e->program, card->reward_id);
    for (int64_t i = 0; i < completed; i++) {
        char explanation[PROGRAM_ID_MAX * 2 + 128];
        snprintf(explanation, sizeof explanation,
                 "[{\"rule\":\"stamp_card:%s\",\"label\":\"%s\",\"reward\":\"%s\"}]", card->id,
                 e->labels->full_card, card->reward_id);
        struct ledger_row row = {
            .customer_id = c->id,
            .at = at,
            .kind = LEDGER_REDEEM,
            .account = ACCOUNT_STAMPS,
            .card_id = card->id,
            .amount = -card->stamps_required,
            .event_key = event_key,
            .order_id = order_id,
            .program_version = e->program->version,
            .explanation = explanation,
        };
        if ((st = ledger_append(&e->store, c, &row, err)) != FID_OK ||
            (st = reward_give(e, c, reward, VOUCHER_FROM_STAMP_CARD, at, row.id, order_id,
                              event_key, explanation, vouchers, err)) != FID_OK)
            return st;
    }
    return stamps_set(&e->store, c->id, card->id, new_count, completed_before + completed, err);
}
