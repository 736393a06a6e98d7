/*
 * The journal of customers' images (customer_journal.h): the image codec, the owner's tables of
 * images (the open transaction's and the committed ones, each an open-addressing table keyed by
 * merchant and customer id) and the folds. A journal row is its images one after the other,
 * each after its size (4 bytes, little-endian).
 */
#include "store/customer_journal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/xalloc.h"

/* ---- tables of images --------------------------------------------------------------------- */

struct image {
    int64_t merchant_id, id;
    unsigned char *bytes; /* NULL: a free slot */
    size_t size;
    int64_t gen; /* committed: the count of folds when it was */
};

/* Open addressing, linear probing; capacity a power of two, at most half full. */
struct image_table {
    struct image *slots;
    size_t capacity, count;
};

static size_t slot_of(const struct image_table *t, int64_t merchant_id, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u ^ (uint64_t)merchant_id * 0xC2B2AE3D27D4EB4Fu;
    size_t i = (size_t)(h >> 17) & (t->capacity - 1);
    while (t->slots[i].bytes != NULL &&
           (t->slots[i].id != id || t->slots[i].merchant_id != merchant_id))
        i = (i + 1) & (t->capacity - 1);
    return i;
}

static struct image *table_find(const struct image_table *t, int64_t merchant_id, int64_t id)
{
    if (t->count == 0)
        return NULL;
    struct image *slot = &t->slots[slot_of(t, merchant_id, id)];
    return slot->bytes ? slot : NULL;
}

static void table_grow(struct image_table *t)
{
    struct image_table bigger = {xcalloc(t->capacity ? 2 * t->capacity : 64, sizeof(struct image)),
                                 t->capacity ? 2 * t->capacity : 64, t->count};
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].bytes != NULL)
            bigger.slots[slot_of(&bigger, t->slots[i].merchant_id, t->slots[i].id)] = t->slots[i];
    free(t->slots);
    *t = bigger;
}

/* Takes bytes (allocated), replacing an earlier image of the customer; returns that one's gen,
 * -1 when there was none. */
static int64_t table_set(struct image_table *t, int64_t merchant_id, int64_t id,
                         unsigned char *bytes, size_t size, int64_t gen)
{
    if (2 * (t->count + 1) > t->capacity)
        table_grow(t);
    struct image *slot = &t->slots[slot_of(t, merchant_id, id)];
    int64_t replaced = slot->bytes ? slot->gen : -1;
    if (slot->bytes == NULL)
        t->count++;
    free(slot->bytes);
    *slot = (struct image){merchant_id, id, bytes, size, gen};
    return replaced;
}

/* Drops the images older than gen. Linear probing cannot leave holes: the table is rebuilt. */
static void table_drop_before(struct image_table *t, int64_t gen)
{
    struct image_table kept = {xcalloc(t->capacity, sizeof(struct image)), t->capacity, 0};
    for (size_t i = 0; i < t->capacity; i++) {
        struct image *old = &t->slots[i];
        if (old->bytes == NULL)
            continue;
        if (old->gen < gen) {
            free(old->bytes);
            continue;
        }
        kept.slots[slot_of(&kept, old->merchant_id, old->id)] = *old;
        kept.count++;
    }
    free(t->slots);
    *t = kept;
}

static void table_clear(struct image_table *t)
{
    for (size_t i = 0; i < t->capacity && t->count > 0; i++)
        if (t->slots[i].bytes != NULL) {
            free(t->slots[i].bytes);
            t->slots[i].bytes = NULL;
            t->count--;
        }
}

static void table_free(struct image_table *t)
{
    table_clear(t);
    free(t->slots);
    *t = (struct image_table){0};
}

/* The owner's customers by ref (refs never change): merchant, ref -> id, open addressing. */
struct ref_entry {
    int64_t merchant_id, id; /* id 0: a free slot */
    char *ref;
};

struct ref_table {
    struct ref_entry *slots;
    size_t capacity, count;
};

static size_t ref_slot(const struct ref_table *t, int64_t merchant_id, const char *ref)
{
    uint64_t h = 1469598103934665603u ^ (uint64_t)merchant_id;
    for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    size_t i = (size_t)(h >> 7) & (t->capacity - 1);
    while (t->slots[i].id != 0 &&
           (t->slots[i].merchant_id != merchant_id || strcmp(t->slots[i].ref, ref) != 0))
        i = (i + 1) & (t->capacity - 1);
    return i;
}

