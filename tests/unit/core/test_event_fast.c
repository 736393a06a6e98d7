/*
 * core/event_fast: the orders a program writes are read without a tree into exactly the event
 * event_parse reads (fields, canonical text, digest), with or without an Idempotency-Key header;
 * every other text is left to event_parse.
 */
#include "core_support.h"

#include "core/event_fast.h"

#define NOW 1772525520LL /* 2026-03-03T08:12:00Z, the injected clock */

/* event_parse's event for text, with header joined as the API joins it (NULL: none). */
static struct event *tree_event(const char *text, const char *header)
{
    json_t *obj = NULL;
    struct event *ev = NULL;
    assert_int_equal(jsonr_parse(text, strlen(text), &obj, NULL), FID_OK);
    if (header && json_object_get(obj, "key") == NULL)
        json_object_set_new(obj, "key", json_string(header));
    assert_int_equal(event_parse(obj, NOW, &ev, NULL), FID_OK);
    json_decref(obj);
    return ev;
}

static void assert_same(const struct event *a, const struct event *b)
{
    assert_int_equal(a->type, b->type);
    assert_string_equal(a->key, b->key);
    assert_string_equal(a->canonical, b->canonical);
    assert_string_equal(a->digest, b->digest);
    assert_int_equal(a->at, b->at);
    assert_int_equal(a->has_at, b->has_at);
    assert_string_equal(a->customer, b->customer);
    assert_string_equal(a->order_id, b->order_id);
    assert_int_equal(a->channel, b->channel);
    assert_string_equal(a->currency, b->currency);
    assert_int_equal(a->discount_minor, b->discount_minor);
    assert_int_equal(a->shipping_minor, b->shipping_minor);
    assert_int_equal(a->tax_minor, b->tax_minor);
    assert_int_equal(a->history, b->history);
    assert_int_equal(a->n_lines, b->n_lines);
    for (size_t i = 0; i < a->n_lines; i++) {
        assert_string_equal(a->lines[i].sku, b->lines[i].sku);
        assert_string_equal(a->lines[i].category, b->lines[i].category);
        assert_int_equal(a->lines[i].quantity, b->lines[i].quantity);
        assert_int_equal(a->lines[i].unit_price_minor, b->lines[i].unit_price_minor);
        assert_int_equal(a->lines[i].amount_minor, b->lines[i].amount_minor);
    }
}

struct read_case {
    const char *name;
    const char *json;
    const char *header; /* Idempotency-Key, or NULL */
};

static const struct read_case READ_CASES[] = {
    {"the benchmark's order",
     "{'type':'order','customer':'m00042','order_id':'run-1-7','lines':[{'sku':'ESP','category':"
     "'coffee','quantity':2,'unit_price_minor':250}]}",
     "run-1-7"},
    {"every member, spaced, in no order",
     "{ 'tax_minor' : 10, 'lines' : [ {'unit_price_minor': 1200, 'sku': 'B1', 'quantity': 3}, "
     "{'sku': 'C', 'category': '', 'quantity': 1, 'unit_price_minor': 0} ],\n 'history': false, "
     "'type': 'order', 'key': 'k-1', 'at': '2026-03-03T09:12:00+01:00', 'customer': 'c-1', "
     "'order_id': 'o-1', 'channel': 'online', 'currency': 'EUR', 'discount_minor': 100, "
     "'shipping_minor': 490 }",
     NULL},
    {"the header equal to the body's key",
     "{'type':'order','key':'k-9','customer':'c','order_id':"
     "'o','lines':[{'sku':'A','quantity':1,'unit_price_minor':"
     "5}]}",
     "k-9"},
    {"a history order",
     "{'type':'order','key':'h','customer':'c','order_id':'o','history':true,"
     "'channel':'store','currency':'','lines':[{'sku':'A','quantity':1,"
     "'unit_price_minor':5}]}",
     NULL},
};

static void test_reads_what_the_tree_reads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof READ_CASES / sizeof READ_CASES[0]; i++) {
        const struct read_case *c = &READ_CASES[i];
        char *text = unit_json(c->json);
        struct event *fast = event_parse_order_text(text, strlen(text), c->header, NOW);
        if (fast == NULL)
            print_error("case \"%s\" was left to the tree\n", c->name);
        assert_non_null(fast);
        struct event *tree = tree_event(text, c->header);
        assert_same(fast, tree);
        event_free(fast);
        event_free(tree);
        free(text);
    }
}

struct other_case {
    const char *name;
    const char *json; /* double quotes here: the cases are about the text's bytes */
    const char *header;
};

#define LINE           "\"lines\":[{\"sku\":\"A\",\"quantity\":1,\"unit_price_minor\":5}]"
#define ORDER(members) "{\"type\":\"order\",\"customer\":\"c\",\"order_id\":\"o\"," members "}"

