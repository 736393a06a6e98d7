/*
 * A VFS that writes the write-ahead log in large writes instead of two per page (see
 * wal_buffer.c). For connections with synchronous=FULL only.
 */
#ifndef FIDELE_STORE_WAL_BUFFER_H
#define FIDELE_STORE_WAL_BUFFER_H

#include <sqlite3.h>

#define WAL_BUFFER_VFS "fidele-wal"

/* The VFS's name for sqlite3_open_v2 (registered on first use); NULL when it could not be. */
const char *wal_buffer_vfs(void);

#endif
