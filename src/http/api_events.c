/*
 * Writes through events: POST /v1/events (one event), POST /v1/events/batch (up to the batch
 * limit, one transaction, a result per event), and the helper every write route uses to turn an
 * event into an HTTP answer. The Idempotency-Key header is the event's key: a retry with the same
 * body answers the first status and body again, with another body 409. GET /v1/events/{key}
 * reads the result an event was first answered, from its idempotency record.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "core/event_fast.h"
#include "http/api.h"
#include "http/committer.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/xalloc.h"

bool api_refuse_route_fields(struct http_request *req, const json_t *body,
                             const char *const *fields)
{
    for (int i = 0; fields[i]; i++) {
        if (json_object_get(body, fields[i]) == NULL)
            continue;
        char detail[160], pointer[64];
        snprintf(detail, sizeof detail, "\"%s\" is set by the route (%s %s): leave it out",
                 fields[i], req->method, req->route);
        snprintf(pointer, sizeof pointer, "/%s", fields[i]);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content", detail, pointer);
        return false;
    }
    return true;
}

bool api_idempotency_key(struct http_request *req, json_t *event)
{
    const char *header = http_idempotency_key(req); /* checked by routes.c */
    json_t *in_body = json_object_get(event, "key");
    if (json_is_null(in_body)) { /* a null member is an absent one, as in every event */
        json_object_del(event, "key");
        in_body = NULL;
    }
    if (header && json_is_string(in_body) && strcmp(header, json_string_value(in_body)) != 0) {
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content",
                           "the Idempotency-Key header and the event's \"key\" differ", "/key");
        return false;
    }
    if (header && in_body == NULL)
        json_object_set_new(event, "key", json_string(header));
    return true;
}

/* What the committer must check of req's key: NULL when the request's snapshot checked it. */
static const struct committer_check *key_check(const struct http_request *req,
                                               struct committer_check *check)
{
    if (!req->key_unconfirmed)
        return NULL;
    snprintf(check->key_id, sizeof check->key_id, "%s", req->key.id);
    snprintf(check->digest, sizeof check->digest, "%s", req->key_digest);
    return check;
}

/* Committer thread: keeps the outcome and wakes the connection; req is not touched after. */
static void on_committed(void *context, enum fid_status status, struct engine_results *results,
                         const struct fid_error *err)
{
    struct http_request *req = context;
    req->commit_status = status;
    if (results) {
        engine_results_free(&req->commit_results);
        req->commit_results = *results;
        *results = (struct engine_results){0};
    }
    if (status != FID_OK)
        req->commit_err = *err;
    MHD_resume_connection(req->connection);
}

/* Hands req's commit_events or commit_event to the committer. */
static void submit(struct http_request *req, unsigned success_status,
                   json_t *(*shape)(json_t *result))
{
    struct fid_error err;
    fid_error_clear(&err);
    /* Suspend first: the committer may resume the connection before submit returns. */
    req->commit_success_status = success_status;
    req->commit_shape = shape;
    req->commit_pending = true;
    MHD_suspend_connection(req->connection);
    struct committer_check check;
    /* Read from req, which outlives the job (unlike this frame: submit returns at once). */
    struct committer_events events = {.array = req->commit_events,
                                      .read = (const struct event *const *)&req->commit_event,
                                      .n_read = req->commit_event != NULL};
    enum fid_status st = committer_submit(req->key.merchant_id, &events, key_check(req, &check),
                                          on_committed, req, &err);
    if (st != FID_OK)
        on_committed(req, st, NULL, &err);
}

void api_apply_one(struct http_request *req, json_t *event, unsigned success_status,
                   json_t *(*shape)(json_t *result))
{
    if (json_object_get(event, "key") == NULL) {
        http_reply_problem(req, 400, "idempotency-key-required", "Bad Request",
                           "send an Idempotency-Key header (or \"key\" in the event)",
                           "Idempotency-Key");
        json_decref(event);
        return;
    }
    req->commit_events = json_pack("[o]", event);
    submit(req, success_status, shape);
}

