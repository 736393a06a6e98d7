/*
 * Scheduled work, driven by an explicit clock: pending points confirm, lots and whole balances
 * expire, vouchers lapse, tiers are reviewed. Every step is keyed by state (a confirmed lot is no
 * longer pending, an expired lot has nothing left), so running it twice changes nothing. Entries
 * carry the instant the thing fell due, not the instant the work ran, so reports by period are
 * right even when run-due runs late. The same per-customer work runs before any event of that
 * customer, so an event never sees a state that should already have changed.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tier.h"
#include "util/xalloc.h"

#define DUE_BATCH 1000

void due_note(struct customer *c, int64_t t)
{
    if (t != 0 && (c->next_due_at == 0 || t < c->next_due_at))
        c->next_due_at = t;
}

enum fid_status load_member(struct engine *e, const struct event *ev, struct customer *member,
                            struct fid_error *err)
{
    enum fid_status st = customer_find_ref(&e->store, ev->customer, member, err);
    if (st == FID_ERR_NOT_FOUND || (st == FID_OK && !member->is_member))
        return fid_fail(err, FID_ERR_NOT_FOUND, "/customer", "no member \"%.100s\"", ev->customer);
    if (st != FID_OK)
        return st;
    /* points, rewards and memberships are a member's: none before the enrolment (an opening
     * balance carried over from another system is dated at or after it, or the enrolment is
     * dated back) */
    if (ev->at < member->enrolled_at) {
        char at[FID_TIME_LOCAL_MAX], enrolled[FID_TIME_LOCAL_MAX];
        fid_time_format_local(ev->at, e->tz, at);
        fid_time_format_local(member->enrolled_at, e->tz, enrolled);
        return fid_fail(err, FID_ERR_INPUT, "/at", "%s is before %s enrolled (%s)", at, member->ref,
                        enrolled);
    }
    if (member->next_due_at != 0 && member->next_due_at <= ev->at)
        st = due_customer(e, member, ev->at, NULL, err);
    return st;
}

int64_t inactivity_deadline(const struct engine *e, const struct customer *c)
{
    const struct program *p = e->program;
    /* points pending count: they expire at confirmation when the balance expired before it,
     * whether or not points were available at the deadline */
    if (p->expiry.mode != EXPIRY_INACTIVITY ||
        (c->points_available <= 0 && c->points_pending <= 0) || c->last_activity_at == 0)
        return 0;
    int64_t deadline = fid_tz_add_months(e->tz, c->last_activity_at, (int)p->expiry.months);
    /* a rule saved after the deadline it gives expires the balance when it was saved */
    return deadline > e->expiry_since ? deadline : e->expiry_since;
}

/* Expires what is left of an available lot at `when`: at the balance's expiry after inactivity
 * (inactivity) or at the end of the lot's validity. */
static enum fid_status expire_lot(struct engine *e, struct customer *c, struct lot_row *lot,
                                  int64_t when, bool inactivity, struct due_report *report,
                                  struct fid_error *err)
{
    char why[160];
    labels_explain(why, sizeof why, "expiry",
                   inactivity ? e->labels->expiry_inactivity : e->labels->expiry_lot);
    int64_t amount = lot->remaining;
    enum fid_status st = expiry_entry(e, c, lot, when, -amount, why, NULL, err);
    if (st == FID_OK && report) {
        report->lots_expired++;
        report->points_expired += amount;
    }
    return st;
}

