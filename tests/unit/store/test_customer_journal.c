/*
 * store/customer_journal: images of customers' state, the owner's tables of them and folds, on
 * a real SQLite file (migrated schema, two merchants). An image decodes to the customer it was
 * made of and no shorter or altered bytes pass for one; the owner's saves leave rows alone and
 * its reads see its images; a rollback, to a savepoint or whole, takes its images back; a commit
 * appends one journal row; another connection's write transaction folds the rows first (a fold
 * of all counts two); the owner then reads rows from the commit of its next transaction (not
 * before: a rollback makes it look again), and its folds keep images one fold longer for older
 * readers.
 */
#include "store_support.h"

#include <string.h>
#include <unistd.h>

#include "store/customer_journal.h"

struct fixture {
    char dir[512];
    char path[600];
    struct db *db, *other_db;  /* the owner's connection, another one */
    struct store store, other; /* merchant 1 on each */
    struct store second;       /* merchant 2 on the owner's connection */
    struct customer_journal *journal;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    int64_t first, second;
    if (!store_test_open_new(f->dir, sizeof f->dir, f->path, sizeof f->path, "fidele-journal",
                             "journal.db", &f->db, &first, &second)) {
        free(f);
        return -1;
    }
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(f->path, &options, &f->other_db, &err), FID_OK);
    store_init(&f->store, f->db, first);
    store_init(&f->second, f->db, second);
    store_init(&f->other, f->other_db, first);
    store_test_add_customer(&f->store, "ann", 10);
    store_test_add_customer(&f->store, "bob", 20);
    store_test_add_customer(&f->second, "ann", 30); /* the same id and ref at the other merchant */
    f->journal = customer_journal_new();
    f->store.journal = f->second.journal = f->journal;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_release(&f->store);
    store_release(&f->second);
    store_release(&f->other);
    customer_journal_free(f->journal);
    db_close(f->db);
    db_close(f->other_db);
    int rc = store_test_remove_dir(f->path, f->dir);
    free(f);
    return rc;
}

/* The points in ann's row as SQL reads it on db. */
static int64_t row_points(struct db *db, int64_t merchant_id, const char *ref)
{
    struct db_stmt *s =
        db_prepare(db, "SELECT points_available FROM customers WHERE merchant_id = ? AND ref = ?");
    db_bind_int(s, 1, merchant_id);
    db_bind_text(s, 2, ref);
    int64_t points = -1;
    struct fid_error err;
    assert_int_equal(db_run_int(s, 0, &points, &err), FID_OK);
    return points;
}

static int64_t count(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct fid_error err;
    assert_int_equal(db_run_int(db_prepare(db, sql), 0, &n, &err), FID_OK);
    return n;
}

/* Journal rows no fold wrote yet; and all of them, folded ones not yet deleted included. */
#define JOURNAL_ROWS                                                                               \
    "SELECT COUNT(*) FROM customer_journal WHERE id > (SELECT folded_to FROM "                     \
    "customer_journal_folds)"
#define ALL_JOURNAL_ROWS "SELECT COUNT(*) FROM customer_journal"
#define FOLDS            "SELECT folds FROM customer_journal_folds"

/* Adds points to a customer in one transaction of store (its own journal or none). */
static void earn(struct store *store, const char *ref, int64_t points)
{
    struct fid_error err;
    struct customer c;
    assert_int_equal(store_begin(store, &err), FID_OK);
    assert_int_equal(customer_find_ref(store, ref, &c, &err), FID_OK);
    c.points_available += points;
    assert_int_equal(customer_save(store, &c, &err), FID_OK);
    assert_int_equal(store_commit(store, &err), FID_OK);
}

static int64_t points_of(struct store *store, const char *ref)
{
    struct fid_error err;
    struct customer c;
    assert_int_equal(store_begin(store, &err), FID_OK);
    assert_int_equal(customer_find_ref(store, ref, &c, &err), FID_OK);
    assert_int_equal(store_commit(store, &err), FID_OK);
    return c.points_available;
}

