/*
 * Imported order history, columnar: orders recorded for analytics only (customer, time, amount
 * paid, membership at the time) in blocks of up to HISTORY_BLOCK_ORDERS, each block one row whose
 * blob holds the columns one after the other. Scans read a block per step and never parse a row,
 * which is what makes a report over ten million orders take a fraction of a second. The order
 * refs are kept apart as keyed 128-bit hashes (SipHash-2-4, a random key per merchant), read only
 * by imports to refuse what is already recorded.
 */
#ifndef FIDELE_STORE_HISTORY_STORE_H
#define FIDELE_STORE_HISTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/order_columns.h"
#include "store/store.h"

#define HISTORY_BLOCK_ORDERS 65536
#define HISTORY_REF_HASH     16
#define HISTORY_KEY_BYTES    16
/* The member byte of an order handed over to the rows (history_take): scans skip it. */
#define HISTORY_PROMOTED 2

/* The merchant's hash key, created (inside the caller's write transaction) when missing. */
enum fid_status history_key(struct store *store, uint8_t key[HISTORY_KEY_BYTES],
                            struct fid_error *err) FID_MUST_USE;
/* The same in steps, for a writer that stores a new key only with the first history it writes:
 * *found false when the merchant has none; a new random one; storing it, a conflict when another
 * key was stored meanwhile (the refs hashed with this one would not be found). */
enum fid_status history_key_read(struct store *store, uint8_t key[HISTORY_KEY_BYTES], bool *found,
                                 struct fid_error *err) FID_MUST_USE;
enum fid_status history_key_new(uint8_t key[HISTORY_KEY_BYTES], struct fid_error *err) FID_MUST_USE;
enum fid_status history_key_save(struct store *store, const uint8_t key[HISTORY_KEY_BYTES],
                                 struct fid_error *err) FID_MUST_USE;
void history_ref_hash(const uint8_t key[HISTORY_KEY_BYTES], const char *ref,
                      uint8_t out[HISTORY_REF_HASH]);

/* Appends one block (inside a write transaction); refs holds n hashes. */
enum fid_status history_block_append(struct store *store, const struct order_columns *block,
                                     const uint8_t *refs, struct fid_error *err) FID_MUST_USE;

/* Calls visit with the refs of every block (n hashes of HISTORY_REF_HASH bytes each). */
typedef void (*history_refs_visit)(const uint8_t *refs, size_t n, void *context);
enum fid_status history_refs_scan(struct store *store, history_refs_visit visit, void *context,
                                  struct fid_error *err) FID_MUST_USE;

/* Calls visit with every block holding an order before `before` (later orders of such a block
 * are the visitor's to skip), without the orders promoted to rows; the columns are valid during
 * the call only. */
typedef int (*history_block_visit)(const struct order_columns *block, void *context);
enum fid_status history_scan(struct store *store, int64_t before, history_block_visit visit,
                             void *context, struct fid_error *err) FID_MUST_USE;

/* A customer's orders taken out of the history: marked HISTORY_PROMOTED in their blocks (inside
 * the caller's write transaction) and returned, for the caller to record as rows. */
struct history_taken {
    int64_t block;
    size_t index;
    int64_t at, paid_minor;
};
enum fid_status history_take(struct store *store, int64_t customer_id, struct history_taken **out,
                             size_t *n, struct fid_error *err) FID_MUST_USE;

/* The imported order whose ref is `ref` (compared by its keyed hash); *found false when the
 * history holds none. An order still in the history is taken out of it as history_take does,
 * for the caller to record as a row; one an enrolment took out already (its row named
 * history-BLOCK-INDEX) is only described, with promoted_before set. */
struct history_found {
    struct history_taken taken;
    int64_t customer_id;
    bool promoted_before;
};
enum fid_status history_take_ref(struct store *store, const char *ref, struct history_found *out,
                                 bool *found, struct fid_error *err) FID_MUST_USE;

/* Whether an imported order whose span of dates (its block's) holds `at` has the ref: a live
 * order sent again after an import (a shop's feed replaying its last weeks) keeps its date, and
 * is found by reading the refs of the few blocks of those dates only; with no such block (no
 * history, or orders dated after it) one look-up of an index. */
enum fid_status history_holds_ref_at(struct store *store, const char *ref, int64_t at, bool *found,
                                     struct fid_error *err) FID_MUST_USE;

/* Number of orders in the history (for sizing). */
enum fid_status history_count(struct store *store, int64_t *count,
                              struct fid_error *err) FID_MUST_USE;

#endif
