/*
 * core/event: every event type parses into its fields; bad events are refused naming the JSON
 * pointer of the bad field; the digest ignores key order and whitespace.
 */
#include "core_support.h"

#include "core/event.h"

#define NOW 1772525520LL /* 2026-03-03T08:12:00Z, the injected clock */

/* ---- valid events ------------------------------------------------------------------------ */

struct valid_case {
    const char *name;
    const char *json;
    enum event_type type;
    const char *customer;
    const char *at; /* expected instant */
    bool has_at;
};

static const struct valid_case VALID_CASES[] = {
    {"order",
     "{'type': 'order', 'key': 'k-1', 'at': '2026-03-03T09:12:00+01:00', "
     "'customer': 'c-1', 'order_id': 'o-1', 'lines': [{'sku': 'A', 'quantity': 1, "
     "'unit_price_minor': 100}]}",
     EVENT_ORDER, "c-1", "2026-03-03T08:12:00Z", true},
    {"order without at",
     "{'type': 'order', 'key': 'k-1', 'customer': 'c-1', 'order_id': 'o-1', "
     "'lines': [{'sku': 'A', 'quantity': 1, 'unit_price_minor': 100}]}",
     EVENT_ORDER, "c-1", "2026-03-03T08:12:00Z", false},
    {"refund by amount",
     "{'type': 'refund', 'key': 'k-2', 'at': '2026-03-10T10:00:00Z', "
     "'order_id': 'o-1', 'amount_minor': 250}",
     EVENT_REFUND, "", "2026-03-10T10:00:00Z", true},
    {"refund by lines",
     "{'type': 'refund', 'key': 'k-3', 'order_id': 'o-1', "
     "'lines': [{'sku': 'A', 'quantity': 2}]}",
     EVENT_REFUND, "", "2026-03-03T08:12:00Z", false},
    {"enrol",
     "{'type': 'enrol', 'key': 'k-4', 'customer': 'c-9', 'email': 'ada@example.org', "
     "'phone': '+33 6 12 34 56 78', 'name': 'Ada', 'birthday': '1990-02-28', 'locale': 'fr', "
     "'consents': ['email', 'push']}",
     EVENT_ENROL, "c-9", "2026-03-03T08:12:00Z", false},
    {"redeem", "{'type': 'redeem', 'key': 'k-5', 'customer': 'c-1', 'reward': 'free-coffee'}",
     EVENT_REDEEM, "c-1", "2026-03-03T08:12:00Z", false},
    {"voucher use",
     "{'type': 'voucher_use', 'key': 'k-6', 'code': 'abcd efgh jkmn pqrs', "
     "'order_id': 'o-7'}",
     EVENT_VOUCHER_USE, "", "2026-03-03T08:12:00Z", false},
    {"vip payment",
     "{'type': 'vip_payment', 'key': 'k-7', 'customer': 'c-1', 'plan': 'club', "
     "'amount_minor': 4900}",
     EVENT_VIP_PAYMENT, "c-1", "2026-03-03T08:12:00Z", false},
    {"vip refund",
     "{'type': 'vip_refund', 'key': 'k-9', 'customer': 'c-1', 'payment': 'k-7', "
     "'amount_minor': 2450, 'currency': 'EUR'}",
     EVENT_VIP_REFUND, "c-1", "2026-03-03T08:12:00Z", false},
    {"adjustment",
     "{'type': 'adjustment', 'key': 'k-8', 'customer': 'c-1', 'points': -50, "
     "'reason': 'goodwill reversal', 'author': 'manager@shop'}",
     EVENT_ADJUSTMENT, "c-1", "2026-03-03T08:12:00Z", false},
    {"oldest instant",
     "{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r', "
     "'at': '1900-01-01T00:00:00Z'}",
     EVENT_REDEEM, "c", "1900-01-01T00:00:00Z", true},
};