static void ref_add(struct ref_table *t, int64_t merchant_id, const char *ref, int64_t id)
{
    if (2 * (t->count + 1) > t->capacity) {
        struct ref_table bigger = {xcalloc(t->capacity ? 2 * t->capacity : 64, sizeof *t->slots),
                                   t->capacity ? 2 * t->capacity : 64, t->count};
        for (size_t i = 0; i < t->capacity; i++)
            if (t->slots[i].id != 0)
                bigger.slots[ref_slot(&bigger, t->slots[i].merchant_id, t->slots[i].ref)] =
                    t->slots[i];
        free(t->slots);
        *t = bigger;
    }
    struct ref_entry *slot = &t->slots[ref_slot(t, merchant_id, ref)];
    if (slot->id != 0)
        return;
    *slot = (struct ref_entry){merchant_id, id, xstrdup(ref)};
    t->count++;
}

static void ref_clear(struct ref_table *t)
{
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].id != 0) {
            free(t->slots[i].ref);
            t->slots[i] = (struct ref_entry){0};
        }
    t->count = 0;
}

/* ---- the journal --------------------------------------------------------------------------- */

struct customer_journal {
    /* The open transaction's images, in the order put (a customer may appear several times:
     * the last wins), and the newest of each by customer. */
    struct image *open;
    size_t n_open, open_capacity;
    struct image_table open_index; /* bytes borrowed from open[] (size holds the index) */
    /* The committed images, read by other threads under lock. */
    struct ref_table refs; /* of the committed images' customers */
    pthread_mutex_t lock;
    struct image_table committed;
    int64_t folds;                  /* the table's count of folds, as last read or made */
    size_t fold_images, fold_chunk; /* customer_journal_tune */
    int64_t fold_seconds;
    int64_t gen;       /* what new images' gen is: folds, or folds + 1 while a fold runs */
    size_t unfolded;   /* committed images of gen: what the journal holds and no row yet */
    int64_t folded_at; /* CLOCK_MONOTONIC seconds of the last fold */
    /* A fold in progress writes the rows of the customers whose images were unfolded when it
     * began, FOLD_CHUNK per transaction (each from its newest image), then deletes the journal's
     * rows up to last_row: its pause is spread over many commits. */
    struct fold {
        bool running;
        int64_t (*keys)[2]; /* merchant, id: sorted */
        size_t n, next, next_at_commit;
        int64_t last_row;
    } fold;
    /* The open transaction ended the fold: at its commit the count of folds becomes
     * folds_after. */
    bool folding;
    int64_t folds_after;
    /* The journal's rows: the owner numbers them (never below a fold's mark, even once the table
     * was emptied) and deletes the folded ones, up to folded_to, DELETE_CHUNK per transaction. */
    int64_t next_row, folded_to, deleted_to, deleted_to_at_commit;
    bool started;            /* the count of folds is known */
    uint64_t others_version; /* the connection's PRAGMA data_version then */
};

struct customer_journal *customer_journal_new(void)
{
    struct customer_journal *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    customer_journal_tune(j, CUSTOMER_JOURNAL_FOLD_IMAGES, CUSTOMER_JOURNAL_FOLD_SECONDS,
                          CUSTOMER_JOURNAL_FOLD_CHUNK);
    return j;
}

void customer_journal_tune(struct customer_journal *j, size_t images, int64_t seconds, size_t chunk)
{
    j->fold_images = images;
    j->fold_seconds = seconds;
    j->fold_chunk = chunk ? chunk : 1;
}

static void forget_open(struct customer_journal *j)
{
    for (size_t i = 0; i < j->n_open; i++)
        free(j->open[i].bytes);
    j->n_open = 0;
    for (size_t i = 0; i < j->open_index.capacity; i++)
        j->open_index.slots[i].bytes = NULL; /* borrowed */
    j->open_index.count = 0;
}

