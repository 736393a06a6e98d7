/*
 * Reading delimited text as rows of fields: CSV through libcsv (quoted fields, CRLF, any one-byte
 * delimiter) or whitespace-separated columns; a UTF-8 byte-order mark is skipped. Rows come one at
 * a time to a callback with their line number, so files of any size stream in bounded memory.
 */
#ifndef FIDELE_IMPORT_ROWS_H
#define FIDELE_IMPORT_ROWS_H

#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

#define ROWS_FIELDS_MAX 256
#define ROWS_FIELD_MAX  4096 /* bytes in one field; longer is an error naming the line */

struct row {
    size_t line; /* 1-based line where the row starts */
    size_t n_fields;
    const char *fields[ROWS_FIELDS_MAX]; /* NUL-terminated, valid during the callback */
    int nul_field; /* the first field that held a NUL byte (cut short there), or -1 */
};

/* Return non-zero to stop reading. */
typedef int (*row_visit)(const struct row *row, void *context);

/* delimiter: a byte, or 0 for runs of blanks. Stops at the first malformed line with
 * FID_ERR_INPUT naming it. *bytes_read (may be NULL) follows progress for a progress bar. */
enum fid_status rows_read(FILE *in, char delimiter, row_visit visit, void *context,
                          size_t *bytes_read, struct fid_error *err) FID_MUST_USE;

#endif
