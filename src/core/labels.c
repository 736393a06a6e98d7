/*
 * Ledger labels of the engine's own rules, in French and English (labels.h). None holds a
 * quote or a backslash: explanations are written around them as JSON text.
 */
#include "core/labels.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct labels ENGLISH = {
    .base = "Base points",
    .below_minimum = "Below the minimum order: no points",
    .first_order = "First order bonus",
    .no_negative = "No negative earning",
    .welcome = "Welcome bonus",
    .welcome_quick = "Welcome bonus (joined within a day of buying)",
    .vip_welcome = "VIP welcome",
    .cashback = "Cashback on spend",
    .refund_pending = "Refund: pending points cancelled",
    .refund_clawback = "Refund clawback",
    .vip_credit_back = "VIP refund: welcome credit taken back",
    .pending_over = "Pending period over",
    .expiry_inactivity = "No activity: balance expired",
    .expiry_lot = "Points expired",
    .expiry_given_back = "Expiry given back: an event dated before it came in late",
    .full_card = "Full card",
    .tier_bonus = "{} tier bonus",
    .vip_bonus = "{} bonus",
};

static const struct labels FRENCH = {
    .base = "Points de base",
    .below_minimum = "Sous le minimum de commande : pas de points",
    .first_order = "Bonus de première commande",
    .no_negative = "Pas de gain négatif",
    .welcome = "Bonus de bienvenue",
    .welcome_quick = "Bonus de bienvenue (inscription dans les 24 h suivant un achat)",
    .vip_welcome = "Bienvenue VIP",
    .cashback = "Cashback sur les achats",
    .refund_pending = "Remboursement : points en attente annulés",
    .refund_clawback = "Reprise sur remboursement",
    .vip_credit_back = "Remboursement VIP : crédit de bienvenue repris",
    .pending_over = "Fin de la période d'attente",
    .expiry_inactivity = "Sans activité : solde expiré",
    .expiry_lot = "Points expirés",
    .expiry_given_back = "Expiration annulée : un événement daté d'avant elle est arrivé après",
    .full_card = "Carte complète",
    .tier_bonus = "Bonus niveau {}",
    .vip_bonus = "Bonus {}",
};

const struct labels *labels_for(const char *locale)
{
    return locale != NULL && strcmp(locale, "en") == 0 ? &ENGLISH : &FRENCH;
}

void labels_fill(const char *pattern, const char *name, char *out, size_t size)
{
    const char *hole = strstr(pattern, "{}");
    if (hole == NULL)
        snprintf(out, size, "%s", pattern);
    else
        snprintf(out, size, "%.*s%s%s", (int)(hole - pattern), pattern, name, hole + 2);
}

void labels_explain(char *out, size_t size, const char *rule, const char *label)
{
    snprintf(out, size, "[{\"rule\":\"%s\",\"label\":\"%s\"}]", rule, label);
}

/* The engine's fixed labels (no name in them), as fields of struct labels. */
static const size_t FIXED[] = {
    offsetof(struct labels, base),           offsetof(struct labels, below_minimum),
    offsetof(struct labels, first_order),    offsetof(struct labels, no_negative),
    offsetof(struct labels, welcome),        offsetof(struct labels, welcome_quick),
    offsetof(struct labels, vip_welcome),    offsetof(struct labels, cashback),
    offsetof(struct labels, refund_pending), offsetof(struct labels, refund_clawback),
    offsetof(struct labels, pending_over),   offsetof(struct labels, expiry_inactivity),
    offsetof(struct labels, expiry_lot),     offsetof(struct labels, expiry_given_back),
    offsetof(struct labels, full_card),      offsetof(struct labels, vip_credit_back),
};

static const char *field(const struct labels *words, size_t offset)
{
    return *(const char *const *)(const void *)((const char *)words + offset);
}

static bool has_prefix(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Whether label is pattern with a name in its "{}"; the name's bounds then. */
static bool fills(const char *pattern, const char *label, const char **name, size_t *length)
{
    const char *hole = strstr(pattern, "{}");
    size_t before = (size_t)(hole - pattern), after = strlen(hole + 2), n = strlen(label);
    if (n <= before + after || strncmp(label, pattern, before) != 0 ||
        strcmp(label + n - after, hole + 2) != 0)
        return false;
    *name = label + before;
    *length = n - before - after;
    return true;
}

void labels_translate(const char *rule, const char *label, const char *locale, char *out,
                      size_t size)
{
    static const struct labels *const LANGUAGES[] = {&FRENCH, &ENGLISH};
    const struct labels *to = labels_for(locale);
    /* a tier's or a VIP plan's bonus carries the name the merchant gave it */
    size_t named = has_prefix(rule, "tier:")  ? offsetof(struct labels, tier_bonus)
                   : has_prefix(rule, "vip:") ? offsetof(struct labels, vip_bonus)
                                              : 0;
    bool engine_rule = named != 0 || strcmp(rule, "base") == 0 ||
                       strcmp(rule, "first_order") == 0 || strcmp(rule, "floor") == 0 ||
                       strcmp(rule, "enrolment") == 0 || strcmp(rule, "cashback") == 0 ||
                       strcmp(rule, "refund") == 0 || strcmp(rule, "pending_period") == 0 ||
                       strcmp(rule, "expiry") == 0 || strcmp(rule, "vip_refund") == 0 ||
                       has_prefix(rule, "vip_welcome:") || has_prefix(rule, "stamp_card:");
    for (size_t l = 0; engine_rule && l < sizeof LANGUAGES / sizeof LANGUAGES[0]; l++) {
        if (named != 0) {
            const char *name;
            size_t length;
            if (fills(field(LANGUAGES[l], named), label, &name, &length)) {
                char held[256];
                snprintf(held, sizeof held, "%.*s", (int)length, name);
                labels_fill(field(to, named), held, out, size);
                return;
            }
            continue;
        }
        for (size_t f = 0; f < sizeof FIXED / sizeof FIXED[0]; f++)
            if (strcmp(field(LANGUAGES[l], FIXED[f]), label) == 0) {
                snprintf(out, size, "%s", field(to, FIXED[f]));
                return;
            }
    }
    snprintf(out, size, "%s", label);
}

void labels_explain_clawback(char *out, size_t size, const char *rule, const char *label,
                             const char *what, int64_t taken, int64_t forgiven)
{
    snprintf(out, size, "[{\"rule\":\"%s\",\"label\":\"%s\",\"%s\":%lld,\"forgiven\":%lld}]", rule,
             label, what, -(long long)taken, (long long)forgiven);
}
