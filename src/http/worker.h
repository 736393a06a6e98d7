/*
 * Per-thread state of the server: a directory connection (keys, merchants) and one engine per
 * merchant seen by this thread. SQLite connections are not shared between threads; each worker
 * thread of libmicrohttpd gets its own, created on first use and closed at shutdown.
 */
#ifndef FIDELE_HTTP_WORKER_H
#define FIDELE_HTTP_WORKER_H

#include <stdint.h>

#include "engine/engine.h"
#include "store/db.h"
#include "util/error.h"

#define WORKER_MERCHANTS_MAX 256

struct worker {
    struct db *directory;
    struct {
        int64_t merchant_id;
        struct engine *engine;
    } engines[WORKER_MERCHANTS_MAX];
    int n_engines;
    struct worker *next; /* registry of all workers, for shutdown */
};

/* This thread's worker, created on first use. */
enum fid_status worker_current(const char *db_path, struct worker **out,
                               struct fid_error *err) FID_MUST_USE;

/* The engine of merchant_id on this worker, opened on first use. A programme changed by another
 * thread is picked up because engines reload the programme when its version moved. */
enum fid_status worker_engine(struct worker *worker, const char *db_path, int64_t merchant_id,
                              struct engine **out, struct fid_error *err) FID_MUST_USE;

/* Closes every worker's connections (after the daemon stopped). */
void worker_close_all(void);

#endif
