/*
 * Property test of the engine: group commit gives the same result as one event per transaction.
 * For each seed a generator (xorshift, its own state) writes a random but valid history over two
 * years for ~30 customers: enrolments, orders, partial and full refunds, redemptions (some
 * unaffordable), voucher uses (some twice), adjustments, VIP payments, replays and key conflicts,
 * with run_due at a few points. The same history goes to two SQLite files: (a) in batches, each
 * one engine_apply call in ENGINE_EACH_ON_ITS_OWN mode (every other batch as text, through
 * engine_apply_text), and (b) one event per engine_apply call in ENGINE_ALL_OR_NOTHING mode.
 * Then:
 *   - every event's result is the same JSON in both (failures included);
 *   - each event's outcome is one the generator allowed (valid events apply; only redemptions,
 *     second voucher uses, debits and conflicts may fail, and only for the expected reason);
 *   - run_due summaries are the same at every point;
 *   - at the end, the ledger, lots, lot uses, customers, stamp balances, vouchers, orders,
 *     refunds, VIP payments and idempotency records (without applied_at) are identical, read
 *     with sqlite3, and engine_verify finds nothing in either;
 *   - after every batch, no balance is negative when the programme forbids debts;
 *   - running run_due twice at the same instant changes nothing.
 * The generator runs in lock-step with the engine (voucher codes are learnt after each batch);
 * engine_options.seed makes the codes the same in both files. Over all seeds, coverage counters
 * prove that the histories reached every feature. Every failure message names the seed;
 * FIDELE_PROPERTY_SEED=N replays one seed, FIDELE_PROPERTY_SEEDS=N changes how many run.
 */
#include "../unit_support.h"

#include <sqlite3.h>
#include <unistd.h>

#include "engine/engine.h"

#define N_CUSTOMERS     30
#define N_NEVER_ENROL   5 /* the last customers only ever buy as non-members */
#define EVENTS_PER_SEED 200
#define BATCH_MIN       10
#define BATCH_MAX       60
#define DEFAULT_SEEDS   20
#define HISTORY_SECONDS (2 * 365 * 86400LL)
#define START_AT        1704067200LL /* 2024-01-01T00:00:00Z */
#define MAX_LINES       4
#define REF_MAX         24

/* The programme exercises everything the engine does with an order: multipliers by time window,
 * category, SKU and channel, two stamp cards (one paying a stamp-priced reward), tiers on spend
 * with a multiplier, VIP plans welcoming with a voucher or a cashback credit, pending points,
 * per-lot expiry, cashback,
 * credit of past orders, rewards limited by tier, VIP and stock, paid in points, stamps or
 * cashback, and an unaffordable reward. */
#define PROGRAM_TEXT(allow_negative)                                                               \
    "{\"earning\": {\"points\": 10, \"per_minor\": 100, \"rounding\": \"floor\","                  \
    " \"first_order_bonus\": 20, \"multipliers\": ["                                               \
    "  {\"id\": \"quiet-afternoon\", \"factor_pct\": 200, \"weekdays\": [\"mon\", \"tue\","        \
    "   \"wed\", \"thu\", \"fri\"], \"hours\": {\"from\": \"14:00\", \"to\": \"16:00\"}},"         \
    "  {\"id\": \"beans\", \"factor_pct\": 150, \"categories\": [\"beans\"]},"                     \
    "  {\"id\": \"giftbox\", \"factor_pct\": 300, \"skus\": [\"GIFTBOX\"]},"                       \
    "  {\"id\": \"online\", \"factor_pct\": 120, \"channels\": [\"online\"]}]},"                   \
    " \"enrolment\": {\"bonus_points\": 50, \"quick_bonus_points\": 120, \"quick_hours\": 24,"     \
    "  \"credit_past_orders\": true},"                                                             \
    " \"stamp_cards\": ["                                                                          \
    "  {\"id\": \"coffee\", \"stamps_required\": 6, \"reward\": \"free-coffee\", \"per\": "        \
    "\"unit\", \"categories\": [\"coffee\"]},"                                                     \
    "  {\"id\": \"visits\", \"stamps_required\": 4, \"reward\": \"five-off\", \"per\": "           \
    "\"order_above\", \"min_amount_minor\": 1500}],"                                               \
    " \"tiers\": {\"metric\": \"spend\", \"window\": \"rolling_12_months\", \"grace_days\": 30,"   \
    "  \"levels\": [{\"id\": \"silver\", \"threshold\": 15000, \"multiplier_pct\": 110},"          \
    "   {\"id\": \"gold\", \"threshold\": 45000, \"multiplier_pct\": 125}]},"                      \
    " \"vip_plans\": [{\"id\": \"club\", \"price_minor\": 2900, \"period\": \"month\","            \
    "  \"multiplier_pct\": 150, \"welcome_reward\": \"free-delivery\", \"free_delivery\": true},"  \
    "  {\"id\": \"cash-club\", \"price_minor\": 2900, \"period\": \"month\","                      \
    "  \"welcome_reward\": \"cash-3\"}],"                                                          \
    " \"rewards\": ["                                                                              \
    "  {\"id\": \"free-coffee\", \"kind\": \"free_product\", \"sku\": \"ESPRESSO\", "              \
    "\"value_minor\": 250, \"cost_points\": 250, \"valid_days\": 200},"                            \
    "  {\"id\": \"coffee-stamps\", \"kind\": \"free_product\", \"sku\": \"ESPRESSO\", "            \
    "\"value_minor\": 250, \"cost_stamps\": 3, \"stamp_card\": \"coffee\", \"valid_days\": 120},"  \
    "  {\"id\": \"five-off\", \"kind\": \"fixed_discount\", \"value_minor\": 500, "                \
    "\"cost_points\": 500, \"valid_days\": 365},"                                                  \
    "  {\"id\": \"gold-gift\", \"kind\": \"experience\", \"cost_points\": 800, "                   \
    "\"tiers\": [\"gold\"], \"stock\": 4},"                                                        \
    "  {\"id\": \"vip-cinema\", \"kind\": \"partner_offer\", \"cost_points\": 300, "               \
    "\"vip_only\": true, \"valid_days\": 150},"                                                    \
    "  {\"id\": \"cash-3\", \"kind\": \"cashback_credit\", \"value_minor\": 300, "                 \
    "\"cost_points\": 400},"                                                                       \
    "  {\"id\": \"free-delivery\", \"kind\": \"free_delivery\", \"cost_points\": 200, "            \
    "\"valid_days\": 365},"                                                                        \
    "  {\"id\": \"cashback-ten\", \"kind\": \"fixed_discount\", \"value_minor\": 1000, "           \
    "\"cost_cashback_minor\": 250, \"valid_days\": 200},"                                          \
    "  {\"id\": \"spa-day\", \"kind\": \"experience\", \"cost_points\": 40000}],"                  \
    " \"expiry\": {\"mode\": \"per_lot\", \"months\": 9},"                                         \
    " \"pending_days\": 14,"                                                                       \
    " \"refunds\": {\"allow_negative_balance\": " allow_negative "},"                              \
    " \"cashback\": {\"percent_bp\": 200}}"

