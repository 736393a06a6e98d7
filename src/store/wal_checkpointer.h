/*
 * Checkpoints on a thread of their own for a busy writer. SQLite's automatic checkpoint runs
 * inside the commit that crosses the threshold, on the writer's thread: a tenth of a purchase's
 * time at 1,000 events per commit. Here the commit only wakes a second connection, which copies
 * the log into the database while the writer goes on; when the log still grows past a bound (the
 * writer begins its next transaction before a round completes, so the log cannot restart), the
 * writer finishes the copy itself at a commit that finds no round running (past twice the bound,
 * after waiting for the one in progress), which lets the log start over.
 */
#ifndef FIDELE_STORE_WAL_CHECKPOINTER_H
#define FIDELE_STORE_WAL_CHECKPOINTER_H

#include <sqlite3.h>
#include <stdbool.h>

/* A round per 12,000 pages of log (twelve times SQLite's own threshold) copies each page
 * rewritten meanwhile once and syncs the database once for all of them (see wal_checkpointer.c):
 * the server's customer rows and tables' last pages are rewritten by many commits between two
 * rounds (at 4,000 its checkpointer took 8 µs per order, at 12,000 5 µs; docs/benchmarks.md,
 * seventh round). Past the inline bound (128 MiB of log at 4 KiB pages) the writer checkpoints
 * itself. */
#define WAL_CHECKPOINT_ROUND_PAGES    12000
#define WAL_CHECKPOINT_INLINE_PAGES   32000
#define WAL_CHECKPOINT_CATCH_UP_PAGES 1000 /* before the inline bound: a round per commit */

struct wal_checkpointer;

/* Takes over writer's checkpoints (path is its file; full_sync: synchronous=FULL). NULL when the
 * second connection cannot be opened: the writer then keeps SQLite's automatic checkpoints. */
struct wal_checkpointer *wal_checkpointer_start(sqlite3 *writer, const char *path, bool full_sync);

/* Stops the thread and closes its connection; the writer gets automatic checkpoints back. */
void wal_checkpointer_stop(struct wal_checkpointer *checkpointer);

#endif
