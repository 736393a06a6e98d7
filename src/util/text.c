#include "util/text.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>

bool fid_text_utf8(const char *text, size_t len)
{
    if (memchr(text, '\0', len) != NULL)
        return false;
    json_t *probe = json_stringn(text, len); /* jansson refuses text that is not UTF-8 */
    json_decref(probe);
    return probe != NULL;
}

int fid_text_control(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return *c;
        /* C1 controls (U+0085, NEL, among them) and the line and paragraph separators: terminals,
         * browsers and text readers break lines at them too */
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            return c[1];
        if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9))
            return 0x2000 + (c[2] & 0x3f);
    }
    return -1;
}

void fid_text_cut(const char *text, char *out, size_t size)
{
    size_t n = strlen(text);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80) /* a continuation byte */
            n--;
    }
    memcpy(out, text, n);
    out[n] = '\0';
}

void fid_text_sanitize(const char *text, char *out, size_t size)
{
    size_t n = strlen(text);
    if (fid_text_utf8(text, n)) {
        fid_text_cut(text, out, size);
        return;
    }
    /* ICU decodes with a substitute for each ill-formed sequence, then encodes again */
    UErrorCode status = U_ZERO_ERROR;
    int32_t units = 0, subs = 0, len = 0;
    UChar *wide = malloc((n + 1) * sizeof *wide);
    char *clean = malloc(3 * n + 1);
    if (wide && clean)
        u_strFromUTF8WithSub(wide, (int32_t)n + 1, &units, text, (int32_t)n, 0xFFFD, &subs,
                             &status);
    if (wide && clean && U_SUCCESS(status))
        u_strToUTF8(clean, (int32_t)(3 * n + 1), &len, wide, units, &status);
    if (wide && clean && U_SUCCESS(status)) {
        clean[len] = '\0';
        fid_text_cut(clean, out, size);
    } else {
        out[0] = '\0';
    }
    free(wide);
    free(clean);
}

void fid_email_fold(const char *text, char *out, size_t size)
{
    fid_text_lower(text, out, size);
}

/* ASCII letters lowered in place: all of ICU's lowering that ASCII text needs. */
static void lower_ascii(char *text)
{
    for (char *c = text; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

void fid_text_lower(const char *text, char *out, size_t size)
{
    bool ascii = true;
    for (const unsigned char *c = (const unsigned char *)text; *c && ascii; c++)
        ascii = *c < 0x80;
    if (ascii) { /* without ICU: a search folds every name it reads */
        snprintf(out, size, "%s", text);
        lower_ascii(out);
        return;
    }
    UChar wide[512], folded[512];
    int32_t n = 0, m = 0, written = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(wide, 512, &n, text, -1, &status);
    if (U_SUCCESS(status) && n < 512)
        m = u_strToLower(folded, 512, wide, n, "", &status);
    if (U_SUCCESS(status) && m < 512)
        u_strToUTF8(out, (int32_t)size, &written, folded, m, &status);
    if (U_SUCCESS(status) && status != U_STRING_NOT_TERMINATED_WARNING && (size_t)written < size)
        return;
    snprintf(out, size, "%s", text); /* as SQLite's lower() would have it */
    lower_ascii(out);
}

bool fid_email_plausible(const char *text)
{
    const char *at = strchr(text, '@');
    if (at == NULL || at == text || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return false;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (isspace(*c))
            return false;
    return true;
}
