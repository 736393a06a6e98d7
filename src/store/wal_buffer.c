/*
 * A VFS over the default one that gathers a connection's write-ahead log frames in memory and
 * writes them 64 KiB at a time. SQLite writes each frame as two system calls (its 24-byte
 * header, then the page), and a batch of purchases writes thousands of frames: the writer spent
 * a fifth of its time in the kernel, half as much since.
 *
 * Gathered frames reach the file before anyone can read them:
 * - at the log's sync, which SQLite runs at every commit under synchronous=FULL before it
 *   publishes the commit to other connections (hence: FULL connections only, see db_open);
 * - before this connection reads the log, asks its size or truncates it, and at close.
 * Frames of a transaction that rolls back are dropped when the connection releases the write
 * lock, so that they never overwrite frames another connection committed since. (SQLite's
 * rollback usually reads some of them back first, which writes them: harmless, as they lie past
 * the last commit until another connection writes there.)
 *
 * A deferred sync (WAL_BUFFER_FCNTL_DEFER_SYNC, for a server that answers a commit only once a
 * thread of its own has synced the log) is consumed by the first sync after arming: the
 * commit's. A checkpoint's sync, which must precede copying frames into the database, is never
 * skipped, nor is the sync of a new header that a commit starting the log over runs before its
 * frames: they overwrite the old run's, and a power loss that kept some of them beside the old
 * header could make recovery read old frames as current (SQLite syncs it for that reason).
 */
#include "store/wal_buffer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WAL_BUFFER_BYTES (1 << 20)
#define WAL_WRITE_BYTES  (64 << 10) /* the default VFS writes less than 128 KiB per call */
#define WAL_WRITE_LOCK   0 /* SQLite's index of the write lock among the shared-memory locks */

struct shim_file {
    sqlite3_file base;
    sqlite3_file *real;     /* the default VFS's file, allocated right after this struct */
    struct shim_file *wal;  /* on a database: its log, while open */
    struct shim_file *main; /* on a log: its database */
    unsigned char *buf;     /* on a log: frames not yet written */
    bool defer_sync;        /* on a database: its log's next sync only writes */
    bool header_unsynced;   /* on a log: its header was written since its last sync */
    sqlite3_int64 buf_at;   /* file offset of buf[0] */
    int buf_len;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;

static int flush(struct shim_file *f)
{
    int rc = SQLITE_OK;
    for (int done = 0; done < f->buf_len && rc == SQLITE_OK; done += WAL_WRITE_BYTES) {
        int amount = f->buf_len - done < WAL_WRITE_BYTES ? f->buf_len - done : WAL_WRITE_BYTES;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, amount, f->buf_at + done);
    }
    f->buf_len = 0;
    return rc;
}

static int shim_close(sqlite3_file *file)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = flush(f);
    if (f->main)
        f->main->wal = NULL;
    if (f->wal)
        f->wal->main = NULL;
    free(f->buf);
    int closed = f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : closed;
}

static int shim_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int shim_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    struct shim_file *f = (struct shim_file *)file;
    if (offset == 0)
        f->header_unsynced = true;
    if (f->buf == NULL)
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    sqlite3_int64 end = f->buf_at + f->buf_len;
    if (f->buf_len > 0 && offset >= f->buf_at && offset + amount <= end) {
        /* a frame of the open transaction written again: change it where it waits */
        memcpy(f->buf + (offset - f->buf_at), data, (size_t)amount);
        return SQLITE_OK;
    }
    if (f->buf_len > 0 && offset == end && f->buf_len + amount <= WAL_BUFFER_BYTES) {
        memcpy(f->buf + f->buf_len, data, (size_t)amount);
        f->buf_len += amount;
        return SQLITE_OK;
    }
    int rc = flush(f);
    if (rc != SQLITE_OK || amount > WAL_BUFFER_BYTES)
        return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amount, offset);
    memcpy(f->buf, data, (size_t)amount);
    f->buf_at = offset;
    f->buf_len = amount;
    return SQLITE_OK;
}

static int shim_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int shim_sync(sqlite3_file *file, int flags)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = flush(f);
    if (rc == SQLITE_OK && f->main && f->main->defer_sync && !f->header_unsynced) {
        f->main->defer_sync = false; /* the caller syncs the log before answering */
        return SQLITE_OK;
    }
    if (rc == SQLITE_OK && (rc = f->real->pMethods->xSync(f->real, flags)) == SQLITE_OK)
        f->header_unsynced = false;
    return rc;
}

static int shim_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int shim_lock(sqlite3_file *file, int level)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xLock(real, level);
}

static int shim_unlock(sqlite3_file *file, int level)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xUnlock(real, level);
}

static int shim_check_reserved(sqlite3_file *file, int *out)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xCheckReservedLock(real, out);
}

