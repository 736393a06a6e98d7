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
#include "store/key_store.h"
#include "util/error.h"

/* A key that only a request thread's cache vouched for: before applying the job the committer
 * checks that the key still exists with this secret and is not revoked, and otherwise fails it
 * with FID_ERR_NOT_FOUND on the field "Authorization" (a 401) without applying anything. */
struct committer_check {
    char key_id[API_KEY_ID_LEN + 1];
    char digest[FID_DIGEST_HEX];
};

/* Starts the committer thread on db_path; max_events bounds one transaction. Every due_seconds
 * (0: never) it also does the scheduled work due by then (engine_run_due_some), a batch of
 * customers per merchant at a time while no write waits: points confirm and expire on time
 * without an outside `fidele run-due`. */
enum fid_status committer_start(const char *db_path, size_t max_events, unsigned due_seconds,
                                struct fid_error *err) FID_MUST_USE;

/* Applies queued work, then stops the thread. The journal stays: workers' engines point to it. */
void committer_stop(void);
/* Once no engine uses the journal any more (worker_close_all): folds it into the rows, so that
 * the database holds every customer's state in its row, and frees it. */
enum fid_status committer_release(struct fid_error *err) FID_MUST_USE;

/* The journal of customers' images the committer owns (NULL before committer_start): its
 * engines write into it, request threads' engines read through it. */
struct customer_journal *committer_journal(void);

/* The events of a job: an array of event objects, or events read already (core/event_fast.h).
 * Both are borrowed until the job is answered. */
struct committer_events {
    const json_t *array;             /* or NULL when */
    const struct event *const *read; /* n_read events read already */
    size_t n_read;
};

/* Applies events of merchant_id, each on its own (a failing event is an "error" result and
 * leaves no trace), and waits for the commit. results are replaced by one per event. check:
 * NULL, or the key to check first. */
enum fid_status committer_apply(int64_t merchant_id, const struct committer_events *events,
                                const struct committer_check *check, struct engine_results *results,
                                struct fid_error *err) FID_MUST_USE;

/* Called on the committer thread once a submitted job committed (or failed): results (one per
 * event; the callee may take them, leaving zeros) when status is FID_OK, else err. */
typedef void (*committer_done)(void *context, enum fid_status status,
                               struct engine_results *results, const struct fid_error *err);

/* Queues events of merchant_id and returns at once; callback runs exactly once, after the
 * commit. Fails (and never calls back) when stopping. */
enum fid_status committer_submit(int64_t merchant_id, const struct committer_events *events,
                                 const struct committer_check *check, committer_done callback,
                                 void *context, struct fid_error *err) FID_MUST_USE;

#endif
