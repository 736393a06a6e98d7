/*
 * Membership events: enrolment (with its welcome bonus and, when the programme says so, points
 * for orders recorded before enrolment), paid VIP plans, manual adjustments and survey answers.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/history_store.h"
#include "util/jsonread.h"
#include "util/xalloc.h"

static enum fid_status credit_past_orders(struct engine *e, struct customer *c,
                                          const struct event *ev, struct jsonw *result,
                                          struct fid_error *err)
{
    struct order_row *orders = NULL;
    size_t n = 0;
    enum fid_status st = order_uncredited(&e->store, &c->order_periods, &orders, &n, err);
    int64_t total = 0;
    bool judged_enrolment = false;
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        /* An order dated after an enrolment dated before it was a member's: it earns the bonus
         * of the tier held at its instant, judged at the enrolment and at each order before it
         * (as the enrolment judges them all after crediting them). */
        bool members = orders[i].at >= ev->at;
        if (members && !judged_enrolment) {
            judged_enrolment = true;
            st = tier_after_activity(e, c, ev->at, false, NULL, err);
        }
        if (st == FID_OK && members && i > 0 && orders[i - 1].at >= ev->at)
            st = tier_after_activity(e, c, orders[i - 1].at, false, NULL, err);
        if (st != FID_OK)
            break;
        json_t *body = NULL;
        struct jsonw ignored; /* what each past order earned: the result gives the totals */
        jsonw_init(&ignored);
        struct event *order = NULL;
        if ((st = jsonr_parse(orders[i].body, strlen(orders[i].body), &body, err)) == FID_OK &&
            (st = event_parse(body, orders[i].at, &order, err)) == FID_OK) {
            /* Earned as of the order, credited at the enrolment (the lot's life starts there),
             * or at the order when the enrolment is dated before it. */
            int64_t at = orders[i].at > ev->at ? orders[i].at : ev->at;
            /* the customer's first order earns the bonus: not the first credited when an earlier
             * one, refunded in full, is not */
            int64_t order_count = c->order_count;
            c->order_count = i == 0 && orders[i].at == c->first_order_at ? 0 : (int64_t)i + 1;
            st = credit_order(e, c, order, &orders[i], at, ev->key, &ignored, err);
            c->order_count = order_count;
            if (st == FID_OK)
                st = order_save_earning(&e->store, &c->order_periods, &orders[i], err);
            /* Refunds recorded before enrolment: the refunded part earns nothing. */
            if (st == FID_OK && orders[i].refunded_minor > 0 &&
                (st = refund_settle(e, c, &orders[i], order, at, ev->key, &ignored, err)) == FID_OK)
                st = order_save_refund(&e->store, &c->order_periods, &orders[i], err);
            total += orders[i].points_earned - orders[i].points_clawed;
        }
        json_decref(body);
        jsonw_free(&ignored);
        event_free(order);
    }
    for (size_t i = 0; i < n; i++)
        order_row_clear(&orders[i]);
    free(orders);
    if (st == FID_OK && n > 0) {
        jsonw_key(result, "past_orders_credited");
        jsonw_text(result, "{\"orders\":");
        jsonw_int(result, (int64_t)n);
        jsonw_text(result, ",\"points\":");
        jsonw_int(result, total);
        jsonw_text(result, "}");
    }
    return st;
}

/* The first customer other than `self` a look-up by e-mail or phone finds. */
struct contact_holder {
    int64_t self;
    bool found;
    bool is_member;
    char ref[sizeof((struct customer){0}).ref];
};

static int note_holder(const struct customer *c, void *context)
{
    struct contact_holder *h = context;
    if (c->id == h->self)
        return 0;
    h->found = true;
    h->is_member = c->is_member;
    snprintf(h->ref, sizeof h->ref, "%s", c->ref);
    return 1;
}

