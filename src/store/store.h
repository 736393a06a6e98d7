/*
 * Repositories: the domain's reads and writes, one merchant at a time, over the db seam.
 * A struct store pairs a connection with the merchant it serves and hands out row ids: ids are
 * per merchant and per table, taken from MAX(id)+1 once per transaction and then counted in
 * memory, which is safe because writes happen inside BEGIN IMMEDIATE transactions (one writer).
 * Records are plain structs with bounded text fields.
 */
#ifndef FIDELE_STORE_STORE_H
#define FIDELE_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"
#include "core/lots.h"
#include "core/program.h"
#include "store/append_rows.h"
#include "store/db.h"
#include "store/stamp_balances.h"
#include "store/order_periods.h"
#include "util/codes.h"
#include "util/error.h"
#include "util/phone_region.h"

#define MERCHANT_NAME_MAX 121
#define STORE_HELD_TABLES 3 /* the ledger, the lots, the idempotency records (struct store) */

enum store_table {
    TABLE_CUSTOMERS,
    TABLE_ORDERS,
    TABLE_REFUNDS,
    TABLE_LEDGER,
    TABLE_LOTS,
    TABLE_VIP_PAYMENTS,
    TABLE_SURVEY_ANSWERS,
    TABLE_TIER_CHANGES,
    TABLE_COUNT
};

struct store {
    struct db *db;
    int64_t merchant_id;
    /* The merchant's country, where phones typed in national form are read ("" until the engine
     * sets it: international numbers only) */
    char phone_region[FID_PHONE_REGION_MAX];
    int64_t next_id[TABLE_COUNT];
    bool ids_loaded[TABLE_COUNT];
    bool writing;      /* inside store_begin .. store_commit/store_rollback */
    bool reading;      /* inside store_read_begin .. store_read_end */
    int64_t stamps_of; /* whose stamp balances the store holds (stamp_store.c); 0: nobody's */
    char *stamps_text; /* as the row holds them, until parsed into stamps */
    struct stamp_balances stamps;
    bool stamps_parsed;  /* stamps holds stamps_of's balances */
    bool stamps_changed; /* since read: not yet in the row */
    /* Rows the open transaction appends to the ledger, the lots and the idempotency records,
     * inserted many at a time (append_rows.h): at commit, before the table is read, before its
     * ids are counted again. */
    struct append_rows ledger_rows, lot_rows, event_rows;
    size_t *event_slots; /* the held idempotency records by key: index + 1, 0 when free */
    size_t event_slots_capacity, events_indexed;
    struct append_mark savepoint_marks[STORE_HELD_TABLES]; /* when the open savepoint began */
    size_t journal_mark;                                   /* the journal's, too */
    bool savepoint_open;
    /* The journal of customers' images the store's connection owns (customer_journal.h;
     * borrowed): customer_save puts images there instead of writing rows. NULL: rows are written,
     * and a write transaction folds the journal first. */
    struct customer_journal *journal;
    /* Another connection's journal (a server's request threads read the committer's): a
     * customer read outside a write transaction takes the image as new as the snapshot or newer
     * over the row (customer_store.c). */
    struct customer_journal *overlay;
    int64_t snapshot_folds; /* the snapshot's count of folds, when known (-1: not read yet) */
    /* The shapes of results the store met (result_shapes.h); NULL until it meets one. */
    struct result_shapes *result_shapes;
};

struct merchant {
    int64_t id;
    char name[MERCHANT_NAME_MAX];
    char currency[4];
    char timezone[64];
    char locale[8];
    int64_t created_at;
};

struct customer {
    int64_t id;
    int64_t rowid; /* where the row was read, a hint for its update (0: unknown) */
    char ref[EVENT_REF_MAX];
    bool is_member;
    int64_t enrolled_at;
    char card_code[FID_CODE_MAX];
    char email[EVENT_TEXT_MAX];
    char phone[33];
    char name[EVENT_TEXT_MAX];
    char birthday[11];
    char locale[8];
    unsigned consents;
    int64_t consents_at;
    int64_t order_count, spend_minor, first_order_at, last_order_at, last_activity_at;
    int64_t points_available, points_pending, points_lifetime, cashback_minor;
    char tier[PROGRAM_ID_MAX];
    int64_t tier_since, tier_review_at;
    char vip_plan[PROGRAM_ID_MAX];
    int64_t vip_until;
    int64_t vip_started_at; /* start of the current uninterrupted membership */
    int64_t vip_months;     /* months paid since vip_started_at: renewals keep the day */
    int64_t next_due_at;
    int64_t next_due_at_stored; /* as the row holds it (customer_save writes it when it moved) */
    int64_t created_at;
    int64_t last_ledger_id;             /* the newest ledger entry, head of the chain (0: none) */
    int64_t last_lot_id;                /* the newest lot, head of the lots' chain (0: none) */
    int64_t open_lots_from;             /* every lot with a smaller id is used up (0: none known) */
    struct order_periods order_periods; /* its orders summed by period; the chain's head */
};

