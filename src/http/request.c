/*
 * Answers: JSON bodies and RFC 9457 problem documents. The mapping from the project's status
 * enum to HTTP statuses and problem types lives here and nowhere else.
 */
#include "http/request.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/metrics.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/text.h"

void http_reply_json(struct http_request *req, unsigned status, json_t *value)
{
    http_reply_text(req, status, jsonw_dump(value));
    json_decref(value);
}

void http_reply_text(struct http_request *req, unsigned status, char *json_text)
{
    free(req->response);
    req->response = json_text;
    req->status = status;
    req->content_type = "application/json";
}

void http_reply_problem(struct http_request *req, unsigned status, const char *type,
                        const char *title, const char *detail, const char *field)
{
    char uri[96];
    snprintf(uri, sizeof uri, "urn:fidele:problem:%s", type);
    /* detail, field and the path may echo bytes the client sent, which need not be UTF-8 */
    char clean_detail[512], clean_field[256], clean_path[HTTP_RAW_PATH_MAX];
    fid_text_sanitize(detail, clean_detail, sizeof clean_detail);
    fid_text_sanitize(req->path ? req->path : "", clean_path, sizeof clean_path);
    json_t *problem = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", uri, "title", title, "status",
                                (int)status, "detail", clean_detail, "instance", clean_path);
    if (field) { /* "" names the whole body (RFC 6901) */
        fid_text_sanitize(field, clean_field, sizeof clean_field);
        json_object_set_new(problem, "field", json_string(clean_field));
    }
    json_object_set_new(problem, "request_id", json_string(req->request_id));
    http_reply_json(req, status, problem);
    req->content_type = "application/problem+json";
}

/* Answers 400 for a body that is not JSON. The parser names the position ("line 1 column 8")
 * where it names fields; a problem's field is a pointer, parameter or header, so the position
 * goes into the detail and no field is named. */
static void reply_malformed_json(struct http_request *req, const struct fid_error *err)
{
    static const char PREFIX[] = "malformed JSON: ";
    char detail[FID_ERROR_MESSAGE_MAX + FID_ERROR_FIELD_MAX + 8];
    if (err->field[0] && strncmp(err->message, PREFIX, sizeof PREFIX - 1) == 0)
        snprintf(detail, sizeof detail, "malformed JSON at %s: %s", err->field,
                 err->message + sizeof PREFIX - 1);
    else if (err->field[0])
        snprintf(detail, sizeof detail, "%s (at %s)", err->message, err->field);
    else
        snprintf(detail, sizeof detail, "%s", err->message);
    http_reply_problem(req, 400, "malformed-json", "Bad Request", detail, NULL);
}

void http_reply_error(struct http_request *req, const struct fid_error *err)
{
    static const struct {
        unsigned status;
        const char *type, *title;
    } map[] = {
        [FID_OK] = {500, "internal", "Internal Server Error"},
        [FID_ERR_INPUT] = {422, "invalid-input", "Unprocessable Content"},
        [FID_ERR_NOT_FOUND] = {404, "not-found", "Not Found"},
        [FID_ERR_CONFLICT] = {409, "conflict", "Conflict"},
        [FID_ERR_INSUFFICIENT] = {422, "insufficient", "Unprocessable Content"},
        [FID_ERR_STATE] = {409, "invalid-state", "Conflict"},
        [FID_ERR_LIMIT] = {413, "too-large", "Content Too Large"},
        [FID_ERR_FORBIDDEN] = {403, "forbidden", "Forbidden"},
        [FID_ERR_DB] = {503, "database", "Service Unavailable"},
        [FID_ERR_IO] = {500, "io", "Internal Server Error"},
        [FID_ERR_INTERNAL] = {500, "internal", "Internal Server Error"},
    };
    enum fid_status s = err->status <= FID_ERR_INTERNAL ? err->status : FID_ERR_INTERNAL;
    if (s == FID_ERR_DB)
        metrics_db_error();
    /* A key found unknown or revoked after the request was let in (http/committer.h). */
    if (s == FID_ERR_NOT_FOUND && strcmp(err->field, "Authorization") == 0) {
        http_reply_problem(req, 401, "unauthorized", "Unauthorized", err->message, "Authorization");
        return;
    }
    /* Malformed JSON is a syntax error of the request, not a validation failure. */
    if (s == FID_ERR_INPUT && strncmp(err->message, "malformed JSON", 14) == 0) {
        reply_malformed_json(req, err);
        return;
    }
    http_reply_problem(req, map[s].status, map[s].type, map[s].title,
                       err->message[0] ? err->message : fid_strerror(s),
                       err->field[0] ? err->field : NULL);
}

const char *http_header(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

bool http_idempotency_key_check(struct http_request *req)
{
    const char *header = http_header(req, "Idempotency-Key");
    if (header == NULL)
        return true;
    header += strspn(header, " \t");
    size_t len = strlen(header);
    while (len > 0 && (header[len - 1] == ' ' || header[len - 1] == '\t'))
        len--;
    const char *why = NULL;
    if (len == 0 || len >= sizeof req->idempotency_key)
        why = "Idempotency-Key must be 1 to 128 bytes";
    else if (!fid_text_utf8(header, len))
        why = "Idempotency-Key must be UTF-8 text";
    if (why == NULL) {
        memcpy(req->idempotency_key, header, len);
        req->idempotency_key[len] = '\0';
        if (fid_text_control(req->idempotency_key) >= 0)
            why = "Idempotency-Key must hold no control characters";
    }
    if (why != NULL) {
        http_reply_problem(req, 400, "invalid-header", "Bad Request", why, "Idempotency-Key");
        return false;
    }
    req->has_idempotency_key = true;
    return true;
}

const char *http_idempotency_key(const struct http_request *req)
{
    return req->has_idempotency_key ? req->idempotency_key : NULL;
}

#define QUERY_NAMES_MAX 8 /* more parameters than any route takes */

struct query_scan {
    const char *allowed;
    const char *seen[QUERY_NAMES_MAX];
    size_t n_seen;
    const char *bad;
    bool twice;
    bool empty;
};

static bool word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *at = list; at && *at;) {
        const char *end = strchr(at, ' ');
        size_t len = end ? (size_t)(end - at) : strlen(at);
        if (len == n && strncmp(at, word, n) == 0)
            return true;
        at = end ? end + 1 : NULL;
    }
    return false;
}