static const char *const REWARDS[] = {"free-coffee",   "coffee-stamps", "five-off",
                                      "gold-gift",     "vip-cinema",    "cash-3",
                                      "free-delivery", "cashback-ten",  "spa-day"};

struct product {
    const char *sku, *category;
    int64_t price;
};

static const struct product PRODUCTS[] = {
    {"ESPRESSO", "coffee", 250},
    {"LATTE", "coffee", 380},
    {"BEANS-1KG", "beans", 2400},
    {"GIFTBOX", "gifts", 4500},
    {"CROISSANT", "pastry", 180},
    {"MUG", "merch", 1200},
    {"TEA", "", 320},
};

/* ---- the generator's randomness: the project's seeded fid_rng ---------------------------------
 */

struct prng {
    struct fid_rng *rng;
};

static int64_t prng_below(struct prng *r, int64_t n)
{
    return (int64_t)fid_rng_below(r->rng, (uint64_t)n);
}

static bool prng_chance(struct prng *r, int percent)
{
    return prng_below(r, 100) < percent;
}

/* ---- the generator's model ------------------------------------------------------------------- */

enum expect {
    EXPECT_APPLIED,    /* a valid event: must apply */
    EXPECT_REPLAYED,   /* same key and body as an applied event */
    EXPECT_REDEEM,     /* applied, or refused as insufficient (points, stamps, stock) or state */
    EXPECT_DEBIT,      /* applied, or refused as insufficient */
    EXPECT_USED_TWICE, /* the voucher's second use: invalid_state */
    EXPECT_EXPIRED,    /* a voucher used on or after its validity: invalid_state */
    EXPECT_CONFLICT,   /* an applied key with another body */
    EXPECT_INPUT,      /* refused as invalid input: a VIP refund of more than is left */
};

struct sim_order {
    char ref[REF_MAX];
    int64_t paid, refunded;
    size_t n_lines;
    const struct product *product[MAX_LINES];
    int64_t quantity[MAX_LINES], refunded_units[MAX_LINES];
    int refund_mode; /* 0 none yet, 1 by amount, 2 by lines: never both, so no refund overshoots */
    bool done;
};

struct sim_voucher {
    char code[FID_CODE_MAX];
    char event_key[32]; /* the event that issued it: a VIP welcome's payment */
    int64_t valid_until;
    int uses;
};

struct sim_vip_payment {
    char key[32];
    int customer;
    int64_t paid, refunded;
};

struct sim {
    struct prng rng;
    uint64_t seed;
    const char *variant;
    int64_t clock;
    int n_events;
    bool member[N_CUSTOMERS];
    int64_t enrolled_at[N_CUSTOMERS];
    struct sim_order *orders;
    size_t n_orders, orders_cap;
    struct sim_voucher *vouchers;
    size_t n_vouchers, vouchers_cap;
    struct sim_vip_payment *vip_payments;
    size_t n_vip_payments, vip_payments_cap;
    json_t *applied; /* events that applied: replayed or reused with another body later */
};

/* Across seeds: proof that the histories reached every feature. */
struct coverage {
    int64_t events, failures, redeem_refused, redeem_applied, vouchers_used, vouchers_twice,
        vouchers_expired_use, replays, conflicts, debits_refused, refunds, full_refunds,
        expired_entries, expiries_given_back, confirmed_entries, clawbacks, stamp_card_vouchers,
        stamp_redemptions, cashback_redemptions, vip_vouchers, tier_upgrades, past_orders_credited,
        negative_seen, forgiven, run_due_calls, vip_refunds, vip_refunds_refused,
        vip_vouchers_withdrawn, vip_credits, vip_credits_taken_back, multiplier_hits[4];
};

#define SEED_FAIL(sim, ...)                                                                        \
    do {                                                                                           \
        print_error("[seed %llu, %s] ", (unsigned long long)(sim)->seed, (sim)->variant);          \
        print_error(__VA_ARGS__);                                                                  \
        print_error("\n  replay with FIDELE_PROPERTY_SEED=%llu\n",                                 \
                    (unsigned long long)(sim)->seed);                                              \
        fail();                                                                                    \
    } while (0)

static void ref_of(char out[REF_MAX], int customer)
{
    snprintf(out, REF_MAX, "c%02d", customer);
}

static json_t *event_base(struct sim *s, const char *type)
{
    char key[32], at[FID_TIME_ISO_MAX];
    snprintf(key, sizeof key, "s%llu-e%05d", (unsigned long long)s->seed, s->n_events++);
    fid_time_format(s->clock, at);
    return json_pack("{s:s, s:s, s:s}", "type", type, "key", key, "at", at);
}

static json_t *gen_enrol(struct sim *s, int customer)
{
    char ref[REF_MAX];
    ref_of(ref, customer);
    json_t *ev = event_base(s, "enrol");
    json_object_set_new(ev, "customer", json_string(ref));
    if (prng_chance(&s->rng, 60)) {
        char email[64];
        snprintf(email, sizeof email, "%s@Example.org", ref);
        json_object_set_new(ev, "email", json_string(email));
        json_object_set_new(ev, "consents", json_pack("[s]", "email"));
    }
    if (prng_chance(&s->rng, 30))
        json_object_set_new(ev, "locale", json_string("en"));
    s->member[customer] = true;
    s->enrolled_at[customer] = s->clock;
    return ev;
}

/* Regulars and occasional customers: the lower of two draws favours low indices. */
static int skewed(struct prng *r, int n)
{
    int a = (int)prng_below(r, n), b = (int)prng_below(r, n);
    return a < b ? a : b;
}