static const struct other_case OTHER_CASES[] = {
    {"no key", ORDER(LINE), NULL},
    {"the header differs from the body's key", ORDER("\"key\":\"a\"," LINE), "b"},
    {"a header too long", ORDER(LINE),
     "0123456789012345678901234567890123456789012345678901234567890123456789012345678"
     "901234567890123456789012345678901234567890123456789"},
    {"a header with a quote", ORDER(LINE), "a\"b"},
    {"an escape in a string", ORDER("\"key\":\"a\\u0041\"," LINE), NULL},
    {"a byte beyond ASCII", ORDER("\"key\":\"caf\xc3\xa9\"," LINE), NULL},
    {"a real number",
     ORDER("\"key\":\"k\",\"lines\":[{\"sku\":\"A\",\"quantity\":1.0,"
           "\"unit_price_minor\":5}]"),
     NULL},
    {"an exponent", ORDER("\"key\":\"k\",\"discount_minor\":1e0," LINE), NULL},
    {"a leading zero", ORDER("\"key\":\"k\",\"discount_minor\":01," LINE), NULL},
    {"minus zero", ORDER("\"key\":\"k\",\"discount_minor\":-0," LINE), NULL},
    {"a negative amount", ORDER("\"key\":\"k\",\"discount_minor\":-1," LINE), NULL},
    {"a duplicate member", ORDER("\"key\":\"k\",\"key\":\"k\"," LINE), NULL},
    {"an unknown member", ORDER("\"key\":\"k\",\"note\":\"x\"," LINE), NULL},
    {"another type", "{\"type\":\"refund\",\"key\":\"k\",\"order_id\":\"o\",\"amount_minor\":1}",
     NULL},
    {"no lines", ORDER("\"key\":\"k\",\"lines\":[]"), NULL},
    {"a line without its price", ORDER("\"key\":\"k\",\"lines\":[{\"sku\":\"A\",\"quantity\":1}]"),
     NULL},
    {"a discount above the total", ORDER("\"key\":\"k\",\"discount_minor\":6," LINE), NULL},
    {"a bad time", ORDER("\"key\":\"k\",\"at\":\"yesterday\"," LINE), NULL},
    {"an unknown currency", ORDER("\"key\":\"k\",\"currency\":\"ZZZ\"," LINE), NULL},
    {"an unknown channel", ORDER("\"key\":\"k\",\"channel\":\"phone\"," LINE), NULL},
    {"text after the object", ORDER("\"key\":\"k\"," LINE) " x", NULL},
    {"a cut text", "{\"type\":\"order\",\"key\":\"k\",\"customer\":\"c\"", NULL},
    {"an empty customer",
     "{\"type\":\"order\",\"key\":\"k\",\"customer\":\"\",\"order_id\":\"o\"," LINE "}", NULL},
    {"an array", "[" ORDER("\"key\":\"k\"," LINE) "]", NULL},
};

static void test_leaves_the_rest_to_the_tree(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof OTHER_CASES / sizeof OTHER_CASES[0]; i++) {
        const struct other_case *c = &OTHER_CASES[i];
        struct event *fast = event_parse_order_text(c->json, strlen(c->json), c->header, NOW);
        if (fast != NULL)
            print_error("case \"%s\" was read without the tree\n", c->name);
        assert_null(fast);
    }
}

/* A quantity x price past the largest amount, and 501 lines, are the tree's to refuse. */
static void test_limits_are_the_trees(void **state)
{
    (void)state;
    const char *over = ORDER("\"key\":\"k\",\"lines\":[{\"sku\":\"A\",\"quantity\":1000000,"
                             "\"unit_price_minor\":100000000000000}]");
    assert_null(event_parse_order_text(over, strlen(over), NULL, NOW));
    static char whole[64 * (EVENT_LINES_MAX + 2)];
    size_t len = (size_t)snprintf(whole, sizeof whole,
                                  "{\"type\":\"order\",\"key\":\"k\","
                                  "\"customer\":\"c\",\"order_id\":\"o\",\"lines\":[");
    for (int i = 0; i < EVENT_LINES_MAX + 1; i++)
        len += (size_t)snprintf(whole + len, sizeof whole - len,
                                "%s{\"sku\":\"A\",\"quantity\":1,\"unit_price_minor\":1}",
                                i ? "," : "");
    snprintf(whole + len, sizeof whole - len, "]}");
    assert_null(event_parse_order_text(whole, strlen(whole), NULL, NOW));
    /* One line fewer is read, and matches the tree. */
    char *cut = strrchr(whole, '{');
    cut[-1] = ']';
    cut[0] = '}';
    cut[1] = '\0';
    struct event *fast = event_parse_order_text(whole, strlen(whole), NULL, NOW);
    assert_non_null(fast);
    assert_int_equal(fast->n_lines, EVENT_LINES_MAX);
    struct event *tree = tree_event(whole, NULL);
    assert_same(fast, tree);
    event_free(fast);
    event_free(tree);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_what_the_tree_reads),
        cmocka_unit_test(test_leaves_the_rest_to_the_tree),
        cmocka_unit_test(test_limits_are_the_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
