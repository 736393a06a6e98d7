/*
 * Fuzz target for typed codes and currencies. fid_code_normalise must be idempotent (its output
 * normalises to itself) and emit only Crockford symbols grouped by four; codes generated from a
 * seed taken from the input must already be canonical. fid_currency_check must accept only
 * three upper-case letters with 0-4 minor digits, and amounts must format with that many decimals.
 * fid_parse_whole must accept only digits whose value lies in the range, and give that value.
 * fid_phone_normalise must give a plus and 8 to 15 digits that normalise to themselves, whether
 * typed in international form or in national form of a region.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/codes.h"
#include "util/money.h"
#include "util/numbers.h"
#include "util/phone.h"
#include "fuzz.h"

#define FUZZ_TEXT_MAX 64

static void check_canonical(const char *code)
{
    size_t len = strlen(code);
    char again[FID_CODE_MAX];
    FUZZ_ASSERT(len == 4 || len == 9 || len == 14 || len == 19);
    for (size_t i = 0; i < len; i++) {
        if (i % 5 == 4)
            FUZZ_ASSERT(code[i] == '-');
        else
            FUZZ_ASSERT(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", code[i]) != NULL);
    }
    FUZZ_ASSERT(fid_code_normalise(code, again) == 0);
    FUZZ_ASSERT(strcmp(again, code) == 0);
}

static void check_money_format(int64_t amount, int digits)
{
    char text[FID_MONEY_TEXT_MAX];
    fid_money_format(amount, digits, text);
    size_t len = strlen(text);
    const char *dot = strchr(text, '.');
    FUZZ_ASSERT(len > 0 && len < sizeof text - 1);
    FUZZ_ASSERT((text[0] == '-') == (amount < 0));
    if (digits == 0)
        FUZZ_ASSERT(dot == NULL);
    else
        FUZZ_ASSERT(dot != NULL && strlen(dot + 1) == (size_t)digits);
}

static void check_whole(const char *text)
{
    int64_t value = -1;
    if (!fid_parse_whole(text, 1, 1000000, &value)) {
        FUZZ_ASSERT(value == -1);
        return;
    }
    FUZZ_ASSERT(value >= 1 && value <= 1000000);
    FUZZ_ASSERT(strspn(text, "0123456789") == strlen(text));
    const char *digits = text + strspn(text, "0"); /* leading zeros aside */
    char again[32];
    snprintf(again, sizeof again, "%lld", (long long)value);
    FUZZ_ASSERT(strcmp(again, digits) == 0);
}

/* A number read in region: a plus and 8 to 15 digits, which read again as themselves without
 * a region; an international number reads the same in every region. */
static void check_phone_in(const char *text, const char *region, const char *international)
{
    char phone[FID_PHONE_MAX], again[FID_PHONE_MAX];
    if (fid_phone_normalise(text, region, phone) != 0) {
        FUZZ_ASSERT(phone[0] == '\0' && international == NULL);
        return;
    }
    size_t len = strlen(phone);
    FUZZ_ASSERT(phone[0] == '+' && phone[1] != '0' && len >= 9 && len <= 16);
    FUZZ_ASSERT(strspn(phone + 1, "0123456789") == len - 1);
    FUZZ_ASSERT(fid_phone_normalise(phone, "", again) == 0 && strcmp(again, phone) == 0);
    FUZZ_ASSERT(international == NULL || strcmp(phone, international) == 0);
}

static void check_phone(const char *text)
{
    char international[FID_PHONE_MAX];
    bool known = fid_phone_normalise(text, "", international) == 0;
    check_phone_in(text, "", known ? international : NULL);
    /* France drops its trunk 0; Italy keeps it; the US's is 1 */
    static const char *const regions[] = {"FR", "IT", "US"};
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        check_phone_in(text, regions[i], known ? international : NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[FUZZ_TEXT_MAX];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';

    char code[FID_CODE_MAX];
    if (fid_code_normalise(text, code) == 0)
        check_canonical(code);
    check_whole(text);
    check_phone(text);

    int digits = -1;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = fid_currency_check(text, &digits, "/currency", &err);
    if (st == FID_OK) {
        FUZZ_ASSERT(strlen(text) == 3 && strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3);
        FUZZ_ASSERT(digits >= 0 && digits <= 4);
    } else {
        FUZZ_ASSERT(err.status == st && strcmp(err.field, "/currency") == 0);
    }

    if (size >= 9) {
        uint64_t seed;
        int64_t amount;
        memcpy(&seed, data, sizeof seed);
        memcpy(&amount, data + 1, sizeof amount);
        struct fid_rng *rng = fid_rng_new(&seed);
        fid_code_new(rng, 4 * (1 + data[8] % 4), code);
        fid_rng_free(rng);
        check_canonical(code);
        check_money_format(amount, st == FID_OK ? digits : data[8] % 5);
    }
    return 0;
}
