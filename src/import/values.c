/*
 * Parsing of exported values. Every function returns 0 on success or -1 with a reason.
 */
#include "import/values.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"
#include "util/money.h"

static bool is_separator(char c)
{
    return c == ',' || c == '.' || c == ' ' || c == '\'';
}

enum marks { MARKS_READ, MARKS_UNREADABLE, MARKS_AMBIGUOUS };

/* The decimal separator: the last '.' or ',' when only digits follow, unless it is a thousands
 * separator: the same mark used earlier too, or, in a currency without decimals, three digits
 * after a single mark following a group of one to three digits that does not start with 0.
 * In a currency with one or two decimals such a mark could be either ("4.125": 4125, or 4.125
 * with too many decimals): MARKS_AMBIGUOUS. A mark after another separator is the decimal one.
 * MARKS_UNREADABLE when the marks cannot be read either way. */
static enum marks find_decimal(const char *text, size_t len, int digits, const char **decimal)
{
    *decimal = NULL;
    size_t i = len;
    while (i > 0 && text[i - 1] != '.' && text[i - 1] != ',') {
        if (!isdigit((unsigned char)text[i - 1]))
            return MARKS_READ; /* no trailing digits-only part: no decimal mark; the parse judges */
        i--;
    }
    if (i == 0)
        return MARKS_READ;
    size_t mark = i - 1, after = len - i;
    bool repeated = memchr(text, text[mark], mark) != NULL;
    bool other_before = false;
    for (size_t k = 0; k < mark; k++)
        other_before |= is_separator(text[k]);
    if (repeated)
        return after == 3 ? MARKS_READ : MARKS_UNREADABLE; /* thousands all the way */
    if (after == 0)
        return MARKS_UNREADABLE;
    if (after != 3 || other_before || digits == 3) {
        *decimal = text + mark;
        return MARKS_READ;
    }
    size_t lead = 0; /* digits just before the mark */
    while (lead < mark && isdigit((unsigned char)text[mark - 1 - lead]))
        lead++;
    if (lead < mark)
        return MARKS_READ; /* something else before: the parse refuses it */
    bool thousands = lead >= 1 && lead <= 3 && text[0] != '0';
    if (!thousands)
        *decimal = text + mark;
    return thousands && digits > 0 ? MARKS_AMBIGUOUS : MARKS_READ;
}

/* Thousands groups in the whole part: one to three digits first, then groups of exactly three. */
static bool groups_valid(const char *text, size_t len)
{
    bool any_separator = false;
    for (size_t i = 0; i < len; i++)
        any_separator |= is_separator(text[i]);
    if (!any_separator)
        return true;
    size_t group = 0;
    bool first = true;
    for (size_t i = 0; i < len; i++) {
        if (isdigit((unsigned char)text[i])) {
            group++;
            continue;
        }
        if (!is_separator(text[i]))
            continue; /* not a digit: the parse reports it */
        if (first ? (group < 1 || group > 3) : group != 3)
            return false;
        first = false;
        group = 0;
    }
    return first || group == 3;
}

/* The spaces spreadsheets put between thousands besides the ASCII one, in UTF-8: no-break
 * (U+00A0), narrow no-break (U+202F, French) and thin (U+2009). */
static size_t wide_space(const char *p)
{
    if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0)
        return 2;
    if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
        ((unsigned char)p[2] == 0xAF || (unsigned char)p[2] == 0x89))
        return 3;
    return 0;
}

/* An amount's text longer than this is not one (10^14 with every separator takes 40 bytes). */
#define AMOUNT_TEXT_MAX 64

int value_amount(const char *text, int digits, int64_t *minor, char reason[VALUE_REASON_MAX])
{
    /* The text with its wide spaces made ASCII ones, which the rest reads as separators. */
    char plain[AMOUNT_TEXT_MAX + 1];
    size_t n = 0;
    for (const char *p = text; *p; n++) {
        if (n == AMOUNT_TEXT_MAX) {
            snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", text);
            return -1;
        }
        size_t wide = wide_space(p);
        plain[n] = wide ? ' ' : *p;
        p += wide ? wide : 1;
    }
    plain[n] = '\0';
    text = plain;
    while (isspace((unsigned char)*text))
        text++;
    const char *shown = text; /* with its sign, as messages quote it */
    bool negative = *text == '-';
    if (*text == '-' || *text == '+')
        text++;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    const char *decimal = NULL;
    enum marks marks = find_decimal(text, len, digits, &decimal);
    if (marks == MARKS_AMBIGUOUS) {
        snprintf(reason, VALUE_REASON_MAX,
                 "\"%.*s\" is ambiguous: a thousands separator, or 3 decimals where the currency "
                 "has %d; write it without the separator, or with %d decimals",
                 (int)(len + (size_t)(text - shown) < 40 ? len + (size_t)(text - shown) : 40),
                 shown, digits, digits);
        return -1;
    }
    if (marks == MARKS_UNREADABLE ||
        !groups_valid(text, decimal ? (size_t)(decimal - text) : len)) {
        snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", shown);
        return -1;
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
                snprintf(reason, VALUE_REASON_MAX, "amount \"%.40s\" is too large", shown);
                return -1;
            }
        } else if ((*p == ',' || *p == '.' || *p == ' ' || *p == '\'') &&
                   !(decimal && p > decimal)) {
            continue; /* thousands separators */
        } else {
            snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", shown);
            return -1;
        }
    }
    if (!any) {
        snprintf(reason, VALUE_REASON_MAX, "\"%.40s\" is not an amount", shown);
        return -1;
    }
    while (fraction_digits++ < digits)
        fraction *= 10;
    *minor = whole * fid_currency_unit(digits) + fraction;
    if (negative)
        *minor = -*minor;
    return 0;
}

