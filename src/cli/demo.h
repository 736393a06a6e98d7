/*
 * `fidele demo`, inside: the simulation that makes up a café's year (the command is cmd_demo.c).
 *
 * The generator is a small discrete-event simulation. Each local day it schedules the visits of
 * its customers (morning regulars, afternoon workers, weekend brunchers, regulars who lapse,
 * one-off buyers), pops them in time order from a heap and turns each into events: enrolment,
 * order, voucher use, redemption, and follow-ups (a quick enrolment the same evening, a partial
 * refund, a manager's goodwill adjustment, a workshop). Events go to the engine in all-or-nothing
 * batches of about DEMO_BATCH, and the results feed back what only the engine knows (balances,
 * voucher codes, tier upgrades): a redemption is generated only when the member can afford it
 * with the balance last reported minus what later redemptions already reserved, and a voucher is
 * used only after it was issued, before it lapses, at its owner's next visit. Scheduled work
 * (engine_run_due) runs at every local month start and at the end.
 *
 * Invariant: every random choice comes from one fid_rng seeded by --seed, drawn in a fixed order,
 * and no wall clock is read except to report the run time, so the same --seed and --now give the
 * same database (the engine draws card and voucher codes from the same seed). Local times become
 * UTC through Europe/Paris; each day keeps its own offset so DST days are right. Moving a draw
 * from one place to another changes every demo database: keep the order.
 *
 * The files: demo_menu.c (what the café sells and what each customer orders), demo_population.c
 * (the customers and their habits), demo_schedule.c (the calendar, each day's visits and the
 * time-ordered queue), demo_events.c (a visit and the other items turned into events),
 * demo_engine.c (the day loop, the batches and what their results teach).
 */
#ifndef FIDELE_CLI_DEMO_H
#define FIDELE_CLI_DEMO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "util/codes.h"
#include "util/error.h"

#define DEMO_BATCH      1000 /* events per engine_apply */
#define DEMO_REF_MAX    24
#define DEMO_TICKET_MAX 48
#define DEMO_BASKET_MAX 16

#define HOUR 3600
#define DAY  86400

/* Arrays only, with their size in view: a list PICK draws from lives in the file that uses it. */
#define COUNT(list)     (sizeof(list) / sizeof((list)[0]))
#define PICK(rng, list) ((list)[fid_rng_below((rng), COUNT(list))])

/* ---- the menu ------------------------------------------------------------------------------ */

enum sku {
    ESPRESSO,
    DOUBLE_ESPRESSO,
    ALLONGE,
    CAFE_CREME,
    CAPPUCCINO,
    LATTE,
    FLAT_WHITE,
    MOCHA,
    HOT_CHOCOLATE,
    ORANGE_JUICE,
    CROISSANT,
    PAIN_AU_CHOCOLAT,
    PAIN_AUX_RAISINS,
    CANNELE,
    FINANCIER,
    COOKIE,
    CARROT_CAKE,
    TARTE_CITRON,
    TARTINE,
    OEUFS,
    GRANOLA,
    CROQUE,
    QUICHE,
    SALADE,
    BRUNCH,
    BEANS_MAISON,
    BEANS_ETHIOPIE,
    BEANS_COLOMBIE,
    BEANS_DECA,
    N_SKUS
};

struct menu_item {
    const char *sku;
    const char *category;
    int64_t price_minor; /* EUR cents */
};

/* ---- people -------------------------------------------------------------------------------- */

enum persona {
    MORNING_REGULAR,
    AFTERNOON_WORKER,
    WEEKEND_VISITOR,
    LAPSED_REGULAR,
    ONE_OFF_BUYER,
    N_PERSONAS
};

enum enrol_plan {
    ENROL_NEVER,
    ENROL_FIRST_VISIT, /* at the till, before the first order */
    ENROL_QUICK,       /* the evening after the first order: the quick bonus */
    ENROL_LATER,       /* at the enrol_visit-th visit */
};

struct demo_customer {
    char ref[DEMO_REF_MAX];
    enum persona persona;
    int first_day, last_day;      /* active days (indices into demo.days) */
    int holiday_from, holiday_to; /* [from, to) days away; from == to: none */
    unsigned weekdays;            /* bit per weekday (0 = Monday) of habitual visits */
    int visit_pct;                /* chance to come on a habitual day */
    int habit_minute;             /* usual arrival, minutes after local midnight */
    int extra_pct;                /* pastry, sweet or pastries with brunch */
    enum sku drink;               /* usual drink */
    int party;                    /* weekend: people at the table */
    enum enrol_plan plan;
    int enrol_visit;
    int redeem_pct; /* chance to redeem at a visit when affordable; 0 = hoarder */
    bool saver;     /* saves for the 5 EUR voucher rather than a free coffee */
    /* simulation state */
    int visits, last_visit_day, redeems;
    int64_t enrol_at;     /* 0 until the enrolment is generated */
    int64_t known_points; /* available balance in the engine's last result */
    int64_t reserved;     /* points spent by redemptions not yet applied */
    bool family;          /* reached the family tier (reported by the engine) */
    int first_voucher;    /* index into demo.vouchers, -1 = none */
};

/* ---- rewards and vouchers ------------------------------------------------------------------ */

enum demo_reward { FREE_COFFEE, PASTRY, FIVE_OFF, LATTE_ART, N_REWARDS };