static enum fid_status contact_check(struct engine *e, int64_t self, enum customer_field field,
                                     const char *value, struct fid_error *err)
{
    if (value[0] == '\0')
        return FID_OK;
    struct contact_holder h = {.self = self};
    enum fid_status st = customer_find_by(&e->store, field, value, note_holder, &h, err);
    if (st != FID_OK || !h.found)
        return st;
    const char *what = field == CUSTOMER_EMAIL ? "e-mail" : "phone number";
    if (h.is_member)
        return fid_fail(err, FID_ERR_CONFLICT, field == CUSTOMER_EMAIL ? "/email" : "/phone",
                        "the %s \"%.80s\" is member \"%.80s\"'s already: one %s names one member",
                        what, value, h.ref, what);
    return fid_fail(err, FID_ERR_CONFLICT, field == CUSTOMER_EMAIL ? "/email" : "/phone",
                    "the %s \"%.80s\" is that of customer \"%.80s\", who bought without being a "
                    "member: enrol \"%.80s\" to keep their orders",
                    what, value, h.ref, h.ref);
}

enum fid_status engine_contact_free(struct engine *e, int64_t customer_id, const char *email,
                                    const char *phone, struct fid_error *err)
{
    enum fid_status st = contact_check(e, customer_id, CUSTOMER_EMAIL, email, err);
    if (st == FID_OK)
        st = contact_check(e, customer_id, CUSTOMER_PHONE, phone, err);
    return st;
}

/* The enrolment's bonus of `points` at `at`, explained by label (the bonus, or the larger one of
 * a member who enrols soon after buying). */
static enum fid_status welcome_credit(struct engine *e, struct customer *c, const char *label,
                                      int64_t points, int64_t at, const char *event_key,
                                      struct fid_error *err)
{
    char explanation[200];
    snprintf(explanation, sizeof explanation,
             "[{\"rule\":\"enrolment\",\"label\":\"%s\",\"points\":%lld}]", label,
             (long long)points);
    struct credit credit = {.kind = LEDGER_EARN,
                            .amount = points,
                            .at = at,
                            .event_key = event_key,
                            .explanation = explanation};
    return points_credit(e, c, &credit, NULL, err);
}

enum fid_status apply_enrol(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    const struct program *p = e->program;
    struct customer c;
    /* a number typed in national form is the merchant's country's (core/event.h) */
    char phone[FID_PHONE_MAX] = "";
    enum fid_status st =
        ev->phone[0] ? fid_phone_read(ev->phone, e->store.phone_region, phone, "/phone", err)
                     : FID_OK;
    if (st != FID_OK)
        return st;
    st = customer_find_ref(&e->store, ev->customer, &c, err);
    if (st == FID_OK && c.is_member)
        return fid_fail(err, FID_ERR_STATE, "/customer", "\"%.100s\" is already a member",
                        ev->customer);
    bool is_new = st == FID_ERR_NOT_FOUND;
    if (st != FID_OK && !is_new)
        return st;
    fid_error_clear(err);
    if ((st = engine_contact_free(e, is_new ? 0 : c.id, ev->email, phone, err)) != FID_OK)
        return st;
    if (is_new) {
        memset(&c, 0, sizeof c);
        snprintf(c.ref, sizeof c.ref, "%s", ev->customer);
        c.created_at = ev->at;
    }
    c.is_member = true;
    c.enrolled_at = ev->at;
    c.last_activity_at = ev->at > c.last_activity_at ? ev->at : c.last_activity_at;
    /* what the enrolment does not give, the customer's history may have kept (an import's
     * e-mail and phone, by which look-ups find them): kept */
    if (ev->email[0])
        snprintf(c.email, sizeof c.email, "%s", ev->email); /* in lower case (core/event.h) */
    if (phone[0])
        snprintf(c.phone, sizeof c.phone, "%s", phone);
    if (ev->name[0])
        snprintf(c.name, sizeof c.name, "%s", ev->name);
    if (ev->birthday[0])
        snprintf(c.birthday, sizeof c.birthday, "%s", ev->birthday);
    snprintf(c.locale, sizeof c.locale, "%s", ev->locale[0] ? ev->locale : e->merchant.locale);
    c.consents = ev->consents;
    c.consents_at = ev->consents ? ev->at : 0;
    fid_code_new(e->rng, 12, c.card_code);
    st = is_new ? customer_insert(&e->store, &c, err) : customer_save_profile(&e->store, &c, err);
    if (st == FID_OK && !is_new)
        st = history_promote_customer(e, &c, err);
    if (st != FID_OK)
        return st;

    bool quick = c.first_order_at != 0 && ev->at >= c.first_order_at &&
                 ev->at - c.first_order_at <= p->enrolment.quick_hours * 3600;
    int64_t bonus = quick ? p->enrolment.quick_bonus_points : p->enrolment.bonus_points;
    if ((st = welcome_credit(e, &c, quick ? e->labels->welcome_quick : e->labels->welcome, bonus,
                             ev->at, ev->key, err)) != FID_OK)
        return st;
    int rank_before = program_tier_rank(p, c.tier); /* crediting past orders may raise it */
    if (p->enrolment.credit_past_orders &&
        (st = credit_past_orders(e, &c, ev, ctx->result, err)) != FID_OK)
        return st;
    /* Enrolled at an instant before orders already recorded: they were a member's orders, and
     * the tier is judged at each of them in turn, as if they had come after the enrolment. */
    int64_t *instants = NULL;
    size_t n_instants = 0;
    if (c.last_order_at >= ev->at &&
        (st = order_mark_member(&e->store, &c.order_periods, ev->at, &instants, &n_instants,
                                err)) != FID_OK)
        return st;
    /* those orders are a member's activity (instants in time order) */
    if (n_instants > 0 && instants[n_instants - 1] > c.last_activity_at)
        c.last_activity_at = instants[n_instants - 1];
    st = tier_after_activity(e, &c, ev->at, false, NULL, err);
    for (size_t i = 0; st == FID_OK && i < n_instants; i++)
        st = tier_after_activity(e, &c, instants[i], false, NULL, err);
    free(instants);
    if (st != FID_OK)
        return st;
    if (program_tier_rank(p, c.tier) > rank_before)
        tier_upgrade_write(e, program_tier_rank(p, c.tier), ctx->result);
    due_note(&c, inactivity_deadline(e, &c));
    if ((st = customer_save(&e->store, &c, err)) != FID_OK)
        return st;
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "card_code");
    jsonw_cstring(ctx->result, c.card_code);
    jsonw_key(ctx->result, "welcome_points");
    jsonw_int(ctx->result, bonus);
    jsonw_key(ctx->result, "balance");
    engine_balance_write(e, &c, ctx->result);
    return FID_OK;
}