static json_t *gen_order(struct sim *s)
{
    struct prng *r = &s->rng;
    int customer = skewed(r, N_CUSTOMERS);
    char ref[REF_MAX];
    ref_of(ref, customer);
    xgrow((void **)&s->orders, &s->orders_cap, s->n_orders + 1, sizeof *s->orders);
    struct sim_order *o = &s->orders[s->n_orders++];
    memset(o, 0, sizeof *o);
    snprintf(o->ref, sizeof o->ref, "o%05zu", s->n_orders);
    json_t *ev = event_base(s, "order");
    bool online = prng_chance(r, 40);
    json_object_set_new(ev, "customer", json_string(ref));
    json_object_set_new(ev, "order_id", json_string(o->ref));
    json_object_set_new(ev, "channel", json_string(online ? "online" : "store"));
    /* Distinct products per order, so that a refund by SKU names exactly one line. */
    bool used[N_ELEMENTS(PRODUCTS)] = {false};
    o->n_lines = 1 + (size_t)prng_below(r, MAX_LINES);
    json_t *lines = json_array();
    int64_t gross = 0;
    for (size_t i = 0; i < o->n_lines; i++) {
        size_t p;
        do
            p = (size_t)prng_below(r, (int64_t)N_ELEMENTS(PRODUCTS));
        while (used[p]);
        used[p] = true;
        o->product[i] = &PRODUCTS[p];
        o->quantity[i] = 1 + prng_below(r, 3);
        gross += o->quantity[i] * PRODUCTS[p].price;
        json_t *line = json_pack("{s:s, s:I, s:I}", "sku", PRODUCTS[p].sku, "quantity",
                                 (json_int_t)o->quantity[i], "unit_price_minor",
                                 (json_int_t)PRODUCTS[p].price);
        if (PRODUCTS[p].category[0])
            json_object_set_new(line, "category", json_string(PRODUCTS[p].category));
        json_array_append_new(lines, line);
    }
    json_object_set_new(ev, "lines", lines);
    int64_t discount = prng_chance(r, 20) ? prng_below(r, gross / 5 + 1) : 0;
    int64_t shipping = online && prng_chance(r, 60) ? 490 : 0;
    int64_t tax = prng_chance(r, 25) ? (gross - discount) / 6 : 0;
    if (discount)
        json_object_set_new(ev, "discount_minor", json_integer(discount));
    if (shipping)
        json_object_set_new(ev, "shipping_minor", json_integer(shipping));
    if (tax)
        json_object_set_new(ev, "tax_minor", json_integer(tax));
    o->paid = gross - discount + shipping;
    return ev;
}

/* A partial or full refund of an order with something left to refund; NULL when none. */
static json_t *gen_refund(struct sim *s, struct coverage *cov)
{
    struct prng *r = &s->rng;
    struct sim_order *o = NULL;
    for (int attempt = 0; attempt < 8 && s->n_orders > 0 && o == NULL; attempt++) {
        struct sim_order *candidate = &s->orders[prng_below(r, (int64_t)s->n_orders)];
        if (!candidate->done)
            o = candidate;
    }
    if (o == NULL)
        return NULL;
    if (o->refund_mode == 0)
        o->refund_mode = prng_chance(r, 50) ? 1 : 2;
    bool full = prng_chance(r, 35);
    json_t *ev = event_base(s, "refund");
    json_object_set_new(ev, "order_id", json_string(o->ref));
    if (o->refund_mode == 1) {
        int64_t left = o->paid - o->refunded;
        int64_t amount = full ? left : 1 + prng_below(r, left);
        o->refunded += amount;
        o->done = o->refunded == o->paid;
        json_object_set_new(ev, "amount_minor", json_integer(amount));
    } else {
        json_t *lines = json_array();
        size_t first = (size_t)prng_below(r, (int64_t)o->n_lines);
        for (size_t k = 0; k < o->n_lines; k++) {
            size_t i = (first + k) % o->n_lines;
            int64_t left = o->quantity[i] - o->refunded_units[i];
            if (left == 0)
                continue;
            int64_t take = full ? left : 1 + prng_below(r, left);
            o->refunded_units[i] += take;
            json_array_append_new(lines, json_pack("{s:s, s:I}", "sku", o->product[i]->sku,
                                                   "quantity", (json_int_t)take));
            if (!full)
                break;
        }
        json_object_set_new(ev, "lines", lines);
        o->done = true;
        for (size_t i = 0; i < o->n_lines; i++)
            o->done = o->done && o->refunded_units[i] == o->quantity[i];
    }
    cov->refunds++;
    cov->full_refunds += o->done;
    return ev;
}

/* A member, favouring the regulars; -1 when nobody has enrolled yet. */
static int pick_member(struct sim *s)
{
    int members[N_CUSTOMERS], n = 0;
    for (int c = 0; c < N_CUSTOMERS; c++)
        if (s->member[c])
            members[n++] = c;
    return n ? members[skewed(&s->rng, n)] : -1;
}

static json_t *gen_redeem(struct sim *s, int customer)
{
    char ref[REF_MAX];
    ref_of(ref, customer);
    json_t *ev = event_base(s, "redeem");
    /* now and then from a till that syncs late: dated before expiries already recorded (not
     * before the enrolment, which refuses it) */
    if (prng_chance(&s->rng, 20)) {
        char at[FID_TIME_ISO_MAX];
        int64_t late = s->clock - prng_below(&s->rng, 30 * 86400);
        fid_time_format(late > s->enrolled_at[customer] ? late : s->enrolled_at[customer], at);
        json_object_set_new(ev, "at", json_string(at));
    }
    json_object_set_new(ev, "customer", json_string(ref));
    json_object_set_new(ev, "reward",
                        json_string(REWARDS[prng_below(&s->rng, (int64_t)N_ELEMENTS(REWARDS))]));
    return ev;
}

static json_t *gen_adjustment(struct sim *s, int customer, enum expect *expect)
{
    struct prng *r = &s->rng;
    char ref[REF_MAX];
    ref_of(ref, customer);
    json_t *ev = event_base(s, "adjustment");
    json_object_set_new(ev, "customer", json_string(ref));
    int64_t roll = prng_below(r, 100), amount;
    if (roll < 70) {
        amount = 1 + prng_below(r, 300);
    } else if (roll < 85) {
        json_object_set_new(ev, "account", json_string("cashback"));
        amount = 1 + prng_below(r, 500);
    } else {
        json_object_set_new(ev, "account", json_string("stamps"));
        json_object_set_new(ev, "card", json_string(prng_chance(r, 50) ? "coffee" : "visits"));
        amount = 1 + prng_below(r, 6);
    }
    bool debit = prng_chance(r, 40);
    json_object_set_new(ev, "points", json_integer(debit ? -amount : amount));
    json_object_set_new(ev, "reason", json_string(debit ? "Correction" : "Goodwill"));
    json_object_set_new(ev, "author", json_string("property-test"));
    *expect = debit ? EXPECT_DEBIT : EXPECT_APPLIED;
    return ev;
}

static json_t *gen_vip(struct sim *s, int customer)
{
    char ref[REF_MAX];
    ref_of(ref, customer);
    int64_t periods = 1 + prng_below(&s->rng, 3);
    json_t *ev = event_base(s, "vip_payment");
    json_object_set_new(ev, "customer", json_string(ref));
    /* a third of the customers hold the plan that welcomes with a cashback credit */
    json_object_set_new(ev, "plan", json_string(customer % 3 == 0 ? "cash-club" : "club"));
    json_object_set_new(ev, "amount_minor", json_integer(2900 * periods));
    json_object_set_new(ev, "periods", json_integer(periods));
    xgrow((void **)&s->vip_payments, &s->vip_payments_cap, s->n_vip_payments + 1,
          sizeof *s->vip_payments);
    struct sim_vip_payment *p = &s->vip_payments[s->n_vip_payments++];
    snprintf(p->key, sizeof p->key, "%s", json_string_value(json_object_get(ev, "key")));
    p->customer = customer;
    p->paid = 2900 * periods;
    p->refunded = 0;
    return ev;
}

