/*
 * One HTTP request as the handlers see it, and the ways to answer it. A request owns its body and
 * its response; both are freed when libmicrohttpd reports the request complete.
 */
#ifndef FIDELE_HTTP_REQUEST_H
#define FIDELE_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "http/http.h"
#include "http/route_match.h"
#include "store/key_store.h"
#include "util/error.h"

#define HTTP_REQUEST_ID_MAX 64

struct MHD_Connection;
struct fid_rng;
struct worker;

#define HTTP_RAW_PATH_MAX 2048

struct http_request {
    struct MHD_Connection *connection;
    const struct http_config *config;
    struct worker *worker;
    const char *method;
    const char *path;
    char request_id[HTTP_REQUEST_ID_MAX];
    int64_t started_ns;
    /* body */
    char *body;
    size_t body_len, body_cap;
    bool body_too_large;
    bool ignores_body; /* a method whose routes read no body: one sent is dropped */
    /* routing and auth */
    const char *route; /* the matched route template, for logs and metrics */
    int route_index;
    char params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX];
    struct api_key key;
    bool authenticated;
    /* The key was taken from this thread's cache without a snapshot (a route whose writes go
     * through the committer): the committer checks it before applying (committer_check). */
    bool key_unconfirmed;
    char key_digest[FID_DIGEST_HEX];
    /* the Idempotency-Key header once checked (http_idempotency_key_check), trimmed */
    char idempotency_key[EVENT_KEY_MAX];
    bool has_idempotency_key;
    struct engine *engine; /* the caller's merchant, on this thread */
    bool snapshot;         /* a read transaction is open on engine (routes.c ends it) */
    /* response */
    unsigned status;
    char *response; /* owned */
    const char *content_type;
    bool replayed;
    bool close;           /* the connection ends with this answer */
    char allow[64];       /* for 405 */
    unsigned retry_after; /* for 429 */
    char location[512];   /* an id of 128 bytes percent-encoded fits */
    /* a write handed to the committer: the connection is suspended until it commits */
    bool commit_pending;
    json_t *commit_events;                /* owned */
    struct event *commit_event;           /* owned: an order read without a tree (event_fast.h) */
    struct engine_results commit_results; /* owned, once committed */
    enum fid_status commit_status;
    struct fid_error commit_err;
    unsigned commit_success_status;
    json_t *(*commit_shape)(json_t *result);
    /* The path as sent up to its query, before any decoding (the router decodes what it
     * captures, so that an id holding an encoded '/' stays one segment); "" when longer than
     * this. Written before the
     * request begins, so it stays last: a new request clears the fields above it. */
    char raw_path[HTTP_RAW_PATH_MAX];
};

/* Answers a JSON value (stolen) with status. */
void http_reply_json(struct http_request *req, unsigned status, json_t *value);
/* Answers JSON text already written (stolen; malloc'd, as libmicrohttpd frees it). */
void http_reply_text(struct http_request *req, unsigned status, char *json_text);

/* Answers an RFC 9457 problem: type is a stable slug ("invalid-input"), detail says what, and
 * field (may be NULL or "") names the JSON pointer or header at fault. */
void http_reply_problem(struct http_request *req, unsigned status, const char *type,
                        const char *title, const char *detail, const char *field);

/* Answers 413 for a body over the configured limit. */
void http_reply_too_large(struct http_request *req);

/* Answers the problem for a failed engine or store call, mapping the status in one place. */
void http_reply_error(struct http_request *req, const struct fid_error *err);

/* The request's header value, or NULL. */
const char *http_header(struct http_request *req, const char *name);
/* The query parameter value, or NULL. */
const char *http_query(struct http_request *req, const char *name);

/* Checks the Idempotency-Key header, when sent: without the blanks around it (RFC 9110, section
 * 5.5: they are not part of a field's value, and a proxy may drop them), 1 to 128 bytes of UTF-8
 * without control characters. Otherwise answers 400 naming the header and returns false. */
bool http_idempotency_key_check(struct http_request *req);
/* The checked Idempotency-Key, or NULL when none was sent. */
const char *http_idempotency_key(const struct http_request *req);

/* Checks the query's parameters against `allowed` (names separated by spaces; NULL: none): an
 * unknown one, or one given twice, is answered 400 naming it, one without a value ("?limit",
 * "?limit=") 422 naming it, and false returned. */
bool http_query_check(struct http_request *req, const char *allowed);

/* Parses the body as one JSON value; answers 400/415 itself and returns NULL on failure. */
json_t *http_body_json(struct http_request *req);
/* True when the request says its body is JSON, sent without a content coding (the checks
 * http_body_json makes first). */
bool http_body_is_json(struct http_request *req);

/* Parses the body as one JSON object; otherwise answers (400/415, or 422 saying `expected`) and
 * returns NULL. */
json_t *http_body_object(struct http_request *req, const char *expected);

/* Cryptographic randomness (request ids, API keys) for every thread of the server; valid while
 * http_serve runs. Owned by the server: do not free. */
struct fid_rng *http_rng(void);

#endif
