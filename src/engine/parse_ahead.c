/*
 * The parser publishes how many events are ready with one atomic counter; the writer waits on a
 * condition only when it catches up, which the parser checks through a second atomic so that it
 * takes the lock only then.
 */
#include "engine/parse_ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/xalloc.h"

/* Below this many events a batch is parsed on the caller's thread. */
#define PARSE_AHEAD_MIN_EVENTS 32

struct parsed {
    struct event *event;
    enum fid_status status;
    struct fid_error err;
};

struct parse_ahead {
    const json_t *events;
    size_t n;
    int64_t now;
    struct parsed *items;
    atomic_size_t ready;
    atomic_bool stop, waiting;
    pthread_mutex_t lock;
    pthread_cond_t more;
    pthread_t thread;
    bool threaded;
};

static void parse_item(struct parse_ahead *a, size_t i)
{
    struct parsed *p = &a->items[i];
    fid_error_clear(&p->err);
    p->status = event_parse(json_array_get(a->events, i), a->now, &p->event, &p->err);
}

static void *parse_all(void *context)
{
    struct parse_ahead *a = context;
    for (size_t i = 0; i < a->n && !atomic_load(&a->stop); i++) {
        parse_item(a, i);
        atomic_store(&a->ready, i + 1);
        if (atomic_load(&a->waiting)) {
            pthread_mutex_lock(&a->lock);
            pthread_cond_signal(&a->more);
            pthread_mutex_unlock(&a->lock);
        }
    }
    return NULL;
}

struct parse_ahead *parse_ahead_start(const json_t *events, int64_t now)
{
    struct parse_ahead *a = xcalloc(1, sizeof *a);
    a->events = events;
    a->n = json_array_size(events);
    a->now = now;
    a->items = xcalloc(a->n ? a->n : 1, sizeof *a->items);
    atomic_init(&a->ready, 0);
    atomic_init(&a->stop, false);
    atomic_init(&a->waiting, false);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->more, NULL);
    a->threaded =
        a->n >= PARSE_AHEAD_MIN_EVENTS && pthread_create(&a->thread, NULL, parse_all, a) == 0;
    return a;
}

enum fid_status parse_ahead_take(struct parse_ahead *a, size_t i, struct event **event,
                                 struct fid_error *err)
{
    if (!a->threaded)
        parse_item(a, i);
    else if (atomic_load(&a->ready) <= i) {
        pthread_mutex_lock(&a->lock);
        atomic_store(&a->waiting, true);
        while (atomic_load(&a->ready) <= i)
            pthread_cond_wait(&a->more, &a->lock);
        atomic_store(&a->waiting, false);
        pthread_mutex_unlock(&a->lock);
    }
    struct parsed *p = &a->items[i];
    *event = p->event;
    p->event = NULL;
    if (p->status != FID_OK)
        *err = p->err;
    return p->status;
}

void parse_ahead_end(struct parse_ahead *a)
{
    if (a == NULL)
        return;
    if (a->threaded) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    for (size_t i = 0; i < a->n; i++)
        event_free(a->items[i].event);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->lock);
    free(a->items);
    free(a);
}
