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

/* Room for an amount as a language writes it (UTF-8, with its symbol and spaces). */
#define FID_MONEY_LOCAL_MAX 96

/* amount_minor of currency as the locale's readers write it ("fr": "1 234,50 €", "en":
 * "€1,234.50"), exactly, with the currency's digits. */
void fid_money_format_in(int64_t amount_minor, int digits, const char *currency, const char *locale,
                         char out[FID_MONEY_LOCAL_MAX]);
/* A decimal number given as text ("12.5", "-3") with `decimals` digits after the point, as the
 * locale writes it ("12,5"; thousands grouped). */
void fid_number_format_in(const char *number, int decimals, const char *locale,
                          char out[FID_MONEY_LOCAL_MAX]);

#endif
