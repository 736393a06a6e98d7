/*
 * store/append_rows: rows held for a many-rows INSERT, on a real SQLite file. Every count of rows
 * goes in whole and in order (16, 4 and 1 per statement), NULLs and empty text stay what they
 * were, and a savepoint's rollback puts back in line exactly the rows it undid.
 */
#include "store_support.h"

#include "store/append_rows.h"

#define T_INSERT "INSERT INTO t (n, label, note) VALUES "
#define T_ROW    "(?, ?, ?)"

struct fixture {
    char path[64];
    struct db *db;
    struct append_rows rows;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/fidele-append-XXXXXX");
    store_test_path(f->path);
    struct fid_error err;
    struct db_options options = {.durability = DB_DURABILITY_NORMAL};
    assert_int_equal(db_open(f->path, &options, &f->db, &err), FID_OK);
    store_test_exec(f->db, "CREATE TABLE t (n INTEGER NOT NULL, label TEXT, note INTEGER) STRICT");
    append_rows_init(&f->rows, 3, T_INSERT T_ROW, T_INSERT APPEND_ROWS_4(T_ROW),
                     T_INSERT APPEND_ROWS_16(T_ROW));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    append_rows_free(&f->rows);
    db_close(f->db);
    store_test_remove(f->path);
    free(f);
    return 0;
}

/* Row n: its number, a label ("" for multiples of 5, NULL for multiples of 7) and n * 3 as note,
 * NULL for multiples of 3 (append_opt_int writes 0 as NULL). */
static void add(struct append_rows *rows, int64_t n)
{
    char label[32];
    snprintf(label, sizeof label, "row %lld", (long long)n);
    append_row_begin(rows);
    append_int(rows, n);
    append_text(rows, n % 7 == 0 ? NULL : n % 5 == 0 ? "" : label);
    append_opt_int(rows, n % 3 == 0 ? 0 : n * 3);
}

static void write_rows(struct fixture *f)
{
    struct fid_error err;
    assert_int_equal(append_rows_write(f->db, &f->rows, &err), FID_OK);
    assert_int_equal(append_rows_pending(&f->rows), 0);
}

/* The table holds rows 1..n exactly, each as add() made it. */
static void assert_table_holds(struct fixture *f, int64_t n)
{
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t"), n);
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(DISTINCT n) FROM t"), n);
    assert_int_equal(store_test_int(f->db, "SELECT COALESCE(MIN(n), 0) FROM t"), n ? 1 : 0);
    assert_int_equal(store_test_int(f->db, "SELECT COALESCE(MAX(n), 0) FROM t"), n);
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t WHERE NOT ("
                                           "(n % 7 = 0 AND label IS NULL) OR "
                                           "(n % 7 != 0 AND n % 5 = 0 AND label = '') OR "
                                           "(n % 7 != 0 AND n % 5 != 0 AND label = 'row ' || n))"),
                     0);
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t WHERE NOT ("
                                           "(n % 3 = 0 AND note IS NULL) OR note = n * 3)"),
                     0);
    /* inserted in order: rowids follow the rows' numbers */
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t WHERE rowid != n"), 0);
}

static void every_count_goes_in_whole_and_in_order(void **state)
{
    struct fixture *f = *state;
    /* 0, fewer than 4, 4..15, 16 and more, and remainders of each size */
    static const int64_t counts[] = {0, 1, 3, 4, 5, 15, 16, 17, 21, 36, 100};
    for (size_t c = 0; c < N_ELEMENTS(counts); c++) {
        store_test_exec(f->db, "DELETE FROM t");
        append_rows_clear(&f->rows);
        for (int64_t n = 1; n <= counts[c]; n++)
            add(&f->rows, n);
        assert_int_equal(append_rows_pending(&f->rows), counts[c]);
        write_rows(f);
        assert_table_holds(f, counts[c]);
        write_rows(f); /* nothing is inserted twice */
        assert_table_holds(f, counts[c]);
    }
}

static void rows_read_back_as_added(void **state)
{
    struct fixture *f = *state;
    for (int64_t n = 1; n <= 40; n++)
        add(&f->rows, n);
    size_t len;
    assert_int_equal(append_rows_int(&f->rows, 9, 0), 10);
    assert_string_equal(append_rows_text(&f->rows, 10, 1, &len), "row 11");
    assert_int_equal(len, 6);
    assert_string_equal(append_rows_text(&f->rows, 4, 1, &len), "");
    assert_int_equal(len, 0);
    assert_null(append_rows_text(&f->rows, 6, 1, &len));
    assert_int_equal(append_rows_int(&f->rows, 39, 2), 120);
}

/* Rows written before a savepoint survive its rollback; rows written after it began, earlier
 * rows' included, are undone by SQLite and go in again; rows added after it are dropped. */