static void test_valid_events(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(VALID_CASES); i++) {
        const struct valid_case *c = &VALID_CASES[i];
        struct event *ev = unit_event(c->json, NOW);
        UNIT_EQ_INT(c->name, ev->type, c->type);
        UNIT_EQ_STR(c->name, ev->customer, c->customer);
        UNIT_EQ_TIME(c->name, ev->at, c->at);
        UNIT_EQ_INT(c->name, ev->has_at, c->has_at);
        UNIT_EQ_INT(c->name, strlen(ev->digest), FID_DIGEST_LEN * 2);
        event_free(ev);
    }
    event_free(NULL);
}

static void test_order_fields(void **state)
{
    (void)state;
    struct event *ev = unit_event(
        "{'type': 'order', 'key': 'pos-1/2026-03-03/17', 'at': '2026-03-03T08:12:00Z', "
        "'customer': 'c-1', 'order_id': 'o-1', 'channel': 'online', 'currency': 'EUR', "
        "'lines': [{'sku': 'BEANS', 'category': 'coffee', 'quantity': 2, 'unit_price_minor': 1250},"
        "          {'sku': 'MUG', 'quantity': 1, 'unit_price_minor': 900}],"
        "'discount_minor': 400, 'shipping_minor': 490, 'tax_minor': 550}",
        NOW);
    assert_string_equal(ev->key, "pos-1/2026-03-03/17");
    assert_string_equal(ev->order_id, "o-1");
    assert_int_equal(ev->channel, CHANNEL_ONLINE);
    assert_string_equal(ev->currency, "EUR");
    assert_int_equal(ev->n_lines, 2);
    assert_string_equal(ev->lines[0].sku, "BEANS");
    assert_string_equal(ev->lines[0].category, "coffee");
    assert_int_equal(ev->lines[0].quantity, 2);
    assert_int_equal(ev->lines[0].unit_price_minor, 1250);
    assert_int_equal(ev->lines[0].amount_minor, 2500);
    assert_string_equal(ev->lines[1].category, "");
    assert_int_equal(ev->lines[1].amount_minor, 900);
    assert_int_equal(ev->discount_minor, 400);
    assert_int_equal(ev->shipping_minor, 490);
    assert_int_equal(ev->tax_minor, 550);
    assert_int_equal(event_order_gross(ev), 3400);
    assert_int_equal(event_order_paid(ev), 3400 - 400 + 490);
    assert_false(ev->tax_on_top); /* tax is in the prices unless the order says otherwise */
    event_free(ev);

    /* prices before tax (US and Canadian stores): the tax is paid on top of them */
    ev = unit_event("{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', 'lines': "
                    "[{'sku': 'A', 'quantity': 2, 'unit_price_minor': 5000}], 'shipping_minor': "
                    "1000, 'tax_minor': 825, 'tax_included': false}",
                    NOW);
    assert_true(ev->tax_on_top);
    assert_int_equal(event_order_paid(ev), 10000 + 1000 + 825);
    event_free(ev);

    ev = unit_event("{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
                    "'lines': [{'sku': 'A', 'quantity': 3, 'unit_price_minor': 0}]}",
                    NOW);
    assert_int_equal(ev->channel, CHANNEL_STORE); /* default */
    assert_string_equal(ev->currency, "");
    assert_int_equal(event_order_gross(ev), 0);
    event_free(ev);
}

