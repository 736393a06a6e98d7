/*
 * Rows held for a many-rows INSERT (append_rows.h). Text is kept by offset into one buffer, so
 * that growing it leaves earlier rows valid.
 */
#include "store/append_rows.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum value_kind { VALUE_NULL, VALUE_INT, VALUE_TEXT };

/* 16 bytes: a batch of a thousand purchases holds some 40,000 of them. */
struct append_value {
    int64_t i;    /* the integer, or the text's offset in rows->text */
    uint32_t len; /* the text's bytes */
    uint8_t kind; /* enum value_kind */
};

void append_rows_init(struct append_rows *rows, int columns, const char *one_sql,
                      const char *few_sql, const char *many_sql)
{
    memset(rows, 0, sizeof *rows);
    rows->columns = columns;
    rows->one_sql = one_sql;
    rows->few_sql = few_sql;
    rows->many_sql = many_sql;
}

void append_rows_free(struct append_rows *rows)
{
    free(rows->values);
    free(rows->text);
    append_rows_init(rows, rows->columns, rows->one_sql, rows->few_sql, rows->many_sql);
}

void append_row_begin(struct append_rows *rows)
{
    assert(rows->column == 0);
    if (rows->n == rows->capacity) {
        rows->capacity = rows->capacity ? 2 * rows->capacity : 64;
        rows->values =
            xrealloc(rows->values, rows->capacity * (size_t)rows->columns * sizeof *rows->values);
    }
    rows->n++;
}

/* The next column of the row being added. */
static struct append_value *next_value(struct append_rows *rows)
{
    assert(rows->n > 0 && rows->column < rows->columns);
    struct append_value *v = &rows->values[(rows->n - 1) * (size_t)rows->columns + rows->column];
    if (++rows->column == rows->columns)
        rows->column = 0;
    return v;
}

void append_int(struct append_rows *rows, int64_t value)
{
    *next_value(rows) = (struct append_value){.kind = VALUE_INT, .i = value};
}

void append_opt_int(struct append_rows *rows, int64_t value)
{
    *next_value(rows) = (struct append_value){.kind = value ? VALUE_INT : VALUE_NULL, .i = value};
}

void append_textn(struct append_rows *rows, const char *value, size_t len)
{
    struct append_value *v = next_value(rows);
    if (rows->text_len + len + 1 > rows->text_capacity) {
        size_t capacity = rows->text_capacity ? rows->text_capacity : 4096;
        while (rows->text_len + len + 1 > capacity)
            capacity *= 2;
        rows->text = xrealloc(rows->text, capacity);
        rows->text_capacity = capacity;
    }
    assert(len <= UINT32_MAX);
    *v = (struct append_value){
        .kind = VALUE_TEXT, .i = (int64_t)rows->text_len, .len = (uint32_t)len};
    if (len) /* value may be NULL with len 0 */
        memcpy(rows->text + rows->text_len, value, len);
    rows->text[rows->text_len + len] = '\0';
    rows->text_len += len + 1;
}

void append_text(struct append_rows *rows, const char *value)
{
    if (value == NULL)
        *next_value(rows) = (struct append_value){.kind = VALUE_NULL};
    else
        append_textn(rows, value, strlen(value));
}

static const struct append_value *value_at(const struct append_rows *rows, size_t row, int column)
{
    assert(row < rows->n && column < rows->columns);
    return &rows->values[row * (size_t)rows->columns + column];
}

int64_t append_rows_int(const struct append_rows *rows, size_t row, int column)
{
    return value_at(rows, row, column)->i;
}

const char *append_rows_text(const struct append_rows *rows, size_t row, int column, size_t *len)
{
    const struct append_value *v = value_at(rows, row, column);
    *len = v->len;
    return v->kind == VALUE_TEXT ? rows->text + v->i : NULL;
}

/* Binds rows [first, first + count) to s, one after the other. */
static void bind_rows(const struct append_rows *rows, struct db_stmt *s, size_t first, size_t count)
{
    int index = 1;
    for (size_t r = first; r < first + count; r++)
        for (int c = 0; c < rows->columns; c++, index++) {
            const struct append_value *v = value_at(rows, r, c);
            if (v->kind == VALUE_INT)
                db_bind_int(s, index, v->i);
            else if (v->kind == VALUE_TEXT)
                db_bind_textn_kept(s, index, rows->text + v->i, v->len);
            else
                db_bind_null(s, index);
        }
}

enum fid_status append_rows_write(struct db *db, struct append_rows *rows, struct fid_error *err)
{
    assert(rows->column == 0);
    while (rows->written < rows->n) {
        size_t left = rows->n - rows->written;
        size_t count = left >= APPEND_ROWS_MANY  ? APPEND_ROWS_MANY
                       : left >= APPEND_ROWS_FEW ? APPEND_ROWS_FEW
                                                 : 1;
        struct db_stmt *s = db_prepare(db, count == APPEND_ROWS_MANY  ? rows->many_sql
                                           : count == APPEND_ROWS_FEW ? rows->few_sql
                                                                      : rows->one_sql);
        bind_rows(rows, s, rows->written, count);
        enum fid_status st = db_run(s, err);
        if (st != FID_OK)
            return st;
        rows->written += count;
    }
    return FID_OK;
}

size_t append_rows_pending(const struct append_rows *rows)
{
    return rows->n - rows->written;
}

void append_rows_drop_written(struct append_rows *rows, struct append_mark *mark)
{
    size_t drop = rows->written;
    if (mark && mark->written < drop)
        drop = mark->written;
    if (drop == 0)
        return;
    size_t columns = (size_t)rows->columns, text_drop = rows->text_len;
    for (size_t v = drop * columns; v < rows->n * columns; v++)
        if (rows->values[v].kind == VALUE_TEXT) { /* the first text kept: texts are in row order */
            text_drop = (size_t)rows->values[v].i;
            break;
        }
    memmove(rows->values, rows->values + drop * columns,
            (rows->n - drop) * columns * sizeof *rows->values);
    if (rows->text) /* NULL while no row held text */
        memmove(rows->text, rows->text + text_drop, rows->text_len - text_drop);
    rows->n -= drop;
    rows->written -= drop;
    rows->text_len -= text_drop;
    for (size_t v = 0; v < rows->n * columns; v++)
        if (rows->values[v].kind == VALUE_TEXT)
            rows->values[v].i -= (int64_t)text_drop;
    if (mark) {
        mark->n -= drop;
        mark->written -= drop;
        mark->text_len -= text_drop;
    }
}

struct append_mark append_rows_mark(const struct append_rows *rows)
{
    return (struct append_mark){.n = rows->n, .written = rows->written, .text_len = rows->text_len};
}

void append_rows_rollback(struct append_rows *rows, struct append_mark mark)
{
    assert(mark.n <= rows->n && rows->column == 0);
    rows->n = mark.n;
    rows->text_len = mark.text_len;
    if (rows->written > mark.written)
        rows->written = mark.written;
}

void append_rows_clear(struct append_rows *rows)
{
    rows->n = rows->written = rows->text_len = 0;
    rows->column = 0;
}