/* What the server's scheduled work does before catching up: a transaction of the owner that
 * folds every image it holds (store_begin, then customer_journal_fold_owned). */
static void fold_all(struct fixture *f)
{
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    assert_int_equal(customer_journal_fold_owned(f->journal, f->db, &err), FID_OK);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
}

static void test_an_image_decodes_to_its_customer(void **state)
{
    (void)state;
    struct customer c = {.id = 7,
                         .rowid = 9,
                         .is_member = true,
                         .enrolled_at = 1767225600LL,
                         .consents = 3,
                         .order_count = 4,
                         .spend_minor = 12345,
                         .points_available = -5,
                         .points_lifetime = INT64_MAX,
                         .next_due_at = 1800000000LL,
                         .last_ledger_id = 77,
                         .vip_months = 2};
    snprintf(c.ref, sizeof c.ref, "m-00007");
    snprintf(c.email, sizeof c.email, "ann@example.org");
    snprintf(c.name, sizeof c.name, "Ann Écrivain");
    snprintf(c.tier, sizeof c.tier, "gold");
    order_periods_add(&c.order_periods, 3, 1767225600LL, order_share_of(1250, 0, false, 12, 0));
    unsigned char image[CUSTOMER_IMAGE_MAX];
    size_t size = customer_image_encode(4, &c, "{\"coffee\":[3,1]}", image, sizeof image);
    assert_true(size > 0);
    struct customer back;
    memset(&back, 0, sizeof back);
    int64_t merchant = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    assert_true(customer_image_decode(image, size, &merchant, &back, &stamps, &stamps_size));
    UNIT_EQ_INT("merchant", merchant, 4);
    UNIT_EQ_INT("id", back.id, 7);
    UNIT_EQ_INT("rowid", back.rowid, 9);
    UNIT_EQ_INT("points", back.points_available, -5);
    UNIT_EQ_INT("lifetime", back.points_lifetime, INT64_MAX);
    UNIT_EQ_INT("next due", back.next_due_at, 1800000000LL);
    UNIT_EQ_INT("as stored", back.next_due_at_stored, 1800000000LL);
    UNIT_EQ_INT("consents", back.consents, 3);
    assert_true(back.is_member);
    assert_string_equal(back.ref, "m-00007");
    assert_string_equal(back.name, "Ann Écrivain");
    assert_string_equal(back.tier, "gold");
    assert_int_equal(stamps_size, strlen("{\"coffee\":[3,1]}"));
    assert_memory_equal(stamps, "{\"coffee\":[3,1]}", stamps_size);
    assert_int_equal(back.order_periods.n, c.order_periods.n);
    UNIT_EQ_INT("period spend", back.order_periods.periods[0].sum.spend_minor, 1250);

    /* no stamps: the row's stand */
    size = customer_image_encode(4, &c, NULL, image, sizeof image);
    assert_true(customer_image_decode(image, size, &merchant, &back, &stamps, &stamps_size));
    assert_null(stamps);

    /* every shorter prefix, a longer buffer and another version are refused */
    for (size_t n = 0; n < size; n++)
        assert_false(customer_image_decode(image, n, &merchant, &back, &stamps, &stamps_size));
    assert_false(customer_image_decode(image, size + 1, &merchant, &back, &stamps, &stamps_size));
    image[0] ^= 0x7f;
    assert_false(customer_image_decode(image, size, &merchant, &back, &stamps, &stamps_size));
    /* too small a buffer makes no image */
    assert_int_equal(customer_image_encode(4, &c, NULL, image, 40), 0);
}

