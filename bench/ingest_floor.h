/*
 * The floor of the ingest benchmark: what SQLite alone costs to keep what a purchase keeps, in
 * the leanest layout the design allows (docs/internals/write-path.md, steps 1, 3 and 6): the
 * customers' state held in memory and journalled compactly, each table one B-tree appended in
 * id order, a lot folded into its ledger entry, only the indexes a look-up needs. No engine work
 * at all: no parsing, earning or results. The rows have the sizes the engine's own run wrote
 * (measured from its database), so the floor moves with what the product keeps.
 *
 * The engine cannot be faster than this on the same machine and durability: the floor says how
 * much of the distance to a goal a new layout could close, and how much no layout on SQLite can.
 */
#ifndef FIDELE_BENCH_INGEST_FLOOR_H
#define FIDELE_BENCH_INGEST_FLOOR_H

#include <stdbool.h>
#include <stdint.h>

/* What a purchase kept in the engine's run, on average. */
struct floor_rows {
    int64_t key_bytes, digest_bytes, result_bytes;   /* its idempotency record */
    int64_t body_bytes, context_bytes, stamps_bytes; /* its order */
    int64_t explanation_bytes;                       /* its first ledger entry */
    int64_t ledger_per_mille, vouchers_per_mille;    /* entries and vouchers per 1,000 */
};

/* Reads the averages from the database of a run of purchases. Returns false (and says why on
 * stderr) when it cannot. */
bool floor_rows_measure(const char *path, struct floor_rows *out);

struct floor_timing {
    double seconds, cpu_seconds, writer_seconds;
};

/* Writes `events` purchases' rows over `members` customers into a fresh file at path, `batch`
 * per transaction, through a connection opened as the engine's (store/db.h: FULL durability,
 * its page cache, log buffer and checkpoint thread), each commit durable before the next but
 * one when sync_behind (store/log_syncer.h), before the next otherwise; keys in order unless
 * random_keys. */
void floor_run(const char *path, int64_t events, int64_t members, int64_t batch, bool random_keys,
               bool sync_behind, const struct floor_rows *rows, struct floor_timing *out);

#endif
