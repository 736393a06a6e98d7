/*
 * Access-log lines written field by field into a stack buffer (util/jsonwrite): a request pays
 * for a few copies, not for a JSON tree, and no system call of its own: each thread gathers its
 * lines in a buffer of at most PIPE_BUF bytes on a pipe (one write(2) of it is atomic there, so
 * the lines of two threads never mix) or 64 KiB on a file, written out when the next line would
 * not fit and by a flusher thread every ACCESS_LOG_FLUSH_MS; access_log_flush writes them all at
 * shutdown. The text is what json_dumps gave before (compact, fields in this order) but for two
 * details: the duration is written to the microsecond rather than to 4 significant digits, and a
 * path that is not UTF-8 (percent-decoding can make one) is logged with U+FFFD where jansson
 * failed the whole line.
 */
#include "http/access_log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/jsonwrite.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* The current second as ISO 8601, formatted once per second per thread. */
static const char *now_text(void)
{
    static _Thread_local int64_t second = -1;
    static _Thread_local char text[FID_TIME_ISO_MAX];
    int64_t now = (int64_t)time(NULL);
    if (now != second) {
        fid_time_format(now, text);
        second = now;
    }
    return text;
}

/* Milliseconds to the microsecond ("0.072", "1234.567") in integer arithmetic: formatting a
 * double with printf was the line's dearest step. */
static void put_duration_ms(struct jsonw *w, int64_t duration_ns)
{
    int64_t us = duration_ns > 0 ? duration_ns / 1000 : 0;
    jsonw_int(w, us / 1000);
    char fraction[4] = {'.', (char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10),
                        (char)('0' + us % 10)};
    jsonw_raw(w, fraction, sizeof fraction);
}

static void put_field(struct jsonw *w, const char *name, const char *value)
{
    jsonw_text(w, name);
    jsonw_cstring(w, value);
}

/* A pipe or a socket (journald, a log shipper) takes a write of at most PIPE_BUF bytes whole, so
 * lines gather up to that there. A regular file takes any write whole (the kernel holds the
 * file's position, or its inode when appending, for the whole write), so more gather: a system
 * call per ~250 lines instead of ~16 (they were ~4% of a balance request). */
#define GATHER_FILE (64 * 1024)

/* A thread's lines not written yet; all of them are listed for the flusher. */
struct pending_lines {
    pthread_mutex_t lock;
    char data[GATHER_FILE];
    size_t len, limit; /* limit: PIPE_BUF, or GATHER_FILE when stderr is a regular file */
    struct pending_lines *next;
};

static size_t gather_limit(void)
{
    struct stat st;
    return fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode) ? GATHER_FILE : PIPE_BUF;
}

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending_lines *all;
static _Thread_local struct pending_lines *mine;
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;

static void write_out(const char *data, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(STDERR_FILENO, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a log that cannot be written must not stop the answers */
        done += (size_t)n;
    }
}

/* Writes out p's lines; p's lock is held. */
static void drain(struct pending_lines *p)
{
    write_out(p->data, p->len);
    p->len = 0;
}

void access_log_flush(void)
{
    pthread_mutex_lock(&all_lock);
    for (struct pending_lines *p = all; p; p = p->next) {
        pthread_mutex_lock(&p->lock);
        drain(p);
        pthread_mutex_unlock(&p->lock);
    }
    pthread_mutex_unlock(&all_lock);
}

static void *flusher_main(void *unused)
{
    (void)unused;
    for (;;) {
        nanosleep(&(struct timespec){.tv_nsec = ACCESS_LOG_FLUSH_MS * 1000 * 1000}, NULL);
        access_log_flush();
    }
    return NULL;
}

static void start_flusher(void)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, flusher_main, NULL) == 0)
        pthread_detach(thread);
}

/* Adds a line to this thread's pending lines (the first time, makes and lists them). */
static void keep(const char *line, size_t len)
{
    if (mine == NULL) {
        pthread_once(&flusher_once, start_flusher);
        struct pending_lines *p = xcalloc(1, sizeof *p);
        pthread_mutex_init(&p->lock, NULL);
        p->limit = gather_limit();
        pthread_mutex_lock(&all_lock);
        p->next = all;
        all = p;
        pthread_mutex_unlock(&all_lock);
        mine = p;
    }
    pthread_mutex_lock(&mine->lock);
    if (mine->len + len > mine->limit)
        drain(mine);
    if (len > mine->limit) {
        write_out(line, len); /* alone, as long lines always were */
    } else {
        memcpy(mine->data + mine->len, line, len);
        mine->len += len;
    }
    pthread_mutex_unlock(&mine->lock);
}

void access_log_write(const struct http_request *req, int64_t duration_ns, bool completed)
{
    struct jsonw w;
    jsonw_init(&w);
    put_field(&w, "{\"time\":", now_text());
    put_field(&w, ",\"method\":", req->method);
    put_field(&w, ",\"route\":", req->route);
    put_field(&w, ",\"path\":", req->path);
    jsonw_text(&w, ",\"status\":");
    jsonw_int(&w, req->status);
    jsonw_text(&w, ",\"duration_ms\":");
    put_duration_ms(&w, duration_ns);
    put_field(&w, ",\"request_id\":", req->request_id);
    jsonw_text(&w, completed ? ",\"completed\":true" : ",\"completed\":false");
    if (req->authenticated) {
        jsonw_text(&w, ",\"merchant\":");
        jsonw_int(&w, req->key.merchant_id);
    }
    jsonw_text(&w, "}\n");
    keep(w.data, w.len);
    jsonw_free(&w);
}

/* The status of an answer the library gave itself, as its message says it ("HTTP response code
 * is 431 (...)"); 0 when the message is about something else. */
static long library_status(const char *message)
{
    static const char SAYS[] = "HTTP response code is ";
    const char *at = strstr(message, SAYS);
    long status = at ? strtol(at + sizeof SAYS - 1, NULL, 10) : 0;
    return status >= 100 && status <= 599 ? status : 0;
}

void access_log_library(const char *format, va_list args)
{
    char message[1024], clean[1024];
    vsnprintf(message, sizeof message, format, args);
    size_t n = strlen(message);
    while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
        message[--n] = '\0';
    fid_text_sanitize(message, clean, sizeof clean); /* it may quote bytes a client sent */
    struct jsonw w;
    jsonw_init(&w);
    put_field(&w, "{\"time\":", now_text());
    put_field(&w, ",\"source\":", "libmicrohttpd");
    long status = library_status(clean);
    if (status) {
        jsonw_text(&w, ",\"status\":");
        jsonw_int(&w, status);
    }
    put_field(&w, ",\"message\":", clean);
    jsonw_text(&w, "}\n");
    keep(w.data, w.len);
    jsonw_free(&w);
}
