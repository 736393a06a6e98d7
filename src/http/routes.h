/*
 * The route table of the API: method, path template, the scope a key needs, and the handler.
 * routes_dispatch authenticates, checks the scope and the rate limit, finds the caller's engine
 * and runs the handler; unknown paths answer 404 and known paths with another method 405.
 */
#ifndef FIDELE_HTTP_ROUTES_H
#define FIDELE_HTTP_ROUTES_H

#include <stddef.h>

#include "http/request.h"

void routes_dispatch(struct http_request *req);

/* Route templates and methods in table order (for metrics). */
const char *const *routes_templates(void);
const char *const *routes_methods(void);
size_t routes_count(void);

/* Handlers (api_*.c). params are in req->params in template order. */
void api_healthz(struct http_request *req);
void api_readyz(struct http_request *req);
void api_metrics(struct http_request *req);
void api_openapi(struct http_request *req);
void api_members_create(struct http_request *req);
void api_members_list(struct http_request *req);
void api_member_get(struct http_request *req);
void api_member_patch(struct http_request *req);
void api_member_balance(struct http_request *req);
void api_member_ledger(struct http_request *req);
void api_member_tiers(struct http_request *req);
void api_member_vouchers(struct http_request *req);
void api_member_redeem(struct http_request *req);
void api_events_post(struct http_request *req);
void api_events_batch(struct http_request *req);
void api_event_get(struct http_request *req);
void api_rewards_list(struct http_request *req);
void api_voucher_get(struct http_request *req);
void api_voucher_use(struct http_request *req);
void api_program_get(struct http_request *req);
void api_program_put(struct http_request *req);
void api_keys_create(struct http_request *req);
void api_keys_list(struct http_request *req);
void api_keys_delete(struct http_request *req);

#endif
