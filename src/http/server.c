/*
 * The HTTP server: libmicrohttpd with an epoll thread pool, request bodies gathered up to the
 * configured limit, one JSON access-log line per request, X-Request-Id echoed or generated, and
 * a graceful stop on SIGTERM/SIGINT: the listening socket closes first, requests in flight run to
 * the end of their transactions, then connections close. Routing and handlers live in routes.c
 * and api_*.c; this file only speaks HTTP.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "http/access_log.h"
#include "http/api.h"
#include "http/committer.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/request.h"
#include "http/routes.h"
#include "http/worker.h"
#include "store/db.h"
#include "store/schema.h"
#include "util/codes.h"
#include "util/timeutil.h"
#include "util/numbers.h"
#include "util/text.h"
#include "util/xalloc.h"

#define BODY_INITIAL  4096
#define DRAIN_SECONDS 10 /* longest wait for answers in flight at shutdown */
/* libmicrohttpd's memory per connection: the request's headers and the read buffer. It zeroes
 * all of it for every request, so its size is a cost per request (~1 us of a request thread at 32
 * KiB against 16). 16 KiB takes headers of up to about 15 KiB, as Node.js's default, and a Cookie
 * header of about 7 KiB (libmicrohttpd keeps a second copy of it); more answers 431. */
#define CONNECTION_MEMORY (16 * 1024)

/* Requests begun and not yet completed (answer sent or connection lost). */
static atomic_int in_flight;

void http_config_defaults(struct http_config *c)
{
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8080;
    c->threads = 2;
    c->body_limit = 1024 * 1024;
    c->batch_limit = 1000;
    c->timeout_seconds = 30;
    c->rate_per_second = 0;
    c->rate_burst = 100;
    c->due_seconds = 60;
}

/* Created before the daemon's threads and freed after them; unseeded, so it keeps no state
 * between draws and every thread may use it (thread-local generators leaked at thread exit). */
static struct fid_rng *shared_rng;

struct fid_rng *http_rng(void)
{
    return shared_rng;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Made-up request ids: per thread, a random prefix drawn once and a counter times a random odd
 * multiplier (a bijection on 40 bits), so that no request pays for a random draw and ids repeat
 * neither within a thread nor, but by a 2^-40 chance, across threads and restarts. */
struct request_ids {
    uint64_t prefix, multiplier, counter;
    bool ready;
};

static void new_request_id(char out[HTTP_REQUEST_ID_MAX])
{
    static _Thread_local struct request_ids ids;
    if (!ids.ready) {
        uint64_t drawn[3];
        fid_rng_bytes(http_rng(), drawn, sizeof drawn);
        ids.prefix = drawn[0];
        ids.multiplier = drawn[1] | 1;
        ids.counter = drawn[2];
        ids.ready = true;
    }
    uint64_t low = ++ids.counter * ids.multiplier;
    unsigned char raw[16];
    for (int i = 0; i < 8; i++) {
        raw[i] = (unsigned char)(ids.prefix >> (5 * i));
        raw[8 + i] = (unsigned char)(low >> (5 * i));
    }
    _Static_assert(4 + FID_CODE_MAX <= HTTP_REQUEST_ID_MAX, "req- and a code fit");
    memcpy(out, "req-", 4);
    fid_code_spell(raw, 16, out + 4);
}

/* A caller's X-Request-Id is kept when it is short and printable; otherwise one is made. */
static void request_id(struct MHD_Connection *connection, char out[HTTP_REQUEST_ID_MAX])
{
    const char *given = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Request-Id");
    bool usable = given && given[0] && strlen(given) < HTTP_REQUEST_ID_MAX;
    for (const char *c = given; usable && *c; c++)
        usable = *c > 32 && *c < 127 && *c != '"' && *c != '\\';
    if (usable)
        snprintf(out, HTTP_REQUEST_ID_MAX, "%s", given);
    else
        new_request_id(out);
}

static enum MHD_Result send_response(struct http_request *req)
{
    /* A body is handed over, not copied: libmicrohttpd frees it with free(). */
    size_t length = req->response ? strlen(req->response) : 0;
    struct MHD_Response *response =
        length ? MHD_create_response_from_buffer(length, req->response, MHD_RESPMEM_MUST_FREE)
               : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (response == NULL)
        return MHD_NO;
    if (length)
        req->response = NULL;
    if (length) /* a 204 has no content to give a type */
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                req->content_type ? req->content_type : "application/json");
    MHD_add_response_header(response, "X-Request-Id", req->request_id);
    if (req->allow[0])
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, req->allow);
    if (req->status == 415) /* bodies are read as sent (RFC 9110, section 12.5.3) */
        MHD_add_response_header(response, MHD_HTTP_HEADER_ACCEPT_ENCODING, "identity");
    if (req->status == 401) /* how to authenticate (RFC 9110, section 11.6.1) */
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"fidele\"");
    if (req->close)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    if (req->location[0] && req->status == 201) /* a refused request created nothing */
        MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, req->location);
    if (req->replayed)
        MHD_add_response_header(response, "Idempotent-Replayed", "true");
    if (req->retry_after) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%u", req->retry_after);
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    enum MHD_Result ret = MHD_queue_response(req->connection, req->status, response);
    MHD_destroy_response(response);
    return ret;
}

