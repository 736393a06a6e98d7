/*
 * Shared between the engine's files: the engine struct and the building blocks every event
 * handler uses (moving points through lots, stamps, cashback, issuing vouchers, due work).
 * Handlers mutate a loaded struct customer and the caller saves it once per event.
 */
#ifndef FIDELE_ENGINE_INTERNAL_H
#define FIDELE_ENGINE_INTERNAL_H

#include "core/event.h"
#include "core/labels.h"
#include "engine/engine.h"
#include "util/codes.h"
#include "util/jsonwrite.h"

struct engine {
    struct db *db;
    bool owns_db; /* false when the connection is shared (engine_options.shared_db) */
    struct store store;
    struct merchant merchant;
    int currency_digits;
    struct fid_tz *tz;
    struct program *program;
    struct fid_rng *rng;
    bool tiers_judge_every_order; /* engine_options.tiers_judge_every_order */
    bool history_refs_checked;    /* engine_history_refs_checked */
    const struct labels *labels;  /* the merchant's language, for explanations */
    /* Since when the programme's expiry rule is the current one's (0: always): a balance's
     * inactivity deadline under it is never before (program_store_expiry_history). */
    int64_t expiry_since;
    /* Whether some version expired points by lot: else no lot has an expiry date, and scheduled
     * work need not walk a customer's lots for one (program_store_expiry_history). */
    bool lots_expire;
    /* The clock of the events being applied (engine_apply's now; 0 outside it): due work may
     * have expired a balance whose deadline is before it. */
    int64_t apply_now;
    /* The journal's images, when they could not be folded (a database that cannot be written):
     * customer reads take them over the rows (store.overlay). */
    struct customer_journal *unfolded;
    /* The data version of the last read snapshot (engine_read_begin), when known. */
    uint64_t data_version;
    bool data_version_known;
    uint64_t program_seen_at; /* others_version of engine_refresh_program_since's last look */
    bool program_seen;
    /* The last tier window computed for the balance view: a server asks for the same second
     * many times, and ICU's calendar arithmetic is the view's dearest step. */
    struct {
        int64_t at, start;
        enum tier_window window;
        bool known;
    } tier_window;
};

/* What an event handler reports back: the event's result object, open, after its key, type,
 * status and time; handlers add members with jsonw_key (no key twice). */
struct apply_context {
    struct engine *engine;
    const struct event *event;
    struct jsonw *result;
};

/* A batch's results as they are written (engine/results.c): the array's text and each result's
 * place in it. result_begin starts an element (the caller writes one JSON value), result_end
 * records it; cutting text.len back before result_end forgets a partial one. */
struct results_writer {
    struct jsonw text;
    struct engine_result *items;
    size_t count, cap;
};
void results_writer_init(struct results_writer *out);
/* Empties the writer for another pass over the batch. */
void results_writer_reset(struct results_writer *out);
void results_writer_free(struct results_writer *out);
void result_begin(struct results_writer *out);
void result_end(struct results_writer *out, enum engine_outcome outcome);
/* Closes the array and moves it into results; out is left empty. */
void results_writer_finish(struct results_writer *out, struct engine_results *results);

/* Writes value as the member key of result, and releases it. */
void result_put(struct jsonw *result, const char *key, json_t *value);

/* Starts vouchers as an open array for voucher_issue. */
void vouchers_open(struct jsonw *vouchers);
/* Writes vouchers (an open array, as voucher_issue leaves it) closed as the member "vouchers" of
 * result, and frees it. */
void result_vouchers(struct jsonw *result, struct jsonw *vouchers);

