/*
 * Server metrics in the Prometheus text format: requests by route (method and template) and
 * status, a latency histogram per route, events applied, batch sizes and database errors. Counters
 * are atomics: recording never takes a lock.
 */
#ifndef FIDELE_HTTP_METRICS_H
#define FIDELE_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_ROUTES_MAX 40

/* Declares the routes (index = route number) by method and template once at start; both label
 * a route's series, since one template may take several methods. */
void metrics_init(const char *const *methods, const char *const *routes, size_t n_routes);
/* Counts one answered request and its duration; lock-free. */
void metrics_request(int route, unsigned status, int64_t duration_ns);
void metrics_events(uint64_t applied, size_t batch_size);
void metrics_db_error(void);

/* Renders all metrics; the caller frees the text. */
char *metrics_render(void);

#endif