struct order_row {
    int64_t id;
    char ref[EVENT_REF_MAX];
    int64_t customer_id;
    int64_t at;
    enum channel channel;
    bool member_at_order;
    int64_t gross_minor, paid_minor, basis_minor;
    int64_t points_earned, points_clawed, cashback_earned, cashback_clawed;
    int64_t refunded_minor;
    bool refunded_in_full;   /* all it paid, or all its merchandise, refunded (core/refund.h) */
    char *stamps;            /* JSON object card -> stamps earned; owned */
    char *stamps_clawed;     /* JSON object card -> stamps taken back; owned */
    char *refunded_units;    /* JSON object line index -> units refunded; owned */
    char *body;              /* the order event as received; owned */
    int64_t program_version; /* the programme version that computed the earning */
    int64_t lot_id;          /* the points lot the order earned; 0 when it earned none */
    char *earn_context; /* JSON {"tier","vip","first_order"} the earning was computed with; owned */
    struct order_share stored_share; /* what the row adds to its period, as last written */
};

enum ledger_kind {
    LEDGER_EARN,
    LEDGER_EARN_PENDING,
    LEDGER_CONFIRM,
    LEDGER_REDEEM,
    LEDGER_REDEEM_ROLLBACK,
    LEDGER_CLAWBACK,
    LEDGER_EXPIRE,
    LEDGER_ADJUST,
};

enum ledger_account { ACCOUNT_POINTS, ACCOUNT_STAMPS, ACCOUNT_CASHBACK };

struct ledger_row {
    int64_t id;
    int64_t customer_id;
    int64_t at;
    enum ledger_kind kind;
    enum ledger_account account;
    const char *card_id;   /* stamps only; borrowed */
    int64_t amount;        /* change of the available balance */
    int64_t pending_delta; /* change of the pending balance */
    const char *event_key; /* borrowed; NULL for scheduled work */
    int64_t order_id;      /* 0 = none */
    int64_t lot_id;        /* 0 = none */
    int64_t program_version;
    const char *explanation; /* JSON array text; borrowed */
    const char *reason, *author;
};

enum lot_state { LOT_PENDING, LOT_AVAILABLE, LOT_CANCELLED };

struct lot_row {
    int64_t id;
    int64_t customer_id;
    enum lot_state state;
    int64_t earned_at, available_at, expires_at; /* expires_at 0 = never */
    int64_t amount, remaining;
    int64_t order_id;
    int64_t ledger_id;
};

enum voucher_state { VOUCHER_ISSUED, VOUCHER_USED, VOUCHER_EXPIRED };
enum voucher_source { VOUCHER_FROM_REDEEM, VOUCHER_FROM_STAMP_CARD, VOUCHER_FROM_VIP_WELCOME };

struct voucher {
    char code[FID_CODE_MAX];
    int64_t customer_id;
    char reward_id[PROGRAM_ID_MAX];
    enum voucher_source source;
    enum voucher_state state;
    int64_t issued_at, valid_until, used_at;
    char used_order[EVENT_REF_MAX];
    int64_t ledger_id;
    char event_key[EVENT_KEY_MAX];
    /* a VIP welcome taken back by the refund of its payment: when, and the refund's key ("") */
    int64_t withdrawn_at;
    char withdrawn_by[EVENT_KEY_MAX];
};

const char *ledger_kind_name(enum ledger_kind kind);
const char *ledger_account_name(enum ledger_account account);
const char *lot_state_name(enum lot_state state);
const char *voucher_state_name(enum voucher_state state);
const char *voucher_source_name(enum voucher_source source);

/* ---- store life ---------------------------------------------------------------------------- */

/* Opens a store on db (borrowed) for merchant_id; store_release frees what it holds. */
void store_init(struct store *store, struct db *db, int64_t merchant_id);
void store_release(struct store *store);
/* Begins a write transaction and forgets cached ids. */
enum fid_status store_begin(struct store *store, struct fid_error *err) FID_MUST_USE;
enum fid_status store_commit(struct store *store, struct fid_error *err) FID_MUST_USE;
void store_rollback(struct store *store);
/* Marks a read snapshot opened on the store's connection, then closed: within it the store may
 * hold what it reads (the stamp balances of the customer last read). */
void store_read_begin(struct store *store);
void store_read_end(struct store *store);
/* A savepoint in the open transaction (one at a time), released or rolled back: the held rows
 * follow it. */
