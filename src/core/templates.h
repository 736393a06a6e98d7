/*
 * Starting programmes for common businesses, used by `fidele init --template NAME`.
 */
#ifndef FIDELE_CORE_TEMPLATES_H
#define FIDELE_CORE_TEMPLATES_H

/* The programme document (JSON text) of a template, or NULL when name is unknown. Static. */
const char *template_program(const char *name);

/* The template's document for a merchant keeping accounts in `currency` (`digits` decimals) and
 * speaking `locale` ("en" English, else French): the amounts stay in minor units, names,
 * descriptions and benefits are in the merchant's language, and reward names that speak of money
 * ("5 EUR off") say the reward's own amount in that currency ("500 JPY off"). Allocated; NULL
 * when name is unknown. */
char *template_program_in(const char *name, const char *currency, int digits, const char *locale);

/* Names of the templates, NULL-terminated. */
extern const char *const TEMPLATE_NAMES[];

#endif
