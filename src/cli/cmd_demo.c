/*
 * `fidele demo`: a demo café ("Café des Arts", the cafe template) with a year of made-up but
 * plausible activity, applied through the engine exactly as real events would be.
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
 * UTC through Europe/Paris; each day keeps its own offset so DST days are right.
 * Load: about 60 events per customer and year; the default 400 customers take a few seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/templates.h"
#include "store/store.h"
#include "util/codes.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DEMO_CUSTOMERS_DEFAULT 400
#define DEMO_CUSTOMERS_MAX     9999 /* refs are client-0001 .. client-9999 */
#define DEMO_BATCH             1000 /* events per engine_apply */
#define DEMO_LATTE_MAX         10   /* workshop seats the demo takes (the template's stock is 12) */
#define DEMO_REF_MAX           24
#define DEMO_TICKET_MAX        48
#define DEMO_BASKET_MAX        16
#define DEMO_NAME              "Café des Arts"
#define DEMO_TIMEZONE          "Europe/Paris"

#define HOUR 3600
#define DAY  86400

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

/* ESPRESSO and CROISSANT are the products of the template's free-coffee and pastry rewards. */
static const struct menu_item MENU[N_SKUS] = {
    [ESPRESSO] = {"ESPRESSO", "coffee", 250},
    [DOUBLE_ESPRESSO] = {"DOUBLE-ESPRESSO", "coffee", 350},
    [ALLONGE] = {"ALLONGE", "coffee", 280},
    [CAFE_CREME] = {"CAFE-CREME", "coffee", 380},
    [CAPPUCCINO] = {"CAPPUCCINO", "coffee", 420},
    [LATTE] = {"LATTE", "coffee", 450},
    [FLAT_WHITE] = {"FLAT-WHITE", "coffee", 440},
    [MOCHA] = {"MOCHA", "coffee", 480},
    [HOT_CHOCOLATE] = {"HOT-CHOCOLATE", "drinks", 420},
    [ORANGE_JUICE] = {"ORANGE-JUICE", "drinks", 450},
    [CROISSANT] = {"CROISSANT", "pastry", 180},
    [PAIN_AU_CHOCOLAT] = {"PAIN-AU-CHOCOLAT", "pastry", 200},
    [PAIN_AUX_RAISINS] = {"PAIN-AUX-RAISINS", "pastry", 230},
    [CANNELE] = {"CANNELE", "pastry", 220},
    [FINANCIER] = {"FINANCIER", "pastry", 190},
    [COOKIE] = {"COOKIE", "pastry", 280},
    [CARROT_CAKE] = {"CARROT-CAKE", "pastry", 450},
    [TARTE_CITRON] = {"TARTE-CITRON", "pastry", 480},
    [TARTINE] = {"TARTINE-AVOCAT", "food", 950},
    [OEUFS] = {"OEUFS-BROUILLES", "food", 890},
    [GRANOLA] = {"GRANOLA-BOWL", "food", 750},
    [CROQUE] = {"CROQUE-MONSIEUR", "food", 850},
    [QUICHE] = {"QUICHE-LORRAINE", "food", 790},
    [SALADE] = {"SALADE-SAISON", "food", 1150},
    [BRUNCH] = {"BRUNCH-FORMULE", "food", 2200},
    [BEANS_MAISON] = {"BEANS-MAISON-250G", "beans", 1200},
    [BEANS_ETHIOPIE] = {"BEANS-ETHIOPIE-250G", "beans", 1450},
    [BEANS_COLOMBIE] = {"BEANS-COLOMBIE-1KG", "beans", 3900},
    [BEANS_DECA] = {"BEANS-DECA-250G", "beans", 1350},
};

/* Repetition in a list weights the choice. */
static const enum sku MORNING_DRINKS[] = {
    ESPRESSO, ESPRESSO, DOUBLE_ESPRESSO, ALLONGE, CAFE_CREME, LATTE, LATTE, CAPPUCCINO, FLAT_WHITE};
static const enum sku MORNING_PASTRIES[] = {CROISSANT,        CROISSANT,        CROISSANT,
                                            PAIN_AU_CHOCOLAT, PAIN_AU_CHOCOLAT, PAIN_AUX_RAISINS};
static const enum sku AFTERNOON_DRINKS[] = {ESPRESSO,   DOUBLE_ESPRESSO, CAPPUCCINO,   LATTE,
                                            FLAT_WHITE, MOCHA,           HOT_CHOCOLATE};
static const enum sku SWEETS[] = {COOKIE, FINANCIER, CANNELE, CARROT_CAKE, TARTE_CITRON};
static const enum sku LUNCH[] = {QUICHE, SALADE, CROQUE};
static const enum sku BRUNCH_PLATES[] = {TARTINE, OEUFS, GRANOLA, CROQUE};
static const enum sku BRUNCH_DRINKS[] = {CAPPUCCINO, LATTE,        FLAT_WHITE,
                                         CAFE_CREME, ORANGE_JUICE, HOT_CHOCOLATE};
static const enum sku WEEKEND_PASTRIES[] = {CROISSANT, PAIN_AU_CHOCOLAT, CANNELE,
                                            FINANCIER, PAIN_AUX_RAISINS, TARTE_CITRON};
static const enum sku BEANS[] = {BEANS_MAISON, BEANS_MAISON, BEANS_ETHIOPIE, BEANS_COLOMBIE,
                                 BEANS_DECA};

#define COUNT(list)     (sizeof(list) / sizeof((list)[0]))
#define PICK(rng, list) ((list)[fid_rng_below((rng), COUNT(list))])

/* ---- people -------------------------------------------------------------------------------- */

static const char *const FIRST_NAMES_FR[] = {
    "Camille", "Léa",     "Manon",  "Chloé",   "Inès",     "Louise",    "Jade",    "Emma",
    "Zoé",     "Hélène",  "Sophie", "Claire",  "Nathalie", "Élodie",    "Margaux", "Agathe",
    "Lucas",   "Hugo",    "Louis",  "Théo",    "Nathan",   "Jules",     "Arthur",  "Mathis",
    "Thomas",  "Nicolas", "Julien", "Antoine", "François", "Sébastien", "Olivier", "Karim",
    "Yasmine", "Amine",   "Mehdi",  "Sarah"};
static const char *const LAST_NAMES_FR[] = {
    "Martin",   "Bernard", "Dubois",  "Thomas",   "Robert",   "Richard", "Petit",   "Durand",
    "Leroy",    "Moreau",  "Simon",   "Laurent",  "Lefèvre",  "Michel",  "Garcia",  "David",
    "Bertrand", "Roux",    "Vincent", "Fournier", "Morel",    "Girard",  "André",   "Mercier",
    "Dupont",   "Lambert", "Bonnet",  "François", "Martinez", "Legrand", "Garnier", "Faure",
    "Rousseau", "Blanc",   "Guérin",  "Muller",   "Henry",    "Roussel", "Nicolas", "Perrin",
    "Benali",   "Haddad",  "Nguyen",  "Da Silva"};
static const char *const FIRST_NAMES_EN[] = {"Emily",   "Olivia", "Charlotte", "Grace",
                                             "Hannah",  "James",  "Oliver",    "Henry",
                                             "William", "Daniel", "Jack",      "Samuel"};
