/*
 * Bulk recording of order history for analytics (`fidele import orders` without --award): the
 * orders of shoppers who are not members go straight into the columnar history
 * (store/history_store.h), with the customers created or their order aggregates updated, in
 * transactions of many thousand orders. Members' orders are left to the engine, which keeps
 * their tiers and due work right. Beside another writer (a live server), each transaction starts
 * from what that writer committed: the customers it made and enrolled. Everything the import needs
 * is held in memory: the refs of every recorded order and of every order the import saw (as keyed
 * hashes: an order whose rows are apart in the file is seen twice) and the merchant's customers by
 * ref.
 */
#ifndef FIDELE_ENGINE_HISTORY_IMPORT_H
#define FIDELE_ENGINE_HISTORY_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/phone.h"

struct history_import;

enum history_outcome {
    HISTORY_RECORDED,   /* added to the history */
    HISTORY_KNOWN,      /* an order with this ref is already recorded */
    HISTORY_FOR_ENGINE, /* a member's order, or a refunded one: apply it through the engine */
    HISTORY_TOO_LARGE,  /* refused: the customer's spend would pass HISTORY_SPEND_MAX */
    HISTORY_APART,      /* refused: the import saw this order's ref before (rows apart) */
    HISTORY_REFUSED,    /* refused by the caller: its ref is only noted as seen */
    HISTORY_SHARED,     /* refused: several customers have the e-mail or phone naming it */
};

/* The most a customer's spend counts, in minor units (2^53 - 1, as balances; core/earn.h). */
#define HISTORY_SPEND_MAX 9007199254740991LL

/* Orders per transaction by default (about 16 million): each commit writes every customer it
 * touched, so large transactions are what make a large file fast. */
#define HISTORY_COMMIT_ORDERS (256 * 65536)

/* Opens an import that commits every commit_orders orders (and whenever it is flushed). A dry
 * one decides every order's outcome as the import would, in memory, and writes nothing: it reads
 * the store once, at open, and takes no write lock. */
enum fid_status history_import_open(struct store *store, int64_t now, size_t commit_orders,
                                    bool dry, struct history_import **out,
                                    struct fid_error *err) FID_MUST_USE;

/* Makes room for about n more orders (an estimate from the file's size). */
void history_import_expect(struct history_import *im, size_t n);

/* An order the caller applies through the engine: HISTORY_FOR_ENGINE the first time the import
 * sees its ref, HISTORY_KNOWN when it was recorded before the import, HISTORY_APART when the
 * import saw it already (its rows are apart in the file). Notes the ref as seen. */
enum history_outcome history_import_see(struct history_import *im, const char *order_ref);

/* Customers an e-mail or phone of theirs was not kept on, another customer having it. */
size_t history_import_contacts_held_elsewhere(const struct history_import *im);

/* The customer an order names by e-mail address (else phone), both as customers keep them (in
 * lower case, in international form): the one customer who has it as e-mail, phone or ref, else
 * a new one of that ref, into ref; *shared (ref untouched) when several customers have it. A
 * customer created or given a contact by this import, or by another writer meanwhile, counts. */
enum fid_status history_import_identify(struct history_import *im, const char *email,
                                        const char *phone, char ref[EVENT_REF_MAX], bool *shared,
                                        struct fid_error *err) FID_MUST_USE;
/* Notes an e-mail address and a phone ("" for none) of the customer of that ref, each when it
 * has none and no other customer has it (history_import_identify finds the customer by them
 * from then on), and empties the others: email and phone are left with what the customer gains. */
void history_import_note_contact(struct history_import *im, const char *ref,
                                 char email[EVENT_TEXT_MAX], char phone[FID_PHONE_MAX]);
/* Writes them on the customer's row at the next flush, each where it has none: once the engine
 * made the customer, for orders it applies. */
void history_import_keep_contact(struct history_import *im, const char *ref, const char *email,
                                 const char *phone);

struct history_order {
    /* The customer: its ref, or "" when email (else phone) names it (history_import_identify,
     * which sets it); its e-mail and phone ("" for none; borrowed, as long as the call that
     * records the order) are kept on it. Apart from the order: most files have none. */
    char customer[EVENT_REF_MAX];
    const char *email, *phone;
    char order[EVENT_REF_MAX]; /* "" for a refused order whose ref could not be read */
    int64_t at, paid_minor;
    int64_t refunded_minor;       /* > 0: refunded, HISTORY_FOR_ENGINE (the history has none) */
    size_t line;                  /* where it starts in the file, for the caller */
    bool refused;                 /* refused by the caller: HISTORY_REFUSED, its ref noted */
    enum history_outcome outcome; /* set by history_import_add */
};

/* Records orders in their order, setting each one's outcome; every ref is noted as seen. Many
 * at a time: the table look-ups of the whole run are started before the first is used, so that
 * memory latency overlaps. */
enum fid_status history_import_add(struct history_import *im, struct history_order *orders,
                                   size_t n, struct fid_error *err) FID_MUST_USE;

/* Writes what is pending and commits: before the engine writes, and at the end. A failure names
 * the lines of the orders the transaction held (those before were committed). */
enum fid_status history_import_flush(struct history_import *im, struct fid_error *err) FID_MUST_USE;

/* Frees; what was not flushed is rolled back. */
void history_import_close(struct history_import *im);

#endif
