/*
 * Bulk history import (see history_import.h). Orders fill a block in memory; a full block is
 * appended at once; every commit_orders orders (and on flush) the customers touched since the
 * last commit are written in id order, then the transaction commits. A dry import goes through
 * the same steps and drops what they would write: its outcomes are the real import's.
 */
#include "engine/history_import.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/history_store.h"
#include "util/digest_set.h"
#include "util/text_owners.h"
#include "util/xalloc.h"

#define INLINE_REF 24

struct shopper {
    uint64_t hash;
    char short_ref[INLINE_REF];    /* the ref when it fits, else "" and ref_at */
    size_t ref_at;                 /* offset of the ref in refs */
    struct customer_orders orders; /* the id, and the orders added since the last commit */
    int64_t spend_stored;          /* the spend its row held when read, with what was added */
    uint32_t contact;              /* its contact to write, index + 1 in pending (0: none) */
    /* stored: its row exists (an id of 0 when the engine made it, for the engine's path);
     * checked: the generation its row was last read in (history_import.generation) */
    /* held_elsewhere: a row gave it an e-mail or phone another customer has (counted once) */
    unsigned member : 1, stored : 1, dirty : 1, has_email : 1, has_phone : 1, held_elsewhere : 1,
        checked : 26;
};

#define GENERATION_MAX ((1u << 26) - 1)

/* An e-mail address and a phone to keep on a shopper at the next flush. */
struct pending_contact {
    size_t shopper;
    size_t email_at, phone_at; /* offsets in pending_text; NO_TEXT for none */
    bool written;              /* with the shopper's row, inserted */
};

#define NO_TEXT SIZE_MAX

/* An index slot carries part of the hash, so probing past others touches no shopper. */
struct slot {
    uint32_t which, tag;
};

struct touched {
    int64_t id;
    size_t which;
};

struct history_import {
    struct store *store;
    int64_t now;
    uint8_t key[HISTORY_KEY_BYTES];
    bool key_unsaved;        /* made by this import, stored with its first block */
    struct digest_set known; /* refs of the orders recorded before the import */
    struct digest_set seen;  /* refs of the orders the import saw */
    /* customers by ref */
    struct shopper *shoppers;
    size_t n_shoppers, cap_shoppers;
    struct slot *index; /* open addressing; which = shopper index + 1, 0 = empty */
    size_t cap_index;
    char *refs;
    size_t refs_len, refs_cap;
    struct touched *dirty; /* shoppers touched since the last commit */
    size_t n_dirty, cap_dirty;
    /* shoppers by e-mail, phone and refs that are either (owner: shopper index + 1) */
    struct text_owners contacts;
    size_t held_elsewhere;           /* customers not given a contact another one has */
    struct pending_contact *pending; /* contacts to write at the next flush */
    size_t n_pending, cap_pending;
    char *pending_text;
    size_t pending_len, pending_cap;
    /* the block being filled */
    struct order_columns block;
    uint8_t *block_refs;
    bool in_transaction, dry, loaded;
    size_t since_commit, commit_orders;
    /* Other writers (a live server) commit between the import's transactions: when they did,
     * the next transaction reads the customers they created, and each shopper's row again
     * before its first order in it (a customer may have enrolled). */
    uint64_t others_version;            /* db_others_version when last looked */
    int64_t ids_seen;                   /* the largest customer id read or drawn */
    uint32_t generation;                /* moves when others committed (0: never, since the load) */
    size_t tx_first_line, tx_last_line; /* of the orders of the open transaction */
};

static uint64_t ref_hash(const struct history_import *im, const char *ref, size_t len)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)ref, len, im->key);
    return h;
}

static const char *shopper_ref(const struct history_import *im, const struct shopper *s)
{
    return s->short_ref[0] ? s->short_ref : im->refs + s->ref_at;
}

static uint32_t tag_of(uint64_t hash)
{
    return (uint32_t)(hash >> 32);
}

static void index_put(struct history_import *im, size_t which)
{
    size_t mask = im->cap_index - 1;
    uint64_t hash = im->shoppers[which].hash;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask)
        if (im->index[i].which == 0) {
            im->index[i] = (struct slot){(uint32_t)(which + 1), tag_of(hash)};
            return;
        }
}