enum fid_status store_savepoint(struct store *store, struct fid_error *err) FID_MUST_USE;
void store_savepoint_release(struct store *store);
void store_savepoint_rollback(struct store *store);
/* Rows written by the connection so far, those held for a later insert included: unchanged
 * across some work means it wrote nothing (db_total_changes with the held rows). */
int64_t store_total_changes(struct store *store);
/* Sets up the held rows of the ledger and lots (ledger_store.c), of the idempotency records
 * (event_store.c); event_rows_forget drops the index of the held records' keys. */
void ledger_rows_init(struct store *store);
void event_rows_init(struct store *store);
void event_rows_forget(struct store *store);
/* Inserts the rows held for the ledger, the lots and the idempotency records. */
enum fid_status store_write_held(struct store *store, struct fid_error *err) FID_MUST_USE;
/* Inserts the rows held for one of those tables (before it is read), and forgets those that no
 * rollback can need again. */
enum fid_status store_write_rows(struct store *store, struct append_rows *rows,
                                 struct fid_error *err) FID_MUST_USE;
/* After a row was added to rows: inserts them once STORE_ROWS_HELD_MAX wait, which bounds what
 * a large batch holds in memory. */
enum fid_status store_row_added(struct store *store, struct append_rows *rows,
                                struct fid_error *err) FID_MUST_USE;
#define STORE_ROWS_HELD_MAX (4 * APPEND_ROWS_MANY)
/* Forgets what the store holds about the open transaction (row ids counted in memory, the stamp
 * balances last read), so that it is read from the tables again: after rolling back to a
 * savepoint, whose rows may have drawn ids that are now free and changed balances. */
void store_forget(struct store *store);
/* The stamp balances held for the open transaction (see store.c). Drops them (the next read goes
 * to the table). */
void store_forget_stamps(struct store *store);
/* Holds the balances of a customer just read (text as its row holds them; copied). Flush first. */
void store_hold_stamps(struct store *store, int64_t customer_id, const char *text);
/* Writes changed balances still held to their customer's row. */
enum fid_status store_flush_stamps(struct store *store, struct fid_error *err) FID_MUST_USE;
/* The customer's changed balances as the row's text (caller frees), NULL when unchanged. */
char *store_changed_stamps(struct store *store, int64_t customer_id);
/* Next free id in table for this merchant (inside a transaction). */
enum fid_status store_next_id(struct store *store, enum store_table table, int64_t *id,
                              struct fid_error *err) FID_MUST_USE;

/* ---- merchants and programmes (merchant_store.c) ------------------------------------------- */

enum fid_status merchant_insert(struct db *db, struct merchant *merchant,
                                struct fid_error *err) FID_MUST_USE;
/* FID_ERR_NOT_FOUND when no merchant has that id. */
enum fid_status merchant_get(struct db *db, int64_t id, struct merchant *out,
                             struct fid_error *err) FID_MUST_USE;
/* The first merchant (lowest id): the default for single-merchant databases. */
enum fid_status merchant_default(struct db *db, struct merchant *out,
                                 struct fid_error *err) FID_MUST_USE;
/* Every merchant's id, in id order (caller frees *ids). */
enum fid_status merchant_ids(struct db *db, int64_t **ids, size_t *n,
                             struct fid_error *err) FID_MUST_USE;

/* The history of the programme's expiry rule: since when the current version's rule holds as it
 * is (the saving time of the oldest version of the unbroken run of versions, up to the current
 * one, that hold the same; 0 when every version does), and whether any version expired points by
 * lot ("mode": "per_lot"), only then may a lot carry an expiry date. */
enum fid_status program_store_expiry_history(struct store *store, int64_t *since, bool *by_lot,
                                             struct fid_error *err) FID_MUST_USE;
/* Saves a new programme version; *version gets its number. */
enum fid_status program_store_save(struct store *store, const char *document, int64_t at,
                                   int64_t *version, struct fid_error *err) FID_MUST_USE;
/* The document of a version (0 = latest); *text is caller-owned. */
enum fid_status program_store_load(struct store *store, int64_t version, char **text,
                                   int64_t *loaded_version, struct fid_error *err) FID_MUST_USE;

/* ---- customers (customer_store.c) ---------------------------------------------------------- */

enum fid_status customer_find_ref(struct store *store, const char *ref, struct customer *out,
                                  struct fid_error *err) FID_MUST_USE;
enum fid_status customer_find_id(struct store *store, int64_t id, struct customer *out,
                                 struct fid_error *err) FID_MUST_USE;
/* Finds by ref, card code, e-mail or phone (first match in that order); an e-mail or phone that
 * several customers share is refused (FID_ERR_INPUT) rather than one of them guessed. */
enum fid_status customer_find_any(struct store *store, const char *query, struct customer *out,
                                  struct fid_error *err) FID_MUST_USE;
