/*
 * Stamp card roll-over arithmetic.
 */
#include "core/stamps.h"

void stamps_add(int64_t count, int64_t added, int64_t required, int64_t *new_count,
                int64_t *completed)
{
    int64_t total = count + added;
    if (total < required || required <= 0) {
        *new_count = total;
        *completed = 0;
        return;
    }
    *completed = total / required;
    *new_count = total % required;
}