/* Decodes a URL's path or a query argument in place, as libmicrohttpd would, unless the result
 * would hold a NUL (which would cut the text short: "/v1/members/ann%00x" read as ann's) or not
 * be UTF-8: such text stays as written, and matches no member, code or route. */
static size_t unescape(void *cls, struct MHD_Connection *connection, char *text)
{
    (void)cls;
    (void)connection;
    size_t len = strlen(text);
    if (strchr(text, '%') == NULL)
        return len;
    char *decoded = xstrndup(text, len);
    size_t n = MHD_http_unescape(decoded);
    if (fid_text_utf8(decoded, n)) {
        memcpy(text, decoded, n + 1);
        len = n;
    }
    free(decoded);
    return len;
}

struct framing {
    const char *first_length;
    bool lengths_differ;
    const char *encoding; /* the first Transfer-Encoding */
    int encodings;        /* how many Transfer-Encoding headers */
    bool name_not_token;  /* a header's name holds what no name can */
};

/* Whether a header's name is a token (RFC 9110, section 5.1). libmicrohttpd keeps what stood
 * before the colon: "Content-Length " for a space before it, and a line folded onto the one
 * before (obsolete) runs into that header's name, so such a request's framing headers would be
 * read as no header at all and its body as the next request. */
static bool header_name_is_token(const char *name)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (*name == '\0')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')) &&
            strchr(extra, *c) == NULL)
            return false;
    return true;
}

static enum MHD_Result note_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct framing *seen = cls;
    if (!header_name_is_token(key))
        seen->name_not_token = true;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        if (seen->encodings++ == 0)
            seen->encoding = value;
        return MHD_YES;
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
        return MHD_YES;
    if (seen->first_length != NULL && strcmp(seen->first_length, value) != 0)
        seen->lengths_differ = true;
    if (seen->first_length == NULL)
        seen->first_length = value;
    return MHD_YES;
}

/* Whether a Transfer-Encoding value is the one coding libmicrohttpd reads a body by: "chunked",
 * in any case. It reads a body under any other value ("identity", "gzip, chunked") until the
 * connection closes, so such a request would get no answer. It drops the spaces before a value
 * but keeps those after it, and does not take "chunked " for chunked: neither is taken here. */
static bool encoding_is_chunked(const char *value)
{
    return value != NULL && strcasecmp(value, "chunked") == 0;
}

/* Why the body's length is in doubt, or NULL. Two different lengths, or a length beside a
 * Transfer-Encoding: a proxy in front may have framed the body by the other one, and what it took
 * for the next request would be read here as this one's body (request smuggling). A
 * Transfer-Encoding other than one "chunked" leaves the body's end unknown (chunked not last, or
 * a coding not understood), and one in an HTTP/1.0 request is not to be trusted. Such a request
 * is refused and its connection closed (RFC 9112, sections 6.1 and 6.3), as is one whose
 * framing headers may have been read as other headers (header_name_is_token). */
static const char *framing_doubt(struct MHD_Connection *connection, const char *version)
{
    struct framing seen = {0};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, note_framing, &seen);
    if (seen.name_not_token)
        return "a header's name holds a space or a character no name can (a space before its "
               "colon, or a line folded onto the one before)";
    if (seen.lengths_differ)
        return "the request has two different Content-Length headers";
    if (seen.first_length != NULL && seen.encodings > 0)
        return "the request has both Content-Length and Transfer-Encoding headers";
    if (seen.encodings > 0 && strcmp(version, MHD_HTTP_VERSION_1_1) != 0)
        return "an HTTP/1.0 request cannot have a Transfer-Encoding header";
    if (seen.encodings > 1 || (seen.encodings == 1 && !encoding_is_chunked(seen.encoding)))
        return "the request's Transfer-Encoding is not \"chunked\" alone, the only one taken";
    return NULL;
}