static void test_the_owner_keeps_images_not_rows(void **state)
{
    struct fixture *f = *state;
    earn(&f->store, "ann", 5);
    UNIT_EQ_INT("the row stays", row_points(f->db, f->store.merchant_id, "ann"), 10);
    UNIT_EQ_INT("the owner reads its image", points_of(&f->store, "ann"), 15);
    UNIT_EQ_INT("one journal row per commit", count(f->db, JOURNAL_ROWS), 1);
    UNIT_EQ_INT("images held", customer_journal_size(f->journal), 1);
    earn(&f->second, "ann", 1); /* same id and ref, other merchant */
    UNIT_EQ_INT("merchants apart", points_of(&f->store, "ann"), 15);
    UNIT_EQ_INT("merchants apart", points_of(&f->second, "ann"), 31);
    UNIT_EQ_INT("two journal rows", count(f->db, JOURNAL_ROWS), 2);

    /* another thread of the owner's process finds the committed image and its gen */
    unsigned char image[CUSTOMER_IMAGE_MAX];
    int64_t gen = -1;
    struct customer ann;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    assert_int_equal(customer_find_ref(&f->store, "ann", &ann, &err), FID_OK);
    store_rollback(&f->store);
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, ann.id, image, &gen) > 0);
    UNIT_EQ_INT("gen: no fold yet", gen, 0);
}

static void test_rollbacks_take_images_back(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    struct customer c;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    assert_int_equal(customer_find_ref(&f->store, "ann", &c, &err), FID_OK);
    c.points_available = 100;
    assert_int_equal(customer_save(&f->store, &c, &err), FID_OK);
    assert_int_equal(store_savepoint(&f->store, &err), FID_OK);
    assert_int_equal(customer_find_ref(&f->store, "bob", &c, &err), FID_OK);
    c.points_available = 200;
    assert_int_equal(customer_save(&f->store, &c, &err), FID_OK);
    assert_int_equal(customer_find_ref(&f->store, "bob", &c, &err), FID_OK);
    UNIT_EQ_INT("read in the transaction", c.points_available, 200);
    store_savepoint_rollback(&f->store);
    assert_int_equal(customer_find_ref(&f->store, "bob", &c, &err), FID_OK);
    UNIT_EQ_INT("after the savepoint's rollback", c.points_available, 20);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_INT("kept before the savepoint", points_of(&f->store, "ann"), 100);
    UNIT_EQ_INT("taken back", points_of(&f->store, "bob"), 20);

    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    assert_int_equal(customer_find_ref(&f->store, "ann", &c, &err), FID_OK);
    c.points_available = 1;
    assert_int_equal(customer_save(&f->store, &c, &err), FID_OK);
    store_rollback(&f->store);
    UNIT_EQ_INT("a whole rollback", points_of(&f->store, "ann"), 100);
    UNIT_EQ_INT("no row for a rolled back commit", count(f->db, JOURNAL_ROWS), 1);
}

static void test_another_writer_folds_first(void **state)
{
    struct fixture *f = *state;
    earn(&f->store, "ann", 5);
    earn(&f->store, "ann", 5);
    earn(&f->store, "bob", 1);
    UNIT_EQ_INT("rows behind", row_points(f->other_db, f->store.merchant_id, "ann"), 10);
    earn(&f->other, "ann", 1000); /* folds, then writes on a current row */
    UNIT_EQ_INT("folded and written", row_points(f->other_db, f->store.merchant_id, "ann"), 1020);
    UNIT_EQ_INT("bob folded", row_points(f->other_db, f->store.merchant_id, "bob"), 21);
    UNIT_EQ_INT("journal emptied", count(f->other_db, JOURNAL_ROWS), 0);
    UNIT_EQ_INT("a fold of all counts two", count(f->other_db, FOLDS), 2);
    /* the owner learns of it at its next transaction and reads rows from then on */
    UNIT_EQ_INT("the owner sees the other write", points_of(&f->store, "ann"), 1020);
    UNIT_EQ_INT("images forgotten", customer_journal_size(f->journal), 0);
    UNIT_EQ_INT("folds learnt", customer_journal_folds(f->journal), 2);
    earn(&f->store, "ann", 1);
    UNIT_EQ_INT("journaling again", count(f->db, JOURNAL_ROWS), 1);
    struct fid_error err;
    assert_int_equal(customer_journal_fold_first(f->other_db, &err), FID_OK);
    UNIT_EQ_INT("fold_first", row_points(f->other_db, f->store.merchant_id, "ann"), 1021);
    assert_int_equal(customer_journal_fold_first(f->other_db, &err), FID_OK);
    UNIT_EQ_INT("an empty journal is not folded again", count(f->other_db, FOLDS), 4);
}