static enum fid_status confirm_pending(struct engine *e, struct customer *c, int64_t t,
                                       struct due_report *report, struct fid_error *err)
{
    struct lot_row *lots = NULL;
    size_t n = 0;
    enum fid_status st = lots_open(&e->store, c, LOT_PENDING, &lots, &n, err);
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct lot_row *lot = &lots[i];
        if (lot->available_at > t)
            continue;
        char why[160];
        labels_explain(why, sizeof why, "pending_period", e->labels->pending_over);
        struct ledger_row row = {
            .customer_id = c->id,
            .at = lot->available_at,
            .kind = LEDGER_CONFIRM,
            .account = ACCOUNT_POINTS,
            .amount = lot->remaining,
            .pending_delta = -lot->remaining,
            .order_id = lot->order_id,
            .lot_id = lot->id,
            .program_version = e->program->version,
            .explanation = why,
        };
        int64_t amount = lot->remaining;
        if ((st = ledger_append(&e->store, c, &row, err)) != FID_OK)
            break;
        int64_t repay = c->points_available < 0
                            ? (-c->points_available < amount ? -c->points_available : amount)
                            : 0;
        lot->state = LOT_AVAILABLE;
        lot->remaining -= repay;
        if ((repay > 0 &&
             (st = lot_use_insert(&e->store, row.id, lot->id, repay, err)) != FID_OK) ||
            (st = lot_save(&e->store, lot, err)) != FID_OK)
            break;
        c->points_pending -= amount;
        c->points_available += amount;
        c->points_lifetime += amount;
        if (report) {
            report->lots_confirmed++;
            report->points_confirmed += amount;
        }
        /* a balance that expired after inactivity doomed it while pending: it expires as it is
         * confirmed when that end came first, else at that end once past (it was in the
         * balance then, as the points available at the deadline were); lots that expire one by
         * one are the pass after this one's */
        if (!e->lots_expire && lot->expires_at != 0 && lot->expires_at <= t && lot->remaining > 0)
            st = expire_lot(e, c, lot,
                            lot->expires_at > lot->available_at ? lot->expires_at
                                                                : lot->available_at,
                            true, report, err);
    }
    free(lots);
    return st;
}

/* A lot pending when the balance expired at `deadline` after inactivity is doomed: it ends there
 * (unless its own date is sooner), and expires as it is confirmed. The mark is what tells a late
 * activity dated after the deadline that this lapse stands (engine/expiry_back.c). */
static void doom(struct lot_row *lot, int64_t deadline)
{
    if (lot->expires_at == 0 || lot->expires_at > deadline)
        lot->expires_at = deadline;
}

/* Expires available lots whose expiry is <= t, or all of them at `all_at` when not 0. A lot
 * confirmed after that instant was pending then, outside the balance: doomed, it expires when
 * confirmed. */
static enum fid_status expire_lots(struct engine *e, struct customer *c, int64_t t, int64_t all_at,
                                   struct due_report *report, struct fid_error *err)
{
    struct lot_row *lots = NULL;
    size_t n = 0;
    enum fid_status st = lots_open(&e->store, c, LOT_AVAILABLE, &lots, &n, err);
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct lot_row *lot = &lots[i];
        int64_t when = all_at ? all_at : lot->expires_at;
        if (when == 0 || when > t)
            continue;
        if (lot->available_at > when) {
            if (all_at)
                doom(lot, all_at);
            when = lot->available_at;
        }
        st = expire_lot(e, c, lot, when, all_at != 0, report, err);
    }
    free(lots);
    return st;
}

/* The balance expired at `deadline` after inactivity: the points then pending were not in it,
 * and expire when they are confirmed, whatever activity comes meanwhile (their lot ends at the
 * deadline; confirm_pending expires them). */
static enum fid_status doom_pending(struct engine *e, struct customer *c, int64_t deadline,
                                    struct fid_error *err)
{
    struct lot_row *lots = NULL;
    size_t n = 0;
    enum fid_status st = lots_open(&e->store, c, LOT_PENDING, &lots, &n, err);
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct lot_row *lot = &lots[i];
        if (lot->earned_at > deadline || (lot->expires_at != 0 && lot->expires_at <= deadline))
            continue;
        doom(lot, deadline);
        st = lot_save(&e->store, lot, err);
    }
    free(lots);
    return st;
}