static struct shopper *shopper_find(const struct history_import *im, const char *ref, uint64_t hash)
{
    if (im->cap_index == 0)
        return NULL;
    size_t mask = im->cap_index - 1;
    for (size_t i = (size_t)hash & mask; im->index[i].which != 0; i = (i + 1) & mask) {
        if (im->index[i].tag != tag_of(hash))
            continue;
        struct shopper *s = &im->shoppers[im->index[i].which - 1];
        if (s->hash == hash && strcmp(shopper_ref(im, s), ref) == 0)
            return s;
    }
    return NULL;
}

static struct shopper *shopper_add(struct history_import *im, const char *ref, size_t len,
                                   uint64_t hash)
{
    if (im->n_shoppers == im->cap_shoppers) {
        im->cap_shoppers = im->cap_shoppers ? im->cap_shoppers * 2 : 4096;
        im->shoppers = xrealloc(im->shoppers, im->cap_shoppers * sizeof *im->shoppers);
    }
    if ((im->n_shoppers + 1) * 2 > im->cap_index) {
        free(im->index);
        im->cap_index = im->cap_index ? im->cap_index * 2 : 8192;
        im->index = xcalloc_table(im->cap_index, sizeof *im->index);
        for (size_t i = 0; i < im->n_shoppers; i++)
            index_put(im, i);
    }
    struct shopper *s = &im->shoppers[im->n_shoppers];
    memset(s, 0, sizeof *s);
    s->hash = hash;
    if (len > 0 && len < INLINE_REF) {
        memcpy(s->short_ref, ref, len + 1);
    } else {
        while (im->refs_len + len + 1 > im->refs_cap) {
            im->refs_cap = im->refs_cap ? im->refs_cap * 2 : 65536;
            im->refs = xrealloc(im->refs, im->refs_cap);
        }
        memcpy(im->refs + im->refs_len, ref, len + 1);
        s->ref_at = im->refs_len;
        im->refs_len += len + 1;
    }
    index_put(im, im->n_shoppers++);
    return s;
}

/* Notes what names the shopper besides its ref: its e-mail and phone (NULL or "" for none), and
 * its ref when it is one of those (a customer an import named by either). */
static void index_contacts(struct history_import *im, struct shopper *c, const char *email,
                           const char *phone)
{
    uint32_t owner = (uint32_t)(c - im->shoppers) + 1;
    const char *ref = shopper_ref(im, c);
    if (strchr(ref, '@') != NULL || ref[0] == '+')
        text_owners_add(&im->contacts, ref, owner);
    if (email && email[0]) {
        c->has_email = true;
        text_owners_add(&im->contacts, email, owner);
    }
    if (phone && phone[0]) {
        c->has_phone = true;
        text_owners_add(&im->contacts, phone, owner);
    }
}

static enum fid_status look_up(struct history_import *im, const char *key, struct fid_error *err);

static size_t pending_text_add(struct history_import *im, const char *text)
{
    size_t len = strlen(text), at = im->pending_len;
    xgrow((void **)&im->pending_text, &im->pending_cap, im->pending_len + len + 1, 1);
    memcpy(im->pending_text + at, text, len + 1);
    im->pending_len += len + 1;
    return at;
}

/* Writes an e-mail and a phone ("" for none) on the shopper's row at the next flush. */
static void pend_contact(struct history_import *im, struct shopper *c, const char *email,
                         const char *phone)
{
    if (!email[0] && !phone[0])
        return;
    if (c->contact == 0) {
        xgrow((void **)&im->pending, &im->cap_pending, im->n_pending + 1, sizeof *im->pending);
        im->pending[im->n_pending++] = (struct pending_contact){
            .shopper = (size_t)(c - im->shoppers), .email_at = NO_TEXT, .phone_at = NO_TEXT};
        c->contact = (uint32_t)im->n_pending;
    }
    struct pending_contact *p = &im->pending[c->contact - 1];
    if (email[0])
        p->email_at = pending_text_add(im, email);
    if (phone[0])
        p->phone_at = pending_text_add(im, phone);
}

/* Whether the shopper may take the contact: no other customer has it (an e-mail or phone names
 * one customer, as enrolment holds it). The index holds every customer's contacts from the load
 * on, and those of customers others made since as look-ups bring them. */
static bool contact_free(struct history_import *im, struct shopper *c, const char *text)
{
    uint32_t owner = text_owners_find(&im->contacts, text);
    if (owner == TEXT_OWNERS_NONE || owner == (uint32_t)(c - im->shoppers) + 1)
        return true;
    if (!c->held_elsewhere) {
        im->held_elsewhere++;
        c->held_elsewhere = true;
    }
    return false;
}

