/*
 * What the journal's two files share (customer_journal.c, customer_journal_fold.c): the owner's
 * state and its tables of images.
 */
#ifndef FIDELE_STORE_CUSTOMER_JOURNAL_INTERNAL_H
#define FIDELE_STORE_CUSTOMER_JOURNAL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct image *image_table_find(const struct image_table *t, int64_t merchant_id, int64_t id);
/* Takes bytes (allocated), replacing an earlier image of the customer; returns that one's gen,
 * -1 when there was none. */
int64_t image_table_set(struct image_table *t, int64_t merchant_id, int64_t id,
                        unsigned char *bytes, size_t size, int64_t gen);
void image_table_clear(struct image_table *t);
void image_table_free(struct image_table *t);

/* The owner's customers by ref (refs never change): merchant, ref -> id, open addressing. */
struct ref_entry {
    int64_t merchant_id, id; /* id 0: a free slot */
    char *ref;
};

struct ref_table {
    struct ref_entry *slots;
    size_t capacity, count;
};

void ref_table_clear(struct ref_table *t);

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
    /* Another connection committed: the open transaction folded what the journal held and read
     * the table's counts (pending). They become the owner's at its commit, when it stops
     * trusting its images (they stay for snapshots begun before); a rollback drops them, and
     * the next transaction looks again. Meanwhile the owner reads rows. */
    bool forgetting;
    struct {
        int64_t folds, folded_to, deleted_to;
        uint64_t others_version;
    } pending;
    int64_t trusted_from; /* the owner's own reads take committed images of this gen or later */
};

/* Ends a fold in progress (its customers' list goes); new images are of the current count. */
void customer_journal_stop_fold(struct customer_journal *j);

#endif