enum fid_status expire_balance_then(struct engine *e, struct customer *c, int64_t deadline,
                                    struct fid_error *err)
{
    struct lot_row *lots = NULL;
    size_t n = 0;
    enum fid_status st = lots_open(&e->store, c, LOT_AVAILABLE, &lots, &n, err);
    /* a lot confirmed since the deadline was pending at it: doomed, it expires as it was
     * confirmed (one given back by a late activity is such a lot) */
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct lot_row *lot = &lots[i];
        if (lot->earned_at > deadline || lot->remaining <= 0)
            continue;
        int64_t when = deadline;
        if (lot->available_at > deadline) {
            doom(lot, deadline);
            when = lot->available_at;
        }
        st = expire_lot(e, c, lot, when, true, NULL, err);
    }
    free(lots);
    if (st == FID_OK && c->points_pending != 0)
        st = doom_pending(e, c, deadline, err);
    return st;
}

int64_t tier_metric_of(const struct program *p, const struct order_share *sum)
{
    switch (p->tiers.metric) {
    case TIER_METRIC_SPEND:
        return sum->spend_minor;
    case TIER_METRIC_POINTS:
        return sum->points;
    case TIER_METRIC_ORDERS:
        return sum->counted;
    }
    return 0;
}

/* The tier rank the customer's orders in [from, to) reach: from the periods' bounds when both
 * give the same rank (most orders), else from the orders themselves (read through cache when
 * not NULL). */
static enum fid_status window_rank_cached(struct engine *e, const struct customer *c, int64_t from,
                                          int64_t to, struct order_window_cache *cache, int *rank,
                                          struct fid_error *err)
{
    const struct program *p = e->program;
    struct order_share low, high;
    order_window_bounds(&c->order_periods, from, to, &low, &high);
    *rank = tier_rank_for(p, tier_metric_of(p, &low));
    if (*rank == tier_rank_for(p, tier_metric_of(p, &high)))
        return FID_OK;
    struct order_share sum;
    enum fid_status st =
        order_window_totals_cached(&e->store, &c->order_periods, cache, from, to, &sum, err);
    if (st == FID_OK)
        *rank = tier_rank_for(p, tier_metric_of(p, &sum));
    return st;
}

static enum fid_status window_rank(struct engine *e, const struct customer *c, int64_t from,
                                   int64_t to, int *rank, struct fid_error *err)
{
    return window_rank_cached(e, c, from, to, NULL, rank, err);
}

/* Moves the customer to the tier of that rank (none below 0) at `at`, and records the change.
 * A change found by an event dated before the last change (a backdated order) is dated at the
 * last change: the history reads in time order, each change from the tier the one before left. */
static enum fid_status change_tier(struct engine *e, struct customer *c, int rank, int64_t at,
                                   enum tier_change_reason reason, struct fid_error *err)
{
    const struct program *p = e->program;
    if (at < c->tier_since)
        at = c->tier_since;
    struct tier_change change = {.at = at, .reason = reason, .program_version = p->version};
    snprintf(change.previous, sizeof change.previous, "%s", c->tier);
    snprintf(change.tier, sizeof change.tier, "%s", rank >= 0 ? p->tiers.levels[rank].id : "");
    snprintf(c->tier, sizeof c->tier, "%s", change.tier);
    c->tier_since = at;
    return tier_change_insert(&e->store, c->id, &change, err);
}

static enum fid_status rank_after_activity_at(struct engine *e, const struct customer *c, int64_t t,
                                              int *rank, struct fid_error *err)
{
    return window_rank(e, c, tier_window_start(e->program, e->tz, t), t + 1, rank, err);
}

/* The rank a review at `review` gives: that of the window it judges, or that of the window
 * ending at the review when higher. Activity since the judged window (the grace period, the new
 * year) that already reaches a tier keeps it: the member would otherwise climb back at the next
 * order, which would earn without the tier's bonus. */
static enum fid_status review_rank(struct engine *e, const struct customer *c, int64_t review,
                                   int64_t anchor, int *rank, struct fid_error *err)
{
    int64_t from, to;
    tier_review_window(e->program, e->tz, review, &from, &to);
    if (anchor != 0 && anchor < from)
        from = anchor;
    int since = -1;
    enum fid_status st = window_rank(e, c, from, to, rank, err);
    if (st == FID_OK && (st = rank_after_activity_at(e, c, review, &since, err)) == FID_OK &&
        since > *rank)
        *rank = since;
    return st;
}

