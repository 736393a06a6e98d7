/*
 * Members: enrol (POST /v1/members), read, list with cursor pagination and search, update the
 * profile (PATCH), balance with what is next, ledger, and redemptions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/api.h"
#include "util/codes.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/numbers.h"
#include "util/phone.h"
#include "util/text.h"

#define LIST_LIMIT_MAX 500

bool api_load_member(struct http_request *req, struct customer *out)
{
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = customer_find_ref(engine_store(req->engine), req->params[0], out, &err);
    if (st == FID_OK && !out->is_member)
        st = FID_ERR_NOT_FOUND;
    if (st == FID_ERR_NOT_FOUND) {
        http_reply_problem(req, 404, "not-found", "Not Found", "no such member", NULL);
        return false;
    }
    if (st != FID_OK) {
        http_reply_error(req, &err);
        return false;
    }
    return true;
}

/* The new member's address: its id percent-encoded but for the characters a path segment takes
 * as they are (RFC 3986, section 2.3), so that "a b?c" stays one segment. */
static void member_location(struct http_request *req, const char *id)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(req->location, sizeof req->location, "/v1/members/");
    for (const unsigned char *c = (const unsigned char *)id; *c && n + 4 < sizeof req->location;
         c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~", *c) != NULL) {
            req->location[n++] = (char)*c;
        } else {
            req->location[n++] = '%';
            req->location[n++] = hex[*c >> 4];
            req->location[n++] = hex[*c & 15];
        }
    }
    req->location[n] = '\0';
}

/* The enrolment's key when the caller sends none: "enrol:" and the id when that fits a key, else
 * "enrol#" and the id's digest. Cut to fit instead, two long ids that begin alike would share a
 * key (the second enrolment refused as a reuse); the '#' keeps a digest apart from an id. An id
 * with a control character, which a key may not hold, takes the digest too: the id is then
 * refused for it, not the key the caller never sent. */
static void enrolment_key(const char *id, char key[EVENT_KEY_MAX])
{
    static const char PREFIX[] = "enrol:";
    if (sizeof PREFIX - 1 + strlen(id) < EVENT_KEY_MAX && fid_text_control(id) < 0) {
        snprintf(key, EVENT_KEY_MAX, "%s%s", PREFIX, id);
        return;
    }
    char digest[FID_DIGEST_HEX];
    fid_digest_hex(id, strlen(id), digest);
    snprintf(key, EVENT_KEY_MAX, "enrol#%s", digest);
}

void api_members_create(struct http_request *req)
{
    static const char *const ROUTE_SETS[] = {"customer", "type", NULL};
    json_t *body = http_body_object(req, "expected a member object");
    if (body == NULL)
        return;
    if (!api_refuse_route_fields(req, body, ROUTE_SETS)) {
        json_decref(body);
        return;
    }
    /* The member's id is the merchant's own reference; the enrol event carries it. */
    json_t *id = json_object_get(body, "id");
    if (!json_is_string(id)) {
        json_decref(body);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content",
                           id ? "expected the member's id as a string" : "a member needs an id",
                           "/id");
        return;
    }
    json_object_set(body, "customer", id);
    json_object_del(body, "id");
    json_object_set_new(body, "type", json_string("enrol"));
    const char *customer = json_string_value(json_object_get(body, "customer"));
    const json_t *body_key = json_object_get(body, "key"); /* null: absent */
    if (http_idempotency_key(req) == NULL && (body_key == NULL || json_is_null(body_key))) {
        char key[EVENT_KEY_MAX];
        enrolment_key(customer, key);
        json_object_set_new(body, "key", json_string(key));
    }
    if (!api_idempotency_key(req, body)) {
        json_decref(body);
        return;
    }
    member_location(req, customer);
    api_apply_one(req, body, 201, NULL);
}

struct list_page {
    struct engine *engine;
    bool members_only; /* a search's matches may include customers who never enrolled */
    json_t *items;
    char last[EVENT_REF_MAX];
    size_t limit; /* a page's size, one more row read to know whether another page follows */
    bool more;
};

