#include "util/numbers.h"

#include <errno.h>
#include <stdlib.h>

bool fid_parse_whole(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return false;
    *out = n;
    return true;
}
