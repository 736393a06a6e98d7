/*
 * What happens at the café, as events: a visit (enrolment at the till, the order, a voucher used
 * on it, a redemption, and follow-ups scheduled for later: an enrolment from home, a refund), and
 * the other items of the queue (a late enrolment, a refund, a manager's adjustment, a workshop).
 * Events wait in d->batch for demo_engine.c; what a member can spend is only what the engine last
 * reported minus what is already reserved.
 */
#include <stdio.h>
#include <string.h>

#include "cli/demo.h"
#include "util/timeutil.h"

#define DEMO_LATTE_MAX 10 /* workshop seats the demo takes (the template's stock is 12) */

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
    "Geste commercial : longue attente au comptoir", "Geste commercial : erreur de boisson",
    "Geste commercial : carte oubliée", "Geste commercial : plus de lait d'avoine",
    "Geste commercial : merci pour votre avis"};

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

/* Notes an e-mail or phone as given; false when it already was. */
static bool contact_take(struct demo *d, const char *contact)
{
    if (json_object_get(d->contacts, contact) != NULL)
        return false;
    json_object_set_new(d->contacts, contact, json_true());
    return true;
}

static void emit_enrol(struct demo *d, int ci, int64_t at)
{
    struct demo_customer *c = &d->customers[ci];
    bool english = demo_chance(d, 12);
    const char *first = english ? PICK(d->rng, FIRST_NAMES_EN) : PICK(d->rng, FIRST_NAMES_FR);
    const char *last = english ? PICK(d->rng, LAST_NAMES_EN) : PICK(d->rng, LAST_NAMES_FR);
    char name[96], first_slug[32], last_slug[32], email[128], key[EVENT_KEY_MAX];
    snprintf(name, sizeof name, "%s %s", first, last);
    mail_slug(first, first_slug, sizeof first_slug);
    mail_slug(last, last_slug, sizeof last_slug);
    int style = demo_below(d, 3);
    if (style == 0)
        snprintf(email, sizeof email, "%s.%s@%s", first_slug, last_slug,
                 PICK(d->rng, MAIL_DOMAINS));
    else if (style == 1)
        snprintf(email, sizeof email, "%c%s%d@%s", first_slug[0], last_slug, 1 + demo_below(d, 98),
                 PICK(d->rng, MAIL_DOMAINS));
    else
        snprintf(email, sizeof email, "%s.%s%d@%s", first_slug, last_slug, ci + 1,
                 PICK(d->rng, MAIL_DOMAINS));
    /* an e-mail names one member: a namesake's gets the customer's number, which no other has */
    if (!contact_take(d, email)) {
        char domain[32]; /* copied out: the address is written over */
        snprintf(domain, sizeof domain, "%s", strchr(email, '@') + 1);
        snprintf(email, sizeof email, "%s.%s%d@%s", first_slug, last_slug, ci + 1, domain);
    }
    (void)contact_take(d, email);
    snprintf(key, sizeof key, "enrol:%s", c->ref);
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "enrol", "key", key, "customer", c->ref,
                  "name", name, "email", email, "locale", english ? "en" : "fr");
    bool phone = demo_chance(d, 45);
    if (phone) {
        char number[24];
        do { /* a phone names one member too: drawn again when taken */
            if (english)
                snprintf(number, sizeof number, "+447%09d", demo_below(d, 1000000000));
            else
                snprintf(number, sizeof number, "+33%d%08d", 6 + demo_below(d, 2),
                         demo_below(d, 100000000));
        } while (!contact_take(d, number));
        json_object_set_new(ev, "phone", json_string(number));
    }
    if (demo_chance(d, 65)) {
        char birthday[48];
        snprintf(birthday, sizeof birthday, "%04d-%02d-%02d", 1950 + demo_below(d, 56),
                 1 + demo_below(d, 12), 1 + demo_below(d, 28));
        json_object_set_new(ev, "birthday", json_string(birthday));
    }
    json_t *consents = json_array();
    if (demo_chance(d, 75))
        json_array_append_new(consents, json_string("email"));
    if (phone && demo_chance(d, 50))
        json_array_append_new(consents, json_string("sms"));
    if (demo_chance(d, 25))
        json_array_append_new(consents, json_string("push"));
    json_object_set_new(ev, "consents", consents);
    c->enrol_at = at;
    emit(d, ev, at);
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
        if (v->reward == FIVE_OFF && demo_basket_gross(b) < d->reward_value[FIVE_OFF] + 100)
            continue;
        if (best < 0 || v->valid_until < d->vouchers[best].valid_until)
            best = i;
    }
    if (best < 0)
        return -1;
    struct demo_voucher *v = &d->vouchers[best];
    if (v->reward == FREE_COFFEE && !demo_basket_has(b, ESPRESSO))
        demo_basket_add(b, ESPRESSO, 1);
    if (v->reward == PASTRY && !demo_basket_has(b, CROISSANT))
        demo_basket_add(b, CROISSANT, 1);
    b->discount_minor += d->reward_value[v->reward];
    v->used = true;
    return best;
}

