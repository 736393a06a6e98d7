/*
 * Consumption order of lots. Sorting is stable on (expiry, earned time, id) so that the plan is a
 * pure function of the lots, whatever order the store returned them in.
 */
#include "core/lots.h"

#include <stdlib.h>

static int compare_lots(const void *a, const void *b)
{
    const struct lot *x = a, *y = b;
    int64_t ex = x->expires_at ? x->expires_at : INT64_MAX;
    int64_t ey = y->expires_at ? y->expires_at : INT64_MAX;
    if (ex != ey)
        return ex < ey ? -1 : 1;
    if (x->earned_at != y->earned_at)
        return x->earned_at < y->earned_at ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

void lots_sort(struct lot *lots, size_t n)
{
    if (n > 1)
        qsort(lots, n, sizeof *lots, compare_lots);
}

int64_t lots_consume(struct lot *lots, size_t n, int64_t amount, struct lot_use *uses,
                     size_t *n_uses)
{
    int64_t taken = 0;
    *n_uses = 0;
    for (size_t i = 0; i < n && taken < amount; i++) {
        if (lots[i].remaining <= 0)
            continue;
        int64_t take = lots[i].remaining < amount - taken ? lots[i].remaining : amount - taken;
        lots[i].remaining -= take;
        uses[(*n_uses)++] = (struct lot_use){.lot_id = lots[i].id, .amount = take};
        taken += take;
    }
    return taken;
}
