/*
 * The log synced behind the writer (log_syncer.h): tickets in commit order, one thread that
 * syncs up to the newest ticket asked each time it wakes, so that several commits asked while a
 * sync ran share the next one.
 */
#include "store/log_syncer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct log_syncer {
    struct db *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t asked, synced_cond;
    uint64_t asked_ticket, synced_ticket;
    bool stopping;
    enum fid_status status; /* the first failure, kept: later commits sit on an unsynced log */
    struct fid_error err;
};

static void *sync_loop(void *context)
{
    struct log_syncer *s = context;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->synced_ticket == s->asked_ticket && !s->stopping)
            pthread_cond_wait(&s->asked, &s->lock);
        if (s->synced_ticket == s->asked_ticket)
            break; /* stopping, nothing left */
        uint64_t target = s->asked_ticket;
        pthread_mutex_unlock(&s->lock);
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = db_sync_log(s->db, &err);
        pthread_mutex_lock(&s->lock);
        if (st != FID_OK && s->status == FID_OK) {
            s->status = st;
            s->err = err;
        }
        s->synced_ticket = target;
        pthread_cond_broadcast(&s->synced_cond);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

enum fid_status log_syncer_start(struct db *db, struct log_syncer **out, struct fid_error *err)
{
    struct log_syncer *s = xcalloc(1, sizeof *s);
    s->db = db;
    s->status = FID_OK;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->asked, NULL);
    pthread_cond_init(&s->synced_cond, NULL);
    if (pthread_create(&s->thread, NULL, sync_loop, s) != 0) {
        pthread_cond_destroy(&s->synced_cond);
        pthread_cond_destroy(&s->asked);
        pthread_mutex_destroy(&s->lock);
        free(s);
        *out = NULL;
        return fid_fail(err, FID_ERR_IO, "", "cannot start the log's syncing thread");
    }
    *out = s;
    return FID_OK;
}

uint64_t log_syncer_ask(struct log_syncer *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t ticket = ++s->asked_ticket;
    pthread_cond_signal(&s->asked);
    pthread_mutex_unlock(&s->lock);
    return ticket;
}

enum fid_status log_syncer_wait(struct log_syncer *s, uint64_t ticket, struct fid_error *err)
{
    pthread_mutex_lock(&s->lock);
    while (s->synced_ticket < ticket && s->status == FID_OK)
        pthread_cond_wait(&s->synced_cond, &s->lock);
    enum fid_status st = s->status;
    if (st != FID_OK)
        *err = s->err;
    pthread_mutex_unlock(&s->lock);
    return st;
}

enum fid_status log_syncer_stop(struct log_syncer *s, struct fid_error *err)
{
    if (s == NULL)
        return FID_OK;
    uint64_t last = log_syncer_ask(s); /* whatever was committed since the last ask */
    enum fid_status st = log_syncer_wait(s, last, err);
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->asked);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->synced_cond);
    pthread_cond_destroy(&s->asked);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return st;
}