static void test_the_owners_fold_keeps_images_one_fold_longer(void **state)
{
    struct fixture *f = *state;
    earn(&f->store, "ann", 5);
    fold_all(f);
    UNIT_EQ_INT("row written", row_points(f->other_db, f->store.merchant_id, "ann"), 15);
    UNIT_EQ_INT("journal emptied", count(f->other_db, JOURNAL_ROWS), 0);
    UNIT_EQ_INT("counted", customer_journal_folds(f->journal), 1);
    UNIT_EQ_INT("none unfolded", customer_journal_size(f->journal), 0);
    unsigned char image[CUSTOMER_IMAGE_MAX];
    int64_t gen = -1;
    int64_t ann_id = 1;
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, ann_id, image, &gen) > 0);
    UNIT_EQ_INT("kept, older than the fold", gen, 0);
    /* the next fold drops it */
    earn(&f->store, "bob", 1);
    fold_all(f);
    assert_int_equal(customer_journal_find(f->journal, f->store.merchant_id, ann_id, image, &gen),
                     0);
    UNIT_EQ_INT("bob written", row_points(f->other_db, f->store.merchant_id, "bob"), 21);
    UNIT_EQ_INT("the owner reads its rows", points_of(&f->store, "ann"), 15);
}

static void test_a_fold_spreads_over_transactions(void **state)
{
    struct fixture *f = *state;
    store_test_add_customer(&f->store, "cat", 30);
    customer_journal_tune(f->journal, 3, 3600, 1); /* fold at 3 images, one row per transaction */
    earn(&f->store, "ann", 1);
    earn(&f->store, "bob", 1);
    earn(&f->store, "cat", 1); /* 3 waiting: the next transaction begins the fold */
    UNIT_EQ_INT("journal rows", count(f->db, JOURNAL_ROWS), 3);
    earn(&f->store, "ann", 10); /* writes ann's row (its newest image), journals ann again */
    UNIT_EQ_INT("ann written", row_points(f->other_db, f->store.merchant_id, "ann"), 11);
    UNIT_EQ_INT("bob not yet", row_points(f->other_db, f->store.merchant_id, "bob"), 20);
    UNIT_EQ_INT("not counted yet", count(f->other_db, FOLDS), 0);
    unsigned char image[CUSTOMER_IMAGE_MAX];
    int64_t gen = -1;
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, 1, image, &gen) > 0);
    UNIT_EQ_INT("an image of the next fold", gen, 1);
    earn(&f->store, "bob", 100); /* bob's row, from his newest committed image */
    earn(&f->store, "bob", 100); /* cat's row, then the end: the first 3 rows go, not the rest */
    UNIT_EQ_INT("bob written", row_points(f->other_db, f->store.merchant_id, "bob"), 21);
    UNIT_EQ_INT("cat written", row_points(f->other_db, f->store.merchant_id, "cat"), 31);
    UNIT_EQ_INT("counted", count(f->other_db, FOLDS), 1);
    UNIT_EQ_INT("the fold covered its rows, the later wait", count(f->other_db, JOURNAL_ROWS), 3);
    UNIT_EQ_INT("the owner's view", points_of(&f->store, "bob"), 221);
    UNIT_EQ_INT("waiting: ann and bob", customer_journal_size(f->journal), 2);
    /* another connection folds the rest: every row current */
    earn(&f->other, "cat", 0);
    UNIT_EQ_INT("ann", row_points(f->other_db, f->store.merchant_id, "ann"), 21);
    UNIT_EQ_INT("bob", row_points(f->other_db, f->store.merchant_id, "bob"), 221);
    UNIT_EQ_INT("another connection deletes what it folds", count(f->db, ALL_JOURNAL_ROWS), 0);
}