static int collect(const struct customer *c, void *context)
{
    struct list_page *page = context;
    if (page->members_only && !c->is_member)
        return 0;
    if (page->limit > 0 && json_array_size(page->items) == page->limit) {
        page->more = true;
        return 1;
    }
    json_array_append_new(page->items, engine_member_json(page->engine, c, (int64_t)time(NULL)));
    snprintf(page->last, sizeof page->last, "%s", c->ref);
    return 0;
}

/* Query parameter name as a whole number from min to max (def when absent); false after
 * answering 422 naming it. */
static bool query_int(struct http_request *req, const char *name, int64_t min, int64_t max,
                      int64_t def, int64_t *out)
{
    const char *text = http_query(req, name);
    *out = def;
    if (text == NULL || fid_parse_whole(text, min, max, out))
        return true;
    char detail[96];
    snprintf(detail, sizeof detail, "%s is a whole number from %lld to %lld", name, (long long)min,
             (long long)max);
    http_reply_problem(req, 422, "invalid-input", "Unprocessable Content", detail, name);
    return false;
}

void api_members_list(struct http_request *req)
{
    struct fid_error err;
    fid_error_clear(&err);
    int64_t limit;
    if (!query_int(req, "limit", 1, LIST_LIMIT_MAX, 50, &limit))
        return;
    struct store *store = engine_store(req->engine);
    struct list_page page = {.engine = req->engine, .items = json_array()};
    static const char *const searches[] = {"email", "phone", "card_code", "external_id", NULL};
    static const enum customer_field fields[] = {CUSTOMER_EMAIL, CUSTOMER_PHONE, CUSTOMER_CARD_CODE,
                                                 CUSTOMER_REF};
    const char *query = NULL, *by = NULL;
    enum customer_field field = CUSTOMER_REF;
    for (int i = 0; searches[i]; i++) {
        const char *value = http_query(req, searches[i]);
        if (value == NULL)
            continue;
        /* a search answers every match: one look-up, no page */
        const char *also = query                       ? searches[i]
                           : http_query(req, "limit")  ? "limit"
                           : http_query(req, "cursor") ? "cursor"
                                                       : NULL;
        if (also) {
            char detail[96];
            snprintf(detail, sizeof detail,
                     "%s cannot be given with %s: a search answers every match", also,
                     query ? by : searches[i]);
            json_decref(page.items);
            http_reply_problem(req, 422, "invalid-input", "Unprocessable Content", detail, also);
            return;
        }
        query = value;
        by = searches[i];
        field = fields[i];
    }
    enum fid_status st;
    char phone[FID_PHONE_MAX];
    if (query && field == CUSTOMER_PHONE &&
        fid_phone_read(query, store->phone_region, phone, "phone", &err) != FID_OK) {
        /* not a number (or a national one where the time zone names no country): said, as an
         * enrolment would, rather than found in no member */
        json_decref(page.items);
        http_reply_error(req, &err);
        return;
    }
    if (query) {
        page.members_only = true;
        st = customer_find_by(store, field, query, collect, &page, &err);
    } else {
        page.limit = (size_t)limit;
        st = customer_list(store, http_query(req, "cursor"), limit + 1, true, collect, &page, &err);
    }
    if (st != FID_OK) {
        json_decref(page.items);
        http_reply_error(req, &err);
        return;
    }
    bool more = page.more;
    http_reply_json(
        req, 200,
        json_pack("{s:o, s:s?}", "items", page.items, "next_cursor", more ? page.last : NULL));
}

void api_member_get(struct http_request *req)
{
    struct customer c;
    if (api_load_member(req, &c))
        http_reply_json(req, 200, engine_member_json(req->engine, &c, (int64_t)time(NULL)));
}

