/*
 * The journal of customers' images (customer_journal.h): the owner's tables of images (the open
 * transaction's and the committed ones, each an open-addressing table keyed by merchant and
 * customer id), its customers by ref, and a commit's journal row: its images one after the other,
 * each after its size (4 bytes, little-endian). Folds: customer_journal_fold.c.
 */
#include "store/customer_journal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/customer_journal_internal.h"
#include "store/store.h"
#include "util/xalloc.h"

/* ---- tables of images --------------------------------------------------------------------- */

static size_t slot_of(const struct image_table *t, int64_t merchant_id, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u ^ (uint64_t)merchant_id * 0xC2B2AE3D27D4EB4Fu;
    size_t i = (size_t)(h >> 17) & (t->capacity - 1);
    while (t->slots[i].bytes != NULL &&
           (t->slots[i].id != id || t->slots[i].merchant_id != merchant_id))
        i = (i + 1) & (t->capacity - 1);
    return i;
}

struct image *image_table_find(const struct image_table *t, int64_t merchant_id, int64_t id)
{
    if (t->count == 0)
        return NULL;
    struct image *slot = &t->slots[slot_of(t, merchant_id, id)];
    return slot->bytes ? slot : NULL;
}

static void image_table_grow(struct image_table *t)
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
int64_t image_table_set(struct image_table *t, int64_t merchant_id, int64_t id,
                        unsigned char *bytes, size_t size, int64_t gen)
{
    if (2 * (t->count + 1) > t->capacity)
        image_table_grow(t);
    struct image *slot = &t->slots[slot_of(t, merchant_id, id)];
    int64_t replaced = slot->bytes ? slot->gen : -1;
    if (slot->bytes == NULL)
        t->count++;
    free(slot->bytes);
    *slot = (struct image){merchant_id, id, bytes, size, gen};
    return replaced;
}

/* Drops the images older than gen. Linear probing cannot leave holes: the table is rebuilt. */
static void image_table_drop_before(struct image_table *t, int64_t gen)
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

void image_table_clear(struct image_table *t)
{
    for (size_t i = 0; i < t->capacity && t->count > 0; i++)
        if (t->slots[i].bytes != NULL) {
            free(t->slots[i].bytes);
            t->slots[i].bytes = NULL;
            t->count--;
        }
}

void image_table_free(struct image_table *t)
{
    image_table_clear(t);
    free(t->slots);
    *t = (struct image_table){0};
}

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

void ref_table_clear(struct ref_table *t)
{
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].id != 0) {
            free(t->slots[i].ref);
            t->slots[i] = (struct ref_entry){0};
        }
    t->count = 0;
}

/* ---- the journal --------------------------------------------------------------------------- */

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
    image_table_free(&j->committed);
    ref_table_clear(&j->refs);
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
    const struct image *open = image_table_find(&j->open_index, merchant_id, id);
    if (open != NULL) {
        *size = j->open[open->size].size;
        return j->open[open->size].bytes;
    }
    const struct image *committed = image_table_find(&j->committed, merchant_id, id);
    if (committed == NULL || j->forgetting || committed->gen < j->trusted_from)
        return NULL; /* another connection may have written the row since */
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
    const struct image *found = image_table_find(&j->committed, merchant_id, id);
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
    const struct image *slot =
        image_table_find(&j->open_index, j->open[i].merchant_id, j->open[i].id);
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

void customer_journal_stop_fold(struct customer_journal *j)
{
    free(j->fold.keys);
    j->fold = (struct fold){0};
    j->gen = j->folds;
}

/* The counts the committed transaction read once another connection had committed. */
static void learn_counts(struct customer_journal *j)
{
    j->folds = j->pending.folds;
    j->folded_to = j->pending.folded_to;
    j->deleted_to = j->deleted_to_at_commit = j->pending.deleted_to;
    j->others_version = j->pending.others_version;
    j->unfolded = 0;
    customer_journal_stop_fold(j);
    /* the images stay for snapshots begun before; readers of later ones, and the owner, read
     * the rows, which the other connection may have written */
    j->trusted_from = j->folds;
    j->started = true;
    j->forgetting = false;
    ref_table_clear(&j->refs);
}

void customer_journal_committed(struct customer_journal *j)
{
    pthread_mutex_lock(&j->lock);
    j->fold.next = j->fold.next_at_commit;
    j->deleted_to = j->deleted_to_at_commit;
    if (j->forgetting)
        learn_counts(j);
    if (j->folding) {
        j->folded_to = j->fold.last_row;
        /* what the rows now hold stays one fold longer, for snapshots begun before this one */
        image_table_drop_before(&j->committed, j->folds);
        j->folds = j->folds_after;
        j->folding = false;
        customer_journal_stop_fold(j);
    }
    for (size_t i = 0; i < j->n_open; i++)
        if (newest_open(j, i)) {
            int64_t replaced = image_table_set(&j->committed, j->open[i].merchant_id, j->open[i].id,
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
    j->forgetting = false;
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