/* Another connection commits without folding (it writes no customer: a key, a merchant). The
 * owner folds its own images in its next transaction; when that transaction rolls back, so does
 * the fold, and the next one must fold again rather than take the rows as current. */
static void test_a_rolled_back_transaction_learns_again(void **state)
{
    struct fixture *f = *state;
    earn(&f->store, "ann", 5);
    struct fid_error err;
    assert_int_equal(db_exec(f->other_db, "UPDATE merchants SET name = name || '!'", &err), FID_OK);
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    UNIT_EQ_INT("folded in the transaction", count(f->db, JOURNAL_ROWS), 0);
    store_rollback(&f->store);
    UNIT_EQ_INT("the fold rolled back", row_points(f->other_db, f->store.merchant_id, "ann"), 10);
    UNIT_EQ_INT("the owner still sees its image", points_of(&f->store, "ann"), 15);
    earn(&f->store, "ann", 1);
    UNIT_EQ_INT("folded again", row_points(f->other_db, f->store.merchant_id, "ann"), 15);
    assert_int_equal(customer_journal_fold_first(f->other_db, &err), FID_OK);
    UNIT_EQ_INT("nothing lost", row_points(f->other_db, f->store.merchant_id, "ann"), 16);
}

/* A fold of all by another connection during the owner's fold: the images the owner committed
 * meanwhile (of the next fold's count) must read as older than the rows it wrote; the owner's
 * own reads take the rows, and its images stay for snapshots begun before. */
static void test_a_fold_of_all_during_the_owners_fold(void **state)
{
    struct fixture *f = *state;
    customer_journal_tune(f->journal, 2, 3600, 1); /* fold at 2 images, one row per transaction */
    earn(&f->store, "ann", 1);
    earn(&f->store, "bob", 1);
    earn(&f->store, "ann", 1); /* begins the fold: ann's row, and an image of the next fold */
    unsigned char image[CUSTOMER_IMAGE_MAX];
    int64_t gen = -1;
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, 1, image, &gen) > 0);
    UNIT_EQ_INT("an image of the next fold", gen, 1);
    earn(&f->other, "ann", 1000); /* folds all, then writes ann's row */
    UNIT_EQ_INT("the row", row_points(f->other_db, f->store.merchant_id, "ann"), 1012);
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, 1, image, &gen) > 0);
    assert_true(gen < count(f->other_db, FOLDS)); /* a reader of a later snapshot reads the row */
    UNIT_EQ_INT("the owner reads the row", points_of(&f->store, "ann"), 1012);
    earn(&f->store, "ann", 1);
    assert_int_equal(customer_journal_fold_first(f->other_db, &(struct fid_error){0}), FID_OK);
    UNIT_EQ_INT("kept", row_points(f->other_db, f->store.merchant_id, "ann"), 1013);
}

