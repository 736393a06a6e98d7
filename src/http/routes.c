/*
 * Routing. Templates are matched segment by segment; "{name}" segments capture (percent-decoded,
 * bounded: route_match.h). Auth is "Authorization: Bearer fk_..."; every route but the health,
 * metrics and OpenAPI ones needs a key, and the key's merchant is the only merchant the request
 * can see.
 * An authenticated request runs in one read snapshot of its merchant's engine, opened with the
 * key check (key_cache.h) and, for GET, kept for the handler's reads. The events routes, which
 * read nothing and hand their events to the committer, skip that snapshot for a key this thread
 * checked before: the committer checks the key before applying (http/committer.h), which spares
 * an order a read transaction (~9 µs of the request thread's CPU, docs/benchmarks.md).
 */
#include "http/routes.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/key_cache.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/route_match.h"
#include "http/worker.h"

enum auth_need { PUBLIC, NEEDS_READ = SCOPE_READ + 1, NEEDS_POS, NEEDS_ADMIN };

struct route {
    const char *method;
    const char *template;
    enum auth_need auth;
    void (*handler)(struct http_request *req);
    /* The handler reads nothing and hands its events to the committer, which checks the key
     * again (committer_check): a key this thread's cache holds needs no snapshot here. */
    bool key_checked_by_committer;
    /* The query parameters the route takes, separated by spaces (NULL: none); others are
     * refused. */
    const char *query;
};

#define MEMBERS_QUERY "limit cursor email phone card_code external_id"

static const struct route ROUTES[] = {
    {"GET", "/healthz", PUBLIC, api_healthz, false, NULL},
    {"GET", "/readyz", PUBLIC, api_readyz, false, NULL},
    {"GET", "/metrics", PUBLIC, api_metrics, false, NULL},
    {"GET", "/v1/openapi.json", PUBLIC, api_openapi, false, NULL},
    {"POST", "/v1/members", NEEDS_POS, api_members_create, false, NULL},
    {"GET", "/v1/members", NEEDS_READ, api_members_list, false, MEMBERS_QUERY},
    {"GET", "/v1/members/{id}", NEEDS_READ, api_member_get, false, NULL},
    {"PATCH", "/v1/members/{id}", NEEDS_POS, api_member_patch, false, NULL},
    {"GET", "/v1/members/{id}/balance", NEEDS_READ, api_member_balance, false, NULL},
    {"GET", "/v1/members/{id}/ledger", NEEDS_READ, api_member_ledger, false, "limit before"},
    {"GET", "/v1/members/{id}/tiers", NEEDS_READ, api_member_tiers, false, NULL},
    {"GET", "/v1/members/{id}/vouchers", NEEDS_READ, api_member_vouchers, false, "state"},
    {"POST", "/v1/members/{id}/redemptions", NEEDS_POS, api_member_redeem, false, NULL},
    {"POST", "/v1/events", NEEDS_POS, api_events_post, true, NULL},
    {"POST", "/v1/events/batch", NEEDS_POS, api_events_batch, true, NULL},
    {"GET", "/v1/events/{key}", NEEDS_READ, api_event_get, false, NULL},
    {"GET", "/v1/rewards", NEEDS_READ, api_rewards_list, false, NULL},
    {"GET", "/v1/vouchers/{code}", NEEDS_READ, api_voucher_get, false, NULL},
    {"POST", "/v1/vouchers/{code}/use", NEEDS_POS, api_voucher_use, false, NULL},
    {"GET", "/v1/program", NEEDS_READ, api_program_get, false, NULL},
    {"PUT", "/v1/program", NEEDS_ADMIN, api_program_put, false, NULL},
    {"POST", "/v1/keys", NEEDS_ADMIN, api_keys_create, false, NULL},
    {"GET", "/v1/keys", NEEDS_ADMIN, api_keys_list, false, NULL},
    {"DELETE", "/v1/keys/{id}", NEEDS_ADMIN, api_keys_delete, false, NULL},
};
#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