/* A refund of a VIP payment: in part, of what is left, or (refused) of more than is left. NULL
 * when no payment has anything left to refund. */
static json_t *gen_vip_refund(struct sim *s, enum expect *expect)
{
    struct prng *r = &s->rng;
    struct sim_vip_payment *p = NULL;
    for (int attempt = 0; attempt < 8 && p == NULL && s->n_vip_payments > 0; attempt++) {
        struct sim_vip_payment *candidate =
            &s->vip_payments[prng_below(r, (int64_t)s->n_vip_payments)];
        if (candidate->refunded < candidate->paid)
            p = candidate;
    }
    if (p == NULL)
        return NULL;
    char ref[REF_MAX];
    ref_of(ref, p->customer);
    int64_t left = p->paid - p->refunded, roll = prng_below(r, 100);
    int64_t amount = roll < 15   ? left + 1 + prng_below(r, 100)
                     : roll < 55 ? left
                                 : 1 + prng_below(r, left);
    json_t *ev = event_base(s, "vip_refund");
    json_object_set_new(ev, "customer", json_string(ref));
    json_object_set_new(ev, "payment", json_string(p->key));
    json_object_set_new(ev, "amount_minor", json_integer(amount));
    *expect = amount > left ? EXPECT_INPUT : EXPECT_APPLIED;
    if (amount > left)
        return ev;
    p->refunded += amount;
    /* refunded in full: its welcome voucher, unused, is taken back (one issued in this batch is
     * learnt from the file, withdrawn, afterwards) */
    for (size_t i = 0; p->refunded == p->paid && i < s->n_vouchers; i++)
        if (strcmp(s->vouchers[i].event_key, p->key) == 0 && s->vouchers[i].uses == 0 &&
            s->vouchers[i].valid_until > s->clock)
            s->vouchers[i].valid_until = s->clock;
    return ev;
}

/* A voucher use: mostly a fresh voucher, sometimes one already used. NULL when none is known. */
static json_t *gen_voucher_use(struct sim *s, enum expect *expect)
{
    struct prng *r = &s->rng;
    if (s->n_vouchers == 0)
        return NULL;
    bool twice = prng_chance(r, 25);
    struct sim_voucher *v = NULL;
    /* Mostly among the latest vouchers: older ones have usually lapsed. */
    int64_t window = prng_chance(r, 80) && s->n_vouchers > 12 ? 12 : (int64_t)s->n_vouchers;
    for (int attempt = 0; attempt < 12 && v == NULL; attempt++) {
        struct sim_voucher *candidate =
            &s->vouchers[s->n_vouchers - 1 - (size_t)prng_below(r, window)];
        if ((candidate->uses > 0) == twice)
            v = candidate;
    }
    if (v == NULL)
        return NULL;
    json_t *ev = event_base(s, "voucher_use");
    json_object_set_new(ev, "code", json_string(v->code));
    if (s->n_orders > 0 && prng_chance(r, 50))
        json_object_set_new(ev, "order_id",
                            json_string(s->orders[prng_below(r, (int64_t)s->n_orders)].ref));
    *expect = v->uses > 0                  ? EXPECT_USED_TWICE
              : s->clock >= v->valid_until ? EXPECT_EXPIRED
                                           : EXPECT_APPLIED;
    if (*expect == EXPECT_APPLIED)
        v->uses++;
    return ev;
}

/* The same key as an applied event: its body again (a replay), or another body (a conflict). */
static json_t *gen_repeat(struct sim *s, bool conflict)
{
    size_t n = json_array_size(s->applied);
    if (n == 0)
        return NULL;
    json_t *original = json_array_get(s->applied, (size_t)prng_below(&s->rng, (int64_t)n));
    if (!conflict)
        return json_incref(original);
    json_t *ev = json_deep_copy(original);
    json_object_set_new(ev, "at", json_string("2099-01-01T00:00:00Z"));
    return ev;
}

/* Appends one event to batch and its expectation to expects; may pick another kind when the
 * drawn kind has nothing to act on yet. */
static void gen_event(struct sim *s, json_t *batch, enum expect *expects, struct coverage *cov)
{
    struct prng *r = &s->rng;
    s->clock += prng_below(r, 2 * HISTORY_SECONDS / EVENTS_PER_SEED);
    for (;;) {
        int64_t roll = prng_below(r, 100);
        enum expect expect = EXPECT_APPLIED;
        json_t *ev = NULL;
        int member = pick_member(s);
        if (roll < 8) {
            int candidate = (int)prng_below(r, N_CUSTOMERS - N_NEVER_ENROL);
            if (!s->member[candidate])
                ev = gen_enrol(s, candidate);
        } else if (roll < 50) {
            ev = gen_order(s);
        } else if (roll < 60) {
            ev = gen_refund(s, cov);
        } else if (roll < 73) {
            if (member >= 0) {
                ev = gen_redeem(s, member);
                expect = EXPECT_REDEEM;
            }
        } else if (roll < 84) {
            ev = gen_voucher_use(s, &expect);
        } else if (roll < 91) {
            if (member >= 0)
                ev = gen_adjustment(s, member, &expect);
        } else if (roll < 94) {
            if (member >= 0)
                ev = gen_vip(s, member);
        } else if (roll < 96) {
            ev = gen_vip_refund(s, &expect);
        } else if (roll < 99) {
            ev = gen_repeat(s, false);
            expect = EXPECT_REPLAYED;
        } else {
            ev = gen_repeat(s, true);
            expect = EXPECT_CONFLICT;
        }
        if (ev == NULL)
            continue;
        expects[json_array_size(batch)] = expect;
        json_array_append_new(batch, ev);
        return;
    }
}

/* ---- applying and comparing ------------------------------------------------------------------ */

struct side {
    char path[512];
    struct engine *engine;
};

static void remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < N_ELEMENTS(suffixes); i++) {
        char file[600];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

/* Creates the merchant once per programme variant: seeds copy the file. */
static void create_template(const char *path, bool allow_negative)
{
    remove_db(path);
    struct merchant_setup setup = {
        .name = "Property cafe",
        .currency = "EUR",
        .timezone = "Europe/Paris",
        .locale = "fr",
        .program_text = allow_negative ? PROGRAM_TEXT("true") : PROGRAM_TEXT("false"),
    };
    struct fid_error err;
    int64_t merchant_id = 0;
    if (engine_create_merchant(path, &setup, START_AT, &merchant_id, &err) != FID_OK) {
        print_error("engine_create_merchant(%s): %s %s\n", path, err.field, err.message);
        fail();
    }
}

static void copy_file(struct sim *s, const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[16384];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok)
        SEED_FAIL(s, "cannot copy %s to %s", from, to);
}

