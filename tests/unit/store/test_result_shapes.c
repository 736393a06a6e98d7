/*
 * store/result_shapes: results kept as a shape's number and their values, on a real SQLite file
 * (migrated schema). A result reads back byte for byte, in the process that kept it and in
 * another; results of one form share a shape; a shape added by a transaction that rolled back
 * (whole, or to a savepoint) is forgotten, so its number, taken again by another shape, is never
 * used for the first; whole texts and texts that cannot be split are kept as they are, and so are
 * results of a new shape once the table holds RESULT_SHAPES_MAX.
 */
#include "store_support.h"

#include <unistd.h>

#include "store/result_shapes.h"

#define ORDER_A                                                                                    \
    "{\"key\":\"k-1\",\"type\":\"order\",\"status\":\"applied\",\"points\":40,"                    \
    "\"breakdown\":[{\"rule\":\"base\",\"label\":\"Points de base\",\"points\":40}]}"
#define ORDER_B                                                                                    \
    "{\"key\":\"k-2\",\"type\":\"order\",\"status\":\"applied\",\"points\":7,"                     \
    "\"breakdown\":[{\"rule\":\"base\",\"label\":\"Points de base\",\"points\":7}]}"
#define REDEEM "{\"key\":\"r-1\",\"type\":\"redeem\",\"status\":\"applied\",\"voucher\":\"AB-12\"}"

struct fixture {
    char dir[512];
    char path[600];
    struct db *db;
    struct store store;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    int64_t first, second;
    if (!store_test_open_new(f->dir, sizeof f->dir, f->path, sizeof f->path, "fidele-shapes",
                             "shapes.db", &f->db, &first, &second)) {
        free(f);
        return -1;
    }
    store_init(&f->store, f->db, first);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_release(&f->store);
    db_close(f->db);
    int rc = store_test_remove_dir(f->path, f->dir);
    free(f);
    return rc;
}

/* The text kept for result (allocated). */
static char *pack(struct store *store, const char *result)
{
    struct jsonw kept;
    jsonw_init(&kept);
    struct fid_error err;
    assert_int_equal(result_shapes_pack(store, result, strlen(result), &kept, &err), FID_OK);
    return jsonw_detach(&kept);
}

static void check_unpacks(struct store *store, const char *kept, const char *want)
{
    char *result = NULL;
    struct fid_error err;
    assert_int_equal(result_shapes_unpack(store, kept, strlen(kept), &result, &err), FID_OK);
    UNIT_EQ_STR("read back", result, want);
    free(result);
}

static int64_t shapes_kept(struct db *db)
{
    return store_test_int(db, "SELECT COUNT(*) FROM result_shapes");
}

static void test_read_back_and_shared(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *a = pack(&f->store, ORDER_A), *b = pack(&f->store, ORDER_B), *r = pack(&f->store, REDEEM);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    assert_int_equal(a[0], RESULT_SHAPED);
    assert_true(strlen(a) < strlen(ORDER_A) / 3);
    UNIT_EQ_INT("the two orders share a shape, the redeem has its own", shapes_kept(f->db), 2);
    check_unpacks(&f->store, a, ORDER_A);
    check_unpacks(&f->store, b, ORDER_B);
    check_unpacks(&f->store, r, REDEEM);

    struct store fresh; /* another connection's store, which met no shape yet */
    store_init(&fresh, f->db, f->store.merchant_id);
    check_unpacks(&fresh, b, ORDER_B);
    check_unpacks(&fresh, r, REDEEM);
    store_release(&fresh);
    free(a);
    free(b);
    free(r);
}

static void test_rolled_back_shape_forgotten(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *a = pack(&f->store, ORDER_A);
    store_rollback(&f->store);
    UNIT_EQ_INT("the rollback took the shape", shapes_kept(f->db), 0);

    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *r = pack(&f->store, REDEEM); /* takes the number the order's shape had */
    char *again = pack(&f->store, ORDER_A);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_INT("both kept now", shapes_kept(f->db), 2);
    assert_true(strcmp(again, a) != 0);
    check_unpacks(&f->store, r, REDEEM);
    check_unpacks(&f->store, again, ORDER_A);
    free(a);
    free(r);
    free(again);
}

static void test_savepoint_rollback_forgets(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *r = pack(&f->store, REDEEM);
    assert_int_equal(store_savepoint(&f->store, &err), FID_OK);
    char *a = pack(&f->store, ORDER_A);
    store_savepoint_rollback(&f->store);
    char *again = pack(&f->store, ORDER_A);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_INT("the redeem's and the order's, once", shapes_kept(f->db), 2);
    check_unpacks(&f->store, r, REDEEM);
    check_unpacks(&f->store, again, ORDER_A);
    free(r);
    free(a);
    free(again);
}

/* A shape added before a savepoint, forgotten at its rollback and read again from the table, is
 * still the open transaction's: the transaction's rollback takes it too. */
static void test_read_again_after_savepoint_then_rolled_back(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    free(pack(&f->store, ORDER_A));
    assert_int_equal(store_savepoint(&f->store, &err), FID_OK);
    store_savepoint_rollback(&f->store);
    free(pack(&f->store, ORDER_A)); /* found in the table, added by this transaction */
    store_rollback(&f->store);

    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *r = pack(&f->store, REDEEM), *a = pack(&f->store, ORDER_A);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_INT("two shapes", shapes_kept(f->db), 2);
    check_unpacks(&f->store, r, REDEEM);
    check_unpacks(&f->store, a, ORDER_A);
    free(r);
    free(a);
}

static void test_kept_whole(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    const char *unsplittable = "{\"a\":\"x\x1fy\"}";
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *kept = pack(&f->store, unsplittable);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    UNIT_EQ_STR("a text with a mark byte", kept, unsplittable);
    UNIT_EQ_INT("no shape", shapes_kept(f->db), 0);
    check_unpacks(&f->store, ORDER_A, ORDER_A); /* a record kept whole before shapes */
    free(kept);

    char *result = NULL;
    const char unknown[] = "\x1c"
                           "99\x1f"
                           "1\x1f";
    assert_int_equal(result_shapes_unpack(&f->store, unknown, strlen(unknown), &result, &err),
                     FID_ERR_INTERNAL);
    assert_null(result);
}

static void test_full_table_keeps_new_shapes_whole(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(store_begin(&f->store, &err), FID_OK);
    char *r = pack(&f->store, REDEEM);
    assert_int_equal(store_commit(&f->store, &err), FID_OK);
    store_test_exec(f->db, "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i "
                           "< 4096) INSERT INTO result_shapes SELECT i, 'shape ' || i FROM n");
    struct store fresh; /* meets the full table */
    store_init(&fresh, f->db, f->store.merchant_id);
    assert_int_equal(store_begin(&fresh, &err), FID_OK);
    char *order = pack(&fresh, ORDER_A), *again = pack(&fresh, REDEEM);
    assert_int_equal(store_commit(&fresh, &err), FID_OK);
    UNIT_EQ_STR("a new shape past the last one kept", order, ORDER_A);
    UNIT_EQ_STR("a kept shape still serves", again, r);
    UNIT_EQ_INT("none added", shapes_kept(f->db), RESULT_SHAPES_MAX);
    store_release(&fresh);
    free(r);
    free(order);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_back_and_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_shape_forgotten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoint_rollback_forgets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_again_after_savepoint_then_rolled_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kept_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_table_keeps_new_shapes_whole, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