/* The fields of a PATCH's body, read as an enrolment's (ev), into c. */
static void patch_profile(const json_t *body, const struct event *ev, struct customer *c)
{
    if (json_object_get(body, "email"))
        snprintf(c->email, sizeof c->email, "%s", ev->email);
    if (json_object_get(body, "phone"))
        snprintf(c->phone, sizeof c->phone, "%s", ev->phone);
    if (json_object_get(body, "name"))
        snprintf(c->name, sizeof c->name, "%s", ev->name);
    if (json_object_get(body, "birthday"))
        snprintf(c->birthday, sizeof c->birthday, "%s", ev->birthday);
    if (json_object_get(body, "locale"))
        snprintf(c->locale, sizeof c->locale, "%s", ev->locale);
    if (json_object_get(body, "consents") && c->consents != ev->consents) {
        c->consents = ev->consents;
        c->consents_at = (int64_t)time(NULL);
    }
}

/* A PATCH's null is refused by field: the enrolment's reader takes null for a field not sent,
 * which would write an empty locale (read as the default language, not the merchant's); a field
 * is cleared with "" (or [] for the consents), and the language cannot be. */
static enum fid_status patch_no_nulls(const json_t *body, struct fid_error *err)
{
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)body, name, value)
    {
        if (!json_is_null(value))
            continue;
        char at[JSONR_PATH_MAX];
        jsonr_path(at, "", name);
        return strcmp(name, "locale") == 0
                   ? fid_fail(err, FID_ERR_INPUT, at, "expected \"fr\" or \"en\", not null")
               : strcmp(name, "consents") == 0
                   ? fid_fail(err, FID_ERR_INPUT, at,
                              "expected an array, not null ([] withdraws every consent)")
                   : fid_fail(err, FID_ERR_INPUT, at,
                              "expected a string, not null (\"\" clears the field)");
    }
    return FID_OK;
}

void api_member_patch(struct http_request *req)
{
    struct customer c;
    if (!api_load_member(req, &c))
        return;
    json_t *body = http_body_object(req, "expected an object of profile fields");
    if (body == NULL)
        return;
    /* Validate as an enrolment would, by field, then write the profile in one transaction. */
    static const char *const allowed[] = {"email",  "phone",    "name", "birthday",
                                          "locale", "consents", NULL};
    struct fid_error err;
    fid_error_clear(&err);
    json_t *probe = NULL;
    struct event *ev = NULL;
    enum fid_status st = jsonr_check_keys(body, "", allowed, &err);
    if (st == FID_OK)
        st = patch_no_nulls(body, &err);
    if (st == FID_OK) {
        probe = json_deep_copy(body);
        json_object_set_new(probe, "type", json_string("enrol"));
        json_object_set_new(probe, "key", json_string("profile"));
        json_object_set_new(probe, "customer", json_string(c.ref));
        /* a birthday is judged against today, as an enrolment's against its date */
        st = event_parse(probe, (int64_t)time(NULL), &ev, &err);
    }
    /* a number typed in national form is the merchant's country's, as an enrolment's */
    char phone[FID_PHONE_MAX];
    if (st == FID_OK && ev->phone[0] &&
        (st = fid_phone_read(ev->phone, engine_store(req->engine)->phone_region, phone, "/phone",
                             &err)) == FID_OK)
        snprintf(ev->phone, sizeof ev->phone, "%s", phone);
    if (st == FID_OK) {
        /* read again in the write transaction: a change committed since the read above (another
         * PATCH, an order) is kept, not written over */
        struct store *store = engine_store(req->engine);
        if ((st = store_begin(store, &err)) == FID_OK &&
            (st = customer_find_id(store, c.id, &c, &err)) == FID_OK) {
            /* only what changes is checked: an e-mail two customers shared before it was
             * refused does not stop a change of name */
            struct customer before = c;
            patch_profile(body, ev, &c);
            st = engine_contact_free(req->engine, c.id,
                                     strcmp(c.email, before.email) != 0 ? c.email : "",
                                     strcmp(c.phone, before.phone) != 0 ? c.phone : "", &err);
            if (st == FID_OK)
                st = customer_save_profile(store, &c, &err);
        }
        if (st == FID_OK)
            st = store_commit(store, &err);
        if (st != FID_OK)
            store_rollback(store);
    }
    event_free(ev);
    json_decref(probe);
    json_decref(body);
    if (st != FID_OK)
        http_reply_error(req, &err);
    else
        http_reply_json(req, 200, engine_member_json(req->engine, &c, (int64_t)time(NULL)));
}