static void open_side(struct sim *s, struct side *side, const char *dir, const char *name,
                      const char *template_path)
{
    snprintf(side->path, sizeof side->path, "%s/%s", dir, name);
    remove_db(side->path); /* left over by a failed seed */
    copy_file(s, template_path, side->path);
    struct fid_error err;
    uint64_t engine_seed = s->seed * 7919 + 17;
    struct engine_options options = {
        .db_path = side->path, .durability = DB_DURABILITY_NORMAL, .seed = &engine_seed};
    if (engine_open(&options, &side->engine, &err) != FID_OK)
        SEED_FAIL(s, "engine_open(%s): %s", side->path, err.message);
}

static void close_side(struct side *side)
{
    engine_close(side->engine);
    side->engine = NULL;
    remove_db(side->path);
}

/* Applies one event alone, in all-or-nothing mode; a refusal becomes the same error object
 * each-on-its-own mode reports ({"key", "status": "error", "error": {type, field, message}}). */
static json_t *apply_single(struct sim *s, struct side *side, const json_t *ev, int64_t now)
{
    json_t *one = json_pack("[O]", ev);
    json_t *results = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st =
        engine_apply(side->engine, one, now, ENGINE_ALL_OR_NOTHING, &results, &err);
    json_decref(one);
    if (st == FID_OK) {
        json_t *result = json_incref(json_array_get(results, 0));
        json_decref(results);
        return result;
    }
    if (st == FID_ERR_DB || st == FID_ERR_INTERNAL || st == FID_ERR_IO)
        SEED_FAIL(s, "single apply of %s failed: %s (%s)",
                  json_string_value(json_object_get(ev, "key")), fid_status_name(st), err.message);
    /* All-or-nothing names the failing event "/0" in front of its field. */
    const char *field = err.field;
    if (strncmp(field, "/0", 2) == 0 && (field[2] == '\0' || field[2] == '/'))
        field += 2;
    return json_pack("{s:O, s:s, s:{s:s, s:s, s:s}}", "key", json_object_get(ev, "key"), "status",
                     "error", "error", "type", fid_status_name(st), "field", field, "message",
                     err.message);
}

static char *json_text(const json_t *value)
{
    return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
}

static const char *error_type(const json_t *result)
{
    return json_string_value(json_object_get(json_object_get(result, "error"), "type"));
}

/* Checks one event's outcome against what the generator expected, and counts coverage. */
static void check_outcome(struct sim *s, const json_t *ev, enum expect expect, const json_t *result,
                          struct coverage *cov)
{
    const char *status = json_string_value(json_object_get(result, "status"));
    const char *type = error_type(result);
    bool applied = status && strcmp(status, "applied") == 0;
    bool ok;
    switch (expect) {
    case EXPECT_APPLIED:
        ok = applied;
        break;
    case EXPECT_REPLAYED:
        ok = status && strcmp(status, "replayed") == 0;
        break;
    case EXPECT_REDEEM:
        ok = applied ||
             (type && (strcmp(type, "insufficient") == 0 || strcmp(type, "invalid_state") == 0));
        break;
    case EXPECT_DEBIT:
        ok = applied || (type && strcmp(type, "insufficient") == 0);
        break;
    case EXPECT_USED_TWICE:
    case EXPECT_EXPIRED:
        ok = type && strcmp(type, "invalid_state") == 0;
        break;
    case EXPECT_CONFLICT:
        ok = type && strcmp(type, "conflict") == 0;
        break;
    case EXPECT_INPUT:
        ok = type && strcmp(type, "invalid_input") == 0;
        break;
    default:
        ok = false;
    }
    if (!ok) {
        char *ev_text = json_text(ev), *result_text = json_text(result);
        print_error("event %s\nresult %s\n", ev_text, result_text);
        free(ev_text);
        free(result_text);
        SEED_FAIL(s, "unexpected outcome (expectation %d) for event %s", (int)expect,
                  json_string_value(json_object_get(ev, "key")));
    }
    cov->events++;
    cov->failures += !applied && expect != EXPECT_REPLAYED;
    if (applied && expect != EXPECT_CONFLICT)
        json_array_append(s->applied, (json_t *)ev);
    const char *ev_type = json_string_value(json_object_get(ev, "type"));
    if (expect == EXPECT_REDEEM) {
        cov->redeem_applied += applied;
        cov->redeem_refused += !applied;
    }
    cov->debits_refused += expect == EXPECT_DEBIT && !applied;
    cov->vouchers_used += applied && strcmp(ev_type, "voucher_use") == 0;
    cov->vouchers_twice += expect == EXPECT_USED_TWICE;
    cov->vouchers_expired_use += expect == EXPECT_EXPIRED;
    cov->replays += expect == EXPECT_REPLAYED;
    cov->conflicts += expect == EXPECT_CONFLICT;
    cov->vip_refunds += applied && strcmp(ev_type, "vip_refund") == 0;
    cov->vip_refunds_refused += expect == EXPECT_INPUT;
    cov->tier_upgrades += applied && json_object_get(result, "tier_upgrade") != NULL;
    cov->past_orders_credited += applied && json_object_get(result, "past_orders_credited");
    cov->forgiven += applied && json_integer_value(json_object_get(result, "points_forgiven")) > 0;
}

/* ---- reading the files with sqlite3 ---------------------------------------------------------- */

struct table_dump {
    const char *name;
    const char *sql;
};

/* Every stored table a history writes, in a stable order, without the apply clock. */
static const struct table_dump DUMPS[] = {
    {"customers", "SELECT * FROM customers ORDER BY merchant_id, id"},
    {"ledger", "SELECT * FROM ledger ORDER BY merchant_id, id"},
    {"lots", "SELECT * FROM lots ORDER BY merchant_id, id"},
    {"lot_uses", "SELECT * FROM lot_uses ORDER BY merchant_id, ledger_id, lot_id"},
    {"stamp_balances", "SELECT * FROM stamp_balances ORDER BY merchant_id, customer_id, card_id"},
    {"vouchers", "SELECT * FROM vouchers ORDER BY merchant_id, code"},
    {"orders", "SELECT * FROM orders ORDER BY merchant_id, id"},
    {"refunds", "SELECT * FROM refunds ORDER BY merchant_id, id"},
    {"vip_payments", "SELECT * FROM vip_payments ORDER BY merchant_id, id"},
    {"tier_changes", "SELECT * FROM tier_changes ORDER BY merchant_id, id"},
    {"events", "SELECT merchant_id, key, digest, type, at, result FROM events "
               "ORDER BY merchant_id, key"},
};

