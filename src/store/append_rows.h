/*
 * Rows a transaction appends to one table, held in memory and inserted many per statement: at
 * the transaction's end, or before anything reads the table. An INSERT statement has a fixed cost
 * (its cursors opened, its program run, its bindings cleared) that a row of the ledger paid
 * alone; sixteen rows per statement pay it once.
 *
 * Rows inserted stay held while a rollback to the open savepoint could undo them (it undoes the
 * inserts made since it began, earlier rows' included), so that they can be put back in line
 * for the next insert; the others can be dropped (append_rows_drop_written).
 */
#ifndef FIDELE_STORE_APPEND_ROWS_H
#define FIDELE_STORE_APPEND_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "util/error.h"

/* Rows per statement: the INSERTs a table's rows go in, 16, 4 or 1 at a time. */
#define APPEND_ROWS_MANY 16
#define APPEND_ROWS_FEW  4

/* A row's placeholders repeated, comma-separated, as a string literal: x is "(?, ?, ...)". */
#define APPEND_ROWS_2(x)  x ", " x
#define APPEND_ROWS_4(x)  APPEND_ROWS_2(x) ", " APPEND_ROWS_2(x)
#define APPEND_ROWS_8(x)  APPEND_ROWS_4(x) ", " APPEND_ROWS_4(x)
#define APPEND_ROWS_16(x) APPEND_ROWS_8(x) ", " APPEND_ROWS_8(x)

struct append_value;

struct append_rows {
    /* "INSERT ... VALUES (?, ...)" for one row, APPEND_ROWS_FEW and APPEND_ROWS_MANY: string
     * literals, since db_prepare caches statements by the text's address. */
    const char *one_sql, *few_sql, *many_sql;
    int columns;
    size_t n;       /* rows held */
    size_t written; /* of them, inserted (the first ones) */
    size_t capacity;
    struct append_value *values; /* n * columns */
    char *text;                  /* the values' text, one after the other */
    size_t text_len, text_capacity;
    int column; /* of the row being added */
};

/* Where the rows stood when a savepoint began. */
struct append_mark {
    size_t n, written, text_len;
};

void append_rows_init(struct append_rows *rows, int columns, const char *one_sql,
                      const char *few_sql, const char *many_sql);
void append_rows_free(struct append_rows *rows);

/* A new row, filled column by column with the calls below, in the INSERT's order. */
void append_row_begin(struct append_rows *rows);
void append_int(struct append_rows *rows, int64_t value);
void append_opt_int(struct append_rows *rows, int64_t value);  /* 0 as NULL */
void append_text(struct append_rows *rows, const char *value); /* NULL as NULL; copied */
void append_textn(struct append_rows *rows, const char *value, size_t len);

/* Column column of row row, as added: its integer, or its text (NULL for NULL) and length. */
int64_t append_rows_int(const struct append_rows *rows, size_t row, int column);
const char *append_rows_text(const struct append_rows *rows, size_t row, int column, size_t *len);

/* Inserts the rows not inserted yet. A failure leaves them held as not inserted; the caller's
 * transaction then fails as a whole. */
enum fid_status append_rows_write(struct db *db, struct append_rows *rows,
                                  struct fid_error *err) FID_MUST_USE;
/* Rows held and not inserted: what the table will still receive. */
size_t append_rows_pending(const struct append_rows *rows);

/* Forgets the rows inserted already, except those a rollback to the open savepoint would undo
 * (from mark's written on, when mark is given; mark then follows the rows it counts). Row
 * numbers change: a caller's index of them is to be made again. */
void append_rows_drop_written(struct append_rows *rows, struct append_mark *mark);

struct append_mark append_rows_mark(const struct append_rows *rows);
/* After rolling back to the savepoint mark was taken at: drops the rows added since, and counts
 * as not inserted those inserted since (the rollback undid them). */
void append_rows_rollback(struct append_rows *rows, struct append_mark mark);
/* Forgets every row: the transaction ended (committed after a write, or rolled back). */
void append_rows_clear(struct append_rows *rows);

#endif
