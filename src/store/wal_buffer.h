/*
 * A VFS that writes the write-ahead log in large writes instead of two per page (see
 * wal_buffer.c). For connections with synchronous=FULL only.
 */
#ifndef FIDELE_STORE_WAL_BUFFER_H
#define FIDELE_STORE_WAL_BUFFER_H

#include <sqlite3.h>

#define WAL_BUFFER_VFS "fidele-wal"

/* File controls on a connection's database file ("main"): arm or disarm a deferred sync. Armed,
 * the log's next sync (a commit's, under synchronous=FULL) writes the frames but leaves the fsync
 * to the caller, who must make the log durable (db_sync_log) before telling anyone of the commit.
 * Any later sync, a checkpoint's included, is a real one. */
#define WAL_BUFFER_FCNTL_DEFER_SYNC  0x46494401
#define WAL_BUFFER_FCNTL_SYNC_NORMAL 0x46494402

/* The VFS's name for sqlite3_open_v2 (registered on first use); NULL when it could not be. */
const char *wal_buffer_vfs(void);

#endif
