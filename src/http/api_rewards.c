/*
 * The rewards catalogue and vouchers: look one up by code, use it once.
 */
#include <string.h>
#include <time.h>

#include "http/api.h"
#include "util/codes.h"

void api_rewards_list(struct http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:o}", "items", engine_rewards_json(req->engine)));
}

/* Loads the voucher of the path's {code}; another merchant's code is simply not found. */
static bool load_voucher(struct http_request *req, struct voucher *v, struct customer *c)
{
    char code[FID_CODE_MAX];
    struct fid_error err;
    fid_error_clear(&err);
    if (fid_code_normalise(req->params[0], code) != 0) {
        http_reply_problem(req, 404, "not-found", "Not Found", "no such voucher", NULL);
        return false;
    }
    struct store *store = engine_store(req->engine);
    enum fid_status st = voucher_find(store, code, v, &err);
    if (st == FID_OK)
        st = customer_find_id(store, v->customer_id, c, &err);
    if (st == FID_ERR_NOT_FOUND) {
        http_reply_problem(req, 404, "not-found", "Not Found", "no such voucher", NULL);
        return false;
    }
    if (st != FID_OK) {
        http_reply_error(req, &err);
        return false;
    }
    return true;
}

void api_voucher_get(struct http_request *req)
{
    struct voucher v;
    struct customer c;
    if (!load_voucher(req, &v, &c))
        return;
    engine_voucher_as_of(&v, (int64_t)time(NULL));
    http_reply_json(req, 200, engine_voucher_json(req->engine, &v, &c));
}

void api_voucher_use(struct http_request *req)
{
    struct voucher v;
    struct customer c;
    if (!load_voucher(req, &v, &c))
        return;
    json_t *event = json_object();
    if (req->body_len > 0) {
        json_decref(event);
        if ((event = http_body_object(req, "expected {\"order_id\": ...} or no body")) == NULL)
            return;
    }
    static const char *const ROUTE_SETS[] = {"code", "type", NULL};
    if (!api_refuse_route_fields(req, event, ROUTE_SETS)) {
        json_decref(event);
        return;
    }
    json_object_set_new(event, "type", json_string("voucher_use"));
    json_object_set_new(event, "code", json_string(v.code));
    if (!api_idempotency_key(req, event)) {
        json_decref(event);
        return;
    }
    api_apply_one(req, event, 200, NULL);
}
