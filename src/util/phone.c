/*
 * International numbers are read here by the shape of E.164; libphonenumber then drops a trunk
 * prefix typed after the country code ("+33 06 12 34 56 78" is +33612345678; Italy's leading 0
 * stays, as its numbers keep it), and a number it cannot read (a country code it does not know,
 * a length its tables do not have yet) keeps that shape: a real number is never refused for the
 * library's tables being old. National numbers are handed to phone_region.cc once their spelling
 * is checked here, so that the library's leniency (letters read as on a keypad, "ext. 2") never
 * reaches a customer's row.
 */
#include "util/phone.h"

#include <stdio.h>
#include <string.h>

#include "util/phone_region.h"

/* The separators people type between digits. */
#define PHONE_SEPARATORS " .-()/"

/* A number as typed, once folded (fold): longer is not a number. */
#define PHONE_FOLDED_MAX 128

/* What people paste for the spaces and digits of a number, and its ASCII: no-break spaces (the
 * narrow one is what French typography puts between pairs of digits), thin, figure and
 * ideographic spaces, hyphens, and full-width digits, plus and hyphen (Chinese and Japanese
 * input). */
static const struct {
    const char *utf8;
    char ascii;
} PHONE_LOOKALIKES[] = {
    {"\u00a0", ' '}, {"\u2007", ' '}, {"\u2009", ' '}, {"\u202f", ' '}, {"\u3000", ' '},
    {"\u2010", '-'}, {"\u2011", '-'}, {"\uff0b", '+'}, {"\uff0d", '-'},
};
#define N_LOOKALIKES (sizeof PHONE_LOOKALIKES / sizeof PHONE_LOOKALIKES[0])

/* text with those characters in ASCII, into out; false when it does not fit. */
static bool fold(const char *text, char out[PHONE_FOLDED_MAX])
{
    size_t n = 0;
    for (const char *c = text; *c;) {
        char ascii = *c;
        size_t len = 1;
        /* full-width digits: U+FF10 to U+FF19, EF BC 90 to EF BC 99 */
        if ((unsigned char)c[0] == 0xEF && (unsigned char)c[1] == 0xBC &&
            (unsigned char)c[2] >= 0x90 && (unsigned char)c[2] <= 0x99) {
            ascii = (char)('0' + ((unsigned char)c[2] - 0x90));
            len = 3;
        }
        for (size_t i = 0; len == 1 && (unsigned char)*c >= 0x80 && i < N_LOOKALIKES; i++) {
            size_t l = strlen(PHONE_LOOKALIKES[i].utf8);
            if (strncmp(c, PHONE_LOOKALIKES[i].utf8, l) == 0) {
                ascii = PHONE_LOOKALIKES[i].ascii;
                len = l;
            }
        }
        if (n == PHONE_FOLDED_MAX - 1)
            return false;
        out[n++] = ascii;
        c += len;
    }
    out[n] = '\0';
    return true;
}

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

/* Whether text, folded, spells a number in national form. */
static bool national(const char *text)
{
    if (international_digits(text) != NULL || strlen(text) >= FID_PHONE_TYPED_MAX)
        return false;
    return text[strspn(text, "0123456789" PHONE_SEPARATORS)] == '\0' &&
           strpbrk(text, "0123456789") != NULL;
}

bool fid_phone_national(const char *text)
{
    char typed[PHONE_FOLDED_MAX];
    return fold(text, typed) && national(typed);
}

/* Reads an international number until it reads as itself ("ZZ": no region, the number names its
 * country). The library drops one trunk prefix a read: "+43 0 0 3..." reads as "+43 0 3...",
 * which reads as "+43 3...", and a number stored must be found again by its own text. A read
 * that changes a number drops a digit, so a number's digits bound the reads. */
static void settle(char number[FID_PHONE_MAX])
{
    char read[FID_PHONE_MAX], spelt[FID_PHONE_MAX];
    for (int i = 0; i < FID_PHONE_MAX && fid_phone_region_read(number, "ZZ", read) == 0 &&
                    spell(read, spelt) && strcmp(spelt, number) != 0;
         i++)
        memcpy(number, spelt, FID_PHONE_MAX);
}

int fid_phone_normalise(const char *text, const char *region, char out[FID_PHONE_MAX])
{
    char typed[PHONE_FOLDED_MAX], read[FID_PHONE_MAX];
    if (!fold(text, typed)) {
        out[0] = '\0';
        return -1;
    }
    if (spell(typed, out)) {
        settle(out);
        return 0;
    }
    /* what the library makes of a national number must be one that reads again as itself */
    if (region[0] && national(typed) && fid_phone_region_read(typed, region, read) == 0 &&
        spell(read, out)) {
        settle(out);
        return 0;
    }
    out[0] = '\0';
    return -1;
}

/* What a phone field takes in region, for messages: "a number of FR such as 06 12 34 56 78 or
 * +33612345678"; the international form alone without a region. */
static void expected(const char *region, char hint[FID_PHONE_HINT_MAX])
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
    expected(region, hint);
    return fid_fail(err, FID_ERR_INPUT, field, "\"%.40s\" is not a phone number: expected %s", text,
                    hint);
}