static void test_other_fields(void **state)
{
    (void)state;
    struct event *ev = unit_event("{'type': 'refund', 'key': 'k', 'order_id': 'o-1', "
                                  "'lines': [{'sku': 'A', 'quantity': 2}, {'sku': 'B', "
                                  "'quantity': 1}]}",
                                  NOW);
    assert_string_equal(ev->order_id, "o-1");
    assert_int_equal(ev->n_lines, 2);
    assert_int_equal(ev->lines[0].quantity, 2);
    assert_int_equal(ev->amount_minor, 0);
    event_free(ev);

    ev = unit_event("{'type': 'enrol', 'key': 'k', 'customer': 'c-9', 'email': 'ada@example.org', "
                    "'phone': '+33612345678', 'name': 'Ada L.', 'birthday': '2000-02-29', "
                    "'locale': 'en', 'consents': ['sms', 'email']}",
                    NOW);
    assert_string_equal(ev->email, "ada@example.org");
    assert_string_equal(ev->phone, "+33612345678");
    assert_string_equal(ev->name, "Ada L.");
    assert_string_equal(ev->birthday, "2000-02-29");
    assert_string_equal(ev->locale, "en");
    assert_int_equal(ev->consents, CONSENT_EMAIL | CONSENT_SMS);
    event_free(ev);

    /* a national number waits for the engine, which knows the merchant's country */
    ev = unit_event("{'type': 'enrol', 'key': 'k', 'customer': 'c-9', 'phone': '06 12 34 56 78'}",
                    NOW);
    assert_string_equal(ev->phone, "06 12 34 56 78");
    event_free(ev);

    ev = unit_event("{'type': 'enrol', 'key': 'k', 'customer': 'c-9'}", NOW);
    assert_string_equal(ev->locale, "");
    assert_int_equal(ev->consents, 0);
    event_free(ev);

    ev =
        unit_event("{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'free-coffee'}", NOW);
    assert_string_equal(ev->reward_id, "free-coffee");
    event_free(ev);

    ev = unit_event("{'type': 'voucher_use', 'key': 'k', 'code': 'abcd-efgh-jkmn-pqrO'}", NOW);
    assert_string_equal(ev->code, "ABCD-EFGH-JKMN-PQR0");
    assert_string_equal(ev->order_id, "");
    event_free(ev);

    ev = unit_event("{'type': 'vip_payment', 'key': 'k', 'customer': 'c', 'plan': 'club', "
                    "'amount_minor': 9800, 'periods': 2}",
                    NOW);
    assert_string_equal(ev->plan_id, "club");
    assert_int_equal(ev->amount_minor, 9800);
    assert_int_equal(ev->periods, 2);
    event_free(ev);

    ev = unit_event("{'type': 'vip_payment', 'key': 'k', 'customer': 'c', 'plan': 'club', "
                    "'amount_minor': 0}",
                    NOW);
    assert_int_equal(ev->periods, 1);
    event_free(ev);

    ev = unit_event("{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'payment': 'pay-1', "
                    "'amount_minor': 4900}",
                    NOW);
    assert_string_equal(ev->payment_key, "pay-1");
    assert_int_equal(ev->amount_minor, 4900);
    assert_string_equal(ev->currency, "");
    event_free(ev);

    ev = unit_event("{'type': 'adjustment', 'key': 'k', 'customer': 'c', 'points': 3, "
                    "'reason': 'lost card', 'author': 'eve', 'account': 'stamps', "
                    "'card': 'coffee'}",
                    NOW);
    assert_int_equal(ev->account, ADJUST_STAMPS);
    assert_string_equal(ev->card_id, "coffee");
    assert_int_equal(ev->points, 3);
    assert_string_equal(ev->reason, "lost card");
    assert_string_equal(ev->author, "eve");
    event_free(ev);

    ev = unit_event("{'type': 'adjustment', 'key': 'k', 'customer': 'c', 'points': -1000000000, "
                    "'reason': 'r', 'author': 'a'}",
                    NOW);
    assert_int_equal(ev->account, ADJUST_POINTS);
    assert_true(ev->points == -EVENT_POINTS_MAX);
    event_free(ev);
}

static void test_type_names(void **state)
{
    (void)state;
    static const char *const names[] = {"enrol",      "order",         "refund",
                                        "redeem",     "voucher_use",   "vip_payment",
                                        "adjustment", "survey_answer", "vip_refund"};
    for (int t = EVENT_ENROL; t <= EVENT_VIP_REFUND; t++)
        UNIT_EQ_STR(names[t], event_type_name((enum event_type)t), names[t]);
}