/* Inserts customer (id assigned). */
enum fid_status customer_insert(struct store *store, struct customer *customer,
                                struct fid_error *err) FID_MUST_USE;
/* Writes the customer's state: aggregates, balances, tier, VIP and due time (not the profile,
 * whose indexed columns need not be touched on every purchase). */
enum fid_status customer_save(struct store *store, struct customer *customer,
                              struct fid_error *err) FID_MUST_USE;
/* Writes a customer's state into its row on db, as customer_save does, next_due_at included:
 * what a fold of the journal does with an image. */
enum fid_status customer_write_state(struct db *db, int64_t merchant_id,
                                     const struct customer *customer, const char *stamps,
                                     struct fid_error *err) FID_MUST_USE;
/* Puts over a customer's state read from its row the image that is newer: in a write
 * transaction the store's own journal's, outside one the overlay's (store.journal, .overlay);
 * customer_apply_image puts the image given. The stamp balances the store holds for the customer
 * become the image's. */
void customer_overlay(struct store *store, struct customer *customer);
/* The text of the stamp balances in the image customer_overlay would take (*imaged: there is
 * one; NULL then: it leaves the row's). */
char *customer_image_stamps(struct store *store, int64_t customer_id, bool *imaged);
void customer_apply_image(struct store *store, struct customer *customer,
                          const unsigned char *image, size_t size);
/* A customer's order aggregates, or orders to add to them, as bulk history imports keep them. */
struct customer_orders {
    int64_t id;
    int64_t order_count, spend_minor, first_order_at, last_order_at;
};
/* Inserts a shopper who is not a member, with the id given, the aggregates of their orders and
 * their e-mail and phone (NULL: none). */
enum fid_status customer_insert_shopper(struct store *store, const struct customer_orders *orders,
                                        const char *ref, const char *email, const char *phone,
                                        int64_t created_at, struct fid_error *err) FID_MUST_USE;
/* Gives the customer of that ref the e-mail and the phone (NULL: none), each if it has none. */
enum fid_status customer_keep_contact(struct store *store, const char *ref, const char *email,
                                      const char *phone, struct fid_error *err) FID_MUST_USE;
/* Adds orders to a customer's aggregates: count and spend added, first and last widened. */
enum fid_status customer_add_orders(struct store *store, const struct customer_orders *orders,
                                    struct fid_error *err) FID_MUST_USE;
/* Writes membership and profile: member flag, enrolment, card code, contact, consents. */
enum fid_status customer_save_profile(struct store *store, const struct customer *customer,
                                      struct fid_error *err) FID_MUST_USE;
/* Lists customers by ref after `after` (cursor), members only when members_only. */
typedef int (*customer_visit)(const struct customer *customer, void *context);
/* The field a search by value looks in. */
enum customer_field {
    CUSTOMER_REF,       /* the merchant's own id */
    CUSTOMER_CARD_CODE, /* as typed: any case, with or without dashes */
    CUSTOMER_EMAIL,     /* in any case */
    CUSTOMER_PHONE,     /* in international form, as typed (util/phone.h) */
};
/* Visits, by id, every customer whose field is value; a value that cannot be such a field (a
 * card code or phone number of the wrong form) matches none. */
enum fid_status customer_find_by(struct store *store, enum customer_field field, const char *value,
                                 customer_visit visit, void *context,
                                 struct fid_error *err) FID_MUST_USE;
enum fid_status customer_list(struct store *store, const char *after, int64_t limit,
                              bool members_only, customer_visit visit, void *context,
                              struct fid_error *err) FID_MUST_USE;
/* Customers matching query exactly (ref, card code, e-mail, phone) or in part (name, e-mail,
 * ref), exact matches first. */
enum fid_status customer_search(struct store *store, const char *query, int64_t limit,
                                customer_visit visit, void *context,
                                struct fid_error *err) FID_MUST_USE;
/* Ids of customers whose next_due_at <= t, ascending, at most limit. */
enum fid_status customer_due(struct store *store, int64_t t, int64_t limit, int64_t **ids,
                             size_t *n, struct fid_error *err) FID_MUST_USE;

/* ---- stamp balances, held in the customer's row (stamp_store.c) ------------------------------ */

/* The customer's stamps and completed cards on one card (0, 0 when it has none). */
enum fid_status stamps_get(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t *stamps, int64_t *completed, struct fid_error *err) FID_MUST_USE;
/* All stamp balances of a customer, into *out (emptied first; the caller clears it). */
enum fid_status stamps_of_customer(struct store *store, int64_t customer_id,
                                   struct stamp_balances *out, struct fid_error *err) FID_MUST_USE;
/* Changes the balance held in memory; customer_save or store_flush_stamps writes it. */
enum fid_status stamps_set(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t stamps, int64_t completed, struct fid_error *err) FID_MUST_USE;

