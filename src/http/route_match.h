/*
 * Matching a request path against a route template such as "/v1/members/{id}/balance". Literal
 * characters must be equal; a "{name}" segment captures the path's segment up to the next '/',
 * percent-decoded ("%2F" gives '/', an invalid escape stays as it is). Pure: the router calls it,
 * and so do its tests and fuzz target, without a server.
 */
#ifndef FIDELE_HTTP_ROUTE_MATCH_H
#define FIDELE_HTTP_ROUTE_MATCH_H

#include <stdbool.h>

#define HTTP_PARAMS_MAX 4
#define HTTP_PARAM_MAX  160

/* True when path matches template; params then holds one capture per "{name}", in template
 * order, each non-empty and NUL-terminated. Refused: an empty capture, one decoding to a NUL byte,
 * one of HTTP_PARAM_MAX bytes or more, and a template of more than HTTP_PARAMS_MAX - 1 captures.
 * Rows past the captures are left alone; on refusal params may hold a partial capture. template
 * is trusted: every '{' has its '}'. */
bool route_match(const char *template, const char *path,
                 char params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX]);

#endif