/* Notes the e-mail and phone a shopper has not, and no other customer has: indexed, and left in
 * new_email and new_phone ("" for what it had or may not take). */
static void note_contact(struct history_import *im, struct shopper *c, const char *email,
                         const char *phone, const char **new_email, const char **new_phone)
{
    *new_email = email[0] && !c->has_email && contact_free(im, c, email) ? email : "";
    *new_phone = phone[0] && !c->has_phone && contact_free(im, c, phone) ? phone : "";
    if ((*new_email)[0] || (*new_phone)[0])
        index_contacts(im, c, *new_email, *new_phone);
}

/* Keeps an order's e-mail and phone on its shopper, each when the shopper has none. */
static void keep_contact(struct history_import *im, struct shopper *c, const char *email,
                         const char *phone)
{
    const char *new_email, *new_phone;
    note_contact(im, c, email, phone, &new_email, &new_phone);
    pend_contact(im, c, new_email, new_phone);
}

static const char *pending_email(const struct history_import *im, const struct pending_contact *p)
{
    return p->email_at == NO_TEXT ? NULL : im->pending_text + p->email_at;
}

static const char *pending_phone(const struct history_import *im, const struct pending_contact *p)
{
    return p->phone_at == NO_TEXT ? NULL : im->pending_text + p->phone_at;
}

enum fid_status history_import_identify(struct history_import *im, const char *email,
                                        const char *phone, char ref[EVENT_REF_MAX], bool *shared,
                                        struct fid_error *err)
{
    const char *key = email[0] ? email : phone;
    uint32_t owner = text_owners_find(&im->contacts, key);
    if (owner == TEXT_OWNERS_NONE) {
        enum fid_status st = look_up(im, key, err);
        if (st != FID_OK)
            return st;
        owner = text_owners_find(&im->contacts, key);
    }
    *shared = owner == TEXT_OWNERS_SHARED;
    if (!*shared)
        snprintf(ref, EVENT_REF_MAX, "%s",
                 owner != TEXT_OWNERS_NONE ? shopper_ref(im, &im->shoppers[owner - 1]) : key);
    return FID_OK;
}

/* The shopper of a ref, made when the import does not know it: the engine makes its row. */
static struct shopper *shopper_of(struct history_import *im, const char *ref)
{
    size_t len = strlen(ref);
    uint64_t hash = ref_hash(im, ref, len);
    struct shopper *c = shopper_find(im, ref, hash);
    if (c == NULL) {
        c = shopper_add(im, ref, len, hash);
        c->stored = true;
    }
    return c;
}

void history_import_note_contact(struct history_import *im, const char *ref,
                                 char email[EVENT_TEXT_MAX], char phone[FID_PHONE_MAX])
{
    const char *new_email, *new_phone;
    note_contact(im, shopper_of(im, ref), email, phone, &new_email, &new_phone);
    if (!new_email[0])
        email[0] = '\0';
    if (!new_phone[0])
        phone[0] = '\0';
}

size_t history_import_contacts_held_elsewhere(const struct history_import *im)
{
    return im->held_elsewhere;
}

void history_import_keep_contact(struct history_import *im, const char *ref, const char *email,
                                 const char *phone)
{
    pend_contact(im, shopper_of(im, ref), email, phone);
}

/* What the import reads of a customer's row, as take_rows wants it. */
#define SHOPPER_COLUMNS "id, ref, is_member, spend_minor, email, phone"

/* Takes the customers s reads (SHOPPER_COLUMNS) as they are now: shoppers added, or brought up
 * to date (whether a member, the spend stored, the id of one the engine made, the contacts). */
static enum fid_status take_rows(struct history_import *im, struct db_stmt *s,
                                 struct fid_error *err)
{
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *ref = db_column_text(s, 1);
        size_t len = strlen(ref);
        uint64_t hash = ref_hash(im, ref, len);
        struct shopper *c = im->loaded ? shopper_find(im, ref, hash) : NULL;
        if (c == NULL)
            c = shopper_add(im, ref, len, hash);
        c->orders.id = db_column_int(s, 0);
        c->member = db_column_int(s, 2) != 0;
        c->spend_stored = db_column_int(s, 3); /* what it holds; c->orders, what is added */
        c->stored = true;
        c->checked = im->generation;
        index_contacts(im, c, db_column_text(s, 4), db_column_text(s, 5));
        if (c->orders.id > im->ids_seen)
            im->ids_seen = c->orders.id;
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the customers failed") : FID_OK;
}

