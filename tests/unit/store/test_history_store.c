/*
 * store/history_store: the columnar order history on a real SQLite file (migrated schema, two
 * merchants) in a temporary directory. Blocks go in inside write transactions and come back in
 * order with the same columns; a damaged block is refused, never read out of bounds.
 */
#include "store_support.h"

#include <unistd.h>

#include "store/db.h"
#include "store/history_store.h"
#include "store/store.h"

/* ---- fixture: a database with two merchants --------------------------------------------- */

struct fixture {
    char dir[512];
    char path[600];
    struct db *db;
    struct store store, other; /* merchants 1 and 2 */
};

static void open_db(struct fixture *f)
{
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    if (db_open(f->path, &options, &f->db, &err) != FID_OK) {
        print_error("db_open: %s\n", err.message);
        fail();
    }
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    if (!store_test_dir(f->dir, sizeof f->dir, "fidele-history")) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/history.db", f->dir);
    open_db(f);
    int64_t first, second;
    store_test_two_merchants(f->db, &first, &second);
    store_init(&f->store, f->db, first);
    store_init(&f->other, f->db, second);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->db)
        db_close(f->db);
    store_test_remove(f->path);
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

/* Closes and reopens the file: what a later process would read. */
static void reopen(struct fixture *f)
{
    int64_t first = f->store.merchant_id, second = f->other.merchant_id;
    db_close(f->db);
    f->db = NULL;
    open_db(f);
    store_init(&f->store, f->db, first);
    store_init(&f->other, f->db, second);
}

static void begin(struct store *store)
{
    struct fid_error err;
    assert_int_equal(store_begin(store, &err), FID_OK);
}

static void commit(struct store *store)
{
    struct fid_error err;
    if (store_commit(store, &err) != FID_OK) {
        print_error("commit: %s\n", err.message);
        fail();
    }
}

/* Runs SQL of the test itself (damage, counts). */
static void exec(struct fixture *f, const char *sql)
{
    struct fid_error err;
    if (db_exec(f->db, sql, &err) != FID_OK) {
        print_error("%s: %s\n", sql, err.message);
        fail();
    }
}

/* ---- the hash key and the ref hashes ----------------------------------------------------- */

static void test_key(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    uint8_t key[HISTORY_KEY_BYTES], again[HISTORY_KEY_BYTES], other[HISTORY_KEY_BYTES];
    static const uint8_t ZERO[HISTORY_KEY_BYTES];

    begin(&f->store);
    assert_int_equal(history_key(&f->store, key, &err), FID_OK);
    assert_memory_not_equal(key, ZERO, sizeof key); /* random, not left blank */
    /* inside the same transaction: found, not created a second time */
    assert_int_equal(history_key(&f->store, again, &err), FID_OK);
    assert_memory_equal(key, again, sizeof key);
    commit(&f->store);

    /* after the commit, and in a new connection */
    begin(&f->store);
    assert_int_equal(history_key(&f->store, again, &err), FID_OK);
    commit(&f->store);
    assert_memory_equal(key, again, sizeof key);
    reopen(f);
    begin(&f->store);
    assert_int_equal(history_key(&f->store, again, &err), FID_OK);
    commit(&f->store);
    assert_memory_equal(key, again, sizeof key);

    /* each merchant has its own key */
    begin(&f->other);
    assert_int_equal(history_key(&f->other, other, &err), FID_OK);
    commit(&f->other);
    assert_memory_not_equal(key, other, sizeof key);

    /* one row per merchant */
    int64_t rows = -1;
    struct db_stmt *s = db_prepare(f->db, "SELECT COUNT(*) FROM order_history_keys");
    assert_int_equal(db_run_int(s, -1, &rows, &err), FID_OK);
    assert_int_equal(rows, 2);
}

/* A key rolled back with its transaction is not kept: the next call makes another, and keeps it. */
static void test_key_rolled_back(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    uint8_t first[HISTORY_KEY_BYTES], second[HISTORY_KEY_BYTES], again[HISTORY_KEY_BYTES];
    begin(&f->store);
    assert_int_equal(history_key(&f->store, first, &err), FID_OK);
    store_rollback(&f->store);
    begin(&f->store);
    assert_int_equal(history_key(&f->store, second, &err), FID_OK);
    commit(&f->store);
    assert_memory_not_equal(first, second, sizeof first);
    begin(&f->store);
    assert_int_equal(history_key(&f->store, again, &err), FID_OK);
    commit(&f->store);
    assert_memory_equal(second, again, sizeof second);
}

