/*
 * Money is an int64 count of minor units (cents) with an ISO 4217 currency. This module validates
 * currency codes against ICU's table and formats amounts; it never uses floating point.
 */
#ifndef FIDELE_UTIL_MONEY_H
#define FIDELE_UTIL_MONEY_H

#include <stdint.h>

#include "util/error.h"

#define FID_CURRENCY_LEN   3
#define FID_MONEY_TEXT_MAX 40

/* Checks that code is a current ISO 4217 currency; *digits gets its minor-unit digits (EUR: 2). */
enum fid_status fid_currency_check(const char *code, int *digits, const char *field,
                                   struct fid_error *err) FID_MUST_USE;

/* 10^digits: minor units in one major unit (EUR: 100, JPY: 1). */
int64_t fid_currency_unit(int digits);

/* Writes amount_minor as a plain decimal with digits decimals ("-12.50") into out. */
void fid_money_format(int64_t amount_minor, int digits, char out[FID_MONEY_TEXT_MAX]);

#endif