/* When others committed since the last look: a new generation, and the customers they made. */
static enum fid_status refresh(struct history_import *im, struct fid_error *err)
{
    uint64_t version;
    enum fid_status st = db_others_version(im->store->db, &version, err);
    if (st != FID_OK || version == im->others_version)
        return st;
    im->others_version = version;
    if (++im->generation > GENERATION_MAX) { /* once in 134 million commits of theirs */
        im->generation = 1;
        for (size_t i = 0; i < im->n_shoppers; i++)
            im->shoppers[i].checked = 0;
    }
    struct db_stmt *s = db_prepare(im->store->db, "SELECT " SHOPPER_COLUMNS " FROM customers "
                                                  "WHERE merchant_id = ? AND id > ? ORDER BY id");
    db_bind_int(s, 1, im->store->merchant_id);
    db_bind_int(s, 2, im->ids_seen);
    return take_rows(im, s, err);
}

/* A shopper's row read again, once per generation: another writer may have enrolled it. */
static enum fid_status check(struct history_import *im, struct shopper *c, struct fid_error *err)
{
    if (c->checked == im->generation || !c->stored || c->orders.id == 0)
        return FID_OK;
    struct db_stmt *s = db_prepare(im->store->db, "SELECT " SHOPPER_COLUMNS " FROM customers "
                                                  "WHERE merchant_id = ? AND id = ?");
    db_bind_int(s, 1, im->store->merchant_id);
    db_bind_int(s, 2, c->orders.id);
    c->checked = im->generation; /* a row gone (never: customers stay) leaves it as it was */
    return take_rows(im, s, err);
}

/* The customers who have key as e-mail, phone or ref, read when others committed since the load:
 * one may have been given it. */
static enum fid_status look_up(struct history_import *im, const char *key, struct fid_error *err)
{
    if (im->generation == 0 || im->dry)
        return FID_OK;
    struct db_stmt *s =
        db_prepare(im->store->db,
                   "SELECT " SHOPPER_COLUMNS " FROM customers WHERE merchant_id = ?1 AND id IN "
                   "(SELECT id FROM customers WHERE merchant_id = ?1 AND ref = ?2 UNION ALL SELECT "
                   "id FROM customers INDEXED BY customers_email WHERE merchant_id = ?1 AND email "
                   "= ?2 UNION ALL SELECT id FROM customers INDEXED BY customers_phone WHERE "
                   "merchant_id = ?1 AND phone = ?2)"); /* as an OR: every customer read */
    db_bind_int(s, 1, im->store->merchant_id);
    db_bind_text(s, 2, key);
    return take_rows(im, s, err);
}

static void remember_refs(const uint8_t *refs, size_t n, void *context)
{
    struct history_import *im = context;
    for (size_t i = 0; i < n; i++)
        digest_set_add(&im->known, refs + i * HISTORY_REF_HASH);
}