/* ---- bad events -------------------------------------------------------------------------- */

struct bad_case {
    const char *name;
    const char *json;
    const char *field;
};

#define ORDER_HEAD   "'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
#define LINE_A       "{'sku': 'A', 'quantity': 1, 'unit_price_minor': 1000}"
#define ORDER(extra) "{" ORDER_HEAD "'lines': [" LINE_A "]" extra "}"
#define ADJUST       "'type': 'adjustment', 'key': 'k', 'customer': 'c', "

static const struct bad_case BAD_CASES[] = {
    {"not an object", "['order']", ""},
    {"missing type", "{'key': 'k'}", "/type"},
    {"unknown type", "{'type': 'purchase', 'key': 'k'}", "/type"},
    {"missing key", "{'type': 'order', 'customer': 'c', 'order_id': 'o', 'lines': [" LINE_A "]}",
     "/key"},
    {"empty key", "{'type': 'order', 'key': '', 'customer': 'c'}", "/key"},
    {"key too long",
     "{'type': 'redeem', 'customer': 'c', 'reward': 'r', 'key': '"
     "0123456789012345678901234567890123456789012345678901234567890123"
     "0123456789012345678901234567890123456789012345678901234567890123x'}",
     "/key"},
    {"at is a number", "{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r', 'at': 5}",
     "/at"},
    {"impossible date", ORDER(", 'at': '2026-02-30T10:00:00Z'"), "/at"},
    {"at without zone", ORDER(", 'at': '2026-03-03T10:00:00'"), "/at"},
    {"at before 1900", ORDER(", 'at': '1899-12-31T23:59:59Z'"), "/at"},
    {"at after 2999", ORDER(", 'at': '2999-12-31T23:00:00-05:00'"), "/at"},
    {"unknown order field", ORDER(", 'coupon': 'X'"), "/coupon"},
    {"field of another type", ORDER(", 'reward': 'r'"), "/reward"},
    {"missing customer", "{'type': 'order', 'key': 'k', 'order_id': 'o', 'lines': [" LINE_A "]}",
     "/customer"},
    {"missing order id", "{'type': 'order', 'key': 'k', 'customer': 'c', 'lines': [" LINE_A "]}",
     "/order_id"},
    {"missing lines", "{" ORDER_HEAD "'tax_minor': 0}", "/lines"},
    {"no lines", "{" ORDER_HEAD "'lines': []}", "/lines"},
    {"lines not an array", "{" ORDER_HEAD "'lines': {}}", "/lines"},
    {"line not an object", "{" ORDER_HEAD "'lines': [" LINE_A ", 'B']}", "/lines/1"},
    {"unknown line field",
     "{" ORDER_HEAD
     "'lines': [{'sku': 'A', 'quantity': 1, 'unit_price_minor': 1, 'colour': 'red'}]}",
     "/lines/0/colour"},
    {"line without sku", "{" ORDER_HEAD "'lines': [{'quantity': 1, 'unit_price_minor': 1}]}",
     "/lines/0/sku"},
    {"negative quantity",
     "{" ORDER_HEAD "'lines': [" LINE_A ", {'sku': 'B', 'quantity': -1, 'unit_price_minor': 1}]}",
     "/lines/1/quantity"},
    {"zero quantity",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 0, 'unit_price_minor': 1}]}",
     "/lines/0/quantity"},
    {"quantity above the limit",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 1000001, 'unit_price_minor': 1}]}",
     "/lines/0/quantity"},
    {"fractional quantity",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 1.5, 'unit_price_minor': 1}]}",
     "/lines/0/quantity"},
    {"negative price",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 1, 'unit_price_minor': -1}]}",
     "/lines/0/unit_price_minor"},
    {"price as a string",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 1, 'unit_price_minor': '9.99'}]}",
     "/lines/0/unit_price_minor"},
    {"quantity x price overflows",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 1000000, "
     "'unit_price_minor': 100000000000000}]}",
     "/lines/0"},
    {"quantity x price above the largest amount",
     "{" ORDER_HEAD "'lines': [{'sku': 'B', 'quantity': 2, 'unit_price_minor': 50000000000001}]}",
     "/lines/0"},
    {"sum of lines above the largest amount",
     "{" ORDER_HEAD "'lines': [{'sku': 'A', 'quantity': 1, 'unit_price_minor': 60000000000000}, "
     "{'sku': 'B', 'quantity': 1, 'unit_price_minor': 40000000000001}]}",
     "/lines/1"},
    {"discount larger than lines", ORDER(", 'discount_minor': 1001"), "/discount_minor"},
    {"negative discount", ORDER(", 'discount_minor': -1"), "/discount_minor"},
    {"negative shipping", ORDER(", 'shipping_minor': -1"), "/shipping_minor"},
    {"tax larger than paid",
     ORDER(", 'discount_minor': 100, 'shipping_minor': 50, 'tax_minor': 951"), "/tax_minor"},
    {"tax_included not a boolean", ORDER(", 'tax_included': 'no'"), "/tax_included"},
    {"channel unknown", ORDER(", 'channel': 'phone'"), "/channel"},
    {"currency lower case", ORDER(", 'currency': 'eur'"), "/currency"},
    {"currency unknown", ORDER(", 'currency': 'XXY'"), "/currency"},
    {"currency too long", ORDER(", 'currency': 'EURO'"), "/currency"},
    /* refund */
    {"refund with lines and amount",
     "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'amount_minor': 5, "
     "'lines': [{'sku': 'A', 'quantity': 1}]}",
     "/lines"},
    {"refund with neither", "{'type': 'refund', 'key': 'k', 'order_id': 'o'}", "/lines"},
    {"refund amount zero", "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'amount_minor': 0}",
     "/amount_minor"},
    {"refund line with a negative price",
     "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'lines': [{'sku': 'A', 'quantity': 1, "
     "'unit_price_minor': -5}]}",
     "/lines/0/unit_price_minor"},
    {"refund line with a category",
     "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'lines': [{'sku': 'A', 'quantity': 1, "
     "'category': 'x'}]}",
     "/lines/0/category"},
    {"refund with a customer",
     "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'amount_minor': 5, 'customer': 'c'}",
     "/customer"},
    /* enrol */
    {"email without @",
     "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'email': 'ada.example.org'}", "/email"},
    {"email with a space", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'email': 'a da@x.org'}",
     "/email"},
    {"phone with letters", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'phone': '06-12-AB'}",
     "/phone"},
    {"phone with 00 too short", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'phone': '0033 6'}",
     "/phone"},
    {"phone with + inside", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'phone': '33+612'}",
     "/phone"},
    {"impossible birthday",
     "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'birthday': '2026-02-30'}", "/birthday"},
    {"birthday too long",
     "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'birthday': '2026-02-300'}", "/birthday"},
    {"locale unknown", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'locale': 'de'}", "/locale"},
    {"consent unknown",
     "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'consents': ['email', 'fax']}", "/consents/1"},
    {"unknown enrol field", "{'type': 'enrol', 'key': 'k', 'customer': 'c', 'age': 30}", "/age"},
    /* redeem, voucher, VIP, adjustment */
    {"redeem without reward", "{'type': 'redeem', 'key': 'k', 'customer': 'c'}", "/reward"},
    {"voucher code", "{'type': 'voucher_use', 'key': 'k', 'code': 'ABCD-EFGU'}", "/code"},
    {"voucher without code", "{'type': 'voucher_use', 'key': 'k'}", "/code"},
    {"vip periods zero",
     "{'type': 'vip_payment', 'key': 'k', 'customer': 'c', 'plan': 'p', 'amount_minor': 1, "
     "'periods': 0}",
     "/periods"},
    {"vip without amount", "{'type': 'vip_payment', 'key': 'k', 'customer': 'c', 'plan': 'p'}",
     "/amount_minor"},
    {"vip refund without payment",
     "{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'amount_minor': 1}", "/payment"},
    {"vip refund of zero",
     "{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'payment': 'p', 'amount_minor': 0}",
     "/amount_minor"},
    {"vip refund without amount",
     "{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'payment': 'p'}", "/amount_minor"},
    {"vip refund without customer",
     "{'type': 'vip_refund', 'key': 'k', 'payment': 'p', 'amount_minor': 1}", "/customer"},
    {"vip refund currency",
     "{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'payment': 'p', 'amount_minor': 1, "
     "'currency': 'EURO'}",
     "/currency"},
    {"vip refund unknown field",
     "{'type': 'vip_refund', 'key': 'k', 'customer': 'c', 'payment': 'p', 'amount_minor': 1, "
     "'plan': 'club'}",
     "/plan"},
    {"newline in a line's sku",
     "{" ORDER_HEAD "'lines': [" LINE_A
     ", {'sku': 'a\\nb', 'quantity': 1, 'unit_price_minor': 1}]}",
     "/lines/1/sku"},
    {"tab in a line's category",
     "{" ORDER_HEAD "'lines': [{'sku': 'A', 'category': 'x\\ty', 'quantity': 1, "
     "'unit_price_minor': 1}]}",
     "/lines/0/category"},
    {"line separator in a refund line's sku",
     "{'type': 'refund', 'key': 'k', 'order_id': 'o', 'lines': [{'sku': 'a\\u2028', "
     "'quantity': 1}]}",
     "/lines/0/sku"},
    {"adjustment of zero", "{" ADJUST "'points': 0, 'reason': 'r', 'author': 'a'}", "/points"},
    {"adjustment too large", "{" ADJUST "'points': 1000000001, 'reason': 'r', 'author': 'a'}",
     "/points"},
    {"adjustment without reason", "{" ADJUST "'points': 5, 'author': 'a'}", "/reason"},
    {"adjustment without author", "{" ADJUST "'points': 5, 'reason': 'r'}", "/author"},
    {"stamp adjustment without card",
     "{" ADJUST "'points': 5, 'reason': 'r', 'author': 'a', 'account': 'stamps'}", "/card"},
    {"adjustment account unknown",
     "{" ADJUST "'points': 5, 'reason': 'r', 'author': 'a', 'account': 'miles'}", "/account"},
};