static const char *const LAST_NAMES_EN[] = {"Smith",  "Jones", "Taylor", "Brown",
                                            "Wilson", "Evans", "Walker", "Wright",
                                            "Hughes", "Green", "Clarke", "Cooper"};
static const char *const MAIL_DOMAINS[] = {"example.fr", "example.fr", "example.com", "example.org",
                                           "example.net"};
static const char *const GOODWILL_REASONS[] = {
    "Goodwill: long wait at the counter", "Goodwill: wrong drink served",
    "Goodwill: card forgotten at home", "Goodwill: oat milk ran out",
    "Goodwill: thanks for the feedback"};

enum persona {
    MORNING_REGULAR,
    AFTERNOON_WORKER,
    WEEKEND_VISITOR,
    LAPSED_REGULAR,
    ONE_OFF_BUYER,
    N_PERSONAS
};

static const char *const PERSONA_IDS[N_PERSONAS] = {"morning_regulars", "afternoon_workers",
                                                    "weekend_visitors", "lapsed_regulars",
                                                    "one_off_buyers"};
static const char *const PERSONA_NAMES[N_PERSONAS] = {"morning regulars", "afternoon workers",
                                                      "weekend visitors", "lapsed regulars",
                                                      "one-off buyers"};
static const int PERSONA_SHARE_PCT[N_PERSONAS] = {22, 10, 20, 13, 35};

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
static const char *const REWARD_IDS[N_REWARDS] = {"free-coffee", "pastry", "five-off", "latte-art"};
static const int REWARD_USE_PCT[N_REWARDS] = {90, 85, 88, 100};

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

/* ---- the simulation queue ------------------------------------------------------------------ */

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
    int64_t reward_cost[N_REWARDS], reward_value[N_REWARDS];
    const char *stamp_card; /* the programme's first stamp card, for stamp adjustments */
    int latte_taken, adjustments;
    int64_t events, batches, due_runs;
};

/* ---- random helpers ------------------------------------------------------------------------ */

static int below(struct demo *d, int n)
{
    return n <= 1 ? 0 : (int)fid_rng_below(d->rng, (uint64_t)n);
}

static bool chance(struct demo *d, int percent)
{
    return below(d, 100) < percent;
}

