/*
 * The words the engine writes into ledger explanations for its own rules, in the merchant's
 * language ("fr" or "en"); the programme's rules carry the names the merchant gave them. Stored
 * with each entry, as members read them.
 */
#ifndef FIDELE_CORE_LABELS_H
#define FIDELE_CORE_LABELS_H

#include <stddef.h>
#include <stdint.h>

struct labels {
    const char *base;              /* points at the programme's rate */
    const char *below_minimum;     /* an order under the minimum amount */
    const char *first_order;       /* the first order's bonus */
    const char *no_negative;       /* multipliers below 100% never take more than the base */
    const char *welcome;           /* the enrolment bonus */
    const char *welcome_quick;     /* ... when enrolling within the quick window of a purchase */
    const char *vip_welcome;       /* a VIP plan's welcome reward */
    const char *cashback;          /* cashback on spend */
    const char *refund_pending;    /* a refund cancels pending points */
    const char *refund_clawback;   /* a refund takes back what the order earned */
    const char *vip_credit_back;   /* a VIP refund takes back the welcome's cashback credit */
    const char *pending_over;      /* pending points become available */
    const char *expiry_inactivity; /* the whole balance after months without activity */
    const char *expiry_lot;        /* a lot's points at the end of their validity */
    const char *expiry_given_back; /* an expiry undone by an event dated before it, come late */
    const char *full_card;         /* a stamp card completed */
    const char *tier_bonus;        /* a tier's multiplier: "{}" stands for the tier's name */
    const char *vip_bonus;         /* a VIP plan's multiplier: "{}" for the plan's name */
};

/* The labels of a language: "en" English, anything else (the default "fr") French. Static. */
const struct labels *labels_for(const char *locale);

/* pattern with its "{}" replaced by name, into out. */
void labels_fill(const char *pattern, const char *name, char *out, size_t size);

/*
 * The label an explanation line of that rule carries, in locale's words, into out: a label of the
 * engine's own rules (welcome, base points, a tier's bonus with its name...) written in either
 * language is written again in locale's; a name the merchant gave (a multiplier, a reward, an
 * adjustment's reason) is kept as it is. Ledger lines keep the merchant's language; a member's
 * view of them is in the member's.
 */
void labels_translate(const char *rule, const char *label, const char *locale, char *out,
                      size_t size);

/* A one-line explanation, [{"rule": rule, "label": label}], into out. */
void labels_explain(char *out, size_t size, const char *rule, const char *label);

/* The explanation of a clawback, [{"rule", "label", what: -taken, "forgiven": forgiven}], into
 * out: what was taken back (with the entry's sign) and what was forgiven. */
void labels_explain_clawback(char *out, size_t size, const char *rule, const char *label,
                             const char *what, int64_t taken, int64_t forgiven);

#endif