/* How far ahead a membership may be paid for: a century (repeated payments ran to year 11749). */
#define VIP_MONTHS_AHEAD_MAX  1200
#define VIP_SECONDS_AHEAD_MAX (100LL * 366 * 86400)

enum fid_status welcome_top_up(struct engine *e, struct customer *c, int64_t order_at,
                               const char *event_key, struct fid_error *err)
{
    const struct program *p = e->program;
    int64_t gap = p->enrolment.quick_bonus_points - p->enrolment.bonus_points;
    if (gap <= 0 || order_at > c->enrolled_at ||
        c->enrolled_at - order_at > p->enrolment.quick_hours * 3600)
        return FID_OK;
    /* a first order at or before the enrolment already: it was given the larger bonus (it was
     * in the window) or this order is not the first (it was before) */
    if (c->first_order_at != 0 && c->first_order_at <= c->enrolled_at)
        return FID_OK;
    return welcome_credit(e, c, e->labels->welcome_quick, gap, c->enrolled_at, event_key, err);
}

enum fid_status apply_vip_payment(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    const struct vip_plan *plan = program_vip_plan(e->program, ev->plan_id);
    if (plan == NULL)
        return fid_fail(err, FID_ERR_NOT_FOUND, "/plan", "no VIP plan \"%.60s\" in the programme",
                        ev->plan_id);
    if (ev->amount_minor != plan->price_minor * ev->periods)
        return fid_fail(err, FID_ERR_INPUT, "/amount_minor",
                        "paid %lld but %lld periods of %s cost %lld", (long long)ev->amount_minor,
                        (long long)ev->periods, plan->id,
                        (long long)(plan->price_minor * ev->periods));
    struct customer c;
    enum fid_status st = load_member(e, ev, &c, err);
    if (st != FID_OK || (st = vip_event_in_order(e, ev, &c, err)) != FID_OK)
        return st;
    /* paid at the instant the paid time ends (a renewal charged on time): continued, as the
     * paid time ran to then; not after a refund cut it short */
    bool renewed_on_time =
        c.vip_until != 0 && ev->at == c.vip_until && c.vip_months > 0 &&
        fid_tz_add_months(e->tz, c.vip_started_at, (int)c.vip_months) == c.vip_until;
    bool running = vip_active(&c, ev->at) || renewed_on_time;
    bool first_time = !running;
    int64_t valid_from = running ? c.vip_until : ev->at; /* the time this payment buys */
    if (!running) {                                      /* a new membership starts now */
        c.vip_started_at = ev->at;
        c.vip_months = 0;
    } else if (strcmp(c.vip_plan, plan->id) != 0) {
        /* a change of plan takes effect now and keeps the time already paid: the new plan's
         * months count from the end of it */
        c.vip_started_at = c.vip_until;
        c.vip_months = 0;
    }
    /* Counting months from the start keeps the day: paid monthly from 31 January, the
     * membership runs to 28 February, then 31 March, as twelve months paid at once would. */
    c.vip_months += ev->periods * (plan->period == VIP_PERIOD_YEAR ? 12 : 1);
    c.vip_until = fid_tz_add_months(e->tz, c.vip_started_at, (int)c.vip_months);
    if (c.vip_months > VIP_MONTHS_AHEAD_MAX || c.vip_until - ev->at > VIP_SECONDS_AHEAD_MAX)
        return fid_fail(err, FID_ERR_LIMIT, "/periods",
                        "the membership would run more than %d years ahead",
                        VIP_MONTHS_AHEAD_MAX / 12);
    snprintf(c.vip_plan, sizeof c.vip_plan, "%s", plan->id);
    if ((st = activity_at(e, &c, ev->at, ev->key, err)) != FID_OK)
        return st;
    if ((st = vip_payment_insert(&e->store, c.id, plan->id, ev->at, ev->amount_minor, ev->periods,
                                 valid_from, c.vip_until, ev->key, err)) != FID_OK)
        return st;
    struct jsonw vouchers;
    vouchers_open(&vouchers);
    if (first_time && plan->welcome_reward[0]) {
        char explanation[PROGRAM_ID_MAX * 2 + 128];
        snprintf(explanation, sizeof explanation,
                 "[{\"rule\":\"vip_welcome:%s\",\"label\":\"%s\",\"reward\":\"%s\"}]", plan->id,
                 e->labels->vip_welcome, plan->welcome_reward);
        st = reward_give(e, &c, program_reward(e->program, plan->welcome_reward),
                         VOUCHER_FROM_VIP_WELCOME, ev->at, 0, 0, ev->key, explanation, &vouchers,
                         err);
    }
    if (st == FID_OK)
        st = late_activity_lapse(e, &c, ev->at, err);
    if (st == FID_OK)
        st = customer_save(&e->store, &c, err);
    if (st != FID_OK) {
        jsonw_free(&vouchers);
        return st;
    }
    char until[FID_TIME_ISO_MAX];
    fid_time_format(c.vip_until, until);
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "plan");
    jsonw_cstring(ctx->result, plan->id);
    jsonw_key(ctx->result, "vip_until");
    jsonw_cstring(ctx->result, until);
    result_vouchers(ctx->result, &vouchers);
    return FID_OK;
}

