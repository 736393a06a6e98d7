/*
 * Administration: the programme (GET, and PUT for a new version) and API keys of the caller's
 * merchant. Only admin keys reach these routes (routes.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/api.h"
#include "util/jsonread.h"
#include "http/key_cache.h"
#include "http/worker.h"
#include "util/jsonwrite.h"

void api_program_get(struct http_request *req)
{
    const struct program *p = engine_program(req->engine);
    json_error_t jerr;
    json_t *doc = json_loads(p->text, 0, &jerr);
    http_reply_json(req, 200,
                    json_pack("{s:I, s:o}", "version", (json_int_t)p->version, "program",
                              doc ? doc : json_null()));
}

void api_program_put(struct http_request *req)
{
    json_t *doc = http_body_object(req, "expected the programme, a JSON object");
    if (doc == NULL)
        return;
    char *text = jsonw_dump_sorted(doc);
    json_decref(doc);
    struct fid_error err;
    fid_error_clear(&err);
    int64_t version = 0;
    enum fid_status st = engine_set_program(req->engine, text, (int64_t)time(NULL), &version, &err);
    free(text);
    if (st != FID_OK) {
        http_reply_error(req, &err);
        return;
    }
    api_program_get(req);
}

static json_t *key_json(const struct api_key *k)
{
    char created[FID_TIME_ISO_MAX];
    fid_time_format(k->created_at, created);
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "id", k->id, "scope", api_scope_name(k->scope),
                            "label", k->label, "created_at", created);
    if (k->revoked_at) {
        char revoked[FID_TIME_ISO_MAX];
        fid_time_format(k->revoked_at, revoked);
        json_object_set_new(out, "revoked_at", json_string(revoked));
    }
    return out;
}

void api_keys_create(struct http_request *req)
{
    json_t *body = http_body_object(req, "expected {\"scope\": ..., \"label\": ...}");
    if (body == NULL)
        return;
    /* as the key store names its scopes: read, pos, admin */
    static const char *const scopes[] = {"read", "pos", "admin", NULL};
    static const char *const fields[] = {"scope", "label", NULL};
    const char *label = NULL;
    int scope = -1;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = jsonr_check_keys(body, "", fields, &err);
    if (st == FID_OK)
        st = jsonr_enum(body, "", "scope", true, scopes, -1, &scope, &err);
    if (st == FID_OK)
        st = jsonr_string(body, "", "label", false, API_KEY_LABEL_MAX - 1, NULL, &label, &err);
    if (st == FID_OK && label)
        st = api_key_label_check(label, "/label", &err);
    if (st != FID_OK) {
        json_decref(body);
        http_reply_error(req, &err);
        return;
    }
    struct api_key key;
    char text[API_KEY_TEXT_MAX];
    st = api_key_create(req->worker->directory, http_rng(), req->key.merchant_id,
                        (enum api_scope)scope, label, http_idempotency_key(req),
                        (int64_t)time(NULL), &key, text, &err);
    json_decref(body);
    if (st != FID_OK) {
        http_reply_error(req, &err);
        return;
    }
    json_t *out = key_json(&key);
    json_object_set_new(out, "key", json_string(text));
    snprintf(req->location, sizeof req->location, "/v1/keys/%s", key.id);
    http_reply_json(req, 201, out);
}

static int collect_key(const struct api_key *k, void *context)
{
    json_array_append_new(context, key_json(k));
    return 0;
}

void api_keys_list(struct http_request *req)
{
    struct fid_error err;
    fid_error_clear(&err);
    json_t *items = json_array();
    if (api_key_list(req->worker->directory, req->key.merchant_id, collect_key, items, &err) !=
        FID_OK) {
        json_decref(items);
        http_reply_error(req, &err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

void api_keys_delete(struct http_request *req)
{
    struct fid_error err;
    fid_error_clear(&err);
    if (strcmp(req->params[0], req->key.id) == 0) { /* the last admin key would lock the door */
        http_reply_problem(req, 409, "conflict", "Conflict",
                           "a key cannot revoke itself: use another admin key or `fidele key "
                           "revoke`",
                           NULL);
        return;
    }
    if (api_key_revoke(req->worker->directory, req->key.merchant_id, req->params[0],
                       (int64_t)time(NULL), &err) != FID_OK) {
        http_reply_error(req, &err);
        return;
    }
    key_cache_invalidate_all(); /* every thread's cache checks its keys again */
    req->status = 204;
    free(req->response);
    req->response = NULL;
}