static void test_bad_events(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(BAD_CASES); i++) {
        const struct bad_case *c = &BAD_CASES[i];
        char *text = unit_json(c->json);
        json_t *obj = NULL;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = jsonr_parse(text, strlen(text), &obj, &err);
        if (st != FID_OK)
            print_error("[%s] test JSON does not parse: %s\n", c->name, err.message);
        assert_int_equal(st, FID_OK);
        struct event *ev = (struct event *)obj;
        st = event_parse(obj, NOW, &ev, &err);
        UNIT_EQ_ERROR(c->name, st, err, FID_ERR_INPUT, c->field);
        assert_null(ev);
        json_decref(obj);
        free(text);
    }
}

static void test_lists_over_their_limit(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "type", "order", "key", "k", "customer",
                            "c", "order_id", "o", "lines");
    json_t *lines = json_object_get(obj, "lines");
    for (int i = 0; i <= EVENT_LINES_MAX; i++)
        json_array_append_new(
            lines, json_pack("{s:s, s:i, s:i}", "sku", "A", "quantity", 1, "unit_price_minor", 1));
    struct event *ev = NULL;
    struct fid_error err;
    enum fid_status st = event_parse(obj, NOW, &ev, &err);
    UNIT_EQ_ERROR("501 lines", st, err, FID_ERR_LIMIT, "/lines");
    json_array_remove(lines, 0);
    st = event_parse(obj, NOW, &ev, &err);
    UNIT_EQ_INT("500 lines", st, FID_OK);
    UNIT_EQ_INT("500 lines", event_order_gross(ev), EVENT_LINES_MAX);
    event_free(ev);
    json_decref(obj);

    char *text = unit_json("{'type': 'enrol', 'key': 'k', 'customer': 'c', "
                           "'consents': ['email', 'sms', 'push', 'sms']}");
    assert_int_equal(jsonr_parse(text, strlen(text), &obj, &err), FID_OK);
    st = event_parse(obj, NOW, &ev, &err);
    UNIT_EQ_ERROR("4 consents", st, err, FID_ERR_LIMIT, "/consents");
    json_decref(obj);
    free(text);
}

