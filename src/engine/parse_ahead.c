/*
 * The parser publishes how many events are ready with one atomic counter; the writer waits on a
 * condition only when it catches up, which the parser checks through a second atomic so that it
 * takes the lock only then. Parsed events live in chunks that never move, so the writer reads
 * them while the parser appends; the chunk table is sized for the most events the input can hold.
 *
 * A batch given as text is split and parsed on the parser's thread too: jansson reads one array
 * element at a time (JSON_DISABLE_EOF_CHECK reports where it stopped) and the element's tree is
 * freed there once the event is built, so the writer never touches the text's JSON.
 */
#include "engine/parse_ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_fast.h"
#include "util/jsonread.h"
#include "util/thread_name.h"
#include "util/xalloc.h"

/* Below this many events a batch is parsed on the caller's thread. */
#define PARSE_AHEAD_MIN_EVENTS 32
#define CHUNK_EVENTS           256
/* A text of n bytes holds at most n / 3 + 1 events ("{}," each). */
#define MAX_EVENTS_IN(len) ((len) / 3 + 1)

struct parsed {
    struct event *event;
    char *key; /* the element's "key" when it is a string: error results name it */
    enum fid_status status;
    struct fid_error err;
};

struct parse_ahead {
    const json_t *events;              /* the batch as an array, or */
    const struct event *const *parsed; /* with events: those read already, or NULL */
    const char *text;                  /* as the text of one */
    size_t len, pos;                   /* pos: where the text's next element starts */
    bool text_done;                    /* its closing bracket was read, or it is malformed */
    int64_t now;
    struct parsed **chunks;
    size_t n_chunks;
    atomic_size_t ready;      /* events parsed and published */
    atomic_bool ended;        /* the input holds no more events (ready is final) */
    struct fid_error failure; /* why the text ended early; status FID_OK when it did not */
    atomic_bool stop, waiting;
    pthread_mutex_t lock;
    pthread_cond_t more;
    pthread_t thread;
    bool threaded;
};

static struct parsed *item(struct parse_ahead *a, size_t i)
{
    return &a->chunks[i / CHUNK_EVENTS][i % CHUNK_EVENTS];
}

static void parse_object(struct parse_ahead *a, struct parsed *p, const json_t *obj)
{
    fid_error_clear(&p->err);
    const json_t *key = json_object_get(obj, "key");
    p->key = json_is_string(key) ? xstrdup(json_string_value(key)) : NULL;
    p->status = event_parse(obj, a->now, &p->event, &p->err);
}

/* Puts an event read without a tree (taken over) in p. */
static void hand_over(struct parsed *p, struct event *event)
{
    fid_error_clear(&p->err);
    p->event = event;
    p->key = xstrdup(event->key);
    p->status = FID_OK;
}

/* Puts a copy of an event the caller read already in p. */
static void take_parsed(struct parse_ahead *a, struct parsed *p, const struct event *event)
{
    struct event *copy = event_copy(event);
    if (!copy->has_at)
        copy->at = a->now;
    hand_over(p, copy);
}

static void skip_space(struct parse_ahead *a)
{
    a->pos = (size_t)(jsonr_skip_blanks(a->text + a->pos, a->text + a->len) - a->text);
}

