/*
 * core/labels: the words of the engine's own ledger lines read again in a member's language,
 * both ways, names the merchant gave kept inside them and left alone everywhere else.
 */
#include "../unit_support.h"

#include "core/labels.h"

struct translate_case {
    const char *rule, *label, *locale, *want;
};

static const struct translate_case CASES[] = {
    /* the engine's fixed words, French to English and back, and to their own language */
    {"enrolment", "Bonus de bienvenue", "en", "Welcome bonus"},
    {"enrolment", "Welcome bonus", "fr", "Bonus de bienvenue"},
    {"enrolment", "Bonus de bienvenue (inscription dans les 24 h suivant un achat)", "en",
     "Welcome bonus (joined within a day of buying)"},
    {"base", "Points de base", "en", "Base points"},
    {"base", "Points de base", "fr", "Points de base"},
    {"base", "Sous le minimum de commande : pas de points", "en",
     "Below the minimum order: no points"},
    {"first_order", "Bonus de première commande", "en", "First order bonus"},
    {"floor", "No negative earning", "fr", "Pas de gain négatif"},
    {"cashback", "Cashback sur les achats", "en", "Cashback on spend"},
    {"refund", "Reprise sur remboursement", "en", "Refund clawback"},
    {"refund", "Refund: pending points cancelled", "fr",
     "Remboursement : points en attente annulés"},
    {"pending_period", "Fin de la période d'attente", "en", "Pending period over"},
    {"expiry", "Sans activité : solde expiré", "en", "No activity: balance expired"},
    {"expiry", "Points expired", "fr", "Points expirés"},
    {"stamp_card:coffee", "Carte complète", "en", "Full card"},
    {"vip_welcome:club", "Bienvenue VIP", "en", "VIP welcome"},
    {"vip_refund", "Remboursement VIP : crédit de bienvenue repris", "en",
     "VIP refund: welcome credit taken back"},
    {"vip_refund", "VIP refund: welcome credit taken back", "fr",
     "Remboursement VIP : crédit de bienvenue repris"},
    /* a tier's or plan's bonus keeps the name the merchant gave it */
    {"tier:gold", "Bonus niveau Or", "en", "Or tier bonus"},
    {"tier:gold", "Gold tier bonus", "fr", "Bonus niveau Gold"},
    {"vip:club", "Bonus Club Café", "en", "Club Café bonus"},
    {"vip:club", "Club Café bonus", "fr", "Bonus Club Café"},
    /* an unknown locale is French, as labels_for says */
    {"base", "Base points", "de", "Points de base"},
    /* names the merchant gave, even when they read like the engine's words, stay as they are */
    {"multiplier:tuesday", "Bonus de bienvenue", "en", "Bonus de bienvenue"},
    {"reward", "Points de base", "en", "Points de base"},
    {"adjustment", "Welcome bonus", "fr", "Welcome bonus"},
    /* words the engine does not know (another version's), and a tier label of another shape */
    {"base", "Points à la base", "en", "Points à la base"},
    {"tier:gold", "Gold", "fr", "Gold"},
    {"tier:gold", "Bonus niveau ", "en", "Bonus niveau "},
};

static void test_translate(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CASES); i++) {
        const struct translate_case *c = &CASES[i];
        char out[512];
        labels_translate(c->rule, c->label, c->locale, out, sizeof out);
        if (strcmp(out, c->want) != 0) {
            print_error("[%s \"%s\" in %s] got \"%s\", expected \"%s\"\n", c->rule, c->label,
                        c->locale, out, c->want);
            fail();
        }
    }
}

/* Every fixed word of one language finds its counterpart in the other and back. */
static void test_round_trip(void **state)
{
    (void)state;
    const struct labels *fr = labels_for("fr"), *en = labels_for("en");
    const char *const french[] = {
        fr->base,           fr->below_minimum,   fr->first_order,  fr->no_negative,
        fr->welcome,        fr->welcome_quick,   fr->vip_welcome,  fr->cashback,
        fr->refund_pending, fr->refund_clawback, fr->pending_over, fr->expiry_inactivity,
        fr->expiry_lot,     fr->full_card};
    const char *const english[] = {
        en->base,           en->below_minimum,   en->first_order,  en->no_negative,
        en->welcome,        en->welcome_quick,   en->vip_welcome,  en->cashback,
        en->refund_pending, en->refund_clawback, en->pending_over, en->expiry_inactivity,
        en->expiry_lot,     en->full_card};
    for (size_t i = 0; i < N_ELEMENTS(french); i++) {
        char there[512], back[512];
        labels_translate("base", french[i], "en", there, sizeof there);
        assert_string_equal(there, english[i]);
        labels_translate("base", there, "fr", back, sizeof back);
        assert_string_equal(back, french[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
