/*
 * `fidele serve`: the HTTP JSON API under /v1 on libmicrohttpd, for many merchants at once.
 * http_serve blocks until SIGTERM or SIGINT, then stops accepting, lets requests in flight
 * finish (their transactions commit) and returns, with both signals still blocked: a second one
 * during or after the stop is ignored.
 */
#ifndef FIDELE_HTTP_HTTP_H
#define FIDELE_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct http_config {
    const char *host; /* listening address, e.g. "127.0.0.1" */
    uint16_t port;    /* 0 = any free port (printed on start) */
    const char *db_path;
    unsigned threads;         /* worker threads */
    size_t body_limit;        /* bytes; larger bodies answer 413 */
    size_t batch_limit;       /* events per batch request */
    unsigned timeout_seconds; /* idle connection timeout */
    double rate_per_second;   /* token bucket per API key; 0 = unlimited */
    double rate_burst;
    const char *tls_cert_path; /* PEM files; both or neither */
    const char *tls_key_path;
    const char *ready_file; /* when set, "host:port\n" is written there once listening */
    /* Waits for the connections' sockets with poll instead of epoll. With epoll, each answer
     * given after a commit costs two epoll_ctl calls (suspend, resume): a tenth of a request
     * thread's time per order. poll scans every connection of a thread at each wake-up instead:
     * cheaper up to a few hundred connections (tills, shops, a reverse proxy's pool), unfair
     * past that (at 1,000 keep-alive connections some waited 2 s; docs/benchmarks.md). */
    bool poll;
    unsigned due_seconds; /* scheduled work every this many seconds (committer.h); 0: none */
};

void http_config_defaults(struct http_config *config);

enum fid_status http_serve(const struct http_config *config, struct fid_error *err) FID_MUST_USE;

#endif