/* A key made apart is stored once: saving it again holds, another is a conflict and the first
 * stays (an import that hashed refs with a key not stored must not write them). */
static void test_key_saved_once(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    uint8_t mine[HISTORY_KEY_BYTES], theirs[HISTORY_KEY_BYTES], stored[HISTORY_KEY_BYTES];
    bool found = true;
    begin(&f->store);
    assert_int_equal(history_key_read(&f->store, stored, &found, &err), FID_OK);
    assert_false(found);
    assert_int_equal(history_key_new(mine, &err), FID_OK);
    assert_int_equal(history_key_new(theirs, &err), FID_OK);
    assert_memory_not_equal(mine, theirs, sizeof mine);
    assert_int_equal(history_key_save(&f->store, theirs, &err), FID_OK);
    assert_int_equal(history_key_save(&f->store, theirs, &err), FID_OK);
    assert_int_equal(history_key_save(&f->store, mine, &err), FID_ERR_CONFLICT);
    assert_non_null(strstr(err.message, "run the import again"));
    commit(&f->store);
    begin(&f->store);
    assert_int_equal(history_key_read(&f->store, stored, &found, &err), FID_OK);
    commit(&f->store);
    assert_true(found);
    assert_memory_equal(stored, theirs, sizeof stored);
}

struct hash_case {
    const char *ref;
    const char *hex; /* SipHash-2-4, 128-bit output, key 00 01 .. 0f */
};

/* The hashes are stored: a change of function would make every recorded ref look new. The empty
 * message is the reference vector of the SipHash paper; the others come from an independent
 * implementation of it. */
static const struct hash_case HASH_CASES[] = {
    {"", "a3817f04ba25a8e66df67214c7550293"},
    {"order-1", "f0a0ee2858aead330f3e6dea1a04c92c"},
    {"A-2026-000123", "f6b5ea80a6444ed3a3348865f03b39d9"},
};