/* The instant a rolling review at `review` was counted from: the customer's last tier change,
 * or a review that confirmed the tier since (each counts the next from itself); 0 when none
 * gives it. Its window starts there at the latest: twelve months back from a wall clock twelve
 * months ahead does not come back to the same instant across a change of UTC offset (an order
 * in an hour the clocks repeat or skip was left out of the window it reached the tier in). */
static int64_t review_anchor(const struct engine *e, const struct customer *c, int64_t review)
{
    const struct program *p = e->program;
    if (p->tiers.window != TIER_WINDOW_ROLLING_12_MONTHS || c->tier_since == 0)
        return 0;
    int64_t anchor = c->tier_since;
    for (;;) {
        int64_t next = tier_next_review(p, e->tz, anchor);
        if (next == review)
            return anchor;
        if (next > review || next <= anchor)
            return 0;
        anchor = next;
    }
}

static enum fid_status review_tier(struct engine *e, struct customer *c, int64_t t,
                                   struct due_report *report, struct fid_error *err)
{
    const struct program *p = e->program;
    while (c->tier_review_at != 0 && c->tier_review_at <= t) {
        int64_t review = c->tier_review_at;
        int rank;
        enum fid_status st = review_rank(e, c, review, review_anchor(e, c, review), &rank, err);
        if (st != FID_OK)
            return st;
        int current = program_tier_rank(p, c->tier);
        /* a tier the programme no longer has (current -1) is left even for none */
        if (rank != current || (current < 0 && c->tier[0] != '\0')) {
            st = change_tier(e, c, rank, review, TIER_REVIEW, err);
            if (st != FID_OK)
                return st;
            if (report)
                report->tier_changes++;
        }
        c->tier_review_at = rank >= 0 ? tier_next_review(p, e->tz, review) : 0;
    }
    return FID_OK;
}

static int keep_last_change(const struct tier_change *change, void *context)
{
    *(struct tier_change *)context = *change;
    return 0;
}

/* The rank the customer's last tier change would have given with an order recorded since but
 * dated before it: a review is made again (*review true), an upgrade judges the window ending
 * there. */
static enum fid_status rank_at_last_change(struct engine *e, const struct customer *c, int *rank,
                                           bool *review, struct fid_error *err)
{
    struct tier_change last = {.reason = TIER_REACHED};
    enum fid_status st = tier_changes_each(&e->store, c->id, keep_last_change, &last, err);
    *review = st == FID_OK && last.reason == TIER_REVIEW;
    if (st != FID_OK || !*review)
        return st == FID_OK ? rank_after_activity_at(e, c, c->tier_since, rank, err) : st;
    return review_rank(e, c, c->tier_since, 0, rank, err);
}

/* How far apart two instants must be for their tier windows' starts to be in the same order.
 * A window's start follows its end's local wall clock, which moves with the instant but at a
 * change of UTC offset (less than a day); taking 12 months off a wall clock keeps its order but
 * for 29 February, which becomes the 28th (a day's gap lost). Three days cover both: for
 * t' >= t + WINDOW_START_SLACK, tier_window_start(t') >= tier_window_start(t). */
#define WINDOW_START_SLACK (3 * 86400)

/* Whether some window inside [from, to) could reach a rank above `best`: the periods' upper
 * bound (every period the span touches, whole) is at least any such window's sum, since no
 * order's share is negative. */
static bool window_may_exceed(const struct engine *e, const struct customer *c, int64_t from,
                              int64_t to, int best)
{
    const struct program *p = e->program;
    struct order_share low, high;
    order_window_bounds(&c->order_periods, from, to, &low, &high);
    return tier_rank_for(p, tier_metric_of(p, &high)) > best;
}

/* Whether rank, reached at t before the customer's last tier change, would still be held at that
 * change: the reviews between are made again, with the orders recorded now. *anchor: what the
 * next review counts from (t, or the last review between, which kept it); 0 when one of them
 * would have lowered it. */
