/*
 * Folds of the journal of customers' images (customer_journal.h): by any connection at once
 * (every image past the last fold's mark, the last per customer winning), or by the owner a few
 * hundred rows per transaction, after which it deletes the rows the fold covered a few at a time.
 */
#include "store/customer_journal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/customer_journal_internal.h"
#include "store/store.h"
#include "util/xalloc.h"

/* Whether the journal holds rows past the last fold. */
#define WAITING                                                                                    \
    "SELECT EXISTS (SELECT 1 FROM customer_journal WHERE id > (SELECT folded_to FROM "             \
    "customer_journal_folds))"

enum fid_status customer_journal_waiting(struct db *db, bool *waiting, struct fid_error *err)
{
    int64_t any = 0;
    enum fid_status st = db_run_int(db_prepare(db, WAITING), 0, &any, err);
    *waiting = any != 0;
    return st;
}

static int64_t monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* ---- folds ---------------------------------------------------------------------------------- */

/* Reads every image of the table into latest (the last one per customer wins), as of gen. */
static enum fid_status read_journal(struct db *db, struct image_table *latest, int64_t gen,
                                    struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "SELECT images FROM customer_journal WHERE id > (SELECT "
                                       "folded_to FROM customer_journal_folds) ORDER BY id");
    enum db_step rc;
    bool readable = true;
    while (readable && (rc = db_step(s)) == DB_ROW) {
        size_t size = 0;
        const unsigned char *blob = db_column_blob(s, 0, &size);
        for (size_t at = 0; readable && at < size;) {
            uint32_t n = size - at >= 4 ? customer_image_get_u32(blob + at) : 0;
            const unsigned char *image =
                size - at >= 4 && size - at - 4 >= n ? blob + at + 4 : NULL;
            at += 4 + (size_t)n;
            struct customer c;
            int64_t merchant_id = 0;
            const char *stamps = NULL;
            size_t stamps_size = 0;
            readable = image != NULL &&
                       customer_image_decode(image, n, &merchant_id, &c, &stamps, &stamps_size);
            if (readable) {
                unsigned char *copy = xmalloc(n);
                memcpy(copy, image, n);
                image_table_set(latest, merchant_id, c.id, copy, n, gen);
            }
        }
    }
    db_done(s);
    if (!readable)
        return fid_fail(err, FID_ERR_DB, "", "the journal of customers' images is unreadable");
    return rc == DB_DONE ? FID_OK : fid_fail(err, FID_ERR_DB, "", "reading the journal failed");
}

static int by_customer(const void *a, const void *b)
{
    const struct image *x = a, *y = b;
    if (x->merchant_id != y->merchant_id)
        return x->merchant_id < y->merchant_id ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Writes a customer's row from an image. */
static enum fid_status write_row(struct db *db, const unsigned char *image, size_t size,
                                 struct fid_error *err)
{
    struct customer c;
    memset(&c, 0, sizeof c);
    int64_t merchant_id = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    if (!customer_image_decode(image, size, &merchant_id, &c, &stamps, &stamps_size))
        return fid_fail(err, FID_ERR_DB, "", "the journal of customers' images is unreadable");
    char *text = stamps ? xstrndup(stamps, stamps_size) : NULL;
    enum fid_status st = customer_write_state(db, merchant_id, &c, text, err);
    free(text);
    return st;
}

/* Counts the fold and marks the journal's rows up to last_row (all: -1) folded; a connection
 * that is not the owner deletes them at once, the owner a few per transaction (delete_folded).
 * A fold of all counts two: while the owner's own fold runs, the images it commits count one
 * more than the table (customer_journal.h), and any fold of all that follows must read as newer
 * than them. */
static enum fid_status end_fold(struct db *db, int64_t last_row, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    int64_t count = last_row < 0 ? 2 : 1;
    if (last_row < 0) {
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM customer_journal"), 0,
                        &last_row, err);
        if (st == FID_OK)
            st = db_exec(db, "DELETE FROM customer_journal", err);
    }
    struct db_stmt *s = db_prepare(db, "UPDATE customer_journal_folds SET folds = folds + ?, "
                                       "folded_to = max(folded_to, ?)");
    db_bind_int(s, 1, count);
    db_bind_int(s, 2, last_row);
    return st == FID_OK ? db_run(s, err) : st;
}

/* Writes the rows of every image of latest in merchant and id order (the writes walk the table's
 * B-tree once), then empties the journal and counts the fold. */