struct demo_voucher {
    char code[FID_CODE_MAX];
    int customer;
    enum demo_reward reward;
    int64_t issued_at, valid_until, use_after;
    bool will_use, used;
    int next; /* next voucher of the same customer, -1 = end */
};

/* ---- time ---------------------------------------------------------------------------------- */

struct demo_day {
    int year, month, day, weekday;
    int64_t start, end; /* local midnights, UTC */
    int64_t base;       /* start corrected by the day's DST change: base + minutes = local time
                         * for every minute after 03:00 */
    bool closed;        /* 1 January, 1 May, 25 December */
};

enum item_kind { ITEM_VISIT, ITEM_ENROL, ITEM_REFUND, ITEM_ADJUST, ITEM_WORKSHOP };

struct item {
    int64_t at;
    uint64_t seq; /* ties in time keep the order of scheduling */
    enum item_kind kind;
    int customer;
    int minute;     /* visit: local minute of arrival */
    int voucher;    /* workshop */
    enum sku sku;   /* refund by line */
    int64_t amount; /* refund by amount (0 = by line); adjustment points */
    char ticket[DEMO_TICKET_MAX];
};

struct basket {
    enum sku sku[DEMO_BASKET_MAX];
    int64_t qty[DEMO_BASKET_MAX];
    int n;
    int64_t discount_minor;
};

struct demo {
    struct engine *engine;
    struct fid_rng *rng;
    struct fid_tz *tz;
    int64_t now;
    struct demo_day *days;
    int n_days, day, tickets_today;
    struct demo_customer *customers;
    int n_customers;
    int persona_count[N_PERSONAS];
    struct demo_voucher *vouchers;
    size_t n_vouchers, cap_vouchers;
    struct item *heap;
    size_t n_heap, cap_heap;
    uint64_t next_seq;
    json_t *batch;
    int64_t batch_at;
    json_t *contacts; /* e-mails and phones given so far: each names one member */
    int64_t reward_cost[N_REWARDS], reward_value[N_REWARDS];
    const char *stamp_card; /* the programme's first stamp card, for stamp adjustments */
    int latte_taken, adjustments;
    int64_t events, batches, due_runs;
};

/* ---- random helpers ------------------------------------------------------------------------ */

/* Every draw goes through d->rng (see the invariant above). */
static inline int demo_below(struct demo *d, int n)
{
    return n <= 1 ? 0 : (int)fid_rng_below(d->rng, (uint64_t)n);
}

static inline bool demo_chance(struct demo *d, int percent)
{
    return demo_below(d, 100) < percent;
}

static inline bool demo_chance_pm(struct demo *d, int permille)
{
    return demo_below(d, 1000) < permille;
}

static inline int demo_clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- demo_menu.c --------------------------------------------------------------------------- */

/* The template's reward ids, by enum demo_reward. */
extern const char *const DEMO_REWARD_IDS[N_REWARDS];
/* Each product's SKU, category and price. */
extern const struct menu_item DEMO_MENU[N_SKUS];

/* A regular's usual drink: from the afternoon drinks for afternoon workers, the morning ones
 * otherwise. One draw. */
enum sku demo_usual_drink(struct demo *d, enum persona persona);
/* Fills b with what customer c orders at a visit arriving at a local minute. */
void demo_fill_basket(struct demo *d, const struct demo_customer *c, int minute, struct basket *b);
/* Adds qty of a product (a line already there grows); beyond DEMO_BASKET_MAX lines, dropped. */
void demo_basket_add(struct basket *b, enum sku sku, int64_t qty);
bool demo_basket_has(const struct basket *b, enum sku sku);
/* The basket at menu prices, before the discount. */
int64_t demo_basket_gross(const struct basket *b);

/* ---- demo_population.c --------------------------------------------------------------------- */

/* Makes up n customers (client-0001 ...) in the personas' shares, with their habits and plans. */
void demo_build_population(struct demo *d, int n);
/* The index of a customer's ref, or -1 when the ref is none of the demo's. */
int demo_customer_index(const struct demo *d, const char *ref);

/* ---- demo_schedule.c ----------------------------------------------------------------------- */

/* Fills d->days with the local days from twelve months before d->now to the day of d->now. */
void demo_build_calendar(struct demo *d);
/* UTC instant of a local minute (after 03:00) of a day. */
int64_t demo_local_time(const struct demo *d, int day, int minute);
/* Index of the day holding instant t (clamped to the calendar). */
int demo_day_of(const struct demo *d, int64_t t);
/* Schedules day di's visits, and now and then a manager's adjustment. */
void demo_schedule_day(struct demo *d, int di);
/* Schedules it unless it falls after --now; items at the same instant keep this order. */
void demo_push(struct demo *d, struct item it);
/* Takes the earliest item; the queue must not be empty. */
struct item demo_pop(struct demo *d);

/* ---- demo_events.c ------------------------------------------------------------------------- */

/* Turns one scheduled item into events in d->batch, scheduling any follow-ups. */
void demo_handle(struct demo *d, const struct item *it);

/* ---- demo_engine.c ------------------------------------------------------------------------- */

/* Runs the year: every day's items through the engine, run-due at month starts and the end. */
enum fid_status demo_simulate(struct demo *d, struct fid_error *err);

#endif
