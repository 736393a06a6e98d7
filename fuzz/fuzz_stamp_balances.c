/*
 * Fuzz target for a customer's stamp balances as its row stores them (store/stamp_balances.h).
 * The input is the row's text. Read by hand or through jansson, it must give what a jansson tree
 * says (an object or not; per card json_integer_value of the array's two first elements); written
 * again it must give the bytes the store wrote with jansson (sorted keys, compact) and read back
 * to the same balances; a card set then is found with its figures and the cards stay sorted.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "store/stamp_balances.h"
#include "util/jsonwrite.h"

static json_t *as_tree(const struct stamp_balances *b)
{
    json_t *tree = json_object();
    for (size_t i = 0; i < b->n; i++)
        json_object_set_new(
            tree, b->items[i].card,
            json_pack("[I, I]", (json_int_t)b->items[i].stamps, (json_int_t)b->items[i].completed));
    return tree;
}

static void check_same(const struct stamp_balances *b, const struct stamp_balances *other)
{
    FUZZ_ASSERT(b->n == other->n);
    for (size_t i = 0; i < b->n; i++) {
        FUZZ_ASSERT(strcmp(b->items[i].card, other->items[i].card) == 0);
        FUZZ_ASSERT(b->items[i].stamps == other->items[i].stamps);
        FUZZ_ASSERT(b->items[i].completed == other->items[i].completed);
    }
}

static void check_sorted(const struct stamp_balances *b)
{
    for (size_t i = 1; i < b->n; i++)
        FUZZ_ASSERT(strcmp(b->items[i - 1].card, b->items[i].card) < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct stamp_balances b = {0};
    bool read = stamp_balances_read(text, &b);
    json_error_t jerr;
    json_t *tree = json_loads(text, 0, &jerr);
    FUZZ_ASSERT(read == json_is_object(tree));
    if (read) {
        FUZZ_ASSERT(b.n == json_object_size(tree));
        check_sorted(&b);
        for (size_t i = 0; i < b.n; i++) {
            json_t *figures = json_object_get(tree, b.items[i].card);
            FUZZ_ASSERT(figures != NULL);
            FUZZ_ASSERT(b.items[i].stamps == json_integer_value(json_array_get(figures, 0)));
            FUZZ_ASSERT(b.items[i].completed == json_integer_value(json_array_get(figures, 1)));
        }

        char *written = stamp_balances_text(&b);
        json_t *normal = as_tree(&b);
        char *by_jansson = jsonw_dump_sorted(normal);
        FUZZ_ASSERT(strcmp(written, by_jansson) == 0);
        struct stamp_balances again = {0};
        FUZZ_ASSERT(stamp_balances_read(written, &again));
        check_same(&b, &again);

        /* A card set: the input's first card with new figures, and one it may not have. */
        const char *card = b.n > 0 ? b.items[0].card : "coffee";
        const char *other = strcmp(card, "zz-new") == 0 ? "zz-other" : "zz-new";
        stamp_balances_set(&again, card, 7, 2);
        stamp_balances_set(&again, other, 1, 0);
        check_sorted(&again);
        const struct stamp_balance *found = stamp_balances_find(&again, card);
        FUZZ_ASSERT(found && found->stamps == 7 && found->completed == 2);
        found = stamp_balances_find(&again, other);
        FUZZ_ASSERT(found && found->stamps == 1 && found->completed == 0);
        stamp_balances_clear(&again);
        free(by_jansson);
        json_decref(normal);
        free(written);
    } else {
        FUZZ_ASSERT(b.n == 0);
    }
    json_decref(tree);
    stamp_balances_clear(&b);
    free(text);
    return 0;
}