static enum fid_status load(struct history_import *im, struct fid_error *err)
{
    enum fid_status st = history_refs_scan(im->store, remember_refs, im, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(im->store->db, "SELECT ref FROM orders WHERE merchant_id = ?");
    db_bind_int(s, 1, im->store->merchant_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        uint8_t digest[HISTORY_REF_HASH];
        history_ref_hash(im->key, db_column_text(s, 0), digest);
        digest_set_add(&im->known, digest);
    }
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading the orders failed");
    s = db_prepare(im->store->db,
                   "SELECT " SHOPPER_COLUMNS " FROM customers WHERE merchant_id = ?");
    db_bind_int(s, 1, im->store->merchant_id);
    st = take_rows(im, s, err);
    if (st == FID_OK)
        st = db_others_version(im->store->db, &im->others_version, err);
    im->loaded = true;
    return st;
}

static enum fid_status begin(struct history_import *im, struct fid_error *err)
{
    if (im->in_transaction || im->dry)
        return FID_OK;
    enum fid_status st = store_begin(im->store, err);
    if (st == FID_OK)
        im->in_transaction = true;
    if (st == FID_OK && im->loaded) /* what others committed since the last transaction */
        st = refresh(im, err);
    return st;
}

/* A merchant's first history gets a new key, stored only with the first block written: an import
 * that writes none (every row refused, an empty file) leaves the database as it was. */
static enum fid_status read_or_make_key(struct history_import *im, struct fid_error *err)
{
    bool found = false;
    enum fid_status st = history_key_read(im->store, im->key, &found, err);
    if (st == FID_OK && !found) {
        st = history_key_new(im->key, err);
        im->key_unsaved = true;
    }
    return st;
}

enum fid_status history_import_open(struct store *store, int64_t now, size_t commit_orders,
                                    bool dry, struct history_import **out, struct fid_error *err)
{
    struct history_import *im = xcalloc(1, sizeof *im);
    im->store = store;
    im->now = now;
    im->dry = dry;
    im->commit_orders = commit_orders > 0 ? commit_orders : HISTORY_COMMIT_ORDERS;
    digest_set_init(&im->known);
    digest_set_init(&im->seen);
    text_owners_init(&im->contacts);
    int64_t *wide = xmalloc(2 * HISTORY_BLOCK_ORDERS * sizeof(int64_t));
    im->block = (struct order_columns){.at = wide,
                                       .paid_minor = wide + HISTORY_BLOCK_ORDERS,
                                       .customer = xmalloc(HISTORY_BLOCK_ORDERS * 4),
                                       .member = xmalloc(HISTORY_BLOCK_ORDERS)};
    im->block_refs = xmalloc((size_t)HISTORY_BLOCK_ORDERS * HISTORY_REF_HASH);
    enum fid_status st;
    /* The customers' ref index takes random inserts: give it room in the page cache. */
    /* What is loaded holds while the transaction it is read in stays open: the first one (a dry
     * import reads in a snapshot of its own). */
    if ((st = db_exec(store->db, "PRAGMA cache_size = -131072", err)) != FID_OK ||
        (st = dry ? db_read_begin(store->db, err) : begin(im, err)) != FID_OK ||
        (st = read_or_make_key(im, err)) != FID_OK || (st = load(im, err)) != FID_OK) {
        if (dry)
            db_rollback(store->db);
        history_import_close(im);
        return st;
    }
    if (dry)
        db_rollback(store->db); /* the end of the snapshot */
    *out = im;
    return FID_OK;
}

void history_import_expect(struct history_import *im, size_t n)
{
    digest_set_reserve(&im->seen, n);
}

/* What the import makes of an order's ref it sees: noted, and apart, known or new. */
static enum history_outcome see(struct history_import *im, const uint8_t digest[HISTORY_REF_HASH])
{
    if (!digest_set_add(&im->seen, digest))
        return HISTORY_APART;
    return digest_set_contains(&im->known, digest) ? HISTORY_KNOWN : HISTORY_FOR_ENGINE;
}

enum history_outcome history_import_see(struct history_import *im, const char *order_ref)
{
    uint8_t digest[HISTORY_REF_HASH];
    history_ref_hash(im->key, order_ref, digest);
    return see(im, digest);
}

static enum fid_status write_block(struct history_import *im, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    if (!im->dry && im->block.n > 0 && im->key_unsaved) {
        st = history_key_save(im->store, im->key, err);
        im->key_unsaved = st != FID_OK;
    }
    if (st == FID_OK && !im->dry)
        st = history_block_append(im->store, &im->block, im->block_refs, err);
    im->block.n = 0;
    return st;
}

/* Marks a shopper to be written at the next flush (inserted when it has no row yet). */
static void touch(struct history_import *im, struct shopper *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    if (im->n_dirty == im->cap_dirty) {
        im->cap_dirty = im->cap_dirty ? im->cap_dirty * 2 : 4096;
        im->dirty = xrealloc(im->dirty, im->cap_dirty * sizeof *im->dirty);
    }
    im->dirty[im->n_dirty++] = (struct touched){c->orders.id, (size_t)(c - im->shoppers)};
}

/* Decides what becomes of one order, and records it when it goes to the history, in the open
 * transaction; its hashes were computed by the caller. */
static enum fid_status record(struct history_import *im, struct history_order *o,
                              const uint8_t digest[HISTORY_REF_HASH], uint64_t hash,
                              struct fid_error *err)
{
    o->outcome = see(im, digest);
    if (o->outcome == HISTORY_APART)
        return FID_OK;
    enum fid_status st;
    if (o->customer[0] == '\0') { /* named by its e-mail or phone */
        bool shared;
        if ((st = history_import_identify(im, o->email, o->phone, o->customer, &shared, err)) !=
            FID_OK)
            return st;
        if (shared) {
            if (o->outcome != HISTORY_KNOWN)
                o->outcome = HISTORY_SHARED;
            return FID_OK;
        }
        hash = ref_hash(im, o->customer, strlen(o->customer));
    }
    size_t len = strlen(o->customer);
    struct shopper *c = shopper_find(im, o->customer, hash);
    if (c && (st = check(im, c, err)) != FID_OK)
        return st;
    if (o->outcome != HISTORY_FOR_ENGINE) { /* recorded before */
        if (c)
            keep_contact(im, c, o->email, o->phone);
        return FID_OK;
    }
    /* a member's order, or a refunded one: the engine records it (with its refund) */
    bool engine = (c && c->member) || o->refunded_minor > 0;
    /* refused before its id is recorded: the same order may come again, mended */
    if (!engine && c &&
        c->spend_stored + c->orders.spend_minor > HISTORY_SPEND_MAX - o->paid_minor) {
        o->outcome = HISTORY_TOO_LARGE;
        return FID_OK;
    }
    /* A customer the history does not know is made here, for the engine's orders too: its row
     * is written before the engine applies them, and the history's later orders add to it. */
    if (c == NULL) {
        c = shopper_add(im, o->customer, len, hash);
        c->checked = im->generation;
        if (im->dry) /* ids as the store would give them: after every one read or drawn */
            c->orders.id = im->ids_seen + 1;
        else if ((st = store_next_id(im->store, TABLE_CUSTOMERS, &c->orders.id, err)) != FID_OK)
            return st;
        if (c->orders.id > im->ids_seen)
            im->ids_seen = c->orders.id;
        touch(im, c);
    }
    keep_contact(im, c, o->email, o->phone);
    if (engine)
        return FID_OK;
    if (c->orders.id > (int64_t)UINT32_MAX)
        return fid_fail(err, FID_ERR_DB, "", "more customers than the order history can hold");
    size_t i = im->block.n++;
    im->block.at[i] = o->at;
    im->block.paid_minor[i] = o->paid_minor;
    im->block.customer[i] = (uint32_t)c->orders.id;
    im->block.member[i] = 0;
    memcpy(im->block_refs + i * HISTORY_REF_HASH, digest, HISTORY_REF_HASH);
    if (c->orders.order_count == 0 || o->at < c->orders.first_order_at)
        c->orders.first_order_at = o->at;
    if (c->orders.order_count == 0 || o->at > c->orders.last_order_at)
        c->orders.last_order_at = o->at;
    c->orders.order_count++;
    c->orders.spend_minor += o->paid_minor;
    touch(im, c);
    o->outcome = HISTORY_RECORDED;
    return im->block.n == HISTORY_BLOCK_ORDERS ? write_block(im, err) : FID_OK;
}

/* One order in its transaction (every commit_orders orders, another one). */
static enum fid_status add_one(struct history_import *im, struct history_order *o,
                               const uint8_t digest[HISTORY_REF_HASH], uint64_t hash,
                               struct fid_error *err)
{
    if (o->refused) {
        if (o->order[0])
            (void)see(im, digest);
        o->outcome = HISTORY_REFUSED;
        return FID_OK;
    }
    enum fid_status st = begin(im, err);
    if (st != FID_OK) { /* the database busy past its timeout: the order that waited */
        if (err->field[0] == '\0')
            snprintf(err->field, sizeof err->field, "line %zu", o->line);
        return st;
    }
    if (im->tx_first_line == 0)
        im->tx_first_line = o->line;
    im->tx_last_line = o->line;
    if ((st = record(im, o, digest, hash, err)) == FID_OK &&
        ++im->since_commit >= im->commit_orders)
        st = history_import_flush(im, err);
    return st;
}

enum fid_status history_import_add(struct history_import *im, struct history_order *orders,
                                   size_t n, struct fid_error *err)
{
    enum { RUN = 64 };
    uint8_t digests[RUN][HISTORY_REF_HASH];
    uint64_t hashes[RUN];
    for (size_t from = 0; from < n; from += RUN) {
        size_t count = n - from < RUN ? n - from : RUN;
        /* Hash the run and ask for the table lines it will read... */
        for (size_t k = 0; k < count; k++) {
            const struct history_order *o = &orders[from + k];
            history_ref_hash(im->key, o->order, digests[k]);
            hashes[k] = ref_hash(im, o->customer, strlen(o->customer));
            digest_set_prefetch(&im->seen, digests[k]);
            digest_set_prefetch(&im->known, digests[k]);
            if (im->cap_index)
                __builtin_prefetch(&im->index[(size_t)hashes[k] & (im->cap_index - 1)]);
        }
        /* ...then the shoppers those lines point to (of orders named by a ref)... */
        for (size_t k = 0; k < count && im->cap_index; k++) {
            if (orders[from + k].customer[0] == '\0')
                continue;
            const struct slot *slot = &im->index[(size_t)hashes[k] & (im->cap_index - 1)];
            if (slot->which != 0)
                __builtin_prefetch(&im->shoppers[slot->which - 1]);
        }
        /* ...and record them one by one, in order. */
        for (size_t k = 0; k < count; k++) {
            enum fid_status st = add_one(im, &orders[from + k], digests[k], hashes[k], err);
            if (st != FID_OK)
                return st;
        }
    }
    return FID_OK;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const struct touched *)a)->id, y = ((const struct touched *)b)->id;
    return (x > y) - (x < y);
}