static void a_savepoint_rollback_puts_back_what_it_undid(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(db_begin(f->db, &err), FID_OK);
    for (int64_t n = 1; n <= 5; n++)
        add(&f->rows, n);
    write_rows(f); /* 1..5 in the table before the savepoint */
    for (int64_t n = 6; n <= 20; n++)
        add(&f->rows, n); /* 6..20 held before it */

    assert_int_equal(db_savepoint(f->db, &err), FID_OK);
    struct append_mark mark = append_rows_mark(&f->rows);
    for (int64_t n = 21; n <= 30; n++)
        add(&f->rows, 1000 + n); /* the failing part's rows */
    write_rows(f);
    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t"), 30);
    db_savepoint_rollback(f->db);
    append_rows_rollback(&f->rows, mark);

    assert_int_equal(store_test_int(f->db, "SELECT COUNT(*) FROM t"), 5);
    assert_int_equal(append_rows_pending(&f->rows), 15);
    for (int64_t n = 21; n <= 37; n++)
        add(&f->rows, n);
    write_rows(f);
    assert_int_equal(db_commit(f->db, &err), FID_OK);
    assert_table_holds(f, 37);
}

/* A savepoint released keeps everything; one rolled back with nothing written since keeps the
 * rows written before it as written. */
static void a_rollback_without_writes_keeps_what_was_written(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(db_begin(f->db, &err), FID_OK);
    for (int64_t n = 1; n <= 18; n++)
        add(&f->rows, n);
    write_rows(f);
    add(&f->rows, 19);
    assert_int_equal(db_savepoint(f->db, &err), FID_OK);
    struct append_mark mark = append_rows_mark(&f->rows);
    add(&f->rows, 99);
    db_savepoint_rollback(f->db);
    append_rows_rollback(&f->rows, mark);
    assert_int_equal(append_rows_pending(&f->rows), 1); /* row 19 */
    write_rows(f);
    assert_int_equal(db_commit(f->db, &err), FID_OK);
    assert_table_holds(f, 19);
}

/* Rows inserted are dropped, except from the open savepoint's mark on; texts and marks follow
 * the rows that stay, and a rollback after the drop still puts back exactly what it undid. */
static void written_rows_are_dropped_but_what_a_rollback_needs(void **state)
{
    struct fixture *f = *state;
    struct fid_error err;
    assert_int_equal(db_begin(f->db, &err), FID_OK);
    for (int64_t n = 1; n <= 10; n++)
        add(&f->rows, n);
    write_rows(f);
    append_rows_drop_written(&f->rows, NULL);
    assert_int_equal(f->rows.n, 0);
    assert_int_equal(f->rows.text_len, 0);

    for (int64_t n = 11; n <= 20; n++)
        add(&f->rows, n); /* held before the savepoint */
    assert_int_equal(db_savepoint(f->db, &err), FID_OK);
    struct append_mark mark = append_rows_mark(&f->rows);
    for (int64_t n = 21; n <= 25; n++)
        add(&f->rows, 1000 + n);
    write_rows(f);
    append_rows_drop_written(&f->rows, &mark); /* 11..20 were written after the mark: kept */
    assert_int_equal(f->rows.n, 15);
    assert_int_equal(mark.n, 10);
    db_savepoint_rollback(f->db);
    append_rows_rollback(&f->rows, mark);
    assert_int_equal(append_rows_pending(&f->rows), 10);

    write_rows(f); /* no savepoint now: all of it goes */
    size_t len;
    assert_string_equal(append_rows_text(&f->rows, 2, 1, &len), "row 13");
    struct append_mark none = append_rows_mark(&f->rows);
    append_rows_drop_written(&f->rows, &none);
    assert_int_equal(f->rows.n, 0);
    assert_int_equal(none.n, 0);
    assert_int_equal(none.text_len, 0);

    for (int64_t n = 21; n <= 33; n++)
        add(&f->rows, n);
    write_rows(f);
    append_rows_drop_written(&f->rows, NULL);
    for (int64_t n = 34; n <= 40; n++)
        add(&f->rows, n);
    assert_string_equal(append_rows_text(&f->rows, 0, 1, &len), "row 34");
    write_rows(f);
    assert_int_equal(db_commit(f->db, &err), FID_OK);
    assert_table_holds(f, 40);
}

/* A drop that keeps rows after written ones moves their text to the front, offsets included. */
static void texts_follow_the_rows_kept(void **state)
{
    struct fixture *f = *state;
    for (int64_t n = 1; n <= 6; n++)
        add(&f->rows, n);
    write_rows(f);
    struct append_mark mark = append_rows_mark(&f->rows); /* as if a savepoint began here */
    for (int64_t n = 7; n <= 12; n++)
        add(&f->rows, n);
    mark.written = 3; /* rows 4.. written after the savepoint began */
    append_rows_drop_written(&f->rows, &mark);
    assert_int_equal(f->rows.n, 9);
    assert_int_equal(mark.written, 0);
    assert_int_equal(mark.n, 3);
    size_t len;
    assert_string_equal(append_rows_text(&f->rows, 0, 1, &len), "row 4");
    assert_null(append_rows_text(&f->rows, 3, 1, &len)); /* row 7 */
    assert_string_equal(append_rows_text(&f->rows, 8, 1, &len), "row 12");
    assert_int_equal(append_rows_int(&f->rows, 7, 2), 33); /* row 11 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_count_goes_in_whole_and_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_read_back_as_added, setup, teardown),
        cmocka_unit_test_setup_teardown(a_savepoint_rollback_puts_back_what_it_undid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_rollback_without_writes_keeps_what_was_written, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(written_rows_are_dropped_but_what_a_rollback_needs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(texts_follow_the_rows_kept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