static void test_the_owner_deletes_folded_rows_a_few_at_a_time(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 70; i++)
        earn(&f->store, i % 2 ? "ann" : "bob", 1);
    struct fid_error err;
    fold_all(f);
    UNIT_EQ_INT("none waiting", count(f->db, JOURNAL_ROWS), 0);
    UNIT_EQ_INT("folded, not deleted yet", count(f->db, ALL_JOURNAL_ROWS), 70);
    earn(&f->store, "ann", 1); /* deletes 64, journals 1 */
    UNIT_EQ_INT("64 deleted", count(f->db, ALL_JOURNAL_ROWS), 7);
    earn(&f->store, "ann", 1);
    UNIT_EQ_INT("the rest deleted", count(f->db, ALL_JOURNAL_ROWS), 2);
    UNIT_EQ_INT("waiting", count(f->db, JOURNAL_ROWS), 2);
    /* a fold by another connection reads only what no fold wrote */
    earn(&f->other, "bob", 0);
    UNIT_EQ_INT("ann", row_points(f->other_db, f->store.merchant_id, "ann"), 47);
    UNIT_EQ_INT("bob", row_points(f->other_db, f->store.merchant_id, "bob"), 55);
    /* the owner numbers its rows past every fold's mark, even with the table empty */
    earn(&f->store, "ann", 1);
    UNIT_EQ_INT("journaled past the mark", count(f->db, JOURNAL_ROWS), 1);
    assert_int_equal(customer_journal_fold_first(f->other_db, &err), FID_OK);
    UNIT_EQ_INT("folded", row_points(f->other_db, f->store.merchant_id, "ann"), 48);
}

/* fold_all of the server's scheduled work (store_begin, then customer_journal_fold_owned) in a
 * transaction that learnt another connection committed: the start folded the table, and the
 * owner's images, older than what that connection wrote, must not be written over its rows. */
static void test_a_fold_of_the_owner_after_another_writer(void **state)
{
    struct fixture *f = *state;
    earn(&f->store, "ann", 5);    /* image: 15 */
    earn(&f->other, "ann", 1000); /* folds (row 15), then writes 1015 */
    fold_all(f);
    UNIT_EQ_INT("the other writer's row", row_points(f->other_db, f->store.merchant_id, "ann"),
                1015);
    UNIT_EQ_INT("the owner reads it", points_of(&f->store, "ann"), 1015);
}

/* The same when the transaction's start wrote the last rows of a fold in progress and ended it:
 * the fold counts once, and the images committed during it (of the next fold) still read as
 * newer than the rows until the next fold writes them. */
static void test_a_fold_of_the_owner_after_its_start_ended_one(void **state)
{
    struct fixture *f = *state;
    store_test_add_customer(&f->store, "cat", 30);
    customer_journal_tune(f->journal, 2, 3600, 1); /* fold at 2 images, one row per transaction */
    earn(&f->store, "ann", 1);
    earn(&f->store, "bob", 1);
    earn(&f->store, "cat", 1); /* begins the fold (ann's row); cat's is an image of the next */
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK); /* bob's row: the fold's end */
    assert_int_equal(customer_journal_fold_owned(f->journal, f->db, &err), FID_OK);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_INT("one fold", count(f->other_db, FOLDS), 1);
    unsigned char image[CUSTOMER_IMAGE_MAX];
    int64_t gen = -1;
    assert_true(customer_journal_find(f->journal, f->store.merchant_id, 3, image, &gen) > 0);
    assert_true(gen >= count(f->other_db, FOLDS)); /* readers take cat's image, not his row */
    UNIT_EQ_INT("cat's row not written yet", row_points(f->other_db, f->store.merchant_id, "cat"),
                30);
    fold_all(f);
    UNIT_EQ_INT("the next fold", count(f->other_db, FOLDS), 2);
    UNIT_EQ_INT("cat's row", row_points(f->other_db, f->store.merchant_id, "cat"), 31);
    assert_int_equal(customer_journal_fold_first(f->other_db, &err), FID_OK);
    UNIT_EQ_INT("and kept", row_points(f->other_db, f->store.merchant_id, "cat"), 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_image_decodes_to_its_customer),
        cmocka_unit_test_setup_teardown(test_the_owner_keeps_images_not_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollbacks_take_images_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_writer_folds_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_owners_fold_keeps_images_one_fold_longer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_fold_spreads_over_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_owner_deletes_folded_rows_a_few_at_a_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_fold_of_the_owner_after_another_writer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_fold_of_the_owner_after_its_start_ended_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_rolled_back_transaction_learns_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_fold_of_all_during_the_owners_fold, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
