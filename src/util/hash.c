/* FNV-1a (util/hash.h). */
#include "util/hash.h"

uint64_t fid_hash(const char *data, size_t len)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)data[i]) * 1099511628211u;
    return h;
}