/* The line and column of byte offset in the text, for a message. */
static void where(const struct parse_ahead *a, size_t offset, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < a->len; i++) {
        if (a->text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}

static bool text_fails(struct parse_ahead *a, size_t offset, const char *what)
{
    a->text_done = true;
    int line, column;
    where(a, offset, &line, &column);
    fid_fail(&a->failure, FID_ERR_INPUT, "", "malformed JSON at line %d, column %d: %s", line,
             column, what);
    return false;
}

/* The closing bracket was just read: only blanks may follow. */
static void text_closed(struct parse_ahead *a)
{
    a->text_done = true;
    skip_space(a);
    if (a->pos != a->len)
        text_fails(a, a->pos, "text after the array");
}

/* After an element: a comma, or the closing bracket. The element stands either way; a malformed
 * rest fails the whole batch at its end. */
static bool element_ended(struct parse_ahead *a)
{
    skip_space(a);
    if (a->pos < a->len && (a->text[a->pos] == ',' || a->text[a->pos] == ']')) {
        if (a->text[a->pos++] == ']')
            text_closed(a);
    } else {
        text_fails(a, a->pos, "expected ',' or ']' after an event");
    }
    return true;
}

/* Parses the text's element number i into its item; false at the end of the array or of a
 * malformed text (a->failure says why). */
static bool next_from_text(struct parse_ahead *a, size_t i)
{
    skip_space(a);
    if (i == 0) {
        if (a->pos >= a->len || a->text[a->pos] != '[')
            return text_fails(a, a->pos, "expected a JSON array of events");
        a->pos++;
        skip_space(a);
        if (a->pos < a->len && a->text[a->pos] == ']') {
            a->pos++;
            text_closed(a);
            return false;
        }
    }
    size_t used = 0;
    struct event *order =
        event_parse_order_prefix(a->text + a->pos, a->len - a->pos, a->now, &used);
    if (order) { /* the common order, read without a tree (core/event_fast.h) */
        hand_over(item(a, i), order);
        a->pos += used;
        return element_ended(a);
    }
    json_error_t jerr;
    json_t *value =
        /* the text holds no NUL byte (start): not looked for again in what is left of it */
        json_loadb(a->text + a->pos, a->len - a->pos,
                   JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (value == NULL)
        return text_fails(a, a->pos + (size_t)(jerr.position > 0 ? jerr.position : 0), jerr.text);
    a->pos += (size_t)jerr.position;
    parse_object(a, item(a, i), value);
    json_decref(value);
    return element_ended(a);
}

/* Parses event i into its chunk; false when there is none. */
static bool parse_next(struct parse_ahead *a, size_t i)
{
    if (a->text ? a->text_done : i >= json_array_size(a->events))
        return false;
    if (i / CHUNK_EVENTS >= a->n_chunks) /* more events than the text can hold: not reached */
        return false;
    if (a->chunks[i / CHUNK_EVENTS] == NULL)
        a->chunks[i / CHUNK_EVENTS] = xcalloc(CHUNK_EVENTS, sizeof(struct parsed));
    if (a->text)
        return next_from_text(a, i);
    if (a->parsed && a->parsed[i])
        take_parsed(a, item(a, i), a->parsed[i]);
    else
        parse_object(a, item(a, i), json_array_get(a->events, i));
    return true;
}

static void publish(struct parse_ahead *a, size_t ready, bool ended)
{
    atomic_store(&a->ready, ready);
    if (ended)
        atomic_store(&a->ended, true);
    if (atomic_load(&a->waiting)) {
        pthread_mutex_lock(&a->lock);
        pthread_cond_signal(&a->more);
        pthread_mutex_unlock(&a->lock);
    }
}

static void *parse_all(void *context)
{
    struct parse_ahead *a = context;
    fid_thread_name("parse-ahead");
    size_t i = 0;
    while (!atomic_load(&a->stop) && parse_next(a, i))
        publish(a, ++i, false);
    publish(a, i, true);
    return NULL;
}

static struct parse_ahead *start(const json_t *events, const struct event *const *parsed,
                                 const char *text, size_t len, int64_t now)
{
    struct parse_ahead *a = xcalloc(1, sizeof *a);
    a->events = events;
    a->parsed = parsed;
    a->text = text;
    a->len = len;
    a->now = now;
    fid_error_clear(&a->failure);
    size_t most = text ? MAX_EVENTS_IN(len) : json_array_size(events);
    a->n_chunks = most / CHUNK_EVENTS + 1;
    a->chunks = xcalloc(a->n_chunks, sizeof *a->chunks);
    atomic_init(&a->ready, 0);
    atomic_init(&a->ended, false);
    atomic_init(&a->stop, false);
    atomic_init(&a->waiting, false);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->more, NULL);
    /* A text's size says little about its count: it is threaded whenever it may hold enough.
     * Events read already are only copied: a thread for them made the writer wait for one that
     * a loaded machine had not scheduled yet (the server's batches of read orders). */
    size_t to_read = most;
    for (size_t i = 0; parsed && i < most; i++)
        to_read -= parsed[i] != NULL;
    /* JSON text holds no NUL byte: a text with one is refused whole, as `fidele event post`
     * refuses it (util/jsonread.h) */
    const char *nul = text ? memchr(text, '\0', len) : NULL;
    if (nul != NULL) {
        text_fails(a, (size_t)(nul - text), "a NUL byte, which JSON text cannot hold");
        atomic_store(&a->ended, true);
        to_read = 0;
    }
    a->threaded =
        to_read >= PARSE_AHEAD_MIN_EVENTS && pthread_create(&a->thread, NULL, parse_all, a) == 0;
    return a;
}

struct parse_ahead *parse_ahead_start(const json_t *events, const struct event *const *parsed,
                                      int64_t now)
{
    return start(events, parsed, NULL, 0, now);
}

struct parse_ahead *parse_ahead_start_text(const char *text, size_t len, int64_t now)
{
    return start(NULL, NULL, text, len, now);
}

bool parse_ahead_has(struct parse_ahead *a, size_t i)
{
    if (!a->threaded) {
        if (atomic_load(&a->ready) > i)
            return true;
        if (atomic_load(&a->ended) || !parse_next(a, i)) {
            atomic_store(&a->ended, true);
            return false;
        }
        atomic_store(&a->ready, i + 1);
        return true;
    }
    if (atomic_load(&a->ready) <= i && !atomic_load(&a->ended)) {
        pthread_mutex_lock(&a->lock);
        atomic_store(&a->waiting, true);
        while (atomic_load(&a->ready) <= i && !atomic_load(&a->ended))
            pthread_cond_wait(&a->more, &a->lock);
        atomic_store(&a->waiting, false);
        pthread_mutex_unlock(&a->lock);
    }
    return atomic_load(&a->ready) > i;
}

enum fid_status parse_ahead_take(struct parse_ahead *a, size_t i, struct event **event,
                                 struct fid_error *err)
{
    struct parsed *p = item(a, i);
    *event = p->event;
    p->event = NULL;
    if (p->status != FID_OK)
        *err = p->err;
    return p->status;
}

const char *parse_ahead_key(struct parse_ahead *a, size_t i)
{
    return item(a, i)->key;
}

enum fid_status parse_ahead_failure(struct parse_ahead *a, struct fid_error *err)
{
    if (a->failure.status == FID_OK)
        return FID_OK;
    *err = a->failure;
    return a->failure.status;
}

void parse_ahead_end(struct parse_ahead *a)
{
    if (a == NULL)
        return;
    if (a->threaded) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    size_t n = atomic_load(&a->ready);
    for (size_t c = 0; c < a->n_chunks; c++) {
        if (a->chunks[c] == NULL)
            continue;
        for (size_t k = 0; k < CHUNK_EVENTS && c * CHUNK_EVENTS + k < n; k++) {
            event_free(a->chunks[c][k].event);
            free(a->chunks[c][k].key);
        }
        free(a->chunks[c]);
    }
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->lock);
    free(a->chunks);
    free(a);
}
