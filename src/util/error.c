/*
 * The project-wide status enum: names, messages and the single mapping to exit codes.
 */
#include "util/error.h"

#include <stdio.h>
#include <string.h>

const char *fid_status_name(enum fid_status status)
{
    switch (status) {
    case FID_OK:
        return "ok";
    case FID_ERR_INPUT:
        return "invalid_input";
    case FID_ERR_NOT_FOUND:
        return "not_found";
    case FID_ERR_CONFLICT:
        return "conflict";
    case FID_ERR_INSUFFICIENT:
        return "insufficient";
    case FID_ERR_STATE:
        return "invalid_state";
    case FID_ERR_LIMIT:
        return "too_large";
    case FID_ERR_FORBIDDEN:
        return "forbidden";
    case FID_ERR_DB:
        return "database";
    case FID_ERR_IO:
        return "io";
    case FID_ERR_INTERNAL:
        return "internal";
    }
    return "unknown";
}

enum fid_status fid_status_from_name(const char *name)
{
    for (int s = FID_OK; s <= FID_ERR_INTERNAL; s++)
        if (name && strcmp(fid_status_name((enum fid_status)s), name) == 0)
            return (enum fid_status)s;
    return FID_ERR_INTERNAL;
}

const char *fid_strerror(enum fid_status status)
{
    switch (status) {
    case FID_OK:
        return "success";
    case FID_ERR_INPUT:
        return "invalid input";
    case FID_ERR_NOT_FOUND:
        return "not found";
    case FID_ERR_CONFLICT:
        return "conflict";
    case FID_ERR_INSUFFICIENT:
        return "insufficient balance or stock";
    case FID_ERR_STATE:
        return "object in the wrong state";
    case FID_ERR_LIMIT:
        return "input too large";
    case FID_ERR_FORBIDDEN:
        return "not allowed to this caller";
    case FID_ERR_DB:
        return "database error";
    case FID_ERR_IO:
        return "input/output error";
    case FID_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}

int fid_exit_code(enum fid_status status)
{
    switch (status) {
    case FID_OK:
        return 0;
    case FID_ERR_INPUT:
    case FID_ERR_NOT_FOUND:
    case FID_ERR_CONFLICT:
    case FID_ERR_INSUFFICIENT:
    case FID_ERR_STATE:
    case FID_ERR_LIMIT:
    case FID_ERR_FORBIDDEN:
        return 2;
    case FID_ERR_DB:
    case FID_ERR_IO:
    case FID_ERR_INTERNAL:
        return 1;
    }
    return 1;
}

enum fid_status fid_fail(struct fid_error *err, enum fid_status status, const char *field,
                         const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

void fid_error_clear(struct fid_error *err)
{
    if (err == NULL)
        return;
    err->status = FID_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

void fid_error_prefix_field(struct fid_error *err, const char *prefix)
{
    if (err == NULL || prefix == NULL || prefix[0] == '\0')
        return;
    char joined[FID_ERROR_FIELD_MAX];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->field);
    memcpy(err->field, joined, sizeof joined);
}
