/*
 * Per-thread state of the server: a directory connection (keys, merchants), the keys verified
 * on this thread and one engine per merchant seen by this thread. SQLite connections are not shared
 * between threads; each worker thread of libmicrohttpd gets its own, created on first use and
 * closed at shutdown. The engines of one thread share one connection, so a server with thousands
 * of merchants holds two connections per thread, not one per merchant.
 */
#ifndef FIDELE_HTTP_WORKER_H
#define FIDELE_HTTP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/db.h"
#include "util/error.h"

/* Engines read the database through a memory map of up to this much of the file (address space
 * only: the pages are the kernel's page cache, shared by every connection). */
#define WORKER_MAP_BYTES ((int64_t)256 * 1024 * 1024)

struct key_cache;

/* One slot of the worker's table of engines (open addressing by merchant id). */
struct worker_engine_slot {
    int64_t merchant_id; /* 0: empty */
    struct engine *engine;
};

struct worker {
    struct db *directory;
    struct db *engines_db;  /* shared by this thread's engines; opened with the first engine */
    struct key_cache *keys; /* verified API keys (key_cache.h) */
    struct worker_engine_slot *slots;
    size_t n_slots, n_engines; /* n_slots: a power of two, at least twice n_engines */
    /* The committer's worker: its engines write all day, checkpoint on a thread of their own
     * (db_options.checkpoint_thread) and leave the log's sync to the committer's syncer
     * (db_options.sync_apart). */
    bool committer;
    struct worker *next; /* registry of all workers, for shutdown */
};

/* This thread's worker, created on first use. */
enum fid_status worker_current(const char *db_path, struct worker **out,
                               struct fid_error *err) FID_MUST_USE;

/* The engine of merchant_id on this worker, opened on first use. It reads nothing else: a
 * programme saved since by another connection is picked up by engine_read_begin or
 * engine_refresh_program. */
enum fid_status worker_engine(struct worker *worker, const char *db_path, int64_t merchant_id,
                              struct engine **out, struct fid_error *err) FID_MUST_USE;

/* Closes every worker's connections (after the daemon stopped). */
void worker_close_all(void);

#endif