static void emit_order(struct demo *d, const struct demo_customer *c, int64_t at,
                       const char *ticket, const struct basket *b)
{
    json_t *lines = json_array();
    for (int i = 0; i < b->n; i++) {
        const struct menu_item *m = &DEMO_MENU[b->sku[i]];
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
    if (c->redeem_pct == 0 || !demo_chance(d, c->redeem_pct))
        return;
    int r = -1;
    if (c->family && available >= d->reward_cost[LATTE_ART] && d->latte_taken < DEMO_LATTE_MAX &&
        demo_chance(d, 30))
        r = LATTE_ART;
    else if (c->saver)
        r = available >= d->reward_cost[FIVE_OFF] ? FIVE_OFF : -1;
    else if (available >= d->reward_cost[FREE_COFFEE] && demo_chance(d, 65))
        r = FREE_COFFEE;
    else if (available >= d->reward_cost[PASTRY])
        r = PASTRY;
    if (r < 0)
        return;
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "redeem:%s:%d", c->ref, ++c->redeems);
    emit(d,
         json_pack("{s:s, s:s, s:s, s:s}", "type", "redeem", "key", key, "customer", c->ref,
                   "reward", DEMO_REWARD_IDS[r]),
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
    demo_fill_basket(d, c, it->minute, &b);
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
        int minute =
            demo_clamp(it->minute + 45 + demo_below(d, 600), it->minute + 30, 22 * 60 + 30);
        demo_push(d, (struct item){.at = demo_local_time(d, d->day, minute) + demo_below(d, 60),
                                   .kind = ITEM_ENROL,
                                   .customer = ci});
    }
    int64_t paid = demo_basket_gross(&b) - b.discount_minor;
    if (b.n >= 2 && demo_chance_pm(d, 5)) { /* a pastry dropped, a dish sent back */
        struct item refund = {.at = at + 180 + demo_below(d, 2400),
                              .kind = ITEM_REFUND,
                              .customer = ci,
                              .sku = b.sku[b.n - 1]};
        snprintf(refund.ticket, sizeof refund.ticket, "%s", ticket);
        demo_push(d, refund);
    } else if (paid >= 400 && demo_chance_pm(d, 2)) { /* charged for the wrong size */
        struct item refund = {.at = at + 120 + demo_below(d, 1200),
                              .kind = ITEM_REFUND,
                              .customer = ci,
                              .amount = 50 + 10 * demo_below(d, (int)(paid / 2 - 50) / 10 + 1)};
        snprintf(refund.ticket, sizeof refund.ticket, "%s", ticket);
        demo_push(d, refund);
    }
    if (c->enrol_at != 0 && c->enrol_at < at)
        maybe_redeem(d, ci, at + 40);
}

static void emit_refund(struct demo *d, const struct item *it)
{
    /* The clawback lowers the balance before the results say so: keep a bound of it reserved
     * (x4 covers the largest stack of multipliers, plus a first-order bonus). */
    const struct program *p = engine_program(d->engine);
    int64_t money = it->amount > 0 ? it->amount : DEMO_MENU[it->sku].price_minor;
    d->customers[it->customer].reserved +=
        money * 4 * p->earning.points / p->earning.per_minor + p->earning.first_order_bonus + 1;
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "refund:%s", it->ticket);
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "refund", "key", key, "order_id", it->ticket);
    if (it->amount > 0)
        json_object_set_new(ev, "amount_minor", json_integer(it->amount));
    else
        json_object_set_new(
            ev, "lines", json_pack("[{s:s, s:i}]", "sku", DEMO_MENU[it->sku].sku, "quantity", 1));
    emit(d, ev, it->at);
}

static void emit_adjustment(struct demo *d, const struct item *it)
{
    const struct demo_customer *c = &d->customers[it->customer];
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "adjust:%s:%d", c->ref, ++d->adjustments);
    bool stamps = d->stamp_card && demo_chance(d, 25);
    json_t *ev = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:s}", "type", "adjustment", "key", key, "customer", c->ref,
        "points", (json_int_t)(stamps ? 1 : it->amount), "reason",
        stamps ? "Geste commercial : tampon oublié en caisse" : PICK(d->rng, GOODWILL_REASONS),
        "author", "manager");
    if (stamps) {
        json_object_set_new(ev, "account", json_string("stamps"));
        json_object_set_new(ev, "card", json_string(d->stamp_card));
    }
    emit(d, ev, it->at);
}

void demo_handle(struct demo *d, const struct item *it)
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