/* Names a refused event's field as the caller wrote it: the key sent as the Idempotency-Key
 * header, the member's id of POST /v1/members (the enrolment's "customer"). */
static void reply_refused(struct http_request *req, struct fid_error *err)
{
    char field[FID_ERROR_FIELD_MAX];
    bool members = strcmp(req->route, "/v1/members") == 0;
    if (strcmp(err->field, "/key") == 0 && http_idempotency_key(req) != NULL)
        snprintf(err->field, sizeof err->field, "Idempotency-Key");
    else if (strcmp(err->field, "/key") == 0 && members) /* the key made of the member's id */
        snprintf(err->field, sizeof err->field, "/id");
    else if (members && strncmp(err->field, "/customer", 9) == 0) {
        snprintf(field, sizeof field, "/id%s", err->field + 9);
        snprintf(err->field, sizeof err->field, "%s", field);
    }
    http_reply_error(req, err);
}

void api_apply_finish(struct http_request *req)
{
    struct fid_error err = req->commit_err;
    if (req->commit_status != FID_OK) {
        reply_refused(req, &err);
        return;
    }
    const struct engine_results *results = &req->commit_results;
    if (results->count != 1) {
        fid_fail(&err, FID_ERR_INTERNAL, "", "expected one result, got %zu", results->count);
        http_reply_error(req, &err);
        return;
    }
    const struct engine_result *one = &results->items[0];
    if (one->outcome == ENGINE_APPLIED && req->commit_shape == NULL) {
        /* The common answer goes out as the engine wrote it. */
        char *text = xmalloc(one->len + 1);
        memcpy(text, results->text + one->offset, one->len);
        text[one->len] = '\0';
        http_reply_text(req, req->commit_success_status, text);
        return;
    }
    json_error_t jerr;
    json_t *result = json_loadb(results->text + one->offset, one->len, 0, &jerr);
    const char *status = json_string_value(json_object_get(result, "status"));
    if (status && strcmp(status, "error") == 0) {
        json_t *e = json_object_get(result, "error");
        fid_fail(&err, fid_status_from_name(json_string_value(json_object_get(e, "type"))),
                 json_string_value(json_object_get(e, "field")), "%s",
                 json_string_value(json_object_get(e, "message")));
        json_decref(result);
        reply_refused(req, &err);
        return;
    }
    if (status && strcmp(status, "replayed") == 0) {
        req->replayed = true;
        json_object_set_new(result, "status", json_string("applied"));
    }
    http_reply_json(req, req->commit_success_status,
                    req->commit_shape ? req->commit_shape(result) : result);
}

/* The common order, read without a tree (core/event_fast.h); NULL: the tree's way then. */
static struct event *order_without_tree(struct http_request *req)
{
    if (!http_body_is_json(req))
        return NULL;
    return event_parse_order_text(req->body ? req->body : "", req->body_len,
                                  http_idempotency_key(req), 0);
}

/* Whether req's key may post event; otherwise fills err (FID_ERR_FORBIDDEN on /type). A manual
 * adjustment or a VIP payment creates points, cashback or a plan out of nothing, and a VIP
 * refund gives money back and ends what was paid: they need an admin key, not a till's (pos). Other
 * types, and an event without a type (which the engine refuses), need only the route's scope. */
static bool key_may_post(const struct http_request *req, const json_t *event, struct fid_error *err)
{
    static const char *const ADMIN_ONLY[] = {"adjustment", "vip_payment", "vip_refund", NULL};
    const char *type = json_string_value(json_object_get(event, "type"));
    if (type == NULL || api_scope_allows(req->key.scope, SCOPE_ADMIN))
        return true;
    for (int i = 0; ADMIN_ONLY[i]; i++)
        if (strcmp(type, ADMIN_ONLY[i]) == 0) {
            fid_fail(err, FID_ERR_FORBIDDEN, "/type",
                     "%s events need the admin scope; the key has %s", type,
                     api_scope_name(req->key.scope));
            return false;
        }
    return true;
}