struct text {
    char *data;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    xgrow((void **)&t->data, &t->cap, t->len + n + 1, 1);
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static sqlite3 *open_read(struct sim *s, const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        SEED_FAIL(s, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
    return db;
}

/* One line per row, every column tagged with its type so that 1 and '1' differ. */
static char *dump_table(struct sim *s, sqlite3 *db, const struct table_dump *table)
{
    struct text out = {0};
    text_add(&out, "", 0);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, table->sql, -1, &stmt, NULL) != SQLITE_OK)
        SEED_FAIL(s, "dump of %s: %s", table->name, sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            char cell[64];
            int n;
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_NULL:
                n = snprintf(cell, sizeof cell, "%sNULL", c ? "|" : "");
                break;
            case SQLITE_INTEGER:
                n = snprintf(cell, sizeof cell, "%si:%lld", c ? "|" : "",
                             (long long)sqlite3_column_int64(stmt, c));
                break;
            default:
                n = snprintf(cell, sizeof cell, "%st:", c ? "|" : "");
                break;
            }
            text_add(&out, cell, (size_t)n);
            if (sqlite3_column_type(stmt, c) == SQLITE_TEXT)
                text_add(&out, (const char *)sqlite3_column_text(stmt, c),
                         (size_t)sqlite3_column_bytes(stmt, c));
        }
        text_add(&out, "\n", 1);
    }
    if (rc != SQLITE_DONE)
        SEED_FAIL(s, "dump of %s: %s", table->name, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return out.data;
}

/* Prints the first line where two dumps differ. */
static void report_difference(const char *name, const char *a, const char *b)
{
    int line = 1;
    while (*a && *a == *b) {
        line += *a == '\n';
        a++;
        b++;
    }
    while (line > 1 && a[-1] != '\n') {
        a--;
        b--;
    }
    int la = (int)strcspn(a, "\n"), lb = (int)strcspn(b, "\n");
    print_error("%s differs at row %d:\n  batched: %.*s\n  single:  %.*s\n", name, line, la, a, lb,
                b);
}

static void compare_files(struct sim *s, const struct side *a, const struct side *b,
                          const char *when)
{
    sqlite3 *da = open_read(s, a->path), *db = open_read(s, b->path);
    for (size_t i = 0; i < N_ELEMENTS(DUMPS); i++) {
        char *ta = dump_table(s, da, &DUMPS[i]), *tb = dump_table(s, db, &DUMPS[i]);
        bool same = strcmp(ta, tb) == 0;
        if (!same)
            report_difference(DUMPS[i].name, ta, tb);
        free(ta);
        free(tb);
        if (!same) {
            sqlite3_close(da);
            sqlite3_close(db);
            SEED_FAIL(s, "table %s differs between the batched and the single file (%s)",
                      DUMPS[i].name, when);
        }
    }
    sqlite3_close(da);
    sqlite3_close(db);
}

static int64_t query_int(struct sim *s, sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW)
        SEED_FAIL(s, "query %s: %s", sql, sqlite3_errmsg(db));
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

/* No balance below zero when the programme forbids debts; counts debts when it allows them. */
static void check_balances(struct sim *s, const struct side *side, bool allow_negative,
                           struct coverage *cov)
{
    sqlite3 *db = open_read(s, side->path);
    int64_t negative = query_int(s, db,
                                 "SELECT (SELECT COUNT(*) FROM customers WHERE points_available "
                                 "< 0 OR points_pending < 0 OR cashback_minor < 0) + (SELECT "
                                 "COUNT(*) FROM stamp_balances WHERE stamps < 0)");
    sqlite3_close(db);
    if (negative > 0 && !allow_negative)
        SEED_FAIL(s, "%lld negative balances in %s although the programme forbids debts",
                  (long long)negative, side->path);
    cov->negative_seen += negative;
}

static void check_verify(struct sim *s, const struct side *side, const char *when)
{
    json_t *violations = NULL;
    struct fid_error err;
    if (engine_verify(side->engine, &violations, &err) != FID_OK)
        SEED_FAIL(s, "engine_verify(%s) failed: %s", side->path, err.message);
    if (json_array_size(violations) > 0) {
        char *text = json_text(violations);
        print_error("violations: %.2000s\n", text);
        free(text);
        json_decref(violations);
        SEED_FAIL(s, "engine_verify finds violations in %s (%s)", side->path, when);
    }
    json_decref(violations);
}