static enum fid_status kept_until_last_change(struct engine *e, const struct customer *c, int64_t t,
                                              int rank, int64_t *anchor, struct fid_error *err)
{
    const struct program *p = e->program;
    bool rolling = p->tiers.window == TIER_WINDOW_ROLLING_12_MONTHS;
    *anchor = t;
    for (int64_t review = tier_next_review(p, e->tz, t); review != 0 && review <= c->tier_since;
         review = tier_next_review(p, e->tz, review)) {
        int kept = -1;
        enum fid_status st = review_rank(e, c, review, rolling ? *anchor : 0, &kept, err);
        if (st != FID_OK || kept < rank) {
            *anchor = 0;
            return st;
        }
        *anchor = review;
    }
    return FID_OK;
}

/* Whether rank, which the window ending at t reaches, raises the tier at t: from the last change
 * on, always (the caller compares it with the tier held); before it, when it is above the tier
 * held at t (else the tier held then keeps its own review) and would still be held at the
 * change. */
static enum fid_status raises_tier_at(struct engine *e, const struct customer *c, int64_t t,
                                      int rank, bool *raises, struct fid_error *err)
{
    *raises = t >= c->tier_since;
    if (*raises)
        return FID_OK;
    char held[PROGRAM_ID_MAX];
    int64_t anchor = 0;
    enum fid_status st = tier_held(e, c, t, held, err);
    if (st == FID_OK && rank > program_tier_rank(e->program, held))
        st = kept_until_last_change(e, c, t, rank, &anchor, err);
    *raises = st == FID_OK && anchor != 0;
    return st;
}

/* Judges the window from `start` ending at t (cut periods read through cache, NULL: walked): a
 * rank above *best that raises the tier at t makes it the best, reached at t. */
static enum fid_status judge_window(struct engine *e, const struct customer *c, int64_t start,
                                    int64_t t, struct order_window_cache *cache, int *best,
                                    int64_t *best_at, struct fid_error *err)
{
    if (!window_may_exceed(e, c, start, t + 1, *best))
        return FID_OK;
    int rank = -1;
    bool raises = false;
    enum fid_status st = window_rank_cached(e, c, start, t + 1, cache, &rank, err);
    if (st == FID_OK && rank > *best &&
        (st = raises_tier_at(e, c, t, rank, &raises, err)) == FID_OK && raises) {
        *best = rank;
        *best_at = t;
    }
    return st;
}

/* Judges the windows ending at instants (in time order) as rank_at_later_orders says, their cut
 * periods read through cache (NULL: walked); *stop: one's window no longer holds `at`, and
 * neither does any later one's. */
static enum fid_status judge_instants(struct engine *e, const struct customer *c,
                                      const int64_t *instants, size_t n, int64_t at,
                                      struct order_window_cache *cache, int *best, int64_t *best_at,
                                      bool *stop, struct fid_error *err)
{
    const struct program *p = e->program;
    int top = (int)p->tiers.n_levels - 1;
    enum fid_status st = FID_OK;
    for (size_t i = 0; i < n && st == FID_OK && *best < top; i++) {
        int64_t start = tier_window_start(p, e->tz, instants[i]);
        if (start > at) {
            *stop = true;
            break;
        }
        st = judge_window(e, c, start, instants[i], cache, best, best_at, err);
    }
    return st;
}

/* The orders of one period in [from, to), judged by judge_instants. The windows ending at a
 * period's orders cut the same few periods: their orders are read once (cache). */
static enum fid_status rank_at_period_orders(struct engine *e, const struct customer *c,
                                             const struct order_period *period, int64_t at,
                                             int64_t from, int64_t to,
                                             struct order_window_cache *cache, int *best,
                                             int64_t *best_at, bool *stop, struct fid_error *err)
{
    int64_t *instants = NULL;
    size_t n = 0;
    enum fid_status st = order_period_instants(&e->store, &c->order_periods, cache, period, from,
                                               to, &instants, &n, err);
    if (st == FID_OK)
        st = judge_instants(e, c, instants, n, at, cache, best, best_at, stop, err);
    free(instants);
    return st;
}