void api_events_post(struct http_request *req)
{
    if ((req->commit_event = order_without_tree(req)) != NULL) {
        submit(req, 201, NULL);
        return;
    }
    json_t *event = http_body_object(req, "expected one event object");
    if (event == NULL)
        return;
    struct fid_error err;
    fid_error_clear(&err);
    if (!key_may_post(req, event, &err)) {
        json_decref(event);
        http_reply_error(req, &err);
        return;
    }
    if (!api_idempotency_key(req, event)) {
        json_decref(event);
        return;
    }
    api_apply_one(req, event, 201, NULL);
}

static bool next_is(const char **p, const char *end, const char *text)
{
    size_t len = strlen(text);
    *p = jsonr_skip_blanks(*p, end);
    if ((size_t)(end - *p) < len || strncmp(*p, text, len) != 0)
        return false;
    *p += len;
    return true;
}

static void free_orders(struct event **orders, size_t n)
{
    for (size_t i = 0; i < n; i++)
        event_free(orders[i]);
    free(orders);
}

/* The events of a batch body {"events": [...]} of 1 to limit common orders, each read without a
 * tree (core/event_fast.h); NULL for any other body, which then takes the tree's way. */
static struct event **orders_of_batch(struct http_request *req, size_t limit, size_t *n)
{
    *n = 0;
    if (!http_body_is_json(req) || req->body == NULL)
        return NULL;
    const char *p = req->body, *end = req->body + req->body_len;
    if (!next_is(&p, end, "{") || !next_is(&p, end, "\"events\"") || !next_is(&p, end, ":") ||
        !next_is(&p, end, "["))
        return NULL;
    struct event **orders = NULL;
    size_t capacity = 0;
    do {
        p = jsonr_skip_blanks(p, end);
        size_t used = 0;
        struct event *order =
            *n < limit ? event_parse_order_prefix(p, (size_t)(end - p), 0, &used) : NULL;
        if (order == NULL)
            goto other;
        if (*n == capacity)
            xgrow((void **)&orders, &capacity, *n + 1, sizeof *orders);
        orders[(*n)++] = order;
        p += used;
    } while (next_is(&p, end, ","));
    if (next_is(&p, end, "]") && next_is(&p, end, "}") && jsonr_skip_blanks(p, end) == end)
        return orders;
other:
    free_orders(orders, *n);
    *n = 0;
    return NULL;
}

/* Applies a batch's events into results; false after answering the failure. */
static bool commit_batch(struct http_request *req, const struct committer_events *events,
                         struct engine_results *results)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct committer_check check;
    if (committer_apply(req->key.merchant_id, events, key_check(req, &check), results, &err) ==
        FID_OK)
        return true;
    http_reply_error(req, &err);
    return false;
}

/* Applies a batch's events and answers its results. */
static void apply_batch(struct http_request *req, const struct committer_events *events)
{
    struct engine_results results = {0};
    if (!commit_batch(req, events, &results))
        return;
    struct jsonw w;
    jsonw_init(&w);
    jsonw_text(&w, "{\"results\":");
    jsonw_raw(&w, results.text, results.len);
    jsonw_text(&w, "}");
    engine_results_free(&results);
    http_reply_text(req, 200, jsonw_detach(&w));
}

/* Applies the events of a batch the key may post and answers a result per event, in order: an
 * event it may not post is refused on its own, as an event that fails its checks is, and the
 * others apply (the batch's events stand each on its own). */
