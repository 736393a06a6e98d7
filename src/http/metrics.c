/*
 * Fixed-size metric tables: a route index (plus one slot for unmatched requests) by a small set
 * of status codes, and histogram buckets. Rendering reads the atomics without stopping writers,
 * which is what Prometheus expects of counters.
 */
#include "http/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const unsigned STATUSES[] = {200, 201, 204, 400, 401, 403, 404, 405,
                                    409, 413, 415, 422, 429, 500, 503};
#define N_STATUSES (sizeof STATUSES / sizeof STATUSES[0])
static const double LATENCY_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                         0.025,  0.05,  0.1,    0.25,  1.0};
#define N_LATENCY (sizeof LATENCY_BUCKETS / sizeof LATENCY_BUCKETS[0])
static const double BATCH_BUCKETS[] = {1, 10, 100, 500, 1000};
#define N_BATCH (sizeof BATCH_BUCKETS / sizeof BATCH_BUCKETS[0])

static const char *const *route_methods;
static const char *const *route_names;
static size_t n_route_names;
static atomic_uint_least64_t requests[METRICS_ROUTES_MAX + 1][N_STATUSES + 1];
/* latency[r][b]: requests whose duration fell in bucket b alone (b = N_LATENCY: above them all). */
static atomic_uint_least64_t latency[METRICS_ROUTES_MAX + 1][N_LATENCY + 1];
static atomic_uint_least64_t latency_sum_us[METRICS_ROUTES_MAX + 1];
static atomic_uint_least64_t events_applied, db_errors;
static atomic_uint_least64_t batches[N_BATCH + 1], batch_events_total, batch_count;

void metrics_init(const char *const *methods, const char *const *routes, size_t n_routes)
{
    route_methods = methods;
    route_names = routes;
    n_route_names = n_routes < METRICS_ROUTES_MAX ? n_routes : METRICS_ROUTES_MAX;
}

static size_t route_slot(int route)
{
    return route >= 0 && (size_t)route < n_route_names ? (size_t)route : METRICS_ROUTES_MAX;
}

void metrics_request(int route, unsigned status, int64_t duration_ns)
{
    size_t r = route_slot(route), s = N_STATUSES, b = 0;
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i] == status)
            s = i;
    double seconds = (double)duration_ns / 1e9;
    while (b < N_LATENCY && seconds > LATENCY_BUCKETS[b])
        b++;
    /* Counters only: relaxed order is enough, and one bucket per request (rendering sums them
     * into Prometheus's cumulative buckets) keeps the atomics to three. */
    atomic_fetch_add_explicit(&requests[r][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us[r], (uint64_t)(duration_ns / 1000),
                              memory_order_relaxed);
}

void metrics_events(uint64_t applied, size_t batch_size)
{
    atomic_fetch_add(&events_applied, applied);
    for (size_t b = 0; b < N_BATCH; b++)
        if ((double)batch_size <= BATCH_BUCKETS[b])
            atomic_fetch_add(&batches[b], 1);
    atomic_fetch_add(&batches[N_BATCH], 1);
    atomic_fetch_add(&batch_events_total, batch_size);
    atomic_fetch_add(&batch_count, 1);
}

void metrics_db_error(void)
{
    atomic_fetch_add(&db_errors, 1);
}

struct text {
    char *data;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap *= 2;
        t->data = xrealloc(t->data, t->cap);
    }
}

/* The labels of route slot r: method and template, or route="unmatched" for the requests that
 * matched no route (404, 405); the method is not kept for those. */
static const char *route_labels(size_t r, char *out, size_t size)
{
    if (r < n_route_names)
        snprintf(out, size, "method=\"%s\",route=\"%s\"", route_methods[r], route_names[r]);
    else
        snprintf(out, size, "route=\"unmatched\"");
    return out;
}

char *metrics_render(void)
{
    struct text t = {.data = xmalloc(16384), .cap = 16384};
    char labels[128];
    put(&t, "# HELP fidele_http_requests_total HTTP requests by route (method and template) and "
            "status.\n"
            "# TYPE fidele_http_requests_total counter\n");
    for (size_t r = 0; r <= METRICS_ROUTES_MAX; r++)
        for (size_t s = 0; s <= N_STATUSES; s++) {
            uint64_t v = atomic_load(&requests[r][s]);
            if (v == 0)
                continue;
            route_labels(r, labels, sizeof labels);
            if (s < N_STATUSES)
                put(&t, "fidele_http_requests_total{%s,status=\"%u\"} %llu\n", labels, STATUSES[s],
                    (unsigned long long)v);
            else
                put(&t, "fidele_http_requests_total{%s,status=\"other\"} %llu\n", labels,
                    (unsigned long long)v);
        }
    put(&t, "# HELP fidele_http_request_duration_seconds Time from request to response.\n"
            "# TYPE fidele_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= METRICS_ROUTES_MAX; r++) {
        /* Read each bucket once and sum: cumulative counts never decrease, whatever is being
         * recorded meanwhile. */
        uint64_t cumulative[N_LATENCY + 1], count = 0;
        for (size_t b = 0; b <= N_LATENCY; b++)
            cumulative[b] = count += atomic_load(&latency[r][b]);
        if (count == 0)
            continue;
        route_labels(r, labels, sizeof labels);
        for (size_t b = 0; b < N_LATENCY; b++)
            put(&t, "fidele_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                LATENCY_BUCKETS[b], (unsigned long long)cumulative[b]);
        put(&t, "fidele_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
            (unsigned long long)count);
        put(&t, "fidele_http_request_duration_seconds_sum{%s} %.6f\n", labels,
            (double)atomic_load(&latency_sum_us[r]) / 1e6);
        put(&t, "fidele_http_request_duration_seconds_count{%s} %llu\n", labels,
            (unsigned long long)count);
    }
    put(&t,
        "# HELP fidele_events_applied_total Events applied (replays excluded).\n"
        "# TYPE fidele_events_applied_total counter\n"
        "fidele_events_applied_total %llu\n",
        (unsigned long long)atomic_load(&events_applied));
    put(&t, "# HELP fidele_event_batch_size Events per applied batch.\n"
            "# TYPE fidele_event_batch_size histogram\n");
    for (size_t b = 0; b < N_BATCH; b++)
        put(&t, "fidele_event_batch_size_bucket{le=\"%g\"} %llu\n", BATCH_BUCKETS[b],
            (unsigned long long)atomic_load(&batches[b]));
    put(&t,
        "fidele_event_batch_size_bucket{le=\"+Inf\"} %llu\nfidele_event_batch_size_sum %llu\n"
        "fidele_event_batch_size_count %llu\n",
        (unsigned long long)atomic_load(&batches[N_BATCH]),
        (unsigned long long)atomic_load(&batch_events_total),
        (unsigned long long)atomic_load(&batch_count));
    put(&t,
        "# HELP fidele_database_errors_total Database errors seen by requests.\n"
        "# TYPE fidele_database_errors_total counter\n"
        "fidele_database_errors_total %llu\n",
        (unsigned long long)atomic_load(&db_errors));
    return t.data;
}