/* ---- idempotency (event_store.c) ----------------------------------------------------------- */

/* FID_ERR_NOT_FOUND when key is new; otherwise *digest and *result (caller-owned) are filled. */
enum fid_status event_record_find(struct store *store, const char *key, char digest[FID_DIGEST_HEX],
                                  char **result, struct fid_error *err) FID_MUST_USE;
enum fid_status event_record_insert(struct store *store, const struct event *event,
                                    int64_t applied_at, const char *result, size_t result_len,
                                    struct fid_error *err) FID_MUST_USE;

/* ---- orders (order_store.c) ---------------------------------------------------------------- */

enum fid_status order_find_ref(struct store *store, const char *ref, struct order_row *out,
                               struct fid_error *err) FID_MUST_USE;
/* Gives the order named ref the name new_ref (which no order has). */
enum fid_status order_rename(struct store *store, const char *ref, const char *new_ref,
                             struct fid_error *err) FID_MUST_USE;
/* Inserts (id assigned unless order->id is already drawn) at the head of its customer's chain
 * and counts it in the customer's periods; FID_ERR_CONFLICT when the ref exists. */
enum fid_status order_insert(struct store *store, struct order_periods *periods,
                             struct order_row *order, struct fid_error *err) FID_MUST_USE;
/* Writes the refund and clawback figures of order, and its new share into its customer's
 * periods. */
enum fid_status order_save_refund(struct store *store, struct order_periods *periods,
                                  struct order_row *order, struct fid_error *err) FID_MUST_USE;
/* Writes the earning figures (points, cashback, stamps) of an order credited after the fact. */
enum fid_status order_save_earning(struct store *store, struct order_periods *periods,
                                   struct order_row *order, struct fid_error *err) FID_MUST_USE;
void order_row_clear(struct order_row *order);
enum fid_status refund_insert(struct store *store, int64_t order_id, int64_t at,
                              int64_t amount_minor, const char *event_key,
                              struct fid_error *err) FID_MUST_USE;
/* A customer's orders not credited with points (member_at_order = 0, points_earned = 0, not
 * wholly refunded), by time, read along the customer's chain. */
enum fid_status order_uncredited(struct store *store, const struct order_periods *periods,
                                 struct order_row **orders, size_t *n,
                                 struct fid_error *err) FID_MUST_USE;
/* A customer enrolled at `since`, before orders already recorded: those from `since` on become
 * members' orders (member_at_order), read along the customer's chain. *instants gets their
 * instants, ascending (*n of them; the caller frees). */
enum fid_status order_mark_member(struct store *store, const struct order_periods *periods,
                                  int64_t since, int64_t **instants, size_t *n,
                                  struct fid_error *err) FID_MUST_USE;
/* ---- a customer's orders over time (order_windows.c) ---------------------------------------- */

/* Sum over a customer's orders with at in [from, to) (spend net of refunds, points earned net,
 * orders not wholly refunded), from the periods, reading orders only where a period is cut. */
enum fid_status order_window_totals(struct store *store, const struct order_periods *periods,
                                    int64_t from, int64_t to, struct order_share *sum,
                                    struct fid_error *err) FID_MUST_USE;
/* The instants of a customer's orders with at in [from, to), ascending (the caller frees). */
enum fid_status order_window_instants(struct store *store, const struct order_periods *periods,
                                      int64_t from, int64_t to, int64_t **instants, size_t *n,
                                      struct fid_error *err) FID_MUST_USE;
/* Orders of a few periods read once, for many windows over the same periods (a late order
 * judged at the later orders of a period): reading a period along the chain may pass every
 * order of the customer recorded since its oldest one. Valid while the periods it was filled
 * from do not change; starts zeroed; order_window_cache_free empties it. */
#define ORDER_WINDOW_CACHE_MAX 8
struct order_dated {
    int64_t at;
    struct order_share share;
};
struct order_period_orders {
    const struct order_period *period;
    struct order_dated *orders; /* every order of the period, in chain order */
    size_t n;
};
struct order_window_cache {
    struct order_period_orders items[ORDER_WINDOW_CACHE_MAX];
    size_t n, next; /* next: the entry to replace once full */
};
void order_window_cache_free(struct order_window_cache *cache);
/* order_window_totals, a cut period's orders read through the cache (NULL: walked, as there). */
enum fid_status order_window_totals_cached(struct store *store, const struct order_periods *periods,
                                           struct order_window_cache *cache, int64_t from,
                                           int64_t to, struct order_share *sum,
                                           struct fid_error *err) FID_MUST_USE;
/* The instants of the orders of one of the periods (or &periods->folded) with at in [from, to),
 * ascending (the caller frees), read through the cache: the same as order_window_instants gives
 * for that period's span. */
