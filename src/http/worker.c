/*
 * Worker registry: thread-local pointers to per-thread connection sets, linked in a global list
 * so that shutdown can close them all once no thread uses them any more.
 */
#include "http/worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "http/committer.h"
#include "http/key_cache.h"
#include "store/schema.h"
#include "util/xalloc.h"

static _Thread_local struct worker *current;
static struct worker *all_workers;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

enum fid_status worker_current(const char *db_path, struct worker **out, struct fid_error *err)
{
    if (current == NULL) {
        struct worker *w = xcalloc(1, sizeof *w);
        struct db_options options = {.durability = DB_DURABILITY_FULL};
        enum fid_status st = db_open(db_path, &options, &w->directory, err);
        if (st != FID_OK) {
            free(w);
            return st;
        }
        w->keys = key_cache_new();
        pthread_mutex_lock(&registry_lock);
        w->next = all_workers;
        all_workers = w;
        pthread_mutex_unlock(&registry_lock);
        current = w;
    }
    *out = current;
    return FID_OK;
}

static size_t slot_of(const struct worker *w, int64_t merchant_id)
{
    size_t i = (size_t)(((uint64_t)merchant_id * 0x9E3779B97F4A7C15u) >> 32) & (w->n_slots - 1);
    while (w->slots[i].merchant_id != 0 && w->slots[i].merchant_id != merchant_id)
        i = (i + 1) & (w->n_slots - 1);
    return i;
}

static void grow_slots(struct worker *w)
{
    struct worker_engine_slot *old = w->slots;
    size_t n_old = w->n_slots;
    w->n_slots = n_old ? 2 * n_old : 16;
    w->slots = xcalloc(w->n_slots, sizeof *w->slots);
    for (size_t i = 0; i < n_old; i++)
        if (old[i].merchant_id != 0)
            w->slots[slot_of(w, old[i].merchant_id)] = old[i];
    free(old);
}

static enum fid_status open_engines_db(struct worker *w, const char *db_path, struct fid_error *err)
{
    struct db_options options = {.durability = DB_DURABILITY_FULL,
                                 .map_bytes = WORKER_MAP_BYTES,
                                 .checkpoint_thread = w->committer,
                                 .sync_apart = w->committer};
    enum fid_status st = db_open(db_path, &options, &w->engines_db, err);
    if (st == FID_OK && (st = schema_migrate(w->engines_db, err)) != FID_OK) {
        db_close(w->engines_db);
        w->engines_db = NULL;
    }
    return st;
}

enum fid_status worker_engine(struct worker *w, const char *db_path, int64_t merchant_id,
                              struct engine **out, struct fid_error *err)
{
    if (w->n_slots) {
        size_t i = slot_of(w, merchant_id);
        if (w->slots[i].merchant_id == merchant_id) {
            *out = w->slots[i].engine;
            return FID_OK;
        }
    }
    enum fid_status st = w->engines_db ? FID_OK : open_engines_db(w, db_path, err);
    struct engine_options options = {.merchant_id = merchant_id, .shared_db = w->engines_db};
    if (st != FID_OK || (st = engine_open(&options, out, err)) != FID_OK)
        return st;
    /* the committer keeps customers' state in its journal; request threads read through it */
    struct store *store = engine_store(*out);
    if (w->committer)
        store->journal = committer_journal();
    else
        store->overlay = committer_journal();
    if (2 * (w->n_engines + 1) > w->n_slots)
        grow_slots(w);
    size_t i = slot_of(w, merchant_id);
    w->slots[i] = (struct worker_engine_slot){.merchant_id = merchant_id, .engine = *out};
    w->n_engines++;
    return FID_OK;
}

void worker_close_all(void)
{
    pthread_mutex_lock(&registry_lock);
    struct worker *w = all_workers;
    all_workers = NULL;
    pthread_mutex_unlock(&registry_lock);
    while (w) {
        struct worker *next = w->next;
        for (size_t i = 0; i < w->n_slots; i++)
            engine_close(w->slots[i].engine);
        free(w->slots);
        db_close(w->engines_db);
        db_close(w->directory);
        key_cache_free(w->keys);
        free(w);
        w = next;
    }
}