/* The headers read here that hold one value (RFC 9110, section 5.3): two of them leave which one
 * holds in doubt, and a proxy in front may have taken the other (the Host it routed by, the key it
 * checked). Host counts first: an HTTP/1.1 request names exactly one (RFC 9112, section 3.2). */
static const char *const SINGLE_HEADERS[] = {MHD_HTTP_HEADER_HOST, MHD_HTTP_HEADER_AUTHORIZATION,
                                             MHD_HTTP_HEADER_CONTENT_TYPE, "Idempotency-Key"};
enum { N_SINGLE_HEADERS = sizeof SINGLE_HEADERS / sizeof *SINGLE_HEADERS };

static enum MHD_Result count_single(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    int *seen = cls;
    for (int i = 0; i < N_SINGLE_HEADERS; i++)
        if (strcasecmp(key, SINGLE_HEADERS[i]) == 0)
            seen[i]++;
    return MHD_YES;
}

/* Why the request's single-valued headers are wrong, or NULL: one given twice, or an HTTP/1.1
 * request without a Host (HTTP/1.0 needs none). */
static const char *single_header_doubt(struct MHD_Connection *connection, const char *version,
                                       char *why, size_t size)
{
    int seen[N_SINGLE_HEADERS] = {0};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, count_single, seen);
    for (int i = 0; i < N_SINGLE_HEADERS; i++)
        if (seen[i] > 1) {
            snprintf(why, size, "the request has more than one %s header", SINGLE_HEADERS[i]);
            return why;
        }
    if (seen[0] == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return "an HTTP/1.1 request needs a Host header";
    return NULL;
}

/* Whether the request declares a body longer than limit. */
static bool declared_too_large(struct MHD_Connection *connection, size_t limit)
{
    const char *declared =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t length = 0;
    return declared != NULL && fid_parse_whole(declared, 0, INT64_MAX, &length) &&
           (uint64_t)length > limit;
}

/* Whether the method's routes read a body: GET, HEAD and DELETE ones do not. A body sent with
 * them is read and dropped, never kept nor held to the body limit (their answers list no 413);
 * one declared longer than the limit is not read at all. */
static bool method_takes_body(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
           strcmp(method, MHD_HTTP_METHOD_DELETE) != 0;
}

/* libmicrohttpd's messages, among them the requests it answers itself (a malformed
 * Content-Length 400, headers too large 431, a request line too long 414, an HTTP version other
 * than 1.0 and 1.1 505), as JSON lines. */
static void on_library_message(void *cls, const char *format, va_list args)
{
    (void)cls;
    access_log_library(format, args);
}

/* The path of a request target: an absolute-form one ("http://host:8080/v1/rewards", which a
 * server must take, RFC 9112 section 3.2.2) is read from the slash after its authority ("/" when
 * it has none); the usual origin-form is the path itself. */
static const char *target_path(const char *target)
{
    size_t scheme = strncasecmp(target, "http://", 7) == 0    ? 7
                    : strncasecmp(target, "https://", 8) == 0 ? 8
                                                              : 0;
    if (scheme == 0)
        return target;
    const char *path = target + scheme + strcspn(target + scheme, "/?#");
    return *path == '/' ? path : "/";
}

