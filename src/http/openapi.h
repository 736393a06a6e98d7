/*
 * The OpenAPI 3.1 document of the API, embedded at build time from docs/openapi.json.
 */
#ifndef FIDELE_HTTP_OPENAPI_H
#define FIDELE_HTTP_OPENAPI_H

extern const char OPENAPI_DOCUMENT[];

#endif
