/*
 * The ingest benchmark's floor (ingest_floor.h): SQLite keeping a purchase's rows, nothing else.
 */
#include "ingest_floor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "store/db.h"
#include "store/log_syncer.h"

#define FLOOR_MERCHANT     1
#define FLOOR_START_AT     1735718400LL /* 2025-01-01T08:00:00Z, as the engine's run */
#define FLOOR_YEAR         (365 * 86400LL)
#define FLOOR_FOLD_IMAGES  65536 /* journalled states between folds, as the server's journal */
#define FLOOR_TEXT_MAX     4096
#define FLOOR_VOUCHER_DAYS 90

/* A customer's state as a writer holding it would keep it: balances, counters, chain heads. */
struct floor_state {
    int64_t points, spend_minor, last_ledger_id, last_order_id, next_due_at;
    int32_t orders, stamps;
    int64_t tier_window_orders;
};

static int64_t average(struct db *db, const char *sql, bool *ok)
{
    struct fid_error err;
    int64_t value = 0;
    if (db_run_int(db_prepare(db, sql), 0, &value, &err) != FID_OK)
        *ok = false;
    return value;
}

bool floor_rows_measure(const char *path, struct floor_rows *out)
{
    struct db *db = NULL;
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_FULL, .read_only = true};
    if (db_open(path, &options, &db, &err) != FID_OK) {
        fprintf(stderr, "bench_ingest: floor: %s: %s\n", path, err.message);
        return false;
    }
    bool ok = true;
    out->key_bytes =
        average(db, "SELECT round(avg(length(key))) FROM events WHERE type = 'order'", &ok);
    out->digest_bytes =
        average(db, "SELECT round(avg(length(digest))) FROM events WHERE type = 'order'", &ok);
    out->result_bytes =
        average(db, "SELECT round(avg(length(result))) FROM events WHERE type = 'order'", &ok);
    out->body_bytes = average(db, "SELECT round(avg(length(body))) FROM orders", &ok);
    out->context_bytes = average(db, "SELECT round(avg(length(earn_context))) FROM orders", &ok);
    out->stamps_bytes = average(db, "SELECT round(avg(length(stamps))) FROM orders", &ok);
    out->explanation_bytes = average(
        db, "SELECT round(avg(length(explanation))) FROM ledger WHERE order_id IS NOT NULL", &ok);
    out->ledger_per_mille =
        average(db,
                "SELECT (SELECT count(*) FROM ledger WHERE order_id IS NOT NULL) * 1000 / "
                "max(1, (SELECT count(*) FROM orders))",
                &ok);
    out->vouchers_per_mille = average(
        db, "SELECT (SELECT count(*) FROM vouchers) * 1000 / max(1, (SELECT count(*) FROM orders))",
        &ok);
    db_close(db);
    if (!ok)
        fprintf(stderr, "bench_ingest: floor: cannot read the run's row sizes from %s\n", path);
    return ok;
}

/* ---- the run ----------------------------------------------------------------------------------
 */

struct floor_writer {
    struct db *db;
    struct floor_state *states;
    unsigned char *dirty; /* a state journalled since the last fold */
    int64_t members, journalled;
    int64_t last_order_id, last_ledger_id; /* ids are the writer's to give, as the store's */
    uint64_t rng;
    char filler[FLOOR_TEXT_MAX];
};

static void must(enum fid_status st, const struct fid_error *err, const char *what)
{
    if (st != FID_OK) {
        fprintf(stderr, "bench_ingest: floor: %s: %s\n", what, err->message);
        exit(1);
    }
}