static bool chance_pm(struct demo *d, int permille)
{
    return below(d, 1000) < permille;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- calendar ------------------------------------------------------------------------------ */

/* The local days from the one twelve months before now to the day of now. */
static void build_calendar(struct demo *d)
{
    struct fid_local first, last;
    fid_tz_local(d->tz, fid_tz_add_months(d->tz, d->now, -12), &first);
    fid_tz_local(d->tz, d->now, &last);
    d->n_days = (int)(fid_days_from_civil(last.year, last.month, last.day) -
                      fid_days_from_civil(first.year, first.month, first.day) + 1);
    d->days = xcalloc((size_t)d->n_days, sizeof *d->days);
    int64_t midnight = fid_tz_midnight(d->tz, first.year, first.month, first.day);
    for (int i = 0; i < d->n_days; i++) {
        struct demo_day *day = &d->days[i];
        struct fid_local noon, next;
        fid_tz_local(d->tz, midnight + 12 * HOUR, &noon);
        day->year = noon.year;
        day->month = noon.month;
        day->day = noon.day;
        day->weekday = noon.weekday;
        day->start = midnight;
        day->base = midnight + 12 * HOUR - (noon.hour * HOUR + noon.minute * 60 + noon.second);
        day->closed = (noon.month == 1 && noon.day == 1) || (noon.month == 5 && noon.day == 1) ||
                      (noon.month == 12 && noon.day == 25);
        fid_tz_local(d->tz, midnight + 36 * HOUR, &next);
        day->end = fid_tz_midnight(d->tz, next.year, next.month, next.day);
        midnight = day->end;
    }
}

/* UTC instant of a local minute (after 03:00) of a day. */
static int64_t local_time(const struct demo *d, int day, int minute)
{
    return d->days[day].base + (int64_t)minute * 60;
}

/* Index of the day holding instant t (clamped to the calendar). */
static int day_of(const struct demo *d, int64_t t)
{
    int lo = 0, hi = d->n_days - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (d->days[mid].start <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- the queue ----------------------------------------------------------------------------- */

static bool item_before(const struct item *a, const struct item *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Schedules it unless it falls after --now. */
static void push(struct demo *d, struct item it)
{
    if (it.at > d->now)
        return;
    if (d->n_heap == d->cap_heap) {
        d->cap_heap = d->cap_heap ? d->cap_heap * 2 : 256;
        d->heap = xrealloc(d->heap, d->cap_heap * sizeof *d->heap);
    }
    it.seq = d->next_seq++;
    size_t i = d->n_heap++;
    while (i > 0 && item_before(&it, &d->heap[(i - 1) / 2])) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = it;
}

static struct item pop(struct demo *d)
{
    struct item top = d->heap[0];
    struct item last = d->heap[--d->n_heap];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= d->n_heap)
            break;
        if (child + 1 < d->n_heap && item_before(&d->heap[child + 1], &d->heap[child]))
            child++;
        if (!item_before(&d->heap[child], &last))
            break;
        d->heap[i] = d->heap[child];
        i = child;
    }
    if (d->n_heap > 0)
        d->heap[i] = last;
    return top;
}

/* ---- the population ------------------------------------------------------------------------ */

static unsigned random_weekdays(struct demo *d, int count)
{
    int days[5] = {0, 1, 2, 3, 4};
    unsigned bits = 0;
    for (int i = 0; i < count && i < 5; i++) {
        int j = i + below(d, 5 - i);
        int t = days[i];
        days[i] = days[j];
        days[j] = t;
        bits |= 1u << days[i];
    }
    return bits;
}

/* Day a customer first comes: most regulars from the first weeks, the others over the year. */
static int first_day(struct demo *d, int early_pct)
{
    int spread = d->n_days * 4 / 5;
    return chance(d, early_pct) ? below(d, d->n_days < 14 ? d->n_days : 14) : below(d, spread);
}

static void plan_holiday(struct demo *d, struct demo_customer *c)
{
    c->holiday_from = c->holiday_to = 0;
    if (!chance(d, 75))
        return;
    int from = below(d, d->n_days);
    for (int tries = 0; tries < 60 && chance(d, 90); tries++) { /* most go in July or August */
        if (d->days[from].month == 7 || d->days[from].month == 8)
            break;
        from = below(d, d->n_days);
    }
    c->holiday_from = from;
    c->holiday_to = from + 10 + below(d, 12);
}

static void plan_enrolment(struct demo *d, struct demo_customer *c, int enrol_pct,
                           int first_visit_pct, int quick_pct, int later_max)
{
    c->plan = ENROL_NEVER;
    if (!chance(d, enrol_pct))
        return;
    int r = below(d, 100);
    c->plan = r < first_visit_pct               ? ENROL_FIRST_VISIT
              : r < first_visit_pct + quick_pct ? ENROL_QUICK
                                                : ENROL_LATER;
    c->enrol_visit = 2 + below(d, later_max - 1);
}

static void plan_customer(struct demo *d, struct demo_customer *c)
{
    int last = d->n_days - 1;
    c->first_voucher = -1;
    c->last_visit_day = -1000;
    c->redeem_pct = chance(d, 15) ? 0 : 20 + below(d, 30);
    c->saver = chance(d, 35);
    switch (c->persona) {
    case MORNING_REGULAR:
        c->first_day = first_day(d, 55);
        c->last_day = chance(d, 8) ? clamp(c->first_day + 120 + below(d, 150), 0, last) : last;
        c->weekdays = random_weekdays(d, 3 + below(d, 3));
        c->visit_pct = 85 + below(d, 12);
        c->habit_minute = 7 * 60 + 5 + below(d, 110);
        c->extra_pct = chance(d, 30) ? 5 + below(d, 20) : 25 + below(d, 50);
        c->drink = PICK(d->rng, MORNING_DRINKS);
        plan_holiday(d, c);
        plan_enrolment(d, c, 90, 15, 45, 20);
        break;
    case AFTERNOON_WORKER:
        c->first_day = first_day(d, 45);
        c->last_day = last;
        c->weekdays = random_weekdays(d, 2 + below(d, 3));
        c->visit_pct = 70 + below(d, 21);
        c->habit_minute = 14 * 60 + 5 + below(d, 95);
        c->extra_pct = 20 + below(d, 40);
        c->drink = PICK(d->rng, AFTERNOON_DRINKS);
        plan_holiday(d, c);
        plan_enrolment(d, c, 80, 15, 45, 12);
        break;
    case WEEKEND_VISITOR:
        c->first_day = first_day(d, 45);
        c->last_day = last;
        c->visit_pct = 20 + below(d, 35);
        c->party = 1 + below(d, 3) + (chance(d, 15) ? 1 : 0);
        c->extra_pct = 30 + below(d, 50);
        plan_enrolment(d, c, 60, 20, 40, 6);
        c->saver = chance(d, 60);
        break;
    case LAPSED_REGULAR:
        c->first_day = below(d, d->n_days / 4 + 1);
        c->last_day = clamp(c->first_day + 35 + below(d, 80), 0, last);
        c->weekdays = random_weekdays(d, 2 + below(d, 3));
        c->visit_pct = 75 + below(d, 20);
        c->habit_minute = chance(d, 60) ? 7 * 60 + 15 + below(d, 100) : 12 * 60 + below(d, 90);
        c->extra_pct = 20 + below(d, 40);
        c->drink = PICK(d->rng, MORNING_DRINKS);
        plan_enrolment(d, c, 70, 20, 40, 10);
        break;
    case ONE_OFF_BUYER:
        c->first_day = below(d, d->n_days - 1); /* not the last day: it may end before they come */
        while (d->days[c->first_day].closed)
            c->first_day = (c->first_day + 1) % (d->n_days - 1);
        c->last_day = c->first_day;
        c->habit_minute = 8 * 60 + below(d, 10 * 60);
        plan_enrolment(d, c, 12, 30, 70, 2);
        c->redeem_pct = 0;
        break;
    case N_PERSONAS:
        break;
    }
}

static void build_population(struct demo *d, int n)
{
    d->n_customers = n;
    d->customers = xcalloc((size_t)n, sizeof *d->customers);
    enum persona *personas = xcalloc((size_t)n, sizeof *personas);
    int filled = 0;
    for (int p = 0; p < N_PERSONAS; p++) {
        int share = p == N_PERSONAS - 1 ? n - filled : n * PERSONA_SHARE_PCT[p] / 100;
        for (int i = 0; i < share; i++)
            personas[filled++] = (enum persona)p;
    }
    for (int i = n - 1; i > 0; i--) { /* refs say nothing about the persona */
        int j = below(d, i + 1);
        enum persona t = personas[i];
        personas[i] = personas[j];
        personas[j] = t;
    }
    for (int i = 0; i < n; i++) {
        struct demo_customer *c = &d->customers[i];
        snprintf(c->ref, sizeof c->ref, "client-%04d", i + 1);
        c->persona = personas[i];
        d->persona_count[c->persona]++;
        plan_customer(d, c);
    }
    free(personas);
}

static int customer_index(const struct demo *d, const char *ref)
{
    if (ref == NULL || strncmp(ref, "client-", 7) != 0)
        return -1;
    char *end = NULL;
    long n = strtol(ref + 7, &end, 10);
    if (end == ref + 7 || *end != '\0' || n < 1 || n > d->n_customers)
        return -1;
    return (int)n - 1;
}

/* ---- events -------------------------------------------------------------------------------- */

static void emit(struct demo *d, json_t *event, int64_t at)
{
    char text[FID_TIME_ISO_MAX];
    fid_time_format(at, text);
    json_object_set_new(event, "at", json_string(text));
    json_array_append_new(d->batch, event);
    if (at > d->batch_at)
        d->batch_at = at;
}

/* Lower-case ASCII of a name for an e-mail address: accents dropped, spaces and others skipped. */
static void mail_slug(const char *name, char *out, size_t size)
{
    static const char *const from[] = {"é", "è", "ê", "ë", "à", "â", "ç",
                                       "î", "ï", "ô", "ù", "û", "É"};
    static const char to[] = "eeeeaaciiouue";
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < size;) {
        bool mapped = false;
        for (size_t i = 0; i < COUNT(from); i++) {
            size_t len = strlen(from[i]);
            if (strncmp(p, from[i], len) == 0) {
                out[n++] = to[i];
                p += len;
                mapped = true;
                break;
            }
        }
        if (mapped)
            continue;
        char ch = *p++;
        if (ch >= 'A' && ch <= 'Z')
            out[n++] = (char)(ch - 'A' + 'a');
        else if (ch >= 'a' && ch <= 'z')
            out[n++] = ch;
    }
    out[n] = '\0';
}

static void emit_enrol(struct demo *d, int ci, int64_t at)
{
    struct demo_customer *c = &d->customers[ci];
    bool english = chance(d, 12);
    const char *first = english ? PICK(d->rng, FIRST_NAMES_EN) : PICK(d->rng, FIRST_NAMES_FR);
    const char *last = english ? PICK(d->rng, LAST_NAMES_EN) : PICK(d->rng, LAST_NAMES_FR);
    char name[96], first_slug[32], last_slug[32], email[128], key[EVENT_KEY_MAX];
    snprintf(name, sizeof name, "%s %s", first, last);
    mail_slug(first, first_slug, sizeof first_slug);
    mail_slug(last, last_slug, sizeof last_slug);
    int style = below(d, 3);
    if (style == 0)
        snprintf(email, sizeof email, "%s.%s@%s", first_slug, last_slug,
                 PICK(d->rng, MAIL_DOMAINS));
    else if (style == 1)
        snprintf(email, sizeof email, "%c%s%d@%s", first_slug[0], last_slug, 1 + below(d, 98),
                 PICK(d->rng, MAIL_DOMAINS));
    else
        snprintf(email, sizeof email, "%s.%s%d@%s", first_slug, last_slug, ci + 1,
                 PICK(d->rng, MAIL_DOMAINS));
    snprintf(key, sizeof key, "enrol:%s", c->ref);
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "enrol", "key", key, "customer", c->ref,
                  "name", name, "email", email, "locale", english ? "en" : "fr");
    bool phone = chance(d, 45);
    if (phone) {
        char number[24];
        if (english)
            snprintf(number, sizeof number, "+447%09d", below(d, 1000000000));
        else
            snprintf(number, sizeof number, "+33%d%08d", 6 + below(d, 2), below(d, 100000000));
        json_object_set_new(ev, "phone", json_string(number));
    }
    if (chance(d, 65)) {
        char birthday[48];
        snprintf(birthday, sizeof birthday, "%04d-%02d-%02d", 1950 + below(d, 56), 1 + below(d, 12),
                 1 + below(d, 28));
        json_object_set_new(ev, "birthday", json_string(birthday));
    }
    json_t *consents = json_array();
    if (chance(d, 75))
        json_array_append_new(consents, json_string("email"));
    if (phone && chance(d, 50))
        json_array_append_new(consents, json_string("sms"));
    if (chance(d, 25))
        json_array_append_new(consents, json_string("push"));
    json_object_set_new(ev, "consents", consents);
    c->enrol_at = at;
    emit(d, ev, at);
}

