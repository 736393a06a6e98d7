/*
 * The journal of customers' images. A writer that owns a journal (the server's committer) keeps
 * in memory the state customer_save would write into a customer's row (its image), and at each
 * commit appends the images the transaction changed as one row of the table customer_journal:
 * a few pages at the end of one B-tree instead of a page at a random place per order. A fold
 * writes the rows from the images, in id order, empties the table and counts itself in
 * customer_journal_folds.
 *
 * Every other connection folds before it reads or writes (customer_journal_fold_first), so it
 * never sees a row older than an image; the owner's own reads take the image over the row
 * (store/customer_store.c). Images are per merchant and customer id; the owner's table of them
 * may be read from other threads (customer_journal_find).
 */
#ifndef FIDELE_STORE_CUSTOMER_JOURNAL_H
#define FIDELE_STORE_CUSTOMER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/customer_image.h"
#include "store/db.h"
#include "util/error.h"

struct customer_journal;

struct customer_journal *customer_journal_new(void);
void customer_journal_free(struct customer_journal *j);

/* The open transaction's image of a customer (replacing an earlier one). */
void customer_journal_put(struct customer_journal *j, int64_t merchant_id, int64_t id,
                          const unsigned char *image, size_t size);
/* The newest image of a customer, the open transaction's first; NULL when none. Owner only. */
const unsigned char *customer_journal_get(const struct customer_journal *j, int64_t merchant_id,
                                          int64_t id, size_t *size);
/* Decodes the newest image of a customer into out, its stamp balances' text into *stamps
 * (allocated; NULL: the row's stand); false when there is none. Owner only. */
bool customer_journal_decoded(const struct customer_journal *j, int64_t merchant_id, int64_t id,
                              struct customer *out, char **stamps);
/* The id of the customer of merchant_id with that ref, when the journal holds or held an image
 * of it since it last forgot them; 0 otherwise. Owner only. */
int64_t customer_journal_id_of(const struct customer_journal *j, int64_t merchant_id,
                               const char *ref);
/* Copies the newest committed image of a customer into out (CUSTOMER_IMAGE_MAX bytes) and the
 * count of folds when it was committed into *gen; 0 when none. Any thread. A reader whose
 * snapshot counts more folds than gen finds the image in the row; else the image is as new as
 * its snapshot or newer, and is what it shows. Images stay one fold after the rows hold them. */
size_t customer_journal_find(struct customer_journal *j, int64_t merchant_id, int64_t id,
                             unsigned char *out, int64_t *gen);

/* Savepoints: what the open transaction put since a mark is dropped by rolling back to it. */
size_t customer_journal_mark(const struct customer_journal *j);
void customer_journal_rollback_to(struct customer_journal *j, size_t mark);
/* Before COMMIT: appends the open transaction's images as one row. */
enum fid_status customer_journal_append(struct customer_journal *j, struct db *db,
                                        struct fid_error *err) FID_MUST_USE;
/* After COMMIT (the open transaction's images become the committed ones), after ROLLBACK. */
void customer_journal_committed(struct customer_journal *j);
void customer_journal_rolled_back(struct customer_journal *j);

/* The owner folds at the start of a transaction once it holds this many images not yet in the
 * rows, or any for this long. */
#define CUSTOMER_JOURNAL_FOLD_IMAGES  65536
#define CUSTOMER_JOURNAL_FOLD_SECONDS 5
/* A fold writes this many rows per transaction of the owner (~2 ms), not all of them at once. */
#define CUSTOMER_JOURNAL_FOLD_CHUNK 512

/* When the owner folds (images waiting, or seconds since the last fold with any waiting) and
 * how many rows it writes per transaction meanwhile; the defaults are the macros above. */
void customer_journal_tune(struct customer_journal *j, size_t images, int64_t seconds,
                           size_t chunk);
/* The owner, first in each write transaction: when another connection committed, folds what
 * the journal holds and, from this transaction's commit, reads rows rather than its images
 * (another connection may have written them; the images stay for readers of older snapshots);
 * else folds when it is time. */
enum fid_status customer_journal_begin(struct customer_journal *j, struct db *db,
                                       struct fid_error *err) FID_MUST_USE;

/* Committed images not yet in the rows, and the count of folds. */
size_t customer_journal_size(const struct customer_journal *j);
int64_t customer_journal_folds(const struct customer_journal *j);

/* Inside a write transaction: writes every image of the table customer_journal into its row (the
 * last one per customer), empties the table and counts the fold. *folded: rows written. */
enum fid_status customer_journal_fold(struct db *db, size_t *folded,
                                      struct fid_error *err) FID_MUST_USE;
/* The owner, inside its write transaction: writes the rows of the images not yet in rows (and
 * ends a fold in progress) and empties the journal of what they came from. Nothing when the
 * transaction's start learnt that another connection committed (the rows hold its writes, newer
 * than the images) or ended a fold itself (the images committed since wait for the next). */
enum fid_status customer_journal_fold_owned(struct customer_journal *j, struct db *db,
                                            struct fid_error *err) FID_MUST_USE;
/* Any connection but the owner: when the table holds images, folds them in a transaction of
 * its own (the connection must not be in one). */
enum fid_status customer_journal_fold_first(struct db *db, struct fid_error *err) FID_MUST_USE;
/* A connection that cannot write (a read-only or full disk) and so cannot fold: the images the
 * table holds, as a journal to read through (store.overlay) instead of the rows they are newer
 * than. Its size is the count of those customers. */
enum fid_status customer_journal_load(struct db *db, struct customer_journal **out,
                                      struct fid_error *err) FID_MUST_USE;
/* Whether the journal holds images no fold wrote yet (in the connection's snapshot). */
enum fid_status customer_journal_waiting(struct db *db, bool *waiting,
                                         struct fid_error *err) FID_MUST_USE;
/* The number of folds in the connection's snapshot. */
enum fid_status customer_journal_read_folds(struct db *db, int64_t *folds,
                                            struct fid_error *err) FID_MUST_USE;

#endif
