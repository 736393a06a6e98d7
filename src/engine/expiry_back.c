/*
 * Expiries given back. An event dated before an expiry that was recorded before the event came
 * in (a till that syncs after the scheduled round) sees the points as they stood at its date: a
 * redemption spends points of lots that were still valid then, and activity before a balance's
 * deadline for inactivity undoes that balance's expiry. What is undone is given back as an
 * expiry entry of the opposite sign, dated at the expiry's own instant (so the points expired in
 * a period are what truly expired in it), whose use of the lot is negative: a lot's remaining is
 * still its amount less its uses.
 */
#include "engine/engine_internal.h"

#include <stdlib.h>

#include "core/program.h"
#include "store/order_periods.h"

enum fid_status expiry_entry(struct engine *e, struct customer *c, struct lot_row *lot, int64_t at,
                             int64_t change, const char *explanation, const char *event_key,
                             struct fid_error *err)
{
    struct ledger_row row = {
        .customer_id = c->id,
        .at = at,
        .kind = LEDGER_EXPIRE,
        .account = ACCOUNT_POINTS,
        .amount = change,
        .event_key = event_key,
        .lot_id = lot->id,
        .program_version = e->program->version,
        .explanation = explanation,
    };
    enum fid_status st = ledger_append(&e->store, c, &row, err);
    if (st == FID_OK)
        st = lot_use_insert(&e->store, row.id, lot->id, -change, err);
    if (st != FID_OK)
        return st;
    lot->remaining += change;
    if ((st = lot_save(&e->store, lot, err)) != FID_OK)
        return st;
    c->points_available += change;
    /* a lot given points back holds some again: the walk of open lots must reach it */
    if (change > 0 && c->open_lots_from != 0 && lot->id < c->open_lots_from)
        c->open_lots_from = lot->id;
    return FID_OK;
}

enum fid_status expiry_give_back(struct engine *e, struct customer *c, struct lot_row *lot,
                                 int64_t at, int64_t amount, const char *event_key,
                                 struct fid_error *err)
{
    char why[200];
    labels_explain(why, sizeof why, "expiry", e->labels->expiry_given_back);
    return expiry_entry(e, c, lot, at, amount, why, event_key, err);
}

/* Whether what an expiry took from a lot may come back. Not to a lot whose order was refunded:
 * a refund after the expiry took back only what of its points had not expired, and giving them
 * back would leave the member points the refund would have taken. Nor to a member in debt (the
 * callers look): points given back would first repay the debt, which no use of a lot records. */
static bool givable(const struct lot_expiry *x)
{
    return x->lot.state == LOT_AVAILABLE && !x->order_refunded;
}

enum fid_status expired_since(struct engine *e, const struct customer *c, int64_t at,
                              struct lot_expiry **out, size_t *n, struct fid_error *err)
{
    *out = NULL;
    *n = 0;
    if (c->points_available < 0)
        return FID_OK; /* in debt: see givable */
    enum fid_status st = lots_expired_after(&e->store, c, at, out, n, err);
    if (st != FID_OK)
        return st;
    /* a lot holds points again only once given all back, so one instant at most per lot keeps
     * some expired */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (givable(&(*out)[i]) && (*out)[i].lot.available_at <= at) /* spendable at `at` */
            (*out)[kept++] = (*out)[i];
    *n = kept;
    return FID_OK;
}

/* Whether activity at t may undo a balance's expiry for inactivity already recorded: one dated
 * after t exists only when t is before the member's newest activity, or when t is before the
 * deadline the newest activity gave and the balance lapsed there: it holds nothing, or that
 * deadline is past (a late event may have added points since the lapse). Most activity comes in
 * time order from members with a balance whose deadline is ahead, and looks for nothing. */
static bool may_undo_inactivity(const struct engine *e, const struct customer *c, int64_t t)
{
    const struct program *p = e->program;
    if (p->expiry.mode != EXPIRY_INACTIVITY || c->last_activity_at == 0 || c->points_available < 0)
        return false;
    if (t < c->last_activity_at)
        return true;
    /* a month is at least 27 days in any zone: a balance whose deadline is surely ahead of the
     * clock (a member in time order) has not lapsed, and needs no calendar arithmetic */
    int64_t months = p->expiry.months;
    if (c->points_available > 0 && e->apply_now - c->last_activity_at < months * 27 * 86400)
        return false;
    int64_t deadline = fid_tz_add_months(e->tz, c->last_activity_at, (int)months);
    if (c->points_available > 0)
        return t < deadline && deadline <= e->apply_now;
    return t < deadline || t < e->expiry_since;
}

/* The expiry date a lot was given when earned: its version's, when that version expired points
 * by lot, else none (0). A date other than that is the deadline that doomed it while pending. */
static enum fid_status lot_own_expiry(struct engine *e, const struct lot_row *lot, int64_t *own,
                                      struct fid_error *err)
{
    *own = 0;
    if (!e->lots_expire)
        return FID_OK; /* no version dated lots */
    int64_t version = 0;
    enum fid_status st = ledger_entry_version(&e->store, lot->ledger_id, &version, err);
    if (st != FID_OK || version <= 0)
        return st;
    struct program *earned_under = NULL;
    if ((st = engine_program_version(e, version, &earned_under, err)) != FID_OK)
        return st;
    if (earned_under->expiry.mode == EXPIRY_PER_LOT)
        *own = fid_tz_add_months(e->tz, lot->earned_at, (int)earned_under->expiry.months);
    program_free(earned_under);
    return FID_OK;
}