enum fid_status apply_adjustment(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    struct customer c;
    /* An adjustment is activity, like a redemption (before a debit: it may give an expiry
     * back that the debit then spends from). */
    enum fid_status st = load_member(e, ev, &c, err);
    if (st != FID_OK || (st = activity_at(e, &c, ev->at, ev->key, err)) != FID_OK)
        return st;
    /* Room for the reason escaped at its longest: the explanation must stay whole JSON. */
    char explanation[JSONW_STRING_MAX(EVENT_TEXT_MAX) + 64];
    json_t *why = json_pack("[{s:s, s:s, s:I}]", "rule", "adjustment", "label", ev->reason,
                            "points", (json_int_t)ev->points);
    char *why_text = jsonw_dump(why);
    snprintf(explanation, sizeof explanation, "%s", why_text);
    free(why_text);
    json_decref(why);
    switch (ev->account) {
    case ADJUST_POINTS:
        if (ev->points > 0) {
            struct credit credit = {.kind = LEDGER_ADJUST,
                                    .amount = ev->points,
                                    .at = ev->at,
                                    .event_key = ev->key,
                                    .explanation = explanation,
                                    .reason = ev->reason,
                                    .author = ev->author};
            st = points_credit(e, &c, &credit, NULL, err);
        } else {
            /* dated before expiries already recorded, it takes what was valid then, as a
             * redemption does */
            struct debit debit = {.kind = LEDGER_ADJUST,
                                  .amount = -ev->points,
                                  .at = ev->at,
                                  .available_then = true,
                                  .event_key = ev->key,
                                  .explanation = explanation,
                                  .reason = ev->reason,
                                  .author = ev->author};
            st = points_debit(e, &c, &debit, NULL, err);
        }
        break;
    case ADJUST_CASHBACK:
        if (c.cashback_minor + ev->points < 0)
            return fid_fail(err, FID_ERR_INSUFFICIENT, "/points",
                            "cashback balance %lld cannot go below zero",
                            (long long)c.cashback_minor);
        st = account_move(e, &c, ACCOUNT_CASHBACK, NULL, LEDGER_ADJUST, ev->points, ev->at, 0,
                          ev->key, explanation, ev->reason, ev->author, err);
        break;
    case ADJUST_STAMPS: {
        const struct stamp_card *card = program_stamp_card(e->program, ev->card_id);
        if (card == NULL)
            return fid_fail(err, FID_ERR_NOT_FOUND, "/card", "no stamp card \"%.60s\"",
                            ev->card_id);
        int64_t count, completed;
        if ((st = stamps_get(&e->store, c.id, card->id, &count, &completed, err)) != FID_OK)
            return st;
        if (ev->points > 0) {
            struct jsonw vouchers;
            vouchers_open(&vouchers);
            struct manual_note note = {explanation, ev->reason, ev->author};
            st = stamps_earn(e, &c, card, ev->points, ev->at, 0, ev->key, &note, &vouchers, err);
            result_vouchers(ctx->result, &vouchers);
        } else if (count + ev->points < 0) {
            return fid_fail(err, FID_ERR_INSUFFICIENT, "/points", "the card holds %lld stamps",
                            (long long)count);
        } else if ((st = account_move(e, &c, ACCOUNT_STAMPS, card->id, LEDGER_ADJUST, ev->points,
                                      ev->at, 0, ev->key, explanation, ev->reason, ev->author,
                                      err)) == FID_OK) {
            st = stamps_set(&e->store, c.id, card->id, count + ev->points, completed, err);
        }
        break;
    }
    }
    /* Under inactivity expiry the balance must have its deadline scheduled: a member whose
     * balance had expired has no due work left, and points credited by hand would otherwise never
     * expire. */
    if (st == FID_OK)
        st = late_activity_lapse(e, &c, ev->at, err);
    due_note(&c, inactivity_deadline(e, &c));
    if (st == FID_OK)
        st = customer_save(&e->store, &c, err);
    if (st != FID_OK)
        return st;
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "balance");
    engine_balance_write(e, &c, ctx->result);
    return FID_OK;
}

