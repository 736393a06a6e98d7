#include "util/text.h"

#include <jansson.h>
#include <string.h>

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
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return *c;
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