void api_member_balance(struct http_request *req)
{
    struct customer c;
    if (!api_load_member(req, &c))
        return;
    struct fid_error err;
    fid_error_clear(&err);
    struct jsonw view;
    jsonw_init(&view);
    if (engine_balance_view_write(req->engine, &c, (int64_t)time(NULL), &view, &err) == FID_OK)
        http_reply_text(req, 200, jsonw_detach(&view));
    else
        http_reply_error(req, &err);
    jsonw_free(&view);
}

struct ledger_collect {
    const struct engine *engine; /* the stamp cards' names */
    const char *locale;          /* the member's: the engine's lines in their words */
    json_t *entries;
};

static int collect_entry(struct db_stmt *row, void *context)
{
    struct ledger_collect *collect = context;
    json_array_append_new(collect->entries,
                          engine_ledger_entry_json(collect->engine, row, collect->locale));
    return 0;
}

/* The newest entries first by page (limit, 500 at most), each page oldest first: next_before,
 * when older entries remain, is the "before" of the next page. */
void api_member_ledger(struct http_request *req)
{
    int64_t limit, before;
    struct customer c;
    if (!query_int(req, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_MAX, &limit) ||
        !query_int(req, "before", 1, INT64_MAX, 0, &before) || !api_load_member(req, &c))
        return;
    struct fid_error err;
    fid_error_clear(&err);
    json_t *entries = json_array();
    bool more = false;
    struct ledger_collect collect = {req->engine, c.locale, entries};
    if (ledger_page(engine_store(req->engine), &c, before, limit, collect_entry, &collect, &more,
                    &err) != FID_OK) {
        json_decref(entries);
        http_reply_error(req, &err);
        return;
    }
    json_t *answer = json_pack("{s:s, s:o}", "id", c.ref, "entries", entries);
    if (more)
        json_object_set(answer, "next_before", json_object_get(json_array_get(entries, 0), "id"));
    http_reply_json(req, 200, answer);
}

/* The member's vouchers: those usable now unless ?state= says used, expired or all. */
void api_member_vouchers(struct http_request *req)
{
    enum voucher_filter filter = VOUCHERS_USABLE;
    const char *state = http_query(req, "state");
    if (state && !voucher_filter_parse(state, &filter)) {
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content",
                           "state is usable, used, expired or all", "state");
        return;
    }
    struct customer c;
    if (!api_load_member(req, &c))
        return;
    struct fid_error err;
    fid_error_clear(&err);
    json_t *items = NULL;
    if (engine_member_vouchers_json(req->engine, &c, filter, (int64_t)time(NULL), &items, &err) !=
        FID_OK) {
        http_reply_error(req, &err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s, s:o}", "id", c.ref, "vouchers", items));
}

/* The member's tier and every change of it, oldest first. */
void api_member_tiers(struct http_request *req)
{
    struct customer c;
    if (!api_load_member(req, &c))
        return;
    struct fid_error err;
    fid_error_clear(&err);
    json_t *changes = NULL;
    if (engine_tier_history_json(req->engine, &c, &changes, &err) != FID_OK) {
        http_reply_error(req, &err);
        return;
    }
    http_reply_json(req, 200,
                    json_pack("{s:s, s:s, s:o}", "id", c.ref, "tier", c.tier, "changes", changes));
}

void api_member_redeem(struct http_request *req)
{
    struct customer c;
    if (!api_load_member(req, &c))
        return;
    static const char *const ROUTE_SETS[] = {"customer", "type", NULL};
    json_t *body = http_body_object(req, "expected {\"reward\": ID}");
    if (body == NULL)
        return;
    if (!api_refuse_route_fields(req, body, ROUTE_SETS)) {
        json_decref(body);
        return;
    }
    json_object_set_new(body, "type", json_string("redeem"));
    json_object_set_new(body, "customer", json_string(c.ref));
    if (!api_idempotency_key(req, body)) {
        json_decref(body);
        return;
    }
    api_apply_one(req, body, 201, NULL);
}