static uint64_t next_random(struct floor_writer *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static size_t text_bytes(int64_t n)
{
    return (size_t)(n < 0 ? 0 : n >= FLOOR_TEXT_MAX ? FLOOR_TEXT_MAX - 1 : n);
}

static const char FLOOR_SCHEMA[] =
    "CREATE TABLE customer_state (id INTEGER PRIMARY KEY, state BLOB NOT NULL);"
    "CREATE TABLE customer_journal (id INTEGER PRIMARY KEY, images BLOB NOT NULL);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, merchant_id INTEGER NOT NULL,"
    " key TEXT NOT NULL, digest TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL,"
    " applied_at INTEGER NOT NULL, result TEXT NOT NULL);"
    "CREATE UNIQUE INDEX events_key ON events (merchant_id, key);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, merchant_id INTEGER NOT NULL,"
    " ref TEXT NOT NULL, customer_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    " channel TEXT NOT NULL, member_at_order INTEGER NOT NULL, gross_minor INTEGER NOT NULL,"
    " paid_minor INTEGER NOT NULL, basis_minor INTEGER NOT NULL, points_earned INTEGER NOT NULL,"
    " stamps TEXT NOT NULL, program_version INTEGER NOT NULL, earn_context TEXT NOT NULL,"
    " body TEXT NOT NULL, prev_id INTEGER);"
    "CREATE UNIQUE INDEX orders_ref ON orders (merchant_id, ref);"
    "CREATE INDEX orders_at ON orders (merchant_id, at, id, customer_id, paid_minor,"
    " member_at_order);"
    /* A points entry is its own lot: remaining and expires_at are the lot's. */
    "CREATE TABLE ledger (id INTEGER PRIMARY KEY, merchant_id INTEGER NOT NULL,"
    " customer_id INTEGER NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " account INTEGER NOT NULL, amount INTEGER NOT NULL, remaining INTEGER, expires_at INTEGER,"
    " order_id INTEGER, program_version INTEGER NOT NULL, explanation TEXT, prev_id INTEGER);"
    "CREATE TABLE vouchers (merchant_id INTEGER NOT NULL, code TEXT NOT NULL,"
    " customer_id INTEGER NOT NULL, reward_id TEXT NOT NULL, state INTEGER NOT NULL,"
    " valid_until INTEGER NOT NULL, ledger_id INTEGER, PRIMARY KEY (merchant_id, code))"
    " WITHOUT ROWID;"
    "CREATE INDEX vouchers_due ON vouchers (merchant_id, valid_until, ledger_id);";

static const char FIND_KEY[] = "SELECT 1 FROM events WHERE merchant_id = ? AND key = ?";
static const char ADD_EVENT[] = "INSERT INTO events (merchant_id, key, digest, type, at,"
                                " applied_at, result) VALUES (?, ?, ?, 'order', ?, ?, ?)";
static const char ADD_ORDER[] =
    "INSERT INTO orders (merchant_id, ref, customer_id, at, channel, member_at_order,"
    " gross_minor, paid_minor, basis_minor, points_earned, stamps, program_version,"
    " earn_context, body, prev_id, id) VALUES (?, ?, ?, ?, 'store', 1, ?, ?, ?, ?, ?, 1, ?, ?,"
    " ?, ?)";
static const char ADD_ENTRY[] =
    "INSERT INTO ledger (merchant_id, customer_id, at, kind, account, amount, remaining,"
    " expires_at, order_id, program_version, explanation, prev_id, id) VALUES (?, ?, ?, 0, ?,"
    " ?, ?, ?, ?, 1, ?, ?, ?)";
static const char ADD_VOUCHER[] =
    "INSERT INTO vouchers (merchant_id, code, customer_id, reward_id, state, valid_until,"
    " ledger_id) VALUES (?, ?, ?, 'free-coffee', 0, ?, ?)";
static const char ADD_STATE[] = "INSERT INTO customer_state (id, state) VALUES (?, ?)";
static const char ADD_IMAGES[] = "INSERT INTO customer_journal (images) VALUES (?)";
static const char SAVE_STATE[] = "UPDATE customer_state SET state = ? WHERE id = ?";
static const char CLEAR_IMAGES[] = "DELETE FROM customer_journal";

/* The engine's connection: the same durability, page cache, log buffer and checkpoints. */
static void open_writer(const char *path, int64_t members, bool sync_apart, struct floor_writer *w)
{
    memset(w, 0, sizeof *w);
    struct fid_error err;
    struct db_options options = {
        .durability = DB_DURABILITY_FULL, .checkpoint_thread = true, .sync_apart = sync_apart};
    must(db_open(path, &options, &w->db, &err), &err, path);
    must(db_exec(w->db, FLOOR_SCHEMA, &err), &err, "schema");
    w->members = members;
    w->states = calloc((size_t)members + 1, sizeof *w->states);
    w->dirty = calloc((size_t)members + 1, 1);
    if (!w->states || !w->dirty) {
        fprintf(stderr, "bench_ingest: floor: out of memory\n");
        exit(1);
    }
    w->rng = 0x9E3779B97F4A7C15u;
    memset(w->filler, 'x', sizeof w->filler);
    /* The customers' rows exist before the purchases, as enrolled members' do. */
    must(db_begin(w->db, &err), &err, "begin");
    for (int64_t id = 1; id <= members; id++) {
        struct db_stmt *add = db_prepare(w->db, ADD_STATE);
        db_bind_int(add, 1, id);
        db_bind_blob(add, 2, &w->states[id], sizeof w->states[id]);
        must(db_run(add, &err), &err, "customer_state");
    }
    must(db_commit(w->db, &err), &err, "commit");
    must(db_sync_log(w->db, &err), &err, "sync");
}

static void close_writer(struct floor_writer *w)
{
    db_close(w->db);
    free(w->states);
    free(w->dirty);
}

static void bind_filler(struct floor_writer *w, struct db_stmt *stmt, int column, int64_t bytes)
{
    db_bind_textn_kept(stmt, column, w->filler, text_bytes(bytes));
}

/* One purchase: the replay look-up, the order, its ledger entries (the first its points and lot,
 * the others stamps), now and then a voucher, the idempotency record; the state in memory.
 * Returns the customer. */
static int64_t purchase(struct floor_writer *w, const struct floor_rows *rows, int64_t i,
                        int64_t total, bool random_keys, int64_t *entries_owed,
                        int64_t *vouchers_owed)
{
    char key[40], ref[24];
    if (random_keys)
        snprintf(key, sizeof key, "%016llx",
                 (unsigned long long)((uint64_t)(i + 1) * 0x9E3779B97F4A7C15u));
    else
        snprintf(key, sizeof key, "pos-%08lld", (long long)i);
    snprintf(ref, sizeof ref, "%08lld", (long long)i);
    int64_t customer = 1 + (int64_t)(next_random(w) % (uint64_t)w->members);
    int64_t at = FLOOR_START_AT + i * FLOOR_YEAR / total;
    int64_t paid = 250 + (int64_t)(next_random(w) % 2000), points = paid / 10;
    struct floor_state *s = &w->states[customer];
    struct fid_error err;

    struct db_stmt *find = db_prepare(w->db, FIND_KEY);
    db_bind_int(find, 1, FLOOR_MERCHANT);
    db_bind_textn_kept(find, 2, key, strlen(key));
    must(db_run(find, &err), &err, "events_key");

    struct db_stmt *o = db_prepare(w->db, ADD_ORDER);
    db_bind_int(o, 1, FLOOR_MERCHANT);
    db_bind_textn_kept(o, 2, ref, strlen(ref));
    db_bind_int(o, 3, customer);
    db_bind_int(o, 4, at);
    db_bind_int(o, 5, paid);
    db_bind_int(o, 6, paid);
    db_bind_int(o, 7, paid);
    db_bind_int(o, 8, points);
    bind_filler(w, o, 9, rows->stamps_bytes);
    bind_filler(w, o, 10, rows->context_bytes);
    bind_filler(w, o, 11, rows->body_bytes);
    db_bind_int(o, 12, s->last_order_id);
    int64_t order_id = ++w->last_order_id;
    db_bind_int(o, 13, order_id);
    must(db_run(o, &err), &err, "orders");

    *entries_owed += rows->ledger_per_mille;
    for (int n = 0; *entries_owed >= 1000; n++, *entries_owed -= 1000) {
        struct db_stmt *e = db_prepare(w->db, ADD_ENTRY);
        db_bind_int(e, 1, FLOOR_MERCHANT);
        db_bind_int(e, 2, customer);
        db_bind_int(e, 3, at);
        db_bind_int(e, 4, n == 0 ? 0 : 1);
        db_bind_int(e, 5, n == 0 ? points : 1);
        if (n == 0) {
            db_bind_int(e, 6, points);
            db_bind_int(e, 7, at + FLOOR_YEAR);
            bind_filler(w, e, 9, rows->explanation_bytes);
        } else {
            db_bind_null(e, 6);
            db_bind_null(e, 7);
            db_bind_textn_kept(e, 9, "[]", 2);
        }
        db_bind_int(e, 8, order_id);
        db_bind_int(e, 10, s->last_ledger_id);
        s->last_ledger_id = ++w->last_ledger_id;
        db_bind_int(e, 11, s->last_ledger_id);
        must(db_run(e, &err), &err, "ledger");
    }

    *vouchers_owed += rows->vouchers_per_mille;
    if (*vouchers_owed >= 1000) {
        *vouchers_owed -= 1000;
        static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        char code[12];
        for (int k = 0; k < 10; k++)
            code[k] = alphabet[next_random(w) % 32];
        struct db_stmt *v = db_prepare(w->db, ADD_VOUCHER);
        db_bind_int(v, 1, FLOOR_MERCHANT);
        db_bind_textn_kept(v, 2, code, 10);
        db_bind_int(v, 3, customer);
        db_bind_int(v, 4, at + FLOOR_VOUCHER_DAYS * 86400LL);
        db_bind_int(v, 5, s->last_ledger_id);
        must(db_run(v, &err), &err, "vouchers");
    }

    struct db_stmt *r = db_prepare(w->db, ADD_EVENT);
    db_bind_int(r, 1, FLOOR_MERCHANT);
    db_bind_textn_kept(r, 2, key, strlen(key));
    bind_filler(w, r, 3, rows->digest_bytes);
    db_bind_int(r, 4, at);
    db_bind_int(r, 5, at);
    bind_filler(w, r, 6, rows->result_bytes);
    must(db_run(r, &err), &err, "events");

    s->points += points;
    s->spend_minor += paid;
    s->orders++;
    s->stamps++;
    s->tier_window_orders++;
    s->last_order_id = order_id;
    s->next_due_at = at + FLOOR_YEAR;
    return customer;
}

/* Before a commit: the images of the states it changed, as one journal row; now and then a fold
 * writes the changed states' rows in id order and empties the journal. */
static void journal_commit(struct floor_writer *w, const int64_t *changed, size_t n,
                           unsigned char *images)
{
    struct fid_error err;
    size_t size = 0, image = sizeof(int64_t) + sizeof(struct floor_state);
    for (size_t k = 0; k < n; k++) {
        memcpy(images + size, &changed[k], sizeof(int64_t));
        memcpy(images + size + sizeof(int64_t), &w->states[changed[k]], sizeof(struct floor_state));
        size += image;
        w->dirty[changed[k]] = 1;
    }
    struct db_stmt *add = db_prepare(w->db, ADD_IMAGES);
    db_bind_blob(add, 1, images, size);
    must(db_run(add, &err), &err, "customer_journal");
    w->journalled += (int64_t)n;
    if (w->journalled < FLOOR_FOLD_IMAGES)
        return;
    for (int64_t id = 1; id <= w->members; id++) {
        if (!w->dirty[id])
            continue;
        struct db_stmt *save = db_prepare(w->db, SAVE_STATE);
        db_bind_blob(save, 1, &w->states[id], sizeof w->states[id]);
        db_bind_int(save, 2, id);
        must(db_run(save, &err), &err, "customer_state");
        w->dirty[id] = 0;
    }
    must(db_run(db_prepare(w->db, CLEAR_IMAGES), &err), &err, "customer_journal");
    w->journalled = 0;
}

void floor_run(const char *path, int64_t events, int64_t members, int64_t batch, bool random_keys,
               bool sync_behind, const struct floor_rows *rows, struct floor_timing *out)
{
    bench_remove_db(path);
    struct floor_writer w;
    open_writer(path, members, sync_behind, &w);
    struct fid_error err;
    struct log_syncer *syncer = NULL;
    if (sync_behind)
        must(log_syncer_start(w.db, &syncer, &err), &err, "log_syncer_start");
    int64_t *changed = malloc((size_t)batch * sizeof *changed);
    unsigned char *images = malloc((size_t)batch * (sizeof(int64_t) + sizeof(struct floor_state)));
    if (!changed || !images) {
        fprintf(stderr, "bench_ingest: floor: out of memory\n");
        exit(1);
    }
    int64_t entries_owed = 0, vouchers_owed = 0;
    uint64_t last_ticket = 0;
    double start = bench_wall_seconds(), cpu_start = bench_process_cpu_seconds(),
           writer_start = bench_thread_cpu_seconds();
    for (int64_t first = 0; first < events; first += batch) {
        must(db_begin(w.db, &err), &err, "begin");
        size_t n = 0;
        for (int64_t i = first; i < events && i < first + batch; i++)
            changed[n++] =
                purchase(&w, rows, i, events, random_keys, &entries_owed, &vouchers_owed);
        journal_commit(&w, changed, n, images);
        must(db_commit(w.db, &err), &err, "commit");
        if (syncer) { /* as the engine's run: the batch before this one is durable now */
            uint64_t ticket = log_syncer_ask(syncer);
            if (last_ticket)
                must(log_syncer_wait(syncer, last_ticket, &err), &err, "sync");
            last_ticket = ticket;
        }
    }
    must(log_syncer_stop(syncer, &err), &err, "sync");
    out->seconds = bench_wall_seconds() - start;
    out->cpu_seconds = bench_process_cpu_seconds() - cpu_start;
    out->writer_seconds = bench_thread_cpu_seconds() - writer_start;
    free(changed);
    free(images);
    close_writer(&w);
}