const char *const *routes_templates(void)
{
    static const char *templates[N_ROUTES];
    for (size_t i = 0; i < N_ROUTES; i++)
        templates[i] = ROUTES[i].template;
    return templates;
}

const char *const *routes_methods(void)
{
    static const char *methods[N_ROUTES];
    for (size_t i = 0; i < N_ROUTES; i++)
        methods[i] = ROUTES[i].method;
    return methods;
}

size_t routes_count(void)
{
    return N_ROUTES;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void snapshot_end(struct http_request *req)
{
    if (req->snapshot)
        engine_read_end(req->engine);
    req->snapshot = false;
}

static void reply_unauthorized(struct http_request *req)
{
    http_reply_problem(req, 401, "unauthorized", "Unauthorized",
                       "the API key is unknown or revoked", "Authorization");
}

/* Finds the key's merchant (from this thread's cache, else the directory), opens the request's
 * snapshot on that merchant's engine and, unless the cache entry was checked at this very data
 * version, checks the key again in the snapshot: a revocation committed by anyone is seen. On a
 * route whose key the committer checks, a cached key needs neither (req->key_unconfirmed). */
static bool authenticate(struct http_request *req, const struct route *route)
{
    enum auth_need need = route->auth;
    const char *header = http_header(req, "Authorization");
    char id[API_KEY_ID_LEN + 1], digest[FID_DIGEST_HEX];
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0) { /* schemes ignore case */
        http_reply_problem(req, 401, "unauthorized", "Unauthorized",
                           "send an API key as \"Authorization: Bearer fk_...\"", "Authorization");
        return false;
    }
    /* credentials = "Bearer" 1*SP token (RFC 6750, 2.1), and blanks may end a field's value */
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    char trimmed[128];
    size_t n = strlen(token);
    while (n > 0 && (token[n - 1] == ' ' || token[n - 1] == '\t'))
        n--;
    snprintf(trimmed, sizeof trimmed, "%.*s", (int)(n < sizeof trimmed ? n : sizeof trimmed - 1),
             token);
    if (n >= sizeof trimmed || !api_key_parse(trimmed, id, digest)) {
        reply_unauthorized(req);
        return false;
    }
    struct fid_error err;
    fid_error_clear(&err);
    uint64_t generation = key_cache_generation(), data_version = 0;
    struct key_cache_entry *entry = NULL;
    enum fid_status st = worker_current(req->config->db_path, &req->worker, &err);
    if (st == FID_OK && (entry = key_cache_find(req->worker->keys, id, digest)) == NULL &&
        (st = api_key_verify(req->worker->directory, id, digest, &req->key, &err)) == FID_OK)
        entry = key_cache_put(req->worker->keys, &req->key, digest);
    if (st == FID_OK)
        st = worker_engine(req->worker, req->config->db_path, entry->key.merchant_id, &req->engine,
                           &err);
    /* A write the committer checks the key of: a key checked before on this thread (and not
     * revoked by this process since) goes on without a snapshot of its own. */
    req->key_unconfirmed = st == FID_OK && route->key_checked_by_committer && entry->checked &&
                           entry->generation == generation;
    if (req->key_unconfirmed)
        snprintf(req->key_digest, sizeof req->key_digest, "%s", digest);
    if (st == FID_OK && !req->key_unconfirmed) {
        req->snapshot = true;
        st = engine_read_begin(req->engine, &data_version, &err);
    }
    if (st == FID_OK && !req->key_unconfirmed &&
        !key_cache_current(entry, data_version, generation)) {
        st = api_key_verify(engine_store(req->engine)->db, id, digest, &req->key, &err);
        if (st == FID_OK)
            key_cache_checked(entry, data_version, generation);
        else
            key_cache_drop(entry);
    }
    if (st == FID_ERR_NOT_FOUND) {
        reply_unauthorized(req);
        return false;
    }
    if (st != FID_OK) {
        http_reply_error(req, &err);
        return false;
    }
    req->key = entry->key;
    req->authenticated = true;
    if (!api_scope_allows(req->key.scope, (enum api_scope)(need - 1))) {
        char detail[96];
        snprintf(detail, sizeof detail, "this route needs the %s scope; the key has %s",
                 api_scope_name((enum api_scope)(need - 1)), api_scope_name(req->key.scope));
        http_reply_problem(req, 403, "forbidden", "Forbidden", detail, "Authorization");
        return false;
    }
    if (!ratelimit_take(req->key.id, now_ns(), &req->retry_after)) {
        http_reply_problem(req, 429, "rate-limited", "Too Many Requests",
                           "the key's request rate is exceeded; retry after the given seconds",
                           NULL);
        return false;
    }
    return true;
}