enum fid_status order_period_instants(struct store *store, const struct order_periods *periods,
                                      struct order_window_cache *cache,
                                      const struct order_period *period, int64_t from, int64_t to,
                                      int64_t **instants, size_t *n,
                                      struct fid_error *err) FID_MUST_USE;
/* How many orders the periods count. */
int64_t order_periods_orders(const struct order_periods *periods);

/* Every customer's periods built from the orders themselves (merchant_id 0: all merchants), by
 * merchant then customer id, with whether each of the customer's orders names the one before it
 * (prev_id) as its chain must; customers without orders are not visited. visit returns non-zero
 * to stop. For the migration that introduced them and for verify. */
typedef int (*order_periods_visit)(int64_t merchant_id, int64_t customer_id,
                                   const struct order_periods *periods, bool chained,
                                   void *context);
enum fid_status order_periods_build(struct db *db, int64_t merchant_id, order_periods_visit visit,
                                    void *context, struct fid_error *err) FID_MUST_USE;
/* Writes every customer's periods from its orders (migrations 12 and 32: full_column_exists from
 * 32 on, which added orders.refunded_in_full). */
enum fid_status order_periods_rebuild(struct db *db, bool full_column_exists,
                                      struct fid_error *err) FID_MUST_USE;

/* Streams every order before `before` as (customer id, instant, net value in minor units), by
 * customer then time. visit returns non-zero to stop. */
typedef int (*order_history_visit)(int64_t customer_id, int64_t at, int64_t value_minor,
                                   void *context);
enum fid_status order_history_scan(struct store *store, int64_t before, order_history_visit visit,
                                   void *context, struct fid_error *err) FID_MUST_USE;

/* The same with each order's channel and body (its event text, borrowed until the next row). */
struct order_detail {
    int64_t customer_id, at, value_minor;
    enum channel channel;
    const char *body;
};
typedef int (*order_detail_visit)(const struct order_detail *order, void *context);
enum fid_status order_detail_scan(struct store *store, int64_t before, order_detail_visit visit,
                                  void *context, struct fid_error *err) FID_MUST_USE;

/* ---- ledger and lots (ledger_store.c) ------------------------------------------------------ */

/* Appends row for customer c (its customer_id) as the newest link of c's chain: the entry names
 * c's previous newest and c->last_ledger_id becomes its id (the caller saves c). */
enum fid_status ledger_append(struct store *store, struct customer *c, struct ledger_row *row,
                              struct fid_error *err) FID_MUST_USE;
/* Inserts lot for customer c as the newest link of c's chain of lots (the caller saves c). */
enum fid_status lot_insert(struct store *store, struct customer *c, struct lot_row *lot,
                           struct fid_error *err) FID_MUST_USE;
enum fid_status lot_save(struct store *store, const struct lot_row *lot,
                         struct fid_error *err) FID_MUST_USE;
enum fid_status lot_use_insert(struct store *store, int64_t ledger_id, int64_t lot_id,
                               int64_t amount, struct fid_error *err) FID_MUST_USE;
/* Lots of customer c with remaining > 0 in state, oldest first (caller frees *lots). Walks c's
 * chain down to c->open_lots_from, which it moves up to the oldest lot still open (the caller
 * saves c, or the next walk moves it again). */
enum fid_status lots_open(struct store *store, struct customer *c, enum lot_state state,
                          struct lot_row **lots, size_t *n, struct fid_error *err) FID_MUST_USE;
/* The points lot an order earned, named by its row (FID_ERR_NOT_FOUND when none). */
enum fid_status lot_of_order(struct store *store, const struct order_row *order,
                             struct lot_row *out, struct fid_error *err) FID_MUST_USE;
/* The programme version a ledger entry was written under (0 when there is no such entry). */
enum fid_status ledger_entry_version(struct store *store, int64_t ledger_id, int64_t *version,
                                     struct fid_error *err) FID_MUST_USE;
/* The points of a lot that expired (its uses by expiry entries). */
enum fid_status lot_expired(struct store *store, int64_t lot_id, int64_t *amount,
                            struct fid_error *err) FID_MUST_USE;
/* What expiry took from customer c's lots after instant t (entries dated after it), per lot and
 * instant, net of what was given back since, soonest first (caller frees *out). */
struct lot_expiry {
    struct lot_row lot;
    int64_t at;          /* the instant of the expiry */
    int64_t amount;      /* the points it took from the lot, > 0 */
    bool order_refunded; /* the lot's order was refunded, in part or whole */
};
enum fid_status lots_expired_after(struct store *store, const struct customer *c, int64_t t,
                                   struct lot_expiry **out, size_t *n,
                                   struct fid_error *err) FID_MUST_USE;
