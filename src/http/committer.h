/*
 * Group commit for the API's writes: request threads hand their events to one committer thread,
 * which applies everything queued in one transaction per merchant (one fsync for many requests)
 * and wakes each request with its own results. A request is answered only after its transaction
 * committed, so every acknowledged write is durable.
 */
#ifndef FIDELE_HTTP_COMMITTER_H
#define FIDELE_HTTP_COMMITTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/error.h"

/* Starts the committer thread on db_path; max_events bounds one transaction. */
enum fid_status committer_start(const char *db_path, size_t max_events,
                                struct fid_error *err) FID_MUST_USE;

/* Applies queued work, then stops the thread. */
void committer_stop(void);

/* Applies events (an array, borrowed) of merchant_id, each on its own (a failing event is an
 * "error" result and leaves no trace), and waits for the commit. results are replaced by one
 * per event. */
enum fid_status committer_apply(int64_t merchant_id, const json_t *events,
                                struct engine_results *results, struct fid_error *err) FID_MUST_USE;

/* Called on the committer thread once a submitted job committed (or failed): results (one per
 * event; the callee may take them, leaving zeros) when status is FID_OK, else err. */
typedef void (*committer_done)(void *context, enum fid_status status,
                               struct engine_results *results, const struct fid_error *err);

/* Queues events (borrowed until callback runs) of merchant_id and returns at once; callback
 * runs exactly once, after the commit. Fails (and never calls back) when stopping. */
enum fid_status committer_submit(int64_t merchant_id, const json_t *events, committer_done callback,
                                 void *context, struct fid_error *err) FID_MUST_USE;

#endif