/* Keeps the request's path as sent: libmicrohttpd hands the access handler a decoded one, in
 * which an id's encoded '/' would split the path. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)cls;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http_request *req = info ? info->socket_context : NULL;
    if (req == NULL)
        return NULL;
    uri = target_path(uri);
    size_t n = strcspn(uri, "?"); /* a '#' stays: the decoded path keeps it too */
    if (n >= sizeof req->raw_path)
        n = 0; /* too long to keep: the decoded path serves */
    memcpy(req->raw_path, uri, n);
    req->raw_path[n] = '\0';
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    const struct http_config *config = cls;
    struct http_request *req = *con_cls;
    if (req == NULL) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        req = info->socket_context;
        memset(req, 0, offsetof(struct http_request, raw_path)); /* on_uri wrote the raw path */
        atomic_fetch_add(&in_flight, 1);
        req->connection = connection;
        req->config = config;
        req->method = method;
        req->path = req->raw_path[0] ? req->raw_path : target_path(url);
        req->route_index = -1;
        req->route = "unmatched";
        req->started_ns = monotonic_ns();
        request_id(connection, req->request_id);
        *con_cls = req;
        char why[64];
        const char *doubt = single_header_doubt(connection, version, why, sizeof why);
        if (doubt == NULL)
            doubt = framing_doubt(connection, version);
        if (doubt != NULL) {
            req->close = true;
            http_reply_problem(req, 400, "bad-request", "Bad Request", doubt, NULL);
            return send_response(req);
        }
        req->ignores_body = !method_takes_body(method);
        if (req->ignores_body && declared_too_large(connection, config->body_limit)) {
            /* answered at once, as without the body, which is not read (a client that waits,
             * Expect: 100-continue, sends none of it): the connection closes rather than take
             * what is left of it for the next request */
            req->close = true;
            routes_dispatch(req);
            return send_response(req);
        }
        if (!req->ignores_body && declared_too_large(connection, config->body_limit)) {
            /* answered before the body is sent: a client that waits (Expect: 100-continue)
             * sends none of it */
            req->close = true;
            http_reply_too_large(req);
            return send_response(req);
        }
        return MHD_YES;
    }
    if (req->commit_pending) { /* resumed: the committer has answered */
        req->commit_pending = false;
        api_apply_finish(req);
        return send_response(req);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->ignores_body)
            return MHD_YES; /* dropped */
        if (req->body_too_large || req->body_len + n > config->body_limit) {
            req->body_too_large = true; /* keep reading to answer 413 cleanly */
            return MHD_YES;
        }
        if (req->body_len + n + 1 > req->body_cap) {
            size_t cap = req->body_cap ? req->body_cap : BODY_INITIAL;
            while (cap < req->body_len + n + 1)
                cap *= 2;
            req->body = xrealloc(req->body, cap);
            req->body_cap = cap;
        }
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        req->body[req->body_len] = '\0';
        return MHD_YES;
    }
    routes_dispatch(req);
    if (req->commit_pending)
        return MHD_YES; /* suspended until the commit */
    return send_response(req);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    struct http_request *req = *con_cls;
    if (req == NULL)
        return;
    atomic_fetch_sub(&in_flight, 1);
    int64_t duration_ns = monotonic_ns() - req->started_ns;
    if (req->status) {
        metrics_request(req->route_index, req->status, duration_ns);
        access_log_write(req, duration_ns, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    }
    json_decref(req->commit_events);
    event_free(req->commit_event);
    req->commit_event = NULL;
    engine_results_free(&req->commit_results);
    free(req->body);
    free(req->response);
    *con_cls = NULL; /* req stays with its connection for the next request */
}

/* Each connection owns the storage of its request, reused by the requests that follow on it
 * (one at a time): a request costs no allocation of its own, and the struct, too large for
 * malloc's per-thread cache, no trip through the arena. libmicrohttpd reports a request
 * complete before it reports its connection closed. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)connection;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct http_request *req = xmalloc(sizeof *req);
        req->raw_path[0] = '\0';
        *socket_context = req;
    } else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

static enum fid_status read_pem(const char *path, char **out, struct fid_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fid_fail(err, FID_ERR_INPUT, path, "cannot open: %s", strerror(errno));
    char *buf = xmalloc(65537);
    size_t n = fread(buf, 1, 65536, f);
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    return FID_OK;
}

/* One server per database: each keeps its customers' state in a journal of its own, which the
 * request threads of another server would not see (their balances would miss its orders). The
 * lock is the kernel's: it goes with the process, however it ends. *fd gets it (close to end). */
static enum fid_status take_serve_lock(const char *db_path, int *fd, struct fid_error *err)
{
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s-serve.lock", db_path);
    *fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return fid_fail(err, FID_ERR_IO, "--db", "cannot open %s: %s", lock_path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return FID_OK;
    int why = errno;
    close(*fd);
    *fd = -1;
    return why == EWOULDBLOCK
               ? fid_fail(err, FID_ERR_STATE, "--db",
                          "another fidele serve runs on %s: one server per database", db_path)
               : fid_fail(err, FID_ERR_IO, "--db", "cannot lock %s: %s", lock_path, strerror(why));
}

enum fid_status http_serve(const struct http_config *config, struct fid_error *err)
{
    /* Migrate once up front so that workers start on the current schema. */
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL};
    enum fid_status st = db_open(config->db_path, &options, &db, err);
    if (st == FID_OK)
        st = schema_migrate(db, err);
    db_close(db);
    if (st != FID_OK)
        return st;