static void basket_add(struct basket *b, enum sku sku, int64_t qty)
{
    for (int i = 0; i < b->n; i++)
        if (b->sku[i] == sku) {
            b->qty[i] += qty;
            return;
        }
    if (b->n < DEMO_BASKET_MAX) {
        b->sku[b->n] = sku;
        b->qty[b->n++] = qty;
    }
}

static bool basket_has(const struct basket *b, enum sku sku)
{
    for (int i = 0; i < b->n; i++)
        if (b->sku[i] == sku)
            return true;
    return false;
}

static int64_t basket_gross(const struct basket *b)
{
    int64_t gross = 0;
    for (int i = 0; i < b->n; i++)
        gross += b->qty[i] * MENU[b->sku[i]].price_minor;
    return gross;
}

static void fill_basket(struct demo *d, const struct demo_customer *c, int minute, struct basket *b)
{
    switch (c->persona) {
    case MORNING_REGULAR:
    case LAPSED_REGULAR:
        if (minute >= 11 * 60) { /* a lapsed regular's lunch */
            basket_add(b, PICK(d->rng, LUNCH), 1);
            basket_add(b, chance(d, 60) ? c->drink : ESPRESSO, 1);
            break;
        }
        basket_add(b, chance(d, 75) ? c->drink : PICK(d->rng, MORNING_DRINKS), 1);
        if (chance(d, c->extra_pct))
            basket_add(b, PICK(d->rng, MORNING_PASTRIES), 1);
        if (chance(d, 6)) /* one for a colleague */
            basket_add(b, PICK(d->rng, MORNING_DRINKS), 1);
        if (chance_pm(d, 15))
            basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    case AFTERNOON_WORKER:
        basket_add(b, chance(d, 70) ? c->drink : PICK(d->rng, AFTERNOON_DRINKS), 1);
        if (chance(d, c->extra_pct))
            basket_add(b, PICK(d->rng, SWEETS), 1);
        if (chance(d, 12))
            basket_add(b, PICK(d->rng, LUNCH), 1);
        if (chance(d, 10))
            basket_add(b, PICK(d->rng, AFTERNOON_DRINKS), 1);
        if (chance_pm(d, 30))
            basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    case WEEKEND_VISITOR: {
        int people = c->party + (chance(d, 15) ? 1 : 0) - (c->party > 1 && chance(d, 20) ? 1 : 0);
        if (chance(d, 35)) {
            basket_add(b, BRUNCH, people);
        } else {
            for (int i = 0; i < people; i++) {
                basket_add(b, PICK(d->rng, BRUNCH_DRINKS), 1);
                if (chance(d, 80))
                    basket_add(b, PICK(d->rng, BRUNCH_PLATES), 1);
            }
        }
        if (chance(d, c->extra_pct))
            basket_add(b, PICK(d->rng, WEEKEND_PASTRIES), 1 + below(d, people + 1));
        if (chance(d, 30))
            basket_add(b, PICK(d->rng, BRUNCH_DRINKS), 1);
        if (chance(d, 12))
            basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    }
    case ONE_OFF_BUYER: {
        int r = below(d, 100);
        if (r < 50) {
            basket_add(b, PICK(d->rng, MORNING_DRINKS), 1);
            if (chance(d, 60))
                basket_add(b, PICK(d->rng, WEEKEND_PASTRIES), 1);
        } else if (r < 70) {
            basket_add(b, PICK(d->rng, BEANS), 1 + (chance(d, 25) ? 1 : 0));
            if (chance(d, 50))
                basket_add(b, ESPRESSO, 1);
        } else {
            basket_add(b, PICK(d->rng, LUNCH), 1);
            basket_add(b, PICK(d->rng, AFTERNOON_DRINKS), 1);
            if (chance(d, 40))
                basket_add(b, PICK(d->rng, SWEETS), 1);
        }
        break;
    }
    case N_PERSONAS:
        break;
    }
}

/* Picks the member's voucher to use at this order (soonest to lapse first) and applies it to the
 * basket; -1 when none applies. */
static int use_voucher(struct demo *d, int ci, int64_t at, struct basket *b)
{
    int best = -1;
    for (int i = d->customers[ci].first_voucher; i >= 0; i = d->vouchers[i].next) {
        const struct demo_voucher *v = &d->vouchers[i];
        if (!v->will_use || v->used || v->reward == LATTE_ART || v->use_after > at ||
            v->valid_until <= at + HOUR)
            continue;
        if (v->reward == FIVE_OFF && basket_gross(b) < d->reward_value[FIVE_OFF] + 100)
            continue;
        if (best < 0 || v->valid_until < d->vouchers[best].valid_until)
            best = i;
    }
    if (best < 0)
        return -1;
    struct demo_voucher *v = &d->vouchers[best];
    if (v->reward == FREE_COFFEE && !basket_has(b, ESPRESSO))
        basket_add(b, ESPRESSO, 1);
    if (v->reward == PASTRY && !basket_has(b, CROISSANT))
        basket_add(b, CROISSANT, 1);
    b->discount_minor += d->reward_value[v->reward];
    v->used = true;
    return best;
}

static void emit_order(struct demo *d, const struct demo_customer *c, int64_t at,
                       const char *ticket, const struct basket *b)
{
    json_t *lines = json_array();
    for (int i = 0; i < b->n; i++) {
        const struct menu_item *m = &MENU[b->sku[i]];
        json_array_append_new(lines, json_pack("{s:s, s:s, s:I, s:I}", "sku", m->sku, "category",
                                               m->category, "quantity", (json_int_t)b->qty[i],
                                               "unit_price_minor", (json_int_t)m->price_minor));
    }
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "order:%s", ticket);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "type", "order", "key", key,
                           "customer", c->ref, "order_id", ticket, "channel", "store", "currency",
                           "EUR", "lines", lines);
    if (b->discount_minor > 0)
        json_object_set_new(ev, "discount_minor", json_integer(b->discount_minor));
    emit(d, ev, at);
}

static void emit_voucher_use(struct demo *d, int vi, int64_t at, const char *ticket)
{
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "voucher:%s", d->vouchers[vi].code);
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "voucher_use", "key", key, "code",
                           d->vouchers[vi].code);
    if (ticket)
        json_object_set_new(ev, "order_id", json_string(ticket));
    d->vouchers[vi].used = true;
    emit(d, ev, at);
}

