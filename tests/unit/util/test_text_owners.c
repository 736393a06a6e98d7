/*
 * util/text_owners: texts (e-mail addresses, phones) to their one owner, or to "shared" once a
 * second owner has the same text; exact texts (a prefix or another case is another text),
 * through growth, with texts copied (the caller's buffers may change).
 */
#include "../unit_support.h"

#include "util/text_owners.h"

static void test_empty(void **state)
{
    (void)state;
    struct text_owners map;
    text_owners_init(&map);
    UNIT_EQ_INT("nothing in an empty map", text_owners_find(&map, "a@example.com"),
                TEXT_OWNERS_NONE);
    text_owners_free(&map);
    text_owners_free(&map); /* freeing twice is harmless */
    assert_null(map.slots);
}

static void test_owners(void **state)
{
    (void)state;
    struct text_owners map;
    text_owners_init(&map);
    char text[64];
    snprintf(text, sizeof text, "%s", "ann@example.com");
    text_owners_add(&map, text, 7);
    snprintf(text, sizeof text, "%s", "changed");
    UNIT_EQ_INT("the text was copied", text_owners_find(&map, "ann@example.com"), 7);
    UNIT_EQ_INT("a prefix is another text", text_owners_find(&map, "ann@example.co"),
                TEXT_OWNERS_NONE);
    UNIT_EQ_INT("another case is another text", text_owners_find(&map, "Ann@example.com"),
                TEXT_OWNERS_NONE);
    text_owners_add(&map, "ann@example.com", 7);
    UNIT_EQ_INT("the same owner again", text_owners_find(&map, "ann@example.com"), 7);
    text_owners_add(&map, "ann@example.com", 9);
    UNIT_EQ_INT("two owners", text_owners_find(&map, "ann@example.com"), TEXT_OWNERS_SHARED);
    text_owners_add(&map, "ann@example.com", 7);
    UNIT_EQ_INT("shared stays shared", text_owners_find(&map, "ann@example.com"),
                TEXT_OWNERS_SHARED);
    text_owners_add(&map, "", 3);
    UNIT_EQ_INT("the empty text", text_owners_find(&map, ""), 3);
    text_owners_free(&map);
}

/* Many texts: each finds its owner after the table grew many times; every other one shared. */
static void test_growth(void **state)
{
    (void)state;
    struct text_owners map;
    text_owners_init(&map);
    enum { N = 100000 };
    char text[32];
    for (uint32_t i = 1; i <= N; i++) {
        snprintf(text, sizeof text, "+3361%07u", i);
        text_owners_add(&map, text, i);
        if (i % 2 == 0)
            text_owners_add(&map, text, i + 1);
    }
    UNIT_EQ_INT("count", map.count, N);
    if (map.count * 2 > map.capacity) {
        print_error("%zu texts in %zu slots: above 1/2\n", map.count, map.capacity);
        fail();
    }
    for (uint32_t i = 1; i <= N; i++) {
        snprintf(text, sizeof text, "+3361%07u", i);
        uint32_t owner = text_owners_find(&map, text);
        if (owner != (i % 2 == 0 ? TEXT_OWNERS_SHARED : i)) {
            print_error("%s: owner %u\n", text, owner);
            fail();
        }
    }
    UNIT_EQ_INT("absent", text_owners_find(&map, "+33610000000"), TEXT_OWNERS_NONE);
    text_owners_free(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_owners),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
