#include "util/phone.h"

#include <stdbool.h>
#include <string.h>

/* Whether text spells a number in international form; its digits, after the plus, into out. */
static bool spell(const char *text, char out[FID_PHONE_MAX])
{
    size_t n = 0;
    const char *c = text + strspn(text, " ");
    if (*c++ != '+')
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
        else if (strchr(" .-()/", *c) == NULL)
            return false;
    }
    out[n] = '\0';
    return n >= 9; /* the plus and at least 8 digits */
}

int fid_phone_normalise(const char *text, char out[FID_PHONE_MAX])
{
    if (spell(text, out))
        return 0;
    out[0] = '\0';
    return -1;
}