/* A redemption when the member wants one and the balance known to cover it allows it. */
static void maybe_redeem(struct demo *d, int ci, int64_t at)
{
    struct demo_customer *c = &d->customers[ci];
    int64_t available = c->known_points - c->reserved;
    if (c->redeem_pct == 0 || !chance(d, c->redeem_pct))
        return;
    int r = -1;
    if (c->family && available >= d->reward_cost[LATTE_ART] && d->latte_taken < DEMO_LATTE_MAX &&
        chance(d, 30))
        r = LATTE_ART;
    else if (c->saver)
        r = available >= d->reward_cost[FIVE_OFF] ? FIVE_OFF : -1;
    else if (available >= d->reward_cost[FREE_COFFEE] && chance(d, 65))
        r = FREE_COFFEE;
    else if (available >= d->reward_cost[PASTRY])
        r = PASTRY;
    if (r < 0)
        return;
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "redeem:%s:%d", c->ref, ++c->redeems);
    emit(d,
         json_pack("{s:s, s:s, s:s, s:s}", "type", "redeem", "key", key, "customer", c->ref,
                   "reward", REWARD_IDS[r]),
         at);
    c->reserved += d->reward_cost[r];
    if (r == LATTE_ART)
        d->latte_taken++;
}

static void visit(struct demo *d, const struct item *it)
{
    int ci = it->customer;
    struct demo_customer *c = &d->customers[ci];
    int64_t at = it->at;
    c->visits++;
    c->last_visit_day = d->day;
    if (c->enrol_at == 0 && ((c->plan == ENROL_FIRST_VISIT && c->visits == 1) ||
                             (c->plan == ENROL_LATER && c->visits == c->enrol_visit)))
        emit_enrol(d, ci, at);
    at += 60; /* the order is rung up a minute after arrival */
    struct basket b = {.n = 0};
    fill_basket(d, c, it->minute, &b);
    int vi = c->enrol_at != 0 && c->enrol_at < at ? use_voucher(d, ci, at, &b) : -1;
    const struct demo_day *day = &d->days[d->day];
    char ticket[DEMO_TICKET_MAX];
    snprintf(ticket, sizeof ticket, "T%04d%02d%02d-%03d", day->year, day->month, day->day,
             ++d->tickets_today);
    emit_order(d, c, at, ticket, &b);
    if (vi >= 0)
        emit_voucher_use(d, vi, at + 15, ticket);
    if (c->plan == ENROL_QUICK && c->enrol_at == 0 && c->visits == 1) {
        /* Joins from home the same evening: within a day of buying. */
        int minute = clamp(it->minute + 45 + below(d, 600), it->minute + 30, 22 * 60 + 30);
        push(d, (struct item){.at = local_time(d, d->day, minute) + below(d, 60),
                              .kind = ITEM_ENROL,
                              .customer = ci});
    }
    int64_t paid = basket_gross(&b) - b.discount_minor;
    if (b.n >= 2 && chance_pm(d, 5)) { /* a pastry dropped, a dish sent back */
        struct item refund = {.at = at + 180 + below(d, 2400),
                              .kind = ITEM_REFUND,
                              .customer = ci,
                              .sku = b.sku[b.n - 1]};
        snprintf(refund.ticket, sizeof refund.ticket, "%s", ticket);
        push(d, refund);
    } else if (paid >= 400 && chance_pm(d, 2)) { /* charged for the wrong size */
        struct item refund = {.at = at + 120 + below(d, 1200),
                              .kind = ITEM_REFUND,
                              .customer = ci,
                              .amount = 50 + 10 * below(d, (int)(paid / 2 - 50) / 10 + 1)};
        snprintf(refund.ticket, sizeof refund.ticket, "%s", ticket);
        push(d, refund);
    }
    if (c->enrol_at != 0 && c->enrol_at < at)
        maybe_redeem(d, ci, at + 40);
}

static void emit_refund(struct demo *d, const struct item *it)
{
    /* The clawback lowers the balance before the results say so: keep a bound of it reserved
     * (x4 covers the largest stack of multipliers, plus a first-order bonus). */
    const struct program *p = engine_program(d->engine);
    int64_t money = it->amount > 0 ? it->amount : MENU[it->sku].price_minor;
    d->customers[it->customer].reserved +=
        money * 4 * p->earning.points / p->earning.per_minor + p->earning.first_order_bonus + 1;
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "refund:%s", it->ticket);
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "refund", "key", key, "order_id", it->ticket);
    if (it->amount > 0)
        json_object_set_new(ev, "amount_minor", json_integer(it->amount));
    else
        json_object_set_new(ev, "lines",
                            json_pack("[{s:s, s:i}]", "sku", MENU[it->sku].sku, "quantity", 1));
    emit(d, ev, it->at);
}

static void emit_adjustment(struct demo *d, const struct item *it)
{
    const struct demo_customer *c = &d->customers[it->customer];
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "adjust:%s:%d", c->ref, ++d->adjustments);
    bool stamps = d->stamp_card && chance(d, 25);
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "type", "adjustment", "key", key, "customer",
                  c->ref, "points", (json_int_t)(stamps ? 1 : it->amount), "reason",
                  stamps ? "Goodwill: stamp forgotten at the till" : PICK(d->rng, GOODWILL_REASONS),
                  "author", "manager");
    if (stamps) {
        json_object_set_new(ev, "account", json_string("stamps"));
        json_object_set_new(ev, "card", json_string(d->stamp_card));
    }
    emit(d, ev, it->at);
}

static void handle(struct demo *d, const struct item *it)
{
    switch (it->kind) {
    case ITEM_VISIT:
        visit(d, it);
        break;
    case ITEM_ENROL:
        if (d->customers[it->customer].enrol_at == 0)
            emit_enrol(d, it->customer, it->at);
        break;
    case ITEM_REFUND:
        emit_refund(d, it);
        break;
    case ITEM_ADJUST:
        emit_adjustment(d, it);
        break;
    case ITEM_WORKSHOP:
        emit_voucher_use(d, it->voucher, it->at, NULL);
        break;
    }
}

/* ---- a day --------------------------------------------------------------------------------- */

static int visit_minute(struct demo *d, const struct demo_customer *c, const struct demo_day *day,
                        int di)
{
    bool weekday = day->weekday < 5;
    bool habitual = weekday && (c->weekdays >> day->weekday & 1u);
    bool away = di >= c->holiday_from && di < c->holiday_to;
    switch (c->persona) {
    case MORNING_REGULAR:
        if (away || !habitual || !chance(d, c->visit_pct))
            return -1;
        return clamp(c->habit_minute - 12 + below(d, 25), 7 * 60, 9 * 60 - 1);
    case AFTERNOON_WORKER:
        if (away || !habitual || !chance(d, c->visit_pct))
            return -1;
        return clamp(c->habit_minute - 20 + below(d, 41), 14 * 60, 15 * 60 + 55);
    case WEEKEND_VISITOR:
        if (!weekday && chance(d, c->visit_pct))
            return 10 * 60 + 30 + below(d, 150);
        if (weekday && chance_pm(d, 8))
            return 12 * 60 + below(d, 120);
        return -1;
    case LAPSED_REGULAR:
        if (!habitual || !chance(d, c->visit_pct))
            return -1;
        return c->habit_minute - 10 + below(d, 21);
    case ONE_OFF_BUYER:
        return di == c->first_day ? c->habit_minute : -1;
    case N_PERSONAS:
        break;
    }
    return -1;
}