enum fid_status activity_at(struct engine *e, struct customer *c, int64_t t, const char *event_key,
                            struct fid_error *err)
{
    enum fid_status st = FID_OK;
    bool gave = false;
    if (may_undo_inactivity(e, c, t)) {
        /* the deadline activity at t gives under the current rule; an expiry made under an
         * earlier rule (before expiry_since) stands: that rule's deadline is not this one */
        const struct program *p = e->program;
        int64_t deadline = fid_tz_add_months(e->tz, t, (int)p->expiry.months);
        struct lot_expiry *back = NULL;
        size_t n = 0;
        st = lots_expired_after(&e->store, c, t, &back, &n, err);
        for (size_t i = 0; st == FID_OK && i < n; i++) {
            struct lot_row *lot = &back[i].lot;
            int64_t own = 0;
            if ((st = lot_own_expiry(e, lot, &own, err)) != FID_OK)
                break;
            /* a lot that expired while pending carries the deadline that doomed it; one that
             * expired at its own date stays expired */
            bool doomed = lot->expires_at != 0 && lot->expires_at != own;
            int64_t fell_due = doomed ? lot->expires_at : back[i].at;
            int64_t own_end = own > lot->available_at ? own : lot->available_at;
            if (!givable(&back[i]) || (!doomed && own != 0 && back[i].at == own_end) ||
                fell_due <= t || fell_due >= deadline || fell_due < e->expiry_since)
                continue;
            lot->expires_at = own;
            st = expiry_give_back(e, c, lot, back[i].at, back[i].amount, event_key, err);
            due_note(c, own); /* its own date, when it has one, falls due again */
            gave = true;
        }
        free(back);
        /* pending points doomed by a deadline the activity removes have their own date again */
        struct lot_row *pending = NULL;
        n = 0;
        if (st == FID_OK && c->points_pending != 0)
            st = lots_open(&e->store, c, LOT_PENDING, &pending, &n, err);
        for (size_t i = 0; st == FID_OK && i < n; i++) {
            int64_t own = 0;
            if (pending[i].expires_at <= t || pending[i].expires_at >= deadline ||
                pending[i].expires_at < e->expiry_since ||
                (st = lot_own_expiry(e, &pending[i], &own, err)) != FID_OK ||
                own == pending[i].expires_at)
                continue;
            pending[i].expires_at = own;
            st = lot_save(&e->store, &pending[i], err);
        }
        free(pending);
    }
    if (t > c->last_activity_at)
        c->last_activity_at = t;
    /* a balance given back has its deadline from the activity (it had none left) */
    if (gave)
        due_note(c, inactivity_deadline(e, c));
    return st;
}

/* The first instant after a late activity at t at which the balance lapsed, the activity since
 * taken in order (orders from their sums by period, the rest from the ledger), or 0 when none
 * did. A period is shorter than a month, so its orders hold off any deadline from its first to its
 * last: only the gaps between periods, and around redemptions, adjustments and VIP payments, can
 * be long enough. A deadline before the rule was saved is the rule's saving, as due work has it. */
static enum fid_status first_lapse_after(struct engine *e, const struct customer *c, int64_t t,
                                         int64_t *lapse, struct fid_error *err)
{
    const struct order_periods *periods = &c->order_periods;
    *lapse = 0;
    int64_t *ats = NULL;
    size_t n_ats = 0, i = 0, j = 0;
    enum fid_status st = customer_acts_after(&e->store, c, t, &ats, &n_ats, err);
    for (int64_t now = t; st == FID_OK;) {
        while (i < periods->n &&
               (periods->periods[i].orders == 0 || periods->periods[i].last_at <= now))
            i++;
        while (j < n_ats && ats[j] <= now)
            j++;
        if (i == periods->n && j == n_ats)
            break;
        const struct order_period *next = i < periods->n ? &periods->periods[i] : NULL;
        int64_t start = next && next->first_at > now ? next->first_at : now;
        bool period_first = next && (j == n_ats || start <= ats[j]);
        if (!period_first)
            start = ats[j];
        int64_t deadline = fid_tz_add_months(e->tz, now, (int)e->program->expiry.months);
        if (deadline < e->expiry_since)
            deadline = e->expiry_since;
        if (start >= deadline) {
            *lapse = deadline;
            break;
        }
        now = period_first ? periods->periods[i++].last_at : ats[j++];
    }
    free(ats);
    return st;
}

enum fid_status late_activity_lapse(struct engine *e, struct customer *c, int64_t t,
                                    struct fid_error *err)
{
    const struct program *p = e->program;
    /* lots dated by an earlier rule are left to it (their own expiries stand) */
    if (p->expiry.mode != EXPIRY_INACTIVITY || e->lots_expire || t >= c->last_activity_at ||
        (c->points_available <= 0 && c->points_pending <= 0))
        return FID_OK;
    /* the latest activity within the months of this one: no gap to find; orders folded into the
     * summary of older periods cannot tell theirs (a late event over two years old) */
    if (fid_tz_add_months(e->tz, t, (int)p->expiry.months) >= c->last_activity_at ||
        (c->order_periods.folded.orders > 0 && order_period_key(t) < c->order_periods.folded_until))
        return FID_OK;
    int64_t lapse = 0;
    enum fid_status st = first_lapse_after(e, c, t, &lapse, err);
    return st == FID_OK && lapse != 0 ? expire_balance_then(e, c, lapse, err) : st;
}
