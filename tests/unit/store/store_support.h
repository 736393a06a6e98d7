/*
 * Helpers shared by the store's unit tests, on top of unit_support.h: database files in /tmp,
 * and SQL that must succeed. db_prepare caches statements under the address of their text, so
 * the queries given here are string literals.
 */
#ifndef FIDELE_TESTS_STORE_SUPPORT_H
#define FIDELE_TESTS_STORE_SUPPORT_H

#include "../unit_support.h"

#include <unistd.h>

#include "store/db.h"

/* Makes path (a mkstemp template such as "/tmp/fidele-x-XXXXXX") the name of a new empty file. */
static inline void store_test_path(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Removes a database and the files SQLite keeps beside it. */
static inline void store_test_remove(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char file[700];
    for (size_t i = 0; i < N_ELEMENTS(suffixes); i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

static inline void store_test_exec(struct db *db, const char *sql)
{
    struct fid_error err;
    if (db_exec(db, sql, &err) != FID_OK)
        fail_msg("%s: %s", sql, err.message);
}

/* The integer a query (a string literal) gives. */
static inline int64_t store_test_int(struct db *db, const char *sql)
{
    struct fid_error err;
    int64_t n = -1;
    assert_int_equal(db_run_int(db_prepare(db, sql), -1, &n, &err), FID_OK);
    return n;
}

#endif
