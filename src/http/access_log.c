/*
 * Access-log lines written field by field into a stack buffer (util/jsonwrite): a request pays
 * for a few copies and one system call, not for a JSON tree. The text is what json_dumps gave
 * before (compact, fields in this order) but for two details: the duration is written to the
 * microsecond rather than to 4 significant digits, and a path that is not UTF-8 (percent-decoding
 * can make one) is logged with U+FFFD where jansson failed the whole line.
 */
#include "http/access_log.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/jsonwrite.h"
#include "util/timeutil.h"

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
    for (size_t done = 0; done < w.len;) {
        ssize_t n = write(STDERR_FILENO, w.data + done, w.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a log that cannot be written must not stop the answers */
        done += (size_t)n;
    }
    jsonw_free(&w);
}