    struct sockaddr_in addr4 = {.sin_family = AF_INET, .sin_port = htons(config->port)};
    struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6, .sin6_port = htons(config->port)};
    const struct sockaddr *addr = (const struct sockaddr *)&addr4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                     (config->poll ? MHD_USE_POLL : MHD_USE_EPOLL) | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, config->host, &addr4.sin_addr) != 1) {
        if (inet_pton(AF_INET6, config->host, &addr6.sin6_addr) != 1)
            return fid_fail(err, FID_ERR_INPUT, "--listen",
                            "expected an IP address and port such as 127.0.0.1:8080");
        addr = (const struct sockaddr *)&addr6;
        flags |= MHD_USE_IPv6;
    }
    char *cert = NULL, *key = NULL;
    if (config->tls_cert_path || config->tls_key_path) {
        if (!config->tls_cert_path || !config->tls_key_path)
            return fid_fail(err, FID_ERR_INPUT, "--tls-cert", "give both --tls-cert and --tls-key");
        if ((st = read_pem(config->tls_cert_path, &cert, err)) != FID_OK ||
            (st = read_pem(config->tls_key_path, &key, err)) != FID_OK) {
            free(cert);
            return st;
        }
        flags |= MHD_USE_TLS;
    }
    metrics_init(routes_methods(), routes_templates(), routes_count());

    /* Only the main thread takes SIGINT/SIGTERM: every thread started from here on (the
     * committer, the workers) inherits the blocked mask. A thread started before would take a
     * process-directed SIGTERM itself, and its default action kills the process. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lock = -1; /* taken once the arguments are known good: their errors come first */
    if ((st = take_serve_lock(config->db_path, &lock, err)) != FID_OK ||
        (st = committer_start(config->db_path,
                              config->batch_limit > 1000 ? config->batch_limit : 1000,
                              config->due_seconds, err)) != FID_OK) {
        if (lock >= 0)
            close(lock);
        free(cert);
        free(key);
        pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
        return st;
    }
    ratelimit_init(config->rate_per_second, config->rate_burst);
    shared_rng = fid_rng_new(NULL);

    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, config->port, NULL, NULL, &on_request, (void *)config,
        /* first, or libmicrohttpd writes what the options before it say in its own way */
        MHD_OPTION_EXTERNAL_LOGGER, &on_library_message, NULL, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, config->threads ? config->threads : 1,
        MHD_OPTION_CONNECTION_TIMEOUT, config->timeout_seconds, MHD_OPTION_NOTIFY_COMPLETED,
        &on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, &on_connection, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_UNESCAPE_CALLBACK,
        &unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK, &on_uri, NULL,
        cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_END);
    if (daemon == NULL) {
        access_log_flush(); /* the library's own words on why */
        committer_stop();
        struct fid_error ignored; /* the listening error is the one to report */
        if (committer_release(&ignored) != FID_OK)
            fid_error_clear(&ignored);
        fid_rng_free(shared_rng);
        shared_rng = NULL;
        free(cert);
        free(key);
        close(lock);
        pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
        return fid_fail(err, FID_ERR_IO, "--listen", "cannot listen on %s:%u (in use?)",
                        config->host, config->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : config->port;
    printf("fidele: listening on %s://%s:%u\n", cert ? "https" : "http", config->host, port);
    fflush(stdout);
    if (config->ready_file) {
        FILE *f = fopen(config->ready_file, "w");
        if (f) {
            fprintf(f, "%s:%u\n", config->host, port);
            fclose(f);
        }
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "fidele: %s received, finishing requests in flight\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    MHD_quiesce_daemon(daemon);
    /* Let the requests in flight commit and send their answers before connections close. */
    for (int waited_ms = 0; atomic_load(&in_flight) > 0 && waited_ms < DRAIN_SECONDS * 1000;
         waited_ms += 10)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    committer_stop();        /* commits what is queued: no connection stays suspended */
    MHD_stop_daemon(daemon); /* waits for handlers */
    access_log_flush();
    worker_close_all();
    /* what is left in the journal is durable already: a failed fold leaves it to the next opener */
    struct fid_error fold_err;
    if (committer_release(&fold_err) != FID_OK)
        fprintf(stderr, "fidele: the journal of customers' images stays for the next start: %s\n",
                fold_err.message);
    ratelimit_free();
    fid_rng_free(shared_rng);
    shared_rng = NULL;
    free(cert);
    free(key);
    close(lock); /* another server may start from here */
    /* SIGTERM and SIGINT stay blocked: the process is stopping, and unblocking would let a
     * second signal, pending since the first or arriving now, kill it after a clean stop. */
    return FID_OK;
}