static void test_integer_beyond_64_bits(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"type\": \"order\", \"key\": \"k\", \"customer\": \"c\", \"order_id\": \"o\", "
        "\"lines\": [{\"sku\": \"A\", \"quantity\": 18446744073709551617, "
        "\"unit_price_minor\": 1}]}",
        "{\"type\": \"adjustment\", \"key\": \"k\", \"customer\": \"c\", "
        "\"points\": -9223372036854775809, \"reason\": \"r\", \"author\": \"a\"}",
    };
    static const char *const fields[] = {"/lines/0/quantity", "/points"};
    for (size_t i = 0; i < N_ELEMENTS(texts); i++) {
        json_t *obj = (json_t *)texts;
        struct fid_error err;
        enum fid_status st = jsonr_parse(texts[i], strlen(texts[i]), &obj, &err);
        assert_int_equal(st, FID_ERR_INPUT);
        assert_null(obj);
        assert_string_equal(err.field, fields[i]); /* valid JSON: named by its pointer */
        assert_non_null(strstr(err.message, "is out of range"));
    }
}

/* ---- digest ------------------------------------------------------------------------------ */

static void digest_of(const char *single_quoted, char out[FID_DIGEST_HEX])
{
    struct event *ev = unit_event(single_quoted, NOW);
    memcpy(out, ev->digest, FID_DIGEST_HEX);
    event_free(ev);
}