int value_email(const char *text, char out[VALUE_EMAIL_MAX], char reason[VALUE_REASON_MAX])
{
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    if (len >= VALUE_EMAIL_MAX) {
        snprintf(reason, VALUE_REASON_MAX, "the e-mail address is longer than %d bytes",
                 VALUE_EMAIL_MAX - 1);
        return -1;
    }
    char typed[VALUE_EMAIL_MAX];
    memcpy(typed, text, len);
    typed[len] = '\0';
    fid_email_fold(typed, out, VALUE_EMAIL_MAX); /* as enrolments keep them */
    if (!fid_email_plausible(typed)) {
        snprintf(reason, VALUE_REASON_MAX, "\"%.60s\" is not an e-mail address", out);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int value_phone(const char *text, const char *region, char out[FID_PHONE_MAX],
                char reason[VALUE_REASON_MAX])
{
    struct fid_error err;
    if (fid_phone_read(text, region, out, "", &err) == FID_OK)
        return 0;
    snprintf(reason, VALUE_REASON_MAX, "%.*s", VALUE_REASON_MAX - 1, err.message);
    return -1;
}

int value_status(const char *text, enum value_status *out, char reason[VALUE_REASON_MAX])
{
    static const struct {
        const char *name;
        enum value_status status;
    } STATUSES[] = {
        {"", VALUE_PAID},
        {"paid", VALUE_PAID},
        {"partially_paid", VALUE_PAID},
        {"completed", VALUE_PAID},
        {"complete", VALUE_PAID},
        {"processing", VALUE_PAID},
        {"fulfilled", VALUE_PAID},
        {"shipped", VALUE_PAID},
        {"delivered", VALUE_PAID},
        {"refunded", VALUE_REFUNDED},
        {"partially_refunded", VALUE_PARTLY_REFUNDED},
        {"pending", VALUE_UNPAID},
        {"pending_payment", VALUE_UNPAID},
        {"authorized", VALUE_UNPAID},
        {"unpaid", VALUE_UNPAID},
        {"voided", VALUE_UNPAID},
        {"void", VALUE_UNPAID},
        {"expired", VALUE_UNPAID},
        {"cancelled", VALUE_UNPAID},
        {"canceled", VALUE_UNPAID},
        {"failed", VALUE_UNPAID},
        {"on_hold", VALUE_UNPAID},
        {"draft", VALUE_UNPAID},
        {"checkout_draft", VALUE_UNPAID},
        {"trash", VALUE_UNPAID},
    };
    /* lower case, "-" and blanks inside as "_", blanks around and "wc-" dropped */
    char name[32];
    size_t n = 0;
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "wc-", 3) == 0)
        text += 3;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    for (size_t i = 0; i < len && n < sizeof name - 1; i++) {
        unsigned char c = (unsigned char)text[i];
        name[n++] = c == '-' || isspace(c) ? '_' : (char)tolower(c);
    }
    name[n] = '\0';
    for (size_t i = 0; len < sizeof name && i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        if (strcmp(name, STATUSES[i].name) == 0) {
            *out = STATUSES[i].status;
            return 0;
        }
    snprintf(reason, VALUE_REASON_MAX,
             "\"%.30s\" is not an order status the import knows (paid, refunded, "
             "partially_refunded, pending, cancelled...)",
             text);
    return -1;
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

/* Files hold runs of rows of the same day: the day's bounds are asked of the time zone once per
 * day, and only a day with a DST change asks it for each time. */
static int64_t local_instant(const struct fid_tz *tz, const struct when *w)
{
    static _Thread_local struct {
        char zone[64]; /* by name: a time zone freed and another opened may share an address */
        int y, m, d;
        int64_t midnight, length;
    } day;
    const char *zone = fid_tz_name(tz);
    if (day.y != w->y || day.m != w->m || day.d != w->d || strcmp(day.zone, zone) != 0) {
        snprintf(day.zone, sizeof day.zone, "%s", zone);
        day.y = w->y;
        day.m = w->m;
        day.d = w->d;
        day.midnight = fid_tz_midnight(tz, w->y, w->m, w->d);
        int64_t next = fid_days_from_civil(w->y, w->m, w->d) + 1;
        int y, m, d;
        fid_civil_from_days(next, &y, &m, &d);
        day.length = fid_tz_midnight(tz, y, m, d) - day.midnight;
    }
    if (day.length != 86400)
        return fid_tz_local_instant(tz, w->y, w->m, w->d, w->hh, w->mm, w->ss);
    return day.midnight + w->hh * 3600 + w->mm * 60 + w->ss;
}

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
        *out = local_instant(tz, w);
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
    if (h > 23 || m > 59)
        return false;
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

int value_format_check(const char *format, char reason[VALUE_REASON_MAX])
{
    for (const char *f = format; *f; f++) {
        if (*f != '%')
            continue;
        if (f[1] == '\0' || strchr("YmdHMSz%", f[1]) == NULL) {
            snprintf(reason, VALUE_REASON_MAX,
                     "unknown token %%%.1s (known: %%Y %%m %%d %%H %%M %%S "
                     "%%z %%%%)",
                     f + 1);
            return -1;
        }
        f++;
    }
    return 0;
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
