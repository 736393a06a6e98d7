/*
 * Values as exports write them: amounts with a decimal point or comma (and thousands separators),
 * dates and date-times in several common shapes or an explicit strftime-like format, whole
 * numbers. Parsing is exact (no floating point) and fails with a reason.
 */
#ifndef FIDELE_IMPORT_VALUES_H
#define FIDELE_IMPORT_VALUES_H

#include <stdint.h>

#include "util/error.h"
#include "util/phone.h"
#include "util/timeutil.h"

#define VALUE_REASON_MAX 160

/* "1234.5", "1 234,50", "1,234.56", "-3" in a currency of `digits` decimals -> minor units; the
 * thousands may be apart with a no-break, narrow no-break or thin space (UTF-8). More decimals
 * than the currency has is an error (no silent rounding). */
int value_amount(const char *text, int digits, int64_t *minor, char reason[VALUE_REASON_MAX]);

#define VALUE_EMAIL_MAX 257 /* bytes of an e-mail address, NUL included (as events keep them) */

/* An e-mail address: blanks around it dropped, ASCII letters in lower case (as enrolment keeps
 * it), into out. Refused without an "@" or with a blank inside. */
int value_email(const char *text, char out[VALUE_EMAIL_MAX], char reason[VALUE_REASON_MAX]);

/* A phone number in international form, or in national form of region ("" for none), as E.164
 * into out (util/phone.h). */
int value_phone(const char *text, const char *region, char out[FID_PHONE_MAX],
                char reason[VALUE_REASON_MAX]);

/* What an export's order status says of its money. */
enum value_status {
    VALUE_PAID,            /* paid, completed, processing, partially_paid, fulfilled, shipped... */
    VALUE_REFUNDED,        /* refunded (in full unless an amount says how much) */
    VALUE_PARTLY_REFUNDED, /* partially_refunded: the amount refunded must be given */
    VALUE_UNPAID,          /* never paid: pending, authorized, voided, cancelled, failed... */
};

/* An order status as Shopify's Financial Status, WooCommerce's Order Status or another export
 * writes it: case, blanks, "-" or "_" and a "wc-" prefix do not matter; empty is paid. */
int value_status(const char *text, enum value_status *out, char reason[VALUE_REASON_MAX]);

/* A whole number >= 1. */
int value_quantity(const char *text, int64_t *out, char reason[VALUE_REASON_MAX]);

/* A date or date-time. With format (tokens %Y %m %d %H %M %S %z, other bytes literal), exactly
 * that; without, any of: YYYY-MM-DD, YYYYMMDD, YYYY-MM-DD[ T]HH:MM[:SS][.fff][Z|+HH:MM|+HHMM|
 * " +HHMM"], DD/MM/YYYY. Times without an offset are local times of tz. */
int value_instant(const char *text, const char *format, const struct fid_tz *tz, int64_t *out,
                  char reason[VALUE_REASON_MAX]);

/* Whether a date format holds only those tokens (0), else -1 with the reason. */
int value_format_check(const char *format, char reason[VALUE_REASON_MAX]);

#endif