void customer_journal_free(struct customer_journal *j)
{
    if (j == NULL)
        return;
    forget_open(j);
    free(j->open);
    free(j->open_index.slots);
    free(j->fold.keys);
    table_free(&j->committed);
    ref_clear(&j->refs);
    free(j->refs.slots);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void index_open(struct customer_journal *j, size_t i)
{
    struct image_table *t = &j->open_index;
    if (2 * (t->count + 1) > t->capacity) {
        /* rebuilt rather than grown: its slots borrow */
        free(t->slots);
        t->capacity = t->capacity ? 2 * t->capacity : 64;
        t->slots = xcalloc(t->capacity, sizeof *t->slots);
        t->count = 0;
        for (size_t k = 0; k < i; k++)
            index_open(j, k);
    }
    struct image *slot = &t->slots[slot_of(t, j->open[i].merchant_id, j->open[i].id)];
    if (slot->bytes == NULL)
        t->count++;
    *slot = (struct image){j->open[i].merchant_id, j->open[i].id, j->open[i].bytes, i, 0};
}

void customer_journal_put(struct customer_journal *j, int64_t merchant_id, int64_t id,
                          const unsigned char *image, size_t size)
{
    if (j->n_open == j->open_capacity) {
        j->open_capacity = j->open_capacity ? 2 * j->open_capacity : 64;
        j->open = xrealloc(j->open, j->open_capacity * sizeof *j->open);
    }
    unsigned char *bytes = xmalloc(size);
    memcpy(bytes, image, size);
    j->open[j->n_open] = (struct image){merchant_id, id, bytes, size, 0};
    index_open(j, j->n_open++);
}

const unsigned char *customer_journal_get(const struct customer_journal *j, int64_t merchant_id,
                                          int64_t id, size_t *size)
{
    const struct image *open = table_find(&j->open_index, merchant_id, id);
    if (open != NULL) {
        *size = j->open[open->size].size;
        return j->open[open->size].bytes;
    }
    const struct image *committed = table_find(&j->committed, merchant_id, id);
    if (committed == NULL)
        return NULL;
    *size = committed->size;
    return committed->bytes;
}

bool customer_journal_decoded(const struct customer_journal *j, int64_t merchant_id, int64_t id,
                              struct customer *out, char **stamps)
{
    size_t size = 0;
    const unsigned char *image = customer_journal_get(j, merchant_id, id, &size);
    memset(out, 0, sizeof *out);
    int64_t image_merchant = 0;
    const char *text = NULL;
    size_t text_size = 0;
    if (image == NULL ||
        !customer_image_decode(image, size, &image_merchant, out, &text, &text_size) ||
        image_merchant != merchant_id || out->id != id)
        return false;
    *stamps = text ? xstrndup(text, text_size) : NULL;
    return true;
}

size_t customer_journal_find(struct customer_journal *j, int64_t merchant_id, int64_t id,
                             unsigned char *out, int64_t *gen)
{
    pthread_mutex_lock(&j->lock);
    const struct image *found = table_find(&j->committed, merchant_id, id);
    size_t size = found ? found->size : 0;
    if (found) {
        memcpy(out, found->bytes, size);
        *gen = found->gen;
    }
    pthread_mutex_unlock(&j->lock);
    return size;
}

size_t customer_journal_mark(const struct customer_journal *j)
{
    return j->n_open;
}

void customer_journal_rollback_to(struct customer_journal *j, size_t mark)
{
    if (mark >= j->n_open)
        return;
    size_t keep = mark;
    for (size_t i = keep; i < j->n_open; i++)
        free(j->open[i].bytes);
    j->n_open = keep;
    for (size_t i = 0; i < j->open_index.capacity; i++)
        j->open_index.slots[i].bytes = NULL;
    j->open_index.count = 0;
    for (size_t i = 0; i < keep; i++)
        index_open(j, i);
}

/* Whether open[i] is its customer's newest image in the open transaction. */
static bool newest_open(const struct customer_journal *j, size_t i)
{
    const struct image *slot = table_find(&j->open_index, j->open[i].merchant_id, j->open[i].id);
    return slot != NULL && slot->size == i;
}

enum fid_status customer_journal_append(struct customer_journal *j, struct db *db,
                                        struct fid_error *err)
{
    if (j->n_open == 0)
        return FID_OK;
    size_t total = 0;
    for (size_t i = 0; i < j->n_open; i++)
        if (newest_open(j, i))
            total += 4 + j->open[i].size;
    unsigned char *blob = xmalloc(total), *at = blob;
    for (size_t i = 0; i < j->n_open; i++)
        if (newest_open(j, i)) {
            customer_image_put_u32(at, (uint32_t)j->open[i].size);
            memcpy(at + 4, j->open[i].bytes, j->open[i].size);
            at += 4 + j->open[i].size;
        }
    struct db_stmt *s = db_prepare(db, "INSERT INTO customer_journal (id, images) VALUES (?, ?)");
    db_bind_int(s, 1, j->next_row++);
    db_bind_blob(s, 2, blob, total);
    enum fid_status st = db_run(s, err);
    free(blob);
    return st;
}

/* Remembers the ref of a customer whose image is committed for the first time. */
static void learn_ref(struct customer_journal *j, const struct image *image)
{
    struct customer c;
    int64_t merchant_id = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    if (customer_image_decode(image->bytes, image->size, &merchant_id, &c, &stamps, &stamps_size) &&
        c.ref[0] != '\0')
        ref_add(&j->refs, merchant_id, c.ref, c.id);
}

int64_t customer_journal_id_of(const struct customer_journal *j, int64_t merchant_id,
                               const char *ref)
{
    if (j->refs.count == 0)
        return 0;
    return j->refs.slots[ref_slot(&j->refs, merchant_id, ref)].id;
}

static void stop_fold(struct customer_journal *j)
{
    free(j->fold.keys);
    j->fold = (struct fold){0};
    j->gen = j->folds;
}

void customer_journal_committed(struct customer_journal *j)
{
    pthread_mutex_lock(&j->lock);
    j->fold.next = j->fold.next_at_commit;
    j->deleted_to = j->deleted_to_at_commit;
    if (j->folding) {
        j->folded_to = j->fold.last_row;
        /* what the rows now hold stays one fold longer, for snapshots begun before this one */
        table_drop_before(&j->committed, j->folds);
        j->folds = j->folds_after;
        j->folding = false;
        stop_fold(j);
    }
    for (size_t i = 0; i < j->n_open; i++)
        if (newest_open(j, i)) {
            int64_t replaced = table_set(&j->committed, j->open[i].merchant_id, j->open[i].id,
                                         j->open[i].bytes, j->open[i].size, j->gen);
            j->unfolded += replaced != j->gen;
            if (replaced < 0)
                learn_ref(j, &j->open[i]);
            j->open[i].bytes = NULL; /* taken */
        }
    pthread_mutex_unlock(&j->lock);
    forget_open(j);
}

void customer_journal_rolled_back(struct customer_journal *j)
{
    forget_open(j);
    j->folding = false;
    j->fold.next_at_commit = j->fold.next;
    j->deleted_to_at_commit = j->deleted_to;
}

size_t customer_journal_size(const struct customer_journal *j)
{
    return j->unfolded;
}

int64_t customer_journal_folds(const struct customer_journal *j)
{
    return j->folds;
}

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

/* Reads every image of the table into latest (the last one per customer wins). */
static enum fid_status read_journal(struct db *db, struct image_table *latest,
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
                table_set(latest, merchant_id, c.id, copy, n, 0);
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
 * that is not the owner deletes them at once, the owner a few per transaction (delete_folded). */
static enum fid_status end_fold(struct db *db, int64_t last_row, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    if (last_row < 0) {
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM customer_journal"), 0,
                        &last_row, err);
        if (st == FID_OK)
            st = db_exec(db, "DELETE FROM customer_journal", err);
    }
    struct db_stmt *s = db_prepare(db, "UPDATE customer_journal_folds SET folds = folds + 1, "
                                       "folded_to = max(folded_to, ?)");
    db_bind_int(s, 1, last_row);
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
    enum fid_status st = read_journal(db, &latest, err);
    if (st == FID_OK)
        st = write_images(db, &latest, folded, err);
    table_free(&latest);
    return st;
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
    size_t i = j->fold.next, end = i + chunk < j->fold.n ? i + chunk : j->fold.n;
    enum fid_status st = FID_OK;
    for (; i < end && st == FID_OK; i++) {
        const struct image *image =
            table_find(&j->committed, j->fold.keys[i][0], j->fold.keys[i][1]);
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
    enum fid_status st = j->fold.running ? FID_OK : start_fold(j, db, err);
    return st == FID_OK ? fold_step(j, db, SIZE_MAX - j->fold.n, err) : st;
}

enum fid_status customer_journal_forget(struct customer_journal *j, struct db *db,
                                        struct fid_error *err)
{
    int64_t folds = 0, first = 0, last = 0;
    enum fid_status st = customer_journal_read_folds(db, &folds, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT folded_to FROM customer_journal_folds"), 0,
                        &j->folded_to, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MIN(id), 1) - 1 FROM customer_journal"), 0,
                        &first, err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM customer_journal"), 0,
                        &last, err);
    if (st != FID_OK)
        return st;
    j->next_row = (last > j->folded_to ? last : j->folded_to) + 1;
    j->deleted_to = j->deleted_to_at_commit = first;
    pthread_mutex_lock(&j->lock);
    table_clear(&j->committed);
    j->folds = folds;
    j->unfolded = 0;
    stop_fold(j);
    pthread_mutex_unlock(&j->lock);
    ref_clear(&j->refs);
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
         * writes no customer) is folded here. */
        size_t folded = 0;
        int64_t waiting = 0;
        st = db_run_int(db_prepare(db, WAITING), 0, &waiting, err);
        if (st == FID_OK && waiting)
            st = customer_journal_fold(db, &folded, err);
        if (st == FID_OK)
            st = customer_journal_forget(j, db, err);
        if (st != FID_OK)
            return st;
        j->started = true;
        j->others_version = version;
        j->folded_at = monotonic_seconds();
        return FID_OK;
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