static enum fid_status write_images(struct db *db, const struct image_table *latest, size_t *folded,
                                    struct fid_error *err)
{
    struct image *sorted = xmalloc((latest->count + 1) * sizeof *sorted);
    size_t n = 0;
    for (size_t i = 0; i < latest->capacity; i++)
        if (latest->slots[i].bytes != NULL)
            sorted[n++] = latest->slots[i];
    qsort(sorted, n, sizeof *sorted, by_customer);
    enum fid_status st = FID_OK;
    for (size_t i = 0; i < n && st == FID_OK; i++)
        st = write_row(db, sorted[i].bytes, sorted[i].size, err);
    free(sorted);
    *folded = n;
    return st == FID_OK ? end_fold(db, -1, err) : st;
}

enum fid_status customer_journal_fold(struct db *db, size_t *folded, struct fid_error *err)
{
    struct image_table latest = {0};
    enum fid_status st = read_journal(db, &latest, 0, err);
    if (st == FID_OK)
        st = write_images(db, &latest, folded, err);
    image_table_free(&latest);
    return st;
}

enum fid_status customer_journal_load(struct db *db, struct customer_journal **out,
                                      struct fid_error *err)
{
    struct customer_journal *j = customer_journal_new();
    enum fid_status st = db_read_begin(db, err);
    if (st != FID_OK) {
        customer_journal_free(j);
        return st;
    }
    /* images read in the snapshot of this count of folds: newer than those rows */
    if ((st = customer_journal_read_folds(db, &j->folds, err)) == FID_OK)
        st = read_journal(db, &j->committed, j->folds, err);
    db_rollback(db);
    if (st != FID_OK) {
        customer_journal_free(j);
        return st;
    }
    j->unfolded = j->committed.count;
    *out = j;
    return FID_OK;
}

enum fid_status customer_journal_read_folds(struct db *db, int64_t *folds, struct fid_error *err)
{
    return db_run_int(db_prepare(db, "SELECT folds FROM customer_journal_folds"), 0, folds, err);
}

static int by_key(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Begins a fold of the images not yet in rows: the customers to write, the journal's last row;
 * images committed from now on belong to the next fold. */
static enum fid_status start_fold(struct customer_journal *j, struct db *db, struct fid_error *err)
{
    enum fid_status st =
        db_run_int(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM customer_journal"), 0,
                   &j->fold.last_row, err);
    if (st != FID_OK)
        return st;
    j->fold.keys = xmalloc((j->committed.count + 1) * sizeof *j->fold.keys);
    j->fold.n = j->fold.next = j->fold.next_at_commit = 0;
    for (size_t i = 0; i < j->committed.capacity; i++) {
        const struct image *image = &j->committed.slots[i];
        if (image->bytes != NULL && image->gen == j->gen) {
            j->fold.keys[j->fold.n][0] = image->merchant_id;
            j->fold.keys[j->fold.n++][1] = image->id;
        }
    }
    qsort(j->fold.keys, j->fold.n, sizeof *j->fold.keys, by_key);
    j->fold.running = true;
    j->gen = j->folds + 1;
    j->unfolded = 0;
    j->folded_at = monotonic_seconds();
    return FID_OK;
}

/* Writes up to chunk rows of the fold in progress (each from its customer's newest image, which
 * may be newer than the fold: a row only gets newer), and ends it after the last. */
static enum fid_status fold_step(struct customer_journal *j, struct db *db, size_t chunk,
                                 struct fid_error *err)
{
    /* from where this transaction's steps left it (its first starts where the last commit did) */
    size_t i = j->fold.next_at_commit, end = j->fold.n - i > chunk ? i + chunk : j->fold.n;
    enum fid_status st = FID_OK;
    for (; i < end && st == FID_OK; i++) {
        const struct image *image =
            image_table_find(&j->committed, j->fold.keys[i][0], j->fold.keys[i][1]);
        if (image != NULL) /* a later fold's drop cannot have taken it: it is of this gen */
            st = write_row(db, image->bytes, image->size, err);
    }
    if (st != FID_OK)
        return st;
    j->fold.next_at_commit = end;
    if (end < j->fold.n)
        return FID_OK;
    st = end_fold(db, j->fold.last_row, err);
    if (st == FID_OK)
        st = customer_journal_read_folds(db, &j->folds_after, err);
    j->folding = st == FID_OK;
    return st;
}

enum fid_status customer_journal_fold_owned(struct customer_journal *j, struct db *db,
                                            struct fid_error *err)
{
    /* Another connection committed: this transaction's start folded the table, and the rows
     * hold what that connection wrote over the owner's images, which must not go back in. */
    if (j->forgetting)
        return FID_OK;
    /* This transaction's start ended the fold in progress: a fold is counted once a
     * transaction, and the images committed since wait for the next. */
    if (j->folding)
        return FID_OK;
    enum fid_status st = j->fold.running ? FID_OK : start_fold(j, db, err);
    return st == FID_OK ? fold_step(j, db, SIZE_MAX, err) : st;
}

/* Inside the owner's write transaction, once another connection committed (or as it starts),
 * after folding what the journal held: reads the table's counts, which are the owner's from
 * this transaction's commit (customer_journal_committed). */
static enum fid_status read_counts(struct customer_journal *j, struct db *db, uint64_t version,
                                   struct fid_error *err)
{
    int64_t folds = 0, folded_to = 0, first = 0, last = 0;
    enum fid_status st = customer_journal_read_folds(db, &folds, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT folded_to FROM customer_journal_folds"), 0,
                        &folded_to, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MIN(id), 1) - 1 FROM customer_journal"), 0,
                        &first, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM customer_journal"), 0,
                        &last, err);
    if (st != FID_OK)
        return st;
    int64_t next = (last > folded_to ? last : folded_to) + 1;
    if (next > j->next_row) /* rows' ids only grow, also past a rollback */
        j->next_row = next;
    j->pending.folds = folds;
    j->pending.folded_to = folded_to;
    j->pending.deleted_to = first;
    j->pending.others_version = version;
    j->forgetting = true;
    return FID_OK;
}

