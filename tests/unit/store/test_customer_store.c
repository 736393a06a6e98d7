/*
 * store/customer_store: a customer's state is written back to its own row, on a real SQLite file
 * (migrated schema, two merchants). A customer read remembers where its row was found and its
 * update goes there; a remembered place that holds another row (another customer of the same
 * merchant, a customer of another merchant with the same id) or no row at all is never written:
 * the update then finds the row by its key.
 */
#include "store_support.h"

#include <unistd.h>

#include "store/db.h"
#include "store/store.h"

struct fixture {
    char dir[512];
    char path[600];
    struct db *db;
    struct store store, other; /* merchants 1 and 2 */
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    int64_t first, second;
    if (!store_test_open_new(f->dir, sizeof f->dir, f->path, sizeof f->path, "fidele-customers",
                             "customers.db", &f->db, &first, &second)) {
        free(f);
        return -1;
    }
    store_init(&f->store, f->db, first);
    store_init(&f->other, f->db, second);
    /* Rows in this order: the other merchant's customer 1 sits between ann and bob. */
    store_test_add_customer(&f->store, "ann", 10);
    store_test_add_customer(&f->other, "zoe", 30);
    store_test_add_customer(&f->store, "bob", 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    int rc = store_test_remove_dir(f->path, f->dir);
    free(f);
    return rc;
}

static struct customer find(struct store *store, const char *ref)
{
    struct customer c;
    struct fid_error err;
    assert_int_equal(store_begin(store, &err), FID_OK);
    assert_int_equal(customer_find_ref(store, ref, &c, &err), FID_OK);
    assert_int_equal(store_commit(store, &err), FID_OK);
    return c;
}

/* ann's points set to 99 through a customer read with the given place of its row. */
static void save_ann(struct fixture *f, int64_t rowid)
{
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    struct customer ann;
    assert_int_equal(customer_find_ref(&f->store, "ann", &ann, &err), FID_OK);
    assert_true(ann.rowid > 0);
    ann.rowid = rowid < 0 ? ann.rowid : rowid;
    ann.points_available = 99;
    assert_int_equal(customer_save(&f->store, &ann, &err), FID_OK);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
}

static void check_points(struct fixture *f, const char *label)
{
    UNIT_EQ_INT(label, find(&f->store, "ann").points_available, 99);
    UNIT_EQ_INT(label, find(&f->store, "bob").points_available, 20);
    UNIT_EQ_INT(label, find(&f->other, "zoe").points_available, 30);
}

static void test_saved_where_it_was_read(void **state)
{
    struct fixture *f = *state;
    save_ann(f, -1);
    check_points(f, "the place it was read");
}

static void test_another_customers_place_is_not_written(void **state)
{
    struct fixture *f = *state;
    save_ann(f, find(&f->store, "bob").rowid);
    check_points(f, "bob's place");
}

static void test_another_merchants_customer_is_not_written(void **state)
{
    struct fixture *f = *state;
    struct customer zoe = find(&f->other, "zoe");
    UNIT_EQ_INT("the other merchant's customer has ann's id", zoe.id, find(&f->store, "ann").id);
    save_ann(f, zoe.rowid);
    check_points(f, "zoe's place");
}

static void test_a_place_of_no_row(void **state)
{
    struct fixture *f = *state;
    save_ann(f, 1000000);
    check_points(f, "no row");
    save_ann(f, 0);
    check_points(f, "place unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_saved_where_it_was_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_customers_place_is_not_written, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_another_merchants_customer_is_not_written, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_place_of_no_row, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
