/*
 * Currency facts come from ICU (ISO 4217 codes and their minor-unit digits).
 */
#include "util/money.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ucurr.h>
#include <unicode/uenum.h>
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