/* Handlers: one per event type. They run inside the event's transaction. */
enum fid_status apply_order(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_refund(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_enrol(struct apply_context *ctx, struct fid_error *err);
/* Called before an order of member c dated at order_at is recorded (c's first_order_at still
 * the one before it): an order dated within quick_hours before the enrolment that becomes the
 * first was owed the larger welcome bonus, which an enrolment applied before it could not
 * know; the difference is credited at the enrolment's instant. */
enum fid_status welcome_top_up(struct engine *e, struct customer *c, int64_t order_at,
                               const char *event_key, struct fid_error *err);
enum fid_status apply_redeem(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_voucher_use(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_vip_payment(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_vip_refund(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_adjustment(struct apply_context *ctx, struct fid_error *err);
enum fid_status apply_survey_answer(struct apply_context *ctx, struct fid_error *err);

/* Loads the member named by the event's customer: FID_ERR_NOT_FOUND when unknown or not a
 * member. Runs the member's due work up to the event's time. */
/* A version of the merchant's programme (0: the newest), parsed; the caller frees it. */
enum fid_status engine_program_version(struct engine *e, int64_t version, struct program **out,
                                       struct fid_error *err) FID_MUST_USE;

enum fid_status load_member(struct engine *e, const struct event *ev, struct customer *member,
                            struct fid_error *err) FID_MUST_USE;

/* Credits amount points as a new lot (pending when pending is set). Repays a negative balance
 * first. *ledger_id gets the entry (may be NULL). */
struct credit {
    enum ledger_kind kind; /* LEDGER_EARN or LEDGER_ADJUST */
    int64_t amount;
    int64_t at;
    bool pending;
    int64_t order_id;
    const char *event_key;
    const char *explanation;
    const char *reason, *author;
};
enum fid_status points_credit(struct engine *e, struct customer *c, const struct credit *credit,
                              int64_t *ledger_id, struct fid_error *err) FID_MUST_USE;

/* Debits amount points from available lots, soonest expiry first (first_lot, when not 0, is taken
 * first). With allow_debt the balance may go below zero for what the lots cannot cover; without
 * it, a shortfall is FID_ERR_INSUFFICIENT. */
struct debit {
    enum ledger_kind kind; /* LEDGER_REDEEM, LEDGER_EXPIRE, LEDGER_CLAWBACK, LEDGER_ADJUST */
    int64_t amount;
    int64_t at;
    int64_t order_id;
    int64_t first_lot;
    bool allow_debt;
    bool available_then; /* only lots available at `at` (a redemption posted late) */
    const char *reward;  /* the reward a redemption pays for: a shortfall today names it */
    const char *event_key;
    const char *explanation;
    const char *reason, *author;
};
enum fid_status points_debit(struct engine *e, struct customer *c, const struct debit *debit,
                             int64_t *ledger_id, struct fid_error *err) FID_MUST_USE;

/* Takes `amount` (> 0) of cashback back from c for a refund, as the programme says of refunds:
 * all of it when debts are allowed or the balance holds it, else what the balance holds and the
 * rest forgiven. One clawback entry of the event (and order_id, 0 for none) says both, explained
 * by rule and label: an entry of 0 when all is forgiven. *taken and *forgiven get the split. */
enum fid_status cashback_clawback(struct engine *e, struct customer *c, int64_t amount, int64_t at,
                                  int64_t order_id, const char *event_key, const char *rule,
                                  const char *label, int64_t *taken, int64_t *forgiven,
                                  struct fid_error *err) FID_MUST_USE;

/* Appends a simple entry (no lots: stamps, cashback) to an account; nothing for 0. */
enum fid_status account_move(struct engine *e, struct customer *c, enum ledger_account account,
                             const char *card_id, enum ledger_kind kind, int64_t amount, int64_t at,
                             int64_t order_id, const char *event_key, const char *explanation,
                             const char *reason, const char *author,
                             struct fid_error *err) FID_MUST_USE;
/* The same, 0 included (an entry that records what was not taken, as a forgiven clawback). */
enum fid_status account_entry(struct engine *e, struct customer *c, enum ledger_account account,
                              const char *card_id, enum ledger_kind kind, int64_t amount,
                              int64_t at, int64_t order_id, const char *event_key,
                              const char *explanation, const char *reason, const char *author,
                              struct fid_error *err) FID_MUST_USE;

/* Who gave stamps by hand, and why: the entry says it (NULL for stamps an order earned). */
struct manual_note {
    const char *explanation, *reason, *author;
};

/* The most cards one event may fill: each issues a voucher or a credit (a row apiece), and a
 * till's typo of a quantity would otherwise issue thousands. */
#define STAMP_CARDS_AT_ONCE_MAX 100

/* Adds stamps on card; issues the card's reward for every full card (codes added to vouchers);
 * refused (too_large) past STAMP_CARDS_AT_ONCE_MAX full cards. */
enum fid_status stamps_earn(struct engine *e, struct customer *c, const struct stamp_card *card,
                            int64_t stamps, int64_t at, int64_t order_id, const char *event_key,
                            const struct manual_note *by_hand, struct jsonw *vouchers,
                            struct fid_error *err) FID_MUST_USE;

/* Issues a voucher for reward; adds it to vouchers (an open array) when not NULL. */
enum fid_status voucher_issue(struct engine *e, const struct customer *c,
                              const struct reward *reward, enum voucher_source source, int64_t at,
                              int64_t ledger_id, const char *event_key, struct jsonw *vouchers,
                              struct fid_error *err) FID_MUST_USE;

/* Gives a reward the member did not pay for (a full stamp card, a VIP welcome): a cashback
 * credit goes to the cashback account at once (explained by `explanation`), any other reward is
 * a voucher as voucher_issue makes it. Such gifts do not count against the reward's stock. */
enum fid_status reward_give(struct engine *e, struct customer *c, const struct reward *reward,
                            enum voucher_source source, int64_t at, int64_t ledger_id,
                            int64_t order_id, const char *event_key, const char *explanation,
                            struct jsonw *vouchers, struct fid_error *err) FID_MUST_USE;

/* Runs the customer's due work up to t (confirmations, expiry, tier review) and updates
 * next_due_at. The customer is saved by the caller. *report (may be NULL) counts what happened. */
struct due_report {
    int64_t lots_confirmed, points_confirmed;
    int64_t lots_expired, points_expired;
    int64_t tier_changes;
};
enum fid_status due_customer(struct engine *e, struct customer *c, int64_t t,
                             struct due_report *report, struct fid_error *err) FID_MUST_USE;

/* When the whole balance expires for inactivity; 0 when that rule does not apply (another expiry
 * mode, nothing to expire, no activity yet). */
int64_t inactivity_deadline(const struct engine *e, const struct customer *c);

/* An expiry entry (expiry_back.c): change < 0 expires -change points of lot at `at`, change > 0
 * gives that back; the lot's use, its remaining and c's available balance follow. */
enum fid_status expiry_entry(struct engine *e, struct customer *c, struct lot_row *lot, int64_t at,
                             int64_t change, const char *explanation, const char *event_key,
                             struct fid_error *err) FID_MUST_USE;
/* Expiries given back. Gives amount back to lot, which an expiry at `at` took
 * it from: a positive expiry entry of the event event_key at that instant. */
enum fid_status expiry_give_back(struct engine *e, struct customer *c, struct lot_row *lot,
                                 int64_t at, int64_t amount, const char *event_key,
                                 struct fid_error *err) FID_MUST_USE;
/* What expiries dated after `at` took from lots of c that were spendable at `at`, one element
 * per lot (caller frees *out): what a redemption dated `at` may spend. */
enum fid_status expired_since(struct engine *e, const struct customer *c, int64_t at,
                              struct lot_expiry **out, size_t *n,
                              struct fid_error *err) FID_MUST_USE;
/* Member activity at t: moves last_activity_at, and when t comes before a deadline for
 * inactivity that expired the balance after it (a till syncing late), gives that expiry back. */
enum fid_status activity_at(struct engine *e, struct customer *c, int64_t t, const char *event_key,
                            struct fid_error *err) FID_MUST_USE;

/* After the effects of a late activity at t (an order, a redemption, an adjustment, a VIP
 * payment dated before the customer's last activity), under inactivity expiry: when no activity
 * followed it for the programme's months, the balance as it stood at that deadline expires then
 * (later activity had moved the customer's deadline past it, so due work never would). */
enum fid_status late_activity_lapse(struct engine *e, struct customer *c, int64_t t,
                                    struct fid_error *err) FID_MUST_USE;
/* Expires the balance as it stood at `deadline`: the lots available by then (not those earned
 * since), and dooms the points then pending. */
enum fid_status expire_balance_then(struct engine *e, struct customer *c, int64_t deadline,
                                    struct fid_error *err) FID_MUST_USE;

/* Lowers next_due_at to t when t is earlier (t = 0 ignored). */
void due_note(struct customer *c, int64_t t);

/* The programme's tier metric (spend, points or orders) of a window's sum. */
int64_t tier_metric_of(const struct program *program, const struct order_share *sum);

/* Re-evaluates the tier after new activity dated `at`: upgrades at once. later_orders: also on
 * the windows ending at the orders after `at` that still hold it and at the latest order (a
 * caller judging each of them in turn passes false, and so judges the windows ending at `at`
 * alone). Adds "tier_upgrade" to result (when not NULL) on change. */
enum fid_status tier_after_activity(struct engine *e, struct customer *c, int64_t at,
                                    bool later_orders, struct jsonw *result,
                                    struct fid_error *err) FID_MUST_USE;
/* The tier the member held at t ("" when none), for the perks of an event dated t: an event
 * recorded late, dated before the last change, reads the history. */
enum fid_status tier_held(struct engine *e, const struct customer *c, int64_t t,
                          char tier[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;
/* Writes "tier_upgrade": {"tier", "name"} of the tier of that rank. */
void tier_upgrade_write(struct engine *e, int rank, struct jsonw *result);

/* Credits an order's earning (points, stamps, cashback) to member c at instant at; fills the
 * order row's earned figures and adds points, breakdown, stamps and vouchers to result. */
enum fid_status credit_order(struct engine *e, struct customer *c, const struct event *order,
                             struct order_row *row, int64_t at, const char *event_key,
                             struct jsonw *result, struct fid_error *err) FID_MUST_USE;

/* Takes back what the refunds recorded on order (refunded_minor, refunded_units) make the order
 * no longer earn: points, stamps and cashback, at instant at under event key. original is the
 * order's event. Adds what was taken to result. The caller saves the order. */
enum fid_status refund_settle(struct engine *e, struct customer *c, struct order_row *order,
                              const struct event *original, int64_t at, const char *key,
                              struct jsonw *result, struct fid_error *err) FID_MUST_USE;

/* A customer with imported history who enrols: their imported orders become rows. */
enum fid_status history_promote_customer(struct engine *e, struct customer *c,
                                         struct fid_error *err) FID_MUST_USE;
/* A refund names ref, which no row has: when the imported history holds that order, it becomes
 * a row named ref (the row an enrolment made of it takes that name); *found false when not. */
enum fid_status history_order_row(struct engine *e, const char *ref, bool *found,
                                  struct fid_error *err) FID_MUST_USE;

/* True when the customer holds an active VIP plan at t, as the customer's row says: the
 * membership a payment at t extends or replaces. */
bool vip_active(const struct customer *c, int64_t t);
/* The reward a voucher was issued as: that of the programme version its issuing ledger entry
 * records (a later version may have changed or dropped it), the current one's when it is that
 * version. *old: a version loaded for it, which the caller frees; *reward NULL when that version
 * has no such reward. */
enum fid_status voucher_reward(struct engine *e, const struct voucher *v,
                               const struct reward **reward, struct program **old,
                               struct fid_error *err) FID_MUST_USE;
/* Refuses (naming /at) a VIP payment or refund dated before the member's last VIP payment or
 * refund: a membership's time is counted from the payments in the order they came. */
enum fid_status vip_event_in_order(struct engine *e, const struct event *ev,
                                   const struct customer *c, struct fid_error *err) FID_MUST_USE;
/* The VIP plan the member held at t ("" when none), for the perks of an event dated t: an event
 * recorded late, dated before the current membership began, reads the payments. */
enum fid_status vip_plan_held(struct engine *e, const struct customer *c, int64_t t,
                              char plan[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;

#endif
