/*
 * Counts every fsync and fdatasync of the test process, SQLite's included: a definition in the
 * executable comes before the C library's for the shared libraries too. Include from one file of
 * a test executable only.
 */
#ifndef FIDELE_TESTS_SYNC_COUNTER_H
#define FIDELE_TESTS_SYNC_COUNTER_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

#include <errno.h>

#include <sys/stat.h>

static int syncs;             /* fsync and fdatasync calls of this process */
static int syncs_failing;     /* while set, every sync fails as a failing disk's would (EIO) */
static long long synced_size; /* the size of the file the last sync was of */

/* Counts a sync, then runs the C library's function of that name (found on first use). */
static int counted(const char *name, int (**real)(int), int fd)
{
    if (*real == NULL)
        *real = (int (*)(int))dlsym(RTLD_NEXT, name);
    struct stat st;
    __atomic_store_n(&synced_size, fstat(fd, &st) == 0 ? (long long)st.st_size : -1,
                     __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&syncs, 1, __ATOMIC_SEQ_CST); /* syncs may run on other threads */
    if (__atomic_load_n(&syncs_failing, __ATOMIC_SEQ_CST)) {
        errno = EIO;
        return -1;
    }
    return (*real)(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    return counted("fsync", &real, fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    return counted("fdatasync", &real, fd);
}

#endif