static void apply_batch_refusing(struct http_request *req, const json_t *events,
                                 const bool *refused)
{
    json_t *allowed = json_array();
    for (size_t i = 0; i < json_array_size(events); i++)
        if (!refused[i])
            json_array_append(allowed, json_array_get(events, i));
    struct engine_results results = {0};
    if (json_array_size(allowed) > 0 &&
        !commit_batch(req, &(struct committer_events){.array = allowed}, &results)) {
        json_decref(allowed);
        return;
    }
    json_decref(allowed);
    struct jsonw w;
    jsonw_init(&w);
    jsonw_text(&w, "{\"results\":[");
    for (size_t i = 0, next = 0; i < json_array_size(events); i++) {
        const json_t *event = json_array_get(events, i);
        if (i > 0)
            jsonw_text(&w, ",");
        struct fid_error err;
        fid_error_clear(&err);
        if (refused[i]) { /* refused_events found it so: the same check says why */
            (void)key_may_post(req, event, &err);
            engine_result_error_write(&w, json_string_value(json_object_get(event, "key")), &err);
            continue;
        }
        assert(next < results.count); /* a result per event applied (committer.h) */
        const struct engine_result *r = &results.items[next++];
        jsonw_raw(&w, results.text + r->offset, r->len);
    }
    jsonw_text(&w, "]}");
    engine_results_free(&results);
    http_reply_text(req, 200, jsonw_detach(&w));
}

/* Marks in *refused (allocated) the events of the batch req's key may not post; how many. */
static size_t refused_events(const struct http_request *req, const json_t *events, bool **refused)
{
    size_t n = 0;
    *refused = xcalloc(json_array_size(events), sizeof **refused);
    for (size_t i = 0; i < json_array_size(events); i++) {
        struct fid_error err;
        (*refused)[i] = !key_may_post(req, json_array_get(events, i), &err);
        n += (*refused)[i];
    }
    return n;
}

void api_events_batch(struct http_request *req)
{
    size_t n = 0;
    struct event **orders = orders_of_batch(req, req->config->batch_limit, &n);
    if (orders) {
        apply_batch(req, &(struct committer_events){.read = (const struct event *const *)orders,
                                                    .n_read = n});
        free_orders(orders, n);
        return;
    }
    json_t *body = http_body_json(req);
    if (body == NULL)
        return;
    static const char *const MEMBERS[] = {"events", NULL};
    struct fid_error err;
    fid_error_clear(&err);
    if (json_is_object(body) && jsonr_check_keys(body, "", MEMBERS, &err) != FID_OK) {
        json_decref(body);
        http_reply_error(req, &err);
        return;
    }
    json_t *events = json_is_object(body) ? json_object_get(body, "events") : NULL;
    if (!json_is_array(events)) {
        /* the whole body when it is no object, else its member */
        const char *field = json_is_object(body) ? "/events" : "";
        json_decref(body);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content",
                           "expected {\"events\": [ ... ]}", field);
        return;
    }
    if (json_array_size(events) == 0) {
        json_decref(body);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content",
                           "expected at least one event", "/events");
        return;
    }
    if (json_array_size(events) > req->config->batch_limit) {
        char detail[96];
        snprintf(detail, sizeof detail, "a batch holds 1 to %zu events", req->config->batch_limit);
        json_decref(body);
        http_reply_problem(req, 413, "batch-too-large", "Content Too Large", detail, "/events");
        return;
    }
    bool *refused = NULL;
    if (refused_events(req, events, &refused) == 0)
        apply_batch(req, &(struct committer_events){.array = events});
    else
        apply_batch_refusing(req, events, refused);
    free(refused);
    json_decref(body);
}

void api_event_get(struct http_request *req)
{
    char digest[FID_DIGEST_HEX], *result = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st =
        event_record_find(engine_store(req->engine), req->params[0], digest, &result, &err);
    if (st == FID_ERR_NOT_FOUND)
        http_reply_problem(req, 404, "not-found", "Not Found", "no event has this key", NULL);
    else if (st != FID_OK)
        http_reply_error(req, &err);
    else
        http_reply_text(req, 200, result);
}
