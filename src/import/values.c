/*
 * Parsing of exported values. Every function returns 0 on success or -1 with a reason.
 */
#include "import/values.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/money.h"

int value_amount(const char *text, int digits, int64_t *minor, char reason[VALUE_REASON_MAX])
{
    while (isspace((unsigned char)*text))
        text++;
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        text++;
    /* The decimal separator is the last '.' or ',' followed by 1 to `digits` digits only. */
    const char *decimal = NULL;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    for (size_t i = len; i-- > 0;) {
        if (text[i] == '.' || text[i] == ',') {
            size_t after = len - i - 1;
            bool digits_only = true;
            for (size_t k = i + 1; k < len; k++)
                digits_only &= isdigit((unsigned char)text[k]) != 0;
            if (digits_only && after >= 1 && after != 3)
                decimal = text + i;
            else if (digits_only && after == 3 && digits == 3)
                decimal = text + i;
            break;
        }
    }
    int64_t whole = 0, fraction = 0;
    int fraction_digits = 0;
    bool any = false;
    for (const char *p = text; p < text + len; p++) {
        if (p == decimal)
            continue;
        if (isdigit((unsigned char)*p)) {
            any = true;
            if (decimal && p > decimal) {
                if (++fraction_digits > digits) {
                    snprintf(reason, VALUE_REASON_MAX, "more than %d decimals in \"%.40s\"", digits,
                             text);
                    return -1;
                }
                fraction = fraction * 10 + (*p - '0');
            } else if (__builtin_mul_overflow(whole, 10, &whole) ||
                       __builtin_add_overflow(whole, *p - '0', &whole) ||
                       whole > 100000000000000LL) {
                snprintf(reason, VALUE_REASON_MAX, "amount \"%.40s\" is too large", text);
                return -1;
            }
        } else if ((*p == ',' || *p == '.' || *p == ' ' || *p == '\'') &&
                   !(decimal && p > decimal)) {
            continue; /* thousands separators */
        } else {
            snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", text);
            return -1;
        }
    }
    if (!any) {
        snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", text);
        return -1;
    }
    while (fraction_digits++ < digits)
        fraction *= 10;
    *minor = whole * fid_currency_unit(digits) + fraction;
    if (negative)
        *minor = -*minor;
    return 0;
}

int value_quantity(const char *text, int64_t *out, char reason[VALUE_REASON_MAX])
{
    int64_t v = 0;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        goto bad;
    for (; isdigit((unsigned char)*p); p++)
        if ((v = v * 10 + (*p - '0')) > 1000000)
            goto bad;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' || v < 1)
        goto bad;
    *out = v;
    return 0;
bad:
    snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not a quantity from 1 to 1000000", text);
    return -1;
}

static bool digits_at(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

struct when {
    int y, m, d, hh, mm, ss;
    bool has_offset;
    int offset; /* seconds east of UTC */
};

static int finish(const struct when *w, const struct fid_tz *tz, int64_t *out, const char *text,
                  char reason[VALUE_REASON_MAX])
{
    if (!fid_date_valid(w->y, w->m, w->d) || w->hh > 23 || w->mm > 59 || w->ss > 59) {
        snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not a real date and time", text);
        return -1;
    }
    if (w->has_offset)
        *out = fid_days_from_civil(w->y, w->m, w->d) * 86400 + w->hh * 3600 + w->mm * 60 + w->ss -
               w->offset;
    else
        *out = fid_tz_midnight(tz, w->y, w->m, w->d) + w->hh * 3600 + w->mm * 60 + w->ss;
    return 0;
}

/* Reads "Z", "+HH:MM", "+HHMM" or "+HH" after optional blanks. */
static bool read_offset(const char **p, struct when *w)
{
    while (**p == ' ')
        (*p)++;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        w->has_offset = true;
        return true;
    }
    if (**p != '+' && **p != '-')
        return **p == '\0';
    int sign = **p == '-' ? -1 : 1, h, m = 0;
    (*p)++;
    if (!digits_at(*p, 2, &h))
        return false;
    *p += 2;
    if (**p == ':')
        (*p)++;
    if (isdigit((unsigned char)**p)) {
        if (!digits_at(*p, 2, &m))
            return false;
        *p += 2;
    }
    w->has_offset = true;
    w->offset = sign * (h * 3600 + m * 60);
    return true;
}

static int with_format(const char *text, const char *format, const struct fid_tz *tz, int64_t *out,
                       char reason[VALUE_REASON_MAX])
{
    struct when w = {.d = 1, .m = 1};
    const char *p = text;
    for (const char *f = format; *f; f++) {
        if (*f != '%') {
            if (*p++ != *f)
                goto bad;
            continue;
        }
        f++;
        int *slot = NULL, width = 2;
        switch (*f) {
        case 'Y':
            slot = &w.y, width = 4;
            break;
        case 'm':
            slot = &w.m;
            break;
        case 'd':
            slot = &w.d;
            break;
        case 'H':
            slot = &w.hh;
            break;
        case 'M':
            slot = &w.mm;
            break;
        case 'S':
            slot = &w.ss;
            break;
        case 'z':
            if (!read_offset(&p, &w))
                goto bad;
            continue;
        case '%':
            if (*p++ != '%')
                goto bad;
            continue;
        default:
            snprintf(reason, VALUE_REASON_MAX, "unknown token %%%c in the date format", *f);
            return -1;
        }
        if (!digits_at(p, width, slot))
            goto bad;
        p += width;
    }
    if (*p != '\0')
        goto bad;
    return finish(&w, tz, out, text, reason);
bad:
    snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" does not match the date format \"%.40s\"", text,
             format);
    return -1;
}

int value_instant(const char *text, const char *format, const struct fid_tz *tz, int64_t *out,
                  char reason[VALUE_REASON_MAX])
{
    while (isspace((unsigned char)*text))
        text++;
    if (format)
        return with_format(text, format, tz, out, reason);
    struct when w = {0};
    const char *p = text;
    if (digits_at(p, 4, &w.y) && p[4] == '-' && digits_at(p + 5, 2, &w.m) && p[7] == '-' &&
        digits_at(p + 8, 2, &w.d)) {
        p += 10;
    } else if (digits_at(p, 4, &w.y) && digits_at(p + 4, 2, &w.m) && digits_at(p + 6, 2, &w.d) &&
               !isdigit((unsigned char)p[8])) {
        p += 8;
    } else if (digits_at(p, 2, &w.d) && p[2] == '/' && digits_at(p + 3, 2, &w.m) && p[5] == '/' &&
               digits_at(p + 6, 4, &w.y)) {
        p += 10;
    } else {
        goto bad;
    }
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (!digits_at(p, 2, &w.hh) || p[2] != ':' || !digits_at(p + 3, 2, &w.mm))
            goto bad;
        p += 5;
        if (*p == ':') {
            if (!digits_at(p + 1, 2, &w.ss))
                goto bad;
            p += 3;
            if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++)
                    ;
        }
    }
    if (!read_offset(&p, &w) || *p != '\0')
        goto bad;
    return finish(&w, tz, out, text, reason);
bad:
    snprintf(reason, VALUE_REASON_MAX,
             "\"%.40s\" is not a date (YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY, with an optional time; "
             "or give --date-format)",
             text);
    return -1;
}
