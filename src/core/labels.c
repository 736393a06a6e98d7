/*
 * Ledger labels of the engine's own rules, in French and English (labels.h). None holds a
 * quote or a backslash: explanations are written around them as JSON text.
 */
#include "core/labels.h"

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
    .pending_over = "Pending period over",
    .expiry_inactivity = "No activity: balance expired",
    .expiry_lot = "Points expired",
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
    .pending_over = "Fin de la période d'attente",
    .expiry_inactivity = "Sans activité : solde expiré",
    .expiry_lot = "Points expirés",
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