static void schedule_day(struct demo *d, int di)
{
    const struct demo_day *day = &d->days[di];
    if (day->closed)
        return;
    for (int ci = 0; ci < d->n_customers; ci++) {
        const struct demo_customer *c = &d->customers[ci];
        if (di < c->first_day || di > c->last_day)
            continue;
        int minute = visit_minute(d, c, day, di);
        if (minute < 0)
            continue;
        int64_t at = local_time(d, di, minute) + below(d, 60);
        if (at + 600 <= d->now)
            push(d, (struct item){.at = at, .kind = ITEM_VISIT, .customer = ci, .minute = minute});
    }
    /* Now and then the manager makes up for something to a member seen lately. */
    if (!chance(d, 7))
        return;
    for (int tries = 0; tries < 40; tries++) {
        int ci = below(d, d->n_customers);
        const struct demo_customer *c = &d->customers[ci];
        if (c->enrol_at == 0 || c->enrol_at >= day->start || c->last_visit_day < di - 21)
            continue;
        static const int64_t POINTS[] = {50, 100, 100, 150, 200};
        push(d, (struct item){.at = local_time(d, di, 10 * 60 + below(d, 480)),
                              .kind = ITEM_ADJUST,
                              .customer = ci,
                              .amount = PICK(d->rng, POINTS)});
        return;
    }
}

/* ---- talking to the engine ----------------------------------------------------------------- */

static void add_voucher(struct demo *d, int ci, enum demo_reward reward, const char *code,
                        int64_t issued_at, int64_t valid_until)
{
    if (d->n_vouchers == d->cap_vouchers) {
        d->cap_vouchers = d->cap_vouchers ? d->cap_vouchers * 2 : 256;
        d->vouchers = xrealloc(d->vouchers, d->cap_vouchers * sizeof *d->vouchers);
    }
    int vi = (int)d->n_vouchers++;
    struct demo_voucher *v = &d->vouchers[vi];
    memset(v, 0, sizeof *v);
    snprintf(v->code, sizeof v->code, "%s", code);
    v->customer = ci;
    v->reward = reward;
    v->issued_at = issued_at;
    v->valid_until = valid_until;
    v->will_use = chance(d, REWARD_USE_PCT[reward]);
    int64_t life = valid_until - issued_at;
    /* Most are used at the next visit; the others some weeks later, some of them too late. */
    v->use_after = issued_at + (chance(d, 60) ? 0 : (int64_t)below(d, (int)(life / DAY)) * DAY);
    v->next = d->customers[ci].first_voucher;
    d->customers[ci].first_voucher = vi;
    if (reward == LATTE_ART && v->will_use) { /* the workshop: a late afternoon in a few weeks */
        int day = day_of(d, issued_at) + 7 + below(d, 28);
        if (day <= d->day) /* the batch that issued it may have spanned some days */
            day = d->day + 1;
        if (day < d->n_days) {
            int64_t at = local_time(d, day, 16 * 60 + 30);
            if (at > issued_at && at < valid_until)
                push(d,
                     (struct item){.at = at, .kind = ITEM_WORKSHOP, .customer = ci, .voucher = vi});
        }
    }
}

/* Takes in what one event's result says about its customer. */
static enum fid_status learn(struct demo *d, const json_t *result, struct fid_error *err)
{
    int ci = customer_index(d, json_string_value(json_object_get(result, "customer")));
    if (ci < 0)
        return FID_OK;
    struct demo_customer *c = &d->customers[ci];
    const json_t *balance = json_object_get(result, "balance");
    if (balance)
        c->known_points = json_integer_value(json_object_get(balance, "available"));
    const char *tier =
        json_string_value(json_object_get(json_object_get(result, "tier_upgrade"), "tier"));
    if (tier && strcmp(tier, "family") == 0)
        c->family = true;
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(result, "vouchers"), i, v)
    {
        const char *reward = json_string_value(json_object_get(v, "reward"));
        const char *code = json_string_value(json_object_get(v, "code"));
        int r = -1;
        for (int k = 0; reward && k < N_REWARDS; k++)
            if (strcmp(reward, REWARD_IDS[k]) == 0)
                r = k;
        int64_t issued = 0, until = 0;
        enum fid_status st;
        if (r < 0 || code == NULL)
            return fid_fail(err, FID_ERR_INTERNAL, "vouchers", "unexpected voucher in a result");
        if ((st = fid_time_parse(json_string_value(json_object_get(result, "at")), NULL, &issued,
                                 "at", err)) != FID_OK ||
            (st = fid_time_parse(json_string_value(json_object_get(v, "valid_until")), NULL, &until,
                                 "valid_until", err)) != FID_OK)
            return st;
        add_voucher(d, ci, (enum demo_reward)r, code, issued, until);
    }
    return FID_OK;
}

static enum fid_status flush(struct demo *d, struct fid_error *err)
{
    size_t n = json_array_size(d->batch);
    if (n == 0)
        return FID_OK;
    json_t *results = NULL;
    struct fid_error apply_err;
    fid_error_clear(&apply_err);
    enum fid_status st =
        engine_apply(d->engine, d->batch, d->batch_at, ENGINE_ALL_OR_NOTHING, &results, &apply_err);
    json_decref(d->batch);
    d->batch = json_array();
    if (st != FID_OK)
        return fid_fail(err, FID_ERR_INTERNAL, apply_err.field,
                        "the engine refused a generated event (%s): %s",
                        fid_status_name(apply_err.status), apply_err.message);
    d->events += (int64_t)n;
    d->batches++;
    for (int i = 0; i < d->n_customers; i++)
        d->customers[i].reserved = 0; /* applied: the results hold the balances after them */
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r)
    {
        if ((st = learn(d, r, err)) != FID_OK)
            break;
    }
    json_decref(results);
    return st;
}

static enum fid_status run_due(struct demo *d, int64_t t, struct fid_error *err)
{
    json_t *summary = NULL;
    enum fid_status st = engine_run_due(d->engine, t, &summary, err);
    json_decref(summary);
    d->due_runs++;
    return st;
}

/* Gathers the planner's statistics. Without them SQLite reads every lot of the merchant to find
 * one member's open lots, and verify's lot checks go quadratic. Statistics of a near-empty file
 * mislead it just as much: a full month of data gives the right plans, and the final statistics
 * stay in the file for later commands. */
static enum fid_status analyze(struct demo *d, struct fid_error *err)
{
    return db_exec(engine_store(d->engine)->db, "ANALYZE", err);
}

static enum fid_status simulate(struct demo *d, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    bool analyzed = false;
    for (int di = 0; di < d->n_days && st == FID_OK; di++) {
        d->day = di;
        d->tickets_today = 0;
        if (di > 0 && d->days[di].day == 1 &&
            (st = flush(d, err)) == FID_OK) /* a new month: its due work first */
            st = run_due(d, d->days[di].start, err);
        if (st == FID_OK && di >= 28 && d->days[di].day == 1 && !analyzed) {
            st = analyze(d, err);
            analyzed = true;
        }
        schedule_day(d, di);
        while (st == FID_OK && d->n_heap > 0 && d->heap[0].at < d->days[di].end) {
            struct item it = pop(d);
            handle(d, &it);
            if (json_array_size(d->batch) >= DEMO_BATCH)
                st = flush(d, err);
        }
    }
    if (st == FID_OK)
        st = flush(d, err);
    if (st == FID_OK)
        st = run_due(d, d->now, err);
    if (st == FID_OK)
        st = analyze(d, err);
    return st;
}

