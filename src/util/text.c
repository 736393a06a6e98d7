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
