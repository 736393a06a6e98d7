/*
 * The results idempotency records keep, as their shape's number and their values
 * (util/json_shape.h): the results of one type of event share a few shapes, kept once in the
 * table result_shapes, so a record keeps ~120 bytes of a ~540-byte result. A result is read
 * back byte for byte. Records written before keep their whole text, which reads as it is.
 *
 * Each store remembers the shapes it met (struct result_shapes); those it met inside its open
 * write transaction are forgotten when it rolls back (to a savepoint too), since the transaction
 * may have added their rows: a number is never used for a shape whose row a rollback took.
 */
#ifndef FIDELE_STORE_RESULT_SHAPES_H
#define FIDELE_STORE_RESULT_SHAPES_H

#include <stddef.h>

#include "util/error.h"
#include "util/jsonwrite.h"

struct store;
struct result_shapes;

/* A stored text that names a shape begins with this byte (a whole result begins with '{'). */
#define RESULT_SHAPED '\x1c'
/* Shapes kept at most; results of other shapes past it are kept whole. */
#define RESULT_SHAPES_MAX 4096

/* Appends to out the text to keep for result: its shape's number and its values, the shape added
 * to the table when new (inside the store's write transaction), or the result as it is. */
enum fid_status result_shapes_pack(struct store *store, const char *result, size_t len,
                                   struct jsonw *out, struct fid_error *err) FID_MUST_USE;
/* The result a stored text keeps (allocated). */
enum fid_status result_shapes_unpack(struct store *store, const char *stored, size_t len,
                                     char **result, struct fid_error *err) FID_MUST_USE;

/* After the store's transaction committed; after it or a savepoint of it rolled back. */
void result_shapes_committed(struct result_shapes *shapes);
void result_shapes_rolled_back(struct result_shapes *shapes);
void result_shapes_free(struct result_shapes *shapes);

#endif