/* Earliest instant at which a lot of the customer confirms or expires (0 = none). */
enum fid_status lots_next_due(struct store *store, const struct customer *c, int64_t *at,
                              struct fid_error *err) FID_MUST_USE;
/* The merchant's points ledger summed by kind over [from, to). Signs make the roll-forward read
 * naturally: net = earned - redeemed - expired - clawed_back + adjusted (confirmations only move
 * points from pending to available and net to zero). */
struct points_totals {
    int64_t earned, confirmed, redeemed, expired, clawed_back, adjusted;
    int64_t net;
};
enum fid_status ledger_points_totals(struct store *store, int64_t from, int64_t to,
                                     struct points_totals *out, struct fid_error *err) FID_MUST_USE;
/* The merchant's points balances member by member (balance = available + pending): what is owed
 * to members, the positive balances only, split into available and pending (a member's pending
 * points first cover their own debt, so pending <= owed member by member); and what members owe,
 * the negative balances a refund left (refunds.allow_negative_balance), with how many members.
 * owed - owed_by_members is the sum of all balances, the ledger's net. */
struct points_position {
    int64_t owed, owed_available, owed_pending;
    int64_t owed_by_members, members_owing;
};
/* The position as the ledger stands before instant `to` (balances summed from entries). */
enum fid_status ledger_points_position(struct store *store, int64_t to, struct points_position *out,
                                       struct fid_error *err) FID_MUST_USE;
/* The position in the materialised balances of all customers (now). */
enum fid_status customer_points_position(struct store *store, struct points_position *out,
                                         struct fid_error *err) FID_MUST_USE;

/* The instants after t, ascending, of the customer's redemptions, adjustments and VIP payments:
 * the activity besides orders that holds off the balance's expiry after inactivity (caller
 * frees *ats). */
enum fid_status customer_acts_after(struct store *store, const struct customer *customer, int64_t t,
                                    int64_t **ats, size_t *n, struct fid_error *err) FID_MUST_USE;

/* Visits the ledger of a customer in order. */
typedef int (*ledger_visit)(struct db_stmt *row, void *context);
enum fid_status ledger_list(struct store *store, const struct customer *customer,
                            ledger_visit visit, void *context, struct fid_error *err) FID_MUST_USE;
/* A page of it: the newest limit entries older than entry before (0: the newest of all), visited
 * oldest first; *more tells whether older entries remain. Walks limit links of the customer's
 * chain, whatever the length of their history; an entry of another customer as before gives an
 * empty page. The chain starts at the customer's last_ledger_id as read (customer_overlay may
 * have taken it from an image newer than the snapshot: then at the customer's newest entry the
 * snapshot holds). */
enum fid_status ledger_page(struct store *store, const struct customer *customer, int64_t before,
                            int64_t limit, ledger_visit visit, void *context, bool *more,
                            struct fid_error *err) FID_MUST_USE;

/* ---- vouchers (voucher_store.c) ------------------------------------------------------------ */

enum fid_status voucher_insert(struct store *store, const struct voucher *voucher,
                               struct fid_error *err) FID_MUST_USE;
enum fid_status voucher_find(struct store *store, const char *code, struct voucher *out,
                             struct fid_error *err) FID_MUST_USE;
/* A customer's vouchers, oldest first; visit returns non-zero to stop. */
enum fid_status voucher_each_of(struct store *store, int64_t customer_id,
                                int (*visit)(const struct voucher *, void *), void *context,
                                struct fid_error *err) FID_MUST_USE;
enum fid_status voucher_save_state(struct store *store, const struct voucher *voucher,
                                   struct fid_error *err) FID_MUST_USE;
/* Takes an unused voucher back at `at` for the event `event_key` (a VIP refund): it is expired
 * and says why. */
enum fid_status voucher_withdraw(struct store *store, const char *code, int64_t at,
                                 const char *event_key, struct fid_error *err) FID_MUST_USE;
/* Redemptions ever made of a reward, for its stock: the vouchers they issued and the cashback
 * credits they gave. */
enum fid_status reward_count_redeemed(struct store *store, const char *reward_id, int64_t *count,
                                      struct fid_error *err) FID_MUST_USE;
/* Records the cashback credit a redemption of a reward gave (its ledger entry). */
enum fid_status reward_credit_insert(struct store *store, const char *reward_id, int64_t ledger_id,
                                     struct fid_error *err) FID_MUST_USE;
/* Marks issued vouchers with valid_until <= t expired; *count gets how many. */
enum fid_status voucher_expire_due(struct store *store, int64_t t, int64_t *count,
                                   struct fid_error *err) FID_MUST_USE;

/* ---- survey answers (voucher_store.c) ----------------------------------------------------- */
enum fid_status survey_answer_insert(struct store *store, int64_t customer_id, int64_t at,
                                     const char *survey, int64_t score, const char *comment,
                                     const char *event_key, struct fid_error *err) FID_MUST_USE;

