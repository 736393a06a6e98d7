/*
 * Currency facts come from ICU (ISO 4217 codes and their minor-unit digits), and so does the
 * way a language writes amounts.
 */
#include "util/money.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ucurr.h>
#include <unicode/uenum.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

/* True when code is in ICU's list of common, non-deprecated currencies. (ucurr_isAvailable over a
 * date range is not usable: with ICU 72 it refuses GBP, and from 1970 it accepted FRF.) */
static bool currency_current(const char *code)
{
    UErrorCode status = U_ZERO_ERROR;
    UEnumeration *codes = ucurr_openISOCurrencies(UCURR_COMMON | UCURR_NON_DEPRECATED, &status);
    bool found = false;
    const char *c;
    while (!found && U_SUCCESS(status) && (c = uenum_next(codes, NULL, &status)) != NULL)
        found = strcmp(c, code) == 0;
    uenum_close(codes);
    return found;
}

enum fid_status fid_currency_check(const char *code, int *digits, const char *field,
                                   struct fid_error *err)
{
    bool shape = code != NULL;
    for (int i = 0; shape && i < FID_CURRENCY_LEN; i++)
        shape = isupper((unsigned char)code[i]);
    if (!shape || code[FID_CURRENCY_LEN] != '\0')
        return fid_fail(err, FID_ERR_INPUT, field,
                        "expected an ISO 4217 currency code such as EUR, got \"%.10s\"",
                        code ? code : "");
    if (!currency_current(code))
        return fid_fail(err, FID_ERR_INPUT, field, "unknown currency \"%s\"", code);
    UChar ucode[FID_CURRENCY_LEN + 1];
    u_uastrcpy(ucode, code);
    UErrorCode status = U_ZERO_ERROR;
    int32_t d = ucurr_getDefaultFractionDigits(ucode, &status);
    if (U_FAILURE(status) || d < 0 || d > 4)
        return fid_fail(err, FID_ERR_INPUT, field, "currency \"%s\" has no usable minor unit",
                        code);
    *digits = d;
    return FID_OK;
}

int64_t fid_currency_unit(int digits)
{
    int64_t unit = 1;
    for (int i = 0; i < digits; i++)
        unit *= 10;
    return unit;
}

void fid_money_format(int64_t amount_minor, int digits, char out[FID_MONEY_TEXT_MAX])
{
    uint64_t magnitude = amount_minor < 0 ? 0 - (uint64_t)amount_minor : (uint64_t)amount_minor;
    uint64_t unit = (uint64_t)fid_currency_unit(digits);
    const char *sign = amount_minor < 0 ? "-" : "";
    if (digits == 0)
        snprintf(out, FID_MONEY_TEXT_MAX, "%s%llu", sign, (unsigned long long)magnitude);
    else
        snprintf(out, FID_MONEY_TEXT_MAX, "%s%llu.%0*llu", sign,
                 (unsigned long long)(magnitude / unit), digits,
                 (unsigned long long)(magnitude % unit));
}

/* Formats the decimal text number (exact: ICU reads it as a decimal, not a double) with a
 * formatter of style for locale; false when ICU cannot. */
static bool format_decimal(const char *number, UNumberFormatStyle style, const char *locale,
                           const char *currency, int digits, char *out, size_t size)
{
    UErrorCode status = U_ZERO_ERROR;
    UNumberFormat *f =
        unum_open(style, NULL, 0, strcmp(locale, "en") == 0 ? "en_GB" : "fr_FR", NULL, &status);
    if (currency != NULL && U_SUCCESS(status)) {
        UChar code[FID_CURRENCY_LEN + 1];
        u_uastrcpy(code, currency);
        unum_setTextAttribute(f, UNUM_CURRENCY_CODE, code, FID_CURRENCY_LEN, &status);
    }
    if (digits >= 0 && U_SUCCESS(status)) {
        unum_setAttribute(f, UNUM_MIN_FRACTION_DIGITS, digits);
        unum_setAttribute(f, UNUM_MAX_FRACTION_DIGITS, digits);
    }
    UChar text[96];
    int32_t n = U_SUCCESS(status) ? unum_formatDecimal(f, number, -1, text, 96, NULL, &status) : 0;
    unum_close(f);
    if (U_FAILURE(status) || n <= 0 || n >= 96)
        return false;
    int32_t written = 0;
    status = U_ZERO_ERROR;
    u_strToUTF8(out, (int32_t)size, &written, text, n, &status);
    return U_SUCCESS(status) && (size_t)written < size;
}

void fid_money_format_in(int64_t amount_minor, int digits, const char *currency, const char *locale,
                         char out[FID_MONEY_LOCAL_MAX])
{
    char number[FID_MONEY_TEXT_MAX];
    fid_money_format(amount_minor, digits, number);
    if (!format_decimal(number, UNUM_CURRENCY, locale, currency, digits, out, FID_MONEY_LOCAL_MAX))
        snprintf(out, FID_MONEY_LOCAL_MAX, "%s %s", number, currency);
}

void fid_number_format_in(const char *number, int decimals, const char *locale,
                          char out[FID_MONEY_LOCAL_MAX])
{
    if (!format_decimal(number, UNUM_DECIMAL, locale, NULL, decimals, out, FID_MONEY_LOCAL_MAX))
        snprintf(out, FID_MONEY_LOCAL_MAX, "%s", number);
}