/* A key taken from this thread's cache went on for the committer to check (authenticate), but
 * the request was answered without a commit (refused, or every event of a batch refused): the key
 * is checked now, and an answer to a key revoked meanwhile by another process becomes 401. */
static void confirm_key(struct http_request *req)
{
    struct fid_error err;
    fid_error_clear(&err);
    uint64_t data_version = 0;
    struct api_key key;
    enum fid_status st = engine_read_begin(req->engine, &data_version, &err);
    if (st == FID_OK)
        st =
            api_key_verify(engine_store(req->engine)->db, req->key.id, req->key_digest, &key, &err);
    engine_read_end(req->engine);
    if (st == FID_ERR_NOT_FOUND) {
        struct key_cache_entry *entry =
            key_cache_find(req->worker->keys, req->key.id, req->key_digest);
        if (entry)
            key_cache_drop(entry);
        req->replayed = false;
        req->location[0] = '\0';
        reply_unauthorized(req);
    } else if (st != FID_OK) {
        http_reply_error(req, &err);
    }
}

void routes_dispatch(struct http_request *req)
{
    const struct route *found = NULL;
    char allow[64] = "";
    /* HEAD is GET without the body, which libmicrohttpd leaves out */
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!route_match(ROUTES[i].template, req->path, req->params))
            continue;
        if (strcmp(ROUTES[i].method, method) == 0) {
            found = &ROUTES[i];
            req->route_index = (int)i;
            req->route = ROUTES[i].template;
            break;
        }
        size_t n = strlen(allow);
        snprintf(allow + n, sizeof allow - n, "%s%s%s", n ? ", " : "", ROUTES[i].method,
                 strcmp(ROUTES[i].method, "GET") == 0 ? ", HEAD" : "");
        req->route = ROUTES[i].template;
    }
    if (found == NULL) {
        if (allow[0]) {
            snprintf(req->allow, sizeof req->allow, "%s", allow);
            http_reply_problem(req, 405, "method-not-allowed", "Method Not Allowed",
                               "this path does not take that method; see the Allow header", NULL);
        } else {
            http_reply_problem(req, 404, "not-found", "Not Found", "no such route", NULL);
        }
        return;
    }
    if (req->body_too_large) {
        http_reply_too_large(req);
        return;
    }
    if (found->auth != PUBLIC && !authenticate(req, found)) {
        snapshot_end(req);
        return;
    }
    /* The API refuses parameters it would ignore, and an Idempotency-Key no write could keep;
     * the public routes (probes, the document) do not look at theirs. */
    if (found->auth != PUBLIC &&
        (!http_query_check(req, found->query) || !http_idempotency_key_check(req))) {
        snapshot_end(req);
        return;
    }
    /* A read sees the snapshot its key was checked in, one transaction for the whole request;
     * other methods write, in transactions of their own. */
    if (strcmp(method, "GET") != 0)
        snapshot_end(req);
    found->handler(req);
    snapshot_end(req);
    if (req->key_unconfirmed && !req->commit_pending)
        confirm_key(req);
}