/* Deletes up to DELETE_CHUNK of the journal's rows that a fold of the owner marked folded: each
 * costs the pages of one row, and all at once they held the commit that ended a fold for tens
 * of milliseconds. */
#define DELETE_CHUNK 64

static enum fid_status delete_folded(struct customer_journal *j, struct db *db,
                                     struct fid_error *err)
{
    if (j->deleted_to >= j->folded_to)
        return FID_OK;
    int64_t to =
        j->deleted_to + DELETE_CHUNK < j->folded_to ? j->deleted_to + DELETE_CHUNK : j->folded_to;
    struct db_stmt *s = db_prepare(db, "DELETE FROM customer_journal WHERE id <= ?");
    db_bind_int(s, 1, to);
    enum fid_status st = db_run(s, err);
    if (st == FID_OK)
        j->deleted_to_at_commit = to;
    return st;
}

enum fid_status customer_journal_begin(struct customer_journal *j, struct db *db,
                                       struct fid_error *err)
{
    uint64_t version = 0;
    enum fid_status st = db_others_version(db, &version, err);
    if (st != FID_OK)
        return st;
    if (!j->started || version != j->others_version) {
        /* Another connection committed, having folded first (or this owner starts): the rows
         * hold every image. What is left (an earlier owner's, or written by a connection that
         * writes no customer) is folded here. All of it takes effect at this commit. */
        size_t folded = 0;
        int64_t waiting = 0;
        st = db_run_int(db_prepare(db, WAITING), 0, &waiting, err);
        if (st == FID_OK && waiting)
            st = customer_journal_fold(db, &folded, err);
        if (st == FID_OK)
            st = read_counts(j, db, version, err);
        if (st == FID_OK)
            j->folded_at = monotonic_seconds();
        return st;
    }
    if (!j->fold.running &&
        (j->unfolded >= j->fold_images ||
         (j->unfolded > 0 && monotonic_seconds() - j->folded_at >= j->fold_seconds)))
        st = start_fold(j, db, err);
    if (st == FID_OK && j->fold.running)
        return fold_step(j, db, j->fold_chunk, err);
    return st == FID_OK ? delete_folded(j, db, err) : st;
}

enum fid_status customer_journal_fold_first(struct db *db, struct fid_error *err)
{
    bool waiting = false;
    enum fid_status st = customer_journal_waiting(db, &waiting, err);
    if (st != FID_OK || !waiting)
        return st;
    size_t folded = 0;
    if ((st = db_begin(db, err)) != FID_OK)
        return st;
    if ((st = customer_journal_fold(db, &folded, err)) == FID_OK &&
        (st = db_commit(db, err)) == FID_OK)
        return FID_OK;
    db_rollback(db);
    return st;
}