/* Learns the vouchers issued so far (from the batched file) so later events can use them. */
static void learn_vouchers(struct sim *s, const struct side *side)
{
    sqlite3 *db = open_read(s, side->path);
    sqlite3_stmt *stmt = NULL;
    /* a voucher taken back (by a VIP refund) is used no more from that instant on */
    if (sqlite3_prepare_v2(db,
                           "SELECT code, COALESCE(withdrawn_at, valid_until), event_key FROM "
                           "vouchers ORDER BY issued_at, code",
                           -1, &stmt, NULL) != SQLITE_OK)
        SEED_FAIL(s, "listing vouchers: %s", sqlite3_errmsg(db));
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(stmt, 0);
        bool known = false;
        for (size_t i = 0; i < s->n_vouchers && !known; i++)
            known = strcmp(s->vouchers[i].code, code) == 0;
        if (known)
            continue;
        xgrow((void **)&s->vouchers, &s->vouchers_cap, s->n_vouchers + 1, sizeof *s->vouchers);
        struct sim_voucher *v = &s->vouchers[s->n_vouchers++];
        snprintf(v->code, sizeof v->code, "%s", code);
        v->valid_until = sqlite3_column_int64(stmt, 1);
        snprintf(v->event_key, sizeof v->event_key, "%s",
                 (const char *)sqlite3_column_text(stmt, 2));
        v->uses = 0;
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

/* Runs due work in both files at the clock (twice in the batched one); with check, compares the
 * files and verifies both. */
static void run_due(struct sim *s, struct side *a, struct side *b, bool check, struct coverage *cov)
{
    int64_t now = s->clock;
    json_t *sa = NULL, *sa_again = NULL, *sb = NULL;
    struct fid_error err;
    if (engine_run_due(a->engine, now, &sa, &err) != FID_OK ||
        engine_run_due(b->engine, now, &sb, &err) != FID_OK)
        SEED_FAIL(s, "engine_run_due failed: %s", err.message);
    if (!json_equal(sa, sb)) {
        char *ta = json_text(sa), *tb = json_text(sb);
        print_error("batched: %s\nsingle:  %s\n", ta, tb);
        free(ta);
        free(tb);
        SEED_FAIL(s, "run_due summaries differ");
    }
    /* Running it again at the same instant must change nothing: the files must stay equal. */
    if (engine_run_due(a->engine, now, &sa_again, &err) != FID_OK)
        SEED_FAIL(s, "engine_run_due (again) failed: %s", err.message);
    const char *counters[] = {"lots_confirmed", "lots_expired", "tier_changes", "vouchers_expired"};
    for (size_t i = 0; i < N_ELEMENTS(counters); i++)
        if (json_integer_value(json_object_get(sa_again, counters[i])) != 0)
            SEED_FAIL(s, "run_due twice at the same instant: %s = %lld the second time",
                      counters[i],
                      (long long)json_integer_value(json_object_get(sa_again, counters[i])));
    json_decref(sa);
    json_decref(sa_again);
    json_decref(sb);
    cov->run_due_calls++;
    if (!check)
        return;
    char when[64];
    fid_time_format(now, when);
    compare_files(s, a, b, when);
    check_verify(s, a, when);
    check_verify(s, b, when);
}

static void count_stored(struct sim *s, const struct side *a, struct coverage *cov)
{
    sqlite3 *db = open_read(s, a->path);
    cov->expired_entries +=
        query_int(s, db, "SELECT COUNT(*) FROM ledger WHERE kind = 'expire' AND amount < 0");
    cov->expiries_given_back +=
        query_int(s, db, "SELECT COUNT(*) FROM ledger WHERE kind = 'expire' AND amount > 0");
    cov->confirmed_entries +=
        query_int(s, db, "SELECT COUNT(*) FROM ledger WHERE kind = 'confirm'");
    cov->clawbacks += query_int(s, db, "SELECT COUNT(*) FROM ledger WHERE kind = 'clawback'");
    cov->stamp_card_vouchers +=
        query_int(s, db, "SELECT COUNT(*) FROM vouchers WHERE source = 'stamp_card'");
    cov->stamp_redemptions +=
        query_int(s, db, "SELECT COUNT(*) FROM vouchers WHERE reward_id = 'coffee-stamps'");
    cov->cashback_redemptions +=
        query_int(s, db, "SELECT COUNT(*) FROM vouchers WHERE reward_id = 'cashback-ten'");
    cov->vip_vouchers +=
        query_int(s, db, "SELECT COUNT(*) FROM vouchers WHERE source = 'vip_welcome'");
    cov->vip_vouchers_withdrawn +=
        query_int(s, db, "SELECT COUNT(*) FROM vouchers WHERE withdrawn_by IS NOT NULL");
    cov->vip_credits +=
        query_int(s, db,
                  "SELECT COUNT(*) FROM ledger WHERE account = 'cashback' AND "
                  "json_extract(explanation, '$[0].rule') = 'vip_welcome:cash-club'");
    cov->vip_credits_taken_back +=
        query_int(s, db,
                  "SELECT COUNT(*) FROM ledger WHERE account = 'cashback' AND kind = 'clawback' "
                  "AND json_extract(explanation, '$[0].rule') = 'vip_refund'");
    static const char *const multipliers[] = {
        "SELECT COUNT(*) FROM ledger WHERE explanation LIKE '%multiplier:quiet-afternoon%'",
        "SELECT COUNT(*) FROM ledger WHERE explanation LIKE '%multiplier:beans%'",
        "SELECT COUNT(*) FROM ledger WHERE explanation LIKE '%multiplier:giftbox%'",
        "SELECT COUNT(*) FROM ledger WHERE explanation LIKE '%multiplier:online%'",
    };
    for (size_t i = 0; i < N_ELEMENTS(multipliers); i++)
        cov->multiplier_hits[i] += query_int(s, db, multipliers[i]);
    sqlite3_close(db);
}

/* One seed: the whole history through both files. */
static void run_seed(const char *dir, const char *template_path, uint64_t seed, bool allow_negative,
                     struct coverage *cov)
{
    struct sim s = {.seed = seed,
                    .variant = allow_negative ? "debts allowed" : "debts forbidden",
                    .clock = START_AT,
                    .applied = json_array()};
    s.rng.rng = fid_rng_new(&seed);
    struct side a = {0}, b = {0};
    open_side(&s, &a, dir, "batched.db", template_path);
    open_side(&s, &b, dir, "single.db", template_path);
    enum expect expects[BATCH_MAX];
    for (int n_batches = 0; s.n_events < EVENTS_PER_SEED; n_batches++) {
        json_t *batch = json_array();
        int64_t size = BATCH_MIN + prng_below(&s.rng, BATCH_MAX - BATCH_MIN + 1);
        for (int64_t i = 0; i < size; i++)
            gen_event(&s, batch, expects, cov);
        json_t *results = NULL;
        struct fid_error err;
        /* Every other batch goes in as text, split and parsed by the engine. */
        char *text = n_batches % 2 ? json_dumps(batch, JSON_INDENT(1)) : NULL;
        enum fid_status st =
            text ? engine_apply_text(a.engine, text, strlen(text), s.clock, ENGINE_EACH_ON_ITS_OWN,
                                     &results, &err)
                 : engine_apply(a.engine, batch, s.clock, ENGINE_EACH_ON_ITS_OWN, &results, &err);
        free(text);
        if (st != FID_OK)
            SEED_FAIL(&s, "batched apply failed: %s %s", err.field, err.message);
        if (json_array_size(results) != json_array_size(batch))
            SEED_FAIL(&s, "%zu results for %zu events", json_array_size(results),
                      json_array_size(batch));
        for (size_t i = 0; i < json_array_size(batch); i++) {
            const json_t *ev = json_array_get(batch, i);
            int64_t at = 0;
            struct fid_error ignored;
            if (fid_time_parse(json_string_value(json_object_get(ev, "at")), NULL, &at, "at",
                               &ignored) != FID_OK)
                at = s.clock;
            json_t *single = apply_single(&s, &b, ev, at);
            const json_t *batched = json_array_get(results, i);
            if (!json_equal(batched, single)) {
                char *ta = json_text(batched), *tb = json_text(single), *te = json_text(ev);
                print_error("event   %s\nbatched %s\nsingle  %s\n", te, ta, tb);
                free(ta);
                free(tb);
                free(te);
                SEED_FAIL(&s, "results differ for event %s",
                          json_string_value(json_object_get(ev, "key")));
            }
            json_decref(single);
            check_outcome(&s, ev, expects[i], batched, cov);
        }
        json_decref(results);
        json_decref(batch);
        check_balances(&s, &a, allow_negative, cov);
        check_balances(&s, &b, allow_negative, cov);
        learn_vouchers(&s, &a);
        if (prng_chance(&s.rng, 30)) {
            s.clock += prng_below(&s.rng, 3 * 86400);
            run_due(&s, &a, &b, false, cov);
        }
    }
    /* The end of the history, and a last run_due a year later (everything has expired), after
     * which the files are compared and verified. */
    run_due(&s, &a, &b, false, cov);
    s.clock += 365 * 86400LL;
    run_due(&s, &a, &b, true, cov);
    check_balances(&s, &a, allow_negative, cov);
    count_stored(&s, &a, cov);
    close_side(&a);
    close_side(&b);
    json_decref(s.applied);
    fid_rng_free(s.rng.rng);
    free(s.orders);
    free(s.vouchers);
    free(s.vip_payments);
}

/* ---- cmocka ---------------------------------------------------------------------------------- */

struct fixture {
    char dir[512];
};

static int setup_dir(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/fidele-property-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int remove_dir(void **state)
{
    struct fixture *f = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/batched.db", f->dir);
    remove_db(path);
    snprintf(path, sizeof path, "%s/single.db", f->dir);
    remove_db(path);
    snprintf(path, sizeof path, "%s/template.db", f->dir);
    remove_db(path);
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

static void run_seeds(void **state, bool allow_negative)
{
    struct fixture *f = *state;
    struct coverage cov = {0};
    const char *one = getenv("FIDELE_PROPERTY_SEED");
    const char *count = getenv("FIDELE_PROPERTY_SEEDS");
    uint64_t first = 1, n = DEFAULT_SEEDS;
    if (one && one[0]) {
        first = strtoull(one, NULL, 10);
        n = 1;
    } else if (count && count[0]) {
        n = strtoull(count, NULL, 10);
    }
    char template_path[600];
    snprintf(template_path, sizeof template_path, "%s/template.db", f->dir);
    create_template(template_path, allow_negative);
    for (uint64_t seed = first; seed < first + n; seed++)
        run_seed(f->dir, template_path, seed, allow_negative, &cov);
    remove_db(template_path);
    print_message("%s: %llu seeds, %lld events (%lld refused), %lld refunds (%lld full), "
                  "%lld redemptions applied / %lld refused, %lld vouchers used, %lld used twice, "
                  "%lld used late, %lld debits refused, %lld replays, %lld conflicts, "
                  "%lld run_due, %lld confirms, %lld expiries, %lld clawbacks, %lld forgiven, "
                  "%lld negative balances seen, %lld stamp-card vouchers, %lld stamp redemptions, "
                  "%lld cashback redemptions, "
                  "%lld VIP welcomes, %lld VIP refunds (%lld refused, %lld welcomes taken back), "
                  "%lld VIP welcome credits (%lld taken back), "
                  "%lld tier upgrades, %lld past-order credits, "
                  "multipliers %lld/%lld/%lld/%lld\n",
                  allow_negative ? "debts allowed" : "debts forbidden", (unsigned long long)n,
                  (long long)cov.events, (long long)cov.failures, (long long)cov.refunds,
                  (long long)cov.full_refunds, (long long)cov.redeem_applied,
                  (long long)cov.redeem_refused, (long long)cov.vouchers_used,
                  (long long)cov.vouchers_twice, (long long)cov.vouchers_expired_use,
                  (long long)cov.debits_refused, (long long)cov.replays, (long long)cov.conflicts,
                  (long long)cov.run_due_calls, (long long)cov.confirmed_entries,
                  (long long)cov.expired_entries, (long long)cov.clawbacks, (long long)cov.forgiven,
                  (long long)cov.negative_seen, (long long)cov.stamp_card_vouchers,
                  (long long)cov.stamp_redemptions, (long long)cov.cashback_redemptions,
                  (long long)cov.vip_vouchers, (long long)cov.vip_refunds,
                  (long long)cov.vip_refunds_refused, (long long)cov.vip_vouchers_withdrawn,
                  (long long)cov.vip_credits, (long long)cov.vip_credits_taken_back,
                  (long long)cov.tier_upgrades, (long long)cov.past_orders_credited,
                  (long long)cov.multiplier_hits[0], (long long)cov.multiplier_hits[1],
                  (long long)cov.multiplier_hits[2], (long long)cov.multiplier_hits[3]);
    if (n < DEFAULT_SEEDS)
        return; /* coverage is a property of the whole seed set, not of one replayed seed */
    const struct {
        const char *what;
        int64_t count;
    } reached[] = {
        {"refused redemptions", cov.redeem_refused},
        {"applied redemptions", cov.redeem_applied},
        {"vouchers used", cov.vouchers_used},
        {"vouchers used twice", cov.vouchers_twice},
        {"refused debits", cov.debits_refused},
        {"replays", cov.replays},
        {"conflicts", cov.conflicts},
        {"full refunds", cov.full_refunds},
        {"partial refunds", cov.refunds - cov.full_refunds},
        {"confirmed pending points", cov.confirmed_entries},
        {"expired lots", cov.expired_entries},
        {"expiries given back to late redemptions", cov.expiries_given_back},
        {"clawbacks", cov.clawbacks},
        {"stamp-card vouchers", cov.stamp_card_vouchers},
        {"stamp-priced redemptions", cov.stamp_redemptions},
        {"cashback-priced redemptions", cov.cashback_redemptions},
        {"VIP welcome vouchers", cov.vip_vouchers},
        {"VIP refunds", cov.vip_refunds},
        {"refused VIP refunds", cov.vip_refunds_refused},
        {"VIP welcome vouchers taken back", cov.vip_vouchers_withdrawn},
        {"VIP welcome cashback credits", cov.vip_credits},
        {"VIP welcome cashback credits taken back", cov.vip_credits_taken_back},
        {"tier upgrades", cov.tier_upgrades},
        {"past orders credited at enrolment", cov.past_orders_credited},
        {"quiet-afternoon multiplier", cov.multiplier_hits[0]},
        {"beans multiplier", cov.multiplier_hits[1]},
        {"giftbox multiplier", cov.multiplier_hits[2]},
        {"online multiplier", cov.multiplier_hits[3]},
        {allow_negative ? "negative balances" : "forgiven clawbacks",
         allow_negative ? cov.negative_seen : cov.forgiven},
    };
    for (size_t i = 0; i < N_ELEMENTS(reached); i++)
        if (reached[i].count == 0) {
            print_error("[%s, seeds %llu..%llu] the histories never produced %s\n",
                        allow_negative ? "debts allowed" : "debts forbidden",
                        (unsigned long long)first, (unsigned long long)(first + n - 1),
                        reached[i].what);
            fail();
        }
}

static void test_batched_equals_single_debts_allowed(void **state)
{
    run_seeds(state, true);
}

static void test_batched_equals_single_debts_forbidden(void **state)
{
    run_seeds(state, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batched_equals_single_debts_allowed),
        cmocka_unit_test(test_batched_equals_single_debts_forbidden),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
