/*
 * One error enum for the whole program, plus a detail record that says which field of the input
 * was wrong and why. Fallible functions return enum fid_status and fill a struct fid_error when
 * the caller passes one. Mapping to exit codes lives in exactly one place (fid_exit_code).
 */
#ifndef FIDELE_UTIL_ERROR_H
#define FIDELE_UTIL_ERROR_H

#include <stdarg.h>

#define FID_MUST_USE __attribute__((warn_unused_result))

enum fid_status {
    FID_OK = 0,
    FID_ERR_INPUT,        /* malformed or invalid input: a field, a line, a value */
    FID_ERR_NOT_FOUND,    /* a named object (member, order, voucher, reward) does not exist */
    FID_ERR_CONFLICT,     /* idempotency key reused with another body, duplicate order id */
    FID_ERR_INSUFFICIENT, /* balance, stamps or stock too low for the request */
    FID_ERR_STATE,        /* object is in the wrong state: voucher used or expired */
    FID_ERR_LIMIT,        /* input larger than a named limit */
    FID_ERR_FORBIDDEN,    /* the caller may not do this: an API key's scope is too narrow */
    FID_ERR_DB,           /* database failure */
    FID_ERR_IO,           /* file or system call failure */
    FID_ERR_INTERNAL,     /* invariant broken: a bug */
};

#define FID_ERROR_FIELD_MAX   160
#define FID_ERROR_MESSAGE_MAX 320

struct fid_error {
    enum fid_status status;
    char field[FID_ERROR_FIELD_MAX]; /* JSON pointer or "line N" naming the bad input; may be "" */
    char message[FID_ERROR_MESSAGE_MAX]; /* human sentence: what was wrong and what was expected */
};

/* Short stable name of a status ("input", "not_found", ...), used in JSON errors. */
const char *fid_status_name(enum fid_status status);

/* The status named by fid_status_name; FID_ERR_INTERNAL for an unknown name. */
enum fid_status fid_status_from_name(const char *name);

/* Human description of a status. */
const char *fid_strerror(enum fid_status status);

/* Process exit code for a status: 0 ok, 2 bad input of any kind, 1 failure. */
int fid_exit_code(enum fid_status status);

/* Returns from the calling function with the status of expr when it is not FID_OK: for parsers
 * that check field after field. */
#define FID_CHECK(expr)                                                                            \
    do {                                                                                           \
        enum fid_status fid_check_status_ = (expr);                                                \
        if (fid_check_status_ != FID_OK)                                                           \
            return fid_check_status_;                                                              \
    } while (0)

/* Fills err (when not NULL) and returns status, so callers can `return fid_fail(...)`. */
enum fid_status fid_fail(struct fid_error *err, enum fid_status status, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Clears err to FID_OK with empty field and message. Accepts NULL. */
void fid_error_clear(struct fid_error *err);

/* Prefixes err->field with prefix (for nesting: "/events/3" + "/lines/0/sku"). */
void fid_error_prefix_field(struct fid_error *err, const char *prefix);

#endif