enum fid_status history_import_flush(struct history_import *im, struct fid_error *err)
{
    if (!im->in_transaction && !im->dry && im->n_pending == 0)
        return refresh(im, err); /* what the engine's path identifies by reads it */
    enum fid_status st = begin(im, err);
    if (st == FID_OK)
        st = write_block(im, err);
    /* In id order, the writes walk the customers' B-trees from one end to the other. */
    if (im->n_dirty > 1 && !im->dry)
        qsort(im->dirty, im->n_dirty, sizeof *im->dirty, by_id);
    for (size_t i = 0; i < im->n_dirty && st == FID_OK; i++) {
        struct shopper *c = &im->shoppers[im->dirty[i].which];
        struct pending_contact *p = c->contact ? &im->pending[c->contact - 1] : NULL;
        /* Added, not overwritten: another writer may have recorded orders between commits. */
        if (!im->dry && c->stored)
            st = customer_add_orders(im->store, &c->orders, err);
        else if (!im->dry)
            st = customer_insert_shopper(im->store, &c->orders, shopper_ref(im, c),
                                         p ? pending_email(im, p) : NULL,
                                         p ? pending_phone(im, p) : NULL, im->now, err);
        if (p && !c->stored)
            p->written = true;
        c->stored = true;
        c->dirty = false;
        c->spend_stored += c->orders.spend_minor;
        c->orders = (struct customer_orders){.id = c->orders.id};
    }
    /* Contacts of customers stored before: each kept where the row has none. */
    for (size_t i = 0; i < im->n_pending; i++) {
        struct pending_contact *p = &im->pending[i];
        if (st == FID_OK && !im->dry && !p->written)
            st = customer_keep_contact(im->store, shopper_ref(im, &im->shoppers[p->shopper]),
                                       pending_email(im, p), pending_phone(im, p), err);
        im->shoppers[p->shopper].contact = 0;
    }
    im->n_pending = 0;
    im->pending_len = 0;
    im->n_dirty = 0;
    im->since_commit = 0;
    size_t first = im->tx_first_line, last = im->tx_last_line;
    im->tx_first_line = im->tx_last_line = 0;
    if (im->dry)
        return st;
    if (st == FID_OK)
        st = store_commit(im->store, err);
    if (st != FID_OK)
        store_rollback(im->store);
    im->in_transaction = false;
    if (st != FID_OK && first > 0 && err->field[0] == '\0') /* what it takes with it */
        snprintf(err->field, sizeof err->field, "lines %zu to %zu", first, last);
    return st;
}

void history_import_close(struct history_import *im)
{
    if (im == NULL)
        return;
    if (im->in_transaction)
        store_rollback(im->store);
    digest_set_free(&im->known);
    digest_set_free(&im->seen);
    text_owners_free(&im->contacts);
    free(im->pending);
    free(im->pending_text);
    free(im->shoppers);
    free(im->index);
    free(im->refs);
    free(im->dirty);
    free(im->block.at);
    free(im->block.customer);
    free(im->block.member);
    free(im->block_refs);
    free(im);
}
