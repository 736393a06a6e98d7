/*
 * The path templates of the API's route table (src/http/routes.c), each once, in table order.
 * A copy, so that the route fuzz target needs no handlers, engine or server; the http unit test
 * route_match checks that it equals routes_templates().
 */
#ifndef FIDELE_FUZZ_ROUTE_TEMPLATES_H
#define FIDELE_FUZZ_ROUTE_TEMPLATES_H

static const char *const ROUTE_TEMPLATES[] = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/openapi.json",
    "/v1/members",
    "/v1/members/{id}",
    "/v1/members/{id}/balance",
    "/v1/members/{id}/ledger",
    "/v1/members/{id}/tiers",
    "/v1/members/{id}/vouchers",
    "/v1/members/{id}/redemptions",
    "/v1/events",
    "/v1/events/batch",
    "/v1/events/{key}",
    "/v1/rewards",
    "/v1/vouchers/{code}",
    "/v1/vouchers/{code}/use",
    "/v1/program",
    "/v1/keys",
    "/v1/keys/{id}",
};
#define N_ROUTE_TEMPLATES (sizeof ROUTE_TEMPLATES / sizeof ROUTE_TEMPLATES[0])

#endif