static int shim_file_control(sqlite3_file *file, int op, void *arg)
{
    struct shim_file *f = (struct shim_file *)file;
    if (op == WAL_BUFFER_FCNTL_DEFER_SYNC || op == WAL_BUFFER_FCNTL_SYNC_NORMAL) {
        f->defer_sync = op == WAL_BUFFER_FCNTL_DEFER_SYNC;
        return SQLITE_OK;
    }
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int shim_sector_size(sqlite3_file *file)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xSectorSize(real);
}

static int shim_device_characteristics(sqlite3_file *file)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xDeviceCharacteristics(real);
}

static int shim_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xShmMap(real, region, size, extend, out);
}

static int shim_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct shim_file *f = (struct shim_file *)file;
    int rc = f->real->pMethods->xShmLock(f->real, offset, n, flags);
    /* The write transaction is over: whatever its log still holds was never committed. */
    if (f->wal && offset == WAL_WRITE_LOCK && (flags & SQLITE_SHM_UNLOCK) &&
        (flags & SQLITE_SHM_EXCLUSIVE))
        f->wal->buf_len = 0;
    return rc;
}

static void shim_shm_barrier(sqlite3_file *file)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    real->pMethods->xShmBarrier(real);
}

static int shim_shm_unmap(sqlite3_file *file, int delete_flag)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xShmUnmap(real, delete_flag);
}

static int shim_fetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xFetch(real, offset, amount, out);
}

static int shim_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    sqlite3_file *real = ((struct shim_file *)file)->real;
    return real->pMethods->xUnfetch(real, offset, page);
}

static const sqlite3_io_methods SHIM_METHODS = {
    .iVersion = 3,
    .xClose = shim_close,
    .xRead = shim_read,
    .xWrite = shim_write,
    .xTruncate = shim_truncate,
    .xSync = shim_sync,
    .xFileSize = shim_file_size,
    .xLock = shim_lock,
    .xUnlock = shim_unlock,
    .xCheckReservedLock = shim_check_reserved,
    .xFileControl = shim_file_control,
    .xSectorSize = shim_sector_size,
    .xDeviceCharacteristics = shim_device_characteristics,
    .xShmMap = shim_shm_map,
    .xShmLock = shim_shm_lock,
    .xShmBarrier = shim_shm_barrier,
    .xShmUnmap = shim_shm_unmap,
    .xFetch = shim_fetch,
    .xUnfetch = shim_unfetch,
};

static int shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                     int *out_flags)
{
    (void)vfs;
    struct shim_file *f = (struct shim_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK || f->real->pMethods == NULL)
        return rc;
    if ((flags & SQLITE_OPEN_WAL) && name != NULL) {
        f->buf = malloc(WAL_BUFFER_BYTES);
        f->main = (struct shim_file *)sqlite3_database_file_object(name);
        if (f->buf == NULL || f->main == NULL || f->main->base.pMethods != &SHIM_METHODS) {
            free(f->buf); /* unbuffered: correct, only slower */
            f->buf = NULL;
            f->main = NULL;
        } else {
            f->main->wal = f;
        }
    }
    f->base.pMethods = &SHIM_METHODS;
    return SQLITE_OK;
}

/* The rest of the VFS is the default one's. */
static int shim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int shim_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, size, out);
}

static int shim_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, size, out);
}

static int shim_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, microseconds);
}

static int shim_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int shim_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, size, out);
}

static int shim_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void *shim_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void shim_dl_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, size, out);
}

static void (*shim_dl_sym(sqlite3_vfs *vfs, void *library, const char *symbol))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, library, symbol);
}

static void shim_dl_close(sqlite3_vfs *vfs, void *library)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, library);
}

static void register_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL || real_vfs->iVersion < 2)
        return;
    shim_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = WAL_BUFFER_VFS,
        .xOpen = shim_open,
        .xDelete = shim_delete,
        .xAccess = shim_access,
        .xFullPathname = shim_full_pathname,
        .xDlOpen = shim_dl_open,
        .xDlError = shim_dl_error,
        .xDlSym = shim_dl_sym,
        .xDlClose = shim_dl_close,
        .xRandomness = shim_randomness,
        .xSleep = shim_sleep,
        .xCurrentTime = shim_current_time,
        .xGetLastError = shim_last_error,
        .xCurrentTimeInt64 = shim_current_time_int64,
    };
    if (sqlite3_vfs_register(&shim_vfs, 0) != SQLITE_OK)
        real_vfs = NULL;
}

const char *wal_buffer_vfs(void)
{
    static pthread_once_t registered = PTHREAD_ONCE_INIT;
    pthread_once(&registered, register_vfs);
    return real_vfs ? WAL_BUFFER_VFS : NULL;
}
