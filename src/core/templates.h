/*
 * Starting programmes for common businesses, used by `fidele init --template NAME`.
 */
#ifndef FIDELE_CORE_TEMPLATES_H
#define FIDELE_CORE_TEMPLATES_H

/* The programme document (JSON text) of a template, or NULL when name is unknown. Static. */
const char *template_program(const char *name);

/* Names of the templates, NULL-terminated. */
extern const char *const TEMPLATE_NAMES[];

#endif