/* ---- the report ---------------------------------------------------------------------------- */

enum figure {
    FIG_CUSTOMERS,
    FIG_MEMBERS,
    FIG_ORDERS,
    FIG_MEMBER_ORDERS,
    FIG_REVENUE,
    FIG_REFUNDS,
    FIG_POINTS_EARNED,
    FIG_POINTS_REDEEMED,
    FIG_POINTS_EXPIRED,
    FIG_POINTS_CLAWED,
    FIG_POINTS_AVAILABLE,
    FIG_ADJUSTMENTS,
    FIG_VOUCHERS,
    FIG_VOUCHERS_FROM_STAMPS,
    FIG_VOUCHERS_USED,
    FIG_VOUCHERS_EXPIRED,
    FIG_VOUCHERS_OPEN,
    FIG_TIER_REGULAR,
    FIG_TIER_FAMILY,
    FIG_FIRST_ORDER,
    FIG_LAST_ORDER,
    N_FIGURES
};

/* One integer each; ?1 is the merchant. Literals: db_prepare caches by address. */
static const char *const FIGURE_SQL[N_FIGURES] = {
    [FIG_CUSTOMERS] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ?",
    [FIG_MEMBERS] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND is_member = 1",
    [FIG_ORDERS] = "SELECT COUNT(*) FROM orders WHERE merchant_id = ?",
    [FIG_MEMBER_ORDERS] =
        "SELECT COUNT(*) FROM orders WHERE merchant_id = ? AND member_at_order = 1",
    [FIG_REVENUE] =
        "SELECT COALESCE(SUM(paid_minor - refunded_minor), 0) FROM orders WHERE merchant_id = ?",
    [FIG_REFUNDS] = "SELECT COUNT(*) FROM refunds WHERE merchant_id = ?",
    [FIG_POINTS_EARNED] = "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE merchant_id = ? AND "
                          "account = 'points' AND kind IN ('earn', 'confirm')",
    [FIG_POINTS_REDEEMED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                            "AND account = 'points' AND kind = 'redeem'",
    [FIG_POINTS_EXPIRED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                           "AND account = 'points' AND kind = 'expire'",
    [FIG_POINTS_CLAWED] = "SELECT COALESCE(-SUM(amount), 0) FROM ledger WHERE merchant_id = ? "
                          "AND account = 'points' AND kind = 'clawback'",
    [FIG_POINTS_AVAILABLE] =
        "SELECT COALESCE(SUM(points_available), 0) FROM customers WHERE merchant_id = ?",
    [FIG_ADJUSTMENTS] = "SELECT COUNT(*) FROM ledger WHERE merchant_id = ? AND kind = 'adjust'",
    [FIG_VOUCHERS] = "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ?",
    [FIG_VOUCHERS_FROM_STAMPS] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND source = 'stamp_card'",
    [FIG_VOUCHERS_USED] = "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'used'",
    [FIG_VOUCHERS_EXPIRED] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'expired'",
    [FIG_VOUCHERS_OPEN] =
        "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND state = 'issued'",
    [FIG_TIER_REGULAR] =
        "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND tier = 'regular'",
    [FIG_TIER_FAMILY] = "SELECT COUNT(*) FROM customers WHERE merchant_id = ? AND tier = 'family'",
    [FIG_FIRST_ORDER] = "SELECT COALESCE(MIN(at), 0) FROM orders WHERE merchant_id = ?",
    [FIG_LAST_ORDER] = "SELECT COALESCE(MAX(at), 0) FROM orders WHERE merchant_id = ?",
};

static enum fid_status read_figures(struct engine *e, int64_t figures[N_FIGURES],
                                    struct fid_error *err)
{
    struct db *db = engine_store(e)->db;
    for (int i = 0; i < N_FIGURES; i++) {
        struct db_stmt *s = db_prepare(db, FIGURE_SQL[i]);
        db_bind_int(s, 1, engine_merchant(e)->id);
        enum fid_status st = db_run_int(s, 0, &figures[i], err);
        if (st != FID_OK)
            return st;
    }
    return FID_OK;
}

static json_t *time_json(int64_t t)
{
    char text[FID_TIME_ISO_MAX];
    fid_time_format(t, text);
    return json_string(text);
}

static void print_report(const struct cli *cli, struct demo *d, uint64_t seed,
                         const int64_t f[N_FIGURES], double seconds)
{
    char from[FID_TIME_ISO_MAX], to[FID_TIME_ISO_MAX];
    fid_time_format(d->days[0].start, from);
    fid_time_format(d->now, to);
    if (cli->json) {
        json_t *populations = json_object();
        for (int p = 0; p < N_PERSONAS; p++)
            json_object_set_new(populations, PERSONA_IDS[p], json_integer(d->persona_count[p]));
        json_t *out = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s, s:o, s:o}, s:I, s:I, s:o, s:I, s:I, "
            "s:I, s:I, s:I}",
            "database", cli->db_path, "merchant", DEMO_NAME, "currency", "EUR", "timezone",
            DEMO_TIMEZONE, "template", "cafe", "seed", (json_int_t)(seed & INT64_MAX), "period",
            "from", from, "to", to, "first_order", time_json(f[FIG_FIRST_ORDER]), "last_order",
            time_json(f[FIG_LAST_ORDER]), "customers", (json_int_t)f[FIG_CUSTOMERS], "members",
            (json_int_t)f[FIG_MEMBERS], "populations", populations, "orders",
            (json_int_t)f[FIG_ORDERS], "member_orders", (json_int_t)f[FIG_MEMBER_ORDERS],
            "revenue_minor", (json_int_t)f[FIG_REVENUE], "refunds", (json_int_t)f[FIG_REFUNDS],
            "adjustments", (json_int_t)f[FIG_ADJUSTMENTS]);
        json_object_set_new(out, "points",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "earned",
                                      (json_int_t)f[FIG_POINTS_EARNED], "redeemed",
                                      (json_int_t)f[FIG_POINTS_REDEEMED], "expired",
                                      (json_int_t)f[FIG_POINTS_EXPIRED], "clawed_back",
                                      (json_int_t)f[FIG_POINTS_CLAWED], "available",
                                      (json_int_t)f[FIG_POINTS_AVAILABLE]));
        json_object_set_new(out, "vouchers",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "issued",
                                      (json_int_t)f[FIG_VOUCHERS], "from_stamp_cards",
                                      (json_int_t)f[FIG_VOUCHERS_FROM_STAMPS], "used",
                                      (json_int_t)f[FIG_VOUCHERS_USED], "expired",
                                      (json_int_t)f[FIG_VOUCHERS_EXPIRED], "open",
                                      (json_int_t)f[FIG_VOUCHERS_OPEN]));
        json_object_set_new(out, "tiers",
                            json_pack("{s:I, s:I}", "regular", (json_int_t)f[FIG_TIER_REGULAR],
                                      "family", (json_int_t)f[FIG_TIER_FAMILY]));
        json_object_set_new(out, "engine",
                            json_pack("{s:I, s:I, s:I, s:b}", "events", (json_int_t)d->events,
                                      "batches", (json_int_t)d->batches, "run_due",
                                      (json_int_t)d->due_runs, "verified", 1));
        if (seed > INT64_MAX) { /* beyond JSON integers: the decimal text */
            char text[24];
            snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
            json_object_set_new(out, "seed", json_string(text));
        }
        cli_print_json(out);
        return;
    }
    char revenue[64];
    cli_money(d->engine, f[FIG_REVENUE], revenue, sizeof revenue);
    printf("Created %s: \"%s\" (EUR, %s, fr) with the cafe programme, seed %llu.\n", cli->db_path,
           DEMO_NAME, DEMO_TIMEZONE, (unsigned long long)seed);
    struct fid_local last;
    fid_tz_local(d->tz, d->now, &last);
    printf("A year of activity, %04d-%02d-%02d to %04d-%02d-%02d:\n", d->days[0].year,
           d->days[0].month, d->days[0].day, last.year, last.month, last.day);
    printf("  customers  %lld, %lld of them members:", (long long)f[FIG_CUSTOMERS],
           (long long)f[FIG_MEMBERS]);
    for (int p = 0; p < N_PERSONAS; p++)
        printf("%s %d %s", p ? "," : "", d->persona_count[p], PERSONA_NAMES[p]);
    printf("\n  orders     %lld (%lld by members), %s after %lld refunds\n",
           (long long)f[FIG_ORDERS], (long long)f[FIG_MEMBER_ORDERS], revenue,
           (long long)f[FIG_REFUNDS]);
    printf("  points     %lld earned, %lld redeemed, %lld expired, %lld clawed back, %lld "
           "available\n",
           (long long)f[FIG_POINTS_EARNED], (long long)f[FIG_POINTS_REDEEMED],
           (long long)f[FIG_POINTS_EXPIRED], (long long)f[FIG_POINTS_CLAWED],
           (long long)f[FIG_POINTS_AVAILABLE]);
    printf("  vouchers   %lld issued (%lld from full coffee cards), %lld used, %lld expired, "
           "%lld open\n",
           (long long)f[FIG_VOUCHERS], (long long)f[FIG_VOUCHERS_FROM_STAMPS],
           (long long)f[FIG_VOUCHERS_USED], (long long)f[FIG_VOUCHERS_EXPIRED],
           (long long)f[FIG_VOUCHERS_OPEN]);
    printf("  tiers      %lld family, %lld regular; %lld goodwill adjustments by the manager\n",
           (long long)f[FIG_TIER_FAMILY], (long long)f[FIG_TIER_REGULAR],
           (long long)f[FIG_ADJUSTMENTS]);
    printf("%lld events in %lld batches, %lld run-due passes, %.1f s; all invariants hold.\n",
           (long long)d->events, (long long)d->batches, (long long)d->due_runs, seconds);
    printf("Next: fidele --db %s member list\n", cli->db_path);
}

