/*
 * Syncs a sync_apart connection's log (db_options.sync_apart) on a thread of its own, behind
 * its writer: a bulk writer
 * (a large file of events, an import, the ingest benchmark) commits batch N+1 while the disk
 * syncs batch N, as the server's committer does, and tells of a batch only once its sync is done.
 * The durability is the default one: no batch is reported applied before it is on disk.
 */
#ifndef FIDELE_STORE_LOG_SYNCER_H
#define FIDELE_STORE_LOG_SYNCER_H

#include <stdint.h>

#include "store/db.h"
#include "util/error.h"

struct log_syncer;

/* Starts the syncing thread for db (opened sync_apart; for others each sync is a no-op). */
enum fid_status log_syncer_start(struct db *db, struct log_syncer **out,
                                 struct fid_error *err) FID_MUST_USE;
/* After a commit: asks for what is committed so far to be synced. Returns its ticket. */
uint64_t log_syncer_ask(struct log_syncer *s);
/* Waits until the sync of ticket (and of every one before it) is done. A failed sync fails this
 * and every later wait: what it held is committed but not known to be on disk. */
enum fid_status log_syncer_wait(struct log_syncer *s, uint64_t ticket,
                                struct fid_error *err) FID_MUST_USE;
/* Syncs what is left, stops the thread and frees s; the status of the last sync. */
enum fid_status log_syncer_stop(struct log_syncer *s, struct fid_error *err) FID_MUST_USE;

#endif
