/*
 * Helpers shared by the store's unit tests, on top of unit_support.h: database files in /tmp,
 * a migrated database with two merchants, and SQL that must succeed. db_prepare caches statements
 * under the address of their text, so the queries given here are string literals.
 */
#ifndef FIDELE_TESTS_STORE_SUPPORT_H
#define FIDELE_TESTS_STORE_SUPPORT_H

#include "../unit_support.h"

#include <unistd.h>

#include "store/db.h"
#include "store/schema.h"
#include "store/store.h"

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

/* Makes dir (size bytes) a new directory prefix-XXXXXX under $TMPDIR, or /tmp; false on failure. */
static inline bool store_test_dir(char *dir, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", prefix);
    return mkdtemp(dir) != NULL;
}

static inline int64_t store_test_add_merchant(struct db *db, const char *name)
{
    struct merchant m = {.created_at = 1767225600LL};
    snprintf(m.name, sizeof m.name, "%s", name);
    snprintf(m.currency, sizeof m.currency, "EUR");
    snprintf(m.timezone, sizeof m.timezone, "Europe/Paris");
    snprintf(m.locale, sizeof m.locale, "fr");
    struct fid_error err;
    assert_int_equal(merchant_insert(db, &m, &err), FID_OK);
    assert_true(m.id > 0);
    return m.id;
}

/* A member added in a transaction of its own, with points available. */
static inline void store_test_add_customer(struct store *store, const char *ref, int64_t points)
{
    struct customer c = {.is_member = true, .created_at = 1767225600LL};
    snprintf(c.ref, sizeof c.ref, "%s", ref);
    c.points_available = points;
    struct fid_error err;
    assert_int_equal(store_begin(store, &err), FID_OK);
    assert_int_equal(customer_insert(store, &c, &err), FID_OK);
    assert_int_equal(store_commit(store, &err), FID_OK);
}

/* Migrates db's schema and adds the merchants "Cafe one" (*first) and "Cafe two" (*second). */
static inline void store_test_two_merchants(struct db *db, int64_t *first, int64_t *second)
{
    struct fid_error err;
    assert_int_equal(schema_migrate(db, &err), FID_OK);
    assert_int_equal(db_begin(db, &err), FID_OK);
    *first = store_test_add_merchant(db, "Cafe one");
    *second = store_test_add_merchant(db, "Cafe two");
    assert_int_equal(db_commit(db, &err), FID_OK);
}

/* A database file named file in a new directory prefix-XXXXXX (dir, path: its buffers), opened
 * with NORMAL durability into *db, migrated, with the merchants of store_test_two_merchants;
 * false when the directory cannot be made. */
static inline bool store_test_open_new(char *dir, size_t dir_size, char *path, size_t path_size,
                                       const char *prefix, const char *file, struct db **db,
                                       int64_t *first, int64_t *second)
{
    if (!store_test_dir(dir, dir_size, prefix))
        return false;
    snprintf(path, path_size, "%s/%s", dir, file);
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(path, &options, db, &err), FID_OK);
    store_test_two_merchants(*db, first, second);
    return true;
}

/* Removes a database made by store_test_open_new (closed first) and its directory: rmdir's
 * answer, 0 when done. */
static inline int store_test_remove_dir(const char *path, const char *dir)
{
    store_test_remove(path);
    return rmdir(dir);
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
