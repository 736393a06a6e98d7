/*
 * A customer's stamp balances as its row stores them: a JSON object card -> [stamps, cards
 * completed], keys sorted. A purchase reads and writes them, so they are read without a JSON
 * tree when the text has the form this module writes (keys without escapes, two integers each),
 * and through jansson otherwise; both give the same balances (the fuzz target holds them to it).
 */
#ifndef FIDELE_STORE_STAMP_BALANCES_H
#define FIDELE_STORE_STAMP_BALANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stamp_balance {
    char *card; /* owned */
    int64_t stamps, completed;
};

/* Sorted by card, bytewise; each card once. */
struct stamp_balances {
    struct stamp_balance *items;
    size_t n, capacity;
};

/* Reads text into *out (emptied first). False when text is not a JSON object; a member whose
 * value is not an array of integers counts as jansson's json_integer_value reads it (0). */
bool stamp_balances_read(const char *text, struct stamp_balances *out);

/* The balance on card, or NULL when the customer has none. */
const struct stamp_balance *stamp_balances_find(const struct stamp_balances *b, const char *card);

void stamp_balances_set(struct stamp_balances *b, const char *card, int64_t stamps,
                        int64_t completed);

/* The text the row stores (caller frees): compact, keys sorted. */
char *stamp_balances_text(const struct stamp_balances *b);

void stamp_balances_clear(struct stamp_balances *b);

#endif