enum fid_status apply_survey_answer(struct apply_context *ctx, struct fid_error *err)
{
    struct engine *e = ctx->engine;
    const struct event *ev = ctx->event;
    struct customer c;
    enum fid_status st = customer_find_ref(&e->store, ev->customer, &c, err);
    if (st != FID_OK)
        return st == FID_ERR_NOT_FOUND ? fid_fail(err, FID_ERR_NOT_FOUND, "/customer",
                                                  "no customer \"%.100s\"", ev->customer)
                                       : st;
    const char *survey = ev->survey == SURVEY_NPS ? "nps" : "csat";
    if ((st = survey_answer_insert(&e->store, c.id, ev->at, survey, ev->score, ev->reason, ev->key,
                                   err)) != FID_OK)
        return st;
    /* Unhappy answers (NPS detractors 0-6, CSAT 1-2) are flagged for follow-up. */
    bool unhappy = ev->survey == SURVEY_NPS ? ev->score <= 6 : ev->score <= 2;
    jsonw_key(ctx->result, "customer");
    jsonw_cstring(ctx->result, c.ref);
    jsonw_key(ctx->result, "survey");
    jsonw_cstring(ctx->result, survey);
    jsonw_key(ctx->result, "score");
    jsonw_int(ctx->result, ev->score);
    jsonw_key(ctx->result, "follow_up");
    jsonw_bool(ctx->result, unhappy);
    return FID_OK;
}