static void test_digest(void **state)
{
    (void)state;
    char a[FID_DIGEST_HEX], b[FID_DIGEST_HEX], c[FID_DIGEST_HEX], d[FID_DIGEST_HEX];
    digest_of("{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
              "'lines': [{'sku': 'A', 'quantity': 2, 'unit_price_minor': 150}], "
              "'discount_minor': 10}",
              a);
    digest_of("{\n  'discount_minor' : 10,\n\t'lines' : [ { 'unit_price_minor' : 150 , "
              "'quantity' : 2 , 'sku' : 'A' } ] ,\n  'order_id':'o','customer':'c',"
              "'key':'k','type':'order'\n}\n",
              b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    /* another value is another body */
    digest_of("{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
              "'lines': [{'sku': 'A', 'quantity': 2, 'unit_price_minor': 150}], "
              "'discount_minor': 11}",
              c);
    assert_string_not_equal(a, c);
    /* an event without "at" keeps its digest whatever the clock says */
    struct event *e1 =
        unit_event("{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r'}", NOW);
    struct event *e2 =
        unit_event("{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r'}", NOW + 3600);
    assert_string_equal(e1->digest, e2->digest);
    assert_true(e1->at != e2->at);
    event_free(e1);
    event_free(e2);
    /* but an explicit "at" is part of the body */
    digest_of("{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r', "
              "'at': '2026-03-03T08:12:00Z'}",
              d);
    char e[FID_DIGEST_HEX];
    digest_of("{'type': 'redeem', 'key': 'k', 'customer': 'c', 'reward': 'r'}", e);
    assert_string_not_equal(d, e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_events),
        cmocka_unit_test(test_order_fields),
        cmocka_unit_test(test_other_fields),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_bad_events),
        cmocka_unit_test(test_lists_over_their_limit),
        cmocka_unit_test(test_integer_beyond_64_bits),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