/* rank_at_later_orders by reading every later order: the reference (tiers_judge_every_order). */
static enum fid_status rank_at_every_later_order(struct engine *e, const struct customer *c,
                                                 int64_t at, int *best, int64_t *best_at,
                                                 struct fid_error *err)
{
    int64_t from = at + 1, *instants = NULL;
    size_t n = 0;
    bool stop = false;
    enum fid_status st = order_window_instants(&e->store, &c->order_periods, from, c->last_order_at,
                                               &instants, &n, err);
    if (st == FID_OK)
        st = judge_instants(e, c, instants, n, at, NULL, best, best_at, &stop, err);
    free(instants);
    return st;
}

/* An order recorded late also counts in the windows ending at the customer's orders after it,
 * while the window still holds it: a rolling window's metric falls as orders leave it, so its
 * highest may be at any of them. They are judged in time order until the first whose window no
 * longer holds the late order; the first instant that reaches a rank above *best raises it.
 * Those before the last change count when what they reach would still be held at that change
 * (raises_tier_at), which then dates it.
 *
 * Reading those orders costs a walk along the customer's chain per order, and there may be a
 * year of them (an import of history in no order): the orders are taken a period at a time, and
 * a period is read only when a window ending at one of its orders could reach a rank above the
 * best so far. Those windows all lie in [start of the window at its first order less the slack,
 * its last order], so the periods' upper bound of that span settles it without a read. A period
 * whose orders cannot raise the rank but where the judging may stop is read only when a later
 * order could still raise it. The result is the same as judging every order in turn. */
static enum fid_status rank_at_later_orders(struct engine *e, const struct customer *c, int64_t at,
                                            int *best, int64_t *best_at, struct fid_error *err)
{
    const struct program *p = e->program;
    int top = (int)p->tiers.n_levels - 1;
    /* A lifetime window only grows, so the latest order's is the highest, but the tier dates
     * from the first later order that reaches it (the orders between earn its bonus): the
     * lifetime windows are judged in turn too, and periods that cannot raise it are not read. */
    if (e->tiers_judge_every_order)
        return rank_at_every_later_order(e, c, at, best, best_at, err);
    const struct order_periods *periods = &c->order_periods;
    int64_t from = at + 1, to = c->last_order_at;
    enum fid_status st = FID_OK;
    bool stop = false;
    struct order_window_cache cache = {0};
    /* The folded summary holds everything before the kept periods, which go by time. */
    for (size_t i = 0; i <= periods->n && !stop && st == FID_OK && *best < top; i++) {
        const struct order_period *period = i == 0 ? &periods->folded : &periods->periods[i - 1];
        if (order_period_overlap(period, from, to) == PERIOD_OUTSIDE)
            continue;
        int64_t first = period->first_at > from ? period->first_at : from;
        int64_t last = period->last_at < to ? period->last_at : to - 1;
        int64_t earliest = tier_window_start(p, e->tz, first - WINDOW_START_SLACK);
        if (earliest > at) /* no window from here on holds the late order */
            break;
        if (!window_may_exceed(e, c, earliest, last + 1, *best)) {
            if (tier_window_start(p, e->tz, last + WINDOW_START_SLACK) <= at)
                continue; /* every window here still holds it: judged, none higher */
            if (!window_may_exceed(e, c, earliest, to, *best))
                break; /* no order from here on can raise it, wherever the judging stops */
        }
        st = rank_at_period_orders(e, c, period, at, from, to, &cache, best, best_at, &stop, err);
    }
    order_window_cache_free(&cache);
    return st;
}

