/*
 * One round = one PASSIVE checkpoint: it never waits for the writer or readers and copies what
 * they allow. The log starts over only when a writer begins while every frame is copied, which a
 * busy writer's rounds never catch up with; so the log grows to WAL_CHECKPOINT_INLINE_PAGES, where
 * the writer stops asking for rounds and, at its first commit that finds none running, copies the
 * rest itself (past twice the bound it waits for the round in progress); the log then starts over.
 *
 * Rounds are spaced: the writer's hook asks for one each WAL_CHECKPOINT_ROUND_PAGES of log, so
 * that a page rewritten by many commits (a customer's row, the last page of every table) is
 * copied once per round. Asking after every commit, as before, ran rounds back to back that each
 * copied the last commit or two: the server's checkpointer copied a page per order (docs/
 * benchmarks.md, sixth round). In the log's last WAL_CHECKPOINT_CATCH_UP_PAGES before the
 * writer's own round, every commit asks again, so that little is left for the writer to copy.
 */
#include "store/wal_checkpointer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util/thread_name.h"
#include "util/xalloc.h"

/* When the writer has not committed for this long and frames may be left uncopied, a round runs
 * all the same: readers of a log wholly copied skip it (SQLite reads the database file alone). */
#define QUIET_ROUND_NS (200 * 1000 * 1000)

struct wal_checkpointer {
    sqlite3 *writer, *conn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    bool requested, stopping, running;
    atomic_bool committed; /* the writer committed since the checkpointer last looked */
    int asked_at; /* the log's pages when the writer last asked for a round (its thread only) */
};

/* Waits for a request or stop, at most QUIET_ROUND_NS; false on timeout. */
static bool wait_request(struct wal_checkpointer *c)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += QUIET_ROUND_NS;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    while (!c->requested && !c->stopping)
        if (pthread_cond_timedwait(&c->wake, &c->lock, &until) != 0)
            return false;
    return true;
}

static void *run_rounds(void *context)
{
    struct wal_checkpointer *c = context;
    fid_thread_name("checkpointer");
    pthread_mutex_lock(&c->lock);
    bool pending = false; /* the log may hold frames no round copied */
    for (;;) {
        bool asked = wait_request(c);
        if (c->stopping)
            break;
        bool writing = atomic_exchange(&c->committed, false);
        pending = pending || writing;
        if (!asked && (writing || !pending))
            continue; /* between two spaced rounds of a busy writer, or nothing left to copy */
        c->requested = false;
        c->running = true;
        pthread_mutex_unlock(&c->lock);
        /* A busy or failed round loses nothing: the next commit asks again, or the next quiet
         * spell does. */
        int log = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        pending = rc != SQLITE_OK || copied < log;
        pthread_mutex_lock(&c->lock);
        c->running = false;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int on_commit(void *context, sqlite3 *writer, const char *name, int pages)
{
    struct wal_checkpointer *c = context;
    atomic_store_explicit(&c->committed, true, memory_order_relaxed);
    if (pages < c->asked_at) /* the log started over */
        c->asked_at = 0;
    bool closing_in = pages >= WAL_CHECKPOINT_INLINE_PAGES - WAL_CHECKPOINT_CATCH_UP_PAGES;
    if (!closing_in && pages - c->asked_at < WAL_CHECKPOINT_ROUND_PAGES)
        return SQLITE_OK;
    c->asked_at = pages;
    if (pages >= WAL_CHECKPOINT_INLINE_PAGES) {
        /* A round in progress holds the checkpoint lock, and waiting for it (its syncs of the log
         * and the database) stalled the writer, and in a server every writer behind it, for up
         * to ~25 ms. Short of twice the bound, the writer asks for no more rounds and commits on
         * until one finds none running; it then copies the few commits since, in a few ms. */
        pthread_mutex_lock(&c->lock);
        bool busy = c->running || c->requested;
        if (busy && pages < 2 * WAL_CHECKPOINT_INLINE_PAGES) {
            pthread_mutex_unlock(&c->lock);
            return SQLITE_OK;
        }
        while (c->running)
            pthread_cond_wait(&c->idle, &c->lock);
        pthread_mutex_unlock(&c->lock);
        (void)sqlite3_wal_checkpoint_v2(writer, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else {
        pthread_mutex_lock(&c->lock);
        c->requested = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

struct wal_checkpointer *wal_checkpointer_start(sqlite3 *writer, const char *path, bool full_sync)
{
    struct wal_checkpointer *c = xcalloc(1, sizeof *c);
    c->writer = writer;
    if (sqlite3_open_v2(path, &c->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->conn, full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->conn);
        free(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->conn, 10000);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->idle, NULL);
    if (pthread_create(&c->thread, NULL, run_rounds, c) != 0) {
        pthread_cond_destroy(&c->idle);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        sqlite3_close(c->conn);
        free(c);
        return NULL;
    }
    sqlite3_wal_hook(writer, on_commit, c);
    return c;
}

void wal_checkpointer_stop(struct wal_checkpointer *c)
{
    if (c == NULL)
        return;
    sqlite3_wal_autocheckpoint(c->writer, 1000); /* SQLite's default; replaces our hook */
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->conn);
    pthread_cond_destroy(&c->idle);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