static enum MHD_Result scan_query(void *context, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct query_scan *scan = context;
    if (!word_in(scan->allowed, key)) {
        scan->bad = key;
        return MHD_NO;
    }
    /* "?email" (libmicrohttpd's NULL) or "?email=": read as absent, a search would list everyone
     * and a limit fall back to its default */
    if (value == NULL || value[0] == '\0') {
        scan->bad = key;
        scan->empty = true;
        return MHD_NO;
    }
    for (size_t i = 0; i < scan->n_seen; i++)
        if (strcmp(scan->seen[i], key) == 0) {
            scan->bad = key;
            scan->twice = true;
            return MHD_NO;
        }
    if (scan->n_seen < QUERY_NAMES_MAX)
        scan->seen[scan->n_seen++] = key;
    return MHD_YES;
}

bool http_query_check(struct http_request *req, const char *allowed)
{
    struct query_scan scan = {.allowed = allowed};
    MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, scan_query, &scan);
    if (scan.bad == NULL)
        return true;
    char name[72], detail[200];
    fid_text_cut(scan.bad, name, sizeof name);
    if (scan.empty) {
        snprintf(detail, sizeof detail, "query parameter %s is given without a value", name);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content", detail, name);
        return false;
    }
    if (name[0] == '\0')
        snprintf(detail, sizeof detail, "a query parameter has no name");
    else if (scan.twice)
        snprintf(detail, sizeof detail, "query parameter %s is given twice", name);
    else if (allowed == NULL)
        snprintf(detail, sizeof detail, "unknown query parameter %s: this route takes none", name);
    else
        snprintf(detail, sizeof detail, "unknown query parameter %s: this route takes %s", name,
                 allowed);
    http_reply_problem(req, 400, "invalid-query", "Bad Request", detail, name[0] ? name : NULL);
    return false;
}

void http_reply_too_large(struct http_request *req)
{
    char detail[80];
    snprintf(detail, sizeof detail, "the body is larger than %zu bytes", req->config->body_limit);
    http_reply_problem(req, 413, "body-too-large", "Content Too Large", detail, NULL);
}

/* True for "application/json", in any case, alone or followed by parameters ("; charset=utf-8");
 * not for a longer subtype such as "application/jsonx", nor for a charset other than UTF-8 (the
 * body is read as UTF-8: JSON's own encoding, RFC 8259). */
static bool is_json_media_type(const char *type)
{
    static const char JSON_TYPE[] = "application/json";
    if (type == NULL || strncasecmp(type, JSON_TYPE, sizeof JSON_TYPE - 1) != 0)
        return false;
    char next = type[sizeof JSON_TYPE - 1];
    if (next != '\0' && next != ';' && next != ' ' && next != '\t')
        return false;
    for (const char *p = strchr(type, ';'); p != NULL; p = strchr(p + 1, ';')) {
        const char *name = p + 1 + strspn(p + 1, " \t");
        if (strncasecmp(name, "charset=", 8) != 0)
            continue;
        const char *value = name + 8 + (name[8] == '"');
        size_t len = strcspn(value, "\"; \t");
        if (!((len == 5 && strncasecmp(value, "utf-8", 5) == 0) ||
              (len == 4 && strncasecmp(value, "utf8", 4) == 0)))
            return false;
    }
    return true;
}

/* Whether the body comes under a content coding ("gzip"): it is not decoded, and read as JSON it
 * would be refused as malformed, which says nothing of why. "identity" is no coding. */
static bool body_is_coded(struct http_request *req)
{
    const char *coding = http_header(req, "Content-Encoding");
    return coding != NULL && strcasecmp(coding, "identity") != 0;
}

bool http_body_is_json(struct http_request *req)
{
    return is_json_media_type(http_header(req, "Content-Type")) && !body_is_coded(req);
}

json_t *http_body_json(struct http_request *req)
{
    if (body_is_coded(req)) {
        /* RFC 9110, section 15.5.16: the answer names the codings taken (Accept-Encoding) */
        http_reply_problem(req, 415, "unsupported-media-type", "Unsupported Media Type",
                           "the body is read without a content coding: send it uncompressed",
                           "Content-Encoding");
        return NULL;
    }
    if (!http_body_is_json(req)) {
        http_reply_problem(req, 415, "unsupported-media-type", "Unsupported Media Type",
                           "send the body as application/json", "Content-Type");
        return NULL;
    }
    struct fid_error err;
    fid_error_clear(&err);
    json_t *value = NULL;
    if (jsonr_parse(req->body ? req->body : "", req->body_len, &value, &err) != FID_OK) {
        http_reply_error(req, &err); /* malformed (400), or a number out of range (422) */
        return NULL;
    }
    return value;
}

json_t *http_body_object(struct http_request *req, const char *expected)
{
    json_t *body = http_body_json(req);
    if (body != NULL && !json_is_object(body)) {
        json_decref(body);
        http_reply_problem(req, 422, "invalid-input", "Unprocessable Content", expected, "");
        return NULL;
    }
    return body;
}