static void to_hex(const uint8_t *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static void test_ref_hash(void **state)
{
    (void)state;
    uint8_t key[HISTORY_KEY_BYTES], other_key[HISTORY_KEY_BYTES];
    for (size_t i = 0; i < HISTORY_KEY_BYTES; i++) {
        key[i] = (uint8_t)i;
        other_key[i] = (uint8_t)i;
    }
    other_key[15] ^= 1; /* one bit */
    for (size_t i = 0; i < N_ELEMENTS(HASH_CASES); i++) {
        const struct hash_case *c = &HASH_CASES[i];
        uint8_t h[HISTORY_REF_HASH], again[HISTORY_REF_HASH], other[HISTORY_REF_HASH];
        char hex[2 * HISTORY_REF_HASH + 1];
        history_ref_hash(key, c->ref, h);
        to_hex(h, sizeof h, hex);
        UNIT_EQ_STR(c->ref, hex, c->hex);
        /* stable */
        history_ref_hash(key, c->ref, again);
        assert_memory_equal(h, again, sizeof h);
        /* keyed */
        history_ref_hash(other_key, c->ref, other);
        assert_memory_not_equal(h, other, sizeof h);
    }
    /* refs that differ a little hash apart */
    static const char *const REFS[] = {"o-1", "o-2", "o-1 ", "O-1", "o-10", "o-01", "", "o"};
    uint8_t hashes[N_ELEMENTS(REFS)][HISTORY_REF_HASH];
    for (size_t i = 0; i < N_ELEMENTS(REFS); i++) {
        history_ref_hash(key, REFS[i], hashes[i]);
        for (size_t j = 0; j < i; j++)
            /* banned-ok: public digests */
            if (memcmp(hashes[i], hashes[j], HISTORY_REF_HASH) == 0) { /* banned-ok */
                print_error("\"%s\" and \"%s\" hash alike\n", REFS[i], REFS[j]);
                fail();
            }
    }
}

/* ---- blocks ------------------------------------------------------------------------------ */

#define BASE_AT 1767225600LL /* 2026-01-01T00:00:00Z */

struct test_block {
    struct order_columns c;
    uint8_t *refs;
};

/* A block of n orders: at from start, step seconds apart (negative: descending), amounts and
 * customers varied over their whole ranges. */
static struct test_block make_block(size_t n, int64_t start, int64_t step, const uint8_t *key,
                                    const char *prefix)
{
    struct test_block b = {.c = {.n = n}};
    b.c.at = xcalloc(n, sizeof *b.c.at);
    b.c.paid_minor = xcalloc(n, sizeof *b.c.paid_minor);
    b.c.customer = xcalloc(n, sizeof *b.c.customer);
    b.c.member = xcalloc(n, 1);
    b.refs = xcalloc(n, HISTORY_REF_HASH);
    for (size_t i = 0; i < n; i++) {
        b.c.at[i] = start + (int64_t)i * step;
        b.c.paid_minor[i] = (int64_t)(i * 7919 % 100000) - (i % 97 == 0 ? 50000 : 0);
        b.c.customer[i] = i % 1000 == 999 ? UINT32_MAX - (uint32_t)i : (uint32_t)(i * 13 % 5000);
        b.c.member[i] = (uint8_t)(i % 3 == 0);
        char ref[64];
        snprintf(ref, sizeof ref, "%s-%zu", prefix, i);
        history_ref_hash(key, ref, b.refs + i * HISTORY_REF_HASH);
    }
    if (n > 2) {
        b.c.paid_minor[1] = INT64_MAX; /* extremes survive the blob */
        b.c.paid_minor[2] = INT64_MIN;
    }
    return b;
}

static void free_block(struct test_block *b)
{
    free(b->c.at);
    free(b->c.paid_minor);
    free(b->c.customer);
    free(b->c.member);
    free(b->refs);
}

static void append(struct store *store, const struct test_block *b)
{
    struct fid_error err;
    enum fid_status st = history_block_append(store, &b->c, b->refs, &err);
    if (st != FID_OK) {
        print_error("history_block_append: %s\n", err.message);
        fail();
    }
}

/* What a scan sees, checked against the blocks expected in order. */
struct scan_check {
    const struct test_block *const *want;
    size_t n_want, seen;
    int stop_after; /* the visitor returns non-zero after that many blocks; 0: never */
};

static int check_visit(const struct order_columns *block, void *context)
{
    struct scan_check *s = context;
    if (s->seen >= s->n_want) {
        print_error("block %zu visited, %zu expected\n", s->seen + 1, s->n_want);
        fail();
    }
    const struct order_columns *w = &s->want[s->seen]->c;
    char label[48];
    snprintf(label, sizeof label, "block %zu", s->seen);
    UNIT_EQ_INT(label, block->n, w->n);
    assert_memory_equal(block->at, w->at, w->n * sizeof *w->at);
    assert_memory_equal(block->paid_minor, w->paid_minor, w->n * sizeof *w->paid_minor);
    assert_memory_equal(block->customer, w->customer, w->n * sizeof *w->customer);
    assert_memory_equal(block->member, w->member, w->n);
    /* the columns are aligned arrays the scans may read as such */
    assert_int_equal((uintptr_t)block->at % _Alignof(int64_t), 0);
    assert_int_equal((uintptr_t)block->paid_minor % _Alignof(int64_t), 0);
    assert_int_equal((uintptr_t)block->customer % _Alignof(uint32_t), 0);
    s->seen++;
    return s->stop_after && (int)s->seen >= s->stop_after;
}

static void expect_scan(struct store *store, int64_t before, const struct test_block *const *want,
                        size_t n_want, const char *label)
{
    struct scan_check s = {.want = want, .n_want = n_want};
    struct fid_error err;
    enum fid_status st = history_scan(store, before, check_visit, &s, &err);
    if (st != FID_OK)
        print_error("[%s] history_scan: %s\n", label, err.message);
    UNIT_EQ_INT(label, st, FID_OK);
    UNIT_EQ_INT(label, s.seen, n_want);
}

/* Refs collected by history_refs_scan. */
struct refs_log {
    uint8_t *refs;
    size_t n, calls;
};

static void collect_refs(const uint8_t *refs, size_t n, void *context)
{
    struct refs_log *log = context;
    log->refs = xrealloc(log->refs, (log->n + n) * HISTORY_REF_HASH);
    memcpy(log->refs + log->n * HISTORY_REF_HASH, refs, n * HISTORY_REF_HASH);
    log->n += n;
    log->calls++;
}

static int compare_hash(const void *a, const void *b)
{
    return memcmp(a, b, HISTORY_REF_HASH); /* banned-ok: public digests */
}

static int64_t count_of(struct store *store)
{
    int64_t n = -1;
    struct fid_error err;
    assert_int_equal(history_count(store, &n, &err), FID_OK);
    return n;
}

static void test_blocks(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    uint8_t key[HISTORY_KEY_BYTES];

    /* an empty history */
    assert_int_equal(count_of(&f->store), 0);
    expect_scan(&f->store, INT64_MAX, NULL, 0, "empty");

    /* a full block (ascending times) and a small one whose earliest order is not its first */
    begin(&f->store);
    assert_int_equal(history_key(&f->store, key, &err), FID_OK);
    struct test_block full = make_block(HISTORY_BLOCK_ORDERS, BASE_AT, 60, key, "full");
    struct test_block small = make_block(3, BASE_AT + 10 * 86400, -3600, key, "small");
    small.c.at[0] = BASE_AT + 10 * 86400 - 1800; /* 9d 23:30 */
    small.c.at[1] = BASE_AT + 9 * 86400;         /* the earliest: 9d */
    small.c.at[2] = BASE_AT + 12 * 86400;        /* 12d */
    struct test_block empty = {.c = {.n = 0}};
    append(&f->store, &full);
    append(&f->store, &empty); /* n = 0: nothing stored */
    append(&f->store, &small);
    commit(&f->store);

    const struct test_block *both[] = {&full, &small};
    expect_scan(&f->store, INT64_MAX, both, 2, "all");
    assert_int_equal(count_of(&f->store), HISTORY_BLOCK_ORDERS + 3);

    /* before: a block is visited when its earliest order is before it */
    int64_t full_first = BASE_AT, small_first = BASE_AT + 9 * 86400;
    expect_scan(&f->store, small_first + 1, both, 2, "just after small's earliest");
    expect_scan(&f->store, small_first, both, 1, "at small's earliest");
    /* its first order is not its earliest: the bound is on the earliest */
    expect_scan(&f->store, small.c.at[0], both, 2, "at small's first order");
    expect_scan(&f->store, full_first + 1, both, 1, "just after full's earliest");
    expect_scan(&f->store, full_first, NULL, 0, "at full's earliest");
    expect_scan(&f->store, INT64_MIN, NULL, 0, "before everything");

    /* a visitor may stop the scan: no error */
    struct scan_check stop = {.want = both, .n_want = 2, .stop_after = 1};
    assert_int_equal(history_scan(&f->store, INT64_MAX, check_visit, &stop, &err), FID_OK);
    assert_int_equal(stop.seen, 1);

    /* every ref hash, each once, whatever the order of the blocks */
    struct refs_log log = {0};
    assert_int_equal(history_refs_scan(&f->store, collect_refs, &log, &err), FID_OK);
    assert_int_equal(log.calls, 2);
    assert_int_equal(log.n, HISTORY_BLOCK_ORDERS + 3);
    uint8_t *want = xcalloc(HISTORY_BLOCK_ORDERS + 3, HISTORY_REF_HASH);
    memcpy(want, full.refs, (size_t)HISTORY_BLOCK_ORDERS * HISTORY_REF_HASH);
    memcpy(want + (size_t)HISTORY_BLOCK_ORDERS * HISTORY_REF_HASH, small.refs,
           3 * HISTORY_REF_HASH);
    qsort(want, log.n, HISTORY_REF_HASH, compare_hash);
    qsort(log.refs, log.n, HISTORY_REF_HASH, compare_hash);
    assert_memory_equal(log.refs, want, log.n * HISTORY_REF_HASH);
    for (size_t i = 1; i < log.n; i++) /* distinct refs, distinct hashes */
        assert_memory_not_equal(log.refs + (i - 1) * HISTORY_REF_HASH,
                                log.refs + i * HISTORY_REF_HASH, HISTORY_REF_HASH);
    free(log.refs);
    free(want);

    /* a later transaction appends after the existing blocks; a later connection reads them all */
    struct test_block third = make_block(5, BASE_AT - 86400, 1, key, "third");
    begin(&f->store);
    append(&f->store, &third);
    commit(&f->store);
    reopen(f);
    const struct test_block *all[] = {&full, &small, &third};
    expect_scan(&f->store, INT64_MAX, all, 3, "three, reopened");
    const struct test_block *only_third[] = {&third};
    expect_scan(&f->store, BASE_AT, only_third, 1, "only the third is before BASE_AT");
    assert_int_equal(count_of(&f->store), HISTORY_BLOCK_ORDERS + 8);

    /* blocks rolled back leave nothing */
    begin(&f->store);
    append(&f->store, &third);
    store_rollback(&f->store);
    assert_int_equal(count_of(&f->store), HISTORY_BLOCK_ORDERS + 8);

    /* the other merchant's history is its own */
    assert_int_equal(count_of(&f->other), 0);
    expect_scan(&f->other, INT64_MAX, NULL, 0, "other merchant, before its blocks");
    log = (struct refs_log){0};
    assert_int_equal(history_refs_scan(&f->other, collect_refs, &log, &err), FID_OK);
    assert_int_equal(log.n, 0);
    begin(&f->other);
    append(&f->other, &small);
    commit(&f->other);
    const struct test_block *one[] = {&small};
    expect_scan(&f->other, INT64_MAX, one, 1, "other merchant");
    assert_int_equal(count_of(&f->other), 3);
    expect_scan(&f->store, INT64_MAX, all, 3, "first merchant unchanged");

    free_block(&full);
    free_block(&small);
    free_block(&third);
}

/* ---- damage ------------------------------------------------------------------------------ */

static int count_visit(const struct order_columns *block, void *context)
{
    (void)block;
    ++*(size_t *)context;
    return 0;
}

struct damage_case {
    const char *name;
    const char *sql; /* applied to block 2 of merchant 1 */
};

static const struct damage_case DAMAGE_CASES[] = {
    {"columns cut to 10 bytes",
     "UPDATE order_history SET columns = zeroblob(10) WHERE merchant_id = 1 AND block = 2"},
    {"columns one byte short",
     "UPDATE order_history SET columns = substr(columns, 1, length(columns) - 1) "
     "WHERE merchant_id = 1 AND block = 2"},
    {"columns one byte long", "UPDATE order_history SET columns = zeroblob(length(columns) + 1) "
                              "WHERE merchant_id = 1 AND block = 2"},
    {"empty columns", "UPDATE order_history SET columns = x'' WHERE merchant_id = 1 AND block = 2"},
    {"n larger than the blob",
     "UPDATE order_history SET n = n + 1 WHERE merchant_id = 1 AND block = 2"},
    {"n above a block's size",
     "UPDATE order_history SET n = 65537 WHERE merchant_id = 1 AND block = 2"},
    {"n negative", "UPDATE order_history SET n = -1 WHERE merchant_id = 1 AND block = 2"},
    {"n huge",
     "UPDATE order_history SET n = 9223372036854775807 WHERE merchant_id = 1 AND block = 2"},
};

static void test_damaged_block(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    uint8_t key[HISTORY_KEY_BYTES];
    assert_int_equal(f->store.merchant_id, 1); /* the damage SQL names merchant 1 */
    begin(&f->store);
    assert_int_equal(history_key(&f->store, key, &err), FID_OK);
    struct test_block a = make_block(100, BASE_AT, 10, key, "a");
    struct test_block b = make_block(200, BASE_AT + 5000, 10, key, "b");
    append(&f->store, &a);
    append(&f->store, &b);
    commit(&f->store);
    exec(f, "CREATE TABLE saved AS SELECT * FROM order_history");

    for (size_t i = 0; i < N_ELEMENTS(DAMAGE_CASES); i++) {
        const struct damage_case *c = &DAMAGE_CASES[i];
        exec(f, c->sql);
        size_t visited = 0;
        fid_error_clear(&err);
        enum fid_status st = history_scan(&f->store, INT64_MAX, count_visit, &visited, &err);
        UNIT_EQ_ERROR(c->name, st, err, FID_ERR_DB, "");
        /* the intact block before it was visited, the damaged one never */
        UNIT_EQ_INT(c->name, visited, 1);
        /* a scan that stops before the damaged block does not see it */
        visited = 0;
        UNIT_EQ_INT(c->name, history_scan(&f->store, BASE_AT + 5000, count_visit, &visited, &err),
                    FID_OK);
        UNIT_EQ_INT(c->name, visited, 1);
        /* repaired, it reads again */
        exec(f, "DELETE FROM order_history");
        exec(f, "INSERT INTO order_history SELECT * FROM saved");
        const struct test_block *both[] = {&a, &b};
        expect_scan(&f->store, INT64_MAX, both, 2, c->name);
    }
    exec(f, "DROP TABLE saved");
    free_block(&a);
    free_block(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_rolled_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_saved_once, setup, teardown),
        cmocka_unit_test(test_ref_hash),
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_block, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
