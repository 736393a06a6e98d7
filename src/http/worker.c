/*
 * Worker registry: thread-local pointers to per-thread connection sets, linked in a global list
 * so that shutdown can close them all once no thread uses them any more.
 */
#include "http/worker.h"

#include <pthread.h>
#include <stdlib.h>

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

enum fid_status worker_engine(struct worker *w, const char *db_path, int64_t merchant_id,
                              struct engine **out, struct fid_error *err)
{
    for (int i = 0; i < w->n_engines; i++)
        if (w->engines[i].merchant_id == merchant_id) {
            *out = w->engines[i].engine;
            return FID_OK;
        }
    if (w->n_engines == WORKER_MERCHANTS_MAX)
        return fid_fail(err, FID_ERR_LIMIT, "", "too many merchants on one worker");
    struct engine_options options = {.db_path = db_path,
                                     .durability = DB_DURABILITY_FULL,
                                     .merchant_id = merchant_id,
                                     .map_bytes = WORKER_MAP_BYTES,
                                     .checkpoint_thread = w->committer};
    enum fid_status st = engine_open(&options, out, err);
    if (st != FID_OK)
        return st;
    w->engines[w->n_engines].merchant_id = merchant_id;
    w->engines[w->n_engines++].engine = *out;
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
        for (int i = 0; i < w->n_engines; i++)
            engine_close(w->engines[i].engine);
        db_close(w->directory);
        key_cache_free(w->keys);
        free(w);
        w = next;
    }
}