enum fid_status tier_after_activity(struct engine *e, struct customer *c, int64_t at,
                                    bool later_orders, struct jsonw *result, struct fid_error *err)
{
    const struct program *p = e->program;
    int current = program_tier_rank(p, c->tier);
    /* Nothing to gain at the top tier: skip the window. */
    if (p->tiers.n_levels == 0 || current == (int)p->tiers.n_levels - 1)
        return FID_OK;
    /* Activity dated `at` counts in the windows ending at it, at the customer's orders after it
     * and at the latest one (an order recorded late, an enrolment dated before orders). Before
     * the last change, a window counts when what it reaches would still be held at that change,
     * which is then judged again with the activity too. The highest rank wins, from the first of
     * these instants that reaches it. */
    int64_t last = c->last_order_at;
    /* a review made again is recorded as one: the next activity dated before it makes it again
     * too, rather than judge the window of an upgrade ending there */
    bool review = false;
    enum tier_change_reason reason = TIER_REACHED;
    int first = -1; /* the window at the activity, or the last change made again with it */
    int64_t first_at = at < c->tier_since ? c->tier_since : at;
    enum fid_status st = at < c->tier_since ? rank_at_last_change(e, c, &first, &review, err)
                                            : rank_after_activity_at(e, c, at, &first, err);
    /* A window before the last change that reaches what the change made again reaches dates
     * the tier's reaching (its review counts from there), but for a review made again; the
     * windows then look for ranks from the tier held, not only above the change's. */
    bool before_first = at < c->tier_since && !review;
    int best = current;
    int64_t best_at = 0;
    if (!before_first && first > best) {
        best = first;
        best_at = first_at;
        reason = review ? TIER_REVIEW : TIER_REACHED;
    }
    /* the window ending at the activity itself, before the change made again above */
    if (st == FID_OK && at < c->tier_since)
        st = judge_window(e, c, tier_window_start(p, e->tz, at), at, NULL, &best, &best_at, err);
    if (st == FID_OK && last > at && later_orders)
        st = rank_at_later_orders(e, c, at, &best, &best_at, err);
    if (st == FID_OK && last > at && later_orders)
        st =
            judge_window(e, c, tier_window_start(p, e->tz, last), last, NULL, &best, &best_at, err);
    if (before_first && first > current &&
        (first > best || (first == best && best_at >= c->tier_since))) {
        best = first;
        best_at = first_at;
    }
    if (st != FID_OK || best <= current)
        return st;
    if (best_at != c->tier_since)
        reason = TIER_REACHED;
    /* reached at an order before the last change, held through it: dated at the change, its
     * review counted from the order (or from the last review between, which kept it) */
    int64_t reached_at = best_at;
    if (best_at < c->tier_since) {
        if ((st = kept_until_last_change(e, c, best_at, best, &reached_at, err)) != FID_OK)
            return st;
        best_at = c->tier_since;
    }
    /* A tier the programme no longer has held since its reaching: the member moves to the level
     * the window reaches, and its review keeps its date (a review counted from this order would
     * judge a year without the orders that reached the old tier). */
    bool defunct = current < 0 && c->tier[0] != '\0';
    int64_t review_before = c->tier_review_at;
    if ((st = change_tier(e, c, best, best_at, reason, err)) != FID_OK)
        return st;
    c->tier_review_at =
        defunct && review_before > best_at ? review_before : tier_next_review(p, e->tz, reached_at);
    due_note(c, c->tier_review_at);
    if (result)
        tier_upgrade_write(e, best, result);
    return FID_OK;
}

enum fid_status tier_held(struct engine *e, const struct customer *c, int64_t t,
                          char tier[PROGRAM_ID_MAX], struct fid_error *err)
{
    if (t >= c->tier_since) {
        snprintf(tier, PROGRAM_ID_MAX, "%s", c->tier);
        return FID_OK;
    }
    return tier_at(&e->store, c->id, t + 1, tier, err); /* a change at t holds at t */
}

void tier_upgrade_write(struct engine *e, int rank, struct jsonw *result)
{
    const struct tier_level *level = &e->program->tiers.levels[rank];
    jsonw_key(result, "tier_upgrade");
    jsonw_text(result, "{\"tier\":");
    jsonw_cstring(result, level->id);
    jsonw_text(result, ",\"name\":");
    jsonw_cstring(result, level->name);
    jsonw_text(result, "}");
}

