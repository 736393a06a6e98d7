/*
 * The demo café's menu, the template's rewards, and what each kind of customer orders: the
 * lists below weight a choice by repeating an entry, so their order and repetitions are part of
 * every seeded demo.
 */
#include "cli/demo.h"

const char *const DEMO_REWARD_IDS[N_REWARDS] = {"free-coffee", "pastry", "five-off", "latte-art"};

/* ESPRESSO and CROISSANT are the products of the template's free-coffee and pastry rewards. */
const struct menu_item DEMO_MENU[N_SKUS] = {
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

enum sku demo_usual_drink(struct demo *d, enum persona persona)
{
    return persona == AFTERNOON_WORKER ? PICK(d->rng, AFTERNOON_DRINKS)
                                       : PICK(d->rng, MORNING_DRINKS);
}

void demo_basket_add(struct basket *b, enum sku sku, int64_t qty)
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

bool demo_basket_has(const struct basket *b, enum sku sku)
{
    for (int i = 0; i < b->n; i++)
        if (b->sku[i] == sku)
            return true;
    return false;
}

int64_t demo_basket_gross(const struct basket *b)
{
    int64_t gross = 0;
    for (int i = 0; i < b->n; i++)
        gross += b->qty[i] * DEMO_MENU[b->sku[i]].price_minor;
    return gross;
}

void demo_fill_basket(struct demo *d, const struct demo_customer *c, int minute, struct basket *b)
{
    switch (c->persona) {
    case MORNING_REGULAR:
    case LAPSED_REGULAR:
        if (minute >= 11 * 60) { /* a lapsed regular's lunch */
            demo_basket_add(b, PICK(d->rng, LUNCH), 1);
            demo_basket_add(b, demo_chance(d, 60) ? c->drink : ESPRESSO, 1);
            break;
        }
        demo_basket_add(b, demo_chance(d, 75) ? c->drink : PICK(d->rng, MORNING_DRINKS), 1);
        if (demo_chance(d, c->extra_pct))
            demo_basket_add(b, PICK(d->rng, MORNING_PASTRIES), 1);
        if (demo_chance(d, 6)) /* one for a colleague */
            demo_basket_add(b, PICK(d->rng, MORNING_DRINKS), 1);
        if (demo_chance_pm(d, 15))
            demo_basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    case AFTERNOON_WORKER:
        demo_basket_add(b, demo_chance(d, 70) ? c->drink : PICK(d->rng, AFTERNOON_DRINKS), 1);
        if (demo_chance(d, c->extra_pct))
            demo_basket_add(b, PICK(d->rng, SWEETS), 1);
        if (demo_chance(d, 12))
            demo_basket_add(b, PICK(d->rng, LUNCH), 1);
        if (demo_chance(d, 10))
            demo_basket_add(b, PICK(d->rng, AFTERNOON_DRINKS), 1);
        if (demo_chance_pm(d, 30))
            demo_basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    case WEEKEND_VISITOR: {
        int people =
            c->party + (demo_chance(d, 15) ? 1 : 0) - (c->party > 1 && demo_chance(d, 20) ? 1 : 0);
        if (demo_chance(d, 35)) {
            demo_basket_add(b, BRUNCH, people);
        } else {
            for (int i = 0; i < people; i++) {
                demo_basket_add(b, PICK(d->rng, BRUNCH_DRINKS), 1);
                if (demo_chance(d, 80))
                    demo_basket_add(b, PICK(d->rng, BRUNCH_PLATES), 1);
            }
        }
        if (demo_chance(d, c->extra_pct))
            demo_basket_add(b, PICK(d->rng, WEEKEND_PASTRIES), 1 + demo_below(d, people + 1));
        if (demo_chance(d, 30))
            demo_basket_add(b, PICK(d->rng, BRUNCH_DRINKS), 1);
        if (demo_chance(d, 12))
            demo_basket_add(b, PICK(d->rng, BEANS), 1);
        break;
    }
    case ONE_OFF_BUYER: {
        int r = demo_below(d, 100);
        if (r < 50) {
            demo_basket_add(b, PICK(d->rng, MORNING_DRINKS), 1);
            if (demo_chance(d, 60))
                demo_basket_add(b, PICK(d->rng, WEEKEND_PASTRIES), 1);
        } else if (r < 70) {
            demo_basket_add(b, PICK(d->rng, BEANS), 1 + (demo_chance(d, 25) ? 1 : 0));
            if (demo_chance(d, 50))
                demo_basket_add(b, ESPRESSO, 1);
        } else {
            demo_basket_add(b, PICK(d->rng, LUNCH), 1);
            demo_basket_add(b, PICK(d->rng, AFTERNOON_DRINKS), 1);
            if (demo_chance(d, 40))
                demo_basket_add(b, PICK(d->rng, SWEETS), 1);
        }
        break;
    }
    case N_PERSONAS:
        break;
    }
}
