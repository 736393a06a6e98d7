/*
 * International numbers are read here, by the shape of E.164 alone, as they always were: the
 * numbers already kept and the look-ups of them agree whatever libphonenumber's tables say.
 * National numbers are handed to phone_region.cc once their spelling is checked here, so that
 * the library's leniency (letters read as on a keypad, "ext. 2") never reaches a customer's row.
 */
#include "util/phone.h"

#include <stdio.h>
#include <string.h>

#include "util/phone_region.h"

/* The separators people type between digits. */
#define PHONE_SEPARATORS " .-()/"

/* Where the digits of an international number start ("+33", "0033"), else NULL. */
static const char *international_digits(const char *text)
{
    const char *c = text + strspn(text, " ");
    if (c[0] == '+')
        return c + 1;
    if (c[0] == '0' && c[1] == '0')
        return c + 2;
    return NULL;
}

/* Whether text spells a number in international form; a plus and its digits into out. */
static bool spell(const char *text, char out[FID_PHONE_MAX])
{
    size_t n = 0;
    const char *c = international_digits(text);
    if (c == NULL)
        return false;
    out[n++] = '+';
    for (; *c; c++) {
        /* "+44 (0)20": the trunk prefix that a call from abroad drops */
        if (strncmp(c, "(0)", 3) == 0) {
            c += 2;
            continue;
        }
        bool digit = *c >= '0' && *c <= '9';
        if (digit && (n == FID_PHONE_MAX - 1 || (n == 1 && *c == '0')))
            return false; /* too long, or a national prefix after the plus */
        if (digit)
            out[n++] = *c;
        else if (strchr(PHONE_SEPARATORS, *c) == NULL)
            return false;
    }
    out[n] = '\0';
    return n >= 9; /* the plus and at least 8 digits */
}

bool fid_phone_national(const char *text)
{
    if (international_digits(text) != NULL || strlen(text) >= FID_PHONE_TYPED_MAX)
        return false;
    return text[strspn(text, "0123456789" PHONE_SEPARATORS)] == '\0' &&
           strpbrk(text, "0123456789") != NULL;
}

int fid_phone_normalise(const char *text, const char *region, char out[FID_PHONE_MAX])
{
    char read[FID_PHONE_MAX];
    if (spell(text, out))
        return 0;
    /* what the library makes of a national number must be one that reads again as itself */
    if (region[0] && fid_phone_national(text) && fid_phone_region_read(text, region, read) == 0 &&
        spell(read, out))
        return 0;
    out[0] = '\0';
    return -1;
}

void fid_phone_expected(const char *region, char hint[FID_PHONE_HINT_MAX])
{
    char national[FID_PHONE_EXAMPLE_MAX], international[FID_PHONE_MAX];
    if (region[0] && fid_phone_region_example(region, national, international) == 0)
        snprintf(hint, FID_PHONE_HINT_MAX, "a number of %s such as %s or %s", region, national,
                 international);
    else
        snprintf(hint, FID_PHONE_HINT_MAX, "a number in international form such as +33612345678");
}

enum fid_status fid_phone_read(const char *text, const char *region, char out[FID_PHONE_MAX],
                               const char *field, struct fid_error *err)
{
    if (fid_phone_normalise(text, region, out) == 0)
        return FID_OK;
    char hint[FID_PHONE_HINT_MAX];
    fid_phone_expected(region, hint);
    return fid_fail(err, FID_ERR_INPUT, field, "\"%.40s\" is not a phone number: expected %s", text,
                    hint);
}