/* ---- the command --------------------------------------------------------------------------- */

static enum fid_status load_rewards(struct demo *d, struct fid_error *err)
{
    const struct program *p = engine_program(d->engine);
    for (int i = 0; i < N_REWARDS; i++) {
        const struct reward *r = program_reward(p, REWARD_IDS[i]);
        if (r == NULL || r->cost_points <= 0)
            return fid_fail(err, FID_ERR_INTERNAL, "template",
                            "the cafe template has no reward \"%s\" paid in points", REWARD_IDS[i]);
        d->reward_cost[i] = r->cost_points;
        d->reward_value[i] = r->value_minor;
    }
    d->stamp_card = p->n_stamp_cards > 0 ? p->stamp_cards[0].id : NULL;
    return FID_OK;
}

/* Removes path and the SQLite files beside it. */
static enum fid_status remove_database(const char *path, struct fid_error *err)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < COUNT(suffixes); i++) {
        char name[DB_PATH_MAX + 16];
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (access(name, F_OK) == 0 && unlink(name) != 0)
            return fid_fail(err, FID_ERR_IO, "--db", "cannot remove %s", name);
    }
    return FID_OK;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    return (double)(end.tv_sec - start->tv_sec) + (double)(end.tv_nsec - start->tv_nsec) / 1e9;
}

int cmd_demo(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"customers", true}, {"force", false}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    int64_t customers = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_option_int(cli, "customers", 1, DEMO_CUSTOMERS_MAX, DEMO_CUSTOMERS_DEFAULT, &customers,
                       &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strlen(cli->db_path) >= DB_PATH_MAX) {
        fid_fail(&err, FID_ERR_INPUT, "--db", "a path of at most %d bytes", DB_PATH_MAX - 1);
        return cli_fail(cli, &err);
    }
    if (access(cli->db_path, F_OK) == 0) {
        if (!cli_flag(cli, "force")) {
            fid_fail(&err, FID_ERR_STATE, "--db",
                     "%s already exists; give --force to replace it with a new demo", cli->db_path);
            return cli_fail(cli, &err);
        }
        if (remove_database(cli->db_path, &err) != FID_OK)
            return cli_fail(cli, &err);
    }
    uint64_t seed = cli->seed;
    if (!cli->has_seed) { /* reported, so that the run can be repeated */
        struct fid_rng *entropy = fid_rng_new(NULL);
        fid_rng_bytes(entropy, &seed, sizeof seed);
        fid_rng_free(entropy);
        seed >>= 1; /* stays within json_int_t */
    }

    struct demo d = {.now = cli->now, .batch = json_array(), .rng = fid_rng_new(&seed)};
    json_t *violations = NULL;
    int64_t figures[N_FIGURES] = {0};
    int code = 1;
    enum fid_status st = fid_tz_open(DEMO_TIMEZONE, &d.tz, &err);
    if (st != FID_OK)
        goto done;
    build_calendar(&d);
    struct merchant_setup setup = {.name = DEMO_NAME,
                                   .currency = "EUR",
                                   .timezone = DEMO_TIMEZONE,
                                   .locale = "fr",
                                   .program_text = template_program("cafe")};
    struct engine_options options = {
        .db_path = cli->db_path, .durability = DB_DURABILITY_NORMAL, .seed = &seed};
    int64_t merchant_id = 0;
    if ((st = engine_create_merchant(cli->db_path, &setup, d.days[0].start, &merchant_id, &err)) !=
            FID_OK ||
        (st = engine_open(&options, &d.engine, &err)) != FID_OK ||
        (st = db_exec(engine_store(d.engine)->db, "PRAGMA cache_size=-65536", &err)) != FID_OK ||
        (st = load_rewards(&d, &err)) != FID_OK)
        goto done;
    build_population(&d, (int)customers);
    if ((st = simulate(&d, &err)) != FID_OK ||
        (st = engine_verify(d.engine, &violations, &err)) != FID_OK)
        goto done;
    if (json_array_size(violations) > 0) {
        cli_print_violations(violations);
        st = fid_fail(&err, FID_ERR_INTERNAL, "verify", "the demo broke %zu ledger invariants",
                      json_array_size(violations));
        goto done;
    }
    if ((st = read_figures(d.engine, figures, &err)) != FID_OK)
        goto done;
    print_report(cli, &d, seed, figures, seconds_since(&started));
    code = 0;
done:
    if (st != FID_OK)
        code = cli_fail(cli, &err);
    json_decref(violations);
    json_decref(d.batch);
    engine_close(d.engine);
    fid_tz_free(d.tz);
    fid_rng_free(d.rng);
    free(d.days);
    free(d.customers);
    free(d.vouchers);
    free(d.heap);
    return code;
}