/* ---- tier changes (tier_store.c) ----------------------------------------------------------- */
enum tier_change_reason { TIER_REACHED, TIER_REVIEW, TIER_RECORDED };
const char *tier_change_reason_name(enum tier_change_reason reason);

struct tier_change {
    int64_t id, at;
    char tier[PROGRAM_ID_MAX]; /* "" when the member holds none */
    char previous[PROGRAM_ID_MAX];
    enum tier_change_reason reason;
    int64_t program_version; /* 0 for a recorded tier */
};

/* Records that the customer's tier became change->tier at change->at (id is assigned). */
enum fid_status tier_change_insert(struct store *store, int64_t customer_id,
                                   struct tier_change *change, struct fid_error *err) FID_MUST_USE;
/* The tier the customer held just before `at` ("" when none). */
enum fid_status tier_at(struct store *store, int64_t customer_id, int64_t at,
                        char out[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;
/* The customer's tier changes, oldest first; visit returns non-zero to stop. */
enum fid_status tier_changes_each(struct store *store, int64_t customer_id,
                                  int (*visit)(const struct tier_change *, void *), void *context,
                                  struct fid_error *err) FID_MUST_USE;

/* ---- VIP payments and refunds (vip_store.c) ------------------------------------------------
 * One table holds both, in the order they were applied (one id sequence): a refund is a row
 * with a negative amount naming the payment it refunds. Every row keeps the end of the
 * membership it left (valid_until), so that the membership at any instant is the end the
 * newest row dated at or before it left. */
struct vip_payment {
    int64_t id, customer_id, at, amount_minor, periods;
    int64_t valid_from, valid_until; /* the time it bought, as paid (before any refund) */
    int64_t refunded_minor;          /* what refunds of it gave back so far */
    char plan_id[PROGRAM_ID_MAX];
    char event_key[EVENT_KEY_MAX];
};

enum fid_status vip_payment_insert(struct store *store, int64_t customer_id, const char *plan_id,
                                   int64_t at, int64_t amount_minor, int64_t periods,
                                   int64_t valid_from, int64_t valid_until, const char *event_key,
                                   struct fid_error *err) FID_MUST_USE;
/* The payment made by the event `event_key` (a refund is none): FID_ERR_NOT_FOUND without
 * filling err when there is none. */
enum fid_status vip_payment_find(struct store *store, const char *event_key,
                                 struct vip_payment *out, struct fid_error *err) FID_MUST_USE;
/* Records a refund of `amount_minor` (> 0) of payment, which left the membership ending at
 * valid_until on plan_id. */
enum fid_status vip_refund_insert(struct store *store, const struct vip_payment *payment,
                                  const char *plan_id, int64_t at, int64_t amount_minor,
                                  int64_t valid_until, const char *event_key,
                                  struct fid_error *err) FID_MUST_USE;
/* Whether a payment applied after payment_id began a new membership (the one before had
 * ended): the time payment_id bought is then no part of the current membership. */
enum fid_status vip_new_membership_since(struct store *store, int64_t customer_id,
                                         int64_t payment_id, bool *out,
                                         struct fid_error *err) FID_MUST_USE;
/* The plan of the customer's latest VIP payment since the start of the running membership that
 * is not refunded in full, leaving out payment_id (about to be refunded in full); plan is ""
 * when there is none. */
enum fid_status vip_plan_left(struct store *store, int64_t customer_id, int64_t payment_id,
                              char plan[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;
/* The cashback the plan's welcome credited at payment (*amount, 0 when it credited none, as
 * when the welcome was a voucher): the payment's own cashback entry, as written then, whatever
 * the programme says now. Walks the customer's ledger from its newest entry back to that one. */
enum fid_status vip_welcome_credit(struct store *store, const struct customer *customer,
                                   const struct vip_payment *payment, int64_t *amount,
                                   struct fid_error *err) FID_MUST_USE;
/* The latest instant of the customer's VIP payments and refunds (0 when none). */
enum fid_status vip_latest_at(struct store *store, int64_t customer_id, int64_t *at,
                              struct fid_error *err) FID_MUST_USE;
/* The end of the membership as it stood at `at` (0 when no payment was made by then). */
enum fid_status vip_until_at(struct store *store, int64_t customer_id, int64_t at, int64_t *until,
                             struct fid_error *err) FID_MUST_USE;
/* The plan of the VIP membership running at `at` ("" when none): the membership as it stood at
 * `at` (vip_until_at) ran past it, and the newest row dated at or before `at` names the plan (a
 * change of plan takes effect at its payment). */
enum fid_status vip_payment_plan_at(struct store *store, int64_t customer_id, int64_t at,
                                    char plan[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;

#endif