enum fid_status due_customer(struct engine *e, struct customer *c, int64_t t,
                             struct due_report *report, struct fid_error *err)
{
    /* Each walks the customer's open lots, which a regular who keeps a balance holds by the
     * hundred: only when one may be due (pending lots hold points_pending, verify checks it). */
    enum fid_status st = c->points_pending != 0 ? confirm_pending(e, c, t, report, err) : FID_OK;
    /* lots expire at their own dates up to the balance's deadline when it is past: there the
     * whole balance expired, lots dated later with it */
    int64_t deadline = inactivity_deadline(e, c);
    if (st == FID_OK && e->lots_expire)
        st = expire_lots(e, c, deadline != 0 && deadline < t ? deadline : t, 0, report, err);
    deadline = inactivity_deadline(e, c);
    if (st == FID_OK && deadline != 0 && deadline <= t) {
        st = expire_lots(e, c, t, deadline, report, err);
        if (st == FID_OK && c->points_pending != 0)
            st = doom_pending(e, c, deadline, err);
    }
    if (st == FID_OK)
        st = review_tier(e, c, t, report, err);
    if (st != FID_OK)
        return st;
    /* Next instant anything is due for this customer. */
    int64_t next = 0;
    if ((e->lots_expire || c->points_pending != 0) &&
        (st = lots_next_due(&e->store, c, &next, err)) != FID_OK)
        return st;
    c->next_due_at = 0;
    due_note(c, next);
    due_note(c, c->tier_review_at);
    /* a deadline passed was done above: the balance expired, what was pending is doomed */
    int64_t deadline_next = inactivity_deadline(e, c);
    if (deadline_next > t)
        due_note(c, deadline_next);
    return FID_OK;
}

/* One transaction of scheduled work: up to DUE_BATCH customers due by now, and, when they were
 * the last, the vouchers. *more: customers may be left. */
static enum fid_status due_batch(struct engine *e, int64_t now, struct due_report *report,
                                 int64_t *customers, int64_t *vouchers_expired, bool *more,
                                 struct fid_error *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    enum fid_status st = store_begin(&e->store, err);
    if (st != FID_OK)
        return st;
    st = customer_due(&e->store, now, DUE_BATCH, &ids, &n, err);
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct customer c;
        if ((st = customer_find_id(&e->store, ids[i], &c, err)) != FID_OK)
            break;
        if ((st = due_customer(e, &c, now, report, err)) == FID_OK)
            st = customer_save(&e->store, &c, err);
        (*customers)++;
    }
    free(ids);
    int64_t expired = 0;
    if (st == FID_OK && n < DUE_BATCH)
        st = voucher_expire_due(&e->store, now, &expired, err);
    if (st == FID_OK)
        st = store_commit(&e->store, err);
    if (st != FID_OK) {
        store_rollback(&e->store);
        return st;
    }
    *vouchers_expired += expired;
    *more = n == DUE_BATCH;
    return FID_OK;
}

enum fid_status engine_run_due_some(struct engine *e, int64_t now, bool *more,
                                    struct fid_error *err)
{
    struct due_report report = {0};
    int64_t customers = 0, vouchers = 0;
    *more = false;
    return due_batch(e, now, &report, &customers, &vouchers, more, err);
}

enum fid_status engine_run_due(struct engine *e, int64_t now, json_t **summary,
                               struct fid_error *err)
{
    *summary = NULL;
    struct due_report report = {0};
    int64_t customers = 0, vouchers_expired = 0;
    bool more = true;
    while (more) {
        enum fid_status st = due_batch(e, now, &report, &customers, &vouchers_expired, &more, err);
        if (st != FID_OK)
            return st;
    }
    char at[FID_TIME_ISO_MAX];
    fid_time_format(now, at);
    *summary = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "now", at, "customers_processed",
        (json_int_t)customers, "lots_confirmed", (json_int_t)report.lots_confirmed,
        "points_confirmed", (json_int_t)report.points_confirmed, "lots_expired",
        (json_int_t)report.lots_expired, "points_expired", (json_int_t)report.points_expired,
        "tier_changes", (json_int_t)report.tier_changes, "vouchers_expired",
        (json_int_t)vouchers_expired);
    return FID_OK;
}
