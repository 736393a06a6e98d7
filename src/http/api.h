/*
 * Helpers shared by the API handlers.
 */
#ifndef FIDELE_HTTP_API_H
#define FIDELE_HTTP_API_H

#include <jansson.h>
#include <stdbool.h>

#include "http/request.h"
#include "http/routes.h"
#include "store/store.h"

/* Refuses a body that holds one of fields (NULL-terminated): members of the event the route sets
 * itself, from its path or its kind. Written over, they would be ignored; false after answering
 * 422 naming the first. */
bool api_refuse_route_fields(struct http_request *req, const json_t *body,
                             const char *const *fields);

/* Puts the Idempotency-Key header into event as its "key" (refusing a different body key). */
bool api_idempotency_key(struct http_request *req, json_t *event);

/* Applies one event (stolen) and answers its result with success_status, or the problem.
 * A replay answers the first status and body again. shape (may be NULL) rewrites the result. */
void api_apply_one(struct http_request *req, json_t *event, unsigned success_status,
                   json_t *(*shape)(json_t *result));

/* Answers the write api_apply_one handed to the committer, once the connection resumed. */
void api_apply_finish(struct http_request *req);

/* Loads the member named by the path's {id} of the caller's merchant; answers 404 itself. */
bool api_load_member(struct http_request *req, struct customer *out);

#endif
